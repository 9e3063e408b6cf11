"""Airbyte → Singer message conversion and Singer ↔ Airbyte state (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from source_usage_metering.singer.catalog import SelectedStream
from source_usage_metering.singer.messages import (
    SingerConverter,
    airbyte_state,
    bookmarks_from_state,
    record_message,
)
from source_usage_metering.state import StateError

USAGE_STATE = {
    "states": [
        {
            "partition": {"provider": "confluent", "host": "api.confluent.cloud", "tenant": "org-1"},
            "cursor": {"end_date": "2026-09-02T00:00:00Z"},
        }
    ]
}


def stream(name: str, *, incremental: bool = True, fields: frozenset[str] | None = None) -> SelectedStream:
    return SelectedStream(
        name=name,
        schema={"type": "object", "properties": {"id": {"type": "string"}, "cost": {"type": ["null", "number"]}}},
        key_properties=("id",),
        replication_key="end_date",
        incremental=incremental,
        fields=fields,
    )


def airbyte_record(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": name, "data": data, "emitted_at": 1790000000123}}


def airbyte_stream_state(name: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": value}},
    }


def test_bookmarks_accept_singer_meltano_and_wrapper_forms() -> None:
    assert bookmarks_from_state({"bookmarks": {"usage": USAGE_STATE}}) == {"usage": USAGE_STATE}
    assert bookmarks_from_state({"singer_state": {"bookmarks": {"usage": USAGE_STATE}}}) == {"usage": USAGE_STATE}
    wrapper = {"airbyte_state": [airbyte_stream_state("usage", USAGE_STATE)["state"]]}
    assert bookmarks_from_state(wrapper) == {"usage": USAGE_STATE}
    assert bookmarks_from_state({}) == {}
    assert bookmarks_from_state([]) == {}


def test_airbyte_state_carries_only_incremental_streams() -> None:
    bookmarks = {"usage": USAGE_STATE, "products": {"states": []}}
    state = airbyte_state(bookmarks, [stream("usage"), stream("products", incremental=False), stream("workspaces")])
    assert state == [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "usage"}, "stream_state": USAGE_STATE}}
    ]


def test_record_keeps_selected_fields_and_extraction_time() -> None:
    record = airbyte_record("usage", {"id": "u1", "cost": 1.5, "remote_data": {"x": 1}})["record"]
    message = record_message(stream("usage", fields=frozenset({"id", "cost"})), record)
    assert message == {
        "type": "RECORD",
        "stream": "usage",
        "record": {"id": "u1", "cost": 1.5},
        "time_extracted": "2026-09-21T14:13:20.123Z",
    }


def test_state_follows_the_records_it_covers_and_keeps_other_bookmarks() -> None:
    converter = SingerConverter({"usage": stream("usage")}, {"organizations": {"states": []}})
    out = list(converter.start())
    for message in (
        airbyte_record("usage", {"id": "u1"}),
        airbyte_record("usage", {"id": "u2"}),
        airbyte_stream_state("usage", USAGE_STATE),
    ):
        out.extend(converter.convert(message))
    out.extend(converter.finish())
    assert [m["type"] for m in out] == ["SCHEMA", "RECORD", "RECORD", "STATE"]
    assert out[-1]["value"] == {"bookmarks": {"organizations": {"states": []}, "usage": USAGE_STATE}}


def test_full_table_and_no_cursor_states_are_not_bookmarked_and_a_final_state_ends_the_sync() -> None:
    converter = SingerConverter({"usage": stream("usage", incremental=False), "products": stream("products")})
    out = []
    for message in (
        airbyte_record("usage", {"id": "u1"}),
        airbyte_stream_state("usage", USAGE_STATE),
        airbyte_stream_state("products", {"__ab_no_cursor_state_message": True}),
        airbyte_record("unselected", {"id": "x"}),
    ):
        out.extend(converter.convert(message))
    out.extend(converter.finish())
    assert [m["type"] for m in out] == ["RECORD", "STATE"]
    assert out[-1]["value"] == {"bookmarks": {}}


def test_logs_and_error_traces_become_log_lines_and_errors_are_remembered() -> None:
    converter = SingerConverter({"usage": stream("usage")})
    log = list(converter.convert({"type": "LOG", "log": {"level": "WARN", "message": "slow API"}}))
    error = {
        "type": "TRACE",
        "trace": {"type": "ERROR", "emitted_at": 1, "error": {"message": "accounts[0] (confluent): 401"}},
    }
    lines = list(converter.convert(error))
    status = {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 1}}
    assert [(line.level, line.message) for line in log] == [("WARN", "slow API")]
    assert [(line.level, line.message) for line in lines] == [("ERROR", "accounts[0] (confluent): 401")]
    assert list(converter.convert(status)) == []
    assert converter.errors == ["accounts[0] (confluent): 401"]


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ({"bookmarks": {"usage": {"states": [{"partition": {"a": "b"}, "cursor": "2026"}]}}}, "'cursor' is a string"),
        (
            {"bookmarks": {"usage": {"states": [{"partition": {"a": "b"}, "cursor": {"end_date": "soon"}}]}}},
            "cursor.end_date is 'soon', not a UTC timestamp",
        ),
        ({"bookmarks": {"usages": USAGE_STATE}}, "bookmark 'usages' is not a stream of this tap"),
        ({"bookmarks": ["usage"]}, "'bookmarks' is not an object"),
        ({"usage": USAGE_STATE}, "the state has no 'bookmarks' (it has usage)"),
        (["usage"], "the state is list, not an object"),
        ({"airbyte_state": [{"type": "GLOBAL", "global": {}}]}, "a GLOBAL state"),
    ],
    ids=[
        "cursor-a-string",
        "garbage-timestamp",
        "unknown-stream",
        "bookmarks-a-list",
        "no-bookmarks",
        "a-list",
        "global",
    ],
)
def test_bookmarks_the_state_reader_refuses_are_refused_saying_why(state: Any, says: str) -> None:
    with pytest.raises(StateError) as raised:
        bookmarks_from_state(state)
    assert says in raised.value.problem
