"""Pure mappings of the example provider's payloads to unified records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from source_usage_metering.ids import join_id, product_id
from source_usage_metering.records import Organization, Product, UsageRecord, entity_fields
from unit_tests.example_provider.account import NAME

PRODUCT = "widgets"


def organization_ref(org: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": join_id(NAME, org["id"], "organization"), "name": org.get("name")}


def to_organization(org: Mapping[str, Any]) -> Organization:
    return {**organization_ref(org), **entity_fields(NAME, org["id"])}  # type: ignore[return-value]


def to_product() -> Product:
    return {  # type: ignore[return-value]
        "id": product_id(NAME, PRODUCT),
        "name": "Widgets",
        "description": "Widgets served",
        **entity_fields(NAME, PRODUCT),
    }


def to_cost_record(org: Mapping[str, Any], day: str, next_day: str, line: Mapping[str, Any]) -> UsageRecord:
    return {  # type: ignore[return-value]
        "id": join_id(NAME, org["id"], "cost", day, line["product"]),
        "product": {"id": product_id(NAME, line["product"]), "name": "Widgets"},
        "metric_name": "cost",
        "resources": [],
        "organization": organization_ref(org),
        "charges": [{"amount": line["amount"], "currency": "USD", "type": "total"}],
        "usage": {"quantity": None, "unit": None},
        "start_date": f"{day}T00:00:00Z",
        "end_date": f"{next_day}T00:00:00Z",
        "provider": NAME,
        "remote_id": None,
    }
