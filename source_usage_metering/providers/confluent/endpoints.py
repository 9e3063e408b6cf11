"""Confluent Cloud endpoints as CDK HTTP sub-streams: raw objects out, and their paginator.

API references: https://docs.confluent.io/cloud/current/api.html#tag/Costs-(billingv1) and
https://docs.confluent.io/cloud/current/api.html#tag/Organizations-(orgv2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ResponseAction

from source_usage_metering.errors import RefusalReason
from source_usage_metering.http.endpoint import ProviderEndpoint
from source_usage_metering.http.error_mapping import BodyRule

COSTS_PAGE_SIZE = 10_000  # the API's maximum: fewest requests
# A cost window (at most 31 days) is held whole to fold pricing tiers: 100 pages are 1,000,000 rows (about 1.7 GB
# parsed), 32,000 rows a day, several times a large organization's (resources x line types) per day.
COSTS_MAX_PAGES = 100
ORG_PAGE_SIZE = 100  # the org/v2 maximum
MAX_WINDOW_DAYS = 31

HINTS = {
    401: "Check api_key and api_secret: they must be a Cloud API key and its secret (not a cluster key)",
    403: "The key needs the OrganizationAdmin or BillingAdmin role; a cluster (resource) API key is the wrong kind",
}
PERMISSION_SKIP = "not readable with these credentials; skipped"
PERMISSION_RULE = BodyRule(403, "", ResponseAction.IGNORE, PERMISSION_SKIP, None, RefusalReason.PERMISSION)


def next_page_token_from_url(body: Any) -> str | None:
    """The `page_token` inside `metadata.next`; absent, null or "" ends paging.

    Only the token is used: the request is re-sent to the configured host, never to the host a `next` URL names.
    """
    metadata = body.get("metadata") if isinstance(body, dict) else None
    next_url = metadata.get("next") if isinstance(metadata, dict) else None
    if not next_url or not isinstance(next_url, str):
        return None
    tokens = parse_qs(urlsplit(next_url).query).get("page_token")
    return tokens[0] if tokens else None


class ConfluentEndpoint(ProviderEndpoint):
    """Common paging (`page_size` / `page_token` from `metadata.next`) and `data` extraction."""

    hints = HINTS
    page_size = ORG_PAGE_SIZE

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        """Slice parameters, page size and the page token."""
        params: dict[str, Any] = {**stream_slice, "page_size": self.page_size}
        if page_token:
            params["page_token"] = page_token
        return params

    def next_token(self, body: Any) -> str | None:
        """The `page_token` of `metadata.next` (never the URL's host)."""
        return next_page_token_from_url(body)

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        """The `data` items."""
        return self.data_items(body)


class OrganizationsEndpoint(ConfluentEndpoint):
    """`GET /org/v2/organizations`: the organization of the key (403 is tolerated: the CRN fallback applies)."""

    path_template = "/org/v2/organizations"
    endpoint = "GET /org/v2/organizations"
    body_rules = (PERMISSION_RULE,)


class EnvironmentsEndpoint(ConfluentEndpoint):
    """`GET /org/v2/environments`: the environments (unified workspaces)."""

    path_template = "/org/v2/environments"
    endpoint = "GET /org/v2/environments"
    body_rules = (PERMISSION_RULE,)


class CostsEndpoint(ConfluentEndpoint):
    """`GET /billing/v1/costs`: daily cost rows of [start_date, end_date), at most 31 days per request."""

    path_template = "/billing/v1/costs"
    endpoint = "GET /billing/v1/costs"
    page_size = COSTS_PAGE_SIZE
    max_pages = COSTS_MAX_PAGES
    body_rules = (
        BodyRule(
            400,
            "too far in the past",
            ResponseAction.IGNORE,
            "older than the API's retention; skipped",
            None,
            RefusalReason.BEYOND_HISTORY,
        ),
        BodyRule(
            400,
            "too far apart",
            ResponseAction.SPLIT_REQUEST_WINDOW,
            "window too wide; splitting it",
            FailureType.system_error,
        ),
        PERMISSION_RULE,
        BodyRule(400, "", ResponseAction.IGNORE, "window refused", None, RefusalReason.WINDOW_REFUSED),
    )
