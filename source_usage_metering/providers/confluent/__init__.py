"""Confluent Cloud: organizations, environments (workspaces), catalogue products and daily cost lines.

Everything this connector knows of the provider lives in this package, in the layout every provider package
shares (see `providers.base.package_spec`); `PROVIDER_SPEC` is what the registry reads.
"""

from __future__ import annotations

from source_usage_metering.providers.base import package_spec

PROVIDER_SPEC = package_spec(__name__, provider_class="ConfluentProvider")
