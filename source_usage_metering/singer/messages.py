"""Airbyte messages → Singer messages, and Singer state ↔ Airbyte per-stream state. Pure functions and one converter.

Singer state is `{"bookmarks": {<stream>: <the Airbyte stream state>}}`; a STATE is written only after the
records it covers (the CDK checkpoints after them), and a final STATE ends every successful sync.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from source_usage_metering.singer.catalog import SelectedStream
from source_usage_metering.state import StateError, parse_stream_state, read_state_text
from source_usage_metering.streams import CURSOR_FIELDS

# The CDK's state for streams without a cursor: nothing worth bookmarking.
NO_CURSOR_STATE = "__ab_no_cursor_state_message"


def bookmarks_from_state(raw: Any) -> dict[str, Any]:
    """The bookmarks of a Singer state file, each read by the connector's one state reader (`state.py`).

    Accepts `{"bookmarks": {<stream>: <the Airbyte stream state>}}`, Meltano's stored form `{"singer_state": {...}}`,
    tap-airbyte-wrapper's `{"airbyte_state": [<Airbyte STREAM states>]}` (to ease migration) and an empty file or
    object (no state).

    Raises:
        StateError: for any other shape, or a bookmark the state reader refuses (its `problem` says why).
    """
    if raw in (None, {}, []):
        return {}
    if not isinstance(raw, Mapping):
        raise StateError(f"the state is {type(raw).__name__}, not an object with 'bookmarks'")
    if isinstance(raw.get("singer_state"), Mapping):
        raw = raw["singer_state"]
    if "bookmarks" in raw:
        if not isinstance(raw["bookmarks"], Mapping):
            raise StateError("'bookmarks' is not an object of stream name -> bookmark")
        return {str(name): _bookmark(str(name), value) for name, value in raw["bookmarks"].items()}
    if "airbyte_state" in raw:
        messages = read_state_text(json.dumps(raw["airbyte_state"]), CURSOR_FIELDS)
        return {m["stream"]["stream_descriptor"]["name"]: m["stream"]["stream_state"] for m in messages}
    raise StateError(f"the state has no 'bookmarks' (it has {', '.join(sorted(map(str, raw))[:5])})")


def _bookmark(name: str, value: Any) -> dict[str, Any]:
    """One stream's bookmark, checked like an Airbyte stream state."""
    if name not in CURSOR_FIELDS:
        raise StateError(f"bookmark '{name[:40]}' is not a stream of this tap ({', '.join(CURSOR_FIELDS)})")
    states = parse_stream_state(name, CURSOR_FIELDS[name], value, "bookmarks: ")
    return {"states": list(states.values())}


def airbyte_state(bookmarks: Mapping[str, Any], streams: Iterable[SelectedStream]) -> list[dict[str, Any]]:
    """The Airbyte per-stream state list for the streams read incrementally (full-table streams start fresh)."""
    return [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream.name}, "stream_state": dict(bookmarks[stream.name])},
        }
        for stream in streams
        if stream.incremental and stream.name in bookmarks
    ]


def schema_message(stream: SelectedStream) -> dict[str, Any]:
    """The Singer SCHEMA message of a selected stream."""
    message: dict[str, Any] = {
        "type": "SCHEMA",
        "stream": stream.name,
        "schema": stream.schema,
        "key_properties": list(stream.key_properties),
    }
    if stream.bookmark_properties:
        message["bookmark_properties"] = stream.bookmark_properties
    return message


def state_message(bookmarks: Mapping[str, Any]) -> dict[str, Any]:
    """A Singer STATE message carrying every bookmark."""
    return {"type": "STATE", "value": {"bookmarks": dict(bookmarks)}}


def rfc3339_from_millis(emitted_at: Any) -> str | None:
    """Airbyte's `emitted_at` (epoch milliseconds) as an RFC 3339 UTC timestamp."""
    if not isinstance(emitted_at, int | float):
        return None
    moment = datetime.fromtimestamp(emitted_at / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_message(stream: SelectedStream, record: Mapping[str, Any]) -> dict[str, Any]:
    """A Singer RECORD of an Airbyte record, restricted to the selected fields."""
    data = record.get("data") or {}
    if stream.fields is not None:
        data = {name: value for name, value in data.items() if name in stream.fields}
    message: dict[str, Any] = {"type": "RECORD", "stream": stream.name, "record": data}
    extracted = rfc3339_from_millis(record.get("emitted_at"))
    if extracted:
        message["time_extracted"] = extracted
    return message


@dataclass
class LogLine:
    """A line for stderr: a connector log, an error trace or a conversion warning."""

    level: str
    message: str


@dataclass
class SingerConverter:
    """Turns a sync's Airbyte messages into Singer messages (dicts) and stderr log lines, in order.

    Bookmarks start from the input state, so streams not synced this time keep theirs.
    """

    streams: dict[str, SelectedStream]
    bookmarks: dict[str, Any] = field(default_factory=dict)
    last_type: str | None = None
    errors: list[str] = field(default_factory=list)

    def start(self) -> Iterator[dict[str, Any]]:
        """Every selected stream's SCHEMA, before any record (targets create even empty streams)."""
        for stream in self.streams.values():
            yield self._emitted(schema_message(stream))

    def convert(self, message: Mapping[str, Any]) -> Iterator[dict[str, Any] | LogLine]:
        """The Singer messages and log lines of one Airbyte message."""
        kind = message.get("type")
        if kind == "RECORD":
            stream = self.streams.get(message["record"]["stream"])
            if stream is not None:
                yield self._emitted(record_message(stream, message["record"]))
        elif kind == "STATE":
            yield from self._state(message.get("state") or {})
        elif kind == "LOG":
            log = message.get("log") or {}
            yield LogLine(str(log.get("level", "INFO")), str(log.get("message", "")))
        elif kind == "TRACE":
            yield from self._trace(message.get("trace") or {})
        elif kind == "CONTROL":
            yield LogLine("WARN", "the connector asked to update its config; Singer has no way to do that")

    def finish(self) -> Iterator[dict[str, Any]]:
        """The final STATE, unless a STATE with every bookmark was the last message already."""
        if self.last_type != "STATE":
            yield self._emitted(state_message(self.bookmarks))

    def _state(self, state: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        stream_state = state.get("stream") or {}
        name = (stream_state.get("stream_descriptor") or {}).get("name")
        value = stream_state.get("stream_state")
        stream = self.streams.get(name)
        if stream is None or not stream.incremental or not isinstance(value, Mapping) or NO_CURSOR_STATE in value:
            return
        self.bookmarks[name] = dict(value)
        yield self._emitted(state_message(self.bookmarks))

    def _trace(self, trace: Mapping[str, Any]) -> Iterator[LogLine]:
        if trace.get("type") == "ERROR":
            error = trace.get("error") or {}
            text = str(error.get("message") or error.get("internal_message") or "the sync failed")
            self.errors.append(text)
            yield LogLine("ERROR", text)

    def _emitted(self, message: dict[str, Any]) -> dict[str, Any]:
        self.last_type = message["type"]
        return message
