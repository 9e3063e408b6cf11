"""Confluent end to end: the console script against the emulator over HTTP, checked against its ground truth."""

from __future__ import annotations

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
    dedup_by_id,
    discover_catalog,
    record_key,
    run_connector,
)

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def config(emulator: Emulator) -> dict:
    return emulator.connector_config(providers=("confluent",))


@pytest.fixture(scope="module")
def first_sync(emulator: Emulator, config: dict, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("confluent")
    catalog, configured = discover_catalog(config, tmp)
    run = run_connector(["read"], tmp, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    return catalog, configured, run


def test_check_succeeds_and_names_no_secret(emulator: Emulator, config: dict, tmp_path: Path) -> None:
    run = run_connector(["check"], tmp_path, config=config)
    status = run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "SUCCEEDED", status
    secret = config["accounts"][0]["api_secret"]
    assert secret not in run.stdout + run.stderr


def test_every_cost_line_exactly_once_and_totals_match_truth(emulator: Emulator, config: dict, first_sync) -> None:
    _, _, run = first_sync
    usage = run.records("usage")
    truth = emulator.truth("confluent", config["start_date"], emulator.today)
    charges = [c for r in usage for c in r["charges"]]
    assert len(charges) == truth["count"]
    assert abs(charge_total(usage) - Decimal(str(truth["total"]))) < CENT
    by_month = charge_total_by_month(usage)
    assert set(by_month) == set(truth["by_month"])
    for month, amount in truth["by_month"].items():
        assert abs(by_month[month] - Decimal(str(amount))) < CENT, month


def test_ids_unique_and_records_validate_against_discovered_schema(first_sync) -> None:
    catalog, _, run = first_sync
    schemas = {s["name"]: s["json_schema"] for s in catalog["streams"]}
    for stream in STREAMS:
        records = run.records(stream)
        assert records, stream
        ids = [record_key(r) for r in records]
        assert len(ids) == len(set(ids)), stream
        for record in records:
            jsonschema.validate(record, schemas[stream])


def test_references_resolve_except_documented_ones(emulator: Emulator, first_sync) -> None:
    _, _, run = first_sync
    organizations = {r["id"] for r in run.records("organizations")}
    products = {r["id"] for r in run.records("products")}
    workspaces = {r["id"] for r in run.records("workspaces")}
    dangling_workspaces, dangling_products = set(), set()
    for record in run.records("usage"):
        assert record["organization"]["id"] in organizations
        if record.get("product") and record["product"]["id"] not in products:
            dangling_products.add(record["product"]["id"])
        for resource in record["resources"]:
            if resource["workspace"]["id"] not in workspaces:
                dangling_workspaces.add(resource["workspace"]["id"].rsplit("|", 1)[-1])
    # The documented exceptions: a deleted environment (it only appears in cost rows) and a product value the
    # catalogue does not know that only appears in cost rows older than the products stream's recent window.
    assert dangling_workspaces == {emulator.confluent_tenants[0].deleted_env_id}
    assert dangling_products <= {"confluent|product|QUANTUM_STREAMS"}


def test_second_read_returns_only_lookback_and_union_equals_full_read(
    emulator: Emulator, config: dict, first_sync, tmp_path: Path
) -> None:
    _, configured, run = first_sync
    cursor = run.stream_state("usage")["states"][0]["cursor"]["end_date"]
    assert cursor == f"{emulator.today.isoformat()}T00:00:00Z"
    second = run_connector(["read"], tmp_path, config=config, catalog=configured, state=run.last_states())
    assert second.returncode == 0, second.stderr[-3000:]
    lookback_start = (datetime.fromisoformat(cursor.replace("Z", "+00:00")) - timedelta(days=5)).isoformat()
    again = second.records("usage")
    assert again
    assert all(r["start_date"] >= lookback_start.replace("+00:00", "Z") for r in again)
    assert len(again) < len(run.records("usage"))
    union = dedup_by_id(run.records("usage") + again)
    assert union == dedup_by_id(run.records("usage"))


def test_two_organizations_sync_together_with_separate_state(emulator: Emulator, tmp_path: Path) -> None:
    creds = emulator.credentials
    config = emulator.connector_config(accounts=[creds["confluent_org_a"], creds["confluent_org_b"]])
    _, configured = discover_catalog(config, tmp_path)
    run = run_connector(["read"], tmp_path, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    usage = run.records("usage")
    organizations = {r["organization"]["id"] for r in usage}
    assert len(organizations) == 2
    truth = sum(
        Decimal(str(emulator.truth("confluent", config["start_date"], emulator.today, account=a)["total"]))
        for a in ("confluent_org_a", "confluent_org_b")
    )
    assert abs(charge_total(usage) - truth) < CENT
    partitions = [s["partition"] for s in run.stream_state("usage")["states"]]
    assert len({p["tenant"] for p in partitions}) == 2
    reordered = dict(config, accounts=list(reversed(config["accounts"])))
    again = run_connector(["read"], tmp_path, config=reordered, catalog=configured, state=run.last_states())
    assert again.returncode == 0
    first_day = min(r["start_date"] for r in again.records("usage"))
    assert first_day >= (emulator.today - timedelta(days=5)).isoformat()


def test_end_date_is_inclusive(emulator: Emulator, config: dict, tmp_path: Path) -> None:
    start = date.fromisoformat(config["start_date"])
    end = start + timedelta(days=9)
    bounded = dict(config, end_date=end.isoformat())
    _, configured = discover_catalog(bounded, tmp_path)
    run = run_connector(["read"], tmp_path, config=bounded, catalog=configured)
    days = {r["start_date"][:10] for r in run.records("usage")}
    assert max(days) == end.isoformat()
    truth = emulator.truth("confluent", start, end + timedelta(days=1))
    assert abs(charge_total(run.records("usage")) - Decimal(str(truth["total"]))) < CENT
    assert datetime.now(timezone.utc)  # the clock is only read by the connector and the emulator
