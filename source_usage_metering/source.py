"""SourceUsageMetering: validates the config, checks every account and builds the four unified streams."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from airbyte_cdk.models import AirbyteConnectionStatus, Status
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.clock import utc_now
from source_usage_metering.config import UsageMeteringConfig, parse_config
from source_usage_metering.errors import ConfigError, UsageMeteringError
from source_usage_metering.providers import build_provider
from source_usage_metering.streams import Organizations, Products, Usage, Workspaces

CHECK_RETRIES = 1  # a check answers quickly; a sync retries with the full bound


def load_config(raw: Mapping[str, Any], now: datetime) -> UsageMeteringConfig:
    """Parse the config and register every account secret for masking in all output."""
    register_secrets(raw)
    return parse_config(raw, today=now.date())


def register_secrets(raw: Any) -> None:
    """Mask every secret nested in `accounts`, even in an invalid config (the CDK only sees top-level ones)."""
    items = raw.get("accounts") if isinstance(raw, Mapping) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            for key in ("api_key", "api_secret", "application_key"):
                value = item.get(key)
                if isinstance(value, str) and value:
                    add_to_secrets(value)


class SourceUsageMetering(AbstractSource):
    """Unified usage and cost of Confluent Cloud and Datadog accounts in four streams."""

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Check every account; the message lists what each failing account must fix (no repr quoting)."""
        succeeded, message = self.check_connection(logger, config)
        return AirbyteConnectionStatus(status=Status.SUCCEEDED if succeeded else Status.FAILED, message=message)

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> tuple[bool, str | None]:
        """Validate the config, then prove each account's credentials and permissions."""
        now = utc_now()
        try:
            parsed = load_config(config, now)
        except ConfigError as error:
            return False, error.message
        problems = []
        for account in parsed.accounts:
            try:
                provider = build_provider(account, parsed, now=now)
                provider.max_retries = CHECK_RETRIES
                provider.check()
                logger.info("%s: check succeeded", account.label)
            except (UsageMeteringError, AirbyteTracedException) as error:
                problems.append(error.message or str(error))
            except Exception as error:
                problems.append(f"{account.label}: check failed unexpectedly ({type(error).__name__})")
        return (not problems), (" | ".join(problems) or None)

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """organizations, products, usage and workspaces over every configured account."""
        now = utc_now()
        try:
            parsed = load_config(config, now)
            providers = [build_provider(account, parsed, now=now) for account in parsed.accounts]
        except UsageMeteringError as error:
            raise error.to_traced() from None
        return [Organizations(providers), Products(providers), Usage(providers), Workspaces(providers)]
