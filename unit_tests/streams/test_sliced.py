"""Concurrent reads (issue 16): slices finish in any order, a cursor only moves over contiguous completed slices.

The test-only example provider reads one request per day, so each day's answer can be held back or refused. The
API is a small threaded server on 127.0.0.1, not requests-mock: requests-mock serializes every request behind one
global lock, so no two requests could ever be in flight at once.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from source_usage_metering import providers
from source_usage_metering.errors import ConfigError
from source_usage_metering.providers.base import SliceProgress, UsageSlice
from source_usage_metering.streams.focus_cost import FocusCost
from source_usage_metering.streams.usage import Usage
from unit_tests.conftest import pin_clock
from unit_tests.example_provider import PROVIDER_SPEC
from unit_tests.read_helpers import final_state, read_source, records_of

TOKENS = {"tok-a": {"id": "org-7", "name": "Seven"}, "tok-b": {"id": "org-8", "name": "Eight"}}
DAYS = ["2026-11-14", "2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19"]
Costs = Callable[[str, str], tuple[int, dict]]  # (token, day) -> (status, body)


@pytest.fixture(autouse=True)
def example_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    pin_clock(monkeypatch, datetime(2026, 11, 20, 8, tzinfo=timezone.utc))
    providers.register(PROVIDER_SPEC)
    yield
    providers.unregister(PROVIDER_SPEC.name)


@pytest.fixture
def http() -> None:
    """No requests-mock here (see the module docstring): the API is `ExampleApi` on loopback."""


class ExampleApi:
    """`GET /v1/org` and `GET /v1/costs?day=` of the example provider, answered concurrently by `costs`."""

    def __init__(self) -> None:
        self.costs: Costs = lambda token, day: (200, one_line(token, day))
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                token = self.headers["Authorization"].removeprefix("Bearer ")
                if url.path == "/v1/org":
                    status, body = 200, {"data": [TOKENS[token]]}
                else:
                    status, body = api.costs(token, parse_qs(url.query)["day"][0])
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def api() -> Iterator[ExampleApi]:
    served = ExampleApi()
    yield served
    served.server.shutdown()
    served.server.server_close()


def config(api: ExampleApi, num_workers: int, tokens: tuple[str, ...] = ("tok-a",)) -> dict:
    accounts = [
        {"provider": "example", "name": f"ex-{n}", "access_token": token, "api_url": api.url}
        for n, token in enumerate(tokens)
    ]
    return {"accounts": accounts, "start_date": DAYS[0], "num_workers": num_workers}


def one_line(token: str, day: str) -> dict:
    return {"data": [{"product": "widgets", "amount": 10 + int(day[-2:]) + (100 if token == "tok-b" else 0)}]}


def states_never_ahead_of_their_records(output, stream: str = "usage") -> list[str]:
    """Every STATE of the stream, checked against the whole read: a record its cursor covers came before it."""
    messages = output.records_and_state_messages
    records = [
        (i, m.record.data) for i, m in enumerate(messages) if m.type.name == "RECORD" and m.record.stream == stream
    ]
    problems = []
    for position, message in enumerate(messages):
        if message.type.name != "STATE" or message.state.stream.stream_descriptor.name != stream:
            continue
        for entry in message.state.stream.stream_state.__dict__["states"]:
            cursor = entry["cursor"]["end_date"]
            tenant = entry["partition"]["tenant"]
            late = [r["id"] for i, r in records if i > position and f"|{tenant}|" in r["organization"]["id"]
                    and r["end_date"] <= cursor]  # fmt: skip
            problems += [f"STATE at {position} says {cursor} before {record}" for record in late]
    return problems


def test_given_the_first_day_answering_last_then_no_state_passes_a_record_not_yet_emitted(api: ExampleApi) -> None:
    last_day_asked = threading.Event()

    def costs(token: str, day: str) -> tuple[int, dict]:
        if day == DAYS[-1]:
            last_day_asked.set()
        if day == DAYS[0]:  # 4 workers: the last day is asked once two of the other days' slices were read whole
            assert last_day_asked.wait(10), "the other days were not read while the first was in flight"
        return 200, one_line(token, day)

    api.costs = costs
    output = read_source(config(api, num_workers=4), "usage")
    assert not output.errors
    first_day = [r["start_date"][:10] for r in records_of(output, "usage")].index(DAYS[0])
    assert first_day >= 2  # later days were emitted before the first one: their slices finished first
    assert sorted(r["start_date"][:10] for r in records_of(output, "usage")) == DAYS
    assert states_never_ahead_of_their_records(output) == []
    (entry,) = final_state(output, "usage")["states"]
    assert entry["cursor"] == {"end_date": "2026-11-20T00:00:00Z"}


def test_given_a_day_failing_between_read_days_then_the_cursor_stops_before_it(api: ExampleApi) -> None:
    def costs(token: str, day: str) -> tuple[int, dict]:
        return (500, {"errors": ["backend unavailable"]}) if day == DAYS[2] else (200, one_line(token, day))

    api.costs = costs
    output = read_source(config(api, num_workers=4), "usage", expecting_exception=True)
    messages = [e.trace.error.message for e in output.errors]
    assert messages[0].startswith("accounts[0] (example: ex-0): GET /v1/costs: transient error: gave up after 7")
    assert all("GET /v1/costs" in m for m in messages), messages
    assert DAYS[3] in {r["start_date"][:10] for r in records_of(output, "usage")}  # read beside the failed day
    (entry,) = final_state(output, "usage")["states"]
    assert entry["cursor"] == {"end_date": f"{DAYS[2]}T00:00:00Z"}  # the end of the last day before the gap
    assert states_never_ahead_of_their_records(output) == []


@pytest.mark.parametrize("workers", [2, 8])
def test_any_number_of_workers_reads_what_one_worker_reads_and_ends_in_the_same_state(
    api: ExampleApi, workers: int
) -> None:
    one = read_source(config(api, 1, tuple(TOKENS)))
    many = read_source(config(api, workers, tuple(TOKENS)))
    assert not one.errors
    assert not many.errors
    for stream in ("usage", "organizations", "products"):
        assert sorted(r["id"] for r in records_of(many, stream)) == sorted(r["id"] for r in records_of(one, stream))
    assert len(records_of(one, "usage")) == 2 * len(DAYS)
    assert final_state(many, "usage") == final_state(one, "usage")
    assert states_never_ahead_of_their_records(many) == []


def test_partitions_alternate_between_accounts_so_the_pool_spans_them(api: ExampleApi) -> None:
    asked: list[str] = []

    def costs(token: str, day: str) -> tuple[int, dict]:
        asked.append(token)
        return 200, one_line(token, day)

    api.costs = costs
    read_source(config(api, 1, tuple(TOKENS)), "usage")
    assert asked == ["tok-a", "tok-b"] * len(DAYS)


class Account:
    """Just what the run-time overlap check reads of an account, and a slice naming one organization."""

    organization = {"id": "example|org-9|organization"}

    def __init__(self, position: int, name: str) -> None:
        self.label = f"accounts[{position}] (example: {name})"
        self.config_path = f"accounts[{position}]"

    def iter_usage(self, usage_slice: object, progress: object) -> Iterator[dict]:
        return iter([{"id": f"{self.label}-line", "organization": self.organization, "charges": [{"amount": 1}]}])

    def focus_rows(self, record: dict) -> list[dict]:
        return [{"x_ChargeId": record["id"]}]


@pytest.mark.parametrize("first_to_arrive", [0, 1])
def test_two_accounts_meeting_one_organization_fail_in_the_same_words_whichever_is_first(first_to_arrive: int) -> None:
    parent, child = Account(0, "parent"), Account(1, "child")
    usage = Usage([parent, child])  # type: ignore[list-item]
    organization = {"id": "example|org-9|organization"}
    records = [{"id": f"line-{n}", "organization": organization} for n in range(3)]
    first, second = (parent, child) if first_to_arrive == 0 else (child, parent)
    assert len(list(usage.one_reader_per_org(first, iter(records)))) == 3
    with pytest.raises(ConfigError) as refused:
        next(usage.one_reader_per_org(second, iter(records)))
    assert str(refused.value) == (
        f"Invalid config: {second.config_path} accounts[0] (example: parent) and accounts[1] (example: child) both "
        "read organization example|org-9|organization; every line would arrive twice: remove one of the two "
        "accounts, or set include_child_orgs to false on the parent organization's account."
    )


def test_focus_cost_reading_the_provider_itself_checks_that_one_account_reads_an_organization() -> None:
    """Selected without usage, focus_cost reads the provider: the same run-time check guards its rows."""
    parent, child = Account(0, "parent"), Account(1, "child")
    focus = FocusCost([parent, child])  # type: ignore[list-item]
    day = datetime(2026, 11, 14, tzinfo=timezone.utc)
    one_day = UsageSlice({"provider": "example", "tenant": "org-9"}, day, day + timedelta(days=1), day)
    rows = list(focus.slice_records(parent, one_day, SliceProgress(day)))  # type: ignore[arg-type]
    assert rows == [{"x_ChargeId": f"{parent.label}-line"}]
    with pytest.raises(ConfigError, match=re.escape("both read organization example|org-9|organization")):
        list(focus.slice_records(child, one_day, SliceProgress(day)))  # type: ignore[arg-type]


def test_given_a_transient_failure_then_the_sync_ends_transient_naming_the_account(api: ExampleApi) -> None:
    """The CDK ends a concurrent read with a failed stream as a config_error quoting reprs: no platform retries it."""
    api.costs = lambda token, day: (500, {"errors": ["down"]}) if day == DAYS[2] else (200, one_line(token, day))
    output = read_source(config(api, num_workers=2), "usage", "organizations", expecting_exception=True)
    final = output.errors[-1].trace.error
    assert final.failure_type.value == "transient_error"
    assert final.message.startswith("Stream usage: 1 account(s) failed: accounts[0] (example: ex-0): GET /v1/costs")
    assert "During the sync" not in final.message
    assert "AirbyteTracedException(" not in final.message


def test_given_usage_failed_an_account_then_focus_cost_reports_it_once_and_emits_nothing_of_it(
    api: ExampleApi,
) -> None:
    api.costs = lambda token, day: (500, {"errors": ["down"]}) if day == DAYS[2] else (200, one_line(token, day))
    output = read_source(config(api, num_workers=4), "usage", "focus_cost", expecting_exception=True)
    per_stream = [
        e.trace.error.stream_descriptor.name for e in output.errors[:-1] if e.trace.error.stream_descriptor is not None
    ]
    assert sorted(per_stream) == ["focus_cost", "usage"]
    assert records_of(output, "focus_cost") == []
    errors = [m.log.message for m in output.logs if m.log.level.name == "ERROR"]
    assert len([m for m in errors if m.endswith("(stream focus_cost)")]) == 1  # one ERROR line, not one per slice


def test_given_one_worker_and_more_slices_than_the_cdks_pending_limit_then_the_read_ends(
    api: ExampleApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CDK pauses partition generation at its pending limit; with one worker the generator holds that worker."""
    import source_usage_metering.source as source
    from source_usage_metering.streams.partitions import SliceGenerator

    monkeypatch.setattr(source, "FUTURES_LIMIT", 2)  # 6 slices: at the CDK's 10,000 it takes 23 Datadog parents
    generate = SliceGenerator.generate

    def unhurried(self: SliceGenerator) -> Iterator:
        for partition in generate(self):
            time.sleep(0.05)  # the main thread takes each partition into the pool before the next is generated
            yield partition

    monkeypatch.setattr(SliceGenerator, "generate", unhurried)
    outputs = []
    reader = threading.Thread(
        target=lambda: outputs.append(read_source(config(api, num_workers=1), "usage")), daemon=True
    )
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "the read hung: the only worker waits for partitions nobody can read"
    assert len(records_of(outputs[0], "usage")) == len(DAYS)
