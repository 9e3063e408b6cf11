"""Pure FOCUS 1.2 mapping of Confluent Cloud cost lines: one row per charge (pricing tier); no I/O.

Input is a `usage` cost record exactly as `transform.to_usage_record` builds it; `remote_data` is never read
(it is absent when `include_remote_data` is off). Billing API field meanings: https://docs.confluent.io/cloud/current/api.html#tag/Costs-(billingv1)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from source_usage_metering.focus.columns import (
    FocusContext,
    FocusMappingError,
    FocusRow,
    amount,
    ascii_safe,
    billing_month,
    charge_id,
    focus_unit,
    new_row,
)
from source_usage_metering.providers.confluent.transform import CURRENCY, PROVIDER
from source_usage_metering.records import Charge, Resource, UsageRecord

PROVIDER_NAME = "Confluent"
PROMO_LINE_TYPE = "PROMO_CREDIT"
SUPPORT_PRODUCT_PREFIX = "SUPPORT_"
NO_PRODUCT_SERVICE = "Confluent Cloud"  # a credit the API ties to no product is a credit on the platform
SUB_ACCOUNT_TYPE = "Environment"

# Product -> (ServiceCategory, ServiceSubcategory), an allowed pair of the FOCUS 1.2 ServiceSubcategory table.
SERVICE_CATEGORIES: dict[str | None, tuple[str, str]] = {
    "KAFKA": ("Integration", "Messaging"),
    "CONNECT": ("Integration", "Other (Integration)"),
    "CUSTOM_CONNECT": ("Integration", "Other (Integration)"),
    "CLUSTER_LINK": ("Integration", "Other (Integration)"),
    "KSQL": ("Analytics", "Streaming Analytics"),
    "FLINK": ("Analytics", "Streaming Analytics"),
    "TABLEFLOW": ("Analytics", "Data Processing"),
    "STREAM_GOVERNANCE": ("Management and Governance", "Data Governance"),
    "USM": ("Management and Governance", "Other (Management and Governance)"),
    "AUDIT_LOG": ("Security", "Other (Security)"),
    None: ("Integration", "Messaging"),  # NO_PRODUCT_SERVICE: Confluent Cloud is a data streaming platform
}
SUPPORT_CATEGORY = ("Management and Governance", "Support")
UNKNOWN_CATEGORY = ("Other", "Other (Other)")  # a product value the catalogue does not know


def focus_context(org_id: str, org_name: str | None) -> FocusContext:
    """The billing account of a Confluent organization; every amount is in dollars (`transform.CURRENCY`)."""
    return FocusContext(PROVIDER, PROVIDER_NAME, org_id, org_name, CURRENCY)


def to_focus_rows(record: UsageRecord, context: FocusContext) -> list[FocusRow]:
    """FOCUS rows of one Confluent cost line: one per charge (a pricing tier is its own row).

    Args:
        record: a `usage` record of provider `confluent` (one cost line, `total` charges, one per tier).
        context: the organization's billing account (`focus_context`).

    Returns:
        Rows with every FOCUS 1.2 column then the `x_` columns (`focus.columns.COLUMN_NAMES`); amounts are the
        charge's own JSON numbers, dates `YYYY-MM-DDTHH:mm:ssZ`. `[]` for a record without charges.

    Raises:
        FocusMappingError: a charge without a numeric `amount` or `original_amount`, or a line without end date.
    """
    charges = record.get("charges") or []
    rows = []
    for index, charge in enumerate(charges):
        row = _line_row(record, context)
        row.update(_charge_columns(record, charge, index, len(charges), context))
        rows.append(row)
    return rows


def product_value(record: UsageRecord) -> str | None:
    """The billing API's `product` value of a cost line (the last part of its products id), or None."""
    product = record.get("product")
    return product["id"].rsplit("|", 1)[-1] if product else None


def charge_category(line_type: str | None, product: str | None) -> str:
    """ChargeCategory: promotional credits are `Credit`, support plans `Purchase`, everything else `Usage`."""
    if line_type == PROMO_LINE_TYPE:
        return "Credit"
    if product and product.startswith(SUPPORT_PRODUCT_PREFIX):
        return "Purchase"
    return "Usage"


def service_categories(product: str | None) -> tuple[str, str]:
    """(ServiceCategory, ServiceSubcategory) of a product value."""
    if product and product.startswith(SUPPORT_PRODUCT_PREFIX):
        return SUPPORT_CATEGORY
    return SERVICE_CATEGORIES.get(product, UNKNOWN_CATEGORY)


