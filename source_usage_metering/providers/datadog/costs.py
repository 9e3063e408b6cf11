"""Datadog's monthly cost reads: asked so that either reading of `end_month` is right, narrowed on refusal, cached.

API reference: https://docs.datadoghq.com/api/latest/usage-metering/ (historical_cost, estimated_cost). Observed by
a production client: the cost endpoints return months up to but **not including** `end_month` (and nothing when
`start_month` equals it), while the documentation reads it as inclusive. Every request here asks `end_month` = the
month after the last one wanted: the exclusive reading answers exactly the wanted months, the inclusive one adds
that next month, which is discarded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from source_usage_metering.errors import Refusal, RefusalReason
from source_usage_metering.http.endpoint import ProviderEndpoint
from source_usage_metering.narrowing import Narrowed, narrow
from source_usage_metering.providers.datadog import transform
from source_usage_metering.providers.datadog.endpoints import EstimatedCostEndpoint, HistoricalCostEndpoint
from source_usage_metering.windows import Window, add_months, month_boundaries

COST_ENDPOINTS: dict[str, type[ProviderEndpoint]] = {
    "historical": HistoricalCostEndpoint,
    "estimated": EstimatedCostEndpoint,
}
UNAVAILABLE_TO_THESE_KEYS = (RefusalReason.NOT_PARENT_ORG, RefusalReason.PERMISSION)
Row = Mapping[str, Any]


class _CostUnavailable(Exception):
    """These keys cannot read cost at all (child-org keys, no billing_read): narrowing would not help."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


@dataclass
class CostRead:
    """One cost endpoint's answer for the months [start, end).

    Attributes:
        narrowed: the served and refused months (None when the keys cannot read cost).
        unavailable: why the keys cannot read cost (child-org keys, no billing_read), else None.
    """

    start: datetime
    end: datetime
    narrowed: Narrowed[list[Row]] | None = None
    unavailable: Refusal | None = None
    rows: list[Row] = field(default_factory=list)
    served_months: set[str] = field(default_factory=set)
    padding_months: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, start: datetime, end: datetime, narrowed: Narrowed[list[Row]]) -> CostRead:
        """The rows of the served months, and which months each request added to cover either `end_month` reading."""
        read = cls(start, end, narrowed)
        for part in narrowed.served:
            read.rows.extend(part.rows)
            read.served_months.update(_month_keys(part.window))
            read.padding_months.add(f"{part.window.end:%Y-%m}")
        read.padding_months -= read.served_months
        return read


class CostReader:
    """Reads and caches one account's cost months for a sync (the entity streams and usage ask for the same ones).

    Args:
        open_endpoint: builds an endpoint of the account (its credentials, budget and clock observer).
    """

    def __init__(self, open_endpoint: Callable[[type[ProviderEndpoint]], ProviderEndpoint]) -> None:
        self._open_endpoint = open_endpoint
        self._reads: dict[tuple[str, datetime, datetime], CostRead] = {}

    def read(self, kind: str, start: datetime, end: datetime) -> CostRead:
        """The `historical` or `estimated` cost of the months in [start, end), narrowed where refused."""
        key = (kind, start, end)
        if key not in self._reads:
            try:
                narrowed = narrow(month_boundaries(Window(start, end)), lambda window: self._ask(kind, window))
            except _CostUnavailable as unavailable:
                self._reads[key] = CostRead(start, end, unavailable=unavailable.refusal)
            else:
                self._reads[key] = CostRead.of(start, end, narrowed)
        return self._reads[key]

    def _ask(self, kind: str, window: Window) -> list[Row] | Refusal:
        endpoint = self._open_endpoint(COST_ENDPOINTS[kind])
        params = {"view": "sub-org", "start_month": f"{window.start:%Y-%m}", "end_month": f"{window.end:%Y-%m}"}
        rows = list(endpoint.read_slice(params))
        if not endpoint.refusals:
            return rows
        refusal = endpoint.refusals[-1]
        if refusal.reason in UNAVAILABLE_TO_THESE_KEYS:
            raise _CostUnavailable(refusal)
        return refusal


def own_org_months(rows: list[Row], public_id: str) -> set[str]:
    """The months in which the keys' own org has a cost row."""
    return {month for org, month in org_months(rows) if org == public_id}


def orgs_of_month(rows: list[Row], month: str) -> set[str]:
    """The orgs (public ids) with a cost row in `month` ("YYYY-MM")."""
    return {org for org, row_month in org_months(rows) if row_month == month}


def org_months(rows: list[Row]) -> set[tuple[str, str]]:
    """(public id, "YYYY-MM") of every cost row naming both."""
    pairs = set()
    for row in rows:
        org = org_of(row)
        month = transform.cost_month(row["attributes"]) if org is not None else None
        if org is not None and month:
            pairs.add((org, month))
    return pairs


def org_of(row: Row) -> str | None:
    """A cost row's org (public id), None when it has none."""
    attributes = row.get("attributes") if isinstance(row, Mapping) else None
    org = attributes.get("public_id") if isinstance(attributes, Mapping) else None
    return org if isinstance(org, str) else None


def _month_keys(window: Window) -> list[str]:
    months, month = [], window.start
    while month < window.end:
        months.append(f"{month:%Y-%m}")
        month = add_months(month, 1)
    return months
