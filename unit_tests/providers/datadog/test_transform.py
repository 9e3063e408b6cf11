"""Datadog payloads to unified records: real field names and quirks from recorded responses."""

from __future__ import annotations

from decimal import Decimal

import pytest

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


PARENT, CHILD = "fasjyydbcgwwc2uc", "k3b9xqz1lm0a7w2e"


def test_a_whole_hourly_record_and_its_shared_remote_data() -> None:
    raw = payload("datadog/hourly_usage__page1")["data"][0]
    first, *rest = transform.hourly_records(raw, SITE, ("2026-11-20T14", "s", "e"), include_remote_data=True)
    assert first == {
        "id": f"datadog|datadoghq.eu|{PARENT}|hourly|infra_hosts|agent_host_count|2026-11-20T14",
        "product": {"id": "datadog|product|infra_hosts", "name": "Infrastructure Hosts"},
        "metric_name": "agent_host_count",
        "resources": [],
        "organization": {"id": f"datadog|datadoghq.eu|{PARENT}|organization", "name": "DD Integration Tests (321813)"},
        "charges": [],
        "usage": {"quantity": 14, "unit": None, "usage_type": "agent_host_count", "product_family": "infra_hosts"},
        "start_date": "s",
        "end_date": "e",
        "created_at": None,
        "updated_at": None,
        "provider": "datadog",
        "remote_id": "c2d81d3ab0e2330402ba194f525ac02b0e561dbaf1e30fdc9d900551ca104e6c",
        "remote_data": raw,
    }
    assert [r["id"].rsplit("|", 2)[1] for r in rest] == ["alibaba_host_count", "apm_host_count", "host_count"]


def test_rows_of_many_orgs_and_families_each_get_their_own_ids_and_references() -> None:
    rows = payload("datadog/hourly_usage__page1")["data"] + payload("datadog/hourly_usage__last_page_no_meta")["data"]
    heads: dict = {}
    stamps = ("2026-11-20T14", "s", "e")
    records = list(
        transform.rows_hourly_records(rows, SITE, lambda row: stamps, include_remote_data=False, heads=heads)
    )
    again = list(transform.rows_hourly_records(rows, SITE, lambda row: stamps, include_remote_data=False, heads=heads))
    assert (
        [r["id"] for r in records]
        == [r["id"] for r in again]
        == [
            f"datadog|datadoghq.eu|{PARENT}|hourly|infra_hosts|agent_host_count|2026-11-20T14",
            f"datadog|datadoghq.eu|{PARENT}|hourly|infra_hosts|alibaba_host_count|2026-11-20T14",
            f"datadog|datadoghq.eu|{PARENT}|hourly|infra_hosts|apm_host_count|2026-11-20T14",
            f"datadog|datadoghq.eu|{PARENT}|hourly|infra_hosts|host_count|2026-11-20T14",
            f"datadog|datadoghq.eu|{PARENT}|hourly|logs|logs_indexed_events_15_day_count|2026-11-20T14",
            f"datadog|datadoghq.eu|{PARENT}|hourly|logs|ingested_events_bytes|2026-11-20T14",
            f"datadog|datadoghq.eu|{CHILD}|hourly|infra_hosts|agent_host_count|2026-11-20T14",
            f"datadog|datadoghq.eu|{CHILD}|hourly|quantum_observability|quantum_span_count|2026-11-20T14",
        ]
    )
    assert [r["organization"]["name"] for r in records[5:7]] == [
        "DD Integration Tests (321813)",
        "DD Integration Tests EU child",
    ]
    assert all("remote_data" not in r for r in records)
    skipped = transform.rows_hourly_records(rows, SITE, lambda row: None, include_remote_data=False, heads={})
    assert list(skipped) == []


def test_odd_org_names_usage_types_and_families_never_crash() -> None:
    row = {
        "id": "r9",
        "attributes": {
            "public_id": "abc",
            "org_name": ["not", "hashable"],
            "measurements": [{"usage_type": "a b", "value": 1}, {"usage_type": ["x"], "value": 2}],
        },
    }
    records = list(transform.hourly_records(row, SITE, ("2026-11-20T14", "s", "e"), include_remote_data=False))
    assert len(records) == 1  # a usage type that is not a name is not a measurement
    prefix, hashed, hour = records[0]["id"].rsplit("|", 2)
    assert (prefix, hour) == ("datadog|datadoghq.eu|abc|hourly|unknown", "2026-11-20T14")
    assert hashed.startswith("h:")
    assert records[0]["organization"] == {"id": "datadog|datadoghq.eu|abc|organization", "name": ["not", "hashable"]}
    assert records[0]["product"] == {"id": "datadog|product|unknown", "name": "unknown"}
    assert records[0]["remote_id"] == "r9"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T14:59:59.999Z", ("2026-11-20T14", "2026-11-20T14:00:00Z", "2026-11-20T15:00:00Z")),
        ("2026-11-20T23:30:00+00:00", ("2026-11-20T23", "2026-11-20T23:00:00Z", "2026-11-21T00:00:00Z")),
        ("2026-11-21T00:30:00+01:00", ("2026-11-20T23", "2026-11-20T23:00:00Z", "2026-11-21T00:00:00Z")),
    ],
)
def test_hour_stamps_floor_to_the_utc_hour(value: str, expected: tuple) -> None:
    cache: dict = {}
    assert transform.hour_stamps(value, cache) == expected
    assert cache == {value: expected}


