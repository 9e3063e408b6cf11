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

from source_usage_metering.errors import ProviderError
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
        """The slice's FOCUS rows: replayed from the cost spool when usage read it in this sync, else read.

        Raises:
            AirbyteTracedException: the account failed in usage in this sync (its failure, reported here too).
            ProviderError: a cost line the FOCUS mapping cannot carry (the cursor holds: the line is not skipped).
        """
        failure = self.spool.failure(provider.label)
        if failure is not None:
            raise self.reportable(failure, provider)  # a copy: the stored exception is not raised from many threads
        replayed = self.spool.replay(usage_slice)
        if replayed is None:
            return self._rows(provider, self.one_reader_per_org(provider, provider.iter_usage(usage_slice, progress)))
        spooled, records = replayed
        progress.cursor_after, progress.held, progress.deferred = spooled.cursor_after, spooled.held, spooled.deferred
        progress.outcomes, progress.replayed = list(spooled.outcomes), True  # judged again, for focus_cost's ledgers
        return self._rows(provider, records)

    def _rows(self, provider: UsageProvider, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for record in records:
            if not record.get("charges"):
                continue
            try:
                yield from provider.focus_rows(record)  # type: ignore[arg-type]
            except FocusMappingError as error:
                raise ProviderError(
                    provider.label,
                    "focus_cost",
                    f"a cost line cannot be written as FOCUS 1.2 ({error}); it is not skipped: the focus_cost cursor "
                    "is held at this slice (usage has the line)",
                ) from None
