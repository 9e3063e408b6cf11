"""Airbyte → Singer catalog conversion and Singer catalog selection (pure functions)."""

from __future__ import annotations

import logging
from copy import deepcopy
from typing import Any

import pytest
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, Type

from source_usage_metering import SourceUsageMetering
from source_usage_metering.singer.catalog import (
    clean_schema,
    configured_catalog,
    select_streams,
    singer_catalog,
    singer_catalog_entry,
)
from unit_tests.conftest import ConfigBuilder


@pytest.fixture(scope="module")
def airbyte_catalog() -> dict[str, Any]:
    """The source's real discover output (static schemas, no network)."""
    catalog = SourceUsageMetering().discover(logging.getLogger("test"), ConfigBuilder().with_confluent().build())
    return AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.CATALOG, catalog=catalog))["catalog"]


def metadata_of(entry: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    return {tuple(item["breadcrumb"]): item["metadata"] for item in entry["metadata"]}


def singer_entry(catalog: dict[str, Any], name: str) -> dict[str, Any]:
    return next(entry for entry in catalog["streams"] if entry["tap_stream_id"] == name)


def test_discovered_streams_carry_keys_cursor_and_automatic_fields(airbyte_catalog) -> None:
    catalog = singer_catalog(airbyte_catalog)
    assert [entry["tap_stream_id"] for entry in catalog["streams"]] == [
        "focus_cost",
        "organizations",
        "products",
        "usage",
        "workspaces",
    ]
    usage = singer_entry(catalog, "usage")
    assert usage["key_properties"] == ["id"]
    assert usage["replication_key"] == "end_date"
    metadata = metadata_of(usage)
    assert metadata[()]["valid-replication-keys"] == ["end_date"]
    assert metadata[()]["table-key-properties"] == ["id"]
    assert metadata[("properties", "id")]["inclusion"] == "automatic"
    assert metadata[("properties", "end_date")]["inclusion"] == "automatic"
    assert metadata[("properties", "charges")]["inclusion"] == "available"
    assert set(usage["schema"]["properties"]) == {key[1] for key in metadata if key}
    assert singer_entry(catalog, "organizations")["replication_key"] == "updated_at"
    focus = singer_entry(catalog, "focus_cost")
    assert (focus["key_properties"], focus["replication_key"]) == (["x_ChargeId"], "ChargePeriodEnd")


def test_airbyte_only_keywords_are_dropped_at_every_depth() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"cost": {"type": ["null", "number"], "airbyte_type": "number"}, "tags": {"type": "array"}},
    }
    assert clean_schema(schema) == {
        "type": "object",
        "properties": {"cost": {"type": ["null", "number"]}, "tags": {"type": "array"}},
    }


def test_composite_key_stays_whole_and_nested_paths_are_dropped() -> None:
    stream = {
        "name": "lines",
        "json_schema": {"type": "object", "properties": {"org_id": {}, "id": {}, "meta": {}}},
        "supported_sync_modes": ["full_refresh"],
        "source_defined_primary_key": [["org_id"], ["id"], ["meta", "key"]],
    }
    entry = singer_catalog_entry(stream)
    assert entry["key_properties"] == ["org_id", "id"]
    assert "replication_key" not in entry
    assert metadata_of(entry)[()]["forced-replication-method"] == "FULL_TABLE"
    assert entry["replication_method"] == "FULL_TABLE"


def deselect(catalog: dict[str, Any], stream: str, field: str | None = None) -> None:
    for item in singer_entry(catalog, stream)["metadata"]:
        if (field is None and item["breadcrumb"] == []) or item["breadcrumb"] == ["properties", field]:
            item["metadata"]["selected"] = False


def test_without_a_catalog_every_stream_is_synced_incrementally_with_all_fields(airbyte_catalog) -> None:
    selected, unknown = select_streams(None, airbyte_catalog)
    assert [s.name for s in selected] == ["focus_cost", "organizations", "products", "usage", "workspaces"]
    assert all(s.incremental and s.fields is None for s in selected)
    assert unknown == []


def test_deselected_stream_and_field_are_left_out_but_keys_and_cursor_stay(airbyte_catalog) -> None:
    catalog = singer_catalog(airbyte_catalog)
    deselect(catalog, "organizations")
    deselect(catalog, "usage", "remote_data")
    deselect(catalog, "usage", "id")  # automatic: cannot be deselected
    deselect(catalog, "usage", "start_date")  # required in the schema: pruned from `required` too
    selected, _ = select_streams(catalog, airbyte_catalog)
    by_name = {s.name: s for s in selected}
    assert "organizations" not in by_name
    usage = by_name["usage"]
    assert "remote_data" not in usage.fields
    assert {"id", "end_date", "charges"} <= usage.fields
    assert "remote_data" not in usage.schema["properties"]
    assert "start_date" not in usage.schema["required"]
    assert "id" in usage.schema["required"]


def test_explicit_selection_wins_over_selected_by_default(airbyte_catalog) -> None:
    catalog = singer_catalog(airbyte_catalog)
    for entry in catalog["streams"]:
        entry["metadata"][0]["metadata"]["selected"] = entry["tap_stream_id"] == "usage"
    selected, _ = select_streams(catalog, airbyte_catalog)
    assert [s.name for s in selected] == ["usage"]


def test_legacy_schema_selected_flag_is_honoured(airbyte_catalog) -> None:
    catalog = singer_catalog(airbyte_catalog)
    singer_entry(catalog, "products")["schema"]["selected"] = False
    selected, _ = select_streams(catalog, airbyte_catalog)
    assert "products" not in [s.name for s in selected]


def test_full_table_override_reads_full_refresh_without_cursor(airbyte_catalog) -> None:
    catalog = singer_catalog(airbyte_catalog)
    singer_entry(catalog, "usage")["metadata"][0]["metadata"]["replication-method"] = "FULL_TABLE"
    selected, _ = select_streams(catalog, airbyte_catalog)
    configured = {c["stream"]["name"]: c for c in configured_catalog(selected, airbyte_catalog)["streams"]}
    assert configured["usage"]["sync_mode"] == "full_refresh"
    assert "cursor_field" not in configured["usage"]
    assert configured["organizations"]["sync_mode"] == "incremental"
    assert configured["organizations"]["cursor_field"] == ["updated_at"]
    assert configured["organizations"]["primary_key"] == [["id"]]


def test_unknown_catalog_streams_are_reported_not_synced(airbyte_catalog) -> None:
    catalog = singer_catalog(airbyte_catalog)
    extra = deepcopy(singer_entry(catalog, "usage"))
    extra["tap_stream_id"] = extra["stream"] = "invoices"
    catalog["streams"].append(extra)
    selected, unknown = select_streams(catalog, airbyte_catalog)
    assert unknown == ["invoices"]
    assert "invoices" not in [s.name for s in selected]
