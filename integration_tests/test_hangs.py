"""Every wait and paging loop is bounded, on both providers (issue 13): the emulator behind a rewriting proxy.

The scenarios live in `hang_report.py`, which also prints the published table (docs/reliability.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from integration_tests.emulator import Emulator
from integration_tests.fault_report import SCENARIO
from integration_tests.hang_report import HANGS, TODAY, Hang, HangLab
from integration_tests.rewriting_proxy import RewritingProxy

LABELS = {"confluent": "accounts[0] (confluent: acme-confluent)", "datadog": "accounts[1] (datadog: acme-datadog)"}
# What the failing account's error says after its endpoint, and how many requests the failing window took.
EXPECTED = {
    "Pacing: Confluent": ("transient error: pacing: the rate-limit window", r"asks to wait 8640[01] s more", 0),
    "Pacing: Datadog": ("transient error: pacing: the rate-limit window", r"asks to wait 8640[01] s more", 0),
    "429 with `Retry-After: 86400`": ("transient error: rate limited (429)", r"asks to wait 8640[01] s more", 1),
    "Paging cycles A -> B -> A on Confluent": (
        "provider error: the provider repeated a page token after 3 pages",
        "",
        3,
    ),
    "Paging cycles A -> B -> A on Datadog": ("provider error: the provider repeated a page token after 3 pages", "", 3),
    "Paging never ends": ("provider error: the window took more than 100 pages", "", 100),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HangLab]:
    with Emulator(scenario=SCENARIO, today=TODAY) as emulator, RewritingProxy(emulator.base_url) as proxy:
        yield HangLab(emulator, proxy, tmp_path_factory.mktemp("hangs"))


def expected_for(hang: Hang) -> tuple[str, str, int]:
    return next(value for prefix, value in EXPECTED.items() if hang.name.startswith(prefix))


@pytest.mark.parametrize("hang", [h for h in HANGS if h.failing], ids=lambda h: h.name.split(":")[0][:40])
def test_given_a_hang_then_the_account_fails_at_once_naming_the_endpoint_with_its_cursor_held(
    lab: HangLab, hang: Hang
) -> None:
    outcome = lab.outcome(hang)
    says, wait_text, window_requests = expected_for(hang)
    assert outcome.run.returncode != 0
    assert outcome.failure().startswith(f"{LABELS[hang.failing]}: {hang.endpoint}: {says}"), outcome.failure()
    assert re.search(wait_text, outcome.failure())
    assert outcome.window_requests == window_requests
    for kind, cursor in hang.held_at.items():
        assert outcome.cursors[kind] == cursor  # the completed windows are kept, the failed one is read next time
    other = "datadog" if hang.failing == "confluent" else "confluent"
    assert other not in outcome.failure()
    assert any(r["provider"] == other for r in outcome.run.records("usage"))  # the other account is read
    assert outcome.longest_wait == 0.0  # nothing waited for a wait that could not fit
    assert outcome.seconds < 60


@pytest.mark.parametrize("hang", [h for h in HANGS if not h.failing], ids=lambda h: h.name.split(":")[0][:40])
def test_given_headers_that_are_absurd_or_fit_then_the_read_completes(lab: HangLab, hang: Hang) -> None:
    outcome = lab.outcome(hang)
    assert outcome.run.returncode == 0, outcome.run.stderr[-2000:]
    assert len(outcome.run.records("usage")) == outcome.baseline_records
    assert outcome.longest_wait <= 3.0  # Retry-After 2 plus jitter; absurd values are not waited for at all
    if hang.name.startswith("429 with `Retry-After: 2`"):
        assert outcome.longest_wait >= 2.0
        assert outcome.window_requests == 3


def test_paging_a_cycle_holds_no_more_memory_than_a_clean_read(lab: HangLab) -> None:
    cycle = next(h for h in HANGS if h.name.startswith("Paging cycles A -> B -> A on Confluent"))
    clean = next(h for h in HANGS if h.name.startswith("Epoch-looking"))
    cycled, baseline = lab.outcome(cycle), lab.outcome(clean)
    assert cycled.peak_rss_mb < baseline.peak_rss_mb + 20
