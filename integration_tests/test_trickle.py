"""A trickling answer (headers, then a byte every few tenths of a second) is cut at the deadline, then retried.

Issue 13: the read timeout applies per socket read, so a trickling body kept one request open past 7 minutes. The
deadline (300 s in production) is set to 1 s here so the test runs in seconds; the server is real, on loopback.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from source_usage_metering.errors import ProviderError
from source_usage_metering.http.deadline import DeadlineAdapter, DeadlineExceeded
from source_usage_metering.http.endpoint import ProviderEndpoint
from unit_tests.http.fakes import ExampleAccount

BODY = b'{"data": [{"id": 1}, {"id": 2}], "padding": "' + b"x" * 60 + b'"}'


class Trickler(BaseHTTPRequestHandler):
    """Headers at once; then the body one byte per `gap` seconds (or the head, trickled, when `trickle_head`)."""

    gap = 0.3
    trickle_head = False
    starts: list[float] = []

    def do_GET(self) -> None:
        type(self).starts.append(time.monotonic())
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n").encode()
        try:
            if self.trickle_head:
                self._trickle(head + BODY)
            else:
                self.wfile.write(head)
                self.wfile.flush()
                self._trickle(BODY)
        except OSError:
            return  # the client gave up: that is the point

    def _trickle(self, data: bytes) -> None:
        for byte in data:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(self.gap)

    def log_message(self, *args: Any) -> None:
        return


class ItemsEndpoint(ProviderEndpoint):
    path_template = "/v1/items"
    endpoint = "GET /v1/items"
    request_deadline_seconds = 1.0

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        return {}

    def next_token(self, body: Any) -> str | None:
        return None

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        return self.data_items(body)


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    Trickler.starts = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Trickler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def endpoint_for(server: ThreadingHTTPServer) -> ItemsEndpoint:
    account = ExampleAccount(index=0, name="acme", api_key="KEYFAKE", api_url=f"http://127.0.0.1:{server.server_port}")
    return ItemsEndpoint(account, requests.auth.HTTPBasicAuth("KEYFAKE", "SECRETFAKE"), max_retries=1)


@pytest.mark.timed_waits
@pytest.mark.parametrize("trickle_head", [False, True], ids=["body-trickles", "head-trickles"])
def test_given_a_trickling_answer_then_each_attempt_is_cut_at_the_deadline_and_retried(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch, trickle_head: bool
) -> None:
    monkeypatch.setattr(Trickler, "trickle_head", trickle_head)
    started = time.monotonic()
    with pytest.raises(ProviderError) as raised:
        list(endpoint_for(server).read_slice({}))
    elapsed = time.monotonic() - started
    assert raised.value.message == (
        "accounts[0] (example: acme): GET /v1/items: transient error: gave up after 2 failed attempts; "
        "last: no complete answer within 1 s (connect, headers and body)"
    )
    assert len(Trickler.starts) == 2  # the ordinary retry path: a second attempt
    assert elapsed < 5.0  # 2 attempts of 1 s and one backoff of at most 1 s; the whole body would take 30 s
    assert Trickler.starts[1] - Trickler.starts[0] >= 1.0  # the first attempt ran until its deadline


def test_given_a_prompt_answer_then_the_deadline_changes_nothing(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Trickler, "gap", 0.0)
    assert [item["id"] for item in endpoint_for(server).read_slice({})] == [1, 2]
    assert len(Trickler.starts) == 1


@pytest.mark.timed_waits
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_given_a_trickling_tls_answer_then_the_deadline_cuts_it_too(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    names = ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(["openssl", *request, *names], capture_output=True, check=True)
    Trickler.starts = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Trickler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    session = requests.Session()
    session.mount("https://", DeadlineAdapter(1.0))
    started = time.monotonic()
    try:
        with pytest.raises(DeadlineExceeded):
            session.get(f"https://127.0.0.1:{httpd.server_port}/", verify=str(cert), timeout=(5, 30))  # verified TLS
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert 1.0 <= time.monotonic() - started < 3.0
