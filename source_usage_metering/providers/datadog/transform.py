"""Pure mappings from Datadog payloads to unified records: no I/O, clock or logging."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from source_usage_metering.providers.datadog import ids
from source_usage_metering.providers.datadog.ids import PROVIDER
from source_usage_metering.providers.datadog.known_products import BILLING_DIMENSIONS, PRODUCT_FAMILIES
from source_usage_metering.records import Charge, Organization, Product, Ref, UsageRecord, entity_fields
from source_usage_metering.windows import iso, iso_or_none, parse_iso

SPLIT_CHARGE_TYPES = ("committed", "on_demand")
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Tenant:
    """The Datadog org the keys belong to, on its site (public ids are unique per site)."""

    site: str
    public_id: str
    name: str | None

    @property
    def key(self) -> str:
        """The state partition's tenant: `<site>|<public id>`."""
        return f"{self.site}|{self.public_id}"


def organization_ref(site: str, public_id: str, name: str | None) -> Ref:
    """An organization as usage records reference it."""
    return {"id": ids.organization_id(site, public_id), "name": name}


def to_organization(raw: Mapping[str, Any], site: str, *, include_remote_data: bool) -> Organization:
    """An `/api/v1/org` item (the keys' own org): it carries `created`, never an update time."""
    return {  # type: ignore[return-value]
        "id": ids.organization_id(site, raw["public_id"]),
        "name": raw.get("name"),
        **entity_fields(
            PROVIDER,
            raw["public_id"],
            created_at=iso_or_none(raw.get("created")),
            remote_data=raw if include_remote_data else None,
        ),
    }


def to_seen_organization(attributes: Mapping[str, Any], site: str, *, include_remote_data: bool) -> Organization:
    """An org known only from usage or cost rows (child orgs are listed nowhere else)."""
    public_id = attributes["public_id"]
    keys = ("org_name", "public_id", "region", "account_name", "account_public_id")
    remote_data = {key: attributes.get(key) for key in keys} if include_remote_data else None
    return {  # type: ignore[return-value]
        "id": ids.organization_id(site, public_id),
        "name": attributes.get("org_name"),
        **entity_fields(PROVIDER, public_id, remote_data=remote_data),
    }


def family_name(family: str) -> str:
    """The display name of an hourly usage product family (its value when unknown)."""
    return PRODUCT_FAMILIES.get(family, family)


def dimension_name(product_name: str, labels: Mapping[str, str]) -> str:
    """The label of a billing dimension: the mapping endpoint's, else the built-in one, else the value."""
    return labels.get(product_name) or BILLING_DIMENSIONS.get(product_name) or product_name


def to_family_product(family: str) -> Product:
    """An hourly usage product family."""
    known = family in PRODUCT_FAMILIES
    return {  # type: ignore[return-value]
        "id": ids.family_product_id(family),
        "name": family_name(family),
        "description": "Datadog hourly usage product family" + ("" if known else " (not in the built-in catalogue)"),
        **entity_fields(PROVIDER, family),
    }


def to_dimension_product(product_name: str, labels: Mapping[str, str], mapping_row: Any = None) -> Product:
    """A cost billing dimension (cost `charges[].product_name`)."""
    return {  # type: ignore[return-value]
        "id": ids.dimension_product_id(product_name),
        "name": dimension_name(product_name, labels),
        "description": "Datadog billing dimension (monthly cost)",
        **entity_fields(PROVIDER, product_name, remote_data=mapping_row),
    }


