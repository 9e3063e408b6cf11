"""The CDK entrypoint, taught two things: mask secrets nested in `accounts`, and validate with field paths first.

The CDK's own spec validation quotes a whole invalid array item (secrets included) and its masking only sees
top-level secrets; both run before any source code, so they are extended here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import (
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    ConnectorSpecification,
    FailureType,
    TraceType,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.clock import utc_now
from source_usage_metering.config import parse_config
from source_usage_metering.errors import ConfigError
from source_usage_metering.masking import register_secrets


class InvalidConfig(AirbyteTracedException):
    """The config was refused before any source code ran; reported as a trace without a stack trace."""

    def __init__(self, message: str, internal_message: str | None = None) -> None:
        super().__init__(message=message, internal_message=internal_message, failure_type=FailureType.config_error)

    def as_message_line(self) -> str:
        """The TRACE error message, serialised like every other message (secrets masked)."""
        error = AirbyteErrorTraceMessage(
            message=self.message or "Invalid config.",
            internal_message=self.internal_message,
            failure_type=FailureType.config_error,
        )
        trace = AirbyteTraceMessage(type=TraceType.ERROR, emitted_at=time.time() * 1000, error=error)
        return AirbyteEntrypoint.airbyte_message_to_string(AirbyteMessage(type=Type.TRACE, trace=trace))


class UsageMeteringEntrypoint(AirbyteEntrypoint):
    """AirbyteEntrypoint with nested-secret masking and field-path config errors."""

    @staticmethod
    def set_up_secret_filter(config: Mapping[str, Any], connection_specification: Mapping[str, Any]) -> None:
        """The CDK's filter (top-level secrets) plus every account secret."""
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


def launch(source: Any, args: list[str]) -> None:
    """`airbyte_cdk.entrypoint.launch` with this entrypoint."""
    from airbyte_cdk.entrypoint import PRINT_BUFFER

    entrypoint = UsageMeteringEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    try:
        _refuse_unreadable_config(source, getattr(parsed_args, "config", None))
        with PRINT_BUFFER:
            for message in entrypoint.run(parsed_args):
                print(f"{message}\n", end="")
    except InvalidConfig as error:
        # A config mistake is the user's to fix: the message names the field; a stack trace would only bury it.
        print(f"{error.as_message_line()}\n", end="")
        sys.exit(1)


def _refuse_unreadable_config(source: Any, path: str | None) -> None:
    """A config file that is not JSON is a config error (the CDK would report it with a stack trace)."""
    if not path:
        return
    try:
        source.read_config(path)
    except ValueError as error:
        message = "Invalid config: the config file is not a valid JSON object."
        raise InvalidConfig(message=message, internal_message=str(error)) from None
