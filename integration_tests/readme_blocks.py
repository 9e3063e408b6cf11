"""The README's fenced code blocks, and running them as written: for `integration_tests/test_readme.py`.

`fenced_blocks` finds every fenced block (CommonMark fences: three or more backticks or tildes, closed by a fence of
the same character at least as long). A block is known by its first non-empty line. `Substitution` is one explicit
change a test makes to a block before running it; it fails loudly when the text it replaces is no longer there, so
a README edit never leaves a test silently running something else.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# Variables that would make a clone's own interpreter import another checkout's code or venv.
FOREIGN_PYTHON_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")


@dataclass(frozen=True)
class Block:
    """One fenced code block.

    Attributes:
        language: The info string's first word (`bash`, `json`, `python`), or "" for a bare fence.
        first_line: The first non-empty line of the content, stripped: the block's key in the tests' tables.
        text: The content, every line of it, ending with a newline.
        line: The 1-based line number of the opening fence in the file.
    """

    language: str
    first_line: str
    text: str
    line: int


def fenced_blocks(markdown: str) -> list[Block]:
    """Every fenced code block of a Markdown text, in order.

    Raises:
        ValueError: when a fence is never closed (the rest of the file would silently become code).
    """
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            index += 1
            continue
        end = _closing_fence(lines, index, opening["fence"])
        content = [_unindent(line, len(opening["indent"])) for line in lines[index + 1 : end]]
        text = "".join(line + "\n" for line in content)
        first = next((line.strip() for line in content if line.strip()), "")
        blocks.append(Block(opening["info"].strip().split(" ")[0], first, text, index + 1))
        index = end + 1
    return blocks


def _closing_fence(lines: list[str], opening: int, fence: str) -> int:
    for index in range(opening + 1, len(lines)):
        line = lines[index]
        indent = len(line) - len(line.lstrip(" "))
        stripped = line.strip()
        if indent <= 3 and stripped.startswith(fence) and set(stripped) == {fence[0]}:
            return index
    raise ValueError(f"the fence opened on line {opening + 1} ({fence}) is never closed")


def _unindent(line: str, indent: int) -> str:
    """A content line without up to `indent` leading spaces (CommonMark: the opening fence's indentation)."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def shell_commands(text: str) -> list[str]:
    """The logical commands of a shell block: backslash continuations joined, blank and comment-only lines left out."""
    commands: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1].rstrip() + " "
            continue
        command = (pending + line.strip()).strip()
        pending = ""
        if command and not command.startswith("#"):
            commands.append(command)
    if pending.strip():
        commands.append(pending.strip())
    return commands


@dataclass(frozen=True)
class Substitution:
    """One change a test makes to a README block before running it, and why.

    Attributes:
        old: The exact text in the block.
        new: What runs instead.
        why: The reason (what the README tells the user to provide, or why a line cannot run in a test).
    """

    old: str
    new: str
    why: str

    def apply(self, text: str) -> str:
        """`text` with `old` replaced by `new`.

        Raises:
            AssertionError: when `old` is not in `text` (the README changed: update the substitution).
        """
        assert self.old in text, f"stale substitution: {self.old!r} is not in the block any more ({self.why})"
        return text.replace(self.old, self.new)


def substituted(text: str, substitutions: Iterable[Substitution]) -> str:
    """`text` after every substitution, in order (each must find its text)."""
    for substitution in substitutions:
        text = substitution.apply(text)
    return text


@dataclass
class Ran:
    """A shell run: exit code and both streams as text."""

    returncode: int
    stdout: str
    stderr: str

    def tail(self, chars: int = 3000) -> str:
        """The end of both streams, for an assertion message."""
        return f"exit code {self.returncode}\nstdout: ...{self.stdout[-chars:]}\nstderr: ...{self.stderr[-chars:]}"


def run_bash(
    script: str, cwd: Path, *, env: Mapping[str, str] | None = None, timeout: float = 600, stdout: Path | None = None
) -> Ran:
    """Run `script` with `bash -euo pipefail -c` in `cwd`; `stdout` (a path) receives the output instead of memory.

    `env` replaces the environment (default: the current one).
    """
    argv = ["bash", "-euo", "pipefail", "-c", script]
    environment = dict(env) if env is not None else dict(os.environ)
    if stdout is None:
        done = subprocess.run(
            argv, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout, check=False
        )
        return Ran(done.returncode, done.stdout, done.stderr)
    with stdout.open("w") as sink:
        done = subprocess.run(
            argv, cwd=cwd, env=environment, stdout=sink, stderr=subprocess.PIPE, text=True, timeout=timeout, check=False
        )
    return Ran(done.returncode, stdout.read_text(), done.stderr)


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without the variables that point Python at another checkout, plus `extra`."""
    env = {name: value for name, value in os.environ.items() if name not in FOREIGN_PYTHON_ENV}
    env.update(extra)
    return env
