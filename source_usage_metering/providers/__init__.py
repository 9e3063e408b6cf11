"""The provider registry: provider name -> the `ProviderSpec` its package exports.

Built-in providers are one line each in `BUILT_IN`; their packages are imported on first use. A provider defined
outside this package is added with `register()` before the source runs (see docs/adding-a-provider.md). Nothing
registers itself at import time. The config parser, the spec, secret masking, the schemas' provider values and the
allowed hosts all come from here.
"""

from __future__ import annotations

import re
from datetime import datetime
from importlib import import_module

from source_usage_metering.config import AccountBase, UsageMeteringConfig
from source_usage_metering.http.error_mapping import MAX_RETRIES
from source_usage_metering.providers.base import ProviderSpec, UsageProvider

BUILT_IN: dict[str, str] = {
    "confluent": "source_usage_metering.providers.confluent",
    "datadog": "source_usage_metering.providers.datadog",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_registered: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> None:
    """Add a provider defined outside this package (call it before the source runs).

    Raises:
        ValueError: for a name that is not lower-case letters, digits and `_`, or that is already taken.
    """
    if not _NAME.match(spec.name):
        raise ValueError(f"provider name {spec.name!r} must match {_NAME.pattern}")
    if spec.name in BUILT_IN or _registered.get(spec.name, spec) is not spec:
        raise ValueError(f"a provider named {spec.name!r} is already registered")
    _registered[spec.name] = spec


def unregister(name: str) -> None:
    """Remove a provider added with `register()` (tests use it to leave the registry as they found it)."""
    _registered.pop(name, None)


def provider_specs() -> dict[str, ProviderSpec]:
    """Every known provider: the built-in ones, then the registered ones, in the order they were added."""
    built_in = {name: import_module(module).PROVIDER_SPEC for name, module in BUILT_IN.items()}
    return {**built_in, **_registered}


def secret_fields() -> frozenset[str]:
    """The union of every provider's secret fields (an item is masked whatever its `provider` says)."""
    return frozenset(field for spec in provider_specs().values() for field in spec.secret_fields)


def build_provider(
    account: AccountBase, config: UsageMeteringConfig, *, now: datetime, max_retries: int = MAX_RETRIES
) -> UsageProvider:
    """The provider object for one configured account (`max_retries` lower for `check`)."""
    provider_class = provider_specs()[account.provider].load_provider()
    return provider_class(account, config, now=now, max_retries=max_retries)
