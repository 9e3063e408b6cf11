"""The FOCUS 1.2 Cost and Usage column set, our `x_` columns, and the value rules both providers' mappings share.

Column ids, types and feature levels are the FOCUS 1.2 specification's (`specification/columns/*.md` at the
`v1.2` tag of FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec). Rows are plain dicts: the emitted FOCUS columns
first, alphabetical (the spec's ColumnHandling allows it), then the `x_` columns (`COLUMN_NAMES`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from source_usage_metering.records import Provider

FOCUS_VERSION = "1.2"
ColumnType = Literal["Decimal", "String", "DateTime", "JSON"]
FeatureLevel = Literal["Mandatory", "Conditional", "Recommended", "Custom"]
FocusRow = dict[str, Any]


class Column(NamedTuple):
    """A column's id, data type, feature level and whether the spec allows nulls in it."""

    name: str
    type: ColumnType
    level: FeatureLevel
    nullable: bool


def _columns(level: FeatureLevel, spec: str) -> tuple[Column, ...]:
    """Parse `Name:Type[?]` items (`?` = nullable) of one feature level."""
    kinds: dict[str, ColumnType] = {"D": "Decimal", "S": "String", "T": "DateTime", "J": "JSON"}
    items = []
    for item in spec.split():
        name, kind = item.rstrip("?").split(":")
        items.append(Column(name, kinds[kind], level, item.endswith("?")))
    return tuple(items)


_MANDATORY = _columns(
    "Mandatory",
    "BilledCost:D BillingAccountId:S BillingAccountName:S? BillingCurrency:S BillingPeriodEnd:T BillingPeriodStart:T "
    "ChargeCategory:S ChargeClass:S? ChargeDescription:S? ChargePeriodEnd:T ChargePeriodStart:T ContractedCost:D "
    "EffectiveCost:D InvoiceIssuerName:S ListCost:D PricingQuantity:D? PricingUnit:S? ProviderName:S PublisherName:S "
    "ServiceCategory:S ServiceName:S",
)
_CONDITIONAL = _columns(
    "Conditional",
    "BillingAccountType:S CapacityReservationId:S? CapacityReservationStatus:S? CommitmentDiscountCategory:S? "
    "CommitmentDiscountId:S? CommitmentDiscountName:S? CommitmentDiscountQuantity:D? CommitmentDiscountStatus:S? "
    "CommitmentDiscountType:S? CommitmentDiscountUnit:S? ConsumedQuantity:D? ConsumedUnit:S? ContractedUnitPrice:D? "
    "ListUnitPrice:D? PricingCategory:S? PricingCurrency:S? PricingCurrencyContractedUnitPrice:D? "
    "PricingCurrencyEffectiveCost:D? PricingCurrencyListUnitPrice:D? RegionId:S? RegionName:S? ResourceId:S? "
    "ResourceName:S? ResourceType:S? SkuId:S? SkuMeter:S? SkuPriceDetails:J? SkuPriceId:S? SubAccountId:S? "
    "SubAccountName:S? SubAccountType:S? Tags:J?",
)
_RECOMMENDED = _columns("Recommended", "AvailabilityZone:S? ChargeFrequency:S InvoiceId:S? ServiceSubcategory:S")

FOCUS_COLUMNS: tuple[Column, ...] = tuple(sorted(_MANDATORY + _CONDITIONAL + _RECOMMENDED, key=lambda c: c.name))

# Conditional columns of concepts neither provider has (capacity reservations, commitment discounts with ids,
# several billing account types, a pricing currency apart from the billing one). They are left out, as the
# spec allows ("MUST be present when the provider supports ..."): once present, several MUST NOT be null
# (BillingAccountType, CommitmentDiscountStatus, PricingCurrency, PricingCurrencyEffectiveCost).
NOT_EMITTED = frozenset(
    [
        "BillingAccountType",
        "CapacityReservationId",
        "CapacityReservationStatus",
        "CommitmentDiscountCategory",
        "CommitmentDiscountId",
        "CommitmentDiscountName",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountStatus",
        "CommitmentDiscountType",
        "CommitmentDiscountUnit",
        "PricingCurrency",
        "PricingCurrencyContractedUnitPrice",
        "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice",
    ]
)
EMITTED_FOCUS_COLUMNS: tuple[Column, ...] = tuple(c for c in FOCUS_COLUMNS if c.name not in NOT_EMITTED)

