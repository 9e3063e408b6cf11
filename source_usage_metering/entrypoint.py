"""The CDK entrypoint, taught two things: mask secrets nested in `accounts`, and validate with field paths first.

The CDK's own spec validation quotes a whole invalid array item (secrets included) and its masking only sees
top-level secrets; both run before any source code, so they are extended here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import ConnectorSpecification

from source_usage_metering.config import parse_config
from source_usage_metering.errors import ConfigError
from source_usage_metering.source import register_secrets


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
            parse_config(config, today=datetime.now(timezone.utc).date())
        except ConfigError as error:
            raise error.to_traced() from None
        AirbyteEntrypoint.validate_connection(source_spec, config)


def launch(source: Any, args: list[str]) -> None:
    """`airbyte_cdk.entrypoint.launch` with this entrypoint."""
    from airbyte_cdk.entrypoint import PRINT_BUFFER

    entrypoint = UsageMeteringEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    with PRINT_BUFFER:
        for message in entrypoint.run(parsed_args):
            print(f"{message}\n", end="")
