"""`DatadogProvider`: one Datadog organization (and its child orgs) read with an API and an application key.

API references: https://docs.datadoghq.com/api/latest/usage-metering/ (usage delayed up to 72 hours, retained
15 months; 24 hours per request with child orgs, two months for one org; cost final by the 16th of the next
month). Datadog has no workspace entity: the provider emits no workspaces.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.request_window_split_exception import RequestWindowSplitRequiredException

from source_usage_metering.caching import cached_property
from source_usage_metering.errors import PermissionDenied, ProviderError, Refusal, RefusalReason
from source_usage_metering.focus.columns import FocusContext
from source_usage_metering.http.auth import HeaderAuth
from source_usage_metering.narrowing import narrow
from source_usage_metering.providers.base import CursorLookup, Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.providers.datadog import costs, focus, ids, planning, transform
from source_usage_metering.providers.datadog.account import DatadogAccount
from source_usage_metering.providers.datadog.endpoints import (
    BillingDimensionMappingEndpoint,
    HourlyUsageEndpoint,
    OrgEndpoint,
    ValidateEndpoint,
)
from source_usage_metering.providers.datadog.known_products import BILLING_DIMENSIONS, PRODUCT_FAMILIES
from source_usage_metering.records import Organization, Product, UsageRecord, Workspace
from source_usage_metering.windows import Window, add_months, describe, hour_boundaries, month_start

logger = logging.getLogger("airbyte")

PROBE_AGE = timedelta(days=4)  # usage is complete after 72 hours
HOURLY = HourlyUsageEndpoint.endpoint
COST = "GET /api/v2/usage/historical_cost and estimated_cost"
WHY_SKIPPED = {
    "cost": "cost needs the billing_read permission (with usage_read) and parent-org keys",
    "mapping": "billing dimension labels need usage_read and parent-org keys; using the built-in labels",
    "org": "organization details need the org_management permission",
}
USAGE_READ_HINT = "The application key needs the usage_read permission."
Row = Mapping[str, Any]


class DatadogProvider(UsageProvider[DatadogAccount]):
    """One Datadog organization (normally a parent org, with its child orgs), reached with an API + app key."""

    name = "datadog"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hour_stamps: dict[str, tuple[str, str, str] | None] = {}
        self._row_heads: transform.RowHeads = {}
        self.plan = planning.Planner(self.account, self.config, self.now)
        self.costs = costs.CostReader(self.endpoint)
        self._warned: set[tuple[str, str]] = set()
        # What this sync's reads have shown (orgs by public id, product families, billing dimensions), so the
        # entity streams emit every org and product a usage record names.
        self.seen_orgs: dict[str, Mapping[str, Any]] = {}
        self.seen_families: dict[str, None] = {}
        self.seen_dimensions: dict[str, None] = {}

    def authenticator(self) -> requests.auth.AuthBase:
        """The `DD-API-KEY` and `DD-APPLICATION-KEY` headers."""
        return HeaderAuth({"DD-API-KEY": self.account.api_key, "DD-APPLICATION-KEY": self.account.application_key})

    @cached_property
    def _orgs_raw(self) -> list[Row]:
        endpoint = self.endpoint(OrgEndpoint)
        rows = list(endpoint.read_slice({}))
        self._warn_refused(endpoint.refusals, endpoint.endpoint, "org")
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
    def _mapping(self) -> tuple[list[Row], list[Refusal]]:
        """`billing_dimension_mapping` rows (read once per sync) and what was refused reading them (optional)."""
        endpoint = self.endpoint(BillingDimensionMappingEndpoint)
        rows = list(endpoint.read_slice({"filter[view]": "all"}))
        self._warn_refused(endpoint.refusals, endpoint.endpoint, "mapping")
        return rows, endpoint.refusals

    @cached_property
    def is_parent(self) -> bool:
        """Whether the keys belong to a parent-level org: a parent-only cost endpoint answers them.

        The estimated cost of the open months is read anyway; only when it is refused for another reason (no
        billing_read) does the optional billing_dimension_mapping decide, and when neither tells, parent is assumed
        (child orgs included: for child-org keys that reads their own org only).
        """
        estimated = self._estimated_read
        if estimated.unavailable is None:
            return True
        if estimated.unavailable.reason is RefusalReason.NOT_PARENT_ORG:
            return False
        return not any(refusal.reason is RefusalReason.NOT_PARENT_ORG for refusal in self._mapping[1])

    @property
    def _estimated_read(self) -> costs.CostRead:
        start, end = self.plan.estimated_months()
        return self.costs.read("estimated", start, end)

    @cached_property
    def include_child_orgs(self) -> bool:
        """The account's setting, else yes for parent-org keys."""
        if self.account.include_child_orgs is not None:
            return self.account.include_child_orgs
        return self.is_parent

    @cached_property
    def _labels(self) -> dict[str, str]:
        return transform.mapping_labels(self._mapping[0])

    def partition(self) -> Partition:
        """`{"provider": "datadog", "host": ..., "tenant": "<site>|<org public id>"}`."""
        return {"provider": self.name, "host": self.account.host, "tenant": self.tenant.key}

    def organizations_read(self) -> frozenset[str]:
        """The orgs this account reads: its own, and with child orgs the children it sees now.

        Children come from the open months' cost rows (read anyway) and one recent hour of usage: two requests,
        one of them extra, per account and sync. A child first seen later is caught at run time by the usage stream.
        """
        own = ids.organization_id(self.account.site, self.tenant.public_id)
        if not self.include_child_orgs:
            return frozenset({own})
        attributes = [row.get("attributes") or {} for row in self._estimated_read.rows] + self._probe_attributes
        children = {public_id for a in attributes if isinstance(a, Mapping) and (public_id := a.get("public_id"))}
        return frozenset({own, *(ids.organization_id(self.account.site, child) for child in children)})

    def umbrella(self) -> str | None:
        """With child orgs: the billing account whose every org this account reads (the keys' org is its parent)."""
        return f"datadog|{self.account.site}|account|{self.tenant.public_id}" if self.include_child_orgs else None

    def member_of(self) -> frozenset[str]:
        """The billing accounts (parent orgs) the keys' org belongs to, from its own rows' `account_public_id`."""
        parents = {
            attributes.get("account_public_id")
            for attributes in self._probe_attributes
            if attributes.get("public_id") == self.tenant.public_id
        }
        return frozenset(f"datadog|{self.account.site}|account|{parent}" for parent in parents if parent)

    def check(self) -> list[str]:
        """The API key, the application key and `usage_read` (one tiny hourly call); says what a sync will skip."""
        for _ in self.endpoint(ValidateEndpoint).read_slice({}):
            break
        self.partition()
        params = self.plan.hourly_params(self.plan.probe_window(PROBE_AGE, hours=1), False, limit=1)
        for _ in self.endpoint(HourlyUsageEndpoint).read_slice(params):
            break
        notes = []
        if self._estimated_read.unavailable is not None:
            notes.append(f"cost will be skipped ({self._estimated_read.unavailable}): {WHY_SKIPPED['cost']}")
        if self._mapping[1]:
            notes.append(f"billing dimension labels: built-in ({self._mapping[1][-1]})")
        return notes

    def iter_organizations(self) -> Iterable[Organization]:
        """The keys' org, plus child orgs seen in recent hourly usage, cost rows and this sync's usage reads."""
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
        for row in self._mapping[0]:
            if isinstance(row.get("id"), str):
                dimensions[row["id"]] = row if self.config.include_remote_data else None
        for attributes in self._seen_attributes():
            families.append(attributes.get("product_family"))
            for charge in attributes.get("charges") or ():
                dimensions.setdefault(charge.get("product_name"), None)
        families.extend(self.seen_families)
        for name in self.seen_dimensions:
            dimensions.setdefault(name, None)
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
        hourly_cursor = self.saved_cursor(cursor_of, hourly, pull_back_to=planning.floor_hour(self.now))
        yield from self.plan.hourly_slices(hourly, hourly_cursor, self.include_child_orgs)
        cost = {**partition, "kind": "cost"}
        cost_cursor = self.saved_cursor(cursor_of, cost, pull_back_to=planning.first_open_month(self.now))
        yield from self.plan.cost_slices(cost, cost_cursor)

    def iter_usage(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterator[UsageRecord]:
        """Hourly measurements or monthly cost records of one slice (lazy: nothing is read before iteration)."""
        if usage_slice.params.get("kind") == "hourly":
            return self._hourly_records(Window(usage_slice.start, usage_slice.end), progress)
        return self._cost_records(usage_slice, progress)

    def focus_rows(self, record: UsageRecord) -> list[dict[str, Any]]:
        """FOCUS 1.2 rows of a monthly cost record (`focus.to_focus_rows`): billed to the keys' org."""
        return focus.to_focus_rows(record, self._focus_context)

    @cached_property
    def _focus_context(self) -> FocusContext:
        return focus.focus_context(self.tenant.public_id, self.tenant.name, self.account.currency)

    def finish_usage(self, reader: str = "usage") -> None:
        """Fail the account when a refused window was not the edge of history, or when every window was refused."""
        for kind, endpoint, hint in (("hourly", HOURLY, USAGE_READ_HINT), ("cost", COST, WHY_SKIPPED["cost"])):
            problem = self.refusals_problem(reader, kind, endpoint, hint)
            if problem is not None:
                raise problem

    def _hourly_records(self, window: Window, progress: SliceProgress) -> Iterator[UsageRecord]:
        narrowed = narrow(hour_boundaries(window), self._open_hourly)
        progress.narrowed("hourly", narrowed, HOURLY)
        rows = itertools.chain.from_iterable(part.rows for part in narrowed.served)
        include, site = self.config.include_remote_data, self.account.site
        yield from transform.rows_hourly_records(
            rows, site, self._row_stamps, include_remote_data=include, heads=self._row_heads
        )
        if self.provider_now is not None and progress.cursor_after > planning.floor_hour(self.provider_now):
            progress.hold_at(planning.floor_hour(self.provider_now))  # never past the provider's own clock

    def _row_stamps(self, row: Row) -> tuple[str, str, str] | None:
        """The hour strings of an hourly row; None (with a warning) for a row without an org or a timestamp."""
        attributes = row.get("attributes")
        if not isinstance(attributes, dict) or not attributes.get("public_id"):
            logger.warning("%s: %s: skipped a row without an org", self.label, HOURLY)
            return None
        self.seen_orgs.setdefault(attributes["public_id"], attributes)
        self.seen_families.setdefault(attributes.get("product_family"), None)
        stamps = transform.hour_stamps(attributes.get("timestamp"), self._hour_stamps)
        if stamps is None:
            logger.warning("%s: %s: skipped a row without a timestamp", self.label, HOURLY)
        return stamps

    def _open_hourly(self, window: Window) -> Iterator[Row] | Refusal:
        """A window's rows as they page in (its first page read now, so a refusal shows), or the refusal."""
        endpoint = self.endpoint(HourlyUsageEndpoint)
        pages = iter(endpoint.read_slice(self.plan.hourly_params(window, self.include_child_orgs)))
        try:
            first = next(pages, None)
        except RequestWindowSplitRequiredException:
            if window.end - window.start <= timedelta(hours=1):
                raise
            middle = window.start + timedelta(hours=int((window.end - window.start) / timedelta(hours=2)))
            return itertools.chain(
                self._rows_of(Window(window.start, middle)), self._rows_of(Window(middle, window.end))
            )
        if endpoint.refusals:
            return endpoint.refusals[-1]
        return iter(()) if first is None else itertools.chain((first,), pages)

    def _rows_of(self, window: Window) -> Iterator[Row]:
        """The rows of half a window the API found too wide (a refusal there fails the slice)."""
        answer = self._open_hourly(window)
        if isinstance(answer, Refusal):
            raise ProviderError(self.label, HOURLY, f"refused {describe(window)} ({answer})")
        yield from answer

    def _cost_records(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterator[UsageRecord]:
        """Cost records of a slice's months; refused or not-yet-published months hold the cursor back."""
        kind = usage_slice.params["kind"]
        read = self.costs.read(kind, usage_slice.start, usage_slice.end)
        if read.unavailable is not None:
            self._warn_refused([read.unavailable], COST, "cost")
            progress.hold_at(usage_slice.start)
            return
        progress.narrowed("cost", read.narrowed, COST)
        status = "final" if kind == "historical" else "estimated"
        yield from self._cost_lines(read, read.served_months, status)
        if kind == "historical":
            self._warn_missing_final_months(read)
            yield from self._estimate_unpublished_month(read, usage_slice, progress)
        if self.provider_now is not None and progress.cursor_after > planning.first_open_month(self.provider_now):
            progress.hold_at(planning.first_open_month(self.provider_now))  # never past the provider's own clock

    def _estimate_unpublished_month(self, read: costs.CostRead, usage_slice: UsageSlice, progress: SliceProgress):
        """The month that just became final by the calendar, when historical cost does not have it yet.

        Datadog publishes a month's final cost "no later than the 16th": until it appears, the month is read from
        estimated cost (same ids) and the cursor stays on it, so the final figure replaces the estimate later. Orgs
        that already have their final row (a child org, when the parent billed nothing itself) are not estimated:
        their line was emitted as final.
        """
        last_month = add_months(planning.first_open_month(self.now), -1)
        key = f"{last_month:%Y-%m}"
        if not usage_slice.start <= last_month < usage_slice.end or key not in read.served_months:
            return
        final_orgs = costs.orgs_of_month(read.rows, key)
        if self.tenant.public_id in final_orgs:
            return
        progress.hold_at(last_month)
        if last_month < add_months(month_start(self.now), -1):
            return  # closed before last month: Datadog serves estimates of this and the previous month only
        estimate = self.costs.read("estimated", last_month, add_months(last_month, 1))
        if estimate.unavailable is None:
            yield from self._cost_lines(estimate, {key}, "estimated", final_orgs)

    def _warn_missing_final_months(self, read: costs.CostRead) -> None:
        """A final month without a row for the keys' own org, after the first month it has rows (its history)."""
        own = costs.own_org_months(read.rows, self.tenant.public_id)
        if not own:
            return
        missing = sorted(month for month in read.served_months if month > min(own) and month not in own)
        for month in missing:
            logger.warning(
                "%s: %s: Datadog returned no final cost for the keys' own org in %s, which should be final since the "
                "16th of the month after it",
                self.label,
                COST,
                month,
            )

    def _cost_lines(
        self, read: costs.CostRead, months: set[str], status: str, final_orgs: Collection[str] = ()
    ) -> Iterator[UsageRecord]:
        """The cost lines of `months`, leaving out the orgs in `final_orgs` (already emitted as final)."""
        odd: list[str] = []
        report = transform.CostRowReport()
        rows = [row for row in self._own_rows(read.rows) if costs.org_of(row) not in final_orgs]
        lines = transform.fold_cost_rows(rows, months, odd, report)
        if report.conflicts:
            raise ProviderError(
                self.label,
                COST,
                f"two different rows for one org and month ({', '.join(report.conflicts[:5])}): cannot tell which is "
                "right; the cursor is held and the next sync reads them again",
            )
        self._report_cost_rows(report, read, months, odd)
        account, include = self.account, self.config.include_remote_data
        for line in lines.values():
            self.seen_dimensions.setdefault(line.product_name, None)
            self.seen_orgs.setdefault(line.public_id, {"public_id": line.public_id, "org_name": line.org_name})
            yield transform.to_cost_record(
                line, account.site, status, account.currency, self._labels, include_remote_data=include
            )

    def _own_rows(self, rows: list[Row]) -> list[Row]:
        """The rows this account reads: every org's with child orgs, else only the keys' org's."""
        if self.include_child_orgs:
            return rows
        return [row for row in rows if (row.get("attributes") or {}).get("public_id") == self.tenant.public_id]

    def _report_cost_rows(
        self, report: transform.CostRowReport, read: costs.CostRead, months: set[str], odd: list[str]
    ) -> None:
        for reason in odd:
            logger.warning("%s: cost: skipped %s", self.label, reason)
        if report.repeated:
            logger.warning("%s: %s: %d row(s) came twice; each counted once", self.label, COST, report.repeated)
        unexpected = {m: n for m, n in report.outside.items() if m not in read.padding_months | read.served_months}
        if unexpected:
            shown = ", ".join(f"{month} ({count})" for month, count in sorted(unexpected.items()))
            logger.warning("%s: %s: rows of months not asked for were left out: %s", self.label, COST, shown)

    def _seen_attributes(self) -> list[Mapping[str, Any]]:
        """Attributes of recent hourly rows, cost rows and this sync's usage reads (orgs and products named)."""
        return self._probe_attributes + self._cost_attributes + list(self.seen_orgs.values())

    @cached_property
    def _probe_attributes(self) -> list[Mapping[str, Any]]:
        params = self.plan.hourly_params(self.plan.probe_window(PROBE_AGE, hours=1), self.include_child_orgs)
        rows = self.endpoint(HourlyUsageEndpoint).read_slice(params)
        return [row["attributes"] for row in rows if isinstance(row.get("attributes"), dict)]

    @cached_property
    def _cost_attributes(self) -> list[Mapping[str, Any]]:
        if not self.is_parent:
            return []
        rows: list[Row] = []
        for slice_ in self.plan.cost_slices({}, None):
            read = self.costs.read(slice_.params["kind"], slice_.start, slice_.end)
            rows += self._own_rows(read.rows)
        attributes = [row.get("attributes") for row in rows]
        return [a for a in attributes if isinstance(a, dict) and a.get("public_id")]

    def _warn_refused(self, refusals: list[Refusal], endpoint: str, what: str) -> None:
        """One warning per refused part per sync (several streams read the same cached answers)."""
        for refusal in refusals:
            if (endpoint, str(refusal)) not in self._warned:
                self._warned.add((endpoint, str(refusal)))
                logger.warning("%s: %s: skipped (%s): %s", self.label, endpoint, refusal, WHY_SKIPPED[what])
