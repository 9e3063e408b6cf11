"""The README works exactly as written (issue 14): every fenced block of README.md is run or consciously exempted.

Every block is in `RUN` (the tests that run or check it) or in `EXEMPT` (why it cannot run here), keyed by its first
non-empty line; a block in neither, or a table entry that matches no block, fails the fast test. The fast tests run
the console-script and state blocks against the emulator and check the JSON examples against what a read prints.
The slow tests (`-m slow`) copy the clone's files to a temporary directory and run the set-up blocks there as a new
user would: `./scripts/demo` (a fresh .venv from PyPI), the Custom Costs snippet on the demo's CSV, the
console-script block with its `pip install .`, the Singer block and the PyAirbyte block.

A block runs as written except for the substitutions in the table below (`Substitution.why` says why) and the files
the README tells the user to provide; a substitution whose text is no longer in the block fails, so a README edit is
never silently left untested. Everything runs on the
pinned clock: the conftest pins every process's `USAGE_METERING_TEST_NOW` to `connector_now(E2E_TODAY)`, and the
emulator's today is E2E_TODAY (the demo's emulator takes its today from that same clock).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import E2E_TODAY, STREAMS, console_script, parse_messages
from integration_tests.readme_blocks import Block, Ran, Substitution, clean_env, fenced_blocks, run_bash, shell_commands
from integration_tests.readme_blocks import substituted as apply_all
from integration_tests.singer_tools import looks_offline, tool_bin_dirs
from source_usage_metering.focus.csv_export import focus_csv
from source_usage_metering.spec import spec_document
from source_usage_metering.state import read_state_text
from source_usage_metering.streams import CURSOR_FIELDS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CENT = Decimal("0.01")
LOOKBACK = {"confluent": timedelta(days=5), "hourly": timedelta(days=3)}  # the providers' default lookbacks

# The blocks' first lines (the tables' keys).
SET_UP = "./scripts/demo     # the main job: a full sync against the local provider emulator, with a summary"
STATE_EXAMPLE = '[{"type": "STREAM", "stream": {"stream_descriptor": {"name": "usage"}, "stream_state": {"states": ['
STATE_GREP = "grep '\"STATE\"' out.jsonl > state.json"
FOCUS_ROW = "{"
CUSTOM_COSTS = "import csv"
CONSOLE = "pip install ."
DOCKER = "docker build -t airbyte/source-usage-metering:dev ."
PYAIRBYTE_SET_UP = "python3 -m venv .venv-pyairbyte"
PYAIRBYTE_SNIPPET = "import json, os, sys"
SINGER = "tap-usage-metering --config config.json --discover > catalog.json"
TREE = (
    "source_usage_metering/   source.py (the concurrent read), entrypoint.py, run.py, config.py, spec.py + spec.yaml,"
)


@dataclass(frozen=True)
class Runner:
    """How a block is run or checked: the tests that do it, and what they do."""

    tests: tuple[str, ...]
    how: str


RUN: dict[str, Runner] = {
    SET_UP: Runner(
        ("test_slow_demo_block_runs_in_a_fresh_copy_of_the_clone",),
        "slow: `./scripts/demo` in a fresh copy (creates .venv from PyPI); `./scripts/test` is not run (SKIPPED)",
    ),
    STATE_EXAMPLE: Runner(
        ("test_the_state_example_is_read_by_the_state_reader_and_has_a_real_states_shape",),
        "fast: the state reader accepts it, and its partition and cursor have the keys of a real read's state",
    ),
    STATE_GREP: Runner(
        ("test_the_state_file_built_by_the_readme_resumes_a_read_with_only_the_lookback",),
        "fast: run on a real read's output; `read --state state.json` takes the file and reads the lookback only",
    ),
    FOCUS_ROW: Runner(
        (
            "test_the_focus_row_example_is_a_row_of_a_read_of_the_demos_data_set",
            "test_slow_demo_block_runs_in_a_fresh_copy_of_the_clone",
        ),
        "fast: equals a focus_cost row of a read of the demo's data set, as CSV cells; slow: the demo's CSV row",
    ),
    CUSTOM_COSTS: Runner(
        (
            "test_slow_custom_costs_snippet_writes_final_months_from_the_demos_csv",
            "test_slow_custom_costs_snippet_leaves_out_an_estimated_month",
        ),
        "slow: runs on the demo's demo-output/focus_cost.csv; the files hold the six columns and final rows only",
    ),
    CONSOLE: Runner(
        (
            "test_the_console_script_block_runs_against_the_emulator",
            "test_slow_console_script_block_installs_and_runs_in_a_venv_of_its_own",
        ),
        "fast: spec, check, discover, read (and read --state) without `pip install .`; slow: all of it, in a venv",
    ),
    PYAIRBYTE_SET_UP: Runner(
        ("test_slow_pyairbyte_blocks_read_every_cost_line_into_duckdb",),
        "slow: makes .venv-pyairbyte, installs the pinned PyAirbyte and the clone, runs the snippet below",
    ),
    PYAIRBYTE_SNIPPET: Runner(
        ("test_slow_pyairbyte_blocks_read_every_cost_line_into_duckdb",),
        "slow: saved as pyairbyte_example.py and run by the block above; its cost per provider is the emulator's",
    ),
    SINGER: Runner(
        ("test_slow_singer_block_pipes_the_tap_into_target_jsonl_and_resumes",),
        "slow: with target-jsonl on PATH (.venv-tools), no state; then with the first's new state: the lookback only",
    ),
}
EXEMPT: dict[str, str] = {
    DOCKER: (
        "needs a docker daemon: scripts/docker_e2e.sh builds the image and runs spec, check, discover, read and "
        "read --state against the emulator (CI, with CI=true)"
    ),
    TREE: "the Development section's directory tree: an illustration, not a command",
}
SKIPPED_COMMANDS: dict[str, str] = {
    "./scripts/test": "the test suite itself: running it from a test would recurse (CI runs it through .ci/run)",
}

# --- Substitutions: what text of a block is replaced by what, and why. ---
NO_INSTALL = Substitution(
    "pip install .\n",
    "",
    "the fast test runs the connector installed in the test's own venv; installing into it would change the "
    "developer's venv (the slow test runs this line in a venv of its own)",
)
FIRST_READ = Substitution("[--state state.json]", "", "optional (in brackets): a first sync has no state file yet")
RESUME = Substitution("[--state state.json]", "--state state.json", "the optional flag, given: the next sync")
OWN_VENV = Substitution(
    "pip install .\n",
    "source .venv/bin/activate\npip install .\n",
    "'in a virtual environment of your own': the one ./scripts/demo made in the copy",
)
PINNED_TODAY = Substitution(
    "date.today()",
    f"date.fromisoformat({E2E_TODAY.isoformat()!r})",
    "the machine's clock -> the pinned today the demo's data is dated from (no test reads the machine's clock)",
)


# --- The README's blocks ---


class Blocks(dict):
    """README.md's fenced blocks by first line; a missing one fails with a pointer to the classification test."""

    def __missing__(self, first_line: str) -> Block:
        pytest.fail(f"no README block starts with {first_line!r} (see test_every_readme_block_is_run_or_exempted...)")


