"""HTTP layer: a loopback ThreadingHTTPServer, routing to the provider APIs, rate budgets, faults and stats."""

from __future__ import annotations

import base64
import binascii
import contextlib
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from .faults import FaultInjector, FaultPlan, Faults, html_error_page, truncate_json
from .messages import ApiRequest, ApiResponse, json_response
from .ratelimit import BudgetState, RateBudget

ADMIN_PREFIX = "/_emulator/"
LOOPBACK = "127.0.0.1"
AdminHandler = Callable[[ApiRequest, bytes], ApiResponse]


class ProviderApi(Protocol):
    """What the gateway needs from `ConfluentApi` / `DatadogApi`."""

    def owns(self, path: str) -> bool:
        """Return whether a path belongs to this API."""

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one request."""


@dataclass(frozen=True)
class Reply:
    """Bytes ready to write (None from `Gateway.serve` means: drop the connection)."""

    status: int
    headers: dict[str, str]
    body: bytes


class Stats:
    """Thread-safe counters of API traffic (admin requests are not counted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.requests, self.records = 0, 0
            self.by_path: Counter[str] = Counter()
            self.status_counts: Counter[str] = Counter()
            self.by_key: Counter[str] = Counter()
            self.rate_limited_by_key: Counter[str] = Counter()
            self.pages_by_window: Counter[tuple[str, str]] = Counter()

    def record(self, path: str, status: str, records: int, key: str = "", window: str = "") -> None:
        """Count one API request (`key`: the credential's API key; `window`: the request less its page token)."""
        with self._lock:
            self.requests += 1
            self.records += records
            self.by_path[path] += 1
            self.status_counts[status] += 1
            self.by_key[key] += 1
            if status == "429":
                self.rate_limited_by_key[key] += 1
            self.pages_by_window[(key, window or path)] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return `{"requests", "by_path", "status_counts", "records_served", "by_key"}`.

        `by_key` maps each API key to its `requests`, `rate_limited` (429s) and `longest_chain`: the most requests
        made for one window (its pages, which must follow each other, and their retries).
        """
        with self._lock:
            chains: dict[str, int] = {}
            for (key, _), pages in self.pages_by_window.items():
                chains[key] = max(chains.get(key, 0), pages)
            return {
                "requests": self.requests,
                "by_path": dict(self.by_path),
                "status_counts": dict(self.status_counts),
                "records_served": self.records,
                "by_key": {
                    key: {
                        "requests": count,
                        "rate_limited": self.rate_limited_by_key[key],
                        "longest_chain": chains.get(key, 0),
                    }
                    for key, count in self.by_key.items()
                },
            }


def provider_error(provider: str, status: int, detail: str) -> ApiResponse:
    """Build a provider-shaped error body for gateway-made errors (429, 5xx)."""
    if provider == "datadog":
        return json_response({"errors": [detail]}, status=status)
    error = {"status": str(status), "code": "too_many_requests" if status == 429 else "internal_error"}
    error.update(title=detail, detail=detail)
    return json_response({"errors": [error]}, status=status)


class Gateway:
    """Routes admin and API requests; applies the rate budget and injected faults to API paths only."""

    def __init__(
        self,
        apis: dict[str, ProviderApi],
        faults: Faults,
        admin: dict[tuple[str, str], AdminHandler],
        clock: Callable[[], datetime] | None = None,
    ):
        self.apis = apis
        self.admin = admin
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.injector = FaultInjector(faults)
        self.stats = Stats()
        self.budgets: dict[tuple[str, str], RateBudget] = {}
        self.set_faults(faults)

    def set_faults(self, faults: Faults) -> None:
        """Replace the fault knobs; a changed rate limit starts fresh budgets."""
        old = self.injector.faults
        self.injector.configure(faults)
        if (old.rate_limit, old.rate_window_seconds) != (faults.rate_limit, faults.rate_window_seconds):
            self.budgets = {}
        self._budget_lock = threading.Lock()

    def budget(self, provider: str, request: ApiRequest) -> RateBudget:
        """The rate budget of the request's credential (the providers count per API key, not per client)."""
        key = (provider, credential_key(request.headers))
        with self._budget_lock:
            if key not in self.budgets:
                faults = self.injector.faults
                self.budgets[key] = RateBudget(faults.rate_limit, faults.rate_window_seconds)
            return self.budgets[key]

    def serve(self, method: str, request: ApiRequest, body: bytes) -> Reply | None:
        """Answer one request, or return None to drop the connection."""
        if request.path.startswith(ADMIN_PREFIX):
            handler = self.admin.get((method, request.path))
            response = handler(request, body) if handler else json_response({"errors": ["Not found"]}, 404)
            return Reply(response.status, {"Content-Type": response.content_type}, response.encoded())
        provider = next((name for name, api in self.apis.items() if api.owns(request.path)), None)
        if provider is None or method != "GET":
            status = 404 if provider is None else 405
            self.stats.record(request.path, str(status), 0)
            return Reply(status, {"Content-Type": "application/json"}, b'{"errors":["Not found"]}')
        return self._serve_api(provider, request)

    def _serve_api(self, provider: str, request: ApiRequest) -> Reply | None:
        latency = self.injector.latency(request.path)
        if latency:
            time.sleep(latency)
        budget = self.budget(provider, request).take()
        plan = self.injector.plan(request.path) if budget.allowed else FaultPlan()
        if plan.delay:
            time.sleep(plan.delay)
        key, window = credential_key(request.headers), window_of(request)
        if plan.drop:
            self.stats.record(request.path, "dropped", 0, key, window)
            return None
        if not budget.allowed:
            detail = f"Rate limit of {budget.limit} requests in {budget.period_seconds} seconds reached."
            response = provider_error(provider, 429, detail)
            response.headers["Retry-After"] = str(budget.reset_seconds)
        elif plan.status is not None:
            response = self._injected(provider, plan)
        else:
            response = self.apis[provider].handle(request)
        body = response.encoded()
        if plan.malformed and response.status == 200:
            body = truncate_json(body)
        headers = {"Content-Type": response.content_type, **response.headers}
        headers.update(rate_limit_headers(provider, request.path, budget))
        records = response.records if response.status == 200 else 0
        self.stats.record(request.path, str(response.status), records, key, window)
        return Reply(response.status, headers, body)

    def _injected(self, provider: str, plan: FaultPlan) -> ApiResponse:
        status = plan.status or 503
        if status == 429:
            response = provider_error(provider, 429, "Too Many Requests")
            response.headers["Retry-After"] = str(self.injector.faults.retry_after_seconds)
            return response
        if plan.html:
            return ApiResponse(status=status, body=html_error_page(status), content_type="text/html")
        return provider_error(provider, status, "Internal Server Error" if status == 500 else "Service Unavailable")


PAGE_TOKENS = ("page_token", "page[next_record_id]")


def window_of(request: ApiRequest) -> str:
    """The request's path and query less its page token: every page of one window has the same."""
    query = sorted((name, value) for name, value in request.query.items() if name not in PAGE_TOKENS)
    return f"{request.path}?{query}"


def credential_key(headers: dict[str, str]) -> str:
    """The API key a request carries (Datadog `DD-API-KEY`, the user of Confluent's Basic auth), else ""."""
    if headers.get("dd-api-key"):
        return headers["dd-api-key"]
    authorization = headers.get("authorization", "")
    if authorization.startswith("Basic "):
        try:
            return base64.b64decode(authorization[6:].strip()).decode("utf-8", "replace").partition(":")[0]
        except (ValueError, binascii.Error):
            return ""
    return ""


def rate_limit_headers(provider: str, path: str, budget: BudgetState) -> dict[str, str]:
    """Return the `X-RateLimit-*` headers (Datadog adds `-Period` and `-Name`)."""
    headers = {
        "X-RateLimit-Limit": str(budget.limit),
        "X-RateLimit-Remaining": str(budget.remaining),
        "X-RateLimit-Reset": str(budget.reset_seconds),
    }
    if provider == "datadog":
        name = "usage_metering" if "/usage/" in path else path.rsplit("/", 1)[-1]
        headers.update({"X-RateLimit-Period": str(budget.period_seconds), "X-RateLimit-Name": name})
    return headers


class RequestHandler(BaseHTTPRequestHandler):
    """Parses HTTP/1.1 requests (keep-alive, Content-Length) and writes the gateway's replies."""

    protocol_version = "HTTP/1.1"
    server_version = "usage-metering-emulator/1.0"
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve("GET")

    def do_POST(self) -> None:
        """Serve a POST."""
        self._serve("POST")

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header: the emulated providers' clock, not the machine's."""
        return formatdate(self.server.gateway.clock().timestamp(), usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the emulator runs inside tests and benchmarks."""

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        base_url = "http://" + headers.get("host", f"{LOOPBACK}:{self.server.server_address[1]}")
        reply = self.server.gateway.serve(method, ApiRequest(split.path, query, headers, base_url), body)
        if reply is None:
            self._drop()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer bound to 127.0.0.1 only."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int, gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__((LOOPBACK, port), RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed by a test, timed out) is normal here; anything else is reported."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        super().handle_error(request, client_address)