def test_a_whole_cost_record_with_its_remote_data() -> None:
    rows = payload("datadog/estimated_cost__sub_org")["data"]
    (line, *_) = transform.fold_cost_rows(rows, {"2026-11"}).values()
    record = transform.to_cost_record(line, SITE, "estimated", "EUR", {}, include_remote_data=True)
    attributes = {k: v for k, v in rows[0]["attributes"].items() if k != "charges"}
    assert record == {
        "id": f"datadog|datadoghq.eu|{PARENT}|cost|2026-11|infra_host",
        "product": {"id": "datadog|billing_dimension|infra_host", "name": "Infra Hosts"},
        "metric_name": "cost",
        "resources": [],
        "organization": {"id": f"datadog|datadoghq.eu|{PARENT}|organization", "name": "DD Integration Tests (321813)"},
        "charges": [
            {"amount": 0.3, "currency": "EUR", "type": "committed"},
            {"amount": 72.0, "currency": "EUR", "type": "on_demand"},
        ],
        "usage": {
            "quantity": None,
            "unit": None,
            "cost_status": "estimated",
            "product_name": "infra_host",
            "total_cost": 72.3,
            "last_aggregation_function": None,
        },
        "start_date": "2026-11-01T00:00:00Z",
        "end_date": "2026-12-01T00:00:00Z",
        "created_at": None,
        "updated_at": None,
        "provider": "datadog",
        "remote_id": None,
        "remote_data": {
            "rows": [{"id": rows[0]["id"], "type": "cost_by_org", "attributes": attributes}],
            "charges": [c for c in rows[0]["attributes"]["charges"] if c["product_name"] == "infra_host"],
        },
    }


def test_a_second_different_row_for_one_org_and_month_is_a_conflict_never_summed() -> None:
    row = {"id": "a", "type": "cost_by_org", "attributes": {"public_id": "p", "date": "2026-10-01", "charges": []}}
    first = {
        **row,
        "attributes": {
            **row["attributes"],
            "charges": [{"product_name": "x", "charge_type": "on_demand", "cost": 1}] * 2,
        },
    }
    second = {**first, "id": "b"}
    report = transform.CostRowReport()
    (line,) = transform.fold_cost_rows([first, second, first], {"2026-10"}, report=report).values()
    assert [r["id"] for r in line.rows] == ["a"]
    assert line.amounts == {"on_demand": Decimal(2)}  # a repeated charge type within the row is summed
    assert line.org_name is None
    assert (report.conflicts, report.repeated) == (["p 2026-10"], 1)


def test_odd_cost_rows_are_described_for_the_report() -> None:
    odd: list[str] = []
    good = {"product_name": "infra_host", "charge_type": "on_demand", "cost": 1}
    rows = [
        "not a row",
        {"attributes": None},
        {"attributes": {"public_id": "p", "date": "2026-1"}},
        {"attributes": {"public_id": "", "date": "2026-10-01T00:00:00+00:00"}},
        {
            "attributes": {
                "public_id": "p",
                "date": "2026-10-01",
                "charges": [
                    "x",
                    {"product_name": "", "charge_type": "on_demand", "cost": 1},
                    {"product_name": "y", "charge_type": None, "cost": 1},
                    good,
                ],
            }
        },
        {"attributes": {"public_id": "p", "org_name": "P", "date": "2026-10-01", "charges": [good]}},
    ]
    report = transform.CostRowReport()
    lines = transform.fold_cost_rows(rows, {"2026-10"}, odd, report)
    assert odd == [
        "a row without attributes",
        "a row without attributes",
        "a row without a readable month or org (2026-1)",
        "a row without a readable month or org (2026-10-01T00:00:00+00:00)",
        "a charge of p 2026-10 that is not an object",
        "an unreadable charge of p 2026-10: {'product_name': '', 'charge_type': 'on_demand', 'cost': 1}",
        "an unreadable charge of p 2026-10: {'product_name': 'y', 'charge_type': None, 'cost': 1}",
    ]
    (line,) = lines.values()
    assert (line.public_id, line.org_name, line.amounts) == ("p", None, {"on_demand": Decimal(1)})
    assert report.conflicts == ["p 2026-10"]  # the last row differs from the first read for p in 2026-10
    long_charge = {"product_name": "z" * 100, "charge_type": "on_demand", "cost": "n/a"}
    odd.clear()
    transform.fold_cost_rows(
        [{"attributes": {"public_id": "p", "date": "2026-10-01", "charges": [long_charge]}}], {"2026-10"}, odd
    )
    assert odd == [f"an unreadable charge of p 2026-10: {str(long_charge)[:80]}"]
    assert len(odd[0]) == len("an unreadable charge of p 2026-10: ") + 80


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-01T00:00:00+00:00", "2026-10"),
        ("2026-10", None),  # no instant: a month is never read from the text's first characters
        ("2026-1", None),
        ("20261001", "2026-10"),  # ISO 8601's basic form
        ("2026-13", None),
        ("2026-10-31T20:00:00-05:00", "2026-11"),
        (None, None),
    ],
)
def test_cost_month_reads_the_year_and_month(value: object, expected: str | None) -> None:
    assert transform.cost_month({"date": value}) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, Decimal(1)), ("2.5", Decimal("2.5")), (True, None), ("NaN", None), ("Infinity", None), ([1], None)],
)
def test_decimal_reads_finite_numbers_only(value: object, expected: Decimal | None) -> None:
    assert transform.decimal(value) == expected


