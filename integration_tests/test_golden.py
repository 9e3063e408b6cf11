"""The redesign guard: spec, discover and a pinned emulator read print exactly what the golden files hold."""

from __future__ import annotations

import pytest

from integration_tests.golden import GOLDEN, produce


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
