"""Datadog endpoints as CDK HTTP sub-streams: raw objects out, and their paginator.

API references: https://docs.datadoghq.com/api/latest/usage-metering/ and
https://docs.datadoghq.com/api/latest/organizations/. Usage and cost endpoints answer only parent-level orgs;
child-org keys get 400 "API called with non-parent org keys".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ResponseAction

from source_usage_metering.errors import RefusalReason
from source_usage_metering.http.endpoint import ProviderEndpoint
from source_usage_metering.http.error_mapping import BodyRule

HOURLY_PAGE_LIMIT = 500  # the API's maximum: fewest requests
# Hourly rows stream through (no window is held), so the cap bounds requests, not memory: 5,000 pages are 2,500,000
# rows, a 24-hour window of about 2,000 orgs x 50 product families, or 35 times a single org's 59-day window.
HOURLY_MAX_PAGES = 5_000
NON_PARENT = "non-parent org keys"
NON_PARENT_SKIP = "parent-org-only data; the keys belong to a child org; skipped"
HINTS = {
    401: "Check api_key and application_key, and that site matches the organization's Datadog site",
    403: "Check api_key and application_key (and the site); the application key needs the usage_read permission",
}
COST_HINT_403 = "the application key lacks the billing_read permission (cost needs usage_read and billing_read)"


def next_record_id(body: Any) -> str | None:
    """`meta.pagination.next_record_id`; `meta` is absent on the last page."""
    meta = body.get("meta") if isinstance(body, dict) else None
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    token = pagination.get("next_record_id") if isinstance(pagination, dict) else None
    return token if isinstance(token, str) else None


class DatadogEndpoint(ProviderEndpoint):
    """Common `data` extraction and the `Accept` header Datadog's own clients send."""

    hints = HINTS

    def request_headers(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
        """JSON with RFC 3339 timestamps."""
        return {"Accept": "application/json;datetime-format=rfc3339"}

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        """The slice's parameters as given (cost endpoints have no paging)."""
        return dict(stream_slice)

    def next_token(self, body: Any) -> str | None:
        """No paging."""
        return None

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        """The `data` items; a body without a `data` list is a malformed answer."""
        return self.data_items(body)


class ValidateEndpoint(DatadogEndpoint):
    """`GET /api/v1/validate`: proves the API key (not the application key)."""

    path_template = "/api/v1/validate"
    endpoint = "GET /api/v1/validate"
    hints = {403: "the API key was rejected: check api_key and that site matches the organization's Datadog site"}

    def page_problem(self, body: Any) -> str | None:
        """Any JSON object is an answer (`{"valid": true}`)."""
        return None if isinstance(body, dict) else f"the answer is a {type(body).__name__}, not an object"

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        """The answer itself (`{"valid": true}`)."""
        return [body] if isinstance(body, dict) else []


class OrgEndpoint(DatadogEndpoint):
    """`GET /api/v1/org`: the top-level org of the keys (needs `org_management`; 403 is tolerated)."""

    path_template = "/api/v1/org"
    endpoint = "GET /api/v1/org"
    body_rules = (
        BodyRule(
            403,
            "",
            ResponseAction.IGNORE,
            "needs the org_management permission; continuing without it",
            None,
            RefusalReason.PERMISSION,
        ),
    )

    def page_problem(self, body: Any) -> str | None:
        """An `{"orgs": [...]}` object."""
        orgs = body.get("orgs") if isinstance(body, dict) else None
        return None if isinstance(orgs, list) else "answer has no 'orgs' list"

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        """The `orgs` items."""
        orgs = body.get("orgs") if isinstance(body, dict) else None
        return [org for org in orgs if isinstance(org, dict) and org.get("public_id")] if isinstance(orgs, list) else []


class HourlyUsageEndpoint(DatadogEndpoint):
    """`GET /api/v2/usage/hourly_usage`: rows per org x product family x hour, paged by `page[next_record_id]`."""

    path_template = "/api/v2/usage/hourly_usage"
    endpoint = "GET /api/v2/usage/hourly_usage"
    hints = {**HINTS, 403: "the application key needs the usage_read permission (or api_key/site is wrong)"}
    max_pages = HOURLY_MAX_PAGES
    body_rules = (
        BodyRule(
            400,
            "at a time",
            ResponseAction.SPLIT_REQUEST_WINDOW,
            "window too wide; splitting it",
            FailureType.system_error,
        ),
    )

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        """Window, families, descendants and the page size; the cursor of the next page."""
        params: dict[str, Any] = {"page[limit]": HOURLY_PAGE_LIMIT, **stream_slice}
        if page_token:
            params["page[next_record_id]"] = page_token
        return params

    def next_token(self, body: Any) -> str | None:
        """`meta.pagination.next_record_id`; `meta` is absent on the last page."""
        return next_record_id(body)


NON_PARENT_RULE = BodyRule(400, NON_PARENT, ResponseAction.IGNORE, NON_PARENT_SKIP, None, RefusalReason.NOT_PARENT_ORG)
_COST_RULES = (
    NON_PARENT_RULE,
    BodyRule(403, "", ResponseAction.IGNORE, COST_HINT_403 + "; skipped", None, RefusalReason.PERMISSION),
    # Observed: "start_month must be within the last 15 months" for a month older than Datadog keeps.
    BodyRule(
        400, "within the last", ResponseAction.IGNORE, "older than Datadog keeps", None, RefusalReason.BEYOND_HISTORY
    ),
    BodyRule(400, "", ResponseAction.IGNORE, "month range refused", None, RefusalReason.WINDOW_REFUSED),
)


class EstimatedCostEndpoint(DatadogEndpoint):
    """`GET /api/v2/usage/estimated_cost`: current and previous month, delayed up to 72 hours."""

    path_template = "/api/v2/usage/estimated_cost"
    endpoint = "GET /api/v2/usage/estimated_cost"
    body_rules = _COST_RULES


class HistoricalCostEndpoint(DatadogEndpoint):
    """`GET /api/v2/usage/historical_cost`: final months (final by the 16th of the following month).

    Datadog documents no limit on the month range of one request; a refused range is narrowed month by month.
    """

    path_template = "/api/v2/usage/historical_cost"
    endpoint = "GET /api/v2/usage/historical_cost"
    body_rules = _COST_RULES


class BillingDimensionMappingEndpoint(DatadogEndpoint):
    """`GET /api/v2/usage/billing_dimension_mapping`: labels of billing dimensions (parent orgs only).

    Optional: Datadog's client libraries mark it unstable and it has answered 404 `{"errors":["Not found"]}`; any
    refusal leaves the built-in labels in use.
    """

    path_template = "/api/v2/usage/billing_dimension_mapping"
    endpoint = "GET /api/v2/usage/billing_dimension_mapping"
    body_rules = (
        NON_PARENT_RULE,
        *(
            BodyRule(status, "", ResponseAction.IGNORE, "unavailable; using the built-in labels", None, reason)
            for status, reason in (
                (400, RefusalReason.UNAVAILABLE),
                (403, RefusalReason.PERMISSION),
                (404, RefusalReason.UNAVAILABLE),
                (405, RefusalReason.UNAVAILABLE),
                (410, RefusalReason.UNAVAILABLE),
                (422, RefusalReason.UNAVAILABLE),
            )
        ),
    )
