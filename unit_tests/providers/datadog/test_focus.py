"""Datadog monthly cost records to FOCUS 1.2 rows, from the real transform over the payload fixtures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from source_usage_metering.focus.columns import COLUMN_NAMES, FocusMappingError
from source_usage_metering.providers.datadog import focus, transform
from unit_tests.conftest import payload

SITE = "datadoghq.com"
PARENT = "fasjyydbcgwwc2uc"
CHILD = "k3b9xqz1lm0a7w2e"
CONTEXT = focus.focus_context(PARENT, "DD Integration Tests (321813)", "EUR")
LABELS = {"infra_host": "Infra Hosts", "logs_ingested": "Ingested Logs"}


def cost_records(name: str, month: str, status: str, *, include_remote_data: bool = False) -> list[dict]:
    lines = transform.fold_cost_rows(payload(f"datadog/{name}")["data"], {month})
    return [
        transform.to_cost_record(line, SITE, status, "EUR", LABELS, include_remote_data=include_remote_data)
        for line in lines.values()
    ]


def rows_of(records: list[dict], context: focus.FocusContext = CONTEXT) -> list[dict]:
    return [row for record in records for row in focus.to_focus_rows(record, context)]


def test_given_committed_and_on_demand_then_two_rows_with_their_pricing_category() -> None:
    rows = [
        r
        for r in rows_of(cost_records("estimated_cost__sub_org", "2026-11", "estimated"))
        if r["SkuId"] == "infra_host"
    ]
    committed, on_demand = rows
    usage_id = f"datadog|{SITE}|{PARENT}|cost|2026-11|infra_host"
    assert (committed["x_ChargeId"], on_demand["x_ChargeId"]) == (f"{usage_id}|committed", f"{usage_id}|on_demand")
    assert committed["x_UsageId"] == on_demand["x_UsageId"] == usage_id
    assert (committed["BilledCost"], on_demand["BilledCost"]) == (pytest.approx(0.3), 72.0)
    assert Decimal(str(committed["BilledCost"])) == Decimal("0.3")  # two committed lines summed exactly
    assert (committed["PricingCategory"], committed["ChargeFrequency"]) == ("Committed", "Recurring")
    assert (on_demand["PricingCategory"], on_demand["ChargeFrequency"]) == ("Standard", "Usage-Based")
    assert {row["ChargeCategory"] for row in rows} == {"Usage"}
    assert committed["ChargeDescription"] == "Infra Hosts (infra_host): committed charge for 2026-11 (estimated)"
    assert (committed["x_ChargeType"], committed["x_CostStatus"]) == ("committed", "estimated")


def test_given_no_list_price_in_the_api_then_every_cost_column_carries_the_billed_amount() -> None:
    for row in rows_of(cost_records("estimated_cost__sub_org", "2026-11", "estimated")):
        assert row["ListCost"] == row["ContractedCost"] == row["EffectiveCost"] == row["BilledCost"]
        assert row["ListUnitPrice"] is row["ContractedUnitPrice"] is None
        assert row["PricingQuantity"] is row["PricingUnit"] is row["ConsumedQuantity"] is None
        assert row["x_DiscountAmount"] is None


def test_given_a_month_then_periods_service_and_account_columns() -> None:
    row = rows_of(cost_records("estimated_cost__sub_org", "2026-11", "estimated"))[0]
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert (row["BillingPeriodStart"], row["BillingPeriodEnd"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert (row["ServiceName"], row["ServiceCategory"], row["ServiceSubcategory"]) == (
        "Infra Hosts",
        "Management and Governance",
        "Observability",
    )
    assert (row["BillingAccountId"], row["BillingAccountName"], row["BillingCurrency"]) == (
        PARENT,
        "DD Integration Tests (321813)",
        "EUR",
    )
    assert (row["ProviderName"], row["PublisherName"], row["InvoiceIssuerName"]) == ("Datadog",) * 3
    assert (row["x_Provider"], row["x_ProductId"]) == ("datadog", "datadog|billing_dimension|infra_host")
    assert row["ResourceId"] is row["RegionId"] is row["InvoiceId"] is row["Tags"] is None
    assert tuple(row) == COLUMN_NAMES


def test_given_a_child_org_then_it_is_the_sub_account_of_the_parent_billing_account() -> None:
    rows = rows_of(cost_records("estimated_cost__sub_org", "2026-11", "estimated"))
    child = [row for row in rows if row["SubAccountId"] == CHILD]
    assert [(row["SkuId"], row["x_ChargeType"], row["BilledCost"]) for row in child] == [
        ("data_jobs_monitoring", "committed", 0.0),
        ("data_jobs_monitoring", "on_demand", 12.5),
    ]
    assert {(row["SubAccountName"], row["SubAccountType"], row["BillingAccountId"]) for row in child} == {
        ("DD Integration Tests EU child", "Organization", PARENT)
    }
    assert child[0]["ServiceName"] == "Data Jobs Monitoring"  # the built-in label (the mapping call had none)
    parent = {row["SubAccountId"] for row in rows if row["SubAccountId"] != CHILD}
    assert parent == {PARENT}


def test_given_an_estimated_month_turning_final_then_the_same_keys_are_replaced_not_added() -> None:
    estimated = rows_of(cost_records("estimated_cost__sub_org", "2026-11", "estimated"))
    final = rows_of(cost_records("historical_cost__sub_org_final_of_estimate", "2026-11", "final"))
    assert {row["x_ChargeId"] for row in estimated} == {row["x_ChargeId"] for row in final}
    table = {row["x_ChargeId"]: row for row in estimated}
    table.update({row["x_ChargeId"]: row for row in final})  # append + dedup on the primary key
    assert len(table) == len(estimated) == 6
    assert {row["x_CostStatus"] for row in table.values()} == {"final"}
    assert sum(Decimal(str(row["BilledCost"])) for row in table.values()) == Decimal("164.72")
    assert sum(Decimal(str(row["BilledCost"])) for row in estimated) == Decimal("155.77")


def test_given_every_fixture_then_billed_cost_equals_the_charges_exactly_never_the_total_line() -> None:
    fixtures = [
        ("estimated_cost__sub_org", "2026-11"),
        ("historical_cost__sub_org", "2026-09"),
        ("historical_cost__sub_org_final_of_estimate", "2026-11"),
        ("estimated_cost__non_ascii_org", "2026-11"),
    ]
    for name, month in fixtures:
        records = cost_records(name, month, "final")
        rows = rows_of(records)
        charges = [charge for record in records for charge in record["charges"]]
        assert len(rows) == len(charges)
        assert sum(Decimal(str(r["BilledCost"])) for r in rows) == sum(Decimal(str(c["amount"])) for c in charges)
        raw = [c for row in payload(f"datadog/{name}")["data"] for c in row["attributes"]["charges"]]
        split = sum(Decimal(str(c["cost"])) for c in raw if c["charge_type"] != "total")
        assert sum(Decimal(str(r["BilledCost"])) for r in rows) == split, name


def test_given_a_lone_total_charge_then_one_row_priced_other() -> None:
    row = {"attributes": {"public_id": PARENT, "org_name": "P", "date": "2026-12-01T00:00:00+00:00"}}
    row["attributes"]["charges"] = [{"product_name": "timeseries", "charge_type": "total", "cost": 9.5}]
    (line,) = transform.fold_cost_rows([row], {"2026-12"}).values()
    record = transform.to_cost_record(line, SITE, "final", "EUR", {}, include_remote_data=False)
    (focus_row,) = focus.to_focus_rows(record, CONTEXT)
    assert (focus_row["x_ChargeType"], focus_row["PricingCategory"], focus_row["BilledCost"]) == ("total", "Other", 9.5)


def test_given_a_non_ascii_org_name_then_escaped_in_focus_columns_and_kept_in_x_columns() -> None:
    name = "Datadog れお 🍻☀️😎🏖️ データドッグ"
    context = focus.focus_context("yB5yjZ", name, "EUR")
    row = rows_of(cost_records("estimated_cost__non_ascii_org", "2026-11", "estimated"), context)[0]
    assert row["SubAccountName"].isascii()
    assert row["BillingAccountName"] == row["SubAccountName"]
    assert row["SubAccountName"].startswith("Datadog \\u308c\\u304a \\ud83c\\udf7b\\u2600\\ufe0f")
    assert (row["x_SubAccountNameUnicode"], row["x_BillingAccountNameUnicode"]) == (name, name)


def test_given_hourly_measurements_then_no_rows() -> None:
    cache: dict = {}
    rows = payload("datadog/hourly_usage__page1")["data"]
    hourly = [
        record
        for row in rows
        for record in transform.hourly_records(
            row, SITE, transform.hour_stamps(row["attributes"]["timestamp"], cache), include_remote_data=False
        )
    ]
    assert hourly
    assert rows_of(hourly) == []


def test_given_remote_data_on_or_off_then_the_same_rows() -> None:
    on = rows_of(cost_records("estimated_cost__sub_org", "2026-11", "estimated", include_remote_data=True))
    assert on == rows_of(cost_records("estimated_cost__sub_org", "2026-11", "estimated"))


def test_given_a_charge_in_another_currency_then_a_mapping_error() -> None:
    record = cost_records("estimated_cost__sub_org", "2026-11", "estimated")[0]
    with pytest.raises(FocusMappingError, match="not USD"):
        focus.to_focus_rows(record, focus.focus_context(PARENT, None, "USD"))
