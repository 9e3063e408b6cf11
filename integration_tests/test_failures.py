"""Failures a user can read: one ERROR line per failure, no traceback, clear refusals of bad input, quiet pipes.

Issue 13: `read` with rejected credentials printed four ERROR logs with Python tracebacks and the CDK's request and
response headers; a missing config file gave "Something went wrong" and a traceback; a catalog naming a stream the
source does not have (`usages`) exited 0 without a word; `read ... | head -1` exited 120 with "Exception ignored ...
BrokenPipeError" and the Singer tap exited 1 with a traceback.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from integration_tests.emulator import Emulator
from integration_tests.emulator.faults import Faults
from integration_tests.harness import Run, console_script, discover_catalog, parse_messages, run_connector

STREAMS = ["focus_cost", "organizations", "products", "usage", "workspaces"]


def logs_at(run: Run, *levels: str) -> list[str]:
    return [m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] in levels]


def assert_traceback_only_in_stack_traces(run: Run) -> None:
    assert "Traceback" not in run.stderr
    for message in run.messages:
        if message.get("type") == "TRACE" and message["trace"].get("error"):
            message = json.loads(json.dumps(message))
            message["trace"]["error"].pop("stack_trace", None)
        assert "Traceback" not in json.dumps(message), message
    assert all(line.startswith("{") for line in run.stdout.splitlines()), "a line that is not an Airbyte message"


def rejected(emulator: Emulator, credential: str) -> dict[str, Any]:
    account = dict(emulator.credentials[credential])
    secret = "api_secret" if account["provider"] == "confluent" else "application_key"
    account[secret] = "wrong" + account[secret][5:]
    return account


@pytest.mark.parametrize(
    ("credential", "cause"),
    [
        ("confluent_org_a", "GET /org/v2/organizations: config error: the credentials were rejected (401)"),
        ("datadog_parent", "GET /api/v2/usage/hourly_usage: config error: the credentials lack permission (403)"),
    ],
    ids=["confluent", "datadog"],
)
def test_given_rejected_credentials_then_one_error_line_per_failure_naming_account_endpoint_and_cause(
    emulator: Emulator, tmp_path: Path, credential: str, cause: str
) -> None:
    config = emulator.connector_config(accounts=[rejected(emulator, credential)])
    catalog = discover_catalog(emulator.connector_config(), tmp_path)[1]
    run = run_connector(["read"], tmp_path, config=config, catalog=catalog)
    assert run.returncode != 0
    errors = logs_at(run, "ERROR", "FATAL")
    assert len(errors) == len(STREAMS), errors  # each stream failed once, and said so once
    for error in errors:
        assert error.startswith(f"accounts[0] ({credential.split('_')[0]}: ")
        assert f"): {cause}" in error
    assert sorted(error.rsplit("(stream ", 1)[-1].rstrip(")") for error in errors) == STREAMS
    assert not any("Response (headers)" in m["log"]["message"] for m in run.of_type("LOG"))
    assert_traceback_only_in_stack_traces(run)


def test_given_debug_then_the_cdk_details_are_kept(emulator: Emulator, tmp_path: Path) -> None:
    config = emulator.connector_config(accounts=[rejected(emulator, "confluent_org_a")])
    catalog = discover_catalog(emulator.connector_config(), tmp_path)[1]
    run = run_connector(["read", "--debug"], tmp_path, config=config, catalog=catalog)
    assert any("Encountered an exception while reading stream" in m for m in logs_at(run, "ERROR"))


@pytest.mark.parametrize("command", ["check", "discover", "read"])
def test_given_a_missing_config_file_then_a_config_error_naming_it_and_no_traceback(
    tmp_path: Path, command: str
) -> None:
    args = [command, "--config", str(tmp_path / "missing.json")]
    if command == "read":
        (tmp_path / "catalog.json").write_text('{"streams": []}')
        args += ["--catalog", str(tmp_path / "catalog.json")]
    run = completed(subprocess.run([console_script(), *args], capture_output=True, text=True, check=False))
    assert run.returncode == 1
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert (
        error["message"]
        == f"Invalid config: cannot read the config file {tmp_path / 'missing.json'}: No such file or directory."
    )
    assert "stack_trace" not in error
    assert_traceback_only_in_stack_traces(run)


@pytest.mark.parametrize(
    ("flag", "content", "message"),
    [
        ("--catalog", None, "Invalid catalog: cannot read the catalog file {path}: No such file or directory."),
        ("--catalog", '{"streams": [', "Invalid catalog: the catalog file {path} is not an Airbyte configured catalog"),
        ("--state", None, "Invalid state: cannot read the state file {path}: No such file or directory."),
    ],
    ids=["missing-catalog", "truncated-catalog", "missing-state"],
)
def test_given_an_unreadable_catalog_or_state_file_then_a_config_error_naming_it(
    emulator: Emulator, tmp_path: Path, flag: str, content: str | None, message: str
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(emulator.connector_config()))
    files = {"--catalog": tmp_path / "catalog.json", "--state": tmp_path / "state.json"}
    files["--catalog"].write_text(json.dumps({"streams": []}))
    if content is not None:
        files[flag].write_text(content)
    else:
        files[flag].unlink(missing_ok=True)
    argv = [console_script(), "read", "--config", str(config), "--catalog", str(files["--catalog"])]
    argv += ["--state", str(files["--state"])] if flag == "--state" else []
    run = completed(subprocess.run(argv, capture_output=True, text=True, check=False))
    assert run.returncode == 1
    [error] = run.errors()
    assert error["message"].startswith(message.format(path=files[flag]))
    assert_traceback_only_in_stack_traces(run)


def test_given_a_catalog_naming_a_stream_this_source_lacks_then_a_config_error_listing_the_real_ones(
    emulator: Emulator, tmp_path: Path
) -> None:
    catalog = discover_catalog(emulator.connector_config(), tmp_path)[1]
    catalog["streams"][2]["stream"]["name"] = "usages"
    run = run_connector(["read"], tmp_path, config=emulator.connector_config(), catalog=catalog)
    assert run.returncode == 1
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith(
        "Invalid catalog: this source has no stream 'usages'; its streams are focus_cost, organizations, products, "
        "usage, workspaces."
    )
    assert not run.of_type("RECORD")  # refused before reading anything
    assert_traceback_only_in_stack_traces(run)


def first_line_then_close(argv: list[str], tmp_path: Path) -> tuple[int, str, str]:
    """Read one line of the process's stdout and close the pipe, like `| head -1`; (exit status, line, stderr)."""
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
        assert process.stdout is not None
        line = process.stdout.readline()
        process.stdout.close()
        code = process.wait(timeout=120)
    return code, line, stderr.read_text()


