"""The streams' JSON schemas (one file per stream), loaded from the package."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_schema(stream: str) -> dict[str, Any]:
    """The JSON schema of a stream."""
    return json.loads(resources.files(__package__).joinpath(f"{stream}.json").read_text())
