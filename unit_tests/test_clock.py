"""The one clock: the test hook pins it, and no test reads the machine's clock."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from source_usage_metering import clock
from unit_tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[1]


def test_every_unit_test_runs_at_the_fixed_instant() -> None:
    assert clock.utc_now() == NOW == datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)


def test_the_pinned_instant_is_read_as_utc_whatever_offset_it_is_written_with(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.TEST_NOW_ENV, "2027-01-01T01:30:00+02:00")
    assert clock.utc_now() == datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)
    monkeypatch.setenv(clock.TEST_NOW_ENV, "2027-01-01T00:00:00")
    with pytest.raises(ValueError, match="UTC offset"):
        clock.utc_now()


def test_pinned_env_writes_the_instant_in_utc_with_a_z() -> None:
    moment = datetime(2026, 12, 16, 7, 5, 9, tzinfo=timezone(timedelta(hours=1)))
    assert clock.pinned_env(moment) == {"USAGE_METERING_TEST_NOW": "2026-12-16T06:05:09Z"}


def test_without_the_hook_the_clock_is_the_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.TEST_NOW_ENV)
    monkeypatch.setattr(clock, "datetime", FrozenDatetime)
    assert clock.utc_now() == FrozenDatetime.MOMENT


class FrozenDatetime(datetime):
    MOMENT = datetime(2031, 5, 6, 7, 8, tzinfo=timezone.utc)

    @classmethod
    def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
        return cls.MOMENT


CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"), ("pendulum", "now")}


def clock_reads(tree: ast.AST) -> list[str]:
    """Calls that read the machine's clock, and emulators started without a fixed `today`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            (func.value.id, func.attr) if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else None
        )
        if name in CLOCK_READS:
            found.append(f"line {node.lineno}: {name[0]}.{name[1]}()")
        if isinstance(func, ast.Name) and func.id == "Emulator" and "today" not in {k.arg for k in node.keywords}:
            found.append(f"line {node.lineno}: Emulator() without today")
    return found


def test_no_test_reads_the_machines_clock_or_starts_an_emulator_on_the_real_date() -> None:
    offenders = []
    for path in sorted([*ROOT.glob("unit_tests/**/*.py"), *ROOT.glob("integration_tests/test_*.py")]):
        if path.resolve() != Path(__file__).resolve():
            offenders += [f"{path.relative_to(ROOT)} {where}" for where in clock_reads(ast.parse(path.read_text()))]
    assert offenders == []


def test_the_guard_sees_a_clock_read_and_an_emulator_on_the_real_date() -> None:
    source = "now = datetime.now()\nwith Emulator(scenario=Scenario(months=1)) as e:\n    pass\n"
    assert clock_reads(ast.parse(source)) == ["line 1: datetime.now()", "line 2: Emulator() without today"]
