"""A Confluent Cloud account: its config item, parser, secrets and hosts (its spec fragment is `spec.yaml`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from source_usage_metering.config import AccountBase, api_url, optional_str, secret

API_URL = "https://api.confluent.cloud"
NAME = "confluent"
SECRET_FIELDS = ("api_key", "api_secret")
ALLOWED_HOSTS = ("api.confluent.cloud",)


@dataclass(frozen=True)
class ConfluentAccount(AccountBase):
    """One Confluent Cloud organization, reached with a Cloud API key."""

    index: int
    name: str | None
    api_key: str
    api_secret: str
    api_url: str = API_URL
    provider: Literal["confluent"] = "confluent"
    key_field: ClassVar[str] = "api_key"


def parse_account(index: int, item: Mapping[str, Any]) -> ConfluentAccount:
    """A validated `accounts[index]` item of provider `confluent`.

    Raises:
        ConfigError: naming the field (`accounts[1].api_secret`), never its value.
    """
    path = f"accounts[{index}]"
    return ConfluentAccount(
        index=index,
        name=optional_str(item, path, "name"),
        api_key=secret(item, path, "api_key"),
        api_secret=secret(item, path, "api_secret"),
        api_url=api_url(item, path, API_URL),
    )
