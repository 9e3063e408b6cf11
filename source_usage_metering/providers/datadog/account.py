"""A Datadog account: its config item, parser, secrets and hosts (its spec fragment is `spec.yaml`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from source_usage_metering.config import AccountBase, api_url, is_int, optional_str, secret
from source_usage_metering.errors import ConfigError

# https://docs.datadoghq.com/getting_started/site/ — the API host of a site is `api.<site>`.
SITES = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
)
DEFAULT_SITE = "datadoghq.com"
NAME = "datadog"
SECRET_FIELDS = ("api_key", "application_key")
ALLOWED_HOSTS = tuple(f"api.{site}" for site in SITES)
DEFAULT_HOURLY_USAGE_DAYS = 7
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class DatadogAccount(AccountBase):
    """One Datadog organization (usually a parent org), reached with an API and an application key."""

    index: int
    name: str | None
    api_key: str
    application_key: str
    site: str = DEFAULT_SITE
    api_url: str = f"https://api.{DEFAULT_SITE}"
    currency: str = "USD"
    product_families: tuple[str, ...] = ("all",)
    include_child_orgs: bool | None = None
    hourly_usage_days: int = DEFAULT_HOURLY_USAGE_DAYS
    provider: Literal["datadog"] = "datadog"
    key_field: ClassVar[str] = "api_key"


def parse_account(index: int, item: Mapping[str, Any]) -> DatadogAccount:
    """A validated `accounts[index]` item of provider `datadog`.

    Raises:
        ConfigError: naming the field (`accounts[1].site`), never a secret's value.
    """
    path = f"accounts[{index}]"
    site = item.get("site", DEFAULT_SITE)
    if site not in SITES:
        shown = site if isinstance(site, str) and len(site) <= 60 else "?"
        raise ConfigError(f"{path}.site", f"unknown Datadog site '{shown}'; valid sites: {', '.join(SITES)}")
    currency = item.get("currency", "USD")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ConfigError(f"{path}.currency", "must be a three-letter ISO 4217 code such as USD")
    families = item.get("product_families") or ["all"]
    if not isinstance(families, list) or not all(isinstance(f, str) and f.strip() for f in families):
        raise ConfigError(f"{path}.product_families", "must be a list of product family names")
    child_orgs = item.get("include_child_orgs")
    if child_orgs is not None and not isinstance(child_orgs, bool):
        raise ConfigError(f"{path}.include_child_orgs", "must be true or false")
    days = item.get("hourly_usage_days", DEFAULT_HOURLY_USAGE_DAYS)
    if not is_int(days) or not 1 <= days <= 450:
        raise ConfigError(f"{path}.hourly_usage_days", "must be a whole number of days from 1 to 450")
    return DatadogAccount(
        index=index,
        name=optional_str(item, path, "name"),
        api_key=secret(item, path, "api_key"),
        application_key=secret(item, path, "application_key"),
        site=site,
        api_url=api_url(item, path, f"https://api.{site}"),
        currency=currency,
        product_families=tuple(f.strip() for f in families),
        include_child_orgs=child_orgs,
        hourly_usage_days=days,
    )
