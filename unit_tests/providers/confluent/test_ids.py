from __future__ import annotations

from source_usage_metering.providers.confluent import ids


def test_cost_id_is_deterministic_and_names_provider_and_tenant_first() -> None:
    first = ids.cost_id("org-1", "2026-09-01", "env-1", "lkc-1", "KAFKA", "KAFKA_BASE")
    again = ids.cost_id("org-1", "2026-09-01", "env-1", "lkc-1", "KAFKA", "KAFKA_BASE")
    assert first == again == "confluent|org-1|cost|2026-09-01|env-1|lkc-1|KAFKA|KAFKA_BASE"


def test_missing_parts_become_dashes_and_stay_distinct() -> None:
    promo = ids.cost_id("org-1", "2026-09-01", None, None, None, "PROMO_CREDIT")
    assert promo == "confluent|org-1|cost|2026-09-01|-|-|-|PROMO_CREDIT"
    assert promo != ids.cost_id("org-2", "2026-09-01", None, None, None, "PROMO_CREDIT")


def test_products_are_a_shared_catalogue() -> None:
    assert ids.catalogue_product_id("KAFKA") == "confluent|product|KAFKA"
