"""Config parsing: raw connector JSON to typed, validated accounts, once per run.

The top-level settings are parsed here; each `accounts[]` item by the parser its provider registered (see
`providers`), with the field helpers below so every provider words its errors alike.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

from source_usage_metering.errors import ConfigError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_NUM_WORKERS = 4  # the name and default of Airbyte's concurrent connectors
MAX_NUM_WORKERS = 20


class AccountBase:
    """What every provider's account type has and derives: its position, provider, name, URL and key id.

    Provider packages define frozen dataclasses with these attributes plus their own settings and secrets.
    """

    index: int
    name: str | None
    api_url: str
    provider: str
    key_field: ClassVar[str]  # the field naming the credential (e.g. `api_key`); its secret stays apart

    @property
    def key_id(self) -> str:
        """What tells two credentials of one provider and host apart (compared only, never printed)."""
        return str(getattr(self, self.key_field))

    @property
    def label(self) -> str:
        """How logs and errors name this account (never a secret)."""
        return f"accounts[{self.index}] ({self.provider}{': ' + self.name if self.name else ''})"

    @property
    def config_path(self) -> str:
        """The account's place in the config, as error messages name fields: `accounts[2]`."""
        return f"accounts[{self.index}]"

    @property
    def host(self) -> str:
        """Host (and a non-default port) of the API, lower-cased: part of the state key, however the URL is written."""
        parts = urlsplit(self.api_url)
        host = (parts.hostname or "").lower()
        host = f"[{host}]" if ":" in host else host
        default_port = 443 if parts.scheme == "https" else 80
        return host if parts.port in (None, default_port) else f"{host}:{parts.port}"


@dataclass(frozen=True)
class UsageMeteringConfig:
    """The whole connector config, validated.

    `end_date` is inclusive, as users read dates.
    """

    accounts: tuple[AccountBase, ...]
    start_date: date | None = None
    end_date: date | None = None
    lookback_days: int | None = None
    include_remote_data: bool = True
    num_workers: int = DEFAULT_NUM_WORKERS


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
    if lookback is not None and (not is_int(lookback) or not 0 <= lookback <= 365):
        raise ConfigError("lookback_days", "must be a whole number of days from 0 to 365")
    include_remote_data = raw.get("include_remote_data", True)
    if not isinstance(include_remote_data, bool):
        raise ConfigError("include_remote_data", "must be true or false")
    workers = raw.get("num_workers", DEFAULT_NUM_WORKERS)
    if not is_int(workers) or not 1 <= workers <= MAX_NUM_WORKERS:
        raise ConfigError("num_workers", f"must be a whole number from 1 to {MAX_NUM_WORKERS}")
    return UsageMeteringConfig(accounts, start, end, lookback, include_remote_data, workers)


def _parse_accounts(items: Any) -> tuple[AccountBase, ...]:
    if not isinstance(items, list) or not items:
        raise ConfigError("accounts", "must be a non-empty list of provider accounts")
    accounts = tuple(_parse_account(i, item) for i, item in enumerate(items))
    seen: dict[tuple[str, str, str], int] = {}
    for account in accounts:
        key = (account.provider, account.host, account.key_id)
        if key in seen:
            raise ConfigError(
                account.config_path, f"duplicates accounts[{seen[key]}] (same provider, host and API key)"
            )
        seen[key] = account.index
    return accounts


def _parse_account(index: int, item: Any) -> AccountBase:
    from source_usage_metering.providers import provider_specs

    path = f"accounts[{index}]"
    if not isinstance(item, Mapping):
        raise ConfigError(path, "must be an object with a provider and its keys")
    specs = provider_specs()
    provider = item.get("provider")
    if isinstance(provider, str) and provider in specs:
        return specs[provider].parse_account(index, item)
    shown = provider if isinstance(provider, str) and len(provider) <= 40 else "missing"
    raise ConfigError(f"{path}.provider", f"unknown provider '{shown}'; valid providers: {', '.join(specs)}")


def secret(item: Mapping[str, Any], path: str, key: str) -> str:
    """A required secret field of an account item.

    A secret travels in HTTP headers: only printable ASCII can. A control character (a line break pasted inside a
    key) would otherwise reach requests, whose error quotes the whole header value.

    Raises:
        ConfigError: naming `<path>.<key>` when missing, empty, padded with white space, or holding a control or
            non-ASCII character (never the value).
    """
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}.{key}", "is required and must be a non-empty string")
    if value != value.strip():
        raise ConfigError(f"{path}.{key}", "has leading or trailing white space")
    for position, char in enumerate(value, start=1):
        if not " " <= char <= "~":
            raise ConfigError(f"{path}.{key}", _odd_character(char, position))
    return value


def _odd_character(char: str, position: int) -> str:
    """Why a secret's character is refused; names its kind and position, never the value."""
    if char < " " or char == "\x7f":
        return (
            f"contains a control character (a line break, tab or the like) at position {position}; "
            "paste the value again on one line"
        )
    return (
        f"contains a character that is not plain ASCII at position {position} (a typographic quote or a "
        "non-breaking space pasted with it?); the keys and secrets of the providers are plain ASCII"
    )


def optional_str(item: Mapping[str, Any], path: str, key: str) -> str | None:
    """An optional text field; None when absent or empty.

    Raises:
        ConfigError: when the value is not a string.
    """
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}.{key}", "must be a string")
    return value or None


def api_url(item: Mapping[str, Any], path: str, default: str) -> str:
    """The account's API base URL (`api_url`, else `default`), without a trailing slash.

    Raises:
        ConfigError: unless it is an absolute https URL (http only for loopback) without credentials or query.
    """
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


def is_int(value: Any) -> bool:
    """True for a JSON whole number (never a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)
