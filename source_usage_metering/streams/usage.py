"""usage: cost lines and usage measurements of every account, incremental on `end_date` with lookback."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from source_usage_metering.errors import ConfigError
from source_usage_metering.providers.base import SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.records import UsageRecord
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.streams.sliced import SlicedStream
from source_usage_metering.streams.spool import CostSpool


class Usage(SlicedStream):
    """Cost lines (Confluent day x resource x line type; Datadog org x product x month) and hourly measurements."""

    name = "usage"
    cursor_field = "end_date"

    def __init__(
        self, providers: list[UsageProvider], guard: OverlapGuard | None = None, spool: CostSpool | None = None
    ) -> None:
        super().__init__(providers, guard, spool)
        self._org_readers: dict[str, UsageProvider] = {}  # organization id -> the account whose records name it

    def slice_records(
        self, provider: UsageProvider, usage_slice: UsageSlice, progress: SliceProgress
    ) -> Iterator[Mapping[str, Any]]:
        """The provider's records of the slice (also written to the cost spool when focus_cost reads next)."""
        records = self._one_reader_per_org(provider, provider.iter_usage(usage_slice, progress))
        return self.spool.record(usage_slice, records)

    def slice_done(self, usage_slice: UsageSlice, progress: SliceProgress) -> None:
        """Tell the cost spool how the slice ended."""
        self.spool.close_slice(usage_slice, progress)

    def account_failed(self, provider: UsageProvider, error: Exception) -> None:
        """Remember the failure here and in the cost spool (focus_cost reports it too)."""
        super().account_failed(provider, error)
        self.spool.account_failed(provider.label, error)

    def _one_reader_per_org(self, provider: UsageProvider, records: Iterable[UsageRecord]) -> Iterator[UsageRecord]:
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