@pytest.fixture(scope="module")
def blocks() -> dict[str, Block]:
    """README.md's fenced blocks by first line."""
    return Blocks((block.first_line, block) for block in fenced_blocks(README.read_text()))


def unclassified(found: list[Block]) -> list[str]:
    """Problems of the classification: blocks in no table, in both, sharing a first line; stale entries."""
    problems = []
    firsts = [block.first_line for block in found]
    for block in found:
        if block.first_line not in RUN and block.first_line not in EXEMPT:
            problems.append(
                f"README.md line {block.line}: a new {block.language or 'plain'} block {block.first_line[:80]!r} is "
                "neither run nor exempted: add its first line to RUN in integration_tests/test_readme.py (and a "
                "test that runs it) or to EXEMPT with the reason it cannot run"
            )
        if firsts.count(block.first_line) > 1:
            problems.append(f"README.md line {block.line}: two blocks start with {block.first_line!r}: tell them apart")
    problems += [f"{key[:80]!r} is in both RUN and EXEMPT" for key in RUN.keys() & EXEMPT.keys()]
    stale = [key for key in [*RUN, *EXEMPT] if key not in firsts]
    problems += [f"stale entry: no README block starts with {key[:80]!r}" for key in stale]
    return problems


def test_every_readme_block_is_run_or_exempted_with_a_reason() -> None:
    found = fenced_blocks(README.read_text())
    assert len(found) >= 10
    assert unclassified(found) == []
    assert all(reason.strip() for reason in EXEMPT.values())
    missing = [name for runner in RUN.values() for name in runner.tests if not callable(globals().get(name))]
    assert missing == [], "RUN names tests that do not exist"
    set_up = next(block for block in found if block.first_line == SET_UP)
    assert set(SKIPPED_COMMANDS) <= {command.split()[0] for command in shell_commands(set_up.text)}, "stale skip"


