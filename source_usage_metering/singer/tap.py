"""Console entry point `tap-usage-metering`: the same source and config as `source-usage-metering`, spoken as Singer.

The Airbyte source runs in-process through `UsageMeteringEntrypoint` (config validation with field paths, nested
secret masking); its messages are converted to Singer on the fly. Only Singer messages reach stdout: file
descriptor 1 is handed to the Singer writer and then pointed at stderr, so anything else the CDK or a library
prints lands in the log.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import orjson

from source_usage_metering.singer.catalog import configured_catalog, select_streams, singer_catalog
from source_usage_metering.singer.messages import LogLine, SingerConverter, airbyte_state, bookmarks_from_state

TAP_NAME = "tap-usage-metering"
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away
CAPABILITIES = ["about", "catalog", "discover", "properties", "state"]
SINGER_STATE = (
    'Expected {"bookmarks": {"usage": {"states": [{"partition": {"provider": "<provider>", "host": "<API host>", '
    '"tenant": "<organization id>"}, "cursor": {"end_date": "2026-11-25T00:00:00Z"}}]}}}, as this tap writes it'
)
logger = logging.getLogger(TAP_NAME)
_LEVELS = {"FATAL": logging.CRITICAL, "ERROR": logging.ERROR, "WARN": logging.WARNING, "DEBUG": logging.DEBUG}


class TapError(Exception):
    """A problem the user must fix (unreadable file, failed sync); printed as one line, exit code 1."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The Singer command line: `--config`, `--discover`, `--catalog`/`--properties`, `--state`, `--about`."""
    parser = argparse.ArgumentParser(prog=TAP_NAME, description="Singer tap for unified SaaS usage and cost.")
    parser.add_argument("--config", "-c", help="the connector config JSON (the same file as the Airbyte source's)")
    parser.add_argument("--discover", "-d", action="store_true", help="print the Singer catalog and exit")
    parser.add_argument("--catalog", help="Singer catalog with the streams and fields to sync")
    parser.add_argument("--properties", "-p", help="legacy name of --catalog")
    parser.add_argument("--state", "-s", help='state file: {"bookmarks": {...}} from an earlier sync')
    parser.add_argument("--about", action="store_true", help="print what this tap is and its settings")
    parser.add_argument("--format", choices=["json"], default="json", help="--about output format")
    args = parser.parse_args(argv)
    if not args.about and not args.config:
        parser.error("--config is required (except with --about)")
    return args


def read_json_file(path: str, what: str) -> Any:
    """A JSON file's content, or a TapError naming the file and the problem (never the content)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise TapError(f"cannot read the {what} file {path}: {error.strerror or error}") from None
    if not text.strip() and what == "state":
        return {}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise TapError(f"the {what} file {path} is not valid JSON ({error})") from None


def read_bookmarks(path: str) -> dict[str, Any]:
    """The bookmarks of a state file, or a TapError saying what is wrong and showing the expected shape."""
    from source_usage_metering.state import StateError

    try:
        return bookmarks_from_state(read_json_file(path, "state"))
    except StateError as error:
        raise TapError(f"the state file {path} is not a state of this tap: {error.problem}. {SINGER_STATE}") from None


def airbyte_messages(command: list[str]) -> Iterator[dict[str, Any]]:
    """Run one Airbyte command on the source in-process and yield its messages as dicts."""
    from source_usage_metering.entrypoint import UsageMeteringEntrypoint
    from source_usage_metering.source import SourceUsageMetering

    entrypoint = UsageMeteringEntrypoint(SourceUsageMetering())
    for line in entrypoint.run(entrypoint.parse_args(command)):
        yield orjson.loads(line)


def discover_airbyte(config_path: str) -> dict[str, Any]:
    """The source's Airbyte catalog (static schemas; the config is validated, no API is called)."""
    for message in airbyte_messages(["discover", "--config", config_path]):
        if message.get("type") == "CATALOG":
            return message["catalog"]
        for line in SingerConverter({}).convert(message):
            log_line(line)
    raise TapError("the source returned no catalog")


def about() -> dict[str, Any]:
    """`--about`: name, version, capabilities and the config JSON schema as `settings`."""
    from source_usage_metering.source import SourceUsageMetering

    spec = SourceUsageMetering().spec(logger)
    try:
        version = metadata.version("airbyte-source-usage-metering")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "name": TAP_NAME,
        "description": "Unified SaaS usage and cost (Confluent Cloud, Datadog) in four streams.",
        "version": version,
        "capabilities": CAPABILITIES,
        "settings": spec.connectionSpecification,
    }


