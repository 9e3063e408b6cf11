"""Confluent's product catalogue: the billing API's `product` values (no catalogue endpoint exists)."""

from __future__ import annotations

from typing import NamedTuple


class CatalogueProduct(NamedTuple):
    """A known product value, its display name and what it bills."""

    name: str
    description: str


PRODUCTS: dict[str, CatalogueProduct] = {
    "KAFKA": CatalogueProduct(
        "Kafka clusters", "Kafka cluster capacity (CKUs/eCKUs), partitions, storage and network."
    ),
    "CONNECT": CatalogueProduct("Managed connectors", "Fully managed connector tasks, capacity and throughput."),
    "KSQL": CatalogueProduct("ksqlDB", "ksqlDB streaming units (CSUs)."),
    "AUDIT_LOG": CatalogueProduct("Audit logs", "Audit log reads."),
    "STREAM_GOVERNANCE": CatalogueProduct("Stream Governance", "Schema Registry and the Stream Governance package."),
    "CLUSTER_LINK": CatalogueProduct("Cluster Linking", "Cluster links and their read/write throughput."),
    "CUSTOM_CONNECT": CatalogueProduct("Custom connectors", "Custom connector tasks and throughput."),
    "FLINK": CatalogueProduct("Flink", "Flink compute pools (CFUs)."),
    "TABLEFLOW": CatalogueProduct("Tableflow", "Tableflow topics, storage and data processed."),
    "SUPPORT_CLOUD_BASIC": CatalogueProduct("Support (Basic)", "Basic support plan."),
    "SUPPORT_CLOUD_DEVELOPER": CatalogueProduct("Support (Developer)", "Developer support plan."),
    "SUPPORT_CLOUD_BUSINESS": CatalogueProduct("Support (Business)", "Business support plan."),
    "SUPPORT_CLOUD_PREMIER": CatalogueProduct("Support (Premier)", "Premier support plan."),
    "USM": CatalogueProduct("Unified Stream Manager", "Connected Unified Stream Manager nodes."),
}

RESOURCE_TYPES = {
    "lkc-": "kafka_cluster",
    "lcc-": "connector",
    "lsrc-": "schema_registry",
    "lksqlc-": "ksqldb_cluster",
    "lfcp-": "flink_compute_pool",
    "cluster-link-": "cluster_link",
}


def resource_type(resource_id: str) -> str | None:
    """The kind of a Confluent resource from its id prefix; None when unknown."""
    for prefix, kind in RESOURCE_TYPES.items():
        if resource_id.startswith(prefix):
            return kind
    return None
