"""`stream_process`: output handed over line by line as it flows, copied byte for byte, a silent child stopped."""

from __future__ import annotations

import io
import signal
import sys
import time

import pytest

from integration_tests.harness import CHUNK_BYTES, StreamedRun, stream_process

SILENT_CHILD = 'print(\'{"type": "LOG"}\', flush=True); import time; time.sleep(60)'
CHATTY_CHILD = "import time\nfor n in range(8):\n    print(n, flush=True)\n    time.sleep(0.2)"


def collect(argv: list[str], **options: object) -> tuple[StreamedRun, list[bytes], float]:
    lines: list[bytes] = []
    started = time.monotonic()
    run = stream_process(argv, lines.extend, **options)  # type: ignore[arg-type]
    return run, lines, time.monotonic() - started


@pytest.mark.timed_waits
def test_given_a_silent_child_when_streaming_then_the_watchdog_stops_it_after_the_limit() -> None:
    run, lines, elapsed = collect([sys.executable, "-c", SILENT_CHILD], silence_limit_s=0.5)

    assert run.stopped_silent
    assert 0.5 <= (run.silent_for_s or 0) < 2
    assert run.returncode == -signal.SIGTERM
    assert lines == [b'{"type": "LOG"}']
    assert elapsed < 10


def test_given_a_child_that_keeps_printing_when_streaming_then_the_watchdog_lets_it_finish() -> None:
    run, lines, elapsed = collect([sys.executable, "-c", CHATTY_CHILD], silence_limit_s=0.5)

    assert not run.stopped_silent
    assert run.silent_for_s is None
    assert run.returncode == 0
    assert lines == [str(n).encode() for n in range(8)]
    assert elapsed >= 1.4  # longer than the limit: only silence counts


def test_given_lines_longer_than_a_chunk_when_streaming_then_lines_are_whole_and_the_copy_is_exact() -> None:
    script = (
        "import sys\n"
        f"sys.stdout.write('a' * {CHUNK_BYTES * 3} + '\\n')\n"
        "sys.stdout.write(''.join(f'line {n}\\n' for n in range(50000)))\n"
        "sys.stdout.write('no newline at the end')\n"
        "sys.stderr.write('E' * 100000)\n"
    )
    sink = io.BytesIO()
    run, lines, _ = collect([sys.executable, "-c", script], sink=sink)

    assert run.returncode == 0
    assert lines[0] == b"a" * (CHUNK_BYTES * 3)
    assert lines[1:-1] == [f"line {n}".encode() for n in range(50000)]
    assert lines[-1] == b"no newline at the end"
    assert sink.getvalue() == b"\n".join(lines)
    assert run.bytes_out == len(sink.getvalue())
    assert run.stderr_tail == "E" * 65536  # only the end of stderr is kept
