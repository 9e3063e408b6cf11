"""Config parsing: raw connector JSON to typed, validated accounts, once per run."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from source_usage_metering.errors import ConfigError

DATADOG_SITES = (
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
CONFLUENT_API_URL = "https://api.confluent.cloud"
DEFAULT_HOURLY_USAGE_DAYS = 7
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class _AccountNaming:
    """What every account item derives from its position, provider, name and URL."""

    index: int
    name: str | None
    api_url: str
    provider: str

    @property
    def label(self) -> str:
        """How logs and errors name this account (never a secret)."""
        return f"accounts[{self.index}] ({self.provider}{': ' + self.name if self.name else ''})"

    @property
    def host(self) -> str:
        """Host (and a non-default port) of the API, lower-cased: part of the state key, however the URL is written."""
        parts = urlsplit(self.api_url)
        host = (parts.hostname or "").lower()
        host = f"[{host}]" if ":" in host else host
        default_port = 443 if parts.scheme == "https" else 80
        return host if parts.port in (None, default_port) else f"{host}:{parts.port}"


@dataclass(frozen=True)
class ConfluentAccount(_AccountNaming):
    """One Confluent Cloud organization, reached with a Cloud API key."""

    index: int
    name: str | None
    api_key: str
    api_secret: str
    api_url: str = CONFLUENT_API_URL
    provider: Literal["confluent"] = "confluent"


@dataclass(frozen=True)
class DatadogAccount(_AccountNaming):
    """One Datadog organization (usually a parent org), reached with an API and an application key."""

    index: int
    name: str | None
    api_key: str
    application_key: str
    site: str = "datadoghq.com"
    api_url: str = "https://api.datadoghq.com"
    currency: str = "USD"
    product_families: tuple[str, ...] = ("all",)
    include_child_orgs: bool | None = None
    hourly_usage_days: int = DEFAULT_HOURLY_USAGE_DAYS
    provider: Literal["datadog"] = "datadog"


Account = ConfluentAccount | DatadogAccount


@dataclass(frozen=True)
class UsageMeteringConfig:
    """The whole connector config, validated.

    `end_date` is inclusive, as users read dates.
    """

    accounts: tuple[Account, ...]
    start_date: date | None = None
    end_date: date | None = None
    lookback_days: int | None = None
    include_remote_data: bool = True


def parse_config(raw: Mapping[str, Any], *, today: date) -> UsageMeteringConfig:
    """Validate the raw config and turn it into typed accounts.

    Args:
        raw: the connector config as JSON.
        today: the current UTC date (start dates may not lie after it).

    Returns:
        The validated config.

    Raises:
        ConfigError: naming the field path (for example `accounts[1].api_secret`); never quoting a secret.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError("config", "must be a JSON object")
    accounts = _parse_accounts(raw.get("accounts"))
    start = _optional_date(raw, "start_date")
    end = _optional_date(raw, "end_date")
    if start and start > today:
        raise ConfigError("start_date", f"{start.isoformat()} lies in the future (today is {today.isoformat()} UTC)")
    if start and end and end < start:
        raise ConfigError("end_date", f"{end.isoformat()} is before start_date {start.isoformat()}")
    lookback = raw.get("lookback_days")
    if lookback is not None and (not _is_int(lookback) or not 0 <= lookback <= 365):
        raise ConfigError("lookback_days", "must be a whole number of days from 0 to 365")
    include_remote_data = raw.get("include_remote_data", True)
    if not isinstance(include_remote_data, bool):
        raise ConfigError("include_remote_data", "must be true or false")
    return UsageMeteringConfig(accounts, start, end, lookback, include_remote_data)


def _parse_accounts(items: Any) -> tuple[Account, ...]:
    if not isinstance(items, list) or not items:
        raise ConfigError("accounts", "must be a non-empty list of provider accounts")
    accounts = tuple(_parse_account(i, item) for i, item in enumerate(items))
    seen: dict[tuple[str, str, str], int] = {}
    for account in accounts:
        key = (account.provider, account.host, account.api_key)
        if key in seen:
            raise ConfigError(
                f"accounts[{account.index}]", f"duplicates accounts[{seen[key]}] (same provider, host and API key)"
            )
        seen[key] = account.index
    return accounts


def _parse_account(index: int, item: Any) -> Account:
    path = f"accounts[{index}]"
    if not isinstance(item, Mapping):
        raise ConfigError(path, "must be an object with a provider and its keys")
    provider = item.get("provider")
    if provider == "confluent":
        return _parse_confluent(index, path, item)
    if provider == "datadog":
        return _parse_datadog(index, path, item)
    shown = provider if isinstance(provider, str) and len(provider) <= 40 else "missing"
    raise ConfigError(f"{path}.provider", f"unknown provider '{shown}'; valid providers: confluent, datadog")


def _parse_confluent(index: int, path: str, item: Mapping[str, Any]) -> ConfluentAccount:
    return ConfluentAccount(
        index=index,
        name=_optional_str(item, path, "name"),
        api_key=_secret(item, path, "api_key"),
        api_secret=_secret(item, path, "api_secret"),
        api_url=_api_url(item, path, CONFLUENT_API_URL),
    )


def _parse_datadog(index: int, path: str, item: Mapping[str, Any]) -> DatadogAccount:
    site = item.get("site", "datadoghq.com")
    if site not in DATADOG_SITES:
        shown = site if isinstance(site, str) and len(site) <= 60 else "?"
        raise ConfigError(f"{path}.site", f"unknown Datadog site '{shown}'; valid sites: {', '.join(DATADOG_SITES)}")
    currency = item.get("currency", "USD")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise ConfigError(f"{path}.currency", "must be a three-letter ISO 4217 code such as USD")
    families = item.get("product_families") or ["all"]
    if not isinstance(families, list) or not all(isinstance(f, str) and f.strip() for f in families):
        raise ConfigError(f"{path}.product_families", "must be a list of product family names")
    child_orgs = item.get("include_child_orgs")
    if child_orgs is not None and not isinstance(child_orgs, bool):
        raise ConfigError(f"{path}.include_child_orgs", "must be true or false")
    days = item.get("hourly_usage_days", DEFAULT_HOURLY_USAGE_DAYS)
    if not _is_int(days) or not 1 <= days <= 450:
        raise ConfigError(f"{path}.hourly_usage_days", "must be a whole number of days from 1 to 450")
    return DatadogAccount(
        index=index,
        name=_optional_str(item, path, "name"),
        api_key=_secret(item, path, "api_key"),
        application_key=_secret(item, path, "application_key"),
        site=site,
        api_url=_api_url(item, path, f"https://api.{site}"),
        currency=currency,
        product_families=tuple(f.strip() for f in families),
        include_child_orgs=child_orgs,
        hourly_usage_days=days,
    )


def _secret(item: Mapping[str, Any], path: str, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}.{key}", "is required and must be a non-empty string")
    if value != value.strip():
        raise ConfigError(f"{path}.{key}", "has leading or trailing white space")
    return value


def _optional_str(item: Mapping[str, Any], path: str, key: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}.{key}", "must be a string")
    return value or None


def _api_url(item: Mapping[str, Any], path: str, default: str) -> str:
    url = item.get("api_url") or default
    if not isinstance(url, str):
        raise ConfigError(f"{path}.api_url", "must be a URL string")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{path}.api_url", "must be an absolute https:// URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{path}.api_url", "must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"{path}.api_url", "plain http:// is allowed only for loopback hosts; use https://")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _optional_date(raw: Mapping[str, Any], key: str) -> date | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise ConfigError(key, "must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(key, f"'{value}' is not a calendar date") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
