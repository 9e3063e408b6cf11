"""A minimal provider endpoint and a fake clock for the shared HTTP layer's tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import requests

from source_usage_metering.config import AccountBase
from source_usage_metering.http.endpoint import ProviderEndpoint

BASE = "https://api.example.test"


@dataclass(frozen=True)
class ExampleAccount(AccountBase):
    """An account of a provider the shared HTTP layer knows nothing about."""

    index: int
    name: str | None
    api_key: str
    api_url: str = BASE
    provider: str = "example"

    @property
    def key_id(self) -> str:
        return self.api_key


def account(name: str = "acme") -> ExampleAccount:
    return ExampleAccount(index=0, name=name, api_key="KEYFAKE")


class ItemsEndpoint(ProviderEndpoint):
    """`GET /v1/items`: `{"items": [...]}`, no paging."""

    path_template = "/v1/items"
    endpoint = "GET /v1/items"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(account(), requests.auth.HTTPBasicAuth("KEYFAKE", "SECRETFAKE"), **kwargs)

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        return dict(stream_slice)

    def next_token(self, body: Any) -> str | None:
        return None

    def page_problem(self, body: Any) -> str | None:
        return None if isinstance(body, dict) and isinstance(body.get("items"), list) else "no 'items' list"

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        return body["items"]


class OtherEndpoint(ItemsEndpoint):
    path_template = "/v1/other"
    endpoint = "GET /v1/other"


class FakeClock:
    """Wall-clock seconds that only move when someone sleeps."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)
