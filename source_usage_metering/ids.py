"""The id grammar: `|`-joined parts, provider and tenant first, then the entity and its natural key.

Ids never contain a secret or a list position, so they stay stable across syncs, key rotation and account
reordering, and unique across every account and provider. Only a long or free-text part is hashed. Each provider
package builds its own ids from these functions (`providers/<name>/ids.py`).
"""

from __future__ import annotations

import hashlib
import re

_MAX_PLAIN_PART = 64
_HASHED_CHARS = re.compile(r"[|\s]")  # `\s` is exactly `str.isspace`; one C scan instead of a per-char generator


def join_id(*parts: str | None) -> str:
    """Join id parts with `|`; a missing part becomes `-`, a long or free-text part its short hash."""
    return "|".join(_part(p) for p in parts)


def id_part(value: str | None) -> str:
    """One id part as `join_id` writes it."""
    return _part(value)


def _part(value: str | None) -> str:
    if value is None or value == "":
        return "-"
    if len(value) > _MAX_PLAIN_PART or _HASHED_CHARS.search(value):
        return "h:" + hashlib.sha256(value.encode()).hexdigest()[:16]
    return value


def product_id(provider: str, product: str) -> str:
    """A provider catalogue product, shared by every account: `<provider>|product|<value>`."""
    return join_id(provider, "product", product)