def sync(args: argparse.Namespace, airbyte_catalog: Mapping[str, Any], out: TextIO) -> None:
    """Read the selected streams and write SCHEMA, RECORD and STATE messages to `out`."""
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException

    catalog_path = args.catalog or args.properties
    singer = read_json_file(catalog_path, "catalog") if catalog_path else None
    if singer is not None and not isinstance(singer, Mapping):
        raise TapError(f"the catalog file {catalog_path} must hold a JSON object with `streams`")
    selected, unknown = select_streams(singer, airbyte_catalog)
    for name in unknown:
        logger.warning("catalog stream %r is not a stream of this tap; skipped", name)
    bookmarks = read_bookmarks(args.state) if args.state else {}
    converter = SingerConverter({stream.name: stream for stream in selected}, dict(bookmarks))
    write_messages(converter.start(), out)
    if not selected:
        logger.warning("no stream is selected in the catalog; nothing to sync")
    else:
        with tempfile.TemporaryDirectory(prefix="tap-usage-metering-") as work:
            catalog_file = Path(work, "catalog.json")
            catalog_file.write_bytes(orjson.dumps(configured_catalog(selected, airbyte_catalog)))
            state_file = Path(work, "state.json")
            state_file.write_bytes(orjson.dumps(airbyte_state(bookmarks, selected)))
            command = ["read", "--config", args.config, "--catalog", str(catalog_file), "--state", str(state_file)]
            try:
                for message in airbyte_messages(command):
                    write_messages(converter.convert(message), out)
            except AirbyteTracedException:
                if not converter.errors:
                    raise
    if converter.errors:  # the streams' own messages, not the CDK's summary that repeats them
        raise TapError(f"the sync failed: {' | '.join(converter.errors)}")
    write_messages(converter.finish(), out)


def write_messages(messages: Any, out: TextIO) -> None:
    """Write Singer messages as JSON lines (flushed at every STATE); log lines go to the log."""
    for message in messages:
        if isinstance(message, LogLine):
            log_line(message)
            continue
        out.write(orjson.dumps(message).decode() + "\n")
        if message["type"] == "STATE":
            out.flush()


def log_line(line: LogLine) -> None:
    """One connector log or error line on stderr, at its level."""
    logger.log(_LEVELS.get(line.level.upper(), logging.INFO), "%s", line.message)


def run_tap(argv: list[str], out: TextIO) -> int:
    """Run the tap; Singer messages go to `out`. Returns the exit code (errors are logged as one line).

    A target that stops reading (`| head -1`) ends the run quietly with exit status 141, nothing logged.
    """
    try:
        code = _run(parse_args(argv), out)
        out.flush()
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())  # later flushes of `out` (closing it) then succeed quietly
        os.close(devnull)
        return EXIT_PIPE_CLOSED


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException

    try:
        if args.about:
            out.write(orjson.dumps(about(), option=orjson.OPT_INDENT_2).decode() + "\n")
            return 0
        config = read_json_file(args.config, "config")
        if not isinstance(config, Mapping):
            raise TapError(f"the config file {args.config} must hold a JSON object")
        airbyte_catalog = discover_airbyte(args.config)
        if args.discover:
            out.write(orjson.dumps(singer_catalog(airbyte_catalog), option=orjson.OPT_INDENT_2).decode() + "\n")
            return 0
        sync(args, airbyte_catalog, out)
        return 0
    except BrokenPipeError:
        raise
    except TapError as error:
        logger.critical("%s", filter_secrets(str(error)))
    except AirbyteTracedException as error:
        logger.critical("%s", filter_secrets(error.message or error.internal_message or "the sync failed"))
    except Exception as error:  # a bug: one line for the user, the traceback only at debug level
        logger.critical("unexpected %s: %s", type(error).__name__, filter_secrets(str(error)))
        logger.debug("traceback", exc_info=True)
    return 1


class _UserLogFormatter(logging.Formatter):
    """Secrets masked; tracebacks (the CDK logs one per failed stream) only at debug level."""

    def __init__(self, debug: bool) -> None:
        super().__init__("%(levelname)s %(message)s")
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

        text = super().format(record)
        if not self.debug:
            text = text.split("\nTraceback (most recent call last):", 1)[0]
        return filter_secrets(text)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return super().formatException(ei) if self.debug else ""


def log_to_stderr() -> None:
    """Plain-text logs on stderr (the CDK's default handler writes Airbyte LOG JSON to stdout)."""
    import airbyte_cdk.entrypoint  # noqa: F401  (its import installs the CDK's handler, replaced below)

    from source_usage_metering.logs import UserFacingLogs

    debug = os.environ.get("LOG_LEVEL", "").lower() == "debug"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_UserLogFormatter(debug))
    handler.addFilter(UserFacingLogs(debug))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)


def claim_stdout() -> TextIO:
    """A writer on the real stdout for Singer messages; fd 1 itself now points at stderr."""
    sys.stdout.flush()
    singer_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(singer_fd, "w", encoding="utf-8")


def main() -> None:
    """Console script `tap-usage-metering`."""
    with claim_stdout() as out:
        log_to_stderr()
        code = run_tap(sys.argv[1:], out)
    if code == EXIT_PIPE_CLOSED:
        exit_now(code)
    sys.exit(code)


def exit_now(code: int) -> None:
    """Leave at once: the read's worker threads may be blocked on output nobody reads any more (no join)."""
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
