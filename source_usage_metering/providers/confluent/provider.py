"""`ConfluentProvider`: one Confluent Cloud organization read with a Cloud API key.

API references: https://docs.confluent.io/cloud/current/billing/invoices-and-costs.html (costs: UTC days, end
exclusive, one month per request, about a year of history, up to 72 hours of delay) and
https://docs.confluent.io/cloud/current/api.html.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.request_window_split_exception import RequestWindowSplitRequiredException

from source_usage_metering.caching import cached_property
from source_usage_metering.errors import PermissionDenied, ProviderError, Refusal, RefusalReason
from source_usage_metering.focus.columns import FocusContext
from source_usage_metering.held_windows import WindowHold
from source_usage_metering.http.auth import basic_auth
from source_usage_metering.http.endpoint import ProviderEndpoint
from source_usage_metering.narrowing import Narrowed, narrow
from source_usage_metering.providers.base import CursorLookup, Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.providers.confluent import focus, planning, transform
from source_usage_metering.providers.confluent.account import ConfluentAccount
from source_usage_metering.providers.confluent.endpoints import (
    COSTS_PAGE_SIZE,
    CostsEndpoint,
    EnvironmentsEndpoint,
    OrganizationsEndpoint,
)
from source_usage_metering.providers.confluent.known_products import PRODUCTS
from source_usage_metering.records import Organization, Product, UsageRecord, Workspace
from source_usage_metering.windows import Window, at_midnight, covered, day_boundaries, describe

logger = logging.getLogger("airbyte")

COSTS = CostsEndpoint.endpoint
LARGE_WINDOW_ROWS = COSTS_PAGE_SIZE  # a window held past its first page waits for other large windows
ROLE_HINT = "Billing needs a Cloud API key with the OrganizationAdmin or BillingAdmin role (not a cluster key)."
Rows = list[Mapping[str, Any]]


class ConfluentProvider(UsageProvider[ConfluentAccount]):
    """One Confluent Cloud organization (one Cloud API key)."""

    name = "confluent"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen_products: dict[str, None] = {}  # product values of every cost row read in this sync
        self._served_cost_windows: list[Window] = []  # windows whose every row's product is in _seen_products

    def authenticator(self) -> requests.auth.AuthBase:
        """HTTP Basic with the Cloud API key and secret."""
        return basic_auth(self.account.api_key, self.account.api_secret)

    @cached_property
    def tenant(self) -> transform.Tenant:
        """The organization the key's data belongs to: named by the environments' CRNs, else the only one listed.

        Raises:
            PermissionDenied: when neither list is readable; ProviderError when the lists cannot tell.
        """
        organizations, environments = self._organizations_raw, self._environments_raw
        try:
            tenant = transform.tenant_of(organizations, environments)
        except transform.TenantUnknown as unknown:
            where = "GET /org/v2/organizations and GET /org/v2/environments"
            if organizations or environments:
                problem = f"cannot tell which organization the key belongs to: {unknown}"
                raise ProviderError(self.label, where, problem) from None
            raise PermissionDenied(
                self.label,
                where,
                "cannot tell which organization the key belongs to: neither organizations nor environments are "
                "readable. The key needs the OrganizationAdmin role (or BillingAdmin plus EnvironmentAdmin).",
            ) from None
        if organizations and organizations[0].get("id") != tenant.org_id:
            logger.warning(
                "%s: the key's data belongs to organization %s (its environments say so), not to %s listed first: "
                "0.1.0 filed this account's records and state under %s; clear that organization's data (see the "
                "CHANGELOG) and let this sync file it under %s",
                self.label,
                tenant.org_id,
                organizations[0].get("id"),
                organizations[0].get("id"),
                tenant.org_id,
            )
        return tenant

    @cached_property
    def _organizations_raw(self) -> Rows:
        return self._read_listing(OrganizationsEndpoint)

    @cached_property
    def _environments_raw(self) -> Rows:
        return self._read_listing(EnvironmentsEndpoint)

    def _read_listing(self, endpoint_type: type[ProviderEndpoint]) -> Rows:
        endpoint = self.endpoint(endpoint_type)
        rows = [row for row in endpoint.read_slice({}) if row.get("id")]
        for refusal in endpoint.refusals:
            logger.warning("%s: %s: %s; continuing without it", self.label, endpoint.endpoint, refusal)
        return rows

    @cached_property
    def _environment_names(self) -> dict[str, str]:
        return {row["id"]: row.get("display_name") for row in self._environments_raw}

    def partition(self) -> Partition:
        """`{"provider": "confluent", "host": ..., "tenant": <org id>}`."""
        return {"provider": self.name, "host": self.account.host, "tenant": self.tenant.org_id}

    def organizations_read(self) -> frozenset[str]:
        """The organization this account reads (its record id)."""
        return frozenset({self.tenant.ref["id"]})

    def check(self) -> None:
        """The key works (it names its organization) and can read billing (a one-day costs call)."""
        self.partition()
        answer = self._read_cost_window(planning.check_day(self.now))
        if isinstance(answer, Refusal) and answer.reason is RefusalReason.PERMISSION:
            raise PermissionDenied(self.label, COSTS, "the key cannot read billing (403). " + ROLE_HINT)
        if isinstance(answer, Refusal):
            raise ProviderError(self.label, COSTS, f"a recent day of costs was refused ({answer})")

    def iter_organizations(self) -> Iterable[Organization]:
        """The key's organization (only it: another organization the key may list holds none of its data)."""
        listed = [raw for raw in self._organizations_raw if raw["id"] == self.tenant.org_id]
        if listed:
            yield transform.to_organization(listed[0], include_remote_data=self.config.include_remote_data)
        else:
            yield transform.to_bare_organization(self.tenant)

    def iter_workspaces(self) -> Iterable[Workspace]:
        """Every listed environment of the organization; deleted ones are not listed (their lines keep their ids)."""
        for raw in self._environments_raw:
            yield transform.to_workspace(raw, self.tenant, include_remote_data=self.config.include_remote_data)

    def iter_products(self) -> Iterable[Product]:
        """The catalogue, the products of the most recent cost days and of every cost row read in this sync.

        The recent days are asked only when the usage read of this sync did not already serve them all.
        """
        seen = dict.fromkeys(PRODUCTS)
        recent = planning.recent_products_window(self.now)
        if not covered(recent, list(self._served_cost_windows)):
            for row in self._read_costs(recent):
                seen.setdefault(row.get("product"), None)
        seen.update(self._seen_products)
        for product in seen:
            if isinstance(product, str) and product:
                yield transform.to_product(product)

    def plan_usage(self, cursor_of: CursorLookup) -> Iterable[UsageSlice]:
        """Calendar-month windows (at most 31 days) from the cursor minus the lookback to today (exclusive)."""
        partition = self.partition()
        cursor = self.saved_cursor(cursor_of, partition, pull_back_to=at_midnight(self.now.date()))
        window = planning.cost_window(self.config, cursor, self.now)
        if window is None:
            return
        for piece in planning.cost_slices(window):
            yield UsageSlice(partition, piece.start, piece.end, piece.end)

    def iter_usage(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterator[UsageRecord]:
        """The cost lines of one window: its rows folded per line, tiers as charges, every row once."""
        window = Window(usage_slice.start, usage_slice.end)
        with WindowHold(LARGE_WINDOW_ROWS) as hold:  # a window beyond one page waits for other large ones
            yield from self._window_records(window, progress, hold)

    def _window_records(self, window: Window, progress: SliceProgress, hold: WindowHold) -> Iterator[UsageRecord]:
        narrowed = self._narrowed_costs(window, hold)
        progress.narrowed("cost", narrowed, COSTS)
        rows = [row for part in narrowed.served for row in part.rows]
        report = transform.RowReport()
        days = (window.start.date().isoformat(), window.end.date().isoformat())
        lines = transform.group_cost_rows(rows, on_odd=self._skip_odd_row, days=days, report=report)
        self._report_rows(window, report)
        include = self.config.include_remote_data
        tenant, names, memo = self.tenant, self._environment_names, self._line_memo
        for key, line_rows in lines.items():
            self._seen_products[key[3]] = None  # before its record: a failure later leaves no unresolvable product
            yield transform.to_usage_record(key, line_rows, tenant, names, include_remote_data=include, memo=memo)
        for row in rows:
            self._seen_products.setdefault(row.get("product"), None)
        self._served_cost_windows.extend(part.window for part in narrowed.served)
        self._hold_at_provider_day(progress)

    def focus_rows(self, record: UsageRecord) -> list[dict[str, Any]]:
        """FOCUS 1.2 rows of a cost line (`focus.to_focus_rows`): billed to the organization, in dollars."""
        return focus.to_focus_rows(record, self._focus_context)

    @cached_property
    def _focus_context(self) -> FocusContext:
        return focus.focus_context(self.tenant.org_id, self.tenant.name)

    def finish_usage(self, reader: str = "usage") -> None:
        """Fail the account when a refused window was not the edge of history, or when every window was refused."""
        problem = self.refusals_problem(reader, "cost", COSTS, ROLE_HINT)
        if problem is not None:
            raise problem

    def _hold_at_provider_day(self, progress: SliceProgress) -> None:
        """Never let the cursor pass the provider's own today (its `Date` header), whatever the local clock says."""
        if self.provider_now is not None:
            provider_today = at_midnight(self.provider_now.date())
            if progress.cursor_after > provider_today:
                progress.hold_at(provider_today)

    @cached_property
    def _line_memo(self) -> transform.LineMemo:
        return transform.LineMemo(self.tenant, self._environment_names)

    def _skip_odd_row(self, odd: transform.OddRow) -> None:
        logger.warning("%s: %s: skipped a cost row: %s", self.label, COSTS, odd)

    def _report_rows(self, window: Window, report: transform.RowReport) -> None:
        if report.repeated:
            logger.warning(
                "%s: %s: %d row(s) of %s..%s came twice (overlapping pages); each counted once",
                self.label,
                COSTS,
                report.repeated,
                window.start.date(),
                window.end.date(),
            )
        if report.replaced_ids:
            logger.warning(
                "%s: %s: rows came again with other values (ids %s); the later answer kept",
                self.label,
                COSTS,
                ", ".join(report.replaced_ids[:10]),
            )
        if report.outside:
            days = ", ".join(f"{day} ({count})" for day, count in sorted(report.outside.items())[:10])
            logger.warning(
                "%s: %s: rows of days outside the requested %s..%s were left out (read with their own window): %s",
                self.label,
                COSTS,
                window.start.date(),
                window.end.date(),
                days,
            )

    def _read_costs(self, window: Window) -> Rows:
        """Every readable row of a window outside the usage path (the products stream); refusals are warned of."""
        narrowed = self._narrowed_costs(window)
        for part in narrowed.refused:
            logger.warning("%s: %s: skipped %s: %s", self.label, COSTS, describe(part.window), part.refusal)
        return [row for part in narrowed.served for row in part.rows]

    def _narrowed_costs(self, window: Window, hold: WindowHold | None = None) -> Narrowed[Rows]:
        return narrow(day_boundaries(window), lambda part: self._read_cost_window(part, hold))

    def _read_cost_window(self, window: Window, hold: WindowHold | None = None) -> Rows | Refusal:
        """One window's rows, or the provider's refusal; a window the API finds too wide is read in halves."""
        endpoint = self.endpoint(CostsEndpoint)
        try:
            rows = []
            for row in endpoint.read_slice(_cost_params(window)):
                rows.append(row)
                if hold is not None:
                    hold.held()
        except RequestWindowSplitRequiredException:
            if window.days <= 1:
                raise
            middle = window.start + timedelta(days=int(window.days // 2))
            halves = [
                self._read_cost_window(Window(window.start, middle), hold),
                self._read_cost_window(Window(middle, window.end), hold),
            ]
            refused = [half for half in halves if isinstance(half, Refusal)]
            return refused[0] if refused else [row for half in halves for row in half]  # type: ignore[union-attr]
        return endpoint.refusals[-1] if endpoint.refusals else rows


def _cost_params(window: Window) -> dict[str, str]:
    """`/billing/v1/costs` parameters of a window: UTC days, end exclusive."""
    return {"start_date": window.start.date().isoformat(), "end_date": window.end.date().isoformat()}
