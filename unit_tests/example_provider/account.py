"""An account of the example provider: an org reached with one access token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from source_usage_metering.config import AccountBase, api_url, optional_str, secret

NAME = "example"
API_URL = "https://api.usage.example"
SECRET_FIELDS = ("access_token",)
ALLOWED_HOSTS = ("api.usage.example",)


@dataclass(frozen=True)
class ExampleAccount(AccountBase):
    """One example organization."""

    index: int
    name: str | None
    access_token: str
    api_url: str = API_URL
    provider: str = NAME
    key_field: ClassVar[str] = "access_token"


def parse_account(index: int, item: Mapping[str, Any]) -> ExampleAccount:
    """A validated `accounts[index]` item of provider `example`."""
    path = f"accounts[{index}]"
    return ExampleAccount(
        index=index,
        name=optional_str(item, path, "name"),
        access_token=secret(item, path, "access_token"),
        api_url=api_url(item, path, API_URL),
    )
