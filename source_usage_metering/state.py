"""The one state reader: what `read --state` (and the Singer tap's bookmarks) may hold, checked before anything is read.

Accepted, with the last state per stream winning:

- the Airbyte list of per-stream state messages (what Airbyte passes; the shape of 0.1.0 and since):
  `[{"type": "STREAM", "stream": {"stream_descriptor": {"name": "usage"}, "stream_state": {...}}}, ...]`;
- STATE messages as a read prints them, one per line or as a JSON array, so
  `grep '"STATE"' out.jsonl > state.json` makes a state file;
- an empty file, `[]` or `{}`: no state (every stream starts from `start_date`, and the log says so).

A stream's state is `{"states": [{"partition": {...}, "cursor": {<cursor field>: "<UTC timestamp>"}}, ...]}`, one
entry per account (partitions keyed by provider, host and tenant). Anything else (a legacy `{"usage": {...}}` object,
a GLOBAL state, a stream's `{"states": [...]}` block on its own, a cursor that is not an object, a timestamp that is
not one) is refused with a config error that says what is wrong and shows the expected shape: never a silent full
re-read. Later shapes extend this module.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from source_usage_metering.errors import InvalidConfig
from source_usage_metering.windows import iso, parse_iso

logger = logging.getLogger("airbyte")

EXAMPLE = (
    '[{"type": "STREAM", "stream": {"stream_descriptor": {"name": "usage"}, "stream_state": {"states": '
    '[{"partition": {"provider": "<provider>", "host": "<API host>", "tenant": "<organization id>"}, '
    '"cursor": {"end_date": "2026-11-25T00:00:00Z"}}]}}}]'
)
HOW = "grep '\"STATE\"' out.jsonl > state.json"
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # a cursor outside these years is garbage, not a moment
PartitionStates = dict[str, dict[str, Any]]


class StateError(InvalidConfig):
    """The state file is not one this connector reads; the message says why and shows the expected shape."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        message = (
            f"Invalid state: {problem}. Expected a list of Airbyte STREAM states, e.g. {EXAMPLE}, or the STATE lines "
            f"of a read's output ({HOW})."
        )
        super().__init__(message=message, internal_message=message)