X_COLUMNS: tuple[Column, ...] = _columns(
    "Custom",
    # Keys: the stream's primary key, and the usage record it comes from (the two streams join on it).
    "x_ChargeId:S x_UsageId:S x_Provider:S x_ChargeType:S x_CostStatus:S? x_ProductId:S? "
    # Provider detail FOCUS has no column for.
    "x_DiscountAmount:D? x_NetworkAccessType:S? x_TierDimensions:J? "
    # The original (Unicode) text of the names whose FOCUS column holds an ASCII-safe form (see `ascii_safe`).
    "x_BillingAccountNameUnicode:S? x_SubAccountNameUnicode:S? x_ResourceNameUnicode:S?",
)
ALL_COLUMNS: tuple[Column, ...] = EMITTED_FOCUS_COLUMNS + X_COLUMNS
COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in ALL_COLUMNS)


class FocusMappingError(ValueError):
    """A cost record that cannot become FOCUS rows (a mandatory value is missing); it names the record."""


@dataclass(frozen=True)
class FocusContext:
    """What the provider knows about the account, beyond the usage record.

    Attributes:
        provider: the connector's provider key (`confluent`, `datadog`), as in the usage stream's `provider`.
        provider_name: ProviderName, PublisherName and InvoiceIssuerName (the provider's company name).
        billing_account_id: BillingAccountId: the Confluent organization id, or the public id of the Datadog org
            the keys belong to (the parent org, which is billed for its child orgs).
        billing_account_name: that organization's display name, if known.
        billing_currency: ISO 4217 code of every amount: `USD` for Confluent (its API documents dollars), the
            account's `currency` setting for Datadog (its cost API names no currency).
    """

    provider: Provider
    provider_name: str
    billing_account_id: str
    billing_account_name: str | None
    billing_currency: str


def new_row(context: FocusContext) -> FocusRow:
    """A row with every column null except the account, provider and currency columns of `context`."""
    row: FocusRow = dict.fromkeys(COLUMN_NAMES)
    row.update(
        BillingAccountId=context.billing_account_id,
        BillingAccountName=ascii_safe(context.billing_account_name),
        x_BillingAccountNameUnicode=context.billing_account_name or None,
        BillingCurrency=context.billing_currency,
        ProviderName=context.provider_name,
        PublisherName=context.provider_name,
        InvoiceIssuerName=context.provider_name,
        x_Provider=context.provider,
    )
    return row


def ascii_safe(text: str | None) -> str | None:
    r"""The text with each non-ASCII character written as a JSON `\uXXXX` escape; None for None or "".

    focus-validator 2.2.1 checks StringHandling as "ASCII characters only" in name columns, while real
    organization, environment and resource names are not ASCII. Escaping (rather than dropping accents) keeps
    distinct names distinct and never empties a name; ASCII text is unchanged. The original goes in an `x_`
    column beside it.
    """
    if not text:
        return None
    if text.isascii():
        return text
    return "".join(char if char.isascii() else json.dumps(char)[1:-1] for char in text)


_TIME_UNITS = ("Year", "Month", "Day", "Hour", "Minute", "Second")


def focus_unit(unit: str | None) -> str | None:
    """A provider unit in FOCUS UnitFormat: time parts plural and capitalised (`CKU-hour` -> `CKU-Hours`).

    Other units are returned as given (`GB`, `Unit`); None stays None.
    """
    if not unit:
        return None
    head, dash, tail = unit.rpartition("-")
    time_unit = _time_unit(tail)
    if dash and head and time_unit:
        return f"{head}-{time_unit}s"
    time_unit = _time_unit(unit)
    return f"{time_unit}s" if time_unit else unit


def _time_unit(word: str) -> str | None:
    singular = word.strip().lower().removesuffix("s")
    return next((unit for unit in _TIME_UNITS if unit.lower() == singular), None)


def billing_month(period_start: str) -> tuple[str, str]:
    """The calendar month (UTC) of an ISO `YYYY-MM-DD...` date: (`YYYY-MM-01T00:00:00Z`, next month's first)."""
    year, month = int(period_start[:4]), int(period_start[5:7])
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-01T00:00:00Z", f"{next_year:04d}-{next_month:02d}-01T00:00:00Z"


def amount(value: Any, *, column: str, record_id: str) -> float | int:
    """A charge amount as the usage record holds it (a JSON number), or FocusMappingError naming the record."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FocusMappingError(f"{record_id}: {column} needs a number, the charge has {value!r}")
    return value


def charge_id(usage_id: str, charge_type: str, tier: int | None = None) -> str:
    """x_ChargeId: the usage record's id, the charge type and, for tiered charges, the tier's position (from 0)."""
    return f"{usage_id}|{charge_type}" if tier is None else f"{usage_id}|{charge_type}|{tier}"
