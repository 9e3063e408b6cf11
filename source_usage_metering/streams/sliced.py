"""The streams read in provider slices (usage, focus_cost): planning, per-account cursors, refusals, failures.

They are read by the CDK's concurrent framework (`streams/partitions.py`): one partition per planned slice,
interleaved across accounts, `num_workers` at a time, each account pacing itself on its own rate-limit budget.
An account's cursor is the end of its slices completed without a gap from its first planned one (never past a
slice still in flight or failed), checkpointed as it moves; a slice's refusals are judged in plan order.
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.abstract_stream_facade import AbstractStreamFacade
from airbyte_cdk.sources.streams.concurrent.cursor import CursorField
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.types import Record
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.errors import ConfigError
from source_usage_metering.providers.base import Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.records import UsageRecord
from source_usage_metering.streams.base import UnifiedStream, as_failure, partition_key
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.streams.partitions import AccountCursor, FailedAccount, SliceGenerator, SlicePartition
from source_usage_metering.streams.spool import CostSpool
from source_usage_metering.windows import iso, parse_iso

logger = logging.getLogger("airbyte")
# usage and focus_cost never read at once: focus_cost replays what usage read (the CDK defers a stream of a
# blocking group while another of the group is active).
PROVIDER_READS = "provider-reads"


class SlicedStream(UnifiedStream, AbstractStreamFacade[DefaultStream]):
    """A unified stream read slice by slice from each provider's usage plan; subclasses say what a slice yields."""

    def __init__(
        self, providers: list[UsageProvider], guard: OverlapGuard | None = None, spool: CostSpool | None = None
    ) -> None:
        super().__init__(providers, guard)
        self.spool = spool or CostSpool()
        self._held_at: dict[str, str] = {}
        self._lock = threading.RLock()
        self._unsettled: dict[int, deque[SlicePartition]] = {}  # id(provider) -> its partitions in plan order
        self._finished: set[int] = set()
        self._cursor: AccountCursor | None = None
        self._message_repository: MessageRepository | None = None
        self._org_readers: dict[str, UsageProvider] = {}  # organization id -> the account whose records name it

    def wants(self, usage_slice: UsageSlice) -> bool:
        """Whether this stream reads a planned slice."""
        return True

    @abstractmethod
    def slice_records(
        self, provider: UsageProvider, usage_slice: UsageSlice, progress: SliceProgress
    ) -> Iterator[Mapping[str, Any]]:
        """The records of one slice (in a worker thread); `progress` tells how far the cursor may move."""

    def attach(
        self, state_manager: ConnectorStateManager, message_repository: MessageRepository, *, incremental: bool
    ) -> None:
        """Take the sync's saved state (ignored in a full refresh) and the queue-ordered message repository."""
        self.state = state_manager.get_stream_state(self.name, None) if incremental else {}
        self._message_repository = message_repository
        self._cursor = AccountCursor(self, state_manager, message_repository)

    def get_underlying_stream(self) -> DefaultStream:
        """This stream in the CDK's concurrent framework (`attach` first)."""
        if self._cursor is None:
            raise RuntimeError(f"stream {self.name} read before attach()")
        return DefaultStream(
            partition_generator=SliceGenerator(self),
            name=self.name,
            json_schema=self.get_json_schema,
            primary_key=[str(self.primary_key)],
            cursor_field=CursorField(str(self.cursor_field)),
            logger=logger,
            cursor=self._cursor,
            block_simultaneous_read=PROVIDER_READS,
        )

    def plan_partitions(self) -> list[list[Any]]:
        """Every account's partitions in plan order (an account that fails to plan: one partition reporting it).

        Accounts are planned at once, up to `num_workers`: planning may take requests (a Confluent key's org and
        environments, a Datadog key's org and recent rows), and the CDK generates a stream's partitions in one
        thread, so at 1 s a request eight accounts planned in turn kept the pool idle for half a minute.
        """
        workers = max(1, min(self._providers[0].config.num_workers if self._providers else 1, len(self._providers)))
        with ThreadPoolExecutor(workers, thread_name_prefix="plan") as pool:
            per_account = list(pool.map(self._plan_account, self._providers))
        self.forget_removed_accounts()
        self.progress.slices_planned = sum(isinstance(p, SlicePartition) for parts in per_account for p in parts)
        return per_account

    def _plan_account(self, provider: UsageProvider) -> list[Any]:
        try:
            self.claim_partition(provider)
            planned = [s for s in provider.plan_usage(_Cursors(self)) if self.wants(s)]
        except Exception as error:
            with self._lock:
                self.account_failed(provider, error)
            return [FailedAccount(self, provider, error)]
        partitions = [SlicePartition(self, provider, usage_slice) for usage_slice in planned]
        with self._lock:
            self._unsettled[id(provider)] = deque(partitions)
        return partitions

    def read_partition(self, partition: SlicePartition) -> Iterator[Record]:
        """A slice's records, in a worker thread; an account's failure is reported once, its later slices skipped."""
        provider = partition.provider
        if self.is_failed(provider):
            return
        count, name = 0, self.name
        try:
            for record in self.slice_records(provider, partition.usage_slice, partition.progress):
                count += 1
                yield Record(record, name)
        except Exception as error:  # the account fails; the other accounts are read on
            with self._lock:
                first = not self.is_failed(provider)
                if first:
                    self.account_failed(provider, error)
            if first:  # reported once: a slice of it already in flight when it failed ends quietly (a gap)
                raise self.reportable(error, provider) from None
            return
        partition.count = count
        partition.completed = True

    def one_reader_per_org(self, provider: UsageProvider, records: Iterable[UsageRecord]) -> Iterator[UsageRecord]:
        """The records, failing the account at a record of an organization another account's records named.

        The overlap guard refuses such accounts before reading; this is its run-time check (a child org that
        appeared after the guard looked): the record is not emitted, so no line arrives twice. Accounts are read
        concurrently, so which of the two meets the organization second depends on timing: the error names both
        in config order, the same words either way (the next sync's guard then refuses one of them up front).
        """
        readers, last = self._org_readers, None
        for record in records:
            organization = record["organization"]
            if organization is not last:  # records of one org share their reference object
                reader = readers.setdefault(organization["id"], provider)
                if reader is not provider:
                    first, second = sorted((reader, provider), key=self._providers.index)
                    raise ConfigError(
                        provider.config_path,
                        f"{first.label} and {second.label} both read organization {organization['id']}; every "
                        "line would arrive twice: remove one of the two accounts, or set include_child_orgs to "
                        "false on the parent organization's account",
                    )
                last = organization
            yield record

    def reportable(self, error: Exception, provider: UsageProvider) -> AirbyteTracedException:
        """An account's failure as the stream reports it: our message, naming account, endpoint and cause.

        The message is also the internal message, secrets masked: the CDK prints this exception's repr at the end.
        """
        failure = as_failure(error, provider.label)
        message = filter_secrets(getattr(failure, "message", None) or str(failure))
        failure_type = getattr(failure, "failure_type", None) or FailureType.system_error
        return AirbyteTracedException(message=message, internal_message=message, failure_type=failure_type)

    def summarize(self) -> None:
        """Once the stream is done: one log line for it."""
        self.progress.log_summary()

    def settle_closed(self, partition: Any) -> tuple[bool, Exception | None]:
        """A partition was read: settle its account's slices that are now contiguous, in plan order.

        Returns:
            Whether a cursor moved, and the failure to report when the account's last slice settled with
            refusals that fail it.
        """
        if not isinstance(partition, SlicePartition):
            return False, None
        partition.closed = True
        provider = partition.provider
        queue = self._unsettled.get(id(provider))
        moved = False
        while queue and queue[0].closed:
            head = queue[0]
            if not head.completed:
                queue.clear()  # nothing after a gap (a failed or skipped slice) moves the cursor in this sync
                self._finished.add(id(provider))
                return moved, None
            try:
                moved |= self._settle(head)
            except Exception as error:  # a gap too: the cursor stays where the slices before it left it
                queue.clear()
                self._finished.add(id(provider))
                self.account_failed(provider, error)
                return moved, self.reportable(error, provider)
            queue.popleft()
        if queue is not None and not queue and id(provider) not in self._finished and not self.is_failed(provider):
            self._finished.add(id(provider))
            return moved, self._finish_account(provider)
        return moved, None

    def _settle(self, partition: SlicePartition) -> bool:
        provider, usage_slice, progress = partition.provider, partition.usage_slice, partition.progress
        provider.settle(progress)
        self.slice_done(usage_slice, progress)
        window = f"{iso(usage_slice.start)[:16]}..{iso(usage_slice.end)[:16]}"
        self.progress.slice_done(provider.label, window, getattr(partition, "count", 0))
        estimate = self.progress.estimate()
        if estimate is not None and self._message_repository is not None:
            self._message_repository.emit_message(estimate)
        if progress.deferred:
            return False
        self.set_cursor_value(usage_slice.partition, self.bounded(usage_slice.partition, progress))
        return True

    def _finish_account(self, provider: UsageProvider) -> Exception | None:
        """After the account's last slice settled: its refusals may fail it now."""
        try:
            provider.finish_usage(self.name)
        except Exception as error:
            self.account_failed(provider, error)
            return self.reportable(error, provider)
        return None

    def bounded(self, partition: Partition, progress: SliceProgress) -> str:
        """The cursor a completed slice allows, never past a point an earlier slice of the partition held back."""
        key = partition_key(partition)
        value = iso(progress.cursor_after)
        if progress.held:
            self._held_at[key] = min(self._held_at.get(key, value), value)
        return min(value, self._held_at.get(key, value))

    def slice_done(self, usage_slice: UsageSlice, progress: SliceProgress) -> None:
        """A hook once a completed slice settled (in plan order)."""

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """Not used: the CDK's concurrent framework reads the partitions of `SliceGenerator`."""
        return iter(())

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """Not used: records come from `read_partition`, in the CDK's worker pool."""
        return iter(())


class _Cursors:
    """A sliced stream's saved cursors as providers read them (`providers.base.CursorLookup`)."""

    def __init__(self, stream: SlicedStream) -> None:
        self._stream = stream

    def __call__(self, partition: Partition) -> datetime | None:
        value = self._stream.cursor_value(partition)
        return parse_iso(value) if value else None

    def pull_back(self, partition: Partition, moment: datetime) -> None:
        self._stream.replace_cursor_value(partition, iso(moment))
