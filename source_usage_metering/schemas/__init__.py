"""The streams' JSON schemas (one file per stream), loaded from the package.

A schema's `provider` property lists the registered providers: its `enum` is written `[]` in the files and filled
from the registry when loaded, so adding a provider needs no schema edit.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


def load_schema(stream: str) -> dict[str, Any]:
    """The JSON schema of a stream, its `provider` enum naming every registered provider (do not mutate it)."""
    from source_usage_metering.providers import provider_specs

    return _schema(stream, tuple(provider_specs()))


@cache
def _schema(stream: str, providers: tuple[str, ...]) -> dict[str, Any]:
    schema = json.loads(resources.files(__package__).joinpath(f"{stream}.json").read_text())
    provider = schema.get("properties", {}).get("provider")
    if isinstance(provider, dict) and "enum" in provider:
        provider["enum"] = list(providers)
    return schema
