"""Confluent cost lines to FOCUS 1.2 rows, from the real transform over the payload fixtures."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from source_usage_metering.focus.columns import COLUMN_NAMES, FOCUS_COLUMNS, FocusMappingError
from source_usage_metering.providers.confluent import focus, transform
from unit_tests.conftest import payload

ORG_ID = "9bb441c4-edef-46ac-8a41-c49e44a3fd9a"
TENANT = transform.Tenant(ORG_ID, "Société Générale Streaming")
NAMES = {"env-zmz2zd": "prod-finance01", "env-7qk2mv": "Zürich Produktion"}
CONTEXT = focus.focus_context(ORG_ID, "Société Générale Streaming")
PAGES = ("billing_costs__page1", "billing_costs__last_page_empty_next", "billing_costs__discounts_and_credits")


def records(*pages: str, include_remote_data: bool = False) -> list[dict]:
    rows = [row for page in pages for row in payload(f"confluent/{page}")["data"]]
    return [
        transform.to_usage_record(key, line, TENANT, NAMES, include_remote_data=include_remote_data)
        for key, line in transform.group_cost_rows(rows).items()
    ]


def rows_of(*pages: str) -> list[dict]:
    return [row for record in records(*pages) for row in focus.to_focus_rows(record, CONTEXT)]


def by_sku(rows: list[dict], line_type: str) -> list[dict]:
    return [row for row in rows if row["x_ChargeId"].split("|")[-3] == line_type]


def test_given_a_discounted_line_then_list_contracted_billed_and_effective_cost_come_from_its_amounts() -> None:
    (row,) = by_sku(rows_of("billing_costs__discounts_and_credits"), "KAFKA_NUM_CKUS")
    assert (row["ListCost"], row["ContractedCost"], row["BilledCost"], row["EffectiveCost"]) == (
        140.0608,
        126.0547,
        126.0547,
        126.0547,
    )
    assert row["x_DiscountAmount"] == 14.0061
    assert (row["ListUnitPrice"], row["PricingQuantity"], row["PricingUnit"]) == (4.3769, 32, "CKU-Hours")
    assert (row["ConsumedQuantity"], row["ConsumedUnit"]) == (32, "CKU-Hours")
    assert row["ContractedUnitPrice"] is None  # Confluent gives the discount as an amount, not a unit price
    assert (row["ChargeCategory"], row["ChargeFrequency"], row["PricingCategory"]) == (
        "Usage",
        "Usage-Based",
        "Standard",
    )
    assert (row["ServiceName"], row["ServiceCategory"], row["ServiceSubcategory"]) == (
        "Kafka clusters",
        "Integration",
        "Messaging",
    )
    assert (row["SkuId"], row["SkuMeter"]) == ("KAFKA_NUM_CKUS", "KAFKA_NUM_CKUS")
    assert row["x_NetworkAccessType"] == "PRIVATE_LINK"
    assert row["ChargeDescription"] == "Kafka clusters KAFKA_NUM_CKUS: 32 CKU-hour at 4.3769 USD each"


def test_given_a_line_then_periods_account_and_keys_are_the_usage_records() -> None:
    (record,) = [r for r in records("billing_costs__discounts_and_credits") if r["metric_name"] == "KAFKA_NUM_CKUS"]
    (row,) = focus.to_focus_rows(record, CONTEXT)
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == ("2026-09-01T00:00:00Z", "2026-09-02T00:00:00Z")
    assert (row["BillingPeriodStart"], row["BillingPeriodEnd"]) == ("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z")
    assert (
        row["x_UsageId"]
        == record["id"]
        == f"confluent|{ORG_ID}|cost|2026-09-01|env-7qk2mv|lkc-3x7p1q|KAFKA|KAFKA_NUM_CKUS"
    )
    assert row["x_ChargeId"] == record["id"] + "|total|0"
    assert (row["x_ChargeType"], row["x_Provider"], row["x_ProductId"]) == (
        "total",
        "confluent",
        "confluent|product|KAFKA",
    )
    assert (row["BillingAccountId"], row["BillingCurrency"]) == (ORG_ID, "USD")
    assert (row["ProviderName"], row["PublisherName"], row["InvoiceIssuerName"]) == ("Confluent",) * 3
    assert row["InvoiceId"] is None
    assert row["ChargeClass"] is None


def test_given_non_ascii_names_then_focus_columns_hold_an_escaped_form_and_x_columns_the_original() -> None:
    (row,) = by_sku(rows_of("billing_costs__discounts_and_credits"), "KAFKA_NUM_CKUS")
    assert (row["SubAccountId"], row["SubAccountType"]) == ("env-7qk2mv", "Environment")
    assert row["SubAccountName"] == "Z\\u00fcrich Produktion"
    assert row["x_SubAccountNameUnicode"] == "Zürich Produktion"
    assert (row["ResourceId"], row["ResourceType"]) == ("lkc-3x7p1q", "kafka_cluster")
    assert row["ResourceName"] == "zahlungen-z\\u00fcrich"
    assert row["x_ResourceNameUnicode"] == "zahlungen-zürich"
    assert row["BillingAccountName"] == "Soci\\u00e9t\\u00e9 G\\u00e9n\\u00e9rale Streaming"
    assert row["x_BillingAccountNameUnicode"] == "Société Générale Streaming"
    assert json.loads(f'"{row["SubAccountName"]}"') == "Zürich Produktion"  # the escape is JSON's


def test_given_pricing_tiers_then_each_tier_is_a_row_keyed_by_its_position() -> None:
    tiers = by_sku(rows_of("billing_costs__page1"), "CONNECT_THROUGHPUT")
    assert [row["x_ChargeId"].rsplit("|", 2)[1:] for row in tiers] == [["total", "0"], ["total", "1"]]
    assert len({row["x_UsageId"] for row in tiers}) == 1
    assert [(row["BilledCost"], row["ListUnitPrice"], row["PricingQuantity"]) for row in tiers] == [
        (12.5, 0.025, 500),
        (3.75, 0.0125, 300),
    ]
    assert tiers[1]["ChargeDescription"].endswith("(pricing tier 2 of 2)")
    assert json.loads(tiers[0]["x_TierDimensions"]) == {
        "connector_type": "BigQuerySink",
        "provider": "aws",
        "region": "us-east-1",
    }
    assert tiers[0]["RegionId"] is None  # FOCUS needs a RegionName beside it; Confluent gives none
    assert (tiers[0]["ServiceCategory"], tiers[0]["ServiceSubcategory"]) == ("Integration", "Other (Integration)")


def test_given_promotional_credits_then_charge_category_credit_without_sku_or_quantity() -> None:
    rows = by_sku(
        rows_of("billing_costs__last_page_empty_next", "billing_costs__discounts_and_credits"), "PROMO_CREDIT"
    )
    no_product, kafka = sorted(rows, key=lambda row: row["x_ProductId"] or "")
    for row in (no_product, kafka):
        assert row["ChargeCategory"] == "Credit"
        assert row["ChargeFrequency"] == "Usage-Based"
        assert row["PricingCategory"] is None
        assert row["SkuId"] is row["PricingQuantity"] is row["ConsumedQuantity"] is row["ListUnitPrice"] is None
        assert row["ResourceId"] is row["SubAccountId"] is None
        assert row["ListCost"] == row["ContractedCost"] == row["EffectiveCost"] == row["BilledCost"]
    assert (no_product["BilledCost"], no_product["ServiceName"], no_product["x_ProductId"]) == (
        -50,
        "Confluent Cloud",
        None,
    )
    assert no_product["ChargeDescription"] == "Confluent Cloud PROMO_CREDIT; Promotional allowance"
    assert (kafka["BilledCost"], kafka["ServiceName"], kafka["ServiceCategory"]) == (
        -12.75,
        "Kafka clusters",
        "Integration",
    )
    assert kafka["ChargeDescription"].endswith("; KAFKA101")


def test_given_a_support_plan_line_then_a_recurring_purchase_in_management_and_governance_support() -> None:
    (row,) = by_sku(rows_of("billing_costs__last_page_empty_next"), "SUPPORT")
    assert (row["ChargeCategory"], row["ChargeFrequency"], row["PricingCategory"]) == (
        "Purchase",
        "Recurring",
        "Standard",
    )
    assert (row["ServiceName"], row["ServiceCategory"], row["ServiceSubcategory"]) == (
        "Support (Business)",
        "Management and Governance",
        "Support",
    )
    assert (row["PricingQuantity"], row["PricingUnit"], row["ListUnitPrice"], row["BilledCost"]) == (
        1,
        "Days",
        33.3333,
        33.3333,
    )
    assert row["ConsumedQuantity"] is row["ConsumedUnit"] is None  # FOCUS: null unless ChargeCategory is Usage
    assert row["EffectiveCost"] == 33.3333  # not a prepayment of future charges: no amortization


def test_given_an_unknown_product_in_a_deleted_environment_then_other_category_and_no_environment_name() -> None:
    (row,) = by_sku(rows_of("billing_costs__last_page_empty_next"), "QUANTUM_UNITS")
    assert (row["ServiceName"], row["ServiceCategory"], row["ServiceSubcategory"]) == (
        "QUANTUM_STREAMS",
        "Other",
        "Other (Other)",
    )
    assert (row["SubAccountId"], row["SubAccountName"], row["x_SubAccountNameUnicode"]) == ("env-deleted1", None, None)
    assert (row["ListCost"], row["BilledCost"], row["x_DiscountAmount"], row["PricingUnit"]) == (
        8.0,
        7.1,
        0.9,
        "QU-Hours",
    )


def test_given_analytics_products_then_streaming_analytics() -> None:
    (row,) = by_sku(rows_of("billing_costs__discounts_and_credits"), "FLINK_NUM_CFUS")
    assert (row["ServiceCategory"], row["ServiceSubcategory"], row["ResourceType"]) == (
        "Analytics",
        "Streaming Analytics",
        "flink_compute_pool",
    )
    assert row["ChargePeriodStart"] == "2026-09-01T00:00:00Z"  # the `YYYY-MM-DD 00:00:00` form read as a day


def test_given_every_fixture_then_billed_cost_sums_to_the_charges_exactly_and_rows_are_complete() -> None:
    all_records = records(*PAGES)
    rows = [row for record in all_records for row in focus.to_focus_rows(record, CONTEXT)]
    charges = [charge for record in all_records for charge in record["charges"]]
    assert len(rows) == len(charges) == 12
    assert sum(Decimal(str(r["BilledCost"])) for r in rows) == sum(Decimal(str(c["amount"])) for c in charges)
    raw_rows = [row for page in PAGES for row in payload(f"confluent/{page}")["data"]]
    assert sum(Decimal(str(r["BilledCost"])) for r in rows) == sum(Decimal(str(r["amount"])) for r in raw_rows)
    assert sum(Decimal(str(r["BilledCost"])) for r in rows) == Decimal("294.2488")
    assert len({row["x_ChargeId"] for row in rows}) == len(rows)
    mandatory = [c.name for c in FOCUS_COLUMNS if c.level == "Mandatory" and not c.nullable]
    for row in rows:
        assert tuple(row) == COLUMN_NAMES
        assert all(row[name] is not None for name in mandatory), row["x_ChargeId"]
        assert "" not in row.values()


def test_given_remote_data_on_or_off_then_the_same_rows() -> None:
    with_raw = [records(*PAGES, include_remote_data=True), records(*PAGES)]
    on, off = ([row for r in batch for row in focus.to_focus_rows(r, CONTEXT)] for batch in with_raw)
    assert on == off


def test_given_a_record_without_charges_then_no_rows() -> None:
    (record,) = records("billing_costs__no_metadata")
    assert focus.to_focus_rows({**record, "charges": []}, CONTEXT) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": None}, "BilledCost"),
        ({"original_amount": "n/a"}, "ListCost"),
        ({"currency": "EUR"}, "billing currency USD"),
    ],
    ids=["no_amount", "no_original_amount", "other_currency"],
)
def test_given_an_unusable_charge_then_a_mapping_error_naming_the_record(change: dict, message: str) -> None:
    (record,) = records("billing_costs__no_metadata")
    broken = {**record, "charges": [{**record["charges"][0], **change}]}
    with pytest.raises(FocusMappingError, match=message) as error:
        focus.to_focus_rows(broken, CONTEXT)
    assert record["id"] in str(error.value)


def test_given_a_line_without_end_date_then_a_mapping_error() -> None:
    (record,) = records("billing_costs__no_metadata")
    with pytest.raises(FocusMappingError, match="end date"):
        focus.to_focus_rows({**record, "end_date": None}, CONTEXT)