def test_given_the_reader_closes_the_pipe_then_read_exits_quietly(emulator: Emulator, tmp_path: Path) -> None:
    config, catalog = tmp_path / "config.json", tmp_path / "catalog.json"
    config.write_text(json.dumps(emulator.connector_config()))
    catalog.write_text(json.dumps(discover_catalog(emulator.connector_config(), tmp_path)[1]))
    argv = [console_script(), "read", "--config", str(config), "--catalog", str(catalog)]
    code, line, stderr = first_line_then_close(argv, tmp_path)
    assert line.startswith('{"type":')
    assert code in (0, 141)
    assert not any(word in stderr for word in ("BrokenPipe", "Broken pipe", "Exception ignored", "Traceback")), stderr


def test_given_the_target_closes_the_pipe_then_the_singer_tap_exits_quietly(emulator: Emulator, tmp_path: Path) -> None:
    config, catalog = tmp_path / "config.json", tmp_path / "singer.json"
    config.write_text(json.dumps(emulator.connector_config()))
    discovered = subprocess.run(
        [console_script("tap-usage-metering"), "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        check=True,
    )
    singer = json.loads(discovered.stdout)
    for stream in singer["streams"]:
        stream["metadata"][0]["metadata"]["selected"] = True
    catalog.write_text(json.dumps(singer))
    argv = [console_script("tap-usage-metering"), "--config", str(config), "--catalog", str(catalog)]
    code, line, stderr = first_line_then_close(argv, tmp_path)
    assert json.loads(line)["type"] == "SCHEMA"
    assert code in (0, 141)
    assert not any(word in stderr.lower() for word in ("brokenpipe", "broken pipe", "stopped reading", "traceback"))


def completed(done: subprocess.CompletedProcess) -> Run:
    return Run(done.returncode, parse_messages(done.stdout), done.stdout, done.stderr)


def test_given_ctrl_c_mid_read_then_it_exits_at_once_with_130_and_keeps_what_it_printed(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Workers waiting on slow answers are not joined: Ctrl-C used to wait for every request in flight to end."""
    config, catalog = tmp_path / "config.json", tmp_path / "catalog.json"
    config.write_text(json.dumps(emulator.connector_config()))
    catalog.write_text(json.dumps(discover_catalog(emulator.connector_config(), tmp_path)[1]))
    argv = [console_script(), "read", "--config", str(config), "--catalog", str(catalog)]
    emulator.set_faults(Faults(slow_seconds=30.0, slow_rate=1.0, paths=("/billing/v1/costs",)))
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)  # started, planned, its cost requests waiting on the emulator
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        took = time.monotonic() - interrupted
    finally:
        if process.poll() is None:
            process.kill()
        emulator.set_faults(Faults())
    assert process.returncode == 130, stderr[-2000:]
    assert took < 10, f"took {took:.1f} s to stop"
    assert "Interrupted: stopped reading" in stderr
    assert "Traceback" not in stderr
    assert all(line.startswith("{") for line in stdout.splitlines())  # whole messages only
