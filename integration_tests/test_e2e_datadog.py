"""Datadog end to end: the console script against the emulator over HTTP, checked against its ground truth."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from integration_tests.emulator import Emulator
from integration_tests.harness import (
    STREAMS,
    charge_total,
    charge_total_by_month,
    discover_catalog,
    record_key,
    run_connector,
)

CENT = Decimal("0.01")
HOURLY_DAYS = 2


def datadog_config(emulator: Emulator, credential: str = "datadog_parent", **account: object) -> dict:
    """A first-sync config: no start_date (full cost history, `HOURLY_DAYS` of hourly usage)."""
    item = {**emulator.credentials[credential], "hourly_usage_days": HOURLY_DAYS, **account}
    return {"accounts": [item], "include_remote_data": True}


def hourly_ids(emulator: Emulator, start: datetime, end: datetime, orgs: list[int]) -> set[str]:
    """The documented id of every non-null measurement the emulator serves for `orgs` in [start, end).

    `datadog|<site>|<public_id>|hourly|<family>|<usage_type>|<YYYY-MM-DDTHH>`, rebuilt from the emulator's rows.
    """
    account, expected, hour = emulator.datadog_account, set(), start
    while hour < min(end, account.end_hour):
        for row in account.hourly_page(orgs, account.families, hour, 0, len(orgs) * len(account.families)):
            attributes = row["attributes"]
            for measurement in attributes["measurements"]:
                if measurement["value"] is not None:
                    expected.add(
                        f"datadog|datadoghq.com|{attributes['public_id']}|hourly|{attributes['product_family']}"
                        f"|{measurement['usage_type']}|{attributes['timestamp'][:13]}"
                    )
        hour += timedelta(hours=1)
    return expected


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def cost_records(records: list[dict]) -> list[dict]:
    return [r for r in records if r["provider"] == "datadog" and r["metric_name"] == "cost"]


def hourly_records(records: list[dict]) -> list[dict]:
    return [r for r in records if r["provider"] == "datadog" and r["metric_name"] != "cost"]


@pytest.fixture(scope="module")
def first_sync(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("datadog")
    config = datadog_config(emulator)
    catalog, configured = discover_catalog(config, tmp)
    run = run_connector(["read"], tmp, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    return config, catalog, configured, run


def test_check_succeeds_and_names_the_missing_permission(emulator: Emulator, tmp_path: Path) -> None:
    config = datadog_config(emulator)
    run = run_connector(["check"], tmp_path, config=config)
    assert run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    refused = run_connector(["check"], tmp_path, config=datadog_config(emulator, "datadog_no_usage"))
    status = refused.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED"
    assert "usage_read" in status["message"]
    secret = emulator.credentials["datadog_no_usage"]["application_key"]
    assert secret not in refused.stdout + refused.stderr


def test_cost_equals_truth_to_the_cent_per_month_and_every_line_once(emulator: Emulator, first_sync) -> None:
    _, _, _, run = first_sync
    costs = cost_records(run.records("usage"))
    truth = emulator.truth("datadog")
    assert len(costs) == truth["count"]
    keys = Counter(
        (r["organization"]["id"].split("|")[2], r["start_date"][:7], r["usage"]["product_name"]) for r in costs
    )
    expected = Counter((line["org_public_id"], line["month"], line["product_name"]) for line in truth["lines"])
    assert keys == expected
    assert abs(charge_total(costs) - Decimal(str(truth["total"]))) < CENT
    by_month = charge_total_by_month(costs)
    assert set(by_month) == set(truth["by_month"])
    for month, amount in truth["by_month"].items():
        assert abs(by_month[month] - Decimal(str(amount))) < CENT, month
    status = {
        (line["org_public_id"], line["month"], line["product_name"]): line["cost_status"] for line in truth["lines"]
    }
    for record in costs:
        key = (record["organization"]["id"].split("|")[2], record["start_date"][:7], record["usage"]["product_name"])
        assert record["usage"]["cost_status"] == status[key]
        assert {c["type"] for c in record["charges"]} <= {"committed", "on_demand"}


def test_hourly_measurements_equal_truth(emulator: Emulator, first_sync) -> None:
    _, _, _, run = first_sync
    hourly = hourly_records(run.records("usage"))
    start = emulator.today - timedelta(days=HOURLY_DAYS)
    truth = emulator.truth_hourly(start, emulator.today)
    assert len(hourly) == truth["count"]
    assert sum(r["usage"]["quantity"] for r in hourly) == truth["total"]
    assert sum(r["usage"]["quantity"] == 0 for r in hourly) == truth["zeros"]
    assert all(r["charges"] == [] for r in hourly)


def test_every_id_is_the_documented_format_rebuilt_from_the_truth(emulator: Emulator, first_sync) -> None:
    _, _, _, run = first_sync
    usage = run.records("usage")
    truth = emulator.truth("datadog")
    assert {r["id"] for r in cost_records(usage)} == {
        f"datadog|datadoghq.com|{line['org_public_id']}|cost|{line['month']}|{line['product_name']}"
        for line in truth["lines"]
    }
    assert {r["product"]["id"] for r in cost_records(usage)} == {
        f"datadog|billing_dimension|{line['product_name']}" for line in truth["lines"]
    }
    orgs = list(range(len(emulator.datadog_account.orgs)))
    start = midnight(emulator.today - timedelta(days=HOURLY_DAYS))
    hourly = hourly_records(usage)
    assert {r["id"] for r in hourly} == hourly_ids(emulator, start, midnight(emulator.today), orgs)
    assert {r["product"]["id"] for r in hourly} == {
        f"datadog|product|{family}" for family in emulator.datadog_account.families
    }
    assert {r["id"] for r in run.records("organizations")} == {
        f"datadog|datadoghq.com|{org['public_id']}|organization" for org in emulator.datadog_account.orgs
    }


def test_ids_unique_records_valid_and_references_resolve(first_sync) -> None:
    _, catalog, _, run = first_sync
    schemas = {s["name"]: s["json_schema"] for s in catalog["streams"]}
    for stream in STREAMS:
        records = run.records(stream)
        ids = [record_key(r) for r in records]
        assert len(ids) == len(set(ids)), stream
        validator = jsonschema.Draft7Validator(schemas[stream])
        for record in records:
            validator.validate(record)
    assert run.records("workspaces") == []
    organizations = {r["id"] for r in run.records("organizations")}
    products = {r["id"] for r in run.records("products")}
    assert len(organizations) == 3  # the parent and its two child orgs
    for record in run.records("usage"):
        assert record["organization"]["id"] in organizations
        assert record["product"]["id"] in products


def test_parent_keys_with_include_child_orgs_false_read_only_the_parent_org(
    emulator: Emulator, first_sync, tmp_path: Path
) -> None:
    config = datadog_config(emulator, hourly_usage_days=1, include_child_orgs=False)
    run = run_connector(["read"], tmp_path, config=config, catalog=first_sync[2])
    assert run.returncode == 0, run.stderr[-3000:]
    parent = emulator.datadog_account.orgs[0]["public_id"]
    usage = run.records("usage")
    lines = [line for line in emulator.truth("datadog")["lines"] if line["org_public_id"] == parent]
    costs = cost_records(usage)
    assert {r["id"] for r in costs} == {
        f"datadog|datadoghq.com|{parent}|cost|{line['month']}|{line['product_name']}" for line in lines
    }
    assert abs(charge_total(costs) - sum(Decimal(str(line["amount"])) for line in lines)) < CENT
    hourly = hourly_records(usage)
    truth = emulator.truth_hourly(emulator.today - timedelta(days=1), emulator.today, include_descendants=False)
    assert len(hourly) == truth["count"]
    assert sum(r["usage"]["quantity"] for r in hourly) == truth["total"]
    assert {r["organization"]["id"] for r in usage} == {f"datadog|datadoghq.com|{parent}|organization"}
    assert [r["id"] for r in run.records("organizations")] == [f"datadog|datadoghq.com|{parent}|organization"]


def test_second_sync_reads_only_the_hourly_lookback_and_open_cost_months(
    emulator: Emulator, first_sync, tmp_path
) -> None:
    config, _, configured, run = first_sync
    cursors = {s["partition"]["kind"]: s["cursor"]["end_date"] for s in run.stream_state("usage")["states"]}
    second = run_connector(["read"], tmp_path, config=config, catalog=configured, state=run.last_states())
    assert second.returncode == 0, second.stderr[-3000:]
    usage = second.records("usage")
    assert cursors["hourly"] == f"{emulator.today.isoformat()}T06:00:00Z"  # the last full hour of the pinned 06:30
    earliest = datetime.fromisoformat(cursors["hourly"].replace("Z", "+00:00")) - timedelta(days=3)  # 72 h lookback
    orgs = list(range(len(emulator.datadog_account.orgs)))
    expected = hourly_ids(emulator, earliest, midnight(emulator.today), orgs)
    assert {r["id"] for r in hourly_records(usage)} == expected  # exactly the lookback, nothing older
    open_months = {line["month"] for line in emulator.truth("datadog")["lines"] if line["cost_status"] == "estimated"}
    costs = cost_records(usage)
    assert {r["start_date"][:7] for r in costs} == open_months
    assert {r["usage"]["cost_status"] for r in costs} == {"estimated"}


def test_keys_without_billing_read_sync_hourly_usage_and_warn(emulator: Emulator, first_sync, tmp_path: Path) -> None:
    config = datadog_config(emulator, "datadog_no_billing", hourly_usage_days=1)
    configured = first_sync[2]
    run = run_connector(["read"], tmp_path, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    truth = emulator.truth_hourly(emulator.today - timedelta(days=1), emulator.today, account="datadog_no_billing")
    hourly = hourly_records(run.records("usage"))
    assert len(hourly) == truth["count"]
    assert sum(r["usage"]["quantity"] for r in hourly) == truth["total"]
    assert cost_records(run.records("usage")) == []
    warnings = [m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] == "WARN"]
    assert any("billing_read" in w for w in warnings)


def test_child_org_keys_read_their_own_usage_only(emulator: Emulator, first_sync, tmp_path: Path) -> None:
    config = datadog_config(emulator, "datadog_child", hourly_usage_days=1)
    configured = first_sync[2]
    run = run_connector(["read"], tmp_path, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    organizations = {r["id"] for r in run.records("organizations")}
    assert len(organizations) == 1
    usage = run.records("usage")
    assert {r["organization"]["id"] for r in usage} == organizations
    truth = emulator.truth_hourly(emulator.today - timedelta(days=1), emulator.today, account="datadog_child")
    assert len(usage) == truth["count"]


def test_mixed_confluent_and_datadog_config_syncs_both_with_their_truths(
    emulator: Emulator, first_sync, tmp_path: Path
) -> None:
    config = datadog_config(emulator, hourly_usage_days=1)  # no start_date: each provider's full cost history
    config["accounts"].insert(0, emulator.credentials["confluent_org_a"])
    configured = first_sync[2]
    run = run_connector(["read"], tmp_path, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    usage = run.records("usage")
    for stream in STREAMS:
        ids = [record_key(r) for r in run.records(stream)]
        assert len(ids) == len(set(ids)), stream
    assert {r["provider"] for r in run.records("workspaces")} == {"confluent"}
    organizations = {r["id"] for r in run.records("organizations")}
    assert all(r["organization"]["id"] in organizations for r in usage)
    for provider, records in (
        ("confluent", [r for r in usage if r["provider"] == "confluent"]),
        ("datadog", cost_records(usage)),
    ):
        truth = emulator.truth(provider)
        assert abs(charge_total(records) - Decimal(str(truth["total"]))) < CENT, provider