def test_products_families_dimensions_and_seen_orgs_whole() -> None:
    assert transform.to_family_product("logs") == {
        "id": "datadog|product|logs",
        "name": "Logs",
        "description": "Datadog hourly usage product family",
        "created_at": None,
        "updated_at": None,
        "provider": "datadog",
        "remote_id": "logs",
    }
    assert transform.to_family_product("quantum")["description"] == (
        "Datadog hourly usage product family (not in the built-in catalogue)"
    )
    mapping = payload("datadog/billing_dimension_mapping__all")["data"][0]
    assert transform.to_dimension_product("apm_host", {"apm_host": "APM Hosts"}, mapping) == {
        "id": "datadog|billing_dimension|apm_host",
        "name": "APM Hosts",
        "description": "Datadog billing dimension (monthly cost)",
        "created_at": None,
        "updated_at": None,
        "provider": "datadog",
        "remote_id": "apm_host",
        "remote_data": mapping,
    }
    attributes = payload("datadog/hourly_usage__last_page_no_meta")["data"][0]["attributes"]
    assert transform.to_seen_organization(attributes, SITE, include_remote_data=True) == {
        "id": f"datadog|datadoghq.eu|{CHILD}|organization",
        "name": "DD Integration Tests EU child",
        "created_at": None,
        "updated_at": None,
        "provider": "datadog",
        "remote_id": CHILD,
        "remote_data": {
            "org_name": "DD Integration Tests EU child",
            "public_id": CHILD,
            "region": "eu",
            "account_name": "DD Integration Tests (321813)",
            "account_public_id": PARENT,
        },
    }
    assert "remote_data" not in transform.to_seen_organization(attributes, SITE, include_remote_data=False)
    raw = payload("datadog/org__single")["orgs"][0]
    assert transform.to_organization(raw, SITE, include_remote_data=True)["remote_data"] == raw


def test_mapping_labels_need_an_id_and_a_non_empty_label() -> None:
    rows = [
        {"id": "a", "attributes": {"in_app_label": "A"}},
        {"id": "b", "attributes": {"in_app_label": ""}},
        {"id": 3, "attributes": {"in_app_label": "Three"}},
        {"id": "c", "attributes": None},
        {"id": "d", "attributes": {"in_app_label": 4}},
    ]
    assert transform.mapping_labels(rows) == {"a": "A"}


def test_a_row_without_an_hour_is_skipped_and_the_rows_after_it_are_kept() -> None:
    rows = payload("datadog/hourly_usage__page1")["data"]
    stamps = [None, ("2026-11-20T14", "s", "e")]
    records = list(
        transform.rows_hourly_records(
            rows, SITE, lambda row: stamps[rows.index(row)], include_remote_data=False, heads={}
        )
    )
    assert [r["metric_name"] for r in records] == ["logs_indexed_events_15_day_count", "ingested_events_bytes"]


def test_rows_of_other_months_are_left_out_and_the_next_rows_still_read() -> None:
    charge = {"product_name": "infra_host", "charge_type": "on_demand", "cost": 1}
    september = {"attributes": {"public_id": "p", "date": "2026-09-01", "charges": [charge]}}
    october = {"attributes": {"public_id": "p", "date": "2026-10-01", "charges": [charge]}}
    assert [line.month for line in transform.fold_cost_rows([september, october], {"2026-10"}).values()] == ["2026-10"]
    odd: list[str] = []
    transform.fold_cost_rows([{"attributes": {"public_id": "p", "date": "d" * 40}}], {"2026-10"}, odd)
    assert odd == [f"a row without a readable month or org ({'d' * 30})"]
