"""`ExampleProvider`: daily windows of the example API's cost lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import requests

from source_usage_metering.caching import cached_property
from source_usage_metering.providers.base import CursorLookup, Partition, SliceProgress, UsageProvider, UsageSlice
from source_usage_metering.records import Organization, Product, UsageRecord, Workspace
from source_usage_metering.windows import fixed_slices, sync_range
from unit_tests.example_provider import transform
from unit_tests.example_provider.account import ExampleAccount
from unit_tests.example_provider.endpoints import CostsEndpoint, OrgEndpoint


class BearerToken(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class ExampleProvider(UsageProvider[ExampleAccount]):
    name = "example"

    def authenticator(self) -> requests.auth.AuthBase:
        return BearerToken(self.account.access_token)

    @cached_property
    def org(self) -> Mapping[str, Any]:
        return next(iter(self.endpoint(OrgEndpoint).read_slice({})))

    def partition(self) -> Partition:
        return {"provider": self.name, "host": self.account.host, "tenant": self.org["id"]}

    def organizations_read(self) -> frozenset[str]:
        return frozenset({transform.organization_ref(self.org)["id"]})

    def check(self) -> None:
        self.partition()

    def iter_organizations(self) -> Iterable[Organization]:
        yield transform.to_organization(self.org)

    def iter_products(self) -> Iterable[Product]:
        yield transform.to_product()

    def iter_workspaces(self) -> Iterable[Workspace]:
        return iter(())

    def plan_usage(self, cursor_of: CursorLookup) -> Iterable[UsageSlice]:
        partition = self.partition()
        today = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        window = sync_range(
            default_start=today - timedelta(days=3),
            start_date=self.config.start_date,
            end_date=self.config.end_date,
            cursor=cursor_of(partition),
            lookback=timedelta(days=1),
            now=self.now,
            latest=today,
        )
        for piece in fixed_slices(window, timedelta(days=1)) if window else ():
            yield UsageSlice(partition, piece.start, piece.end, piece.end)

    def iter_usage(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterable[UsageRecord]:
        day, next_day = usage_slice.start.date().isoformat(), usage_slice.end.date().isoformat()
        for line in self.endpoint(CostsEndpoint).read_slice({"day": day}):
            yield transform.to_cost_record(self.org, day, next_day, line)
