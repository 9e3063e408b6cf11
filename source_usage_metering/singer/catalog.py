"""Airbyte catalog → Singer catalog, and a Singer catalog's selection → an Airbyte configured catalog.

Pure functions over JSON dicts. Singer metadata follows singer-io's DISCOVERY_MODE.md: stream metadata at breadcrumb
`[]`, field metadata at `["properties", <field>]`; keys and cursors are `inclusion: automatic`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FULL_TABLE = "FULL_TABLE"
INCREMENTAL = "INCREMENTAL"
# Airbyte-only schema keywords that strict (Draft 4) Singer targets need not see.
_AIRBYTE_KEYWORDS = frozenset({"$schema", "airbyte_type", "airbyte_secret", "airbyte_hidden"})


@dataclass(frozen=True)
class SelectedStream:
    """One stream to sync: how (incremental or not) and which top-level fields (None = all)."""

    name: str
    schema: dict[str, Any]
    key_properties: tuple[str, ...]
    replication_key: str | None
    incremental: bool
    fields: frozenset[str] | None

    @property
    def bookmark_properties(self) -> list[str]:
        """The replication key, when the stream is read incrementally."""
        return [self.replication_key] if self.incremental and self.replication_key else []


def clean_schema(schema: Any) -> Any:
    """The schema without Airbyte-only keywords, at every depth."""
    if isinstance(schema, Mapping):
        return {key: clean_schema(value) for key, value in schema.items() if key not in _AIRBYTE_KEYWORDS}
    if isinstance(schema, list):
        return [clean_schema(item) for item in schema]
    return schema


def key_properties(stream: Mapping[str, Any]) -> list[str]:
    """Every top-level component of the primary key (composite keys stay whole; nested paths cannot be Singer keys)."""
    paths = stream.get("source_defined_primary_key") or []
    return [path[0] for path in paths if isinstance(path, list) and len(path) == 1]


def replication_key(stream: Mapping[str, Any]) -> str | None:
    """The source-defined cursor, if the stream supports incremental reads and the cursor is a top-level field."""
    cursor = stream.get("default_cursor_field") or []
    if "incremental" in (stream.get("supported_sync_modes") or []) and len(cursor) == 1:
        return cursor[0]
    return None


def singer_catalog_entry(stream: Mapping[str, Any]) -> dict[str, Any]:
    """One Airbyte stream as a Singer catalog entry with discoverable metadata."""
    name = stream["name"]
    schema = clean_schema(stream["json_schema"])
    keys = key_properties(stream)
    cursor = replication_key(stream)
    stream_metadata: dict[str, Any] = {
        "inclusion": "available",
        "selected-by-default": True,
        "table-key-properties": keys,
        "valid-replication-keys": [cursor] if cursor else [],
        "replication-method": INCREMENTAL if cursor else FULL_TABLE,
    }
    if cursor:
        stream_metadata["replication-key"] = cursor
    else:
        stream_metadata["forced-replication-method"] = FULL_TABLE
    automatic = {*keys, *([cursor] if cursor else [])}
    field_metadata = [
        {
            "breadcrumb": ["properties", field],
            "metadata": {"inclusion": "automatic" if field in automatic else "available", "selected-by-default": True},
        }
        for field in schema.get("properties", {})
    ]
    entry: dict[str, Any] = {
        "tap_stream_id": name,
        "stream": name,
        "schema": schema,
        "key_properties": keys,
        "replication_method": INCREMENTAL if cursor else FULL_TABLE,
        "metadata": [{"breadcrumb": [], "metadata": stream_metadata}, *field_metadata],
    }
    if cursor:
        entry["replication_key"] = cursor
    return entry


def singer_catalog(airbyte_catalog: Mapping[str, Any]) -> dict[str, Any]:
    """The Singer catalog (`--discover` output) of an Airbyte catalog."""
    return {"streams": [singer_catalog_entry(stream) for stream in airbyte_catalog.get("streams", [])]}


def _metadata_by_breadcrumb(entry: Mapping[str, Any]) -> dict[tuple[str, ...], Mapping[str, Any]]:
    found: dict[tuple[str, ...], Mapping[str, Any]] = {}
    for item in entry.get("metadata") or []:
        if isinstance(item, Mapping) and isinstance(item.get("metadata"), Mapping):
            found[tuple(item.get("breadcrumb") or [])] = item["metadata"]
    return found


def is_selected(metadata: Mapping[str, Any] | None, *, default: bool) -> bool:
    """singer-sdk's rule: automatic always, unsupported never, else `selected`, else `selected-by-default`."""
    metadata = metadata or {}
    if metadata.get("inclusion") == "automatic":
        return True
    if metadata.get("inclusion") == "unsupported":
        return False
    if isinstance(metadata.get("selected"), bool):
        return metadata["selected"]
    return bool(metadata.get("selected-by-default", default))


