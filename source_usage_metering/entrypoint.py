"""The CDK entrypoint, taught what a user needs: secrets masked everywhere, clear refusals, readable failures.

- Config: validated with field paths first; the CDK's own spec validation quotes a whole invalid item (secrets
  included), and its masking only sees top-level secrets, so both are extended here.
- Secrets: every message line but RECORDs is masked before it is printed (the CDK masks logs and traces, not
  CONNECTION_STATUS messages).
- Input: a config, catalog or state file that is missing or malformed, and a catalog naming a stream this source
  does not have, are config_error traces without a stack trace, before anything is read.
- Output: one ERROR line per failure and no traceback without --debug (`logs`); a reader that closes the pipe
  (`read ... | head -1`) ends the run quietly with exit status 141.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import is_platform_debug_log_enabled
from airbyte_cdk.models import AirbyteMessage, ConfiguredAirbyteCatalog, ConnectorSpecification
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.clock import utc_now
from source_usage_metering.config import parse_config
from source_usage_metering.errors import ConfigError, InvalidConfig
from source_usage_metering.logs import apply_log_policy
from source_usage_metering.masking import mask, register_secrets
from source_usage_metering.streams import STREAM_NAMES

RECORD_PREFIX = '{"type":"RECORD"'
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away


class UsageMeteringEntrypoint(AirbyteEntrypoint):
    """AirbyteEntrypoint with nested-secret masking of every message, field-path config errors and a catalog check."""

    @staticmethod
    def set_up_secret_filter(config: Mapping[str, Any], connection_specification: Mapping[str, Any]) -> None:
        """The CDK's filter (top-level secrets) plus every account secret, in every form (see `masking`)."""
        AirbyteEntrypoint.set_up_secret_filter(config, connection_specification)
        register_secrets(config)

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        """Our validation (messages name the field path, never a value), then the CDK's against the spec."""
        try:
            parse_config(config, today=utc_now().date())
        except ConfigError as error:
            raise InvalidConfig(message=error.message, internal_message=error.message) from None
        try:
            AirbyteEntrypoint.validate_connection(source_spec, config)
        except AirbyteTracedException as error:
            raise InvalidConfig(message=error.message, internal_message=error.internal_message) from None

    def run(self, parsed_args: Any) -> Iterable[str]:
        """Every message line of the command, masked (records excepted: they carry provider data, not secrets)."""
        for line in super().run(parsed_args):
            yield line if line.startswith(RECORD_PREFIX) else mask(line)

    def read(
        self, source_spec: ConnectorSpecification, config: Any, catalog: Any, state: list[Any]
    ) -> Iterable[AirbyteMessage]:
        """The CDK's read, after refusing a catalog that names a stream this source does not have."""
        refuse_unknown_streams(catalog)
        yield from super().read(source_spec, config, catalog, state)


def refuse_unknown_streams(catalog: ConfiguredAirbyteCatalog) -> None:
    """A configured stream this source does not have is a config error (the CDK would skip it silently).

    Raises:
        InvalidConfig: naming the unknown streams and listing the real ones.
    """
    unknown = [s.stream.name for s in catalog.streams if s.stream.name not in STREAM_NAMES]
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        message = (
            f"Invalid catalog: this source has no stream {names}; its streams are {', '.join(STREAM_NAMES)}. "
            "Run discover again and configure the catalog from its streams."
        )
        raise InvalidConfig(message=message)


def launch(source: Any, args: list[str]) -> None:
    """`airbyte_cdk.entrypoint.launch` with this entrypoint, the log policy and quiet handling of a closed pipe."""
    from airbyte_cdk.entrypoint import PRINT_BUFFER

    entrypoint = UsageMeteringEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    apply_log_policy(debug=bool(getattr(parsed_args, "debug", False)) or is_platform_debug_log_enabled())
    guard_stdout()
    try:
        try:
            refuse_unreadable_inputs(source, parsed_args)
            with PRINT_BUFFER:
                for message in entrypoint.run(parsed_args):
                    print(f"{message}\n", end="")
        except InvalidConfig as error:
            # The user's to fix: the message names the field, stream or file; a stack trace would only bury it.
            print(f"{mask(error.as_message_line())}\n", end="", flush=True)
            sys.exit(1)
    except DownstreamClosed:
        # Leave at once: the read's worker threads may be blocked on output nobody reads any more (no join).
        sys.stderr.flush()
        os._exit(EXIT_PIPE_CLOSED)
    except KeyboardInterrupt:
        # Ctrl-C: what was printed stays printed (the last STATE is where a rerun resumes); leave without joining the
        # worker threads, which may wait minutes on a request or on the full output queue.
        print("Interrupted: stopped reading; rerun with the last STATE printed to resume.", file=sys.stderr)
        _flush_quietly()
        os._exit(EXIT_INTERRUPTED)


def _flush_quietly() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def refuse_unreadable_inputs(source: Any, parsed_args: Any) -> None:
    """Config, catalog and state files are read once before the run, so a bad one is a config error, not a crash.

    Raises:
        InvalidConfig: naming the file and what is wrong with it (never its content).
    """
    config_path = getattr(parsed_args, "config", None)
    if config_path:
        _read(source.read_config, config_path, "config", "Invalid config: the config file is not a valid JSON object.")
    catalog_path = getattr(parsed_args, "catalog", None)
    if catalog_path:
        problem = f"Invalid catalog: the catalog file {catalog_path} is not an Airbyte configured catalog (JSON)."
        _read(source.read_catalog, catalog_path, "catalog", problem)
    state_path = getattr(parsed_args, "state", None)
    if state_path:
        _read(source.read_state, state_path, "state", f"Invalid state: the state file {state_path} is not JSON.")


def _read(reader: Any, path: str, what: str, malformed: str) -> None:
    try:
        reader(path)
    except InvalidConfig:
        raise
    except OSError as error:
        reason = error.strerror or type(error).__name__
        message = f"Invalid {what}: cannot read the {what} file {path}: {reason}."
        raise InvalidConfig(message=message, internal_message=message) from None
    except Exception as error:  # any parse failure of the file is the same mistake for the user
        raise InvalidConfig(message=malformed, internal_message=type(error).__name__) from None


class DownstreamClosed(BaseException):
    """Whoever read stdout went away (`| head -1`). A BaseException, so no `except Exception` on the way swallows it."""


class GuardedStdout(io.TextIOBase):
    """stdout that turns a broken pipe into `DownstreamClosed`, once, after pointing the descriptor at /dev/null.

    Later writes (the CDK's print buffer flushing on the way out, the interpreter's final flush) then succeed
    quietly instead of printing "Exception ignored ... BrokenPipeError".
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write through; a broken pipe ends the run."""
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise self._closed() from None

    def flush(self) -> None:
        """Flush through; a broken pipe ends the run."""
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise self._closed() from None

    def fileno(self) -> int:
        """The real stdout's descriptor."""
        return self._stream.fileno()

    def writable(self) -> bool:
        """Always."""
        return True

    def _closed(self) -> DownstreamClosed:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)
        return DownstreamClosed()


def guard_stdout() -> None:
    """Route stdout through `GuardedStdout`; `sys.__stdout__` too, because the CDK's print buffer writes there."""
    if not isinstance(sys.stdout, GuardedStdout) and hasattr(sys.stdout, "fileno"):
        guarded = GuardedStdout(sys.stdout)
        sys.stdout = guarded
        sys.__stdout__ = guarded