def mapping_labels(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Billing dimension -> `in_app_label` from `billing_dimension_mapping` items."""
    labels = {}
    for row in rows:
        label = (row.get("attributes") or {}).get("in_app_label")
        if isinstance(row.get("id"), str) and isinstance(label, str) and label:
            labels[row["id"]] = label
    return labels


def hour_stamps(value: Any, cache: dict[str, tuple[str, str, str] | None]) -> tuple[str, str, str] | None:
    """(`YYYY-MM-DDTHH` id key, start, end) of an hourly row's timestamp, parsed once per distinct string."""
    if value in cache:
        return cache[value]
    stamps = None
    try:
        moment = parse_iso(value).replace(minute=0, second=0, microsecond=0)
        stamps = (moment.strftime("%Y-%m-%dT%H"), iso(moment), iso(moment + HOUR))
    except (AttributeError, TypeError, ValueError):
        pass
    cache[value] = stamps
    return stamps


_NUMBERS = (int, float)


@dataclass(frozen=True)
class RowHead:
    """What every hourly record of one org and product family shares, built once per sync.

    The references are the same dict objects in every record: records are serialized, never mutated.
    """

    prefix: str
    family: str
    product: Ref
    organization: Ref
    ids_by_usage_type: dict[str, str] = field(default_factory=dict)  # usage type -> id without the hour


RowHeads = dict[tuple[Any, Any, Any], RowHead]


def row_head(site: str, attributes: Mapping[str, Any], heads: RowHeads) -> RowHead:
    """The shared head of an hourly row's records, from `heads` (keyed by org, org name and family) or built."""
    public_id, org_name = attributes["public_id"], attributes.get("org_name")
    family = attributes.get("product_family") or "unknown"
    try:
        return heads[(public_id, org_name, family)]
    except KeyError:
        head = heads[(public_id, org_name, family)] = _build_row_head(site, public_id, org_name, family)
        return head
    except TypeError:  # an unhashable org name (odd payload): built for this row only
        return _build_row_head(site, public_id, org_name, family)


def _build_row_head(site: str, public_id: Any, org_name: Any, family: Any) -> RowHead:
    return RowHead(
        prefix=ids.hourly_prefix(site, public_id, family),
        family=family,
        product={"id": ids.family_product_id(family), "name": family_name(family)},
        organization=organization_ref(site, public_id, org_name),
    )


def hourly_records(
    row: Mapping[str, Any],
    site: str,
    stamps: tuple[str, str, str],
    *,
    include_remote_data: bool,
    heads: RowHeads | None = None,
) -> Iterator[UsageRecord]:
    """One record per measurement with a value (null means "not applicable"; zero is a record).

    Per-row work (ids head, references) comes from `heads` (pass one dict per sync), hour strings from `stamps`;
    per measurement only the record is built. `remote_data` is the whole raw row, shared by its measurements.
    """
    return rows_hourly_records(
        (row,), site, lambda _row: stamps, include_remote_data=include_remote_data, heads={} if heads is None else heads
    )


def rows_hourly_records(
    rows: Iterable[Mapping[str, Any]],
    site: str,
    stamps_of: Callable[[Mapping[str, Any]], tuple[str, str, str] | None],
    *,
    include_remote_data: bool,
    heads: RowHeads,
) -> Iterator[UsageRecord]:
    """`hourly_records` of many rows in one generator (no generator per row); rows `stamps_of` refuses are skipped."""
    for row in rows:
        stamps = stamps_of(row)
        if stamps is None:
            continue
        attributes = row["attributes"]
        head = row_head(site, attributes, heads)
        product, organization, family, by_usage_type = (
            head.product,
            head.organization,
            head.family,
            head.ids_by_usage_type,
        )
        hour, start, end = stamps
        remote_id = row.get("id")
        for measurement in attributes.get("measurements") or ():
            if type(measurement) is not dict:
                continue
            value = measurement.get("value")
            usage_type = measurement.get("usage_type")
            if type(value) not in _NUMBERS or not usage_type or type(usage_type) is not str:
                continue  # null is "not applicable"; bools and text are not counts; a usage type is a name
            record: UsageRecord = {
                "id": _hourly_id(head, by_usage_type, usage_type, hour),
                "product": product,
                "metric_name": usage_type,
                "resources": [],
                "organization": organization,
                "charges": [],
                "usage": {"quantity": value, "unit": None, "usage_type": usage_type, "product_family": family},
                "start_date": start,
                "end_date": end,
                "created_at": None,
                "updated_at": None,
                "provider": PROVIDER,
                "remote_id": remote_id,
            }
            if include_remote_data:
                record["remote_data"] = row  # type: ignore[typeddict-item]
            yield record


def _hourly_id(head: RowHead, by_usage_type: dict[str, str], usage_type: Any, hour: str) -> str:
    try:
        return by_usage_type[usage_type] + hour
    except KeyError:
        by_usage_type[usage_type] = ids.hourly_id_head(head.prefix, usage_type)
        return by_usage_type[usage_type] + hour
    except TypeError:  # an unhashable usage type (odd payload): no memo
        return ids.hourly_id(head.prefix, usage_type, hour)


@dataclass
class CostLine:
    """One org's cost of one billing dimension in one month, folded from its charge lines."""

    public_id: str
    org_name: str | None
    month: str
    product_name: str
    amounts: dict[str, Decimal] = field(default_factory=dict)
    raw_charges: list[Mapping[str, Any]] = field(default_factory=list)
    rows: list[Mapping[str, Any]] = field(default_factory=list)


def cost_month(attributes: Mapping[str, Any]) -> str | None:
    """`YYYY-MM` of a cost row's `date` ("the month requested"): the month of its UTC instant.

    Never the text's first characters: `2026-10-31T20:00:00-05:00` is November in UTC.
    """
    value = attributes.get("date")
    return _utc_month(value) if isinstance(value, str) else None


@lru_cache(maxsize=256)  # a few distinct dates per answer
def _utc_month(value: str) -> str | None:
    try:
        return parse_iso(value).strftime("%Y-%m")
    except ValueError:
        return None


def decimal(value: Any) -> Decimal | None:
    """An exact Decimal of a JSON number; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


@dataclass
class CostRowReport:
    """What `fold_cost_rows` left out or could not settle, for the provider to report."""

    repeated: int = 0  # a row seen again, identical (counted once)
    outside: dict[str, int] = field(default_factory=dict)  # month -> rows of months not asked for
    conflicts: list[str] = field(default_factory=list)  # "<org> <month>": two different rows for one org-month


def fold_cost_rows(
    rows: Iterable[Mapping[str, Any]],
    months: set[str],
    odd: list[str] | None = None,
    report: CostRowReport | None = None,
) -> dict[tuple[str, str, str], CostLine]:
    """Group the charge lines of cost rows per org x month x product, summing repeated charge types exactly.

    An answer has one row per org and month (`view=sub-org`): a row seen again identical is counted once; a second,
    different row for the same org and month is a conflict (left out and listed in `report.conflicts`: the caller
    must not guess which is right). Rows of months outside `months` are left out and counted in `report.outside`;
    rows and charges that cannot be read (no org or month, not an object, no product, type or numeric cost) are
    left out and described in `odd`.
    """
    lines: dict[tuple[str, str, str], CostLine] = {}
    odd = odd if odd is not None else []
    report = report if report is not None else CostRowReport()
    by_org_month: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in rows:
        attributes = row.get("attributes") if isinstance(row, Mapping) else None
        if not isinstance(attributes, Mapping):
            odd.append("a row without attributes")
            continue
        month, public_id = cost_month(attributes), attributes.get("public_id")
        if month is None or not isinstance(public_id, str) or not public_id:
            odd.append(f"a row without a readable month or org ({str(attributes.get('date'))[:30]})")
            continue
        if month not in months:
            report.outside[month] = report.outside.get(month, 0) + 1
            continue
        earlier = by_org_month.get((public_id, month))
        if earlier is not None:  # even the very same row object again (a cached page served twice) counts once
            if earlier == row:
                report.repeated += 1
            else:
                report.conflicts.append(f"{public_id} {month}")
            continue
        by_org_month[(public_id, month)] = row
        _fold_charges(row, attributes, public_id, month, lines, odd)
    return lines


def _fold_charges(
    row: Mapping[str, Any],
    attributes: Mapping[str, Any],
    public_id: str,
    month: str,
    lines: dict[tuple[str, str, str], CostLine],
    odd: list[str],
) -> None:
    for charge in attributes.get("charges") or ():
        if not isinstance(charge, Mapping):
            odd.append(f"a charge of {public_id} {month} that is not an object")
            continue
        product, kind, amount = charge.get("product_name"), charge.get("charge_type"), decimal(charge.get("cost"))
        if not isinstance(product, str) or not product or not isinstance(kind, str) or amount is None:
            odd.append(f"an unreadable charge of {public_id} {month}: {str(charge)[:80]}")
            continue
        key = (public_id, month, product)
        line = lines.get(key)
        if line is None:
            line = lines[key] = CostLine(public_id, attributes.get("org_name"), month, product)
        line.amounts[kind] = line.amounts.get(kind, Decimal(0)) + amount
        line.raw_charges.append(charge)
        if not line.rows or line.rows[-1] is not row:
            line.rows.append(row)


def cost_charges(amounts: Mapping[str, Decimal], currency: str) -> list[Charge]:
    """`committed` / `on_demand` (and unknown types), never also `total`; `total` only when nothing else is given."""
    kinds = [kind for kind in amounts if kind != "total"] or (["total"] if "total" in amounts else [])
    ordered = [k for k in SPLIT_CHARGE_TYPES if k in kinds] + [k for k in kinds if k not in SPLIT_CHARGE_TYPES]
    return [{"amount": float(amounts[kind]), "currency": currency, "type": kind} for kind in ordered]  # type: ignore[typeddict-item]


def to_cost_record(
    line: CostLine,
    site: str,
    status: str,
    currency: str,
    labels: Mapping[str, str],
    *,
    include_remote_data: bool,
) -> UsageRecord:
    """One org x billing dimension x calendar month; `usage.cost_status` says estimated or final."""
    year, month = int(line.month[:4]), int(line.month[5:7])
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    total = line.amounts.get("total")
    functions = {c["last_aggregation_function"] for c in line.raw_charges if c.get("last_aggregation_function")}
    record: UsageRecord = {
        "id": ids.cost_id(site, line.public_id, line.month, line.product_name),
        "product": {
            "id": ids.dimension_product_id(line.product_name),
            "name": dimension_name(line.product_name, labels),
        },
        "metric_name": "cost",
        "resources": [],
        "organization": organization_ref(site, line.public_id, line.org_name),
        "charges": cost_charges(line.amounts, currency),
        "usage": {
            "quantity": None,
            "unit": None,
            "cost_status": status,
            "product_name": line.product_name,
            "total_cost": float(total) if total is not None else None,
            "last_aggregation_function": functions.pop() if len(functions) == 1 else None,
        },
        "start_date": f"{line.month}-01T00:00:00Z",
        "end_date": f"{next_year:04d}-{next_month:02d}-01T00:00:00Z",
        "created_at": None,
        "updated_at": None,
        "provider": PROVIDER,
        "remote_id": None,
    }
    if include_remote_data:
        record["remote_data"] = {"rows": [_row_head(row) for row in line.rows], "charges": list(line.raw_charges)}
    return record


def _row_head(row: Mapping[str, Any]) -> dict[str, Any]:
    """A cost row without its (other products') charges."""
    attributes = {k: v for k, v in (row.get("attributes") or {}).items() if k != "charges"}
    return {"id": row.get("id"), "type": row.get("type"), "attributes": attributes}
