"""Config mistakes: `check` fails and `read` refuses, naming the field; no traceback reaches the user."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from integration_tests.harness import E2E_TODAY, Run, console_script, parse_messages, run_connector

TODAY = E2E_TODAY  # every process is pinned to it (conftest)
CONFLUENT = {"provider": "confluent", "name": "acme", "api_key": "BADINPUTKEY01", "api_secret": "bad-input-secret-1"}
DATADOG = {
    "provider": "datadog",
    "name": "dd",
    "api_key": "a" * 32,
    "application_key": "b" * 40,
    "site": "datadoghq.com",
}
BASE = {"accounts": [CONFLUENT], "start_date": (TODAY - timedelta(days=30)).isoformat()}


def config_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    config = deepcopy(BASE)
    change(config)
    return config


def set_account(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config["accounts"][0].update(values)


def drop_account_key(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda config: config["accounts"][0].pop(key)


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing-accounts": (lambda c: c.pop("accounts"), "accounts"),
    "empty-accounts": (lambda c: c.update(accounts=[]), "accounts"),
    "missing-api-key": (drop_account_key("api_key"), "accounts[0].api_key"),
    "empty-api-secret": (set_account(api_secret=""), "accounts[0].api_secret"),
    "malformed-start-date": (lambda c: c.update(start_date="2026-13-45"), "start_date"),
    "start-date-words": (lambda c: c.update(start_date="last month"), "start_date"),
    "end-before-start": (lambda c: c.update(end_date=(TODAY - timedelta(days=60)).isoformat()), "end_date"),
    "start-in-future": (lambda c: c.update(start_date=(TODAY + timedelta(days=3)).isoformat()), "start_date"),
    "unknown-provider": (set_account(provider="aws"), "accounts[0].provider"),
    "unknown-site": (lambda c: c.update(accounts=[dict(DATADOG, site="datadoghq.moon")]), "accounts[0].site"),
    "duplicate-accounts": (lambda c: c.update(accounts=[CONFLUENT, dict(CONFLUENT, name="again")]), "accounts[1]"),
    "http-to-non-loopback-ip": (set_account(api_url="http://10.0.0.5"), "accounts[0].api_url"),
    "http-to-public-host": (set_account(api_url="http://api.confluent.cloud"), "accounts[0].api_url"),
}
READ_CASES = ["missing-api-key", "end-before-start", "unknown-provider", "http-to-non-loopback-ip"]


def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.stdout + run.stderr
    for error in run.errors():
        assert not error.get("stack_trace")


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_fails_naming_the_field(tmp_path: Path, case: str) -> None:
    change, field = CASES[case]
    run = run_connector(["check"], tmp_path, config=config_with(change))
    statuses = run.of_type("CONNECTION_STATUS")
    assert statuses, run.stdout[-2000:]
    status = statuses[0]["connectionStatus"]
    assert status["status"] == "FAILED"
    assert f"Invalid config: {field} " in status["message"]
    assert_no_traceback(run)


@pytest.mark.parametrize("case", READ_CASES)
def test_read_refuses_naming_the_field_before_any_request(tmp_path: Path, case: str) -> None:
    change, field = CASES[case]
    run = run_connector(["read"], tmp_path, config=config_with(change), catalog={"streams": []})
    assert run.returncode != 0
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith(f"Invalid config: {field} ")
    assert not run.of_type("RECORD")
    assert_no_traceback(run)


def test_unreadable_config_file_is_a_config_error_without_traceback(tmp_path: Path) -> None:

    path = tmp_path / "config.json"
    path.write_text('{"accounts": [')
    done = subprocess.run(
        [console_script(), "check", "--config", str(path)], capture_output=True, text=True, check=False
    )
    run = Run(done.returncode, parse_messages(done.stdout), done.stdout, done.stderr)
    assert run.returncode != 0
    assert run.errors()[0]["message"] == "Invalid config: the config file is not a valid JSON object."
    assert_no_traceback(run)
