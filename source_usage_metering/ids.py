"""Deterministic record ids: `|`-joined parts, provider and tenant first, then the entity and its natural key.

Ids never contain a secret or a list position, so they stay stable across syncs, key rotation and account
reordering, and unique across every account and provider. Only a long or free-text tail is hashed.
"""

from __future__ import annotations

import hashlib
import re

_MAX_PLAIN_PART = 64
_HASHED_CHARS = re.compile(r"[|\s]")  # `\s` is exactly `str.isspace`; one C scan instead of a per-char generator


def join_id(*parts: str | None) -> str:
    """Join id parts with `|`; a missing part becomes `-`, a long or free-text part its short hash."""
    return "|".join(_part(p) for p in parts)


def id_part(value: str | None) -> str:
    """One id part as `join_id` writes it."""
    return _part(value)


def _part(value: str | None) -> str:
    if value is None or value == "":
        return "-"
    if len(value) > _MAX_PLAIN_PART or _HASHED_CHARS.search(value):
        return "h:" + hashlib.sha256(value.encode()).hexdigest()[:16]
    return value


def product_id(provider: str, product: str) -> str:
    """A provider catalogue product, shared by every account: `confluent|product|KAFKA`."""
    return join_id(provider, "product", product)


def confluent_organization_id(org_id: str) -> str:
    """A Confluent organization: `confluent|<org uuid>|organization`."""
    return join_id("confluent", org_id, "organization")


def confluent_environment_id(org_id: str, environment_id: str) -> str:
    """A Confluent environment (a unified workspace)."""
    return join_id("confluent", org_id, "environment", environment_id)


def confluent_cost_id(
    org_id: str,
    day: str,
    environment_id: str | None,
    resource_id: str | None,
    product: str | None,
    line_type: str | None,
) -> str:
    """One Confluent cost line: the org's day x environment x resource x product x line type (tiers folded)."""
    return join_id("confluent", org_id, "cost", day, environment_id, resource_id, product, line_type)


def confluent_cost_id_prefix(org_id: str) -> str:
    """The head of an org's cost line ids, up to the day: `confluent|<org uuid>|cost|`."""
    return join_id("confluent", org_id, "cost") + "|"


def confluent_cost_id_tail(
    environment_id: str | None, resource_id: str | None, product: str | None, line_type: str | None
) -> str:
    """The tail of a cost line id after the day (the same for every day of a line)."""
    return join_id(environment_id, resource_id, product, line_type)


def datadog_organization_id(site: str, public_id: str) -> str:
    """A Datadog organization: `datadog|<site>|<public id>|organization` (public ids are unique per site)."""
    return join_id("datadog", site, public_id, "organization")


def datadog_family_product_id(family: str) -> str:
    """A Datadog hourly usage product family, shared by every account: `datadog|product|infra_hosts`."""
    return product_id("datadog", family)


def datadog_dimension_product_id(product_name: str) -> str:
    """A Datadog cost billing dimension, shared by every account: `datadog|billing_dimension|infra_host`."""
    return join_id("datadog", "billing_dimension", product_name)


def datadog_hourly_prefix(site: str, public_id: str, family: str) -> str:
    """The shared head of an org's hourly measurement ids of one product family (built once per raw row)."""
    return join_id("datadog", site, public_id, "hourly", family) + "|"


def datadog_hourly_id_head(prefix: str, usage_type: str) -> str:
    """An hourly measurement id without its hour (built once per org, family and usage type)."""
    return prefix + _part(usage_type) + "|"


def datadog_hourly_id(prefix: str, usage_type: str, hour: str) -> str:
    """One hourly measurement: `datadog|<site>|<public id>|hourly|<family>|<usage type>|<YYYY-MM-DDTHH>`."""
    return datadog_hourly_id_head(prefix, usage_type) + hour


def datadog_cost_id(site: str, public_id: str, month: str, product_name: str) -> str:
    """One org's monthly cost of a billing dimension; the estimate and the final figure share it."""
    return join_id("datadog", site, public_id, "cost", month, product_name)
