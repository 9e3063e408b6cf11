"""Pure mappings from Confluent Cloud payloads to unified records: no I/O, clock or logging."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from source_usage_metering.providers.confluent import ids
from source_usage_metering.providers.confluent.ids import PROVIDER
from source_usage_metering.providers.confluent.known_products import PRODUCTS, resource_type
from source_usage_metering.records import (
    Charge,
    Organization,
    Product,
    Ref,
    Resource,
    UsageRecord,
    Workspace,
    entity_fields,
)
from source_usage_metering.windows import iso_or_none

CURRENCY = "USD"  # Confluent documents every amount "in dollars"; the API has no currency field.
_CRN_ORG = re.compile(r"organization=([^/]+)")
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00(?:\.0+)?(?:Z|[+-]00:?00)?)?$")


@dataclass(frozen=True)
class Tenant:
    """The Confluent organization that owns the credentials."""

    org_id: str
    name: str | None

    @property
    def ref(self) -> Ref:
        """The organization as other records reference it."""
        return {"id": ids.organization_id(self.org_id), "name": self.name}


class OddRow(ValueError):
    """A cost row that cannot be mapped (no day); the caller skips it with a warning."""


def as_object(value: Any) -> Mapping[str, Any]:
    """A JSON object field, or an empty one when the provider sent null or another type."""
    return value if type(value) is dict or isinstance(value, Mapping) else {}


class TenantUnknown(ValueError):
    """The key's organization cannot be told from what the org API lists."""


def tenant_of(organizations: list[Mapping[str, Any]], environments: list[Mapping[str, Any]]) -> Tenant:
    """The organization the key's data belongs to.

    The environments' CRNs name it (`crn://confluent.cloud/organization=<uuid>/environment=...`), as Confluent's own
    Terraform provider reads it; the organizations list gives its name. Without environments, a list of exactly one
    organization names it. (Observed: `/org/v2/organizations` can list another organization first.)

    Raises:
        TenantUnknown: when the environments name several organizations, or none do and several are listed.
    """
    named = {org["id"]: org for org in organizations if org.get("id")}
    from_crns = list(
        dict.fromkeys(
            org_id
            for env in environments
            if (org_id := org_id_from_crn(as_object(env.get("metadata")).get("resource_name")))
        )
    )
    if len(from_crns) > 1:
        raise TenantUnknown(f"the environments belong to {len(from_crns)} organizations ({', '.join(from_crns)})")
    if from_crns:
        listed = named.get(from_crns[0])
        return Tenant(from_crns[0], listed.get("display_name") if listed else None)
    if len(named) == 1:
        org = next(iter(named.values()))
        return Tenant(org["id"], org.get("display_name"))
    if named:
        raise TenantUnknown(f"{len(named)} organizations are listed and no environment names one of them")
    raise TenantUnknown("neither organizations nor environments are readable")


def org_id_from_crn(resource_name: str | None) -> str | None:
    """The organization id in a CRN like `crn://confluent.cloud/organization=<uuid>/environment=env-1`."""
    match = _CRN_ORG.search(resource_name or "")
    return match.group(1) if match else None


def to_organization(raw: Mapping[str, Any], *, include_remote_data: bool) -> Organization:
    """An `/org/v2/organizations` item."""
    return {  # type: ignore[return-value]
        "id": ids.organization_id(raw["id"]),
        "name": raw.get("display_name"),
        **_entity_fields(raw, include_remote_data=include_remote_data),
    }


def to_bare_organization(tenant: Tenant) -> Organization:
    """The organization known only by its id (when `/org/v2/organizations` is not readable)."""
    return {"id": tenant.ref["id"], "name": tenant.name, **entity_fields(PROVIDER, tenant.org_id)}  # type: ignore[return-value]


def to_workspace(raw: Mapping[str, Any], tenant: Tenant, *, include_remote_data: bool) -> Workspace:
    """An `/org/v2/environments` item; workspaces are Confluent environments."""
    return {  # type: ignore[return-value]
        "id": ids.environment_id(tenant.org_id, raw["id"]),
        "name": raw.get("display_name"),
        "organization": tenant.ref,
        **_entity_fields(raw, include_remote_data=include_remote_data),
    }


def _entity_fields(raw: Mapping[str, Any], *, include_remote_data: bool) -> dict[str, Any]:
    """Times from an org/v2 object's `metadata`, its id and (optionally) the object itself."""
    metadata = as_object(raw.get("metadata"))
    return entity_fields(
        PROVIDER,
        raw["id"],
        created_at=iso_or_none(metadata.get("created_at")),
        updated_at=iso_or_none(metadata.get("updated_at")),
        remote_data=raw if include_remote_data else None,
    )


def to_product(product: str) -> Product:
    """A catalogue product, or a product value the catalogue does not know (named by its value)."""
    known = PRODUCTS.get(product)
    return {  # type: ignore[return-value]
        "id": ids.catalogue_product_id(product),
        "name": known.name if known else product,
        "description": known.description if known else None,
        **entity_fields(PROVIDER, product),
    }


