"""Datadog payloads to unified records: real field names and quirks from recorded responses."""

from __future__ import annotations

from decimal import Decimal

from source_usage_metering.providers.datadog import transform
from unit_tests.conftest import payload

SITE = "datadoghq.eu"


def hourly(name: str, *, include_remote_data: bool = True) -> list[dict]:
    cache: dict = {}
    records = []
    for row in payload(f"datadog/{name}")["data"]:
        stamps = transform.hour_stamps(row["attributes"]["timestamp"], cache)
        records += transform.hourly_records(row, SITE, stamps, include_remote_data=include_remote_data)
    return records


def test_null_measurements_give_no_record_and_zero_gives_one() -> None:
    records = hourly("hourly_usage__page1")
    types = [r["metric_name"] for r in records]
    assert "container_count" not in types  # value null: not applicable
    zero = next(r for r in records if r["metric_name"] == "alibaba_host_count")
    assert zero["usage"]["quantity"] == 0
    assert len(records) == 6


def test_hourly_record_shape_ids_and_period() -> None:
    record = hourly("hourly_usage__page1")[0]
    assert record["id"] == "datadog|datadoghq.eu|fasjyydbcgwwc2uc|hourly|infra_hosts|agent_host_count|2026-11-20T14"
    assert record["product"] == {"id": "datadog|product|infra_hosts", "name": "Infrastructure Hosts"}
    assert record["organization"]["id"] == "datadog|datadoghq.eu|fasjyydbcgwwc2uc|organization"
    assert record["charges"] == []
    assert record["usage"] == {
        "quantity": 14,
        "unit": None,
        "usage_type": "agent_host_count",
        "product_family": "infra_hosts",
    }
    assert (record["start_date"], record["end_date"]) == ("2026-11-20T14:00:00Z", "2026-11-20T15:00:00Z")
    assert record["created_at"] is None
    assert record["updated_at"] is None
    assert record["remote_data"]["attributes"]["product_family"] == "infra_hosts"


def test_timestamps_with_millis_z_or_offset_give_the_same_hour() -> None:
    records = hourly("hourly_usage__last_page_no_meta")
    assert {r["start_date"] for r in records} == {"2026-11-20T14:00:00Z"}
    assert records[0]["organization"]["name"] == "DD Integration Tests EU child"


def test_unknown_family_is_named_by_its_value_and_remote_data_can_be_left_out() -> None:
    records = hourly("hourly_usage__last_page_no_meta", include_remote_data=False)
    unknown = next(r for r in records if r["usage"]["product_family"] == "quantum_observability")
    assert unknown["product"] == {"id": "datadog|product|quantum_observability", "name": "quantum_observability"}
    assert all("remote_data" not in r for r in records)
    assert transform.to_family_product("quantum_observability")["id"] == unknown["product"]["id"]


def test_unreadable_timestamp_gives_none() -> None:
    assert transform.hour_stamps("not a time", {}) is None
    assert transform.hour_stamps(None, {}) is None


def cost_records(name: str, month: str, status: str) -> dict[str, dict]:
    lines = transform.fold_cost_rows(payload(f"datadog/{name}")["data"], {month})
    records = [
        transform.to_cost_record(line, SITE, status, "EUR", {}, include_remote_data=True) for line in lines.values()
    ]
    return {r["id"]: r for r in records}


