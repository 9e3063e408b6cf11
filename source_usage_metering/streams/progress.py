"""Progress people can see: a log line per slice, a summary per stream, and Airbyte ESTIMATE traces."""

from __future__ import annotations

import logging
import time

from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    EstimateType,
    TraceType,
)
from airbyte_cdk.models import Type as MessageType

logger = logging.getLogger("airbyte")


class Progress:
    """Counts records of one stream per slice and account, and says how far the sync is."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.records = 0
        self.slices_done = 0
        self.slices_planned = 0
        self._accounts: set[str] = set()

    def slice_done(self, account: str, window: str, count: int) -> None:
        """Log one completed slice."""
        self.records += count
        self.slices_done += 1
        self._accounts.add(account)
        planned = f"/{self.slices_planned}" if self.slices_planned else ""
        logger.info(
            "%s: %s: %s: %d records (slice %d%s, %d records so far)",
            self.stream,
            account,
            window,
            count,
            self.slices_done,
            planned,
            self.records,
        )

    def estimate(self) -> AirbyteMessage | None:
        """An ESTIMATE trace extrapolating the records so far over the planned slices (None before any slice)."""
        if not self.slices_done or not self.slices_planned:
            return None
        rows = round(self.records / self.slices_done * max(self.slices_planned, self.slices_done))
        trace = AirbyteTraceMessage(
            type=TraceType.ESTIMATE,
            emitted_at=time.time() * 1000,
            estimate=AirbyteEstimateTraceMessage(name=self.stream, type=EstimateType.STREAM, row_estimate=rows),
        )
        return AirbyteMessage(type=MessageType.TRACE, trace=trace)

    def log_summary(self) -> None:
        """One line for the whole stream."""
        logger.info(
            "%s: finished: %d records from %d account(s) in %d slice(s)",
            self.stream,
            self.records,
            len(self._accounts),
            self.slices_done,
        )
