"""End-to-end fixtures: one emulator per module, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration_tests.emulator import Emulator, Scenario


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """A small two-month data set, served over real HTTP on loopback."""
    with Emulator(scenario=Scenario(months=2, seed=7)) as emu:
        yield emu
