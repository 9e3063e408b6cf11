"""Pure FOCUS 1.2 mapping of Datadog monthly cost records: one row per charge (committed, on_demand); no I/O.

Input is a `usage` cost record exactly as `transform.to_cost_record` builds it; `remote_data` is never read.
Hourly measurement records carry no charges and map to no rows. Cost API:
https://docs.datadoghq.com/api/latest/usage-metering/#get-historical-cost-across-your-account
"""

from __future__ import annotations

from typing import Any

from source_usage_metering.focus.columns import (
    FocusContext,
    FocusMappingError,
    FocusRow,
    amount,
    ascii_safe,
    billing_month,
    charge_id,
    new_row,
)
from source_usage_metering.providers.datadog.transform import PROVIDER
from source_usage_metering.records import Charge, UsageRecord

PROVIDER_NAME = "Datadog"
SUB_ACCOUNT_TYPE = "Organization"
SERVICE_CATEGORY = ("Management and Governance", "Observability")  # an allowed FOCUS 1.2 pair
# Datadog charge type -> (PricingCategory, ChargeFrequency). `committed` is the month's committed (contracted)
# volume, billed whether used or not; `on_demand` is usage beyond it at on-demand rates; `total` is used only
# when Datadog gives no split, so its pricing is a mix of both.
CHARGE_TYPES: dict[str, tuple[str, str]] = {
    "committed": ("Committed", "Recurring"),
    "on_demand": ("Standard", "Usage-Based"),
}
MIXED_CHARGE_TYPE = ("Other", "Usage-Based")


def focus_context(parent_public_id: str, parent_name: str | None, currency: str) -> FocusContext:
    """The billing account of the org whose keys read the cost (the parent org, billed for its child orgs).

    Args:
        parent_public_id: the public id of the keys' org.
        parent_name: its name, if known.
        currency: the account's `currency` setting (Datadog's cost API names no currency).
    """
    return FocusContext(PROVIDER, PROVIDER_NAME, parent_public_id, parent_name, currency)


def is_cost_record(record: UsageRecord) -> bool:
    """Whether a Datadog usage record is a monthly cost record (hourly measurements are not)."""
    return record.get("metric_name") == "cost" and bool(record.get("charges"))


def to_focus_rows(record: UsageRecord, context: FocusContext) -> list[FocusRow]:
    """FOCUS rows of one Datadog org x billing dimension x month: one per charge.

    Args:
        record: a `usage` record of provider `datadog`.
        context: the billing account (`focus_context`).

    Returns:
        Rows with every FOCUS 1.2 column then the `x_` columns; `[]` for an hourly measurement record. The
        estimate and the final figure of a month give rows with the same `x_ChargeId` (the final replaces it).

    Raises:
        FocusMappingError: a charge without a numeric amount, or in another currency than the context's.
    """
    if not is_cost_record(record):
        return []
    base = _record_row(record, context)
    rows = []
    for charge in record["charges"]:
        row = dict(base)
        row.update(_charge_columns(record, charge, context))
        rows.append(row)
    return rows


def public_id_of(record: UsageRecord) -> str:
    """The org's public id: the third part of `datadog|<site>|<public id>|organization`."""
    return record["organization"]["id"].split("|")[2]


def _record_row(record: UsageRecord, context: FocusContext) -> FocusRow:
    period_start, period_end = billing_month(record["start_date"])
    usage = record.get("usage") or {}
    org_name = record["organization"].get("name")
    row = new_row(context)
    row.update(
        BillingPeriodStart=period_start,
        BillingPeriodEnd=period_end,
        ChargePeriodStart=record["start_date"],
        ChargePeriodEnd=record["end_date"],
        ServiceName=ascii_safe(_service_name(record)),
        ServiceCategory=SERVICE_CATEGORY[0],
        ServiceSubcategory=SERVICE_CATEGORY[1],
        SkuId=usage.get("product_name"),
        SkuMeter=usage.get("product_name"),
        SubAccountId=public_id_of(record),
        SubAccountName=ascii_safe(org_name),
        x_SubAccountNameUnicode=org_name or None,
        SubAccountType=SUB_ACCOUNT_TYPE,
        x_UsageId=record["id"],
        x_CostStatus=usage.get("cost_status"),
        x_ProductId=record["product"]["id"] if record.get("product") else None,
    )
    return row


def _service_name(record: UsageRecord) -> str:
    product = record.get("product") or {}
    return product.get("name") or (record.get("usage") or {}).get("product_name") or "Datadog"


def _description(record: UsageRecord, kind: str) -> str:
    """E.g. `Infra Hosts (infra_host): committed charge for 2026-09 (final)`."""
    usage = record.get("usage") or {}
    text = f"{_service_name(record)} ({usage.get('product_name')}): {kind.replace('_', '-')} charge"
    text += f" for {record['start_date'][:7]}"
    return text + (f" ({usage['cost_status']})" if usage.get("cost_status") else "")


def _charge_columns(record: UsageRecord, charge: Charge, context: FocusContext) -> dict[str, Any]:
    kind = charge.get("type", "total")
    if charge.get("currency") not in (None, context.billing_currency):
        raise FocusMappingError(f"{record['id']}: charge in {charge.get('currency')}, not {context.billing_currency}")
    billed = amount(charge.get("amount"), column="BilledCost (amount)", record_id=record["id"])
    pricing, frequency = CHARGE_TYPES.get(kind, MIXED_CHARGE_TYPE)
    return {
        "BilledCost": billed,
        # The cost API gives the billed amount only: no list price, discount or amortization. ListCost and
        # ContractedCost are mandatory and not nullable, so they carry the billed amount (no savings shown).
        "EffectiveCost": billed,
        "ContractedCost": billed,
        "ListCost": billed,
        "ChargeCategory": "Usage",
        "ChargeFrequency": frequency,
        "PricingCategory": pricing,
        "ChargeDescription": ascii_safe(_description(record, kind)),
        "x_ChargeId": charge_id(record["id"], kind),
        "x_ChargeType": kind,
    }
