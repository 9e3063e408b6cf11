"""End-to-end fixtures: one emulator per module on 127.0.0.1, and one clock for it and every connector process.

A module runs on a fixed emulated date (`today`, E2E_TODAY unless the module overrides the fixture, possibly with
params); every process it starts inherits `USAGE_METERING_TEST_NOW` pinned to that date, so neither side reads the
machine's clock and a module running across 00:00 UTC sees the same day throughout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime

import pytest

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import E2E_TODAY, connector_now
from source_usage_metering.clock import pinned_env


@pytest.fixture(scope="module")
def today() -> date:
    """The module's emulated UTC date (override it in a module to run on other dates)."""
    return E2E_TODAY


@pytest.fixture(scope="module", autouse=True)
def pinned_clock(today: date) -> Iterator[datetime]:
    """Pin the clock of every connector process the module starts to its emulated today (the env is inherited)."""
    moment = connector_now(today)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in pinned_env(moment).items():
            patch.setenv(name, value)
        yield moment


@pytest.fixture(scope="module")
def emulator(today: date) -> Iterator[Emulator]:
    """A small two-month data set on the module's today, served over real HTTP on loopback."""
    with Emulator(scenario=Scenario(months=2, seed=7), today=today) as emu:
        yield emu


def under_libfaketime() -> bool:
    """Whether this process runs under libfaketime (`scripts/test_clocks`): its timed waits never expire."""
    return "faketime" in os.environ.get("LD_PRELOAD", "") or "FAKETIME" in os.environ


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under libfaketime, skip the tests whose subject is a timed wait expiring.

    A Timer or `Event.wait(timeout)` never ends there, so a watchdog or deadline never fires; these tests run in
    every other run of the suite.
    """
    if not under_libfaketime():
        return
    skip = pytest.mark.skip(reason="libfaketime: timed waits never expire (scripts/test_clocks)")
    for item in items:
        if item.get_closest_marker("timed_waits"):
            item.add_marker(skip)
