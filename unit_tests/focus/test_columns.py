"""The FOCUS column set, value helpers, the CSV writer and the focus_cost schema, against the FOCUS 1.2 spec."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from source_usage_metering.focus import columns
from source_usage_metering.focus.csv_export import decimal_text, focus_csv
from source_usage_metering.schemas import load_schema
from unit_tests.focus.samples import sample_rows

SPEC = json.loads((Path(__file__).parent / "focus_v1.2_spec.json").read_text())
SPEC_TYPES = {"Decimal": "Decimal", "String": "String", "Date/Time": "DateTime", "JSON": "JSON"}


def test_the_column_set_is_the_specs_57_columns_with_their_types_levels_and_nullability() -> None:
    ours = {c.name: (c.type, c.level, c.nullable) for c in columns.FOCUS_COLUMNS}
    spec = {c["name"]: (SPEC_TYPES[c["data_type"]], c["feature_level"], c["allows_nulls"]) for c in SPEC["columns"]}
    assert ours == spec
    assert len(ours) == 57
    assert [c.name for c in columns.FOCUS_COLUMNS] == sorted(ours)


def test_custom_columns_come_after_the_focus_columns_and_follow_the_naming_rules() -> None:
    names = list(columns.COLUMN_NAMES)
    first_custom = names.index("x_ChargeId")
    assert first_custom == len(columns.EMITTED_FOCUS_COLUMNS) == 57 - len(columns.NOT_EMITTED) == 43
    assert all(name.startswith("x_") and name[2:].isalnum() and name[2].isupper() for name in names[first_custom:])
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme Corp", "Acme Corp"),
        ("Zürich", "Z\\u00fcrich"),
        ("🍻", "\\ud83c\\udf7b"),
        ("データ", "\\u30c7\\u30fc\\u30bf"),
        ("", None),
        (None, None),
    ],
    ids=["ascii_unchanged", "latin", "emoji_surrogate_pair", "cjk", "empty_is_null", "null"],
)
def test_ascii_safe_escapes_only_non_ascii_characters(text: str | None, expected: str | None) -> None:
    assert columns.ascii_safe(text) == expected
    if text:
        assert json.loads(f'"{expected}"') == text


def test_distinct_names_stay_distinct_where_dropping_accents_would_merge_them() -> None:
    assert columns.ascii_safe("Müller") != columns.ascii_safe("Muller")


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("CKU-hour", "CKU-Hours"),
        ("GB-hour", "GB-Hours"),
        ("Partition-hour", "Partition-Hours"),
        ("Hour", "Hours"),
        ("Day", "Days"),
        ("GB", "GB"),
        ("Unit", "Unit"),
        ("Request", "Request"),
        (None, None),
    ],
)
def test_focus_unit_makes_time_parts_plural_and_capitalised(unit: str | None, expected: str | None) -> None:
    assert columns.focus_unit(unit) == expected


def test_billing_month_is_the_utc_calendar_month_with_an_exclusive_end() -> None:
    assert columns.billing_month("2026-12-31T00:00:00Z") == ("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(24, "24.0"), (0, "0.0"), (-0.0, "0.0"), (1e-05, "0.00001"), (-12.75, "-12.75"), (140.0608, "140.0608")],
)
def test_decimals_are_written_in_plain_notation_with_a_decimal_point(value: float, expected: str) -> None:
    assert decimal_text(value) == expected


def test_the_csv_has_every_column_in_order_null_as_empty_cell_and_reads_back() -> None:
    rows = sample_rows()
    text = focus_csv(rows)
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == columns.COLUMN_NAMES
    assert len(table) == len(rows) + 1
    header = table[0]
    first = dict(zip(header, table[1], strict=True))
    assert first["BilledCost"] == "140.0608"
    assert first["AvailabilityZone"] == ""
    assert first["ChargePeriodStart"] == "2026-09-01T00:00:00Z"
    assert first["BillingAccountName"] == "Org \\u00dcn\\u00efcode"
    assert first["x_BillingAccountNameUnicode"] == "Org Ünïcode"
    governance = dict(zip(header, table[3], strict=True))
    assert (governance["BilledCost"], governance["PricingQuantity"]) == ("24.0", "24.0")


def test_the_csv_refuses_a_column_that_is_neither_focus_nor_ours() -> None:
    with pytest.raises(ValueError, match="Cost"):
        focus_csv([{"Cost": 1}])


def test_the_focus_cost_schema_lists_every_column_in_order_and_every_row_validates() -> None:
    schema = load_schema("focus_cost")
    assert tuple(schema["properties"]) == columns.COLUMN_NAMES
    assert {"x_ChargeId", "ChargePeriodEnd", "BilledCost", "ServiceSubcategory"} <= set(schema["required"])
    for row in sample_rows():
        jsonschema.validate({k: v for k, v in row.items() if v is not None}, schema)
        jsonschema.validate(row, schema)
