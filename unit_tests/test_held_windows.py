"""At most one large window held at a time: the permit is taken past the threshold and given back at the end."""

from __future__ import annotations

import threading
import time

import pytest

from source_usage_metering import held_windows
from source_usage_metering.clock import TEST_NOW_ENV
from source_usage_metering.held_windows import WindowHold
from source_usage_metering.providers.confluent import provider as confluent_provider
from unit_tests.confluent_api import mock_costs, mock_org_api, two_page_costs
from unit_tests.conftest import ConfigBuilder
from unit_tests.read_helpers import read_source, records_of


class CountingGate(threading.Semaphore):
    """A one-permit semaphore that counts its acquisitions and releases."""

    def __init__(self) -> None:
        super().__init__(1)
        self.acquired = self.released = 0

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        got = super().acquire(blocking, timeout)
        self.acquired += got
        return got

    def release(self, n: int = 1) -> None:
        self.released += n
        super().release(n)


def test_a_window_within_the_threshold_never_takes_the_permit() -> None:
    closed = threading.Semaphore(0)  # taking it would block for good
    with WindowHold(3, closed) as hold:
        hold.held(3)
        assert not hold.holding


def test_a_second_large_window_waits_until_the_first_is_done() -> None:
    """No timed wait that must time out: under libfaketime (scripts/test_clocks) such waits never end."""
    gate = threading.Semaphore(1)
    order: list[str] = []
    first = WindowHold(1, gate)
    first.held(2)
    assert first.holding

    def second() -> None:
        with WindowHold(1, gate) as hold:
            hold.held(2)
            order.append("second holds")

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)  # room for the second to take the permit, were it free
    order.append("first done")
    first.__exit__(None, None, None)
    thread.join(10)
    assert order == ["first done", "second holds"]
    assert gate.acquire(blocking=False)  # both gave it back


def test_a_generator_closed_early_gives_the_permit_back() -> None:
    gate = threading.Semaphore(1)

    def records():
        with WindowHold(0, gate) as hold:
            hold.held()
            yield 1
            yield 2

    reading = records()
    assert next(reading) == 1
    assert not gate.acquire(blocking=False)  # held while the window's records are emitted
    reading.close()
    assert gate.acquire(blocking=False)


def test_a_confluent_window_beyond_one_page_holds_the_permit_while_its_lines_are_emitted(
    http, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_NOW_ENV, "2026-11-24T10:30:00Z")
    gate = CountingGate()
    monkeypatch.setattr(held_windows, "LARGE_WINDOWS", gate)
    monkeypatch.setattr(confluent_provider, "LARGE_WINDOW_ROWS", 1)  # the two-page window is "large"
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    assert not output.errors
    assert len(records_of(output, "usage")) == 7
    assert gate.acquired == gate.released == 1  # the one window with rows; the empty ones never asked
