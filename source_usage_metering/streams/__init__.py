"""The unified streams: organizations, products, usage, workspaces, and focus_cost (FOCUS 1.2)."""

from source_usage_metering.streams.entities import Organizations, Products, Workspaces
from source_usage_metering.streams.focus_cost import FocusCost
from source_usage_metering.streams.usage import Usage

STREAM_CLASSES = (FocusCost, Organizations, Products, Usage, Workspaces)
STREAM_NAMES: tuple[str, ...] = tuple(stream.name for stream in STREAM_CLASSES)
CURSOR_FIELDS: dict[str, str] = {stream.name: stream.cursor_field for stream in STREAM_CLASSES}

__all__ = [
    "CURSOR_FIELDS",
    "STREAM_CLASSES",
    "STREAM_NAMES",
    "FocusCost",
    "Organizations",
    "Products",
    "Usage",
    "Workspaces",
]
