from __future__ import annotations

import hashlib

import pytest

from source_usage_metering import ids


def hashed(value: str) -> str:
    """The documented hash of a part: `h:` and the first 16 hex digits of its SHA-256."""
    return "h:" + hashlib.sha256(value.encode()).hexdigest()[:16]


def test_missing_parts_become_dashes() -> None:
    assert ids.join_id("example", "org-1", None, "", "x") == "example|org-1|-|-|x"


def test_long_or_free_text_parts_are_hashed_so_ids_cannot_be_forged() -> None:
    value = ids.join_id("example", "a|b", "free text with spaces", "x" * 100)
    assert value == "|".join(["example", hashed("a|b"), hashed("free text with spaces"), hashed("x" * 100)])
    assert value.split("|")[1] == "h:0eab8a0a3380abf4"  # sha256("a|b") = 0eab8a0a3380abf4...


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("x" * 64, True),
        ("x" * 65, False),
        ("tab\there", False),
        ("new\nline", False),
        ("a|b", False),
        ("a-b_c.d", True),
    ],
    ids=["64-chars-plain", "65-chars-hashed", "tab", "newline", "separator", "punctuation-plain"],
)
def test_a_part_is_hashed_only_past_64_chars_or_with_a_separator_or_white_space(value: str, plain: bool) -> None:
    assert ids.id_part(value) == (value if plain else hashed(value))


def test_different_hashed_inputs_give_different_parts() -> None:
    parts = {ids.id_part(text) for text in ("a b", "a  b", "b a", "x" * 65, "x" * 66, "y" + "x" * 64)}
    assert len(parts) == 6
    assert all(len(part) == 18 for part in parts)


def test_products_are_a_shared_catalogue() -> None:
    assert ids.product_id("example", "KAFKA") == "example|product|KAFKA"
