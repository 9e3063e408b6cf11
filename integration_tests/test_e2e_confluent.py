"""Confluent end to end: the console script against the emulator over HTTP, checked against its ground truth."""

from __future__ import annotations

from datetime import date, timedelta
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
LOOKBACK_DAYS = 5  # the documented Confluent default (README: lookback_days)


def cost_line_ids(lines: list[dict], org_id: str) -> set[str]:
    """The documented id of every truth line: `confluent|<org>|cost|<day>|<env>|<resource>|<product>|<line_type>`."""
    return {
        f"confluent|{org_id}|cost|{line['day']}|{line['environment_id'] or '-'}|{line['resource_id'] or '-'}"
        f"|{line['product'] or '-'}|{line['line_type']}"
        for line in lines
    }


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


def test_every_id_is_the_documented_format_rebuilt_from_the_truth(emulator: Emulator, config: dict, first_sync) -> None:
    _, _, run = first_sync
    tenant = emulator.confluent_tenants[0]
    org = tenant.org_id
    truth = emulator.truth("confluent", config["start_date"], emulator.today)
    usage = run.records("usage")
    assert {r["id"] for r in usage} == cost_line_ids(truth["lines"], org)
    assert {r["product"]["id"] for r in usage if r.get("product")} == {
        f"confluent|product|{line['product']}" for line in truth["lines"] if line["product"]
    }
    assert [r["id"] for r in run.records("organizations")] == [f"confluent|{org}|organization"]
    assert {r["id"] for r in run.records("workspaces")} == {
        f"confluent|{org}|environment|{env['id']}" for env in tenant.environments
    }
    assert {r["organization"]["id"] for r in usage} == {f"confluent|{org}|organization"}
    assert all(r["id"].startswith("confluent|product|") for r in run.records("products"))


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
    window_start = f"{(emulator.today - timedelta(days=LOOKBACK_DAYS)).isoformat()}T00:00:00Z"
    again = second.records("usage")
    assert min(r["start_date"] for r in again) == window_start  # exactly the lookback: not 3 days, not 6
    assert {r["id"] for r in again} == {r["id"] for r in run.records("usage") if r["start_date"] >= window_start}
    truth = emulator.truth("confluent", window_start, emulator.today)
    assert len([c for r in again for c in r["charges"]]) == truth["count"]
    union = dedup_by_id(run.records("usage") + again)
    assert union == dedup_by_id(run.records("usage"))


def test_two_organizations_sync_together_with_separate_state(emulator: Emulator, tmp_path: Path) -> None:
    creds = emulator.credentials
    config = emulator.connector_config(accounts=[creds["confluent_org_a"], creds["confluent_org_b"]])
    _, configured = discover_catalog(config, tmp_path)
    run = run_connector(["read"], tmp_path, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.errors() == []
    usage = run.records("usage")
    org_ids = {a: emulator.confluent_tenants[i].org_id for i, a in enumerate(("confluent_org_a", "confluent_org_b"))}
    assert {r["organization"]["id"] for r in usage} == {f"confluent|{org}|organization" for org in org_ids.values()}
    truth = sum(
        Decimal(str(emulator.truth("confluent", config["start_date"], emulator.today, account=a)["total"]))
        for a in org_ids
    )
    assert abs(charge_total(usage) - truth) < CENT
    products = [r["id"] for r in run.records("products")]
    assert len(products) == len(set(products))  # both organizations bill KAFKA: one record
    partitions = {s["partition"]["tenant"]: s["cursor"] for s in run.stream_state("usage")["states"]}
    assert set(partitions) == set(org_ids.values())


def test_two_organizations_resume_each_from_its_own_cursor_whatever_the_account_order(
    emulator: Emulator, tmp_path: Path
) -> None:
    creds = emulator.credentials
    org_a, org_b = (tenant.org_id for tenant in emulator.confluent_tenants[:2])
    host = f"127.0.0.1:{emulator.port}"
    cursor_a, cursor_b = emulator.today - timedelta(days=3), emulator.today - timedelta(days=20)
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "usage"},
                "stream_state": {
                    "states": [
                        {
                            "partition": {"provider": "confluent", "host": host, "tenant": org_a},
                            "cursor": {"end_date": f"{cursor_a.isoformat()}T00:00:00Z"},
                        },
                        {
                            "partition": {"provider": "confluent", "host": host, "tenant": org_b},
                            "cursor": {"end_date": f"{cursor_b.isoformat()}T00:00:00Z"},
                        },
                    ]
                },
            },
        }
    ]
    config = emulator.connector_config(accounts=[creds["confluent_org_b"], creds["confluent_org_a"]])  # reordered
    _, configured = discover_catalog(config, tmp_path)
    run = run_connector(["read"], tmp_path, config=config, catalog=configured, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    for org, cursor, account in ((org_a, cursor_a, "confluent_org_a"), (org_b, cursor_b, "confluent_org_b")):
        records = [r for r in run.records("usage") if r["organization"]["id"] == f"confluent|{org}|organization"]
        start = cursor - timedelta(days=LOOKBACK_DAYS)
        assert min(r["start_date"] for r in records) == f"{start.isoformat()}T00:00:00Z", account
        truth = emulator.truth("confluent", start, emulator.today, account=account)
        assert abs(charge_total(records) - Decimal(str(truth["total"]))) < CENT, account
    cursors = {s["partition"]["tenant"]: s["cursor"]["end_date"] for s in run.stream_state("usage")["states"]}
    assert cursors == {org: f"{emulator.today.isoformat()}T00:00:00Z" for org in (org_a, org_b)}


def test_end_date_is_inclusive(emulator: Emulator, config: dict, tmp_path: Path) -> None:
    start = date.fromisoformat(config["start_date"])
    end = start + timedelta(days=9)
    bounded = dict(config, end_date=end.isoformat())
    _, configured = discover_catalog(bounded, tmp_path)
    run = run_connector(["read"], tmp_path, config=bounded, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    days = {r["start_date"][:10] for r in run.records("usage")}
    assert min(days) == start.isoformat()
    assert max(days) == end.isoformat()  # the end date's own costs are read
    truth = emulator.truth("confluent", start, end + timedelta(days=1))
    assert len([c for r in run.records("usage") for c in r["charges"]]) == truth["count"]
    assert abs(charge_total(run.records("usage")) - Decimal(str(truth["total"]))) < CENT
    cursor = run.stream_state("usage")["states"][0]["cursor"]["end_date"]
    assert cursor == f"{(end + timedelta(days=1)).isoformat()}T00:00:00Z"
