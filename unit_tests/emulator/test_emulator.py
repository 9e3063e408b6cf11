"""The provider emulator over real loopback HTTP: auth, validation, paging, costs, faults, truth."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from integration_tests.emulator import Emulator, Faults, Scenario

TODAY = date(2026, 11, 20)  # October is final (>= Nov 16); November is estimated
COSTS = "/billing/v1/costs"
HOURLY = "/api/v2/usage/hourly_usage"
ESTIMATED = "/api/v2/usage/estimated_cost"
HISTORICAL = "/api/v2/usage/historical_cost"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def emu() -> Emulator:
    with Emulator(scenario=Scenario(months=3, seed=7), today=TODAY) as emulator:
        yield emulator


@pytest.fixture
def clean_faults(emu: Emulator) -> Emulator:
    yield emu
    emu.set_faults(Faults())


def confluent(emu: Emulator, name: str = "confluent_org_a") -> requests.Session:
    session = requests.Session()
    account = emu.credentials[name]
    session.auth = (account["api_key"], account["api_secret"])
    return session


def datadog(emu: Emulator, name: str = "datadog_parent") -> requests.Session:
    session = requests.Session()
    account = emu.credentials[name]
    session.headers.update({"DD-API-KEY": account["api_key"], "DD-APPLICATION-KEY": account["application_key"]})
    return session


def all_cost_rows(emu: Emulator, start: str, end: str, page_size: int = 300) -> list[dict[str, Any]]:
    session, rows = confluent(emu), []
    url = f"{emu.base_url}{COSTS}?start_date={start}&end_date={end}&page_size={page_size}"
    while url:
        body = session.get(url).json()
        rows.extend(body["data"])
        url = body["metadata"]["next"]
    return rows


def all_hourly(session: requests.Session, emu: Emulator, params: dict[str, str]) -> list[dict[str, Any]]:
    records, params = [], {"filter[product_families]": "all", "page[limit]": "100", **params}
    while True:
        body = session.get(emu.base_url + HOURLY, params=params).json()
        records.extend(body["data"])
        if "meta" not in body:
            return records
        params["page[next_record_id]"] = body["meta"]["pagination"]["next_record_id"]


def test_given_bad_confluent_credentials_when_listing_costs_then_401_with_www_authenticate(emu: Emulator) -> None:
    session = confluent(emu)
    session.auth = (emu.credentials["confluent_org_a"]["api_key"], "cfltWRONG")
    response = session.get(emu.base_url + COSTS, params={"start_date": "2026-11-01", "end_date": "2026-11-02"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic error="invalid_key"')
    assert response.json()["errors"][0]["code"] == "user_unauthenticated"
    assert requests.get(emu.base_url + "/org/v2/environments").status_code == 401


def test_given_limited_confluent_keys_when_reading_then_only_permitted_paths_answer(emu: Emulator) -> None:
    window = {"start_date": "2026-11-01", "end_date": "2026-11-02"}
    no_billing, no_org = confluent(emu, "confluent_no_billing"), confluent(emu, "confluent_no_org_read")
    denied = no_billing.get(emu.base_url + COSTS, params=window)
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == "forbidden_access"
    assert no_billing.get(emu.base_url + "/org/v2/organizations").status_code == 200
    assert no_org.get(emu.base_url + "/org/v2/organizations").status_code == 403
    assert no_org.get(emu.base_url + "/org/v2/environments").status_code == 200
    assert no_org.get(emu.base_url + COSTS, params=window).status_code == 200


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"end_date": "2026-11-02"}, "start_date is required"),
        ({"start_date": "2026-11-01"}, "end_date is required"),
        ({"start_date": "2026/11/01", "end_date": "2026-11-02"}, "invalid start date format, expected YYYY-MM-DD"),
        ({"start_date": "2026-11-02", "end_date": "2026-11-02"}, "start date must be before end date"),
        ({"start_date": "2026-09-01", "end_date": "2026-10-03"}, "end date and start date are too far apart"),
        ({"start_date": "2025-11-01", "end_date": "2025-11-20"}, "start date is too far in the past"),
        ({"start_date": "2026-11-01", "end_date": "2026-11-02", "page_size": "10001"}, None),
    ],
    ids=["missing_start", "missing_end", "bad_format", "start_not_before_end", "over_31_days", "too_old", "page_size"],
)
def test_given_invalid_cost_window_when_listing_costs_then_400(emu: Emulator, params: dict, detail: str) -> None:
    response = confluent(emu).get(emu.base_url + COSTS, params=params)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["status"] == "400"
    if detail:
        assert error["detail"] == detail


def test_given_a_month_when_paging_costs_to_exhaustion_then_rows_match_truth(emu: Emulator) -> None:
    session = confluent(emu)
    first = session.get(emu.base_url + COSTS, params={"start_date": "2026-10-01", "end_date": "2026-11-01"}).json()
    assert first["api_version"] == "v1"
    assert first["kind"] == "CostList"
    assert first["metadata"]["next"] == ""  # one page at the default size of 5000
    rows = all_cost_rows(emu, "2026-10-01", "2026-11-01", page_size=250)
    assert rows == first["data"]
    truth = emu.truth("confluent", "2026-10-01", "2026-11-01")
    assert truth["count"] == len(rows) > 250
    assert truth["total"] == float(sum(Decimal(str(row["amount"])) for row in rows))
    assert truth["by_month"] == {"2026-10": truth["total"]}
    assert all("id" not in row and "kind" not in row for row in rows)


def test_given_cost_rows_then_the_documented_quirks_are_present(emu: Emulator) -> None:
    old = all_cost_rows(emu, "2026-09-01", "2026-10-01", page_size=5000)
    recent = all_cost_rows(emu, "2026-11-13", "2026-11-20", page_size=5000)
    old_products, recent_products = {r["product"] for r in old}, {r["product"] for r in recent}
    assert "QUANTUM_STREAMS" in old_products - recent_products
    assert "NEBULA_GATEWAY" in recent_products - old_products
    promos = [r for r in old if r["line_type"] == "PROMO_CREDIT"]
    assert promos
    assert all("resource" not in r and r["amount"] < 0 for r in promos)
    assert any(r["product"] == "SUPPORT_CLOUD_BUSINESS" and "resource" not in r for r in old)
    assert any(r["start_date"].endswith(" 00:00:00") for r in old)
    assert any(r["amount"] == 0 and r["quantity"] for r in old)
    tiers: dict[tuple, int] = {}
    for row in old:
        if row["line_type"] == "CONNECT_THROUGHPUT":
            key = (row["start_date"], row["resource"]["id"])
            tiers[key] = tiers.get(key, 0) + 1
    assert tiers
    assert min(tiers.values()) >= 2
    listed = {env["id"] for env in confluent(emu).get(emu.base_url + "/org/v2/environments").json()["data"]}
    billed = {r["resource"]["environment"]["id"] for r in old if "resource" in r}
    assert billed - listed  # a deleted environment


def test_given_page_size_2_when_listing_environments_then_next_is_a_url_then_null(emu: Emulator) -> None:
    session, ids = confluent(emu), []
    url = f"{emu.base_url}/org/v2/environments?page_size=2"
    pages = 0
    while url:
        body = session.get(url).json()
        ids += [env["id"] for env in body["data"]]
        url, pages = body["metadata"]["next"], pages + 1
    assert pages >= 2
    assert "next" in body["metadata"]
    assert body["metadata"]["next"] is None
    orgs = session.get(emu.base_url + "/org/v2/organizations").json()
    assert "next" not in orgs["metadata"]
    assert orgs["data"][0]["metadata"]["resource_name"] == f"crn://confluent.cloud/organization={orgs['data'][0]['id']}"
    other = confluent(emu, "confluent_org_b").get(emu.base_url + "/org/v2/organizations").json()
    assert other["data"][0]["id"] != orgs["data"][0]["id"]


def test_given_datadog_keys_when_wrong_or_lacking_permission_then_403(emu: Emulator) -> None:
    params = {"filter[timestamp][start]": "2026-11-10T00", "filter[product_families]": "all"}
    wrong = requests.get(emu.base_url + HOURLY, params=params, headers={"DD-API-KEY": "x", "DD-APPLICATION-KEY": "y"})
    assert (wrong.status_code, wrong.json()) == (403, {"errors": ["Forbidden"]})
    no_usage = datadog(emu, "datadog_no_usage").get(emu.base_url + HOURLY, params=params)
    assert no_usage.json() == {"errors": ["Forbidden", "Failed permission authorization checks"]}
    no_billing = datadog(emu, "datadog_no_billing")
    assert no_billing.get(emu.base_url + ESTIMATED, params={"start_month": "2026-11"}).status_code == 403
    assert no_billing.get(emu.base_url + HOURLY, params=params).status_code == 200
    assert datadog(emu).get(emu.base_url + "/api/v1/validate").json() == {"valid": True}


def test_given_descendants_when_paging_hourly_usage_then_meta_absent_on_last_page(emu: Emulator) -> None:
    params = {"filter[timestamp][start]": "2026-11-10T00", "filter[include_descendants]": "true"}
    records = all_hourly(datadog(emu), emu, params)
    truth = emu.truth_hourly("2026-11-10", "2026-11-11")
    assert len(records) == truth["records"] > 100
    values = [m["value"] for r in records for m in r["attributes"]["measurements"]]
    assert sum(v is not None for v in values) == truth["count"]
    assert 0.1 < values.count(None) / len(values) < 0.3
    assert "quantum_observability" in {r["attributes"]["product_family"] for r in records}
    assert len({r["attributes"]["public_id"] for r in records}) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter[timestamp][end]": "2026-11-11T01", "filter[include_descendants]": "true"}, "24 hours"),
        ({"filter[timestamp][end]": "2027-01-12T00"}, "2 months"),
        ({"filter[timestamp][end]": "2026-11-09T00"}, "start_hr [YYYY-MM-DDThh] must be before end_hr"),
        ({"filter[product_families]": "infra_hosts,nope"}, "nope"),
    ],
    ids=["multi_org_over_24h", "single_org_over_2_months", "start_after_end", "unknown_family"],
)
def test_given_bad_hourly_window_when_reading_then_400(emu: Emulator, params: dict, message: str) -> None:
    query = {"filter[timestamp][start]": "2026-11-10T00", "filter[product_families]": "all", **params}
    response = datadog(emu).get(emu.base_url + HOURLY, params=query)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]


def test_given_child_org_keys_when_reading_costs_then_400_non_parent(emu: Emulator) -> None:
    child = datadog(emu, "datadog_child")
    for path in (ESTIMATED, HISTORICAL):
        response = child.get(emu.base_url + path, params={"start_month": "2026-10"})
        assert response.status_code == 400
        assert "non-parent org keys" in response.json()["errors"][0]
    params = {"filter[timestamp][start]": "2026-11-10T00", "filter[product_families]": "logs"}
    records = child.get(emu.base_url + HOURLY, params=params).json()["data"]
    child_org = emu.truth("datadog", account="datadog_child")["lines"][0]["org_public_id"]
    assert {r["attributes"]["public_id"] for r in records} == {child_org}


def test_given_today_after_the_16th_when_reading_costs_then_estimated_and_historical_agree(emu: Emulator) -> None:
    session = datadog(emu)
    params = {"start_month": "2026-10", "end_month": "2026-11", "view": "sub-org"}
    historical = session.get(emu.base_url + HISTORICAL, params=params).json()["data"]
    estimated = session.get(emu.base_url + ESTIMATED, params=params).json()["data"]
    assert {row["attributes"]["date"][:7] for row in historical} == {"2026-10"}
    assert {row["attributes"]["date"][:7] for row in estimated} == {"2026-10", "2026-11"}
    october = [row["attributes"] for row in estimated if row["attributes"]["date"].startswith("2026-10")]
    assert october == [row["attributes"] for row in historical]
    assert session.get(emu.base_url + ESTIMATED, params={"start_month": "2026-08"}).status_code == 400
    for attributes in october:
        by_product: dict[str, dict[str, list[float]]] = {}
        for charge in attributes["charges"]:
            by_product.setdefault(charge["product_name"], {}).setdefault(charge["charge_type"], []).append(
                charge["cost"]
            )
        for product, lines in by_product.items():
            expected = Decimal(0)
            for cost in lines["committed"] + lines["on_demand"]:
                expected += Decimal(str(cost))
            assert Decimal(str(lines["total"][0])) == expected, product
    parent = next(a for a in october if a["public_id"] == a["account_public_id"])
    infra = [c["charge_type"] for c in parent["charges"] if c["product_name"] == "infra_host"]
    assert infra == ["committed", "committed", "on_demand", "total"]


def test_given_served_costs_then_datadog_truth_matches_committed_plus_on_demand(emu: Emulator) -> None:
    session = datadog(emu)
    rows = session.get(emu.base_url + HISTORICAL, params={"start_month": "2026-10", "end_month": "2026-10"}).json()
    rows = rows["data"] + session.get(emu.base_url + ESTIMATED, params={"start_month": "2026-11"}).json()["data"]
    served = sum(
        (Decimal(str(c["cost"])) for r in rows for c in r["attributes"]["charges"] if c["charge_type"] != "total"),
        Decimal(0),
    )
    truth = emu.truth("datadog", "2026-10-01", "2026-12-01")
    assert truth["total"] == float(served)
    assert {line["cost_status"] for line in truth["lines"] if line["month"] == "2026-10"} == {"final"}
    assert {line["cost_status"] for line in truth["lines"] if line["month"] == "2026-11"} == {"estimated"}


def test_given_today_before_the_16th_then_previous_month_is_estimated_only() -> None:
    with Emulator(scenario=Scenario(months=2), today=date(2026, 11, 10)) as early:
        session = datadog(early)
        assert session.get(early.base_url + HISTORICAL, params={"start_month": "2026-10"}).json() == {"data": []}
        estimated = session.get(early.base_url + ESTIMATED, params={"start_month": "2026-10"}).json()["data"]
        assert [row["attributes"]["date"][:7] for row in estimated] == ["2026-10", "2026-11"]


def test_given_a_small_budget_when_spent_then_429_with_retry_after(clean_faults: Emulator) -> None:
    emu = clean_faults
    emu.set_faults(Faults(rate_limit=3, rate_window_seconds=3600))
    session = datadog(emu)
    statuses = [session.get(emu.base_url + "/api/v1/validate") for _ in range(5)]
    assert [r.status_code for r in statuses].count(429) >= 1
    limited = next(r for r in statuses if r.status_code == 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert "X-RateLimit-Period" in limited.headers
    ok = confluent(emu).get(emu.base_url + "/org/v2/organizations")  # budgets are per provider
    assert ok.status_code == 200
    assert requests.get(emu.base_url + "/_emulator/health").status_code == 200


def test_given_fault_knobs_when_requesting_then_faults_hit_api_paths_only(clean_faults: Emulator) -> None:
    emu = clean_faults
    session = confluent(emu)
    emu.set_faults(Faults(fail_first_n={"/org/v2/organizations": 2}))
    statuses = [session.get(emu.base_url + "/org/v2/organizations").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    emu.set_faults(Faults(malformed_rate=1.0))
    broken = session.get(emu.base_url + "/org/v2/organizations")
    assert broken.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        broken.json()
    emu.set_faults(Faults(rate_drop=1.0))
    with pytest.raises(requests.ConnectionError):
        requests.get(emu.base_url + "/org/v2/organizations", auth=session.auth)
    assert requests.get(emu.base_url + "/_emulator/stats").json()["status_counts"]["dropped"] >= 1


def test_given_a_revision_when_reading_again_then_numbers_and_truth_change() -> None:
    with Emulator(scenario=Scenario(months=1), today=TODAY) as emu:
        before = all_cost_rows(emu, "2026-11-15", "2026-11-20")
        truth_before = emu.truth("confluent", "2026-11-15", "2026-11-20")["total"]
        dd_before = emu.truth("datadog", "2026-11-01", "2026-12-01")["total"]
        emu.revise(days=3, factor=1.1)
        after = all_cost_rows(emu, "2026-11-15", "2026-11-20")
        truth_after = emu.truth("confluent", "2026-11-15", "2026-11-20")
        assert before[0] == after[0]  # 2026-11-15 is older than three days
        assert before != after
        assert truth_after["total"] == float(sum(Decimal(str(row["amount"])) for row in after)) != truth_before
        assert emu.truth("datadog", "2026-11-01", "2026-12-01")["total"] != dd_before


def test_given_same_scenario_and_today_then_responses_are_byte_identical() -> None:
    bodies = []
    for _ in range(2):
        with Emulator(scenario=Scenario(months=2, seed=11), today=TODAY) as emu:
            url = emu.base_url + COSTS + "?start_date=2026-11-01&end_date=2026-11-20&page_size=50"
            bodies.append(confluent(emu).get(url, headers={"Host": "emulator.test"}).content)
    assert bodies[0] == bodies[1]


def test_given_admin_endpoints_then_truth_faults_and_stats_are_reachable(clean_faults: Emulator) -> None:
    emu = clean_faults
    base = emu.base_url + "/_emulator"
    assert requests.get(base + "/health").json()["ok"] is True
    truth = requests.get(base + "/truth", params={"provider": "confluent", "start": "2026-11-01", "end": "2026-11-02"})
    assert truth.json() == json.loads(json.dumps(emu.truth("confluent", "2026-11-01", "2026-11-02")))
    assert requests.post(base + "/faults", json={"rate_5xx": 0.5, "seed": 3}).json()["rate_5xx"] == 0.5
    assert emu.faults.rate_5xx == 0.5
    assert requests.post(base + "/reset_stats").json() == {"ok": True}
    assert emu.stats()["requests"] == 0


def test_given_the_cli_when_started_then_prints_base_url_writes_config_and_exits_on_sigterm(tmp_path: Path) -> None:
    config_path = tmp_path / "config.json"
    command = [sys.executable, "-m", "integration_tests.emulator", "--config-out", str(config_path), "--months", "1"]
    command += ["--today", TODAY.isoformat()]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = json.loads(process.stdout.readline())
        assert line["config_path"] == str(config_path)
        config = json.loads(config_path.read_text())
        assert config["accounts"][0]["api_url"] == line["base_url"]
        assert requests.get(line["base_url"] + "/_emulator/health").json()["ok"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_rate_budgets_are_per_credential_and_answers_take_the_configured_latency() -> None:
    import time as clock

    import requests

    from integration_tests.emulator import Emulator, Faults, Scenario

    limits = Faults(rate_limit=2, rate_window_seconds=60)
    with Emulator(scenario=Scenario(months=1, seed=7), faults=limits, today=date(2026, 11, 24)) as emu:
        creds = emu.credentials
        a, b = creds["datadog_parent"], creds["datadog_no_billing"]

        def get(cred: dict) -> requests.Response:
            headers = {"DD-API-KEY": cred["api_key"], "DD-APPLICATION-KEY": cred["application_key"]}
            return requests.get(f"{emu.base_url}/api/v1/validate", headers=headers, timeout=5)

        assert [get(a).status_code for _ in range(3)] == [200, 200, 429]
        assert get(b).status_code == 200  # another key has its own budget
        emu.set_faults(Faults(latency_seconds=0.2, latency_jitter=0.5))
        started = clock.perf_counter()
        get(a)
        assert 0.1 <= clock.perf_counter() - started < 1.0
