"""The cost spool: usage cost records of this sync, kept on disk so `focus_cost` needs no second read.

Airbyte reads streams one after another. When `usage` and `focus_cost` are both selected, `usage` reads the
provider and writes each slice's cost records (without `remote_data`, which the FOCUS mappings never read) to an
anonymous temporary file, with how the slice ended; `focus_cost` replays the slices it plans identically instead
of asking the provider again. Memory stays bounded (one slice's offsets); the file is gone when the process ends.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import orjson

from source_usage_metering.providers.base import SliceProgress, UsageSlice, WindowOutcome
from source_usage_metering.streams.base import partition_key


@dataclass(frozen=True)
class SpooledSlice:
    """Where one slice's cost records lie in the spool (chunks of lines), and how the slice ended."""

    chunks: tuple[tuple[int, int], ...]  # (offset, length) of each chunk, in order
    cursor_after: datetime
    held: bool
    deferred: bool
    outcomes: tuple[WindowOutcome, ...]  # the slice's narrowed reads (refusals), for the replaying stream's ledgers


def slice_key(usage_slice: UsageSlice) -> str:
    """A slice's identity: its partition and window."""
    return f"{partition_key(usage_slice.partition)}|{usage_slice.start.isoformat()}|{usage_slice.end.isoformat()}"


class CostSpool:
    """Cost records per slice, written by `usage` and replayed by `focus_cost` (only when both are selected).

    Slices are read concurrently: each buffers up to `CHUNK_BYTES` of lines and appends them to the file as one
    chunk under a lock, so a slice's records are a list of chunks and memory stays a chunk per slice in flight.
    """

    CHUNK_BYTES = 1 << 20

    def __init__(self) -> None:
        self.enabled = False
        self._file: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._written: dict[str, tuple[tuple[int, int], ...]] = {}
        self._slices: dict[str, SpooledSlice] = {}
        self._failures: dict[str, Exception] = {}

    def record(self, usage_slice: UsageSlice, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """Pass the records on, writing the cost records of the slice to the spool as they go."""
        if not self.enabled or usage_slice.measures_only:
            yield from records
            return
        chunks: list[tuple[int, int]] = []
        buffer: list[bytes] = []
        size = 0
        for record in records:
            if record.get("charges"):
                line = orjson.dumps({k: v for k, v in record.items() if k != "remote_data"}) + b"\n"
                buffer.append(line)
                size += len(line)
                if size >= self.CHUNK_BYTES:
                    chunks.append(self._append(b"".join(buffer)))
                    buffer, size = [], 0
            yield record
        if buffer:
            chunks.append(self._append(b"".join(buffer)))
        self._written[slice_key(usage_slice)] = tuple(chunks)

    def close_slice(self, usage_slice: UsageSlice, progress: SliceProgress) -> None:
        """Remember how a completed slice settled (every record of it was written)."""
        if not self.enabled or usage_slice.measures_only:
            return
        chunks = self._written.pop(slice_key(usage_slice), None)
        if chunks is None:
            return
        outcome = SpooledSlice(
            chunks, progress.cursor_after, progress.held, progress.deferred, tuple(progress.outcomes)
        )
        self._slices[slice_key(usage_slice)] = outcome

    def account_failed(self, label: str, failure: Exception) -> None:
        """Remember an account's failure, so the replaying stream reports it too."""
        if self.enabled:
            self._failures[label] = failure

    def failure(self, label: str) -> Exception | None:
        """The failure `usage` met for the account, if any."""
        return self._failures.get(label)

    def replay(self, usage_slice: UsageSlice) -> tuple[SpooledSlice, Iterator[dict[str, Any]]] | None:
        """The slice's outcome and its cost records, or None when `usage` did not settle it in this sync."""
        spooled = self._slices.get(slice_key(usage_slice))
        return None if spooled is None else (spooled, self._read(spooled))

    def _append(self, data: bytes) -> tuple[int, int]:
        with self._lock:
            if self._file is None:
                # Lives for the whole sync; anonymous, so the OS removes it when the process ends.
                self._file = tempfile.TemporaryFile(prefix="usage-metering-cost-spool-")  # noqa: SIM115
            self._file.seek(0, 2)
            offset = self._file.tell()
            self._file.write(data)
            return offset, len(data)

    def _read(self, spooled: SpooledSlice) -> Iterator[dict[str, Any]]:
        """The slice's records, a chunk at a time (a large slice is never held whole)."""
        for offset, length in spooled.chunks:
            with self._lock:
                assert self._file is not None  # replay() reads only when something was written
                self._file.seek(offset)
                data = self._file.read(length)
            for line in data.splitlines():
                yield orjson.loads(line)
