"""Confluent Cloud: organizations, environments (workspaces), catalogue products and daily cost lines.

Everything this connector knows of Confluent Cloud lives in this package; `PROVIDER_SPEC` is what the registry
(`source_usage_metering.providers`) reads.
"""

from __future__ import annotations

from source_usage_metering.providers.base import ProviderSpec, UsageProvider
from source_usage_metering.providers.confluent.account import ALLOWED_HOSTS, SECRET_FIELDS, parse_account, spec_fragment


def _load_provider() -> type[UsageProvider]:
    from source_usage_metering.providers.confluent.provider import ConfluentProvider

    return ConfluentProvider


PROVIDER_SPEC = ProviderSpec(
    name="confluent",
    parse_account=parse_account,
    spec_fragment=spec_fragment(),
    secret_fields=SECRET_FIELDS,
    allowed_hosts=ALLOWED_HOSTS,
    load_provider=_load_provider,
)
