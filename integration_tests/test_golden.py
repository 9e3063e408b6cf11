"""The redesign guard: spec, discover and a pinned emulator read print exactly what the golden files hold."""

from __future__ import annotations

import pytest

from integration_tests.golden import GOLDEN, concurrent_reads, final_states, produce


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    return produce()


@pytest.mark.parametrize(
    "name",
    [
        "spec.jsonl",
        "catalog.jsonl",
        "read1_ids.txt",
        "read1_states.jsonl",
        "read1_records.sha256",
        "read2_ids.txt",
        "read2_states.jsonl",
        "read2_records.sha256",
    ],
)
def test_output_is_byte_identical_to_the_golden_file(fresh: dict[str, str], name: str) -> None:
    assert fresh[name] == (GOLDEN / name).read_text(), f"{name} changed: rerun with care"


def test_eight_workers_read_the_same_records_and_end_in_the_same_state() -> None:
    """Concurrency changes the order of records, never which records or where each cursor ends."""
    for number, summary in enumerate(concurrent_reads(8), start=1):
        golden = {name: (GOLDEN / f"read{number}_{name}").read_text() for name in summary}
        assert summary["records.sha256"].splitlines()[1] == golden["records.sha256"].splitlines()[1]
        assert sorted(summary["ids.txt"].splitlines()[:-1]) == sorted(golden["ids.txt"].splitlines()[:-1])
        assert final_states(summary["states.jsonl"]) == final_states(golden["states.jsonl"])
