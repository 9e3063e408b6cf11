"""SourceUsageMetering: validates the config, checks every account and builds the unified streams.

It knows no provider: accounts, spec variants and provider objects all come from the registry (`providers`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    Status,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.clock import utc_now
from source_usage_metering.config import UsageMeteringConfig, parse_config
from source_usage_metering.errors import ConfigError, UsageMeteringError
from source_usage_metering.masking import register_secrets
from source_usage_metering.providers import build_provider
from source_usage_metering.spec import connector_specification
from source_usage_metering.state import read_state_text
from source_usage_metering.streams import CURSOR_FIELDS, FocusCost, Organizations, Products, Usage, Workspaces
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.streams.spool import CostSpool

CHECK_RETRIES = 1  # a check answers quickly; a sync retries with the full bound
# Streams whose records reference the entity streams' records, read first, in this order (focus_cost replays
# what usage read).
READ_FIRST = (Usage.name, FocusCost.name)


def load_config(raw: Mapping[str, Any], now: datetime) -> UsageMeteringConfig:
    """Parse the config and register every account secret for masking in all output."""
    register_secrets(raw)
    return parse_config(raw, today=now.date())


class SourceUsageMetering(AbstractSource):
    """Unified usage and cost of every configured provider account in four streams."""

    @classmethod
    def read_state(cls, state_path: str) -> list[AirbyteStateMessage]:
        """The `--state` file through the one state reader (`state.py`): accepted shapes, or a config error.

        Raises:
            StateError: when the file is not a state this connector reads (what is wrong, and the expected shape).
            OSError: when the file cannot be read (the entrypoint reports it as a config error).
        """
        if not state_path:
            return []
        with open(state_path, encoding="utf-8") as file:
            messages = read_state_text(file.read(), CURSOR_FIELDS)
        return [AirbyteStateMessageSerializer.load(message) for message in messages]

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        """The spec with one `accounts[]` variant per registered provider."""
        return connector_specification()

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
        problems, notes = [], []
        for account in parsed.accounts:
            try:
                skipped = build_provider(account, parsed, now=now, max_retries=CHECK_RETRIES).check() or []
                notes += [f"{account.label}: {note}" for note in skipped]
                logger.info("%s: check succeeded", account.label)
            except (UsageMeteringError, AirbyteTracedException) as error:
                problems.append(error.message or str(error))
            except Exception as error:
                problems.append(f"{account.label}: check failed unexpectedly ({type(error).__name__})")
        if problems:
            return False, " | ".join(problems + notes)
        return True, ("Succeeded; a sync will skip: " + " | ".join(notes)) if notes else None

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        """The CDK's read, with the streams whose records name others (usage) read first.

        Then organizations and products include every org and product this sync's usage records named, so every
        reference resolves within the sync (a child org first seen in hourly usage, a product only in old rows).
        """
        first = {name: position for position, name in enumerate(READ_FIRST)}
        ordered = sorted(catalog.streams, key=lambda configured: first.get(configured.stream.name, len(first)))
        self._selected = frozenset(configured.stream.name for configured in catalog.streams)
        yield from super().read(logger, config, dataclasses.replace(catalog, streams=ordered), state)

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """focus_cost, organizations, products, usage and workspaces over every configured account."""
        now = utc_now()
        try:
            parsed = load_config(config, now)
            providers = [build_provider(account, parsed, now=now) for account in parsed.accounts]
        except UsageMeteringError as error:
            raise error.to_traced() from None
        guard, spool = OverlapGuard(providers), CostSpool()
        spool.enabled = {Usage.name, FocusCost.name} <= getattr(self, "_selected", frozenset())
        return [
            FocusCost(providers, guard, spool),
            Organizations(providers, guard),
            Products(providers, guard),
            Usage(providers, guard, spool),
            Workspaces(providers, guard),
        ]
