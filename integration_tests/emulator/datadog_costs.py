"""Datadog cost paths: `estimated_cost`, `historical_cost` and `billing_dimension_mapping`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .datadog_data import COST_PRODUCTS, DatadogAccount
from .messages import ApiResponse, json_response
from .scenario import add_months, iter_days, month_is_final, stable_hex

Charges = dict[str, tuple[list[Decimal], Decimal]]
AGGREGATION_FUNCTIONS = {"logs_indexed_15day": "sum", "logs_ingested": "sum", "timeseries": "average"}
EXTRA_DIMENSIONS = (("fargate_tasks", "Fargate Tasks"), ("serverless_apps", "Serverless Apps"))


def errors(messages: list[str], status: int = 400) -> ApiResponse:
    """Build a Datadog `APIErrorResponse`."""
    return json_response({"errors": messages}, status=status)


def parse_month(value: str | None) -> date | None:
    """Parse `YYYY-MM` (longer ISO strings are truncated); None when invalid."""
    try:
        return date(int(value[:4]), int(value[5:7]), 1) if value and value[4:5] == "-" else None
    except ValueError:
        return None


def parse_day(value: str | None) -> date | None:
    """Parse `YYYY-MM-DD` (longer ISO strings are truncated); None when invalid."""
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def charge_lines(product: str, committed: list[Decimal], on_demand: Decimal) -> list[dict[str, Any]]:
    """Return a product's charges: committed line(s), on_demand, then total (= committed + on_demand)."""
    lines = [{"product_name": product, "charge_type": "committed", "cost": float(cost)} for cost in committed]
    lines.append({"product_name": product, "charge_type": "on_demand", "cost": float(on_demand)})
    lines.append({"product_name": product, "charge_type": "total", "cost": float(sum(committed) + on_demand)})
    if product in AGGREGATION_FUNCTIONS:
        for line in lines:
            line["last_aggregation_function"] = AGGREGATION_FUNCTIONS[product]
    return lines


def merge_charges(parts: list[Charges]) -> Charges:
    """Sum several orgs' charges product by product (the k-th committed lines add up)."""
    merged: Charges = {}
    for charges in parts:
        for product, (committed, on_demand) in charges.items():
            old_committed, old_on_demand = merged.get(product, ([], Decimal(0)))
            width = max(len(old_committed), len(committed))
            padded = [
                (old_committed[i] if i < len(old_committed) else 0) + (committed[i] if i < len(committed) else 0)
                for i in range(width)
            ]
            merged[product] = ([Decimal(value) for value in padded], old_on_demand + on_demand)
    return {name.name: merged[name.name] for name in COST_PRODUCTS if name.name in merged}