def test_cost_charges_are_committed_and_on_demand_never_total_and_repeats_sum_exactly() -> None:
    records = cost_records("estimated_cost__sub_org", "2026-11", "estimated")
    infra = records["datadog|datadoghq.eu|fasjyydbcgwwc2uc|cost|2026-11|infra_host"]
    assert [c["type"] for c in infra["charges"]] == ["committed", "on_demand"]
    assert infra["charges"][0]["amount"] == 0.3  # 0.1 + 0.2 exactly, not 0.30000000000000004
    assert sum(Decimal(str(c["amount"])) for c in infra["charges"]) == Decimal(str(infra["usage"]["total_cost"]))
    assert {c["currency"] for c in infra["charges"]} == {"EUR"}
    assert infra["usage"]["cost_status"] == "estimated"
    assert (infra["start_date"], infra["end_date"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")


def test_sub_org_rows_belong_to_the_child_org_and_totals_match_total_cost() -> None:
    records = cost_records("estimated_cost__sub_org", "2026-11", "estimated")
    child = records["datadog|datadoghq.eu|k3b9xqz1lm0a7w2e|cost|2026-11|data_jobs_monitoring"]
    assert child["organization"]["id"] == "datadog|datadoghq.eu|k3b9xqz1lm0a7w2e|organization"
    for row in payload("datadog/estimated_cost__sub_org")["data"]:
        attributes = row["attributes"]
        mine = [r for r in records.values() if r["organization"]["id"].split("|")[2] == attributes["public_id"]]
        total = sum(Decimal(str(c["amount"])) for r in mine for c in r["charges"])
        assert total == Decimal(str(attributes["total_cost"]))


def test_estimated_and_final_record_of_a_month_share_one_id() -> None:
    # September as `estimated_cost` gave it early in October, then as `historical_cost` gave it once final.
    estimate = cost_records("estimated_cost__sub_org_previous_month", "2026-09", "estimated")
    final = cost_records("historical_cost__sub_org", "2026-09", "final")
    assert (
        sorted(final)
        == sorted(estimate)
        == [
            "datadog|datadoghq.eu|fasjyydbcgwwc2uc|cost|2026-09|infra_host",
            "datadog|datadoghq.eu|fasjyydbcgwwc2uc|cost|2026-09|synthetics_api_tests",
        ]
    )
    for record_id, record in final.items():
        assert (estimate[record_id]["usage"]["cost_status"], record["usage"]["cost_status"]) == ("estimated", "final")
    infra = "datadog|datadoghq.eu|fasjyydbcgwwc2uc|cost|2026-09|infra_host"
    assert [c["amount"] for c in estimate[infra]["charges"]] == [1.05]  # the final figure replaces it upstream
    assert [c["amount"] for c in final[infra]["charges"]] == [1.17]


def test_months_outside_the_slice_are_left_out() -> None:
    assert cost_records("historical_cost__sub_org", "2026-10", "final") == {}


def test_only_a_total_line_is_used_when_no_split_is_given_and_december_ends_in_january() -> None:
    row = {
        "attributes": {
            "public_id": "abc",
            "date": "2026-12-01T00:00:00Z",
            "charges": [
                {"product_name": "timeseries", "charge_type": "total", "cost": 5.5},
                {"product_name": "timeseries", "charge_type": "total", "cost": "oops"},
            ],
        }
    }
    (line,) = transform.fold_cost_rows([row], {"2026-12"}).values()
    record = transform.to_cost_record(line, SITE, "final", "USD", {"timeseries": "Metrics"}, include_remote_data=False)
    assert record["charges"] == [{"amount": 5.5, "currency": "USD", "type": "total"}]
    assert record["end_date"] == "2027-01-01T00:00:00Z"
    assert record["product"]["name"] == "Metrics"


def test_last_aggregation_function_is_optional_and_kept_when_present() -> None:
    records = cost_records("estimated_cost__sub_org", "2026-11", "estimated")
    logs = records["datadog|datadoghq.eu|fasjyydbcgwwc2uc|cost|2026-11|logs_ingested"]
    assert logs["usage"]["last_aggregation_function"] == "sum"
    assert (
        records["datadog|datadoghq.eu|fasjyydbcgwwc2uc|cost|2026-11|infra_host"]["usage"]["last_aggregation_function"]
        is None
    )


def test_organizations_from_org_api_and_from_usage_rows() -> None:
    raw = payload("datadog/org__single")["orgs"][0]
    org = transform.to_organization(raw, SITE, include_remote_data=False)
    assert org == {
        "id": "datadog|datadoghq.eu|fasjyydbcgwwc2uc|organization",
        "name": "DD Integration Tests (321813)",
        "created_at": "2019-09-26T17:28:28Z",
        "updated_at": None,
        "provider": "datadog",
        "remote_id": "fasjyydbcgwwc2uc",
    }
    attributes = payload("datadog/hourly_usage__last_page_no_meta")["data"][0]["attributes"]
    seen = transform.to_seen_organization(attributes, SITE, include_remote_data=True)
    assert seen["created_at"] is None
    assert seen["remote_data"]["region"] == "eu"


def test_mapping_labels_win_over_the_catalogue() -> None:
    labels = transform.mapping_labels(payload("datadog/billing_dimension_mapping__all")["data"])
    assert transform.dimension_name("infra_host", labels) == "Infra Hosts (Mapped)"
    assert transform.dimension_name("infra_host", {}) == "Infra Hosts"
    assert transform.dimension_name("brand_new_dimension", labels) == "brand_new_dimension"
