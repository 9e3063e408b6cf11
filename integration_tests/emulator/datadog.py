"""Datadog API paths: key validation, `/api/v1/org`, hourly usage, and dispatch to the cost paths.

Shapes follow the v1/v2 usage OpenAPI specs and recorded cassettes (see research/datadog.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from .credentials import Credential
from .datadog_costs import DatadogCosts
from .datadog_data import KNOWN_FAMILIES, UNKNOWN_FAMILY, DatadogAccount
from .messages import ApiRequest, ApiResponse, PageCache, decode_token, encode_token, json_response
from .scenario import stable_hex

VALIDATE_PATH = "/api/v1/validate"
ORG_PATH = "/api/v1/org"
HOURLY_PATH = "/api/v2/usage/hourly_usage"
ESTIMATED_PATH = "/api/v2/usage/estimated_cost"
HISTORICAL_PATH = "/api/v2/usage/historical_cost"
MAPPING_PATH = "/api/v2/usage/billing_dimension_mapping"
PATHS = (VALIDATE_PATH, ORG_PATH, HOURLY_PATH, ESTIMATED_PATH, HISTORICAL_PATH, MAPPING_PATH)
FORBIDDEN = ["Forbidden"]
MISSING_PERMISSION = ["Forbidden", "Failed permission authorization checks"]
NON_PARENT = ["API called with non-parent org keys. Data is only available at the root level org"]
MAX_LIMIT = 500
MULTI_ORG_MAX = timedelta(hours=24)
SINGLE_ORG_MAX = timedelta(days=62)
START, END = "filter[timestamp][start]", "filter[timestamp][end]"


def errors(messages: list[str], status: int = 400) -> ApiResponse:
    """Build a Datadog `APIErrorResponse` (`{"errors": [str]}`)."""
    return json_response({"errors": messages}, status=status)


def parse_hour(value: str) -> datetime | None:
    """Parse `YYYY-MM-DDThh` (longer ISO-8601 strings are truncated to the hour); None when invalid."""
    text = value.strip()
    if len(text) < 13 or text[10] not in "T ":
        return None
    try:
        return datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), tzinfo=timezone.utc)
    except ValueError:
        return None


class DatadogApi:
    """Serves every Datadog path for the org selected by the request's API + application keys."""

    def __init__(self, account: DatadogAccount, credentials: dict[str, Credential], today: date) -> None:
        self.account = account
        self.today = today
        self.creds = [cred for cred in credentials.values() if cred.provider == "datadog"]
        self.costs = DatadogCosts(account, today)
        self.cache = PageCache()

    def owns(self, path: str) -> bool:
        """Return whether a path belongs to this API."""
        return path in PATHS

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Authenticate, check permissions and dispatch one request."""
        api_key = request.headers.get("dd-api-key", "")
        if request.path == VALIDATE_PATH:
            known = any(cred.api_key == api_key for cred in self.creds)
            return json_response({"valid": True}) if known else errors(FORBIDDEN, 403)
        app_key = request.headers.get("dd-application-key", "")
        credential = next((c for c in self.creds if c.api_key == api_key and c.secret == app_key), None)
        if credential is None:
            return errors(FORBIDDEN, 403)
        if request.path == ORG_PATH:
            return self.list_orgs(credential)
        if "usage_read" not in credential.permissions:
            return errors(MISSING_PERMISSION, 403)
        if request.path == HOURLY_PATH:
            return self.hourly_usage(request, credential)
        if credential.tenant != 0:
            return errors(NON_PARENT, 400)
        if request.path == MAPPING_PATH:
            if self.account.variances.datadog_mapping_missing:
                return errors(["Not found"], 404)
            return self.costs.billing_dimension_mapping(request.query)
        if "billing_read" not in credential.permissions:
            return errors(MISSING_PERMISSION, 403)
        if request.path == ESTIMATED_PATH:
            return self.costs.estimated_cost(request.query)
        return self.costs.historical_cost(request.query)

    def list_orgs(self, credential: Credential) -> ApiResponse:
        """`GET /api/v1/org`: only the top-level org of the keys (child orgs are not listed)."""
        if "org_management" not in credential.permissions:
            return errors(MISSING_PERMISSION, 403)
        org = dict(self.account.orgs[credential.tenant])
        org.update(
            billing={"type": "parent_billing" if credential.tenant == 0 else "child_billing"},
            subscription={"type": "pro"},
            settings={"private_widget_share": False, "saml": {"enabled": False}},
            trial=False,
        )
        return json_response({"orgs": [org]}, records=1)

    def hourly_usage(self, request: ApiRequest, credential: Credential) -> ApiResponse:
        """`GET /api/v2/usage/hourly_usage`: validate, then serve one page (`meta` absent on the last one)."""
        query = self._hourly_query(request.query, credential)
        if isinstance(query, ApiResponse):
            return query
        org_ids, families, start, end, limit = query
        fingerprint = stable_hex(start, end, families, org_ids)[:16]
        offset = 0
        if request.query.get("page[next_record_id]"):
            try:
                token_fingerprint, raw_offset = decode_token(request.query["page[next_record_id]"])
                offset = int(raw_offset)
            except ValueError:
                return errors(["Invalid page[next_record_id]"])
            if token_fingerprint != fingerprint:
                return errors(["page[next_record_id] does not match the request filters"])
        key = (tuple(org_ids), tuple(families), start, end, offset, limit, self.account.revisions.version)
        cached = self.cache.get(key)
        if cached is not None:
            return json_response(cached[0], records=cached[1])
        total = self.account.hourly_count(org_ids, families, start, end)
        size = max(min(limit, total - offset), 0)
        body: dict[str, Any] = {"data": self.account.hourly_page(org_ids, families, start, offset, size)}
        if offset + size < total:
            body["meta"] = {"pagination": {"next_record_id": encode_token(fingerprint, offset + size)}}
        response = json_response(body, records=size)
        self.cache.put(key, response.encoded(), size)
        return response

    def _hourly_query(self, query: dict[str, str], credential: Credential) -> Any:
        """Return (org indexes, families, start, end, limit) or the 400 response."""
        if not query.get(START):
            return errors([f"{START} is required"])
        start = parse_hour(query[START])
        end = parse_hour(query[END]) if query.get(END) else (start + timedelta(hours=24) if start else None)
        if start is None or end is None:
            return errors(["Invalid timestamp: expected ISO-8601 UTC precise to hour [YYYY-MM-DDThh]"])
        if start >= end:
            return errors(["start_hr [YYYY-MM-DDThh] must be before end_hr [YYYY-MM-DDThh]"])
        families = self._families(query.get("filter[product_families]", ""))
        if isinstance(families, ApiResponse):
            return families
        descendants = query.get("filter[include_descendants]", "false").lower()
        if descendants not in ("true", "false"):
            return errors(["filter[include_descendants] must be a boolean"])
        if descendants == "true" and end - start > MULTI_ORG_MAX:
            return errors(["Hourly usage for multiple organizations can only be retrieved 24 hours at a time"])
        if end - start > SINGLE_ORG_MAX:
            return errors(["Hourly usage for a single organization can only be retrieved 2 months at a time"])
        raw_limit = query.get("page[limit]", str(MAX_LIMIT))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            return errors([f"page[limit] must be between 1 and {MAX_LIMIT}"])
        org_ids = [credential.tenant]
        if descendants == "true" and credential.tenant == 0:
            org_ids = list(range(len(self.account.orgs)))
        return org_ids, families, start, end, int(raw_limit)

    def _families(self, raw: str) -> Any:
        """Return the served families in data order, or a 400 response for a missing/unknown family."""
        requested = [name.strip() for name in raw.split(",") if name.strip()]
        if not requested:
            return errors(["filter[product_families] is required"])
        if "all" in requested:
            return list(self.account.families)
        unknown = [name for name in requested if name not in KNOWN_FAMILIES and name != UNKNOWN_FAMILY]
        if unknown:
            return errors([f"Invalid product family: {', '.join(unknown)}"])
        return [family for family in self.account.families if family in requested]