def day_of(value: Any) -> str:
    """`YYYY-MM-DD` from `YYYY-MM-DD` or `YYYY-MM-DD 00:00:00` (both seen in real payloads)."""
    if isinstance(value, str):
        return _day_of_text(value)
    raise OddRow(f"unreadable date {str(value)[:30]!r}")


@lru_cache(maxsize=4096)  # every row of a day carries the same string; an OddRow is not cached
def _day_of_text(value: str) -> str:
    match = _DAY.match(value.strip())
    if not match:
        raise OddRow(f"unreadable date {value[:30]!r}")
    return match.group(1)


def cost_line_key(row: Mapping[str, Any]) -> tuple[str, str | None, str | None, str | None, str | None]:
    """Rows of one cost line share day, environment, resource, product and line type (tiers differ in price)."""
    resource = as_object(row.get("resource"))
    environment = as_object(resource.get("environment"))
    return (
        day_of(row.get("start_date")),
        environment.get("id"),
        resource.get("id"),
        row.get("product"),
        row.get("line_type"),
    )


@dataclass
class RowReport:
    """What `group_cost_rows` left out, for the provider to report (never dropped silently)."""

    repeated: int = 0  # rows seen again, identical (counted once)
    replaced_ids: list[str] = field(default_factory=list)  # ids seen again with other content (the later kept)
    outside: dict[str, int] = field(default_factory=dict)  # day -> rows of days outside the requested window

    def __bool__(self) -> bool:
        return bool(self.repeated or self.replaced_ids or self.outside)


def group_cost_rows(
    rows: Iterable[Mapping[str, Any]],
    on_odd: Callable[[OddRow], None] | None = None,
    *,
    days: tuple[str, str] | None = None,
    report: RowReport | None = None,
) -> dict[tuple, list[Mapping[str, Any]]]:
    """Fold the rows of one window read into cost lines, in first-seen order; every row counts once.

    A line's rows are its pricing tiers. A row seen again is not a tier: an identical row (pages that overlap) is
    counted once; a row whose `id` was seen with other content replaces it (the later page is the newer answer;
    no evidence has been found of tiers sharing an id). Rows of days outside `days` (`[first, end)`,
    `YYYY-MM-DD`) are left out. Everything left out is counted in `report`. A row without a readable day raises
    OddRow, or, given `on_odd`, is passed to it and left out.
    """
    report = report if report is not None else RowReport()
    lines: dict[tuple, list[Mapping[str, Any]]] = {}
    by_id: dict[Any, tuple[tuple, Mapping[str, Any]]] = {}
    for row in rows:
        try:
            key = cost_line_key(row)
        except OddRow as odd:
            if on_odd is None:
                raise
            on_odd(odd)
            continue
        if days is not None and not days[0] <= key[0] < days[1]:
            report.outside[key[0]] = report.outside.get(key[0], 0) + 1
            continue
        row_id = row.get("id")
        if row_id and _seen_before(row, row_id, by_id, lines, report):
            continue
        line = lines.get(key)
        if line is None:
            lines[key] = [row]
        elif not row_id and row in line:
            report.repeated += 1
        else:
            line.append(row)
        if row_id:
            by_id[row_id] = (key, row)
    return lines


def _seen_before(row: Mapping[str, Any], row_id: Any, by_id: dict, lines: dict, report: RowReport) -> bool:
    """True for a repeat of a row with this id; a changed row's earlier version is taken out of its line."""
    earlier = by_id.get(row_id)
    if earlier is None:
        return False
    key, earlier_row = earlier
    if earlier_row == row:
        report.repeated += 1
        return True
    report.replaced_ids.append(str(row_id))
    kept = [tier for tier in lines[key] if tier is not earlier_row]
    if kept:
        lines[key] = kept
    else:
        del lines[key]
    return False


