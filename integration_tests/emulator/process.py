"""The emulator's CLI in a child process: its own interpreter, so serving never competes with the caller's GIL."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


class EmulatorProcess:
    """`python -m integration_tests.emulator` as a child process, stopped with SIGTERM on exit.

    Example:
        with EmulatorProcess(["--scale", "large", "--months", "12"]) as emu:
            emu.base_url, emu.config, emu.pid
    """

    def __init__(self, args: Sequence[str] = (), config_out: Path | None = None) -> None:
        """Prepare the command (nothing starts until `start()` or `with`).

        Args:
            args: CLI options (see `python -m integration_tests.emulator --help`), without `--config-out`.
            config_out: Where the emulator writes the ready connector config (default: a temporary file, removed
                once read).
        """
        self.keep_config = config_out is not None
        self.config_out = config_out or Path(tempfile.mkstemp(prefix="emulator-config-", suffix=".json")[1])
        self.command = [sys.executable, "-m", "integration_tests.emulator", *args, "--config-out", str(self.config_out)]
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.config: dict[str, Any] = {}

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The child's process id (raises if not started)."""
        if self.process is None:
            raise RuntimeError("emulator process not started")
        return self.process.pid

    def start(self) -> EmulatorProcess:
        """Start the child and wait for its `{"base_url", "config_path"}` line.

        Raises:
            RuntimeError: If the child exits before it serves.
        """
        self.process = subprocess.Popen(self.command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        hello = self.process.stdout.readline()
        if not hello:
            self.stop()
            self.config_out.unlink(missing_ok=True)
            raise RuntimeError(f"the emulator exited before serving: {' '.join(self.command)}")
        self.base_url = json.loads(hello)["base_url"]
        self.config = json.loads(self.config_out.read_text())
        if not self.keep_config:
            self.config_out.unlink()
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