def test_the_classification_fails_on_a_new_block_and_on_a_stale_entry() -> None:
    known = [Block("bash", key, key + "\n", line) for line, key in enumerate([*RUN, *EXEMPT], start=1)]
    assert unclassified(known) == []
    extra = fenced_blocks("text\n\n```bash\n\nmake install   # new\n```\n")
    assert extra == [Block("bash", "make install   # new", "\nmake install   # new\n", 3)]
    [problem] = unclassified([*known, *extra])
    assert "'make install   # new' is neither run nor exempted" in problem
    without_docker = [block for block in known if block.first_line != DOCKER]
    assert unclassified(without_docker) == [f"stale entry: no README block starts with {DOCKER!r}"]
    assert len(unclassified([*known, known[0]])) == 2  # two blocks with one first line: both named


def test_the_parser_reads_fences_as_commonmark_does() -> None:
    text = "a\n~~~~python title\nx = 1\n```\n~~~~\n  ```\n  indented\n     deeper\n  ```\n````md\n```\n````\n"
    assert fenced_blocks(text) == [
        Block("python", "x = 1", "x = 1\n```\n", 2),
        Block("", "indented", "indented\n   deeper\n", 6),
        Block("md", "```", "```\n", 10),
    ]
    assert shell_commands("# c\na \\\n  b\n\nc  # note\n") == ["a b", "c  # note"]
    with pytest.raises(ValueError, match="line 1"):
        fenced_blocks("```bash\nnever closed\n")


# --- Fast: the console-script and state blocks against the emulator ---


def readme_config(emulator: Emulator) -> dict[str, Any]:
    """The config a user writes to secrets/config.json: the emulator's accounts, two days of Datadog hourly usage."""
    creds = emulator.credentials
    datadog = {**creds["datadog_parent"], "hourly_usage_days": 2}
    return {"accounts": [creds["confluent_org_a"], datadog], "include_remote_data": True}


def write_user_files(workdir: Path, config: dict[str, Any]) -> None:
    """What the README tells the user to provide: secrets/config.json; and the clone's configured catalog."""
    jsonschema.validate(config, spec_document()["connectionSpecification"])
    (workdir / "secrets").mkdir(parents=True, exist_ok=True)
    (workdir / "secrets" / "config.json").write_text(json.dumps(config, indent=2))
    catalog = workdir / "integration_tests" / "configured_catalog.json"
    if not catalog.exists():
        catalog.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "integration_tests" / "configured_catalog.json", catalog)


@dataclass
class ConsoleRuns:
    """The console-script block's commands, the state block, and the resumed read, run in one directory."""

    workdir: Path
    runs: dict[str, Ran]
    first: list[dict[str, Any]]
    resumed: list[dict[str, Any]]


def console_commands(text: str) -> dict[str, str]:
    """The block's commands by their second word (spec, check, discover, read)."""
    return {command.split()[1]: command for command in shell_commands(text)}


