"""Cost on the dates that matter, whatever today is: the emulator and every connector process share a fixed date.

The 15th (last month still estimated), the 16th (last month final: Datadog publishes it "no later than the 16th"),
the last day of a month and 1 January. Each date is one emulator and one full read of a Confluent org and the
Datadog parent; the statuses are the issue's rule written out as literals, the amounts the emulator's truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import Run, charge_total_by_month, discover_catalog, run_connector

CENT = Decimal("0.01")
# today -> (Datadog cost_status per month, Datadog cost cursor: the first month not final yet)
DATES = {
    date(2026, 12, 15): ({"2026-10": "final", "2026-11": "estimated", "2026-12": "estimated"}, "2026-11-01"),
    date(2026, 12, 16): ({"2026-10": "final", "2026-11": "final", "2026-12": "estimated"}, "2026-12-01"),
    date(2026, 11, 30): ({"2026-09": "final", "2026-10": "final", "2026-11": "estimated"}, "2026-11-01"),
    date(2027, 1, 1): ({"2026-11": "final", "2026-12": "estimated", "2027-01": "estimated"}, "2026-12-01"),
}


@pytest.fixture(scope="module", params=list(DATES), ids=[day.isoformat() for day in DATES])
def today(request: pytest.FixtureRequest) -> date:
    return request.param


@pytest.fixture(scope="module")
def emulator(today: date) -> Iterator[Emulator]:
    scenario = Scenario(months=3, seed=5, datadog_child_orgs=1, product_families=2)  # the month before last has cost
    with Emulator(scenario=scenario, today=today) as emu:
        yield emu


@pytest.fixture(scope="module")
def sync(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("calendar")
    datadog = {**emulator.credentials["datadog_parent"], "hourly_usage_days": 1}
    config = {"accounts": [emulator.credentials["confluent_org_a"], datadog]}  # no start_date: full histories
    _, configured = discover_catalog(config, tmp)
    run = run_connector(["read"], tmp, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.errors() == []
    return run


def datadog_truth(emulator: Emulator) -> dict:
    """Every month up to the current one, even on its first day (the API already serves its estimate)."""
    return emulator.truth("datadog", end=emulator.today + timedelta(days=1))


def cursors(run: Run, provider: str) -> dict[str, str]:
    states = run.stream_state("usage")["states"]
    return {
        s["partition"].get("kind", "cost"): s["cursor"]["end_date"]
        for s in states
        if s["partition"]["provider"] == provider
    }


def test_datadog_cost_status_per_month_follows_the_16th_rule(emulator: Emulator, today: date, sync: Run) -> None:
    statuses, _ = DATES[today]
    costs = [r for r in sync.records("usage") if r["provider"] == "datadog" and r["metric_name"] == "cost"]
    by_month: dict[str, set[str]] = {}
    for record in costs:
        by_month.setdefault(record["start_date"][:7], set()).add(record["usage"]["cost_status"])
    assert by_month == {month: {status} for month, status in statuses.items()}
    truth = {line["month"]: line["cost_status"] for line in datadog_truth(emulator)["lines"]}
    assert truth == statuses  # the emulator agrees with the rule as written


def test_datadog_cost_per_month_equals_the_truth_and_the_cursor_waits_for_finality(
    emulator: Emulator, today: date, sync: Run
) -> None:
    _, cost_cursor = DATES[today]
    costs = [r for r in sync.records("usage") if r["provider"] == "datadog" and r["metric_name"] == "cost"]
    truth = datadog_truth(emulator)
    assert len(costs) == truth["count"]
    delivered = charge_total_by_month(costs)
    assert set(delivered) == set(truth["by_month"])
    for month, amount in truth["by_month"].items():
        assert abs(delivered[month] - Decimal(str(amount))) < CENT, month
    assert cursors(sync, "datadog")["cost"] == f"{cost_cursor}T00:00:00Z"


def test_confluent_cost_per_month_equals_the_truth_up_to_yesterday(emulator: Emulator, today: date, sync: Run) -> None:
    usage = [r for r in sync.records("usage") if r["provider"] == "confluent"]
    truth = emulator.truth("confluent", emulator.confluent_tenants[0].first_day, today)
    assert len([c for r in usage for c in r["charges"]]) == truth["count"]
    delivered = charge_total_by_month(usage)
    assert set(delivered) == set(truth["by_month"])
    for month, amount in truth["by_month"].items():
        assert abs(delivered[month] - Decimal(str(amount))) < CENT, month
    assert max(r["start_date"][:10] for r in usage) == (today - timedelta(days=1)).isoformat()
    assert cursors(sync, "confluent") == {"cost": f"{today.isoformat()}T00:00:00Z"}


def test_datadog_hourly_usage_of_yesterday_equals_the_truth(emulator: Emulator, today: date, sync: Run) -> None:
    hourly = [r for r in sync.records("usage") if r["provider"] == "datadog" and r["metric_name"] != "cost"]
    truth = emulator.truth_hourly(today - timedelta(days=1), today)
    assert len(hourly) == truth["count"]
    assert {r["start_date"][:10] for r in hourly} == {(today - timedelta(days=1)).isoformat()}
