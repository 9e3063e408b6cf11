"""The provider registry: name -> class. Nothing registers itself at import time."""

from __future__ import annotations

from datetime import datetime

from source_usage_metering.config import Account, UsageMeteringConfig
from source_usage_metering.providers.base import UsageProvider


def provider_classes() -> dict[str, type[UsageProvider]]:
    """The known providers (imported on demand to keep `spec` fast)."""
    from source_usage_metering.providers.confluent import ConfluentProvider
    from source_usage_metering.providers.datadog import DatadogProvider

    return {"confluent": ConfluentProvider, "datadog": DatadogProvider}


def build_provider(account: Account, config: UsageMeteringConfig, *, now: datetime) -> UsageProvider:
    """The provider object for one configured account."""
    return provider_classes()[account.provider](account, config, now=now)
