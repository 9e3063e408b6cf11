"""SourceUsageMetering: validates the config, checks every account and builds the unified streams.

It knows no provider: accounts, spec variants and provider objects all come from the registry (`providers`).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from queue import Queue
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    FailureType,
    Status,
    SyncMode,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.concurrent_source.concurrent_source_adapter import ConcurrentSourceAdapter
from airbyte_cdk.sources.concurrent_source.thread_pool_manager import ThreadPoolManager
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository, MessageRepository
from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.clock import utc_now
from source_usage_metering.config import UsageMeteringConfig, parse_config
from source_usage_metering.errors import AccountsFailed, ConfigError, UsageMeteringError
from source_usage_metering.masking import register_secrets
from source_usage_metering.providers import build_provider
from source_usage_metering.spec import connector_specification
from source_usage_metering.state import read_state_text
from source_usage_metering.streams import CURSOR_FIELDS, FocusCost, Organizations, Products, Usage, Workspaces
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.streams.sliced import SlicedStream
from source_usage_metering.streams.spool import CostSpool

CHECK_RETRIES = 1  # a check answers quickly; a sync retries with the full bound
# Records and messages between the worker pool and the output. The CDK's declarative sources take 10,000; workers
# fill it faster than stdout drains it, so it held about 50 MB of records (benchmarks/concurrency.py: peak RSS 1.9x
# one worker's at 10,000, 1.4x at 1,000). The CDK's repository never blocks the main thread on a full queue.
QUEUE_SIZE = 1_000
FUTURES_LIMIT = ThreadPoolManager.DEFAULT_MAX_QUEUE_SIZE  # partitions pending in the pool (the CDK's default)
_logger = logging.getLogger("airbyte")
_SLICE_LOGGER = DebugSliceLogger()
# Streams whose records reference the entity streams' records, read first, in this order (focus_cost replays
# what usage read).
READ_FIRST = (Usage.name, FocusCost.name)


def load_config(raw: Mapping[str, Any], now: datetime) -> UsageMeteringConfig:
    """Parse the config and register every account secret for masking in all output."""
    register_secrets(raw)
    return parse_config(raw, today=now.date())


class SourceUsageMetering(ConcurrentSourceAdapter):
    """Unified usage and cost of every configured provider account in five streams.

    A `ConcurrentSourceAdapter`: the CDK reads usage and focus_cost with its worker pool (`num_workers`), the
    entity streams after them, one at a time.
    """

    def __init__(self) -> None:
        super().__init__(ConcurrentSource.create(1, 1, _logger, _SLICE_LOGGER, InMemoryMessageRepository()))
        self._sync: _SyncSetup | None = None
        self._streams: list[Stream] | None = None

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
        """Read the sliced streams (usage, focus_cost) concurrently, then the entity streams.

        usage goes first (focus_cost replays what it read; the entity streams then include every org and product
        its records named, so references resolve within the sync). The streams are built once per read, so every
        stream of the sync shares the same provider objects and their caches.
        """
        parsed = parse_config(config, today=utc_now().date())
        first = {name: position for position, name in enumerate(READ_FIRST)}
        ordered = sorted(catalog.streams, key=lambda configured: first.get(configured.stream.name, len(first)))
        self._sync = _SyncSetup(
            selected={configured.stream.name: configured.sync_mode for configured in catalog.streams},
            state_manager=ConnectorStateManager(state=state),
            repository=self._message_queue_repository(parsed.num_workers, logger),
        )
        self._streams = None
        try:
            yield from self._read_all(logger, config, dataclasses.replace(catalog, streams=ordered), state)
        finally:
            self._sync, self._streams = None, None

    def _read_all(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None,
    ) -> Iterator[AirbyteMessage]:
        """The concurrent streams, then the others even when a concurrent one failed; then the failures, together.

        The CDK's `ConcurrentSourceAdapter.read` stops at the first failure, which would hide every account's
        organizations, products and workspaces behind one account's failing usage.
        """
        concurrent = self._select_abstract_streams(config, catalog)
        names = {stream.name for stream in concurrent}
        regular = ConfiguredAirbyteCatalog(streams=[s for s in catalog.streams if s.stream.name not in names])
        failures: list[AirbyteTracedException] = []
        if concurrent:
            try:
                yield from self._concurrent_source.read(concurrent)
            except AirbyteTracedException as failure:
                failures.extend(self._account_failures(names) or [failure])
        if regular.streams:
            try:
                yield from AbstractSource.read(self, logger, config, regular, state)
            except AirbyteTracedException as failure:
                failures.append(failure)
        if failures:
            raise combined(failures)

    def _account_failures(self, names: set[str]) -> list[AirbyteTracedException]:
        """The sliced streams' failed accounts, one failure per stream with each account's message and type.

        The CDK ends a concurrent read that had a failing stream with its own summary, typed `config_error`
        whatever the cause and quoting the exceptions' reprs: a transient 500 must stay transient (platforms
        retry those, not config errors).
        """
        return [
            AccountsFailed(stream.name, stream.failures).to_traced()
            for stream in self._streams or []
            if isinstance(stream, SlicedStream) and stream.name in names and stream.failures
        ]

    def _message_queue_repository(self, num_workers: int, logger: logging.Logger) -> MessageRepository:
        """The CDK's concurrent source for this read, and the repository whose messages keep the queue's order."""
        queue: Queue[Any] = Queue(maxsize=QUEUE_SIZE)
        repository = ConcurrentMessageRepository(queue, InMemoryMessageRepository())
        # `ConcurrentSource.create`, but for one point: the CDK stops generating partitions while FUTURES_LIMIT are
        # pending, and with one worker the generator runs on that worker, so nothing would drain them (a hang at
        # 10,000 slices). Our partitions are planned up front and held anyway, so with one worker the limit goes.
        limit = sys.maxsize if num_workers == 1 else FUTURES_LIMIT
        pool = ThreadPoolExecutor(max_workers=num_workers, thread_name_prefix="workerpool")
        self._concurrent_source = ConcurrentSource(
            threadpool=ThreadPoolManager(pool, logger, max_concurrent_tasks=limit),
            logger=logger,
            slice_logger=self._slice_logger,
            queue=queue,
            message_repository=repository,
            initial_number_partitions_to_generate=1,
        )
        return repository

    @property
    def message_repository(self) -> MessageRepository:
        """The read's queue-ordered repository (the CDK's default outside a read)."""
        sync = getattr(self, "_sync", None)
        return sync.repository if sync is not None else super().message_repository

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """focus_cost, organizations, products, usage and workspaces over every configured account."""
        if getattr(self, "_streams", None) is not None:
            return self._streams
        now = utc_now()
        try:
            parsed = load_config(config, now)
            providers = [build_provider(account, parsed, now=now) for account in parsed.accounts]
        except UsageMeteringError as error:
            raise error.to_traced() from None
        guard, spool = OverlapGuard(providers, parsed.num_workers), CostSpool()
        streams: list[Stream] = [
            FocusCost(providers, guard, spool),
            Organizations(providers, guard),
            Products(providers, guard),
            Usage(providers, guard, spool),
            Workspaces(providers, guard),
        ]
        sync = getattr(self, "_sync", None)
        if sync is not None:
            spool.enabled = {Usage.name, FocusCost.name} <= set(sync.selected)
            for stream in streams:
                if isinstance(stream, SlicedStream):
                    incremental = sync.selected.get(stream.name) == SyncMode.incremental
                    stream.attach(sync.state_manager, sync.repository, incremental=incremental)
            self._streams = streams
        return streams


def combined(failures: list[AirbyteTracedException]) -> AirbyteTracedException:
    """One failure for the sync: every message, the most actionable failure type (config before transient)."""
    if len(failures) == 1:
        return failures[0]
    message = " | ".join(failure.message or str(failure) for failure in failures)
    types = [failure.failure_type for failure in failures]
    failure_type = next(
        (kind for kind in (FailureType.config_error, FailureType.transient_error) if kind in types),
        FailureType.system_error,
    )
    return AirbyteTracedException(message=message, internal_message=message, failure_type=failure_type)


@dataclasses.dataclass(frozen=True)
class _SyncSetup:
    """What one read shares between its streams."""

    selected: Mapping[str, SyncMode]
    state_manager: ConnectorStateManager
    repository: MessageRepository
