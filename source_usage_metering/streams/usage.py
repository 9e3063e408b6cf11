"""usage: cost lines and usage measurements of every account, incremental on `end_date` with lookback.

The cursor of each state partition is the end of its last completed slice (never the largest record `end_date`:
a current period can end in the future), checkpointed after every slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from airbyte_cdk.models import SyncMode

from source_usage_metering.errors import ConfigError
from source_usage_metering.providers.base import Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.records import UsageRecord
from source_usage_metering.streams.base import UnifiedStream, long_lived_objects_frozen, partition_key
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.windows import iso, parse_iso


class Usage(UnifiedStream):
    """Cost lines (Confluent day x resource x line type; Datadog org x product x month) and hourly measurements."""

    name = "usage"
    cursor_field = "end_date"

    def __init__(self, providers: list[UsageProvider], guard: OverlapGuard | None = None) -> None:
        super().__init__(providers, guard)
        self._held_at: dict[str, str] = {}
        self._org_readers: dict[str, str] = {}  # organization id -> the account whose records name it

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
                plans.append((position, list(provider.plan_usage(self._cursor_lookup(incremental)))))
            except Exception as error:
                self.account_failed(provider, error)
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
                }
            # The generator resumes here only once the account's last slice was read.
            self._finish_account(provider)
        self.finish()

    def _finish_account(self, provider: UsageProvider) -> None:
        if self.is_failed(provider):
            return
        try:
            provider.finish_usage()
        except Exception as error:  # an account's failure is reported after every account was read
            self.account_failed(provider, error)

    def _one_reader_per_org(self, provider: UsageProvider, records: Iterable[UsageRecord]) -> Iterator[UsageRecord]:
        """The records, failing the account at a record of an organization another account's records named.

        The overlap guard refuses such accounts before reading; this is its run-time check (a child org that
        appeared after the guard looked): the record is not emitted, so no line arrives twice.
        """
        readers, label, last = self._org_readers, provider.label, None
        for record in records:
            organization = record["organization"]
            if organization is not last:  # records of one org share their reference object
                reader = readers.setdefault(organization["id"], label)
                if reader != label:
                    raise ConfigError(
                        provider.config_path,
                        f"reads organization {organization['id']}, which {reader} also reads; every line would "
                        "arrive twice: remove one of the two accounts, or set include_child_orgs to false on the "
                        "parent organization's account",
                    )
                last = organization
            yield record

    def _bounded(self, partition: Partition, progress: SliceProgress) -> str:
        """The cursor a completed slice allows, never past a point an earlier slice of the partition held back."""
        key = partition_key(partition)
        value = iso(progress.cursor_after)
        if progress.held:
            self._held_at[key] = min(self._held_at.get(key, value), value)
        return min(value, self._held_at.get(key, value))

    def _cursor_lookup(self, incremental: bool) -> _Cursors:
        return _Cursors(self, incremental)

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
        )
        window = f"{stream_slice['start'][:16]}..{stream_slice['end'][:16]}"
        progress = SliceProgress(usage_slice.cursor_after)
        records = self._one_reader_per_org(provider, provider.iter_usage(usage_slice, progress))
        completed = yield from self.guarded(provider, records, window)
        if completed and not progress.deferred:
            self.set_cursor_value(usage_slice.partition, self._bounded(usage_slice.partition, progress))
        estimate = self.progress.estimate()
        if estimate is not None:
            yield estimate


class _Cursors:
    """The usage stream's saved cursors as providers read them (`providers.base.CursorLookup`)."""

    def __init__(self, stream: Usage, incremental: bool) -> None:
        self._stream = stream
        self._incremental = incremental

    def __call__(self, partition: Partition) -> datetime | None:
        value = self._stream.cursor_value(partition) if self._incremental else None
        return parse_iso(value) if value else None

    def pull_back(self, partition: Partition, moment: datetime) -> None:
        self._stream.replace_cursor_value(partition, iso(moment))