def read_state_text(text: str, cursor_fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """The per-stream Airbyte state messages a state file holds, validated; the last one of each stream.

    Args:
        text: The state file's content.
        cursor_fields: Stream name -> its cursor field (`usage` -> `end_date`).

    Returns:
        `[{"type": "STREAM", "stream": {"stream_descriptor": {"name": ...}, "stream_state": {...}}}]`, cursors
        normalised to `YYYY-MM-DDTHH:MM:SSZ`.

    Raises:
        StateError: when the file is not an accepted shape (see the module docstring).
    """
    items = _json_items(text)
    if items is None:
        logger.info("The state file holds no state: every stream is read from its start.")
        return []
    last: dict[str, dict[str, Any]] = {}
    for where, item in items:
        name, stream_state = _stream_state_of(item, where, cursor_fields)
        states = parse_stream_state(name, cursor_fields[name], stream_state, where)
        last[name] = {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": name}, "stream_state": {"states": list(states.values())}},
        }
    return list(last.values())


def parse_stream_state(stream: str, cursor_field: str, value: Any, where: str = "") -> PartitionStates:
    """One stream's state as partition key -> `{"partition": ..., "cursor": {cursor_field: timestamp}}`.

    Raises:
        StateError: naming the stream, the entry and what is wrong.
    """
    at = f"{where}stream {stream}"
    if not isinstance(value, Mapping):
        raise StateError(f"{at}: stream_state is {_kind(value)}, not an object")
    if not value:
        return {}
    if set(value) != {"states"}:
        keys = ", ".join(sorted(map(str, value))[:5])
        raise StateError(f"{at}: stream_state has {keys}; this connector keeps one entry per account under 'states'")
    entries = value["states"]
    if not isinstance(entries, list):
        raise StateError(f"{at}: 'states' is {_kind(entries)}, not a list")
    states: PartitionStates = {}
    for index, entry in enumerate(entries):
        partition, cursor = _entry(entry, f"{at}: states[{index}]", cursor_field)
        states[partition_key(partition)] = {"partition": partition, "cursor": {cursor_field: cursor}}
    return states


def partition_key(partition: Mapping[str, Any]) -> str:
    """A hashable, order-independent key of a state partition."""
    return json.dumps(partition, sort_keys=True, separators=(",", ":"))


def _json_items(text: str) -> list[tuple[str, Any]] | None:
    """(where, item) of every state in the text, or None when it holds no state at all."""
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return _json_lines(text)
    if isinstance(document, list):
        return [(f"item {i + 1}: ", item) for i, item in enumerate(document)] or None
    if isinstance(document, Mapping):
        if not document:
            return None
        return [("", document)]
    raise StateError(f"the file holds {_kind(document)}")


def _json_lines(text: str) -> list[tuple[str, Any]]:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((f"line {number}: ", json.loads(line)))
        except ValueError:
            raise StateError(f"line {number} is not JSON (the file is neither JSON nor JSON lines)") from None
    return items


def _stream_state_of(item: Any, where: str, cursor_fields: Mapping[str, str]) -> tuple[str, Any]:
    """The stream name and stream_state of one STATE message (as printed by a read) or Airbyte state message."""
    if not isinstance(item, Mapping):
        raise StateError(f"{where}a state is {_kind(item)}, not an object")
    kind = item.get("type")
    if kind == "STATE" and isinstance(item.get("state"), Mapping):
        return _stream_state_of(item["state"], where, cursor_fields)
    if kind in ("RECORD", "LOG", "TRACE", "SPEC", "CATALOG", "CONNECTION_STATUS", "CONTROL"):
        raise StateError(f"{where}a {kind} message, not a STATE: keep only the STATE lines of a read's output")
    if kind == "GLOBAL" or "global" in item:
        raise StateError(f"{where}a GLOBAL state: this connector keeps per-stream (STREAM) states")
    if kind == "LEGACY" or ("data" in item and "stream" not in item):
        raise StateError(f"{where}a LEGACY state (`data`): this connector keeps per-stream (STREAM) states")
    if "states" in item and kind is None:
        raise StateError(f"{where}a stream's 'states' block on its own, without the stream it belongs to")
    if kind not in ("STREAM", None) or not isinstance(item.get("stream"), Mapping):
        if kind is None and any(name in item for name in cursor_fields):
            raise StateError(f"{where}a legacy object keyed by stream name ({_names(item)})")
        raise StateError(f"{where}not a STREAM state (type {kind!r}, keys {_names(item)})")
    stream = item["stream"]
    descriptor = stream.get("stream_descriptor")
    name = descriptor.get("name") if isinstance(descriptor, Mapping) else None
    if not isinstance(name, str):
        raise StateError(f"{where}a STREAM state without stream_descriptor.name")
    if name not in cursor_fields:
        raise StateError(f"{where}stream '{name[:40]}' is not a stream of this source ({', '.join(cursor_fields)})")
    if descriptor.get("namespace") not in (None, ""):
        raise StateError(f"{where}stream {name} has a namespace; this source's streams have none")
    return name, stream.get("stream_state")


def _entry(entry: Any, at: str, cursor_field: str) -> tuple[dict[str, str], str]:
    if not isinstance(entry, Mapping):
        raise StateError(f"{at} is {_kind(entry)}, not an object with 'partition' and 'cursor'")
    partition, cursor = entry.get("partition"), entry.get("cursor")
    if not isinstance(partition, Mapping) or not partition or not all(isinstance(v, str) for v in partition.values()):
        raise StateError(f"{at}: 'partition' is {_kind(partition)}, not an object of provider, host and tenant")
    if not isinstance(cursor, Mapping):
        raise StateError(f'{at}: \'cursor\' is {_kind(cursor)}, not an object like {{"{cursor_field}": "<time>"}}')
    return dict(partition), _timestamp(cursor.get(cursor_field), f"{at}: cursor.{cursor_field}")


def _timestamp(value: Any, at: str) -> str:
    """A cursor value as `YYYY-MM-DDTHH:MM:SSZ`."""
    if not isinstance(value, str):
        raise StateError(f"{at} is {_kind(value)}, not a UTC timestamp like 2026-11-25T00:00:00Z")
    try:
        moment = parse_iso(value)
    except ValueError:
        moment = None
    if moment is None or not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise StateError(f"{at} is '{value[:40]}', not a UTC timestamp like 2026-11-25T00:00:00Z")
    return iso(moment)


def _kind(value: Any) -> str:
    """How a message names a JSON value's type."""
    if value is None:
        return "null (missing)"
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), f"a {type(value).__name__}")


def _names(item: Mapping[str, Any]) -> str:
    return ", ".join(sorted(str(key)[:30] for key in item)[:5])
