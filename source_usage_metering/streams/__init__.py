"""The unified streams: organizations, products, usage, workspaces, and focus_cost (FOCUS 1.2)."""

from source_usage_metering.streams.entities import Organizations, Products, Workspaces
from source_usage_metering.streams.focus_cost import FocusCost
from source_usage_metering.streams.usage import Usage

__all__ = ["FocusCost", "Organizations", "Products", "Usage", "Workspaces"]