@dataclass
class LineMemo:
    """What the cost lines of one organization share, built once per sync: id parts, refs and resource lists.

    Records hold the same ref dicts and lists: records are serialized, never mutated.
    """

    tenant: Tenant
    environment_names: Mapping[str, str]
    organization: Ref = field(init=False)
    id_prefix: str = field(init=False)
    id_heads: dict[Any, str] = field(default_factory=dict)  # day -> id up to the day
    id_tails: dict[tuple, str] = field(default_factory=dict)
    products: dict[Any, Ref | None] = field(default_factory=dict)
    resources: dict[tuple, list[Resource]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.organization = self.tenant.ref
        self.id_prefix = ids.cost_id_prefix(self.tenant.org_id)

    def line_id(self, key: tuple) -> str:
        """The id of the cost line of `key` (the same as `ids.cost_id`)."""
        day, environment_id, resource_id, product, line_type = key
        head = self.id_heads.get(day)
        if head is None:
            head = self.id_heads[day] = ids.cost_id_day(self.id_prefix, day)
        tail = self.id_tails.get(key[1:])
        if tail is None:
            tail = self.id_tails[key[1:]] = ids.cost_id_tail(environment_id, resource_id, product, line_type)
        return head + tail

    def product_ref(self, product: Any) -> Ref | None:
        """The product as usage records reference it (None without a product)."""
        if product not in self.products:
            self.products[product] = (
                {"id": ids.catalogue_product_id(product), "name": _product_name(product)} if product else None
            )
        return self.products[product]

    def resources_of(self, resource: Any) -> list[Resource]:
        """The resources list of a cost row's `resource`."""
        if not (type(resource) is dict or isinstance(resource, Mapping)) or not resource.get("id"):
            return []
        environment = resource.get("environment")
        environment_id = (
            environment.get("id") if type(environment) is dict or isinstance(environment, Mapping) else None
        )
        try:
            key = (resource["id"], resource.get("display_name"), environment_id)
            return self.resources[key]
        except KeyError:
            self.resources[key] = _resources(resource, self.tenant, self.environment_names)
            return self.resources[key]
        except TypeError:  # an unhashable display name (odd payload): no memo
            return _resources(resource, self.tenant, self.environment_names)


def to_usage_record(
    key: tuple,
    rows: list[Mapping[str, Any]],
    tenant: Tenant,
    environment_names: Mapping[str, str],
    *,
    include_remote_data: bool,
    memo: LineMemo | None = None,
) -> UsageRecord:
    """One cost line: its rows (one per pricing tier) become `total` charges, quantities add up.

    Pass one `memo` per sync (built from the same tenant and names) so lines share their refs and id parts.
    """
    memo = memo or LineMemo(tenant, environment_names)
    day, product, line_type = key[0], key[3], key[4]
    first = rows[0]
    end_day = day_of(first["end_date"]) if first.get("end_date") else None
    if len(rows) == 1:
        remote_id = first.get("id") or None
    else:
        ids_seen = [row["id"] for row in rows if row.get("id")]
        remote_id = ids_seen[0] if len(ids_seen) == 1 else None
    charges = [_charge(row) for row in rows]
    record: UsageRecord = {
        "id": memo.line_id(key),
        "product": memo.product_ref(product),
        "metric_name": line_type,
        "resources": memo.resources_of(first.get("resource")),
        "organization": memo.organization,
        "charges": charges,
        "usage": _usage(rows, charges),
        "start_date": f"{day}T00:00:00Z",
        "end_date": f"{end_day}T00:00:00Z" if end_day else None,
        "created_at": None,
        "updated_at": None,
        "provider": PROVIDER,
        "remote_id": remote_id,
    }
    if include_remote_data:
        record["remote_data"] = {"cost_rows": [dict(row) for row in rows]}
    return record


def _product_name(product: str) -> str:
    known = PRODUCTS.get(product)
    return known.name if known else product


def _resources(resource: Mapping[str, Any], tenant: Tenant, environment_names: Mapping[str, str]) -> list[Resource]:
    environment_id = as_object(resource.get("environment")).get("id")
    workspace: Ref | None = None
    if environment_id:
        workspace = {
            "id": ids.environment_id(tenant.org_id, environment_id),
            "name": environment_names.get(environment_id),
        }
    return [
        {
            "id": resource["id"],
            "name": resource.get("display_name"),
            "type": resource_type(resource["id"]),
            "workspace": workspace,
        }
    ]


def _charge(row: Mapping[str, Any]) -> Charge:
    charge: dict[str, Any] = {
        "amount": number(row.get("amount")),
        "currency": CURRENCY,
        "type": "total",
        "original_amount": number(row.get("original_amount")),
        "discount_amount": number(row.get("discount_amount")),
        "unit_price": number(row.get("price")),
        "quantity": number(row.get("quantity")),
        "unit": row.get("unit"),
    }
    if row.get("description"):
        charge["description"] = row["description"]
    if row.get("tier_dimensions"):
        charge["tier_dimensions"] = row["tier_dimensions"]
    return charge  # type: ignore[return-value]


def _usage(rows: list[Mapping[str, Any]], charges: list[Charge]) -> dict[str, Any]:
    first = rows[0]
    known = [charge["quantity"] for charge in charges if charge["quantity"] is not None]
    return {
        "quantity": _exact_sum(known),
        "unit": first.get("unit"),
        "granularity": first.get("granularity"),
        "network_access_type": first.get("network_access_type"),
        "line_type": first.get("line_type"),
        "tiers": len(rows),
    }


def _exact_sum(quantities: list[float | int]) -> float | None:
    """The exact (Decimal) sum of the quantities as a float; None when there are none."""
    if len(quantities) == 1 and type(quantities[0]) is float:
        # The Decimal sum of one finite float is the float itself, except that 0 + -0.0 is 0.0: so is this.
        return quantities[0] + 0.0
    return float(sum((Decimal(str(q)) for q in quantities), Decimal(0))) if quantities else None


def number(value: Any) -> float | int | None:
    """A JSON number as given; numeric strings are read; anything else is None (never invented)."""
    kind = type(value)
    if kind is float or kind is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        return float(parsed) if parsed.is_finite() else None
    return None
