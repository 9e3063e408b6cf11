"""Per-row checks of FOCUS 1.2 rules that focus-validator 2.2.1 cannot see, with the spec's own allowed values.

The validator passes an allowed-values rule when any row matches, and its conditions written as "ChargeClass
is not Correction" are `ChargeClass IS NOT NULL AND ChargeClass <> 'Correction'`, false for every ordinary row
(ChargeClass null): so "MUST NOT be null when ChargeCategory is Usage or Purchase" rules never fire. These
checks apply the spec's text to every row. Allowed values: `focus_v1.2_spec.json`, extracted from the spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPEC = json.loads((Path(__file__).parent / "focus_v1.2_spec.json").read_text())
ALLOWED_PAIRS = {tuple(pair) for pair in SPEC["ServiceSubcategory"]}
# Columns the spec says MUST NOT be null when ChargeCategory is "Usage" or "Purchase" (ChargeClass not
# "Correction"): pricingquantity.md, pricingcategory.md, skuid.md, listunitprice.md, skupriceid.md.
NOT_NULL_FOR_USAGE_AND_PURCHASE = ("PricingQuantity", "PricingCategory", "SkuId", "ListUnitPrice", "SkuPriceId")

# Spec nullability rules the providers' APIs cannot meet (docs/focus.md, "Known gaps"): no SKU price ids from
# either provider; Datadog's cost API gives money only (no quantity, no unit price).
KNOWN_GAPS = {
    ("confluent", "SkuPriceId"),
    ("datadog", "SkuPriceId"),
    ("datadog", "PricingQuantity"),
    ("datadog", "ListUnitPrice"),
}


def allowed_value_violations(rows: Iterable[dict[str, Any]]) -> list[str]:
    """`<x_ChargeId>: <column>=<value>` per value outside the spec's allowed values (PricingCategory may be null)."""
    problems = []
    for row in rows:
        for column in ("ChargeCategory", "ChargeFrequency", "PricingCategory"):
            value = row[column]
            if value not in SPEC[column] and not (column == "PricingCategory" and value is None):
                problems.append(f"{row['x_ChargeId']}: {column}={value!r}")
        if row["ChargeClass"] is not None and row["ChargeClass"] not in SPEC["ChargeClass"]:
            problems.append(f"{row['x_ChargeId']}: ChargeClass={row['ChargeClass']!r}")
        if (row["ServiceCategory"], row["ServiceSubcategory"]) not in ALLOWED_PAIRS:
            problems.append(f"{row['x_ChargeId']}: pair={(row['ServiceCategory'], row['ServiceSubcategory'])}")
    return problems


def nullability_gaps(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """(provider, column) -> how many rows break one of the spec's nullability rules the validator skips.

    Rules: the NOT_NULL_FOR_USAGE_AND_PURCHASE columns; ConsumedQuantity null unless Usage; PricingUnit null
    exactly when PricingQuantity is; ChargeFrequency not "Usage-Based" for a Purchase.
    """
    gaps: dict[tuple[str, str], int] = {}

    def count(row: dict[str, Any], column: str) -> None:
        gaps[(row["x_Provider"], column)] = gaps.get((row["x_Provider"], column), 0) + 1

    for row in rows:
        usage_or_purchase = row["ChargeCategory"] in ("Usage", "Purchase") and row["ChargeClass"] is None
        for column in NOT_NULL_FOR_USAGE_AND_PURCHASE:
            if usage_or_purchase and row[column] is None:
                count(row, column)
        if row["ChargeCategory"] != "Usage" and row["ConsumedQuantity"] is not None:
            count(row, "ConsumedQuantity")
        if (row["PricingUnit"] is None) != (row["PricingQuantity"] is None):
            count(row, "PricingUnit")
        if row["ChargeCategory"] == "Purchase" and row["ChargeFrequency"] == "Usage-Based":
            count(row, "ChargeFrequency")
    return gaps
