from __future__ import annotations

from source_usage_metering import ids


def test_missing_parts_become_dashes() -> None:
    assert ids.join_id("example", "org-1", None, "", "x") == "example|org-1|-|-|x"


def test_long_or_free_text_parts_are_hashed_so_ids_cannot_be_forged() -> None:
    value = ids.join_id("example", "a|b", "free text with spaces", "x" * 100)
    parts = value.split("|")
    assert len(parts) == 4
    assert all(p.startswith("h:") for p in parts[1:])


def test_products_are_a_shared_catalogue() -> None:
    assert ids.product_id("example", "KAFKA") == "example|product|KAFKA"
