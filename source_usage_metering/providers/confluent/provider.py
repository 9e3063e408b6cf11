"""`ConfluentProvider`: one Confluent Cloud organization read with a Cloud API key.

API references: https://docs.confluent.io/cloud/current/billing/invoices-and-costs.html (costs: UTC days, end
exclusive, one month per request, about a year of history, up to 72 hours of delay) and
https://docs.confluent.io/cloud/current/api.html.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from functools import cached_property
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.request_window_split_exception import RequestWindowSplitRequiredException

from source_usage_metering.errors import PermissionDenied, ProviderError, RefusalReason
from source_usage_metering.http.auth import basic_auth
from source_usage_metering.http.endpoint import ProviderEndpoint
from source_usage_metering.providers.base import CursorLookup, Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.providers.confluent import planning, transform
from source_usage_metering.providers.confluent.account import ConfluentAccount
from source_usage_metering.providers.confluent.endpoints import (
    CostsEndpoint,
    EnvironmentsEndpoint,
    OrganizationsEndpoint,
)
from source_usage_metering.providers.confluent.known_products import PRODUCTS
from source_usage_metering.records import Organization, Product, UsageRecord, Workspace
from source_usage_metering.windows import Window, at_midnight

logger = logging.getLogger("airbyte")

ROLE_HINT = "Billing needs a Cloud API key with the OrganizationAdmin or BillingAdmin role (not a cluster key)."


class ConfluentProvider(UsageProvider[ConfluentAccount]):
    """One Confluent Cloud organization (one Cloud API key)."""

    name = "confluent"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cost_reads_succeeded = False  # a usage window was read in this sync (later refusals are fatal)
        self._newest_usage_end = at_midnight(self.now.date())

    def authenticator(self) -> requests.auth.AuthBase:
        """HTTP Basic with the Cloud API key and secret."""
        return basic_auth(self.account.api_key, self.account.api_secret)

    @cached_property
    def tenant(self) -> transform.Tenant:
        """The organization that owns the key: `/org/v2/organizations`, else the CRN of an environment."""
        organizations = list(self._organizations_raw)
        if organizations:
            first = organizations[0]
            return transform.Tenant(first["id"], first.get("display_name"))
        for environment in self._environments_raw:
            org_id = transform.org_id_from_crn(transform.as_object(environment.get("metadata")).get("resource_name"))
            if org_id:
                return transform.Tenant(org_id, None)
        raise PermissionDenied(
            self.label,
            "GET /org/v2/organizations and GET /org/v2/environments",
            "cannot tell which organization the key belongs to: neither organizations nor environments are "
            "readable. The key needs the OrganizationAdmin role (or BillingAdmin plus EnvironmentAdmin).",
        )

    @cached_property
    def _organizations_raw(self) -> list[Mapping[str, Any]]:
        return self._read_listing(OrganizationsEndpoint)

    @cached_property
    def _environments_raw(self) -> list[Mapping[str, Any]]:
        return self._read_listing(EnvironmentsEndpoint)

    def _read_listing(self, endpoint_type: type[ProviderEndpoint]) -> list[Mapping[str, Any]]:
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

    def check(self) -> None:
        """The key works (it names its organization) and can read billing (a one-day costs call)."""
        self.partition()
        endpoint = self.endpoint(CostsEndpoint)
        for _ in endpoint.read_slice(_cost_params(planning.check_day(self.now))):
            break
        if any(refusal.reason is RefusalReason.PERMISSION for refusal in endpoint.refusals):
            raise PermissionDenied(self.label, endpoint.endpoint, "the key cannot read billing (403). " + ROLE_HINT)

    def iter_organizations(self) -> Iterable[Organization]:
        """The key's organization, or its bare id when the org API is not readable."""
        include = self.config.include_remote_data
        if self._organizations_raw:
            for raw in self._organizations_raw:
                yield transform.to_organization(raw, include_remote_data=include)
        else:
            yield transform.to_bare_organization(self.tenant)

    def iter_workspaces(self) -> Iterable[Workspace]:
        """Every listed environment; deleted ones are not listed (their cost lines keep their ids)."""
        for raw in self._environments_raw:
            yield transform.to_workspace(raw, self.tenant, include_remote_data=self.config.include_remote_data)

    def iter_products(self) -> Iterable[Product]:
        """The catalogue plus any product value in the most recent cost window."""
        seen = list(PRODUCTS)
        for row in self._read_costs(planning.recent_products_window(self.now)):
            product = row.get("product")
            if isinstance(product, str) and product and product not in seen:
                seen.append(product)
        for product in seen:
            yield transform.to_product(product)

    def plan_usage(self, cursor_of: CursorLookup) -> Iterable[UsageSlice]:
        """Calendar-month windows (at most 31 days) from the cursor minus the lookback to today (exclusive)."""
        partition = self.partition()
        window = planning.cost_window(self.config, cursor_of(partition), self.now)
        if window is None:
            return
        self._newest_usage_end = window.end
        for piece in planning.cost_slices(window):
            yield UsageSlice(partition, piece.start, piece.end, piece.end)

    def iter_usage(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterator[UsageRecord]:
        """The cost lines of one window: its rows folded per line, tiers as charges."""
        rows = self._read_costs(Window(usage_slice.start, usage_slice.end), progress)
        include = self.config.include_remote_data
        tenant, names, memo = self.tenant, self._environment_names, self._line_memo
        for key, line_rows in transform.group_cost_rows(rows, on_odd=self._skip_odd_row).items():
            yield transform.to_usage_record(key, line_rows, tenant, names, include_remote_data=include, memo=memo)

    @cached_property
    def _line_memo(self) -> transform.LineMemo:
        return transform.LineMemo(self.tenant, self._environment_names)

    def _skip_odd_row(self, odd: transform.OddRow) -> None:
        logger.warning("%s: GET /billing/v1/costs: skipped a cost row: %s", self.label, odd)

    def _read_costs(self, window: Window, progress: SliceProgress | None = None) -> list[Mapping[str, Any]]:
        """Every row of a window (halved while the API says it is too wide); `progress` only on the usage path."""
        endpoint = self.endpoint(CostsEndpoint)
        try:
            rows = list(endpoint.read_slice(_cost_params(window)))
        except RequestWindowSplitRequiredException:
            if window.days <= 1:
                raise
            middle = window.start + timedelta(days=int(window.days // 2))
            return self._read_costs(Window(window.start, middle), progress) + self._read_costs(
                Window(middle, window.end), progress
            )
        if endpoint.refusals:
            self._skip_or_hold(endpoint, window, progress)
        elif progress is not None:
            self._cost_reads_succeeded = True
        return rows

    def _skip_or_hold(self, endpoint: ProviderEndpoint, window: Window, progress: SliceProgress | None) -> None:
        """Skip a refused window, holding the cursor unless the window is beyond the API's history.

        A refusal of the sync's newest window, or of a window after older ones were read, is fatal instead: the key
        has lost access rather than the window being too old for it.
        """
        refusal = endpoint.refusals[-1]
        if progress is not None and refusal.reason is not RefusalReason.BEYOND_HISTORY:
            if self._cost_reads_succeeded or window.end >= self._newest_usage_end:
                raise ProviderError(
                    self.label,
                    endpoint.endpoint,
                    f"refused {window.start.date()}..{window.end.date()} ({refusal}). {ROLE_HINT}",
                )
            progress.hold_at(window.start)
        logger.warning(
            "%s: %s: skipped %s..%s (exclusive): %s",
            self.label,
            endpoint.endpoint,
            window.start.date(),
            window.end.date(),
            refusal,
        )


def _cost_params(window: Window) -> dict[str, str]:
    """`/billing/v1/costs` parameters of a window: UTC days, end exclusive."""
    return {"start_date": window.start.date().isoformat(), "end_date": window.end.date().isoformat()}
