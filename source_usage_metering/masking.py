"""Secret masking: every secret field of every provider, on every account item, in all output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets, filter_secrets

from source_usage_metering.providers import secret_fields


def register_secrets(raw: Any) -> None:
    """Mask every secret nested in `accounts`, even in an invalid config (the CDK only sees top-level ones).

    Every provider's secret field names are looked for on every item, so an item whose `provider` is misspelled or
    unknown is masked too.
    """
    items = raw.get("accounts") if isinstance(raw, Mapping) else None
    names = secret_fields()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            for key in names:
                value = item.get(key)
                if isinstance(value, str) and value:
                    add_to_secrets(value)


def mask(text: str) -> str:
    """`text` with every registered secret replaced by `****`."""
    return filter_secrets(text)
