"""An attempt that raised (a dropped connection, a timeout) gives its call back to the account's budget.

The CDK's limiter tells the budget of answers only; the call of an attempt that raised stayed "in flight" for the
rest of the window, so each such attempt lowered what the provider's `Remaining` allowed, until the account waited
on a spent window (or failed: a 30-minute reset is more than one request may wait). The API is a real server on
loopback: requests-mock replaces the transport adapter, where attempts are seen to raise.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from source_usage_metering.http.deadline import DeadlineAdapter
from source_usage_metering.http.pacing import RateLimitHeaderBudget
from unit_tests.http.fakes import ExampleAccount, FakeClock, ItemsEndpoint


class DroppingApi(BaseHTTPRequestHandler):
    """Closes the connection without an answer `drops` times, then answers with 2 calls left of a 30-minute window."""

    drops = 0

    def do_GET(self) -> None:
        if type(self).drops > 0:
            type(self).drops -= 1
            self.close_connection = True
            self.connection.shutdown(2)  # no status line: the client's attempt raises ConnectionError
            return
        data = json.dumps({"items": [{"id": 1}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Remaining", "2")
        self.send_header("X-RateLimit-Reset", "1800")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def http() -> None:
    """No requests-mock here (see the module docstring)."""


@pytest.fixture
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DroppingApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    import source_usage_metering.http.waits as waits

    fake = FakeClock()
    monkeypatch.setattr(waits, "time", fake)  # retry backoff and pacing waits, on one fake timeline
    return fake


class LoopbackItems(ItemsEndpoint):
    def __init__(self, api_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.account = ExampleAccount(index=0, name="acme", api_key="KEYFAKE", api_url=api_url)


def test_given_dropped_attempts_then_their_calls_return_to_the_budget(api_url: str, clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    DroppingApi.drops = 2
    assert len(list(LoopbackItems(api_url, api_budget=budget).read_slice({}))) == 1  # two drops, then the answer
    pacing_before = list(clock.sleeps)
    for _ in range(2):  # the provider said 2 calls are left, and nothing is in flight
        assert len(list(LoopbackItems(api_url, api_budget=budget).read_slice({}))) == 1
    assert clock.sleeps == pacing_before  # no pacing wait (it was a 1,800 s wait, more than a request may wait)


def test_the_adapter_reports_an_attempt_that_raised_and_not_one_answered(api_url: str) -> None:
    unanswered: list[requests.PreparedRequest] = []
    session = requests.Session()
    session.mount("http://", DeadlineAdapter(5.0, on_unanswered=unanswered.append))
    DroppingApi.drops = 1
    with pytest.raises(requests.ConnectionError):
        session.get(f"{api_url}/v1/items", timeout=5)
    assert [r.url for r in unanswered] == [f"{api_url}/v1/items"]
    assert session.get(f"{api_url}/v1/items", timeout=5).status_code == 200
    assert len(unanswered) == 1
