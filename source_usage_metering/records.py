"""Typed shapes of the unified records; they mirror `schemas/*.json` (Truto's fields plus three of ours)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict

Provider = str  # a registered provider's name (see `providers`); the schemas' `provider` enum lists them


class Ref(TypedDict):
    """A reference to a record of another stream: its `id` equals that record's `id`."""

    id: str
    name: str | None


class Charge(TypedDict, total=False):
    """One amount of a usage record; the record's cost is the sum of its charges' amounts."""

    amount: float
    currency: str
    type: Literal["total", "committed", "on_demand"]


class Resource(TypedDict):
    """A billed provider resource (a Kafka cluster, a connector...) and the workspace it lives in."""

    id: str
    name: str | None
    type: str | None
    workspace: Ref | None


class _Common(TypedDict, total=False):
    provider: Provider
    remote_id: str | None
    remote_data: dict[str, Any] | None
    created_at: str | None
    updated_at: str | None


class Organization(_Common):
    """An organization (Confluent org, Datadog org)."""

    id: str
    name: str | None


class Product(_Common):
    """A product of a provider's catalogue."""

    id: str
    name: str | None
    description: str | None


class Workspace(_Common):
    """A workspace (Confluent environment); Datadog has none."""

    id: str
    name: str | None
    organization: Ref


class UsageRecord(_Common):
    """One cost line or usage measurement over [start_date, end_date)."""

    id: str
    product: Ref | None
    metric_name: str | None
    resources: list[Resource]
    organization: Ref
    charges: list[Charge]
    usage: dict[str, Any]
    start_date: str
    end_date: str


def entity_fields(
    provider: str,
    remote_id: str | None,
    *,
    created_at: str | None = None,
    updated_at: str | None = None,
    remote_data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields every entity record (organization, product, workspace) ends with, in schema order.

    `remote_data` is left out when None (the account does not include remote data).
    """
    fields: dict[str, Any] = {
        "created_at": created_at,
        "updated_at": updated_at,
        "provider": provider,
        "remote_id": remote_id,
    }
    if remote_data is not None:
        fields["remote_data"] = dict(remote_data)
    return fields
