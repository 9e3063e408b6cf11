"""Confluent Cloud API paths: `/billing/v1/costs`, `/org/v2/organizations`, `/org/v2/environments`.

Shapes follow billing-v1 and org-v2 OpenAPI specs and captured real responses (see research/confluent.md).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from .confluent_data import ConfluentTenant, rfc3339
from .credentials import Credential
from .messages import ApiRequest, ApiResponse, PageCache, decode_token, encode_token, json_response
from .scenario import stable_hex
from .variances import Variances

COSTS_PATH = "/billing/v1/costs"
ORGS_PATH = "/org/v2/organizations"
ENVS_PATH = "/org/v2/environments"
PATHS = (COSTS_PATH, ORGS_PATH, ENVS_PATH)
COSTS_PAGE_SIZE, COSTS_MAX_PAGE_SIZE = 5000, 10000
ORG_PAGE_SIZE, ORG_MAX_PAGE_SIZE = 10, 100
MAX_WINDOW_DAYS = 31
WWW_AUTHENTICATE = 'Basic error="invalid_key", error_description="The API Key is invalid"'


def error_response(status: int, code: str, title: str, detail: str, parameter: str | None = None) -> ApiResponse:
    """Build a Confluent `Failure` body (`{"errors": [...]}`) with a deterministic error id."""
    digest = stable_hex(status, code, detail, parameter)
    error: dict[str, Any] = {
        "id": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        "status": str(status),
        "code": code,
        "title": title,
        "detail": detail,
    }
    if parameter:
        error["source"] = {"parameter": parameter}
    return json_response({"errors": [error]}, status=status)


def bad_request(detail: str, parameter: str | None = None) -> ApiResponse:
    """Build a 400 `invalid_parameter` error."""
    return error_response(400, "invalid_parameter", "Bad Request", detail, parameter)


def forbidden() -> ApiResponse:
    """Build the 403 answered to keys without the needed role."""
    return error_response(403, "forbidden_access", "Forbidden Access", "Forbidden Access")


class ConfluentApi:
    """Serves every Confluent path for the tenants selected by the request's Cloud API key."""

    def __init__(
        self,
        tenants: list[ConfluentTenant],
        credentials: dict[str, Credential],
        today: date,
        variances: Variances | None = None,
    ) -> None:
        self.tenants = tenants
        self.today = today
        self.variances = variances or Variances()
        self.keys = {cred.api_key: cred for cred in credentials.values() if cred.provider == "confluent"}
        self.cache = PageCache()

    def owns(self, path: str) -> bool:
        """Return whether a path belongs to this API."""
        return path in PATHS or path.startswith((ORGS_PATH + "/", ENVS_PATH + "/"))

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Authenticate and dispatch one request."""
        credential = self._authenticate(request)
        if credential is None:
            response = error_response(
                401,
                "user_unauthenticated",
                "Authentication Required",
                "Valid authentication credentials must be provided",
            )
            response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
            return response
        tenant = self.tenants[credential.tenant]
        routes: dict[str, tuple[str, Callable[[ApiRequest, ConfluentTenant], ApiResponse]]] = {
            COSTS_PATH: ("billing_read", self.list_costs),
            ORGS_PATH: ("org_read", self.list_organizations),
            ENVS_PATH: ("env_read", self.list_environments),
        }
        if request.path in routes:
            permission, handler = routes[request.path]
            return handler(request, tenant) if permission in credential.permissions else forbidden()
        return self.get_one(request, tenant, credential)

    def _authenticate(self, request: ApiRequest) -> Credential | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            key, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        credential = self.keys.get(key)
        return credential if credential is not None and credential.secret == secret else None

    def list_costs(self, request: ApiRequest, tenant: ConfluentTenant) -> ApiResponse:
        """`GET /billing/v1/costs`: validate the window, then serve one page of daily cost rows."""
        window = self._cost_window(request.query, tenant)
        if isinstance(window, ApiResponse):
            return window
        start, end, page_size = window
        page_size = min(page_size, self.variances.confluent_page_cap or page_size)
        if start.isoformat() in self.variances.confluent_null_data_windows:
            return json_response({"errors": [{"detail": "billing backend timeout"}], "data": None})
        offset = 0
        if "page_token" in request.query:
            parts = _safe_decode(request.query["page_token"])
            if (
                parts is None
                or len(parts) != 3
                or parts[:2] != [start.isoformat(), end.isoformat()]
                or not parts[2].isdigit()
            ):
                return bad_request("invalid page token", "page_token")
            offset = int(parts[2])
        key = ("costs", tenant.index, start, end, offset, page_size, request.base_url, tenant.revisions.version)
        key += (self.variances.confluent_repeat_row_across_pages,)
        cached = self.cache.get(key)
        if cached is None:
            repeat = self.variances.confluent_repeat_row_across_pages and offset > 0
            rows, more = (
                tenant.page(start, end, offset - 1, page_size + 1)
                if repeat
                else tenant.page(start, end, offset, page_size)
            )
            params = {"start_date": start.isoformat(), "end_date": end.isoformat(), "page_size": page_size}
            params["page_token"] = encode_token(start.isoformat(), end.isoformat(), offset + page_size)
            body = {"api_version": "v1", "kind": "CostList", "metadata": {"next": request.url(params) if more else ""}}
            body["data"] = rows
            response = json_response(body, records=len(rows))
            self.cache.put(key, response.encoded(), len(rows))
            return response
        return json_response(cached[0], records=cached[1])

    def _cost_window(self, query: dict[str, str], tenant: ConfluentTenant) -> Any:
        """Return (start, end, page_size) or the 400 response the real API gives."""
        for name in ("start_date", "end_date"):
            if not query.get(name):
                return bad_request(f"{name} is required", name)
        dates = {}
        for name in ("start_date", "end_date"):
            try:
                dates[name] = date.fromisoformat(query[name]) if len(query[name]) == 10 else None
            except ValueError:
                dates[name] = None
            if dates[name] is None:
                return bad_request(f"invalid {name.replace('_', ' ')} format, expected YYYY-MM-DD", name)
        start, end = dates["start_date"], dates["end_date"]
        if start >= end:
            return bad_request("start date must be before end date", "start_date")
        if (end - start).days > MAX_WINDOW_DAYS:
            return bad_request("end date and start date are too far apart", "end_date")
        history_days = self.variances.confluent_history_days or tenant.scenario.history_days_limit
        if start < self.today - timedelta(days=history_days):
            return error_response(
                400, "invalid_input", "Bad Request", "start date is too far in the past", "start_date"
            )
        old_data_days = self.variances.confluent_old_data_403_days
        if old_data_days is not None and start < self.today - timedelta(days=old_data_days):
            return forbidden()
        page_size = _page_size(query, COSTS_PAGE_SIZE, COSTS_MAX_PAGE_SIZE)
        return page_size if isinstance(page_size, ApiResponse) else (start, end, page_size)

    def list_organizations(self, request: ApiRequest, tenant: ConfluentTenant) -> ApiResponse:
        """`GET /org/v2/organizations`: the key's own organization (`next` absent on the last page).

        With `confluent_other_org_listed_first`, a sandbox organization of the same user comes first (observed).
        """
        items = [self.organization(request, tenant)]
        if self.variances.confluent_other_org_listed_first:
            sandbox = self.tenants[(tenant.index + 1) % len(self.tenants)]
            items.insert(0, {**self.organization(request, sandbox), "display_name": "Sandbox Org B"})
        return self._list(request, "OrganizationList", items, last_next=None)

    def list_environments(self, request: ApiRequest, tenant: ConfluentTenant) -> ApiResponse:
        """`GET /org/v2/environments`: listed environments (deleted ones are not; `next` null at the end)."""
        items = [self.environment(request, tenant, env) for env in tenant.environments]
        return self._list(request, "EnvironmentList", items, last_next="null")

    def _list(self, request: ApiRequest, kind: str, items: list[dict], last_next: str | None) -> ApiResponse:
        page_size = _page_size(request.query, ORG_PAGE_SIZE, ORG_MAX_PAGE_SIZE)
        if isinstance(page_size, ApiResponse):
            return page_size
        offset = 0
        if "page_token" in request.query:
            parts = _safe_decode(request.query["page_token"])
            if parts is None or parts[0] != kind or not parts[-1].isdigit():
                return bad_request("invalid page token", "page_token")
            offset = int(parts[-1])
        page = items[offset : offset + page_size]
        metadata: dict[str, Any] = {"first": request.url({"page_size": page_size})}
        if offset + page_size < len(items):
            token = encode_token(kind, offset + page_size)
            metadata["next"] = request.url({"page_size": page_size, "page_token": token})
        elif last_next == "null":
            metadata["next"] = None
        body = {"api_version": "org/v2", "kind": kind, "metadata": metadata, "data": page}
        return json_response(body, records=len(page))

    def get_one(self, request: ApiRequest, tenant: ConfluentTenant, credential: Credential) -> ApiResponse:
        """`GET /org/v2/organizations/{id}` and `GET /org/v2/environments/{id}`."""
        collection, _, item_id = request.path.rpartition("/")
        if collection == ORGS_PATH and "org_read" in credential.permissions and item_id == tenant.org_id:
            return json_response(self.organization(request, tenant))
        if collection == ENVS_PATH and "env_read" in credential.permissions:
            for env in tenant.environments:
                if env["id"] == item_id:
                    return json_response(self.environment(request, tenant, env))
        if collection == ORGS_PATH and "org_read" not in credential.permissions:
            return forbidden()
        return error_response(404, "resource_not_found", "Not Found", f"The requested resource {item_id} was not found")

    @staticmethod
    def organization(request: ApiRequest, tenant: ConfluentTenant) -> dict[str, Any]:
        """Return an `org.v2.Organization`."""
        return {
            "api_version": "org/v2",
            "kind": "Organization",
            "id": tenant.org_id,
            "metadata": {
                "self": f"{request.base_url}{ORGS_PATH}/{tenant.org_id}",
                "resource_name": f"crn://confluent.cloud/organization={tenant.org_id}",
                "created_at": rfc3339(tenant.org_created_at),
                "updated_at": rfc3339(tenant.org_created_at + timedelta(days=200)),
            },
            "display_name": tenant.org_display_name,
            "jit_enabled": False,
        }

    @staticmethod
    def environment(request: ApiRequest, tenant: ConfluentTenant, env: dict[str, Any]) -> dict[str, Any]:
        """Return an `org.v2.Environment`."""
        return {
            "api_version": "org/v2",
            "kind": "Environment",
            "id": env["id"],
            "metadata": {
                "self": f"{request.base_url}{ENVS_PATH}/{env['id']}",
                "resource_name": f"crn://confluent.cloud/organization={tenant.org_id}/environment={env['id']}",
                "created_at": rfc3339(env["created_at"]),
                "updated_at": rfc3339(env["updated_at"]),
            },
            "display_name": env["display_name"],
            "stream_governance_config": {"package": env["package"]},
        }


def _page_size(query: dict[str, str], default: int, maximum: int) -> Any:
    """Return the requested page size or a 400 response."""
    raw = query.get("page_size")
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        return bad_request("page_size must be a positive integer", "page_size")
    if int(raw) > maximum:
        return bad_request(f"page_size must be less than or equal to {maximum}", "page_size")
    return int(raw)


def _safe_decode(token: str) -> list[str] | None:
    try:
        return decode_token(token)
    except ValueError:
        return None
