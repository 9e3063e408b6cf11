"""Confluent Cloud record ids (the grammar is `source_usage_metering.ids`): org uuid first, then the entity."""

from __future__ import annotations

from source_usage_metering.ids import id_part, join_id, product_id
from source_usage_metering.providers.confluent.account import NAME as PROVIDER


def organization_id(org_id: str) -> str:
    """A Confluent organization: `confluent|<org uuid>|organization`."""
    return join_id(PROVIDER, org_id, "organization")


def environment_id(org_id: str, environment: str) -> str:
    """A Confluent environment (a unified workspace): `confluent|<org uuid>|environment|<env id>`."""
    return join_id(PROVIDER, org_id, "environment", environment)


def catalogue_product_id(product: str) -> str:
    """A product value of the billing API, shared by every organization: `confluent|product|KAFKA`."""
    return product_id(PROVIDER, product)


def cost_id(
    org_id: str,
    day: str,
    environment: str | None,
    resource: str | None,
    product: str | None,
    line_type: str | None,
) -> str:
    """One cost line: `confluent|<org uuid>|cost|<day>|<env>|<resource>|<product>|<line type>` (tiers folded)."""
    return join_id(PROVIDER, org_id, "cost", day, environment, resource, product, line_type)


def cost_id_prefix(org_id: str) -> str:
    """The head of an org's cost line ids, up to the day: `confluent|<org uuid>|cost|`."""
    return join_id(PROVIDER, org_id, "cost") + "|"


def cost_id_day(prefix: str, day: str) -> str:
    """The head of a day's cost line ids: `<prefix><day>|`."""
    return prefix + id_part(day) + "|"


def cost_id_tail(environment: str | None, resource: str | None, product: str | None, line_type: str | None) -> str:
    """The tail of a cost line id after the day (the same for every day of a line)."""
    return join_id(environment, resource, product, line_type)
