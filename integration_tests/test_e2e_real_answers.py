"""Real provider answers (issue 12) end to end: the installed connector over HTTP against the emulator's variances.

Each test switches on one variance, syncs, and checks the invariants against the emulator's truth: every readable
cost line exactly once, to the cent; failing with the cursor held only where that is the right answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from integration_tests.emulator import Emulator, Scenario, Variances
from integration_tests.harness import STREAMS, Run, dedup_by_id, discover_catalog, run_connector
from integration_tests.invariants import (
    charges_by_provider_month,
    check_sync,
    money_problems,
    truth_by_provider_month,
)
from source_usage_metering.clock import TEST_BACKOFF_SCALE_ENV, pinned_env

TODAY = date(2026, 11, 20)  # after the 16th: October is final, November estimated
ENV = {**pinned_env(datetime(2026, 11, 20, 6, 30, tzinfo=timezone.utc)), TEST_BACKOFF_SCALE_ENV: "0.01"}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(scenario=Scenario(months=2, seed=7), today=TODAY) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def contract_answers(emu: Emulator) -> Iterator[None]:
    """Every test starts and ends with the documented answers."""
    emu.set_variances(Variances())
    yield
    emu.set_variances(Variances())


def sync(emu: Emulator, tmp: Path, accounts: list[str], state: list | None = None, **top: Any) -> Run:
    config = emu.connector_config(accounts=[emu.credentials[name] for name in accounts], **top)
    config = {key: value for key, value in config.items() if value is not None}  # None: leave the setting out
    _, catalog = discover_catalog(config, tmp)
    return run_connector(["read"], tmp, config=config, catalog=catalog, state=state, env=ENV)


def emitted(run: Run) -> dict[str, list[dict[str, Any]]]:
    return {stream: run.records(stream) for stream in STREAMS}


def deleted_environments(emu: Emulator) -> frozenset[str]:
    return frozenset(f"confluent|{t.org_id}|environment|{t.deleted_env_id}" for t in emu.confluent_tenants)


def warnings(run: Run) -> list[str]:
    return [m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] == "WARN"]


def test_confluent_history_shorter_than_a_year_delivers_every_readable_day(tmp_path: Path) -> None:
    with Emulator(scenario=Scenario(months=12, seed=7), today=TODAY) as emu:
        emu.set_variances(Variances(confluent_history_days=335))
        run = sync(emu, tmp_path, ["confluent_org_a"], start_date=None)
        assert run.returncode == 0, run.stderr[-2000:]
        first_readable = (TODAY - timedelta(days=335)).isoformat()
        truth = truth_by_provider_month(emu, [("confluent", "confluent_org_a")], first_readable, TODAY.isoformat())
        assert check_sync(emitted(run), truth, deleted_workspaces=deleted_environments(emu)) == []
        assert min(r["start_date"] for r in run.records("usage"))[:10] == first_readable
        assert any("start date is too far in the past" in w for w in warnings(run))


def test_datadog_cost_kept_15_months_delivers_the_served_months(tmp_path: Path) -> None:
    with Emulator(scenario=Scenario(months=16, seed=7), today=TODAY) as emu:
        emu.set_variances(Variances(datadog_cost_history_months=15))
        run = sync(emu, tmp_path, ["datadog_parent"], start_date=None)
        assert run.returncode == 0, run.stderr[-2000:]
        truth = truth_by_provider_month(emu, [("datadog", "datadog_parent")], "2025-09-01", TODAY.isoformat())
        assert len({month for _, month in truth}) == 15
        assert check_sync(emitted(run), truth) == []
        refused = [w for w in warnings(run) if "start_month must be within the last 15 months" in w]
        assert refused
        assert "2025-08" in refused[0]


def test_confluent_window_answered_with_data_null_fails_holding_the_cursor_then_delivers(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.set_variances(Variances(confluent_null_data_windows=("2026-10-01",)))
    first = sync(emu, tmp_path, ["confluent_org_a"])
    assert first.returncode != 0
    assert any("GET /billing/v1/costs" in e["message"] and "not a page" in e["message"] for e in first.errors())
    cursors = [s["cursor"]["end_date"] for s in first.stream_state("usage").get("states", [])]
    assert all(cursor <= "2026-10-01T00:00:00Z" for cursor in cursors)  # never past the month it could not read
    emu.set_variances(Variances())
    second = sync(emu, tmp_path, ["confluent_org_a"], state=first.last_states())
    assert second.returncode == 0, second.stderr[-2000:]
    union = list(dedup_by_id(first.records("usage") + second.records("usage")).values())
    start = emu.connector_config()["start_date"]
    truth = truth_by_provider_month(emu, [("confluent", "confluent_org_a")], start, TODAY.isoformat())
    assert money_problems(charges_by_provider_month(union), truth) == []


@pytest.mark.parametrize(
    "variance",
    [
        Variances(datadog_end_month_exclusive=True),
        Variances(datadog_cost_dates_with_offset=True),
        Variances(datadog_repeat_cost_row=True),
    ],
    ids=["end-month-exclusive", "dates-at-minus-5h", "repeated-row"],
)
def test_datadog_cost_answers_deliver_every_month_once(emu: Emulator, tmp_path: Path, variance: Variances) -> None:
    emu.set_variances(variance)
    run = sync(emu, tmp_path, ["datadog_parent"])
    assert run.returncode == 0, run.stderr[-2000:]
    start = emu.connector_config()["start_date"]
    truth = truth_by_provider_month(emu, [("datadog", "datadog_parent")], start, TODAY.isoformat())
    assert check_sync(emitted(run), truth) == []
    statuses = {(r["start_date"][:7], r["usage"]["cost_status"]) for r in run.records("usage") if r["charges"]}
    assert statuses == {("2026-10", "final"), ("2026-11", "estimated")}
    cost_cursor = [s for s in run.stream_state("usage")["states"] if s["partition"]["kind"] == "cost"]
    assert cost_cursor[0]["cursor"] == {"end_date": "2026-11-01T00:00:00Z"}  # moved on: October is final


def test_confluent_row_repeated_across_pages_counts_once(emu: Emulator, tmp_path: Path) -> None:
    emu.set_variances(Variances(confluent_repeat_row_across_pages=True, confluent_page_cap=100))
    run = sync(emu, tmp_path, ["confluent_org_a"])
    assert run.returncode == 0, run.stderr[-2000:]
    start = emu.connector_config()["start_date"]
    truth = truth_by_provider_month(emu, [("confluent", "confluent_org_a")], start, TODAY.isoformat())
    assert check_sync(emitted(run), truth, deleted_workspaces=deleted_environments(emu)) == []
    assert any("came twice" in w for w in warnings(run))


@pytest.mark.parametrize("order", [("datadog_parent", "datadog_child"), ("datadog_child", "datadog_parent")])
def test_a_parent_and_its_child_orgs_keys_deliver_each_line_once(
    emu: Emulator, tmp_path: Path, order: tuple[str, str]
) -> None:
    run = sync(emu, tmp_path, list(order), start_date="2026-11-10")
    records = emitted(run)
    start = "2026-11-10"
    truth = truth_by_provider_month(emu, [("datadog", "datadog_parent")], start, TODAY.isoformat())
    assert check_sync(records, truth) == []
    child_account = order.index("datadog_child")
    messages = [e["message"] for e in run.errors()]
    assert any(f"accounts[{child_account}]" in m and f"accounts[{1 - child_account}]" in m for m in messages)


def test_another_organization_listed_first_files_the_data_under_the_keys_own(emu: Emulator, tmp_path: Path) -> None:
    emu.set_variances(Variances(confluent_other_org_listed_first=True))
    run = sync(emu, tmp_path, ["confluent_org_a"])
    assert run.returncode == 0, run.stderr[-2000:]
    org_a = emu.confluent_tenants[0].org_id
    assert [r["id"] for r in run.records("organizations")] == [f"confluent|{org_a}|organization"]
    assert {r["organization"]["id"] for r in run.records("usage")} == {f"confluent|{org_a}|organization"}
    assert [s["partition"]["tenant"] for s in run.stream_state("usage")["states"]] == [org_a]


def test_a_cursor_in_the_future_is_pulled_back_and_read_again(emu: Emulator, tmp_path: Path) -> None:
    first = sync(emu, tmp_path, ["confluent_org_a", "datadog_parent"])
    future = [
        {**message, "stream": {**message["stream"], "stream_state": {"states": [
            {**entry, "cursor": dict.fromkeys(entry["cursor"], "2099-01-01T00:00:00Z")}
            for entry in message["stream"]["stream_state"]["states"]
        ]}}}
        for message in first.last_states()
    ]  # fmt: skip
    again = sync(emu, tmp_path, ["confluent_org_a", "datadog_parent"], state=future)
    assert again.returncode == 0, again.stderr[-2000:]
    assert {r["provider"] for r in again.records("usage")} == {"confluent", "datadog"}
    cursors = [s["cursor"]["end_date"] for s in again.stream_state("usage")["states"]]
    assert cursors
    assert all(cursor < "2027" for cursor in cursors)


def test_a_local_clock_ahead_of_the_provider_never_moves_the_cursor_past_the_providers_day(
    emu: Emulator, tmp_path: Path
) -> None:
    config = emu.connector_config(accounts=[emu.credentials["confluent_org_a"]])
    _, catalog = discover_catalog(config, tmp_path)
    ahead = pinned_env(datetime(2026, 12, 15, 6, 30, tzinfo=timezone.utc))  # the local clock 25 days ahead
    run = run_connector(["read"], tmp_path, config=config, catalog=catalog, env=ahead)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stream_state("usage")["states"][0]["cursor"] == {"end_date": "2026-11-20T00:00:00Z"}


def test_a_child_org_first_seen_in_hourly_usage_has_an_organizations_record(emu: Emulator, tmp_path: Path) -> None:
    emu.set_variances(Variances(datadog_late_child_org=True))
    emu.reset_stats()
    run = sync(emu, tmp_path, ["datadog_parent"], start_date="2026-11-15")
    assert run.returncode == 0, run.stderr[-2000:]
    late = emu.datadog_account.late_child["public_id"]
    late_id = f"datadog|datadoghq.com|{late}|organization"
    assert late_id in {r["organization"]["id"] for r in run.records("usage")}
    assert (
        check_sync(
            emitted(run), truth_by_provider_month(emu, [("datadog", "datadog_parent")], "2026-11-15", TODAY.isoformat())
        )
        == []
    )


def test_billing_dimension_mapping_404_leaves_built_in_labels_and_one_warning(emu: Emulator, tmp_path: Path) -> None:
    emu.set_variances(Variances(datadog_mapping_missing=True))
    config = emu.connector_config(accounts=[emu.credentials["datadog_parent"]])
    check = run_connector(["check"], tmp_path, config=config, env=ENV)
    status = check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "SUCCEEDED"
    assert "billing dimension labels: built-in" in status["message"]
    run = sync(emu, tmp_path, ["datadog_parent"])
    assert run.returncode == 0, run.stderr[-2000:]
    start = emu.connector_config()["start_date"]
    truth = truth_by_provider_month(emu, [("datadog", "datadog_parent")], start, TODAY.isoformat())
    assert check_sync(emitted(run), truth) == []
    dimensions = [r for r in run.records("products") if r["id"].startswith("datadog|billing_dimension|")]
    assert {r["remote_id"]: r["name"] for r in dimensions}["infra_host"] == "Infra Hosts"
    assert all(r.get("remote_data") is None for r in dimensions)  # no mapping row behind any label
    assert len([w for w in warnings(run) if "billing_dimension_mapping" in w]) == 1
