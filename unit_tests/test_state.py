"""The one state reader: the shapes it takes, and a config error (what is wrong, the expected shape) for the rest."""

from __future__ import annotations

import json

import pytest
from airbyte_cdk.models import FailureType

from source_usage_metering.state import StateError, read_state_text
from source_usage_metering.streams import CURSOR_FIELDS

CONFLUENT = {"provider": "confluent", "host": "api.confluent.cloud", "tenant": "org-1"}
DATADOG_HOURLY = {"provider": "datadog", "host": "api.datadoghq.com", "tenant": "datadoghq.com|abc", "kind": "hourly"}
USAGE = {"states": [{"partition": CONFLUENT, "cursor": {"end_date": "2026-11-25T00:00:00Z"}}]}
USAGE_LATER = {"states": [{"partition": CONFLUENT, "cursor": {"end_date": "2026-11-27T00:00:00Z"}}]}
ORGS = {"states": [{"partition": CONFLUENT, "cursor": {"updated_at": "2026-05-04T13:23:30Z"}}]}


def stream_message(name: str, stream_state: dict) -> dict:
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": stream_state}}


def printed_state(name: str, stream_state: dict, count: float = 3.0) -> str:
    """A STATE line exactly as a read prints it."""
    message = {"type": "STATE", "state": {**stream_message(name, stream_state), "sourceStats": {"recordCount": count}}}
    return json.dumps(message, separators=(",", ":"))


def read(text: str) -> dict[str, dict]:
    return {
        m["stream"]["stream_descriptor"]["name"]: m["stream"]["stream_state"]
        for m in read_state_text(text, CURSOR_FIELDS)
    }


def test_the_airbyte_list_of_stream_states_is_read() -> None:
    text = json.dumps([stream_message("usage", USAGE), stream_message("organizations", ORGS)])
    assert read(text) == {"usage": USAGE, "organizations": ORGS}


def test_state_lines_as_a_read_prints_them_are_read_and_the_last_per_stream_wins() -> None:
    lines = [printed_state("organizations", ORGS), printed_state("usage", USAGE), printed_state("usage", USAGE_LATER)]
    assert read("\n".join(lines) + "\n") == {"organizations": ORGS, "usage": USAGE_LATER}


def test_state_messages_as_a_json_array_are_read() -> None:
    array = [json.loads(printed_state("usage", USAGE)), json.loads(printed_state("usage", USAGE_LATER))]
    assert read(json.dumps(array)) == {"usage": USAGE_LATER}


def test_a_single_state_line_is_read() -> None:
    assert read(printed_state("usage", USAGE)) == {"usage": USAGE}


@pytest.mark.parametrize("text", ["", "  \n", "[]", "{}"], ids=["empty", "blank", "empty-list", "empty-object"])
def test_no_state_is_read_as_none(text: str) -> None:
    assert read(text) == {}


def test_cursors_are_normalised_to_the_connectors_timestamp_form() -> None:
    state = {"states": [{"partition": DATADOG_HOURLY, "cursor": {"end_date": "2026-11-25T01:00:00+00:00"}}]}
    assert read(json.dumps([stream_message("usage", state)]))["usage"]["states"][0]["cursor"] == {
        "end_date": "2026-11-25T01:00:00Z"
    }


def refusal(text: str) -> str:
    with pytest.raises(StateError) as raised:
        read_state_text(text, CURSOR_FIELDS)
    assert raised.value.failure_type == FailureType.config_error
    message = raised.value.message
    assert message.startswith("Invalid state: ")
    assert "Expected a list of Airbyte STREAM states, e.g. [{" in message
    assert "grep '\"STATE\"' out.jsonl > state.json" in message
    return message


def entry(cursor: object, partition: object = CONFLUENT) -> str:
    return json.dumps([stream_message("usage", {"states": [{"partition": partition, "cursor": cursor}]})])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (entry("2026-11-25T00:00:00Z"), "stream usage: states[0]: 'cursor' is a string, not an object"),
        (entry(None), "stream usage: states[0]: 'cursor' is null (missing), not an object"),
        (entry({"end_date": "yesterday"}), "cursor.end_date is 'yesterday', not a UTC timestamp"),
        (entry({"end_date": "2026-13-45T00:00:00Z"}), "cursor.end_date is '2026-13-45T00:00:00Z', not a UTC timestamp"),
        (entry({"end_date": "0001-01-01T00:00:00Z"}), "cursor.end_date is '0001-01-01T00:00:00Z', not a UTC timestamp"),
        (entry({"end_date": 1764028800}), "cursor.end_date is a number, not a UTC timestamp"),
        (entry({"updated_at": "2026-11-25T00:00:00Z"}), "cursor.end_date is null (missing), not a UTC timestamp"),
        (entry({"end_date": "2026-11-25T00:00:00Z"}, "org-1"), "'partition' is a string, not an object"),
        (json.dumps({"usage": {"end_date": "2026-11-25T00:00:00Z"}}), "a legacy object keyed by stream name (usage)"),
        (json.dumps([{"type": "GLOBAL", "global": {"stream_states": []}}]), "a GLOBAL state"),
        (json.dumps({"type": "LEGACY", "data": {"usage": {}}}), "a LEGACY state"),
        (json.dumps(USAGE), "a stream's 'states' block on its own, without the stream it belongs to"),
        (json.dumps([stream_message("usages", USAGE)]), "stream 'usages' is not a stream of this source"),
        (json.dumps([stream_message("usage", {"end_date": "2026-11-25T00:00:00Z"})]), "stream_state has end_date"),
        (json.dumps([stream_message("usage", {"states": {"a": 1}})]), "'states' is an object, not a list"),
        (json.dumps([stream_message("usage", ["x"])]), "stream usage: stream_state is a list, not an object"),
        ('{"type":"RECORD","record":{}}\n' + printed_state("usage", USAGE), "line 1: a RECORD message, not a STATE"),
        ("state: usage=2026-11-25", "line 1 is not JSON"),
        ('"2026-11-25"', "the file holds a string"),
    ],
    ids=[
        "cursor-a-string",
        "cursor-missing",
        "timestamp-words",
        "timestamp-month-13",
        "timestamp-year-1",
        "timestamp-epoch-number",
        "cursor-other-field",
        "partition-a-string",
        "legacy-dict",
        "global",
        "legacy-data",
        "readme-states-block-alone",
        "unknown-stream",
        "flat-cursor",
        "states-not-a-list",
        "stream-state-a-list",
        "whole-read-output",
        "not-json",
        "a-bare-string",
    ],
)
def test_anything_else_is_refused_saying_what_is_wrong_and_showing_the_expected_shape(text: str, says: str) -> None:
    assert says in refusal(text)


def test_the_unknown_stream_refusal_lists_the_real_ones() -> None:
    message = refusal(json.dumps([stream_message("usages", USAGE)]))
    assert "(focus_cost, organizations, products, usage, workspaces)" in message
