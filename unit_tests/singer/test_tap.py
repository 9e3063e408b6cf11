"""The `tap-usage-metering` CLI in-process against the fake Confluent API, and its stdout/stderr contract."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from source_usage_metering.singer.tap import run_tap
from unit_tests.confluent_api import ORG_ID, mock_costs, mock_org_api, two_page_costs
from unit_tests.conftest import CONFLUENT_SECRET, ConfigBuilder

PARTITION = {"provider": "confluent", "host": "api.confluent.cloud", "tenant": ORG_ID}


def write_json(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value))
    return str(path)


def run(argv: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """Exit code and Singer messages (one JSON document per line)."""
    out = io.StringIO()
    code = run_tap(argv, out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def run_document(argv: list[str]) -> dict[str, Any]:
    """The one (indented) JSON document `--discover` or `--about` prints."""
    out = io.StringIO()
    assert run_tap(argv, out) == 0
    return json.loads(out.getvalue())


@pytest.fixture
def confluent(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})


@pytest.fixture
def config_path(tmp_path: Path) -> str:
    return write_json(tmp_path / "config.json", ConfigBuilder().with_confluent().build())


def assert_singer_order(messages: list[dict[str, Any]]) -> None:
    """SCHEMA before a stream's RECORDs; every STATE after the records it covers; a STATE last."""
    schemas: set[str] = set()
    for message in messages:
        if message["type"] == "SCHEMA":
            schemas.add(message["stream"])
        elif message["type"] == "RECORD":
            assert message["stream"] in schemas
    assert messages[-1]["type"] == "STATE"


def test_sync_writes_schemas_records_and_bookmarks_after_them(confluent, config_path) -> None:
    code, messages = run(["--config", config_path])
    assert code == 0
    assert_singer_order(messages)
    records = [m for m in messages if m["type"] == "RECORD"]
    usage = [m["record"] for m in records if m["stream"] == "usage"]
    assert len(usage) == len({r["id"] for r in usage}) > 0
    last_usage = max(i for i, m in enumerate(messages) if m.get("stream") == "usage" and m["type"] == "RECORD")
    usage_bookmarks = [i for i, m in enumerate(messages) if m["type"] == "STATE" and "usage" in m["value"]["bookmarks"]]
    assert usage_bookmarks[0] > last_usage
    final = messages[-1]["value"]["bookmarks"]
    assert final["usage"] == {"states": [{"partition": PARTITION, "cursor": {"end_date": "2026-09-02T00:00:00Z"}}]}
    assert set(final) == {"focus_cost", "organizations", "products", "usage", "workspaces"}


def test_state_from_a_previous_sync_reads_only_after_the_bookmark(http, confluent, tmp_path) -> None:
    config = ConfigBuilder().with_confluent().with_(lookback_days=0, end_date="2026-09-10").build()  # 3-day floor
    config_path = write_json(tmp_path / "config.json", config)
    _, first = run(["--config", config_path])
    state = write_json(tmp_path / "state.json", first[-1]["value"])
    http.reset_mock()
    code, second = run(["--config", config_path, "--state", state])
    assert code == 0
    assert [m for m in second if m["type"] == "RECORD" and m["stream"] in ("usage", "workspaces")] == []
    assert not any("start_date=2026-09-01" in r.url for r in http.request_history)
    assert second[-1]["value"] == first[-1]["value"]


def test_catalog_selection_is_honoured(confluent, config_path, tmp_path) -> None:
    catalog = run_document(["--config", config_path, "--discover"])
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == "usage"
            elif entry["tap_stream_id"] == "usage" and item["breadcrumb"][1] == "remote_data":
                item["metadata"]["selected"] = False
    code, messages = run(["--config", config_path, "--properties", write_json(tmp_path / "catalog.json", catalog)])
    assert code == 0
    assert {m["stream"] for m in messages if m["type"] in ("SCHEMA", "RECORD")} == {"usage"}
    schema = next(m for m in messages if m["type"] == "SCHEMA")
    assert "remote_data" not in schema["schema"]["properties"]
    assert schema["key_properties"] == ["id"]
    assert schema["bookmark_properties"] == ["end_date"]
    assert all("remote_data" not in m["record"] and "id" in m["record"] for m in messages if m["type"] == "RECORD")


def test_discover_prints_the_singer_catalog_without_calling_the_api(http, config_path) -> None:
    catalog = run_document(["--config", config_path, "--discover"])
    assert [e["tap_stream_id"] for e in catalog["streams"]] == [
        "focus_cost",
        "organizations",
        "products",
        "usage",
        "workspaces",
    ]
    assert http.call_count == 0