def _line_row(record: UsageRecord, context: FocusContext) -> FocusRow:
    """The columns every charge of the line shares: periods, service, resource, environment."""
    if not record.get("end_date"):
        raise FocusMappingError(f"{record['id']}: a Confluent cost line needs its end date")
    product = product_value(record)
    category, subcategory = service_categories(product)
    period_start, period_end = billing_month(record["start_date"])
    row = new_row(context)
    row.update(
        BillingPeriodStart=period_start,
        BillingPeriodEnd=period_end,
        ChargePeriodStart=record["start_date"],
        ChargePeriodEnd=record["end_date"],
        ServiceName=ascii_safe(_service_name(record)),
        ServiceCategory=category,
        ServiceSubcategory=subcategory,
        x_UsageId=record["id"],
        x_ProductId=record["product"]["id"] if record.get("product") else None,
        x_NetworkAccessType=(record.get("usage") or {}).get("network_access_type"),
    )
    resources = record.get("resources") or []
    if resources:
        row.update(_resource_columns(resources[0]))
    return row


def _service_name(record: UsageRecord) -> str:
    product = record.get("product")
    return (product.get("name") or product_value(record) or NO_PRODUCT_SERVICE) if product else NO_PRODUCT_SERVICE


def _resource_columns(resource: Resource) -> dict[str, Any]:
    """Resource* and SubAccount* (the resource's environment) columns."""
    columns: dict[str, Any] = {
        "ResourceId": resource["id"],
        "ResourceName": ascii_safe(resource.get("name")),
        "x_ResourceNameUnicode": resource.get("name") or None,
        "ResourceType": resource.get("type"),
    }
    workspace = resource.get("workspace")
    if workspace:
        columns.update(
            SubAccountId=workspace["id"].rsplit("|", 1)[-1],  # `confluent|<org>|environment|<env id>`
            SubAccountName=ascii_safe(workspace.get("name")),
            x_SubAccountNameUnicode=workspace.get("name") or None,
            SubAccountType=SUB_ACCOUNT_TYPE,
        )
    return columns


def _charge_columns(
    record: UsageRecord, charge: Charge, index: int, tiers: int, context: FocusContext
) -> dict[str, Any]:
    """Cost, quantity, price, SKU and category columns of one charge (one raw cost row)."""
    detail: Mapping[str, Any] = charge  # the transform adds Confluent's row fields to the charge
    _check_currency(record, charge, context)
    line_type, product = record.get("metric_name"), product_value(record)
    category = charge_category(line_type, product)
    billed = amount(detail.get("amount"), column="BilledCost (amount)", record_id=record["id"])
    listed = amount(detail.get("original_amount"), column="ListCost (original_amount)", record_id=record["id"])
    quantity, unit = detail.get("quantity"), focus_unit(detail.get("unit"))
    tier_dimensions = detail.get("tier_dimensions") or None
    return {
        "BilledCost": billed,
        "EffectiveCost": billed,  # no amortization: Confluent bills usage as it accrues
        "ContractedCost": billed,  # `discount_amount` is the negotiated discount off the list amount
        "ListCost": listed,
        "ListUnitPrice": detail.get("unit_price"),
        "PricingQuantity": quantity,
        "PricingUnit": unit if quantity is not None else None,
        "ConsumedQuantity": quantity if category == "Usage" else None,
        "ConsumedUnit": unit if category == "Usage" and quantity is not None else None,
        "ChargeCategory": category,
        "ChargeFrequency": "Recurring" if category == "Purchase" else "Usage-Based",
        "PricingCategory": None if category == "Credit" else "Standard",
        "ChargeDescription": ascii_safe(_description(record, detail, (index, tiers), context.billing_currency)),
        "SkuId": None if category == "Credit" else line_type,
        "SkuMeter": None if category == "Credit" else line_type,
        "x_ChargeId": charge_id(record["id"], charge.get("type", "total"), index),
        "x_ChargeType": charge.get("type", "total"),
        "x_DiscountAmount": detail.get("discount_amount"),
        # A tier's `region` stays here, not in RegionId: FOCUS requires a RegionName beside a RegionId and
        # Confluent gives none.
        "x_TierDimensions": json.dumps(tier_dimensions, sort_keys=True) if tier_dimensions else None,
    }


def _check_currency(record: UsageRecord, charge: Charge, context: FocusContext) -> None:
    currency = charge.get("currency")
    if currency is not None and currency != context.billing_currency:
        raise FocusMappingError(f"{record['id']}: charge in {currency}, billing currency {context.billing_currency}")


def _description(record: UsageRecord, detail: Mapping[str, Any], tier: tuple[int, int], currency: str) -> str:
    """What was charged and at what price, e.g. `Kafka clusters KAFKA_NUM_CKUS: 32 CKU-hour at 4.3769 USD each`."""
    index, tiers = tier
    text = f"{_service_name(record)} {record.get('metric_name') or ''}".strip()
    quantity, unit, price = detail.get("quantity"), detail.get("unit"), detail.get("unit_price")
    if quantity is not None and price is not None:
        text += f": {quantity} {unit or 'units'} at {price} {currency} each"
    if tiers > 1:
        text += f" (pricing tier {index + 1} of {tiers})"
    if detail.get("description"):
        text += f"; {detail['description']}"
    return text
