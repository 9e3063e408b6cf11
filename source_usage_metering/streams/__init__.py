"""The four unified streams."""

from source_usage_metering.streams.entities import Organizations, Products, Workspaces
from source_usage_metering.streams.usage import Usage

__all__ = ["Organizations", "Products", "Usage", "Workspaces"]
