"""Confluent Cloud endpoints as CDK HTTP sub-streams: raw objects out.

API references: https://docs.confluent.io/cloud/current/api.html#tag/Costs-(billingv1) and
https://docs.confluent.io/cloud/current/api.html#tag/Organizations-(orgv2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ResponseAction

from source_usage_metering.errors import ProviderError
from source_usage_metering.http.base_stream import ProviderHttpStream
from source_usage_metering.http.error_mapping import BodyRule
from source_usage_metering.http.pagination import next_page_token_from_url

COSTS_PAGE_SIZE = 10_000  # the API's maximum: fewest requests
ORG_PAGE_SIZE = 100  # the org/v2 maximum
MAX_WINDOW_DAYS = 31

HINTS = {
    401: "Check api_key and api_secret: they must be a Cloud API key and its secret (not a cluster key)",
    403: "The key needs the OrganizationAdmin or BillingAdmin role; a cluster (resource) API key is the wrong kind",
}
PERMISSION_SKIP = "not readable with these credentials; skipped"


class ConfluentEndpoint(ProviderHttpStream):
    """Common paging (`page_size` / `page_token` from `metadata.next`) and `data` extraction."""

    hints = HINTS
    page_size = ORG_PAGE_SIZE

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        """Slice parameters, page size and the page token."""
        params: dict[str, Any] = {**stream_slice, "page_size": self.page_size}
        if page_token:
            params["page_token"] = page_token
        return params

    def next_token(self, body: Any, previous: str | None) -> str | None:
        """The `page_token` of `metadata.next` (never the URL's host)."""
        return next_page_token_from_url(body, previous, self.endpoint)

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        """The `data` items; a body without a `data` list is a malformed answer."""
        if not isinstance(body, dict) or "data" not in body:
            raise ProviderError(
                self.account.label, self.endpoint, "answer has no 'data' list", failure_type=FailureType.system_error
            )
        data = body["data"] or []
        if not isinstance(data, list):
            raise ProviderError(
                self.account.label,
                self.endpoint,
                f"'data' is a {type(data).__name__}, not a list",
                failure_type=FailureType.system_error,
            )
        return [item for item in data if isinstance(item, dict)]


class OrganizationsEndpoint(ConfluentEndpoint):
    """`GET /org/v2/organizations`: the organization of the key (403 is tolerated: the CRN fallback applies)."""

    path_template = "/org/v2/organizations"
    endpoint = "GET /org/v2/organizations"
    body_rules = (BodyRule(403, "", ResponseAction.IGNORE, PERMISSION_SKIP, None),)


class EnvironmentsEndpoint(ConfluentEndpoint):
    """`GET /org/v2/environments`: the environments (unified workspaces)."""

    path_template = "/org/v2/environments"
    endpoint = "GET /org/v2/environments"
    body_rules = (BodyRule(403, "", ResponseAction.IGNORE, PERMISSION_SKIP, None),)


class CostsEndpoint(ConfluentEndpoint):
    """`GET /billing/v1/costs`: daily cost rows of [start_date, end_date), at most 31 days per request."""

    path_template = "/billing/v1/costs"
    endpoint = "GET /billing/v1/costs"
    page_size = COSTS_PAGE_SIZE
    body_rules = (
        BodyRule(400, "too far in the past", ResponseAction.IGNORE, "older than the API's retention; skipped", None),
        BodyRule(
            400,
            "too far apart",
            ResponseAction.SPLIT_REQUEST_WINDOW,
            "window too wide; splitting it",
            FailureType.system_error,
        ),
        BodyRule(403, "", ResponseAction.IGNORE, PERMISSION_SKIP, None),
    )