def _wants_incremental(entry: Mapping[str, Any], stream_metadata: Mapping[str, Any]) -> bool:
    method = (
        stream_metadata.get("replication-method")
        or entry.get("replication_method")
        or stream_metadata.get("forced-replication-method")
        or INCREMENTAL
    )
    return str(method).upper() != FULL_TABLE


def selected_stream(entry: Mapping[str, Any], airbyte_stream: Mapping[str, Any]) -> SelectedStream | None:
    """What a Singer catalog entry asks of an Airbyte stream, or None when the stream is not selected."""
    metadata = _metadata_by_breadcrumb(entry)
    stream_metadata = metadata.get((), {})
    legacy_selected = (entry.get("schema") or {}).get("selected")
    if "selected" not in stream_metadata and isinstance(legacy_selected, bool):
        stream_metadata = {**stream_metadata, "selected": legacy_selected}
    if not is_selected(stream_metadata, default=True):
        return None
    keys = key_properties(airbyte_stream)
    cursor = replication_key(airbyte_stream)
    incremental = cursor is not None and _wants_incremental(entry, stream_metadata)
    automatic = {*keys, *([cursor] if cursor else [])}
    schema = clean_schema(airbyte_stream["json_schema"])
    all_fields = list(schema.get("properties", {}))
    fields = frozenset(
        field
        for field in all_fields
        if field in automatic or is_selected(metadata.get(("properties", field)), default=True)
    )
    return SelectedStream(
        name=airbyte_stream["name"],
        schema=prune_schema(schema, fields),
        key_properties=tuple(keys),
        replication_key=cursor,
        incremental=incremental,
        fields=None if len(fields) == len(all_fields) else fields,
    )


def prune_schema(schema: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The schema restricted to the given top-level fields (`required` included)."""
    keep = set(fields)
    pruned = dict(schema)
    pruned["properties"] = {name: spec for name, spec in schema.get("properties", {}).items() if name in keep}
    if "required" in schema:
        pruned["required"] = [name for name in schema["required"] if name in keep]
    return pruned


def select_streams(
    singer: Mapping[str, Any] | None, airbyte_catalog: Mapping[str, Any]
) -> tuple[list[SelectedStream], list[str]]:
    """The streams a Singer catalog selects, in the source's stream order, and the unknown ids it names.

    Without a Singer catalog every stream is synced, incrementally where possible, with all fields.
    """
    streams = {stream["name"]: stream for stream in airbyte_catalog.get("streams", [])}
    if singer is None:
        entries = {name: singer_catalog_entry(stream) for name, stream in streams.items()}
    else:
        entries = {}
        for entry in singer.get("streams") or []:
            entries[entry.get("tap_stream_id") or entry.get("stream")] = entry
    unknown = sorted(str(name) for name in entries if name not in streams)
    chosen = [selected_stream(entries[name], stream) for name, stream in streams.items() if name in entries]
    return [stream for stream in chosen if stream is not None], unknown


def configured_catalog(selected: Iterable[SelectedStream], airbyte_catalog: Mapping[str, Any]) -> dict[str, Any]:
    """The Airbyte configured catalog that reads the selected streams."""
    streams = {stream["name"]: stream for stream in airbyte_catalog.get("streams", [])}
    configured = []
    for stream in selected:
        entry: dict[str, Any] = {
            "stream": streams[stream.name],
            "sync_mode": "incremental" if stream.incremental else "full_refresh",
            "destination_sync_mode": "append",
        }
        if stream.incremental and stream.replication_key:
            entry["cursor_field"] = [stream.replication_key]
        if stream.key_properties:
            entry["primary_key"] = [[key] for key in stream.key_properties]
        configured.append(entry)
    return {"streams": configured}
