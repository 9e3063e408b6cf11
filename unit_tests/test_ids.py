from __future__ import annotations

from source_usage_metering import ids


def test_cost_id_is_deterministic_and_names_provider_and_tenant_first() -> None:
    first = ids.confluent_cost_id("org-1", "2026-09-01", "env-1", "lkc-1", "KAFKA", "KAFKA_BASE")
    again = ids.confluent_cost_id("org-1", "2026-09-01", "env-1", "lkc-1", "KAFKA", "KAFKA_BASE")
    assert first == again == "confluent|org-1|cost|2026-09-01|env-1|lkc-1|KAFKA|KAFKA_BASE"


def test_missing_parts_become_dashes_and_stay_distinct() -> None:
    promo = ids.confluent_cost_id("org-1", "2026-09-01", None, None, None, "PROMO_CREDIT")
    assert promo == "confluent|org-1|cost|2026-09-01|-|-|-|PROMO_CREDIT"
    assert promo != ids.confluent_cost_id("org-2", "2026-09-01", None, None, None, "PROMO_CREDIT")


def test_long_or_free_text_parts_are_hashed_so_ids_cannot_be_forged() -> None:
    value = ids.join_id("confluent", "a|b", "free text with spaces", "x" * 100)
    parts = value.split("|")
    assert len(parts) == 4
    assert all(p.startswith("h:") for p in parts[1:])


def test_products_are_a_shared_catalogue() -> None:
    assert ids.product_id("confluent", "KAFKA") == "confluent|product|KAFKA"
