"""A minimal provider endpoint and a fake clock for the shared HTTP layer's tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import requests

from source_usage_metering.config import ConfluentAccount
from source_usage_metering.http.base_stream import ProviderHttpStream

BASE = "https://api.example.test"


def account(name: str = "acme") -> ConfluentAccount:
    return ConfluentAccount(index=0, name=name, api_key="KEYFAKE", api_secret="SECRETFAKE", api_url=BASE)


class ItemsEndpoint(ProviderHttpStream):
    """`GET /v1/items`: `{"items": [...]}`, no paging."""

    path_template = "/v1/items"
    endpoint = "GET /v1/items"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(account(), requests.auth.HTTPBasicAuth("KEYFAKE", "SECRETFAKE"), **kwargs)

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        return dict(stream_slice)

    def next_token(self, body: Any, previous: str | None) -> str | None:
        return None

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
