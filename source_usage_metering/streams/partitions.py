"""The sliced streams in the CDK's concurrent framework: a partition per usage slice, and a per-account cursor.

The CDK reads partitions in its worker pool and hands records to the main thread through one bounded queue
(`ConcurrentSource`); what it cannot do for us is our state: a cursor per account (per provider, host, tenant
and kind), moved only to the end of the slices completed *without a gap* from the account's first planned slice,
with each slice's refusals judged in plan order whatever order the reads finish in. `AccountCursor` does that
(the CDK's `ConcurrentCursor` keeps one date range per stream).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record

from source_usage_metering.providers.base import SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.windows import iso

if TYPE_CHECKING:
    from source_usage_metering.streams.sliced import SlicedStream


class SlicePartition(Partition):
    """One usage slice of one account: what the CDK's worker pool reads (typed: no dict round trip)."""

    def __init__(self, stream: SlicedStream, provider: UsageProvider, usage_slice: UsageSlice) -> None:
        self.stream = stream
        self.provider = provider
        self.usage_slice = usage_slice
        self.progress = SliceProgress(usage_slice.cursor_after, reader=stream.name)
        self.completed = False  # every record was read (the cursor may move past the slice)
        self.closed = False  # the worker is done with it, completed or not

    def read(self) -> Iterable[Record]:
        """The slice's records (in a worker thread)."""
        return self.stream.read_partition(self)

    def to_slice(self) -> Mapping[str, Any]:
        """The slice as logs show it."""
        return {
            "account": self.provider.label,
            "partition": self.usage_slice.partition,
            "start": iso(self.usage_slice.start),
            "end": iso(self.usage_slice.end),
        }

    def stream_name(self) -> str:
        """The stream it belongs to."""
        return self.stream.name

    def __hash__(self) -> int:
        return id(self)


class FailedAccount(Partition):
    """An account that failed before any slice was planned: reading it reports the failure (and nothing else)."""

    def __init__(self, stream: SlicedStream, provider: UsageProvider, failure: Exception) -> None:
        self.stream = stream
        self.provider = provider
        self.failure = failure

    def read(self) -> Iterable[Record]:
        """Raise the account's failure as the stream's error for it."""
        raise self.stream.reportable(self.failure, self.provider)

    def to_slice(self) -> Mapping[str, Any]:
        """The account."""
        return {"account": self.provider.label}

    def stream_name(self) -> str:
        """The stream it belongs to."""
        return self.stream.name

    def __hash__(self) -> int:
        return id(self)


class SliceGenerator(PartitionGenerator):
    """The stream's partitions: every account planned first (the overlap guard needs them all), then interleaved."""

    def __init__(self, stream: SlicedStream) -> None:
        self.stream = stream

    def generate(self) -> Iterable[Partition]:
        """Partitions of every account, one slice of each account in turn, so the pool spans accounts."""
        per_account = self.stream.plan_partitions()
        for round_ in itertools.zip_longest(*per_account):
            yield from (partition for partition in round_ if partition is not None)


class AccountCursor(Cursor):
    """Per-account cursors, moved over contiguous completed slices, checkpointed through the CDK's state manager.

    `close_partition` is called from worker threads in completion order; the lock makes each call see a consistent
    view, and `SlicedStream.settle_closed` walks each account's slices in plan order.
    """

    def __init__(
        self, stream: SlicedStream, state_manager: ConnectorStateManager, message_repository: MessageRepository
    ) -> None:
        self._stream = stream
        self._state_manager = state_manager
        self._message_repository = message_repository
        self._lock = threading.RLock()

    @property
    def state(self) -> MutableMapping[str, Any]:
        """The stream's state: every partition's cursor."""
        return self._stream.state

    def observe(self, record: Record) -> None:
        """Cursors follow slices, not records."""

    def close_partition(self, partition: Partition) -> None:
        """A slice was read (completely or not): move what can move, in plan order; checkpoint.

        Raises:
            The failure of an account whose last slice settled with refusals that must fail it.
        """
        with self._lock:
            moved, failure = self._stream.settle_closed(partition)
            if moved:
                self.emit_state()
        if failure is not None:
            raise failure

    def emit_state(self) -> None:
        """A STATE message with every partition's cursor, after the records it covers (the queue keeps order)."""
        with self._lock:
            name = self._stream.name
            self._state_manager.update_state_for_stream(name, None, dict(self._stream.state))
            self._message_repository.emit_message(self._state_manager.create_state_message(name, None))

    def ensure_at_least_one_state_emitted(self) -> None:
        """The stream is done: its summary line and final state."""
        self._stream.summarize()
        self.emit_state()

    def should_be_synced(self, record: Record) -> bool:
        """Every record a slice yields belongs to the sync."""
        return True

    def stream_slices(self) -> Iterator[Any]:
        """Slices come from `SliceGenerator`."""
        return iter(())
