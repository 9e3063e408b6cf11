"""Every documented Confluent id format, pinned literally (docs/usage-metering.md)."""

from __future__ import annotations

from source_usage_metering.providers.confluent import ids


def test_cost_id_is_deterministic_and_names_provider_and_tenant_first() -> None:
    first = ids.cost_id("org-1", "2026-09-01", "env-1", "lkc-1", "KAFKA", "KAFKA_BASE")
    again = ids.cost_id("org-1", "2026-09-01", "env-1", "lkc-1", "KAFKA", "KAFKA_BASE")
    assert first == again == "confluent|org-1|cost|2026-09-01|env-1|lkc-1|KAFKA|KAFKA_BASE"


def test_cost_id_built_in_parts_is_the_same_id() -> None:
    head = ids.cost_id_day(ids.cost_id_prefix("org-1"), "2026-09-01")
    assert head == "confluent|org-1|cost|2026-09-01|"
    assert ids.cost_id_tail("env-1", "lkc-1", "KAFKA", "KAFKA_BASE") == "env-1|lkc-1|KAFKA|KAFKA_BASE"
    assert ids.cost_id_tail(None, None, None, "PROMO_CREDIT") == "-|-|-|PROMO_CREDIT"


def test_missing_parts_become_dashes_and_stay_distinct() -> None:
    promo = ids.cost_id("org-1", "2026-09-01", None, None, None, "PROMO_CREDIT")
    assert promo == "confluent|org-1|cost|2026-09-01|-|-|-|PROMO_CREDIT"
    assert promo != ids.cost_id("org-2", "2026-09-01", None, None, None, "PROMO_CREDIT")


def test_organization_and_environment_ids() -> None:
    assert ids.organization_id("org-1") == "confluent|org-1|organization"
    assert ids.environment_id("org-1", "env-1") == "confluent|org-1|environment|env-1"


def test_products_are_a_shared_catalogue() -> None:
    assert ids.catalogue_product_id("KAFKA") == "confluent|product|KAFKA"
