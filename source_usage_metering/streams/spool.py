"""The cost spool: usage cost records of this sync, kept on disk so `focus_cost` needs no second read.

Airbyte reads streams one after another. When `usage` and `focus_cost` are both selected, `usage` reads the
provider and writes each slice's cost records (without `remote_data`, which the FOCUS mappings never read) to an
anonymous temporary file, with how the slice ended; `focus_cost` replays the slices it plans identically instead
of asking the provider again. Memory stays bounded (one slice's offsets); the file is gone when the process ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import orjson

from source_usage_metering.providers.base import SliceProgress, UsageSlice
from source_usage_metering.streams.base import partition_key


@dataclass(frozen=True)
class SpooledSlice:
    """Where one slice's cost records lie in the spool, and how the slice ended."""

    offset: int
    length: int
    completed: bool
    cursor_after: datetime
    held: bool
    deferred: bool


def slice_key(usage_slice: UsageSlice) -> str:
    """A slice's identity: its partition and window."""
    return f"{partition_key(usage_slice.partition)}|{usage_slice.start.isoformat()}|{usage_slice.end.isoformat()}"


class CostSpool:
    """Cost records per slice, written by `usage` and replayed by `focus_cost` (only when both are selected)."""

    def __init__(self) -> None:
        self.enabled = False
        self._file: IO[bytes] | None = None
        self._slices: dict[str, SpooledSlice] = {}
        self._failures: dict[str, Exception] = {}

    def record(self, usage_slice: UsageSlice, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """Pass the records on, writing the cost records of the slice to the spool as they go."""
        if not self.enabled or usage_slice.measures_only:
            yield from records
            return
        file = self._open()
        file.seek(0, 2)
        start = file.tell()
        self._slices.pop(slice_key(usage_slice), None)
        self._pending = (slice_key(usage_slice), start)
        for record in records:
            if record.get("charges"):
                file.write(orjson.dumps({k: v for k, v in record.items() if k != "remote_data"}) + b"\n")
            yield record

    def close_slice(self, usage_slice: UsageSlice, progress: SliceProgress, completed: bool) -> None:
        """Remember how a recorded slice ended (its records were all passed on, or an error stopped them)."""
        if not self.enabled or usage_slice.measures_only or self._file is None:
            return
        key, start = self._pending
        self._file.seek(0, 2)
        length = self._file.tell() - start
        self._slices[key] = SpooledSlice(
            start, length, completed, progress.cursor_after, progress.held, progress.deferred
        )

    def account_failed(self, label: str, failure: Exception) -> None:
        """Remember an account's failure, so the replaying stream reports it too."""
        if self.enabled:
            self._failures[label] = failure

    def failure(self, label: str) -> Exception | None:
        """The failure `usage` met for the account, if any."""
        return self._failures.get(label)

    def replay(self, usage_slice: UsageSlice) -> tuple[SpooledSlice, Iterator[dict[str, Any]]] | None:
        """The slice's outcome and its cost records, or None when `usage` did not read it in this sync."""
        spooled = self._slices.get(slice_key(usage_slice))
        if spooled is None or self._file is None:
            return None
        return spooled, self._read(spooled)

    def _read(self, spooled: SpooledSlice) -> Iterator[dict[str, Any]]:
        """The slice's records, a line at a time (a large slice is never held whole)."""
        file, position, end = self._file, spooled.offset, spooled.offset + spooled.length
        assert file is not None  # replay() returns only with a file
        while position < end:
            file.seek(position)
            line = file.readline()
            position += len(line)
            yield orjson.loads(line)

    def _open(self) -> IO[bytes]:
        if self._file is None:
            # Lives for the whole sync; anonymous, so the OS removes it when the process ends.
            self._file = tempfile.TemporaryFile(prefix="usage-metering-cost-spool-")  # noqa: SIM115
        return self._file
