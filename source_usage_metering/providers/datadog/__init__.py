"""Datadog: organizations (the keys' org and child orgs), products, hourly usage and monthly cost.

Everything this connector knows of Datadog lives in this package; `PROVIDER_SPEC` is what the registry
(`source_usage_metering.providers`) reads.
"""

from __future__ import annotations

from source_usage_metering.providers.base import ProviderSpec, UsageProvider
from source_usage_metering.providers.datadog.account import ALLOWED_HOSTS, SECRET_FIELDS, parse_account, spec_fragment


def _load_provider() -> type[UsageProvider]:
    from source_usage_metering.providers.datadog.provider import DatadogProvider

    return DatadogProvider


PROVIDER_SPEC = ProviderSpec(
    name="datadog",
    parse_account=parse_account,
    spec_fragment=spec_fragment(),
    secret_fields=SECRET_FIELDS,
    allowed_hosts=ALLOWED_HOSTS,
    load_provider=_load_provider,
)