def test_about_lists_capabilities_and_the_config_schema() -> None:
    about = run_document(["--about"])
    assert {"catalog", "discover", "state"} <= set(about["capabilities"])
    assert about["settings"]["required"] == ["accounts"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (ConfigBuilder().with_confluent(api_secret=" padded ").build(), "accounts[0].api_secret"),
        (ConfigBuilder().with_(start_date="2026/09/01").with_confluent().build(), "start_date"),
    ],
)
def test_invalid_config_is_one_critical_line_naming_the_field(tmp_path, caplog, config, expected) -> None:
    code, messages = run(["--config", write_json(tmp_path / "config.json", config)])
    assert code == 1
    assert messages == []
    critical = [r.getMessage() for r in caplog.records if r.levelname == "CRITICAL"]
    assert len(critical) == 1
    assert expected in critical[0]
    assert "padded" not in caplog.text


def test_failing_account_exits_non_zero_after_checkpointing_what_was_read(http, config_path, caplog) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": [(403, {"errors": [{"status": "403", "detail": "Forbidden"}]})]})
    code, messages = run(["--config", config_path])
    assert code == 1
    assert {m["stream"] for m in messages if m["type"] == "RECORD"} >= {"organizations"}
    usage_bookmarks = [m["value"]["bookmarks"].get("usage") for m in messages if m["type"] == "STATE"]
    assert all(not (bookmark or {}).get("states") for bookmark in usage_bookmarks)
    critical = [r.getMessage() for r in caplog.records if r.levelname == "CRITICAL"]
    assert len(critical) == 1
    assert "accounts[0]" in critical[0]
    assert CONFLUENT_SECRET not in caplog.text


@pytest.mark.parametrize(("content", "problem"), [(None, "cannot read"), ("{not json", "not valid JSON")])
def test_unreadable_config_file_is_named(tmp_path, caplog, content, problem) -> None:
    path = tmp_path / "config.json"
    if content is not None:
        path.write_text(content)
    code, messages = run(["--config", str(path)])
    assert (code, messages) == (1, [])
    assert f"{problem}" in caplog.text
    assert str(path) in caplog.text


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "source_usage_metering.singer.tap", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_cli_stdout_holds_only_singer_json_and_logs_go_to_stderr(config_path, tmp_path) -> None:
    discovered = run_cli("--config", config_path, "--discover")
    assert discovered.returncode == 0
    assert [s["tap_stream_id"] for s in json.loads(discovered.stdout)["streams"]] == [
        "focus_cost",
        "organizations",
        "products",
        "usage",
        "workspaces",
    ]
    catalog = write_json(tmp_path / "catalog.json", {"streams": [{"tap_stream_id": "invoices"}]})
    result = run_cli("--config", config_path, "--catalog", catalog)  # selects nothing: no API call
    assert result.returncode == 0
    messages = [json.loads(line) for line in result.stdout.splitlines()]
    assert [m["type"] for m in messages] == ["STATE"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING ")]
    assert warnings == [
        "WARNING catalog stream 'invoices' is not a stream of this tap; skipped",
        "WARNING no stream is selected in the catalog; nothing to sync",
    ]


def test_cli_config_error_is_one_stderr_line_without_traceback(tmp_path) -> None:
    config = ConfigBuilder().with_account({"provider": "confluent", "api_key": "K1"}).build()
    result = run_cli("--config", write_json(tmp_path / "config.json", config))
    assert result.returncode == 1
    assert result.stdout == ""
    critical = [line for line in result.stderr.splitlines() if line.startswith("CRITICAL")]
    assert critical == [critical[0]]
    assert "accounts[0].api_secret" in critical[0]
    assert "Traceback" not in result.stderr


def test_given_a_state_file_the_reader_refuses_then_one_line_says_why_and_shows_the_shape(
    confluent, config_path: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = write_json(tmp_path / "state.json", {"bookmarks": {"usage": {"states": [{"partition": PARTITION}]}}})
    code, messages = run(["--config", config_path, "--state", state])
    assert code == 1
    assert messages == []
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "CRITICAL"]
    assert line.startswith(f"the state file {state} is not a state of this tap: bookmarks: stream usage: states[0]: ")
    assert "'cursor' is null (missing), not an object" in line
    assert 'Expected {"bookmarks": {"usage": {"states": [{"partition": ' in line
