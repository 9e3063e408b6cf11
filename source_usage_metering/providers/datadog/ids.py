"""Datadog record ids (the grammar is `source_usage_metering.ids`): site and org public id first, then the entity.

Public ids are unique per site, so every org-scoped id carries the site.
"""

from __future__ import annotations

from source_usage_metering.ids import id_part, join_id, product_id
from source_usage_metering.providers.datadog.account import NAME as PROVIDER


def organization_id(site: str, public_id: str) -> str:
    """A Datadog organization: `datadog|<site>|<public id>|organization`."""
    return join_id(PROVIDER, site, public_id, "organization")


def family_product_id(family: str) -> str:
    """An hourly usage product family, shared by every account: `datadog|product|infra_hosts`."""
    return product_id(PROVIDER, family)


def dimension_product_id(product_name: str) -> str:
    """A cost billing dimension, shared by every account: `datadog|billing_dimension|infra_host`."""
    return join_id(PROVIDER, "billing_dimension", product_name)


def hourly_prefix(site: str, public_id: str, family: str) -> str:
    """The shared head of an org's hourly measurement ids of one product family (built once per raw row)."""
    return join_id(PROVIDER, site, public_id, "hourly", family) + "|"


def hourly_id_head(prefix: str, usage_type: str) -> str:
    """An hourly measurement id without its hour (built once per org, family and usage type)."""
    return prefix + id_part(usage_type) + "|"


def hourly_id(prefix: str, usage_type: str, hour: str) -> str:
    """One hourly measurement: `datadog|<site>|<public id>|hourly|<family>|<usage type>|<YYYY-MM-DDTHH>`."""
    return hourly_id_head(prefix, usage_type) + hour


def cost_id(site: str, public_id: str, month: str, product_name: str) -> str:
    """One org's monthly cost of a billing dimension; the estimate and the final figure share it."""
    return join_id(PROVIDER, site, public_id, "cost", month, product_name)
