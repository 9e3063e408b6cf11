"""Datadog provider: not implemented in this version; configuring it fails clearly instead of leaving gaps."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from source_usage_metering.config import Account, UsageMeteringConfig
from source_usage_metering.errors import ConfigError


class DatadogProvider:
    """Refuses to build, so `check` fails naming the account and `read` stops before emitting anything."""

    name = "datadog"

    def __init__(self, account: Account, config: UsageMeteringConfig, *, now: datetime) -> NoReturn:
        raise ConfigError(f"accounts[{account.index}].provider", "'datadog' is not supported by this version yet")
