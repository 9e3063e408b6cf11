"""The Datadog provider read through the whole source, against a fake API serving real payload shapes."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from source_usage_metering.source import SourceUsageMetering
from unit_tests.conftest import ConfigBuilder, payload, pin_clock
from unit_tests.datadog_api import CHILD, DATADOG_APP_KEY, HOURLY, PARENT, datadog_account, mock_datadog
from unit_tests.read_helpers import assert_valid, final_state, read_source, records_of

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)
NEXT_RECORD_ID = payload("datadog/hourly_usage__page1")["meta"]["pagination"]["next_record_id"]
USAGE_HOURS = ("2026-11-20T00", "2026-11-20T10")  # a day slice and the catalogue streams' probe hour
# The two hourly pages of a window: 6 + 2 measurements with a value (null is "not applicable", zero is a record).
PAGE_MEASUREMENTS = 8


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    pin_clock(monkeypatch, NOW)


def config(**account: object) -> dict:
    return (
        ConfigBuilder()
        .with_account(datadog_account(**account))
        .with_(start_date="2026-11-20", end_date="2026-11-20")
        .build()
    )


def hourly_requests(http) -> list:
    return [r for r in http.request_history if r.url.startswith(HOURLY)]


def test_parent_keys_read_all_four_streams_with_child_orgs_and_references_resolve(http) -> None:
    mock_datadog(http, hourly_starts=USAGE_HOURS)
    output = read_source(config())
    assert_valid(output)
    usage = records_of(output, "usage")
    organizations = {r["id"] for r in records_of(output, "organizations")}
    products = {r["id"] for r in records_of(output, "products")}
    assert len({r["id"] for r in usage}) == len(usage)
    assert all(r["organization"]["id"] in organizations for r in usage)
    assert all(r["product"]["id"] in products for r in usage)
    assert f"datadog|datadoghq.com|{CHILD}|organization" in organizations
    assert "datadog|product|quantum_observability" in products
    assert "datadog|billing_dimension|data_jobs_monitoring" in products  # only seen in cost rows
    assert records_of(output, "workspaces") == []
    statuses = {r["usage"].get("cost_status") for r in usage if r["metric_name"] == "cost"}
    assert statuses == {"estimated"}  # only November is in range and it is not final
    window = [r for r in hourly_requests(http) if r.qs["filter[timestamp][start]"] == ["2026-11-20t00"]]
    assert [r.qs.get("page[next_record_id]") for r in window] == [None, [NEXT_RECORD_ID.lower()]]
    assert window[0].qs["filter[include_descendants]"] == ["true"]
    assert window[0].qs["page[limit]"] == ["500"]
    assert window[0].qs["filter[timestamp][end]"] == ["2026-11-21t00"]
    assert window[0].headers["DD-APPLICATION-KEY"] == DATADOG_APP_KEY


def test_state_has_separate_hourly_and_cost_cursors_keyed_by_site_and_org(http) -> None:
    mock_datadog(http, hourly_starts=USAGE_HOURS)
    output = read_source(config(), "usage")
    states = {s["partition"]["kind"]: s for s in final_state(output, "usage")["states"]}
    tenant = f"datadoghq.com|{PARENT}"
    assert {s["partition"]["tenant"] for s in states.values()} == {tenant}
    assert states["hourly"]["cursor"] == {"end_date": "2026-11-21T00:00:00Z"}
    assert states["cost"]["cursor"] == {"end_date": "2026-11-01T00:00:00Z"}  # November is not final


def test_second_sync_re_reads_72_hours_and_only_open_cost_months(http) -> None:
    mock_datadog(http, hourly_starts=USAGE_HOURS)
    partition = {"provider": "datadog", "host": "api.datadoghq.com", "tenant": f"datadoghq.com|{PARENT}"}
    state = {
        "states": [
            {"partition": {**partition, "kind": "hourly"}, "cursor": {"end_date": "2026-11-24T10:00:00Z"}},
            {"partition": {**partition, "kind": "cost"}, "cursor": {"end_date": "2026-11-01T00:00:00Z"}},
        ]
    }
    cfg = ConfigBuilder().with_account(datadog_account()).with_(start_date="2026-01-01").without("end_date").build()
    read_source(cfg, "usage", state={"usage": state})
    windows = [(r.qs["filter[timestamp][start]"][0], r.qs["filter[timestamp][end]"][0]) for r in hourly_requests(http)]
    probe = ("2026-11-20t10", "2026-11-20t11")  # the overlap guard's one hour of the keys' recent usage
    assert sorted(w for w in windows if w != probe)[0][0] == "2026-11-21t10"
    assert not [r for r in http.request_history if "historical_cost" in r.url]
    (estimated,) = [r for r in http.request_history if "estimated_cost" in r.url]
    # end_month is the month after the last one wanted: right whether Datadog reads it as inclusive or exclusive
    assert estimated.qs == {"view": ["sub-org"], "start_month": ["2026-11"], "end_month": ["2026-12"]}


def test_final_months_come_from_historical_cost_with_total_never_double_counted(http) -> None:
    mock_datadog(http, hourly_starts=())
    cfg = (
        ConfigBuilder()
        .with_account(datadog_account(include_child_orgs=True))
        .with_(start_date="2026-09-01", end_date="2026-09-30")
        .build()
    )
    usage = records_of(read_source(cfg, "usage"), "usage")
    costs = [r for r in usage if r["metric_name"] == "cost"]
    assert {r["usage"]["cost_status"] for r in costs} == {"final"}
    assert sum(c["amount"] for r in costs for c in r["charges"]) == pytest.approx(73.17)


def test_child_org_keys_skip_parent_only_data_with_a_warning_and_keep_hourly_usage(http, caplog) -> None:
    mock_datadog(
        http,
        mapping=(400, "error__non_parent"),
        estimated=(400, "error__non_parent_jsonapi"),
        historical=(400, "error__non_parent"),
        hourly_starts=USAGE_HOURS,
    )
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        output = read_source(config())
    usage = records_of(output, "usage")
    assert len(usage) == PAGE_MEASUREMENTS
    assert all(r["metric_name"] != "cost" for r in usage)
    assert {r.qs["filter[include_descendants]"][0] for r in hourly_requests(http)} == {"false"}
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "non-parent org keys" in warnings
    assert "billing_read" in warnings
    products = {r["id"]: r for r in records_of(output, "products")}
    families = [i for i in products if i.startswith("datadog|product|")]
    dimensions = [i for i in products if i.startswith("datadog|billing_dimension|")]
    assert len(families) == 46  # the 45 built-in families and quantum_observability, seen in the probe hour
    assert "datadog|product|quantum_observability" in families
    assert len(dimensions) == 44  # the built-in billing dimensions: the mapping was refused, cost rows are parent-only
    assert products["datadog|billing_dimension|infra_host"]["name"] == "Infra Hosts"  # the built-in label


def test_missing_billing_read_skips_cost_naming_the_permission(http, caplog) -> None:
    mock_datadog(
        http, estimated=(403, "error__forbidden"), historical=(403, "error__forbidden"), hourly_starts=USAGE_HOURS
    )
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        output = read_source(config(), "usage")
    usage = records_of(output, "usage")
    assert len(usage) == PAGE_MEASUREMENTS
    assert [r for r in usage if r["metric_name"] == "cost"] == []
    assert not output.errors
    assert any("billing_read" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_without_org_management_the_tenant_comes_from_the_keys_own_usage(http) -> None:
    mock_datadog(http, org=(403, "error__forbidden"))
    output = read_source(config(), "organizations")
    ids = [r["id"] for r in records_of(output, "organizations")]
    assert ids[0] == f"datadog|datadoghq.com|{PARENT}|organization"
    first = hourly_requests(http)[0]
    assert first.qs["filter[include_descendants]"] == ["false"]
    assert first.qs["page[limit]"] == ["1"]


def check(http) -> tuple[bool, str | None]:
    return SourceUsageMetering().check_connection(logging.getLogger("test"), config())


def test_check_proves_api_key_application_key_and_usage_read(http) -> None:
    mock_datadog(http)
    assert check(http) == (True, None)
    hourly = hourly_requests(http)[-1]
    assert hourly.qs["page[limit]"] == ["1"]
    assert next(r.url.split("?")[0].split("datadoghq.com")[1] for r in http.request_history) == "/api/v1/validate"


def test_check_names_the_rejected_api_key(http) -> None:
    mock_datadog(http)
    http.get("https://api.datadoghq.com/api/v1/validate", status_code=403, json={"errors": ["API key required"]})
    ok, message = check(http)
    assert not ok
    assert "API key" in message
    assert "api_key" in message


def test_check_names_the_missing_usage_read_permission(http) -> None:
    mock_datadog(http)
    http.get(HOURLY, status_code=403, json={"errors": ["Forbidden", "Failed permission authorization checks"]})
    ok, message = check(http)
    assert not ok
    assert "usage_read" in message
    assert "Failed permission authorization checks" in message
    assert DATADOG_APP_KEY not in message


def test_parent_keys_with_include_child_orgs_false_emit_no_child_org_record(http) -> None:
    mock_datadog(http, hourly_starts=USAGE_HOURS)  # cost rows and hourly pages hold the parent and a child org
    output = read_source(config(include_child_orgs=False))
    assert not output.errors
    costs = [r for r in records_of(output, "usage") if r["metric_name"] == "cost"]
    assert {r["organization"]["id"] for r in costs} == {f"datadog|datadoghq.com|{PARENT}|organization"}
    assert sorted(r["usage"]["product_name"] for r in costs) == ["infra_host", "logs_ingested"]
    assert {r.qs["filter[include_descendants]"][0] for r in hourly_requests(http)} == {"false"}  # the API filters
    assert [r["id"] for r in records_of(output, "organizations")] == [f"datadog|datadoghq.com|{PARENT}|organization"]
