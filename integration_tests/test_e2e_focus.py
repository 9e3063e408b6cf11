"""focus_cost end to end: money across incremental syncs, lookback and Datadog's estimate turning final."""

from __future__ import annotations

import socket
from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import Run, dedup_by_id, discover_catalog, run_connector
from integration_tests.invariants import charges_by_provider_month, money_problems, truth_by_provider_month
from source_usage_metering.clock import pinned_env

ACCOUNTS = ("confluent_org_a", "datadog_parent")
START = "2026-10-01"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sync_on(today: date, port: int, tmp: Path, state: list | None = None) -> Run:
    """One sync of both providers against an emulator whose today (and the connector's clock) is `today`."""
    with Emulator(scenario=Scenario(months=2, seed=7), today=today, port=port) as emu:
        config = emu.connector_config(accounts=[emu.credentials[name] for name in ACCOUNTS], start_date=START)
        config["accounts"][1]["hourly_usage_days"] = 1
        _, catalog = discover_catalog(config, tmp)
        catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] in ("usage", "focus_cost")]
        env = pinned_env(datetime(today.year, today.month, today.day, 6, 30, tzinfo=timezone.utc))
        run = run_connector(["read"], tmp, config=config, catalog=catalog, state=state, env=env)
        run.truth = truth_by_provider_month(emu, [("confluent", ACCOUNTS[0]), ("datadog", ACCOUNTS[1])], START, today)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def billed_by_provider_month(rows: list[dict]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[(row["x_Provider"], row["ChargePeriodStart"][:7])] += Decimal(str(row["BilledCost"]))
    return dict(totals)


def test_focus_money_equals_usage_and_the_truth_across_syncs_and_the_estimate_turning_final(tmp_path: Path) -> None:
    port = free_port()
    first = sync_on(date(2026, 11, 14), port, tmp_path)  # before the 16th: October is an estimate
    second = sync_on(date(2026, 11, 20), port, tmp_path, state=first.last_states())  # October final
    october = {r["x_ChargeId"]: r for r in first.records("focus_cost") if r["x_Provider"] == "datadog"}
    final = {r["x_ChargeId"]: r for r in second.records("focus_cost") if r["x_Provider"] == "datadog"}
    assert {r["x_CostStatus"] for r in october.values() if r["ChargePeriodStart"] < "2026-11"} == {"estimated"}
    replaced = [key for key, row in final.items() if row["x_CostStatus"] == "final"]
    assert replaced
    assert set(replaced) <= set(october)  # the final rows carry the estimate's keys: replaced, never added
    rows = list({r["x_ChargeId"]: r for r in first.records("focus_cost") + second.records("focus_cost")}.values())
    usage = list(dedup_by_id(first.records("usage") + second.records("usage")).values())
    assert billed_by_provider_month(rows) == charges_by_provider_month(usage)
    # The emulator's unknown-product rows exist only in the days just before its today, so the first sync's
    # November rows of those days are gone from the second emulator's truth: November of Confluent is checked
    # above against usage (the same money), every other provider-month against the truth.
    billed = {key: value for key, value in billed_by_provider_month(rows).items() if key != ("confluent", "2026-11")}
    truth = {key: value for key, value in second.truth.items() if key != ("confluent", "2026-11")}
    assert set(billed) == {("confluent", "2026-10"), ("datadog", "2026-10"), ("datadog", "2026-11")}
    assert money_problems(billed, truth) == []
