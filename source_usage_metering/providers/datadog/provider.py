"""`DatadogProvider`: one Datadog organization (and its child orgs) read with an API and an application key.

API references: https://docs.datadoghq.com/api/latest/usage-metering/ (usage delayed up to 72 hours, retained
15 months; 24 hours per request with child orgs, two months for one org; cost final by the 16th of the next
month). Datadog has no workspace entity: the provider emits no workspaces.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.request_window_split_exception import RequestWindowSplitRequiredException

from source_usage_metering.errors import PermissionDenied, Refusal, RefusalReason
from source_usage_metering.http.auth import HeaderAuth
from source_usage_metering.http.endpoint import ProviderEndpoint
from source_usage_metering.providers.base import CursorLookup, Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.providers.datadog import planning, transform
from source_usage_metering.providers.datadog.account import DatadogAccount
from source_usage_metering.providers.datadog.endpoints import (
    BillingDimensionMappingEndpoint,
    EstimatedCostEndpoint,
    HistoricalCostEndpoint,
    HourlyUsageEndpoint,
    OrgEndpoint,
    ValidateEndpoint,
)
from source_usage_metering.providers.datadog.known_products import BILLING_DIMENSIONS, PRODUCT_FAMILIES
from source_usage_metering.records import Organization, Product, UsageRecord, Workspace
from source_usage_metering.windows import Window, add_months, month_start

logger = logging.getLogger("airbyte")

PROBE_AGE = timedelta(days=4)  # usage is complete after 72 hours
COST_ENDPOINTS = {"historical": HistoricalCostEndpoint, "estimated": EstimatedCostEndpoint}
WHY_SKIPPED = {
    "cost": "cost needs the billing_read permission (with usage_read) and parent-org keys",
    "mapping": "billing dimension labels need usage_read and parent-org keys; using the built-in labels",
    "org": "organization details need the org_management permission",
}


class DatadogProvider(UsageProvider[DatadogAccount]):
    """One Datadog organization (normally a parent org, with its child orgs), reached with an API + app key."""

    name = "datadog"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hour_stamps: dict[str, tuple[str, str, str] | None] = {}
        self._row_heads: transform.RowHeads = {}
        self._cost_rows: dict[tuple[str, datetime, datetime], list[Mapping[str, Any]]] = {}
        self._cost_refused: dict[tuple[str, datetime, datetime], bool] = {}
        self.plan = planning.Planner(self.account, self.config, self.now)

    def authenticator(self) -> requests.auth.AuthBase:
        """The `DD-API-KEY` and `DD-APPLICATION-KEY` headers."""
        return HeaderAuth({"DD-API-KEY": self.account.api_key, "DD-APPLICATION-KEY": self.account.application_key})

    @cached_property
    def _orgs_raw(self) -> list[Mapping[str, Any]]:
        endpoint = self.endpoint(OrgEndpoint)
        rows = list(endpoint.read_slice({}))
        self._warn_refused(endpoint, "org")
        return rows

    @cached_property
    def tenant(self) -> transform.Tenant:
        """The keys' org: `/api/v1/org`, else the org of the keys' own hourly usage rows."""
        site = self.account.site
        if self._orgs_raw:
            return transform.Tenant(site, self._orgs_raw[0]["public_id"], self._orgs_raw[0].get("name"))
        probe = self.plan.probe_window(PROBE_AGE, hours=24)
        for row in self.endpoint(HourlyUsageEndpoint).read_slice(self.plan.hourly_params(probe, False, limit=1)):
            attributes = row.get("attributes") or {}
            if attributes.get("public_id"):
                return transform.Tenant(site, attributes["public_id"], attributes.get("org_name"))
        raise PermissionDenied(
            self.label,
            "GET /api/v1/org and GET /api/v2/usage/hourly_usage",
            "cannot tell which organization the keys belong to: /api/v1/org needs the org_management permission "
            "and the keys' org reported no hourly usage 4 to 5 days ago. Grant org_management to the application key.",
        )

    @cached_property
    def _mapping(self) -> tuple[list[Mapping[str, Any]], list[Refusal]]:
        """`billing_dimension_mapping` rows (read once per sync) and what was refused reading them."""
        endpoint = self.endpoint(BillingDimensionMappingEndpoint)
        rows = list(endpoint.read_slice({"filter[view]": "all"}))
        self._warn_refused(endpoint, "mapping")
        return rows, endpoint.refusals

    @property
    def _mapping_rows(self) -> list[Mapping[str, Any]]:
        return self._mapping[0]

    @cached_property
    def is_parent(self) -> bool:
        """Whether the keys belong to a parent-level org: parent-only endpoints answer them."""
        return not any(refusal.reason is RefusalReason.NOT_PARENT_ORG for refusal in self._mapping[1])

    @cached_property
    def include_child_orgs(self) -> bool:
        """The account's setting, else yes for parent-org keys."""
        if self.account.include_child_orgs is not None:
            return self.account.include_child_orgs
        return self.is_parent

    @cached_property
    def _labels(self) -> dict[str, str]:
        return transform.mapping_labels(self._mapping_rows)

    def partition(self) -> Partition:
        """`{"provider": "datadog", "host": ..., "tenant": "<site>|<org public id>"}`."""
        return {"provider": self.name, "host": self.account.host, "tenant": self.tenant.key}

    def check(self) -> None:
        """The API key (`/api/v1/validate`), the application key and `usage_read` (one tiny hourly usage call)."""
        for _ in self.endpoint(ValidateEndpoint).read_slice({}):
            break
        self.partition()
        params = self.plan.hourly_params(self.plan.probe_window(PROBE_AGE, hours=1), False, limit=1)
        for _ in self.endpoint(HourlyUsageEndpoint).read_slice(params):
            break

    def iter_organizations(self) -> Iterable[Organization]:
        """The keys' org, plus child orgs seen in recent hourly usage and in cost rows."""
        include, site = self.config.include_remote_data, self.account.site
        seen = set()
        for raw in self._orgs_raw:
            seen.add(raw["public_id"])
            yield transform.to_organization(raw, site, include_remote_data=include)
        if self.tenant.public_id not in seen:
            seen.add(self.tenant.public_id)
            attributes = {"public_id": self.tenant.public_id, "org_name": self.tenant.name}
            yield transform.to_seen_organization(attributes, site, include_remote_data=include)
        if not self.include_child_orgs:
            return
        for attributes in self._seen_attributes():
            if attributes["public_id"] not in seen:
                seen.add(attributes["public_id"])
                yield transform.to_seen_organization(attributes, site, include_remote_data=include)

    def iter_products(self) -> Iterable[Product]:
        """Product families (catalogue, requested, seen) and billing dimensions (catalogue, mapping, seen)."""
        requested = self.account.product_families
        families = [*(PRODUCT_FAMILIES if "all" in requested else ()), *(f for f in requested if f != "all")]
        dimensions = dict.fromkeys(BILLING_DIMENSIONS)
        for row in self._mapping_rows:
            if isinstance(row.get("id"), str):
                dimensions[row["id"]] = row if self.config.include_remote_data else None
        for attributes in self._seen_attributes():
            families.append(attributes.get("product_family"))
            for charge in attributes.get("charges") or ():
                dimensions.setdefault(charge.get("product_name"), None)
        for family in dict.fromkeys(families):
            if isinstance(family, str) and family:
                yield transform.to_family_product(family)
        for name, row in dimensions.items():
            if isinstance(name, str) and name:
                yield transform.to_dimension_product(name, self._labels, row)

    def iter_workspaces(self) -> Iterable[Workspace]:
        """Datadog has no workspace entity."""
        return iter(())

    def plan_usage(self, cursor_of: CursorLookup) -> Iterable[UsageSlice]:
        """Hourly usage windows from the hourly cursor, then cost months from the cost cursor."""
        partition = self.partition()
        hourly = {**partition, "kind": "hourly"}
        yield from self.plan.hourly_slices(hourly, cursor_of(hourly), self.include_child_orgs)
        cost = {**partition, "kind": "cost"}
        yield from self.plan.cost_slices(cost, cursor_of(cost))

    def iter_usage(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterator[UsageRecord]:
        """Hourly measurements or monthly cost records of one slice."""
        if usage_slice.params.get("kind") == "hourly":  # both are lazy generators: nothing is read before iteration
            return self._hourly_records(Window(usage_slice.start, usage_slice.end))
        return self._cost_records(usage_slice, progress)

    def _hourly_records(self, window: Window) -> Iterator[UsageRecord]:
        rows = self._read_hourly(window)
        include, site = self.config.include_remote_data, self.account.site
        return transform.rows_hourly_records(
            rows, site, self._row_stamps, include_remote_data=include, heads=self._row_heads
        )

    def _row_stamps(self, row: Mapping[str, Any]) -> tuple[str, str, str] | None:
        """The hour strings of an hourly row; None (with a warning) for a row without an org or a timestamp."""
        attributes = row.get("attributes")
        if not isinstance(attributes, dict) or not attributes.get("public_id"):
            logger.warning("%s: GET /api/v2/usage/hourly_usage: skipped a row without an org", self.label)
            return None
        stamps = transform.hour_stamps(attributes.get("timestamp"), self._hour_stamps)
        if stamps is None:
            logger.warning("%s: GET /api/v2/usage/hourly_usage: skipped a row without a timestamp", self.label)
        return stamps

    def _read_hourly(self, window: Window) -> Iterator[Mapping[str, Any]]:
        params = self.plan.hourly_params(window, self.include_child_orgs)
        try:
            yield from self.endpoint(HourlyUsageEndpoint).read_slice(params)
        except RequestWindowSplitRequiredException:
            if window.end - window.start <= timedelta(hours=1):
                raise
            middle = window.start + timedelta(hours=int((window.end - window.start) / timedelta(hours=2)))
            yield from self._read_hourly(Window(window.start, middle))
            yield from self._read_hourly(Window(middle, window.end))

    def _cost_records(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterator[UsageRecord]:
        """Cost records of a slice's months; refused or not-yet-published months hold the cursor back."""
        kind = usage_slice.params["kind"]
        rows = self._read_costs(kind, usage_slice.start, usage_slice.end)
        if self._cost_refused.get((kind, usage_slice.start, usage_slice.end)):
            progress.hold_at(usage_slice.start)
        months = set(planning.month_keys(usage_slice.start, usage_slice.end))
        yield from self._cost_lines(rows, months, "final" if kind == "historical" else "estimated")
        if kind == "historical":
            yield from self._estimate_unpublished_month(rows, usage_slice, progress)

    def _estimate_unpublished_month(self, rows: list, usage_slice: UsageSlice, progress: SliceProgress) -> Iterator:
        """The month that just became final by the calendar, when historical cost does not have it yet.

        Datadog publishes a month's final cost "no later than the 16th": until it appears, the month is read from
        estimated cost (same ids) and the cursor stays on it, so the final figure replaces the estimate later.
        """
        last_month = add_months(planning.first_open_month(self.now), -1)
        key = last_month.strftime("%Y-%m")
        if not usage_slice.start <= last_month < usage_slice.end or any(
            transform.cost_month(row.get("attributes") or {}) == key for row in rows if isinstance(row, Mapping)
        ):
            return
        progress.hold_at(last_month)
        if last_month < add_months(month_start(self.now), -1):
            return  # closed before last month: Datadog serves estimates of this and the previous month only
        estimate = self._read_costs("estimated", last_month, add_months(last_month, 1))
        yield from self._cost_lines(estimate, {key}, "estimated")

    def _cost_lines(self, rows: list, months: set[str], status: str) -> Iterator[UsageRecord]:
        odd: list[str] = []
        account, include = self.account, self.config.include_remote_data
        for line in transform.fold_cost_rows(rows, months, odd).values():
            yield transform.to_cost_record(
                line, account.site, status, account.currency, self._labels, include_remote_data=include
            )
        for reason in odd:
            logger.warning("%s: cost: skipped %s", self.label, reason)

    def _read_costs(self, kind: str, start: datetime, end: datetime) -> list[Mapping[str, Any]]:
        """Cost rows (one per org and month) of the months in [start, end); only the keys' org without children.

        Cached for the sync: the catalogue streams and the usage stream ask for the same months.
        """
        key = (kind, start, end)
        if key not in self._cost_rows:
            self._cost_rows[key], self._cost_refused[key] = self._fetch_costs(kind, start, end)
        return self._cost_rows[key]

    def _fetch_costs(self, kind: str, start: datetime, end: datetime) -> tuple[list[Mapping[str, Any]], bool]:
        endpoint = self.endpoint(COST_ENDPOINTS[kind])
        last = add_months(end, -1) if end == month_start(end) else month_start(end)
        params = {"view": "sub-org", "start_month": start.strftime("%Y-%m"), "end_month": last.strftime("%Y-%m")}
        try:
            rows = list(endpoint.read_slice(params))
        except RequestWindowSplitRequiredException:
            months = list(planning.month_keys(start, end))
            if len(months) <= 1:
                raise
            middle = add_months(start, len(months) // 2)
            first, first_refused = self._fetch_costs(kind, start, middle)
            second, second_refused = self._fetch_costs(kind, middle, end)
            return first + second, first_refused or second_refused
        self._warn_refused(endpoint, "cost")
        if not self.include_child_orgs:
            rows = [row for row in rows if (row.get("attributes") or {}).get("public_id") == self.tenant.public_id]
        return rows, bool(endpoint.refusals)

    def _seen_attributes(self) -> list[Mapping[str, Any]]:
        """Attributes of recent hourly rows and of the cost rows (orgs and products the usage stream may name)."""
        return self._probe_attributes + self._cost_attributes

    @cached_property
    def _probe_attributes(self) -> list[Mapping[str, Any]]:
        params = self.plan.hourly_params(self.plan.probe_window(PROBE_AGE, hours=1), self.include_child_orgs)
        rows = self.endpoint(HourlyUsageEndpoint).read_slice(params)
        return [row["attributes"] for row in rows if isinstance(row.get("attributes"), dict)]

    @cached_property
    def _cost_attributes(self) -> list[Mapping[str, Any]]:
        if not self.is_parent:
            return []
        rows = []
        for slice_ in self.plan.cost_slices({}, None):
            rows += self._read_costs(slice_.params["kind"], slice_.start, slice_.end)
        attributes = [row.get("attributes") for row in rows]
        return [a for a in attributes if isinstance(a, dict) and a.get("public_id")]

    def _warn_refused(self, endpoint: ProviderEndpoint, what: str) -> None:
        for refusal in endpoint.refusals:
            logger.warning("%s: %s: skipped (%s): %s", self.label, endpoint.endpoint, refusal, WHY_SKIPPED[what])
