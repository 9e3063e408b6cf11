"""A loopback proxy in front of the emulator that rewrites its answers: the adversarial tester of issue 13.

The connector's `api_url` points at the proxy; each request is forwarded to the emulator, then `Rewrite`s may change
the request before it goes (`before`) and the answer before it comes back (`after`): odd rate-limit headers, page
tokens that cycle, error bodies that echo the credentials. Every exchange is kept for assertions.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass
class Exchange:
    """One request and its answer, as the rewrites see and change them."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The answer's body as JSON."""
        return json.loads(self.body)

    def set_json(self, value: Any) -> None:
        """Replace the answer's body."""
        self.body = json.dumps(value).encode()
        self.response_headers["Content-Type"] = "application/json"


class Rewrite:
    """Changes an exchange; subclasses override `before` (the request) and/or `after` (the answer)."""

    def before(self, exchange: Exchange) -> None:
        """Change the request before it is forwarded."""

    def after(self, exchange: Exchange) -> None:
        """Change the answer before it is returned."""


@dataclass
class Headers(Rewrite):
    """Set answer headers on 200s that `when` selects."""

    values: dict[str, str]
    when: Callable[[Exchange], bool]

    def after(self, exchange: Exchange) -> None:
        if exchange.status == 200 and self.when(exchange):
            exchange.response_headers.update(self.values)


def a_b_a(token: str | None) -> str:
    """Tokens that cycle: (first page) -> A -> B -> A -> B ..."""
    return "CYCLE-B" if token == "CYCLE-A" else "CYCLE-A"


def fresh(token: str | None) -> str:
    """A new token for every page, forever: FRESH-1, FRESH-2, ..."""
    return f"FRESH-{int(token.split('-')[1]) + 1 if token else 1}"


@dataclass
class PagingTokens(Rewrite):
    """Page tokens of `next_of`'s making on the windows `when` selects; the emulator always serves the first page.

    Args:
        token_param: The request's page-token parameter (`page_token`, `page[next_record_id]`).
        set_next: Writes the next token into a parsed body.
        when: Which requests page this way.
        next_of: The token after the request's token (None on the first page).
    """

    token_param: str
    set_next: Callable[[Any, str], None]
    when: Callable[[Exchange], bool]
    next_of: Callable[[str | None], str] = a_b_a

    def before(self, exchange: Exchange) -> None:
        exchange.headers["X-Page-Token"] = exchange.param(self.token_param) or ""
        exchange.query.pop(self.token_param, None)

    def after(self, exchange: Exchange) -> None:
        if exchange.status == 200 and self.when(exchange):
            body = exchange.json()
            self.set_next(body, self.next_of(exchange.headers["X-Page-Token"] or None))
            exchange.set_json(body)


@dataclass
class Refuse(Rewrite):
    """Answer the requests `when` selects with `status` and `headers` instead of the emulator's answer.

    With `times`, only that many of them; the later ones get the emulator's answer.
    """

    status: int
    headers: dict[str, str]
    when: Callable[[Exchange], bool]
    times: int | None = None

    def after(self, exchange: Exchange) -> None:
        if self.when(exchange) and (self.times is None or self.times > 0):
            if self.times is not None:
                self.times -= 1
            exchange.status = self.status
            exchange.response_headers.update(self.headers)
            exchange.set_json({"errors": [{"status": str(self.status), "detail": "refused by the test proxy"}]})


class EchoCredentials(Rewrite):
    """A 401/403 whose body quotes the credentials it was sent, as some providers' error pages do."""

    def after(self, exchange: Exchange) -> None:
        if exchange.status not in (401, 403):
            return
        echoed = [exchange.headers.get("DD-API-KEY", ""), exchange.headers.get("DD-APPLICATION-KEY", "")]
        authorization = exchange.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            pair = base64.b64decode(authorization[6:]).decode("utf-8", "replace")
            echoed += [pair, authorization]
        detail = "invalid credentials: " + " / ".join(value for value in echoed if value)
        exchange.set_json({"errors": [{"status": str(exchange.status), "detail": detail, "title": detail}]})


class RewritingProxy:
    """The proxy on 127.0.0.1; `rewrites` may be replaced between runs; `exchanges` lists what passed."""

    def __init__(self, upstream: str, rewrites: Sequence[Rewrite] = ()) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rewrites = list(rewrites)
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RewritingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, path: str) -> list[Exchange]:
        """The exchanges on one path, in order."""
        with self._lock:
            return [e for e in self.exchanges if e.path == path]

    def forward(self, exchange: Exchange) -> Exchange:
        """Rewrite the request, ask the emulator, rewrite the answer."""
        for rewrite in self.rewrites:
            rewrite.before(exchange)
        target = exchange.path + ("?" + urlencode(exchange.query, doseq=True) if exchange.query else "")
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in exchange.headers.items() if k.lower() not in HOP_BY_HOP and k != "X-Page-Token"}
            connection.request("GET", target, headers=headers)
            answer = connection.getresponse()
            exchange.status, exchange.body = answer.status, answer.read()
            exchange.response_headers = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
        finally:
            connection.close()
        for rewrite in self.rewrites:
            rewrite.after(exchange)
        with self._lock:
            self.exchanges.append(exchange)
        return exchange

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                exchange = Exchange(parts.path, parse_qs(parts.query), dict(self.headers.items()))
                proxy.forward(exchange)
                self.send_response(exchange.status)
                for name, value in exchange.response_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(exchange.body)))
                self.end_headers()
                self.wfile.write(exchange.body)

            def log_message(self, *args: Any) -> None:
                return

        return Handler


def proxied(config: dict[str, Any], proxy: RewritingProxy) -> dict[str, Any]:
    """The config with every account's `api_url` pointing at the proxy."""
    accounts = [dict(account, api_url=proxy.base_url) for account in config["accounts"]]
    return dict(config, accounts=accounts)
