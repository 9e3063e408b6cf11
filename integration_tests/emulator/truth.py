"""Ground truth: what a correct sync must report, computed with `Decimal` from the same generators."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .confluent_data import ConfluentTenant
from .datadog_data import DatadogAccount
from .scenario import add_months, month_is_final

DateLike = str | date
NO_PRODUCT = "(none)"


def to_date(value: DateLike) -> date:
    """Accept `YYYY-MM-DD` (or longer ISO strings) or a date."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def to_hour(value: DateLike) -> datetime:
    """Accept `YYYY-MM-DD`, `YYYY-MM-DDThh[...]` or a date; return an aware UTC hour."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    hour = int(text[11:13]) if len(text) >= 13 else 0
    return datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), hour, tzinfo=timezone.utc)


def summarize(lines: list[dict[str, Any]], amounts: Iterable[Decimal], months: list[str], products: list[str]) -> dict:
    """Return `{"lines", "total", "by_month", "by_product", "count"}` with exact (Decimal) sums."""
    total = Decimal(0)
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    by_product: dict[str, Decimal] = defaultdict(Decimal)
    for amount, month, product in zip(amounts, months, products, strict=True):
        total += amount
        by_month[month] += amount
        by_product[product] += amount
    return {
        "lines": lines,
        "total": float(total),
        "by_month": {key: float(value) for key, value in sorted(by_month.items())},
        "by_product": {key: float(value) for key, value in sorted(by_product.items())},
        "count": len(lines),
    }


def confluent_truth(tenant: ConfluentTenant, start: DateLike, end: DateLike) -> dict[str, Any]:
    """Every raw cost row whose day is in [start, end); each tier row is its own line.

    Lines: `day`, `product` (None for some promo credits), `line_type`, `resource_id`, `environment_id`,
    `quantity`, `original_amount`, `amount`.
    """
    lines, amounts = [], []
    for row in tenant.iter_rows(to_date(start), to_date(end)):
        resource = row.get("resource") or {}
        lines.append(
            {
                "day": row["start_date"][:10],
                "product": row["product"],
                "line_type": row["line_type"],
                "resource_id": resource.get("id"),
                "environment_id": (resource.get("environment") or {}).get("id"),
                "quantity": row["quantity"],
                "original_amount": row["original_amount"],
                "amount": row["amount"],
            }
        )
        amounts.append(Decimal(str(row["amount"])))
    months = [line["day"][:7] for line in lines]
    products = [line["product"] or NO_PRODUCT for line in lines]
    return summarize(lines, amounts, months, products)


def datadog_truth(account: DatadogAccount, org_ids: list[int], start: DateLike, end: DateLike) -> dict[str, Any]:
    """Monthly cost per (org, month, product) for each month overlapping [start, end).

    The amount is committed + on_demand (never the `total` line), as visible today: the historical (final)
    figure once the month is final, else the estimate. Lines: `org_public_id`, `org_name`, `month`,
    `product_name`, `committed`, `on_demand`, `amount`, `cost_status` (`final` | `estimated`).
    """
    first, last = to_date(start), to_date(end)
    lines, amounts = [], []
    for month in account.cost_months():
        if not (month < last and add_months(month, 1) > first):
            continue
        status = "final" if month_is_final(month, account.today) else "estimated"
        for org_index in org_ids:
            org = account.orgs[org_index]
            for product, (committed, on_demand) in account.month_charges(org_index, month).items():
                amount = sum(committed, Decimal(0)) + on_demand
                lines.append(
                    {
                        "org_public_id": org["public_id"],
                        "org_name": org["name"],
                        "month": month.strftime("%Y-%m"),
                        "product_name": product,
                        "committed": float(sum(committed, Decimal(0))),
                        "on_demand": float(on_demand),
                        "amount": float(amount),
                        "cost_status": status,
                    }
                )
                amounts.append(amount)
    return summarize(lines, amounts, [line["month"] for line in lines], [line["product_name"] for line in lines])


def datadog_hourly_truth(
    account: DatadogAccount, org_ids: list[int], start: DateLike, end: DateLike, families: list[str]
) -> dict[str, Any]:
    """Count hourly usage in [start, end): `records`, non-null measurement `count`, their `total`, `zeros`."""
    first, last = to_hour(start), to_hour(end)
    records = count = zeros = total = 0
    hour = max(first, account.first_hour)
    while hour < min(last, account.end_hour):
        for record in account.hourly_page(org_ids, families, hour, 0, len(org_ids) * len(families)):
            records += 1
            for measurement in record["attributes"]["measurements"]:
                if measurement["value"] is not None:
                    count += 1
                    total += measurement["value"]
                    zeros += measurement["value"] == 0
        hour += timedelta(hours=1)
    return {"records": records, "count": count, "total": total, "zeros": zeros}
