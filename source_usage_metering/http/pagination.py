"""Small paginators with a loop guard: Confluent `metadata.next`, Datadog `meta.pagination.next_record_id`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from source_usage_metering.errors import UsageMeteringError


class PaginationLoopError(UsageMeteringError):
    """The provider handed back the token it just served."""


def _guard(token: str | None, previous: str | None, endpoint: str) -> str | None:
    if token and token == previous:
        raise PaginationLoopError(f"{endpoint}: pagination token repeated ({token[:20]}...); stopping to avoid a loop")
    return token or None


def next_page_token_from_url(body: Any, previous: str | None, endpoint: str) -> str | None:
    """Confluent: the `page_token` inside `metadata.next`; absent, null or "" ends paging.

    Only the token is used: the request is re-sent to the configured host, never to the host a `next` URL names.
    """
    metadata = body.get("metadata") if isinstance(body, dict) else None
    next_url = metadata.get("next") if isinstance(metadata, dict) else None
    if not next_url or not isinstance(next_url, str):
        return None
    tokens = parse_qs(urlsplit(next_url).query).get("page_token")
    return _guard(tokens[0] if tokens else None, previous, endpoint)


def next_record_id(body: Any, previous: str | None, endpoint: str) -> str | None:
    """Datadog: `meta.pagination.next_record_id`; `meta` is absent on the last page."""
    meta = body.get("meta") if isinstance(body, dict) else None
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    token = pagination.get("next_record_id") if isinstance(pagination, dict) else None
    return _guard(token if isinstance(token, str) else None, previous, endpoint)
