"""usage: cost lines and usage measurements of every account, incremental on `end_date` with lookback."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from source_usage_metering.providers.base import SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.streams.sliced import SlicedStream


class Usage(SlicedStream):
    """Cost lines (Confluent day x resource x line type; Datadog org x product x month) and hourly measurements."""

    name = "usage"
    cursor_field = "end_date"

    def slice_records(
        self, provider: UsageProvider, usage_slice: UsageSlice, progress: SliceProgress
    ) -> Iterator[Mapping[str, Any]]:
        """The provider's records of the slice (also written to the cost spool when focus_cost reads next)."""
        records = self.one_reader_per_org(provider, provider.iter_usage(usage_slice, progress))
        return self.spool.record(usage_slice, records)

    def slice_done(self, usage_slice: UsageSlice, progress: SliceProgress) -> None:
        """Tell the cost spool how the slice ended."""
        self.spool.close_slice(usage_slice, progress)

    def account_failed(self, provider: UsageProvider, error: Exception) -> None:
        """Remember the failure here and in the cost spool (focus_cost reports it too)."""
        super().account_failed(provider, error)
        self.spool.account_failed(provider.label, error)
