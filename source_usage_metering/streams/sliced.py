"""The streams read in provider slices (usage, focus_cost): planning, per-partition cursors, refusals, failures.

The cursor of each state partition is the end of its last completed slice (never the largest record's end: a
current period can end in the future), checkpointed after every slice, never past a point a slice held back.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from airbyte_cdk.models import SyncMode

from source_usage_metering.providers.base import Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.streams.base import UnifiedStream, long_lived_objects_frozen, partition_key
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.streams.spool import CostSpool
from source_usage_metering.windows import iso, parse_iso


class SlicedStream(UnifiedStream):
    """A unified stream read slice by slice from each provider's usage plan; subclasses say what a slice yields."""

    def __init__(
        self, providers: list[UsageProvider], guard: OverlapGuard | None = None, spool: CostSpool | None = None
    ) -> None:
        super().__init__(providers, guard)
        self.spool = spool or CostSpool()
        self._held_at: dict[str, str] = {}

    def wants(self, usage_slice: UsageSlice) -> bool:
        """Whether this stream reads a planned slice."""
        return True

    @abstractmethod
    def slice_records(
        self, provider: UsageProvider, usage_slice: UsageSlice, progress: SliceProgress
    ) -> Iterator[Mapping[str, Any]]:
        """The records of one slice; `progress` tells how far the cursor may move once they are all read."""

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """Each account's slices, oldest first; accounts one after another (all planned first, for estimates)."""
        with long_lived_objects_frozen():
            yield from self._slices(sync_mode == SyncMode.incremental)

    def _slices(self, incremental: bool) -> Iterator[Mapping[str, Any]]:
        plans: list[tuple[int, list[UsageSlice]]] = []
        for position, provider in enumerate(self._providers):
            try:
                self.claim_partition(provider)
                planned = provider.plan_usage(_Cursors(self, incremental))
                plans.append((position, [usage_slice for usage_slice in planned if self.wants(usage_slice)]))
            except Exception as error:
                self.account_failed(provider, error)
        self.forget_removed_accounts()
        self.progress.slices_planned = sum(len(planned) for _, planned in plans)
        for position, planned in plans:
            provider = self._providers[position]
            for usage_slice in planned:
                if self.is_failed(provider):
                    break
                yield {
                    "account": position,
                    "partition": usage_slice.partition,
                    "start": iso(usage_slice.start),
                    "end": iso(usage_slice.end),
                    "cursor_after": iso(usage_slice.cursor_after),
                    "params": usage_slice.params,
                    "measures_only": usage_slice.measures_only,
                }
            # The generator resumes here only once the account's last slice was read.
            self.finish_account(provider)
        self.finish()

    def finish_account(self, provider: UsageProvider) -> None:
        """After the account's last slice: fail it now if its refusals say so."""
        if self.is_failed(provider):
            return
        try:
            provider.finish_usage(self.name)
        except Exception as error:  # an account's failure is reported after every account was read
            self.account_failed(provider, error)

    def bounded(self, partition: Partition, progress: SliceProgress) -> str:
        """The cursor a completed slice allows, never past a point an earlier slice of the partition held back."""
        key = partition_key(partition)
        value = iso(progress.cursor_after)
        if progress.held:
            self._held_at[key] = min(self._held_at.get(key, value), value)
        return min(value, self._held_at.get(key, value))

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """Every record of one slice; the partition's cursor moves only once the slice is complete."""
        if not stream_slice:
            return
        provider = self._providers[stream_slice["account"]]
        usage_slice = UsageSlice(
            partition=stream_slice["partition"],
            start=parse_iso(stream_slice["start"]),
            end=parse_iso(stream_slice["end"]),
            cursor_after=parse_iso(stream_slice["cursor_after"]),
            params=dict(stream_slice.get("params") or {}),
            measures_only=bool(stream_slice.get("measures_only")),
        )
        window = f"{stream_slice['start'][:16]}..{stream_slice['end'][:16]}"
        progress = SliceProgress(usage_slice.cursor_after, reader=self.name)
        records = self.slice_records(provider, usage_slice, progress)
        completed = yield from self.guarded(provider, records, window)
        provider.settle(progress)
        self.slice_done(usage_slice, progress, completed)
        if completed and not progress.deferred:
            self.set_cursor_value(usage_slice.partition, self.bounded(usage_slice.partition, progress))
        estimate = self.progress.estimate()
        if estimate is not None:
            yield estimate

    def slice_done(self, usage_slice: UsageSlice, progress: SliceProgress, completed: bool) -> None:
        """A hook once a slice's records were all passed on (or an error stopped them)."""


class _Cursors:
    """A sliced stream's saved cursors as providers read them (`providers.base.CursorLookup`)."""

    def __init__(self, stream: SlicedStream, incremental: bool) -> None:
        self._stream = stream
        self._incremental = incremental

    def __call__(self, partition: Partition) -> datetime | None:
        value = self._stream.cursor_value(partition) if self._incremental else None
        return parse_iso(value) if value else None

    def pull_back(self, partition: Partition, moment: datetime) -> None:
        self._stream.replace_cursor_value(partition, iso(moment))
