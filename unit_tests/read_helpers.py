"""Reading the source through the CDK's test entrypoint, and checking records against their schemas."""

from __future__ import annotations

from typing import Any

import jsonschema
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.state_builder import StateBuilder

from source_usage_metering import SourceUsageMetering
from source_usage_metering.schemas import load_schema

STREAMS = ("focus_cost", "organizations", "products", "usage", "workspaces")


def catalog(*streams: str, sync_mode: SyncMode = SyncMode.incremental) -> Any:
    builder = CatalogBuilder()
    for name in streams or STREAMS:
        builder = builder.with_stream(name, sync_mode)
    return builder.build()


def read_source(
    config: dict,
    *streams: str,
    state: dict[str, dict] | None = None,
    sync_mode: SyncMode = SyncMode.incremental,
    expecting_exception: bool = False,
) -> EntrypointOutput:
    state_messages = None
    if state:
        builder = StateBuilder()
        for name, value in state.items():
            builder = builder.with_stream_state(name, value)
        state_messages = builder.build()
    return read(
        SourceUsageMetering(),
        config,
        catalog(*streams, sync_mode=sync_mode),
        state_messages,
        expecting_exception=expecting_exception,
    )


def records_of(output: EntrypointOutput, stream: str) -> list[dict]:
    return [m.record.data for m in output.records if m.record.stream == stream]


def final_state(output: EntrypointOutput, stream: str) -> dict:
    states = [
        m.state.stream.stream_state for m in output.state_messages if m.state.stream.stream_descriptor.name == stream
    ]
    return states[-1].__dict__ if states else {}


def assert_valid(output: EntrypointOutput) -> None:
    """Every emitted record validates against its stream's declared schema."""
    for message in output.records:
        jsonschema.validate(message.record.data, load_schema(message.record.stream))