@pytest.fixture(scope="module")
def console(emulator: Emulator, blocks: dict[str, Block], tmp_path_factory: pytest.TempPathFactory) -> ConsoleRuns:
    """Run the console-script block's commands, then the state block on the read's output, then the resumed read."""
    workdir = tmp_path_factory.mktemp("console")
    write_user_files(workdir, readme_config(emulator))
    env = {**os.environ, "PATH": f"{Path(console_script()).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    first = console_commands(apply_all(blocks[CONSOLE].text, [NO_INSTALL, FIRST_READ]))
    assert list(first) == ["spec", "check", "discover", "read"]
    runs = {name: run_bash(command, workdir, env=env) for name, command in first.items() if name != "read"}
    runs["read"] = run_bash(first["read"], workdir, env=env, stdout=workdir / "out.jsonl")  # "a read's output"
    runs["grep"] = run_bash(blocks[STATE_GREP].text, workdir, env=env)
    resume = console_commands(apply_all(blocks[CONSOLE].text, [NO_INSTALL, RESUME]))["read"]
    runs["resume"] = run_bash(resume, workdir, env=env)
    return ConsoleRuns(workdir, runs, parse_messages(runs["read"].stdout), parse_messages(runs["resume"].stdout))


def of_type(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [message for message in messages if message.get("type") == kind]


def records(messages: list[dict[str, Any]], stream: str) -> list[dict[str, Any]]:
    return [m["record"]["data"] for m in of_type(messages, "RECORD") if m["record"]["stream"] == stream]


def test_the_console_script_block_runs_against_the_emulator(console: ConsoleRuns) -> None:
    for name in ("spec", "check", "discover", "read", "resume"):
        assert console.runs[name].returncode == 0, console.runs[name].tail()
    [spec] = of_type(parse_messages(console.runs["spec"].stdout), "SPEC")
    assert spec["spec"]["connectionSpecification"] == spec_document()["connectionSpecification"]
    [status] = of_type(parse_messages(console.runs["check"].stdout), "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "SUCCEEDED"
    [catalog] = of_type(parse_messages(console.runs["discover"].stdout), "CATALOG")
    assert sorted(stream["name"] for stream in catalog["catalog"]["streams"]) == sorted(STREAMS)
    assert all(records(console.first, stream) for stream in STREAMS)
    states = {m["state"]["stream"]["stream_descriptor"]["name"] for m in of_type(console.first, "STATE")}
    assert states == set(STREAMS)


def usage_entries(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The per-account entries of the newest usage state among Airbyte STATE payloads (`message["state"]`)."""
    usage = [state["stream"] for state in states if state["stream"]["stream_descriptor"]["name"] == "usage"]
    return usage[-1]["stream_state"]["states"]


def states_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message["state"] for message in of_type(messages, "STATE")]


def usage_cursors(states: list[dict[str, Any]]) -> dict[tuple[str, str | None], datetime]:
    """(provider, kind) -> the usage stream's newest cursor (one account per provider)."""
    return {
        (e["partition"]["provider"], e["partition"].get("kind")): datetime.fromisoformat(
            e["cursor"]["end_date"].replace("Z", "+00:00")
        )
        for e in usage_entries(states)
    }


def partition_of(record: dict[str, Any]) -> tuple[str, str | None]:
    if record["provider"] == "confluent":
        return ("confluent", None)
    return ("datadog", "hourly" if "|hourly|" in record["id"] else "cost")


def starts_at(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["start_date"].replace("Z", "+00:00"))


def test_the_state_file_built_by_the_readme_resumes_a_read_with_only_the_lookback(console: ConsoleRuns) -> None:
    assert console.runs["grep"].returncode == 0, console.runs["grep"].tail()
    state_lines = (console.workdir / "state.json").read_text().splitlines()
    assert len(state_lines) == len(of_type(console.first, "STATE")) > 0
    assert all(json.loads(line)["type"] == "STATE" for line in state_lines)
    assert console.runs["resume"].returncode == 0, console.runs["resume"].tail()
    saved = usage_cursors(states_of(console.first))
    assert set(saved) == {("confluent", None), ("datadog", "hourly"), ("datadog", "cost")}
    first, resumed = records(console.first, "usage"), records(console.resumed, "usage")
    for key in (("confluent", None), ("datadog", "hourly")):
        floor = saved[key] - LOOKBACK[key[1] or key[0]]
        again = [r for r in resumed if partition_of(r) == key]
        assert again, key
        assert min(starts_at(r) for r in again) >= floor, key  # the lookback window, nothing older
        since_floor = {r["id"] for r in first if partition_of(r) == key and starts_at(r) >= floor}
        assert since_floor <= {r["id"] for r in again}, key  # and nothing missing
    confluent = [{r["id"] for r in run if r["provider"] == "confluent"} for run in (first, resumed)]
    assert confluent[1] < confluent[0]  # not a full re-read
    assert usage_cursors(states_of(console.resumed)) == saved


def test_the_state_example_is_read_by_the_state_reader_and_has_a_real_states_shape(
    console: ConsoleRuns, blocks: dict[str, Block]
) -> None:
    [message] = read_state_text(blocks[STATE_EXAMPLE].text, CURSOR_FIELDS)
    assert message["stream"]["stream_descriptor"] == {"name": "usage"}
    [example] = message["stream"]["stream_state"]["states"]
    [real] = [e for e in usage_entries(states_of(console.first)) if e["partition"]["provider"] == "confluent"]
    assert set(example["partition"]) == set(real["partition"])
    assert set(example["cursor"]) == set(real["cursor"]) == {CURSOR_FIELDS["usage"]}


def csv_cells(row: dict[str, Any]) -> dict[str, str]:
    """A focus_cost record as the demo's CSV writes it, empty cells left out."""
    [cells] = list(csv.DictReader(io.StringIO(focus_csv([row]))))
    return {name: value for name, value in cells.items() if value != ""}


def test_the_focus_row_example_is_a_row_of_a_read_of_the_demos_data_set(
    console: ConsoleRuns, blocks: dict[str, Block]
) -> None:
    example = json.loads(blocks[FOCUS_ROW].text)
    rows = {row["x_ChargeId"]: row for row in records(console.first, "focus_cost")}
    assert example["x_ChargeId"] in rows, "the README's FOCUS row is not in a read of the demo's data set"
    assert example == csv_cells(rows[example["x_ChargeId"]])


# --- Slow: the set-up blocks in a fresh copy of the clone, as a new user runs them ---
# Files the README tells the user to provide: secrets/config.json and config.json (the emulator's accounts, the same
# config); for the Singer block's second sync, state.json (the first sync's new_state.json). No other change than the
# substitutions above; the environment drops PYTHONPATH and VIRTUAL_ENV (they would import the checkout
# under test instead of the copy) and adds DO_NOT_TRACK=1 (PyAirbyte's telemetry stays off: nothing leaves loopback).


def tracked_files(root: Path) -> list[str]:
    """The clone's files: tracked ones plus new ones not ignored, as they are in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the clone's files (no .venv, no .venv-tools, no demo-output): what a fresh clone holds."""
    copy = tmp_path_factory.mktemp("clone")
    for name in tracked_files(ROOT):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    assert not (copy / ".venv").exists()
    return copy


def user_env(path_first: Path | None = None) -> dict[str, str]:
    """A new user's environment (see above), with `path_first` at the front of PATH."""
    env = clean_env(DO_NOT_TRACK="1")
    env.pop("AIRBYTE_CACHE_ROOT", None)
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    return env


def set_up_commands(block: Block) -> list[str]:
    """The set-up block's commands that run here: all but those of SKIPPED_COMMANDS."""
    return [command for command in shell_commands(block.text) if command.split()[0] not in SKIPPED_COMMANDS]


def skip_if_offline(ran: Ran, what: str) -> None:
    """Skip (not fail) when an install could not reach the package index."""
    if ran.returncode != 0 and looks_offline(ran.stdout + ran.stderr):
        pytest.skip(f"PyPI is unreachable, {what} cannot install: {ran.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def demo(clone: Path, blocks: dict[str, Block]) -> Ran:
    """`./scripts/demo` as the README's set-up block runs it, in the fresh copy (it creates .venv from PyPI)."""
    ran = run_bash("\n".join(set_up_commands(blocks[SET_UP])), clone, env=user_env(), timeout=900)
    skip_if_offline(ran, "./scripts/demo")
    return ran


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as rows:
        return list(csv.DictReader(rows))


def run_custom_costs(clone: Path, block: Block, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The Custom Costs snippet, on the pinned today, with the copy's python in `cwd` (it reads demo-output/)."""
    return subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-"], input=PINNED_TODAY.apply(block.text), cwd=cwd,
        env=user_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_slow_demo_block_runs_in_a_fresh_copy_of_the_clone(
    demo: Ran, clone: Path, blocks: dict[str, Block], emulator: Emulator
) -> None:
    assert demo.returncode == 0, demo.tail()
    assert (clone / ".venv" / "bin" / "source-usage-metering").exists()
    assert re.search(r"Emulator on http://127\.0\.0\.1:\d+ ", demo.stdout)
    out = clone / "demo-output"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["returncode"] == 0
    assert all(summary["records"][stream] > 0 for stream in STREAMS), summary["records"]
    # The module's emulator serves the demo's data set (the small preset, 2 months, seed 7) on the same today.
    assert emulator.scenario == Scenario.preset("small", months=2, seed=7)
    for provider in ("confluent", "datadog"):
        demo_cost = Decimal(summary["cost_per_provider"][f"{provider} USD"])
        assert abs(demo_cost - Decimal(str(emulator.truth(provider)["total"]))) <= CENT, provider
    assert (out / "cost_overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "read_output.jsonl").stat().st_size > 0
    cursors = usage_cursors(json.loads((out / "state.json").read_text()))
    assert cursors[("confluent", None)].date() == E2E_TODAY  # the demo ran on the pinned clock, emulator included
    example = json.loads(blocks[FOCUS_ROW].text)  # "from the demo's demo-output/focus_cost.csv"
    rows = {row["x_ChargeId"]: row for row in csv_rows(out / "focus_cost.csv")}
    assert {name: value for name, value in rows[example["x_ChargeId"]].items() if value != ""} == example


@pytest.mark.slow
def test_slow_custom_costs_snippet_writes_final_months_from_the_demos_csv(
    demo: Ran, clone: Path, blocks: dict[str, Block]
) -> None:
    assert demo.returncode == 0, demo.tail()
    ran = run_custom_costs(clone, blocks[CUSTOM_COSTS], clone)
    assert ran.returncode == 0, ran.stderr[-3000:]
    source = csv_rows(clone / "demo-output" / "focus_cost.csv")
    october = [row for row in source if row["BillingPeriodStart"].startswith("2026-10")]
    assert {row["x_CostStatus"] for row in october if row["x_Provider"] == "datadog"} == {"final"}  # since 16 Nov
    assert any(row["x_CostStatus"] == "estimated" for row in source)  # November's Datadog estimate: never uploaded
    files = sorted((clone / "demo-output").glob("custom_costs_*.csv"))
    assert [path.name for path in files] == ["custom_costs_2026-10.csv"]  # closed on E2E_TODAY: October only
    written = csv_rows(files[0])
    assert ran.stdout.strip() == f"demo-output/custom_costs_2026-10.csv: {len(written)} rows"
    assert files[0].read_text().splitlines()[0].split(",") == [
        "ProviderName", "ChargeDescription", "ChargePeriodStart", "ChargePeriodEnd", "BilledCost", "BillingCurrency",
    ]  # fmt: skip
    assert len(written) == len(october) > 0
    assert all(value != "" for row in written for value in row.values())
    assert sorted(Decimal(row["BilledCost"]) for row in written) == sorted(Decimal(r["BilledCost"]) for r in october)
    assert {row["ProviderName"] for row in written} == {"Confluent", "Datadog"}
    for row in written:  # inclusive ends: a Confluent day ends that day, a Datadog month on its last day
        end = row["ChargePeriodStart"] if row["ProviderName"] == "Confluent" else "2026-10-31"
        assert row["ChargePeriodEnd"] == end, row
        assert row["ChargePeriodStart"].startswith("2026-10-"), row


@pytest.mark.slow
def test_slow_custom_costs_snippet_leaves_out_an_estimated_month(
    demo: Ran, clone: Path, blocks: dict[str, Block], tmp_path: Path
) -> None:
    """The demo's CSV as a read before 16 November shows it: Datadog's October still estimated, so not uploaded."""
    assert demo.returncode == 0, demo.tail()
    source = csv_rows(clone / "demo-output" / "focus_cost.csv")
    for row in source:
        if row["x_Provider"] == "datadog" and row["BillingPeriodStart"].startswith("2026-10"):
            row["x_CostStatus"] = "estimated"
    (tmp_path / "demo-output").mkdir()
    with (tmp_path / "demo-output" / "focus_cost.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, list(source[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(source)
    ran = run_custom_costs(clone, blocks[CUSTOM_COSTS], tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    written = csv_rows(tmp_path / "demo-output" / "custom_costs_2026-10.csv")
    confluent = [r for r in source if r["x_Provider"] == "confluent" and r["BillingPeriodStart"].startswith("2026-10")]
    assert {row["ProviderName"] for row in written} == {"Confluent"}
    assert len(written) == len(confluent) > 0


@pytest.mark.slow
def test_slow_console_script_block_installs_and_runs_in_a_venv_of_its_own(
    demo: Ran, clone: Path, blocks: dict[str, Block], emulator: Emulator
) -> None:
    assert demo.returncode == 0, demo.tail()
    write_user_files(clone, readme_config(emulator))
    ran = run_bash(apply_all(blocks[CONSOLE].text, [OWN_VENV, FIRST_READ]), clone, env=user_env(), timeout=600)
    skip_if_offline(ran, "pip install .")
    assert ran.returncode == 0, ran.tail()
    assert "Successfully installed airbyte-source-usage-metering" in ran.stdout
    messages = parse_messages(ran.stdout)
    assert [m["type"] for m in messages if m["type"] in ("SPEC", "CONNECTION_STATUS", "CATALOG")] == [
        "SPEC", "CONNECTION_STATUS", "CATALOG",
    ]  # fmt: skip
    assert of_type(messages, "CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    assert all(records(messages, stream) for stream in STREAMS)
    assert {m["state"]["stream"]["stream_descriptor"]["name"] for m in of_type(messages, "STATE")} == set(STREAMS)


def singer_sync(clone: Path, script: str, path_first: Path, into: str) -> tuple[Ran, dict[str, list[dict]]]:
    """Run the Singer block in the copy; move target-jsonl's files into `into/`; (the run, records per stream)."""
    ran = run_bash(script, clone, env=user_env(path_first), timeout=600)
    (clone / into).mkdir()
    loaded: dict[str, list[dict]] = {}
    for path in sorted(clone.glob("*-*.jsonl")):
        stream = path.name.rsplit("-", 1)[0]
        loaded[stream] = [json.loads(line) for line in path.read_text().splitlines()]
        path.rename(clone / into / path.name)
    return ran, loaded


@pytest.mark.slow
def test_slow_singer_block_pipes_the_tap_into_target_jsonl_and_resumes(
    demo: Ran, clone: Path, blocks: dict[str, Block], emulator: Emulator
) -> None:
    assert demo.returncode == 0, demo.tail()
    target = tool_bin_dirs("target-jsonl")["target-jsonl"]
    (clone / "config.json").write_text(json.dumps(readme_config(emulator)))
    path = f"{clone / '.venv' / 'bin'}{os.pathsep}{target}"
    first, loaded = singer_sync(clone, FIRST_READ.apply(blocks[SINGER].text), Path(path), "first-sync")
    assert first.returncode == 0, first.tail()
    catalog = json.loads((clone / "catalog.json").read_text())
    assert sorted(entry["stream"] for entry in catalog["streams"]) == sorted(STREAMS)
    assert sorted(loaded) == sorted(STREAMS)
    assert all(loaded.values())
    bookmarks = json.loads((clone / "new_state.json").read_text().splitlines()[-1])["bookmarks"]
    assert set(bookmarks) == set(STREAMS)
    shutil.copy(clone / "new_state.json", clone / "state.json")  # the next sync starts from this one's state
    again, reloaded = singer_sync(clone, RESUME.apply(blocks[SINGER].text), Path(path), "second-sync")
    assert again.returncode == 0, again.tail()
    confluent = [{r["id"] for r in run["usage"] if r["provider"] == "confluent"} for run in (loaded, reloaded)]
    assert set() < confluent[1] < confluent[0]  # the lookback window, not a full re-read


TOTAL_LINE = re.compile(r"^(confluent|datadog)\s+(-?\d+(?:\.\d+)?)$", re.MULTILINE)


@pytest.mark.slow
def test_slow_pyairbyte_blocks_read_every_cost_line_into_duckdb(
    clone: Path, blocks: dict[str, Block], emulator: Emulator
) -> None:
    set_up = blocks[PYAIRBYTE_SET_UP].text
    assert "the snippet below, saved as pyairbyte_example.py" in set_up
    (clone / "pyairbyte_example.py").write_text(blocks[PYAIRBYTE_SNIPPET].text)
    write_user_files(clone, readme_config(emulator))
    ran = run_bash(set_up, clone, env=user_env(), timeout=1200)
    skip_if_offline(ran, "PyAirbyte")
    assert ran.returncode == 0, ran.tail()
    assert (clone / ".cache" / "default_cache" / "default_cache.duckdb").exists()
    totals = {provider: Decimal(amount) for provider, amount in TOTAL_LINE.findall(ran.stdout)}
    assert set(totals) == {"confluent", "datadog"}, ran.stdout[-2000:]
    for provider, total in totals.items():  # every cost line once, whatever the pandas float formatting
        assert abs(total - Decimal(str(emulator.truth(provider)["total"]))) <= CENT, provider
