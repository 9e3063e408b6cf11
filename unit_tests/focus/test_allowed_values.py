"""Every row's categorical values are in the FOCUS 1.2 spec's allowed lists (the validator only checks one row)."""

from __future__ import annotations

from source_usage_metering.providers.confluent import focus as confluent_focus
from source_usage_metering.providers.datadog import focus as datadog_focus
from unit_tests.focus.samples import sample_rows
from unit_tests.focus.spec_rules import ALLOWED_PAIRS, KNOWN_GAPS, SPEC, allowed_value_violations, nullability_gaps


def test_given_every_fixture_row_then_every_categorical_value_is_an_allowed_one() -> None:
    rows = sample_rows()
    assert allowed_value_violations(rows) == []
    assert {row["ChargeCategory"] for row in rows} == {"Usage", "Purchase", "Credit"}
    assert {row["PricingCategory"] for row in rows} == {"Standard", "Committed", None}


def test_every_service_pair_and_pricing_value_the_mappings_can_emit_is_allowed() -> None:
    confluent_pairs = {
        *confluent_focus.SERVICE_CATEGORIES.values(),
        confluent_focus.SUPPORT_CATEGORY,
        confluent_focus.UNKNOWN_CATEGORY,
    }
    assert confluent_pairs | {datadog_focus.SERVICE_CATEGORY} <= ALLOWED_PAIRS
    for pricing, frequency in (*datadog_focus.CHARGE_TYPES.values(), datadog_focus.MIXED_CHARGE_TYPE):
        assert pricing in SPEC["PricingCategory"]
        assert frequency in SPEC["ChargeFrequency"]


def test_given_an_invented_value_then_the_check_reports_it() -> None:
    row = sample_rows()[0]
    bad = {**row, "ChargeCategory": "Discount", "ServiceSubcategory": "Observability"}
    assert allowed_value_violations([bad]) == [
        f"{row['x_ChargeId']}: ChargeCategory='Discount'",
        f"{row['x_ChargeId']}: pair=('Integration', 'Observability')",
    ]


def test_the_only_nullability_gaps_are_the_documented_ones() -> None:
    gaps = nullability_gaps(sample_rows())
    assert set(gaps) == KNOWN_GAPS