class DatadogCosts:
    """Builds `cost_by_org` rows; estimated and historical read the same numbers, so closed months agree."""

    def __init__(self, account: DatadogAccount, today: date) -> None:
        self.account = account
        self.today = today
        self.current_month = today.replace(day=1)
        self.variances = account.variances

    def row(self, org_index: int, stamp: date, charges: Charges, view: str) -> dict[str, Any]:
        """Return one `cost_by_org` item for an org (or the whole account when `view` is summary)."""
        attributes: dict[str, Any] = self.account.org_attributes(org_index)
        lines = [line for product, parts in charges.items() for line in charge_lines(product, *parts)]
        total = sum((sum(committed) + on_demand for committed, on_demand in charges.values()), Decimal(0))
        when = f"{stamp.isoformat()}T00:00:00+00:00"
        if self.variances.datadog_cost_dates_with_offset:  # the same instant, written at -05:00
            when = f"{(stamp - timedelta(days=1)).isoformat()}T19:00:00-05:00"
        attributes.update(date=when, total_cost=float(total), charges=lines)
        record_id = stable_hex("cost", view, attributes["public_id"], stamp.isoformat(), float(total))
        return {"id": record_id, "type": "cost_by_org", "attributes": attributes}

    def month_rows(self, months: list[date], view: str) -> list[dict[str, Any]]:
        """Return monthly rows: one per org (sub-org) or one per month (summary)."""
        rows = []
        org_ids = self.account.cost_org_ids()
        for month in months:
            per_org = [self.account.month_charges(index, month) for index in org_ids]
            if view == "summary":
                rows.append(self.row(0, month, merge_charges(per_org), view))
            else:
                rows.extend(self.row(index, month, per_org[index], view) for index in org_ids)
        return rows

    def estimated_cost(self, query: dict[str, str]) -> ApiResponse:
        """`GET /api/v2/usage/estimated_cost`: current and previous month only, monthly or daily."""
        view = query.get("view", "summary")
        if view not in ("summary", "sub-org"):
            return errors([f"Invalid view: {view}. Allowed values are summary, sub-org"])
        if query.get("start_month") and query.get("start_date"):
            return errors(["Either start_month or start_date should be specified, but not both"])
        if query.get("start_date"):
            return self._estimated_daily(query, view)
        start = parse_month(query.get("start_month"))
        end = parse_month(query["end_month"]) if query.get("end_month") else self.current_month
        if start is None or end is None:
            return errors(["Either start_month or start_date should be specified, in the format YYYY-MM"])
        refused = self._refused_start(start)
        if refused is not None:
            return refused
        if start < add_months(self.current_month, -1):
            return errors(["Estimated cost is only available for the current and previous month"])
        if start > end:
            return errors(["start_month must be before end_month"])
        months = [
            month
            for month in self.account.cost_months()
            if self._in_range(month, start, end) and month <= self.current_month
        ]
        rows = self.month_rows(months, view)
        return json_response({"data": rows}, records=len(rows))

    def _estimated_daily(self, query: dict[str, str], view: str) -> ApiResponse:
        start = parse_day(query.get("start_date"))
        end = parse_day(query["end_date"]) if query.get("end_date") else self.today - timedelta(days=1)
        if start is None or end is None:
            return errors(["start_date and end_date must be in the format YYYY-MM-DD"])
        if start.replace(day=1) < add_months(self.current_month, -1):
            return errors(["Estimated cost is only available for the current and previous month"])
        if start > end:
            return errors(["start_date must be before end_date"])
        cumulative = query.get("cost_aggregation") == "cumulative"
        rows = []
        days = [
            day for day in iter_days(start, min(end + timedelta(days=1), self.today)) if day >= self.account.first_day
        ]
        for day in days:
            span = list(iter_days(day.replace(day=1), day + timedelta(days=1))) if cumulative else [day]
            per_org = [self.account.sum_days(index, span) for index in self.account.cost_org_ids()]
            if view == "summary":
                rows.append(self.row(0, day, merge_charges(per_org), view))
            else:
                rows.extend(self.row(index, day, charges, view) for index, charges in enumerate(per_org))
        return json_response({"data": rows}, records=len(rows))

    def historical_cost(self, query: dict[str, str]) -> ApiResponse:
        """`GET /api/v2/usage/historical_cost`: final months only (final by the 16th of the next month)."""
        view = query.get("view", "summary")
        if view not in ("summary", "sub-org"):
            return errors([f"Invalid view: {view}. Allowed values are summary, sub-org"])
        if not query.get("start_month"):
            return errors(["start_month is required"])
        start = parse_month(query["start_month"])
        end = parse_month(query["end_month"]) if query.get("end_month") else self.current_month
        if start is None or end is None:
            return errors(["start_month and end_month must be in the format YYYY-MM"])
        refused = self._refused_start(start)
        if refused is not None:
            return refused
        if start > end:
            return errors(["start_month must be before end_month"])
        months = [
            month
            for month in self.account.cost_months()
            if self._in_range(month, start, end) and month_is_final(month, self.today)
        ]
        rows = self.month_rows(months, view)
        if self.variances.datadog_repeat_cost_row and view == "sub-org":
            rows += [row for row in rows if row["attributes"]["public_id"] == self.account.orgs[0]["public_id"]]
        return json_response({"data": rows}, records=len(rows))

    def _in_range(self, month: date, start: date, end: date) -> bool:
        """Whether a month is answered for [start_month, end_month] (or [start, end) with the exclusive variance)."""
        if self.variances.datadog_end_month_exclusive:
            return start <= month < end
        return start <= month <= end

    def _refused_start(self, start: date) -> ApiResponse | None:
        """The 400 for a start month older than the cost history variance allows."""
        months = self.variances.datadog_cost_history_months
        if months is not None and start < add_months(self.current_month, -(months - 1)):
            return errors([f"start_month must be within the last {months} months"])
        return None

    def billing_dimension_mapping(self, query: dict[str, str]) -> ApiResponse:
        """`GET /api/v2/usage/billing_dimension_mapping`: labels for most (not all) cost product names."""
        view = query.get("filter[view]", "active")
        if view not in ("active", "all"):
            return errors([f"Invalid filter[view]: {view}. Allowed values are active, all"])
        month = parse_month(query.get("filter[month]")) or self.current_month
        dimensions = [(product.name, product.label) for product in COST_PRODUCTS if product.mapped]
        if view == "all":
            dimensions += list(EXTRA_DIMENSIONS)
        data = [
            {
                "id": name,
                "type": "billing_dimensions",
                "attributes": {
                    "in_app_label": label,
                    "timestamp": f"{month.isoformat()}T00:00:00+00:00",
                    "endpoints": [
                        {"id": "api/v1/usage/billable-summary", "keys": [f"{name}_sum"], "status": "OK"},
                        {"id": "api/v2/usage/hourly_usage", "keys": [f"{name}_count"], "status": "OK"},
                    ],
                },
            }
            for name, label in dimensions
        ]
        return json_response({"data": data}, records=len(data))
