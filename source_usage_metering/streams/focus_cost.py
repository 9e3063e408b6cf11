"""focus_cost: FOCUS 1.2 Cost-and-Usage rows, one per charge of the usage stream's cost records.

Primary key `x_ChargeId` (the usage record's id, the charge type and, for pricing tiers, the tier's position);
`x_UsageId` joins it to `usage`. The cursor `ChargePeriodEnd` follows the usage stream's slices, lookback and
state (per partition, the end of the last completed slice); a Datadog month's estimate and final figure share
their keys, so the final rows replace the estimated ones. The mapping is each provider's pure `focus.py`; a
provider without one emits no rows. Selected with `usage`, the slices `usage` read are replayed from the cost
spool instead of being read again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from source_usage_metering.focus.columns import FocusMappingError
from source_usage_metering.providers.base import SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.streams.sliced import SlicedStream

logger = logging.getLogger("airbyte")


class FocusCost(SlicedStream):
    """FOCUS 1.2 cost rows of every account's cost lines (never of hourly measurements, which carry no cost)."""

    name = "focus_cost"
    primary_key = "x_ChargeId"
    cursor_field = "ChargePeriodEnd"

    def wants(self, usage_slice: UsageSlice) -> bool:
        """Only slices that carry cost."""
        return not usage_slice.measures_only

    def slice_records(
        self, provider: UsageProvider, usage_slice: UsageSlice, progress: SliceProgress
    ) -> Iterator[Mapping[str, Any]]:
        """The slice's FOCUS rows: replayed from the cost spool when usage read it in this sync, else read."""
        failure = self.spool.failure(provider.label)
        if failure is not None:
            raise failure
        replayed = self.spool.replay(usage_slice)
        if replayed is None:
            return self._rows(provider, provider.iter_usage(usage_slice, progress))
        spooled, records = replayed
        progress.cursor_after, progress.held, progress.deferred = spooled.cursor_after, spooled.held, spooled.deferred
        return self._rows(provider, records, completed=spooled.completed)

    def finish_account(self, provider: UsageProvider) -> None:
        """The account's refusals fail it here as in usage (replayed slices were judged there)."""
        failure = self.spool.failure(provider.label)
        if failure is not None and not self.is_failed(provider):
            self.account_failed(provider, failure)
            return
        super().finish_account(provider)

    def _rows(
        self, provider: UsageProvider, records: Iterable[Mapping[str, Any]], *, completed: bool = True
    ) -> Iterator[Mapping[str, Any]]:
        for record in records:
            if not record.get("charges"):
                continue
            try:
                yield from provider.focus_rows(record)  # type: ignore[arg-type]
            except FocusMappingError as error:
                logger.warning("%s: focus_cost: skipped a cost record: %s", provider.label, error)
        if not completed:
            raise IncompleteSlice(f"{provider.label}: the usage stream could not read this slice to its end")


class IncompleteSlice(Exception):
    """A replayed slice that the usage stream could not finish: focus_cost does not move its cursor either."""
