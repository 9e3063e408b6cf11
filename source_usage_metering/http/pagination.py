"""The paging loop guard every provider paginator goes through: a token the provider just served stops paging."""

from __future__ import annotations

from source_usage_metering.errors import UsageMeteringError


class PaginationLoopError(UsageMeteringError):
    """The provider handed back the token it just served."""


def guard_token(token: str | None, previous: str | None, endpoint: str) -> str | None:
    """The next page token, or None when there is none (an empty token ends paging).

    Raises:
        PaginationLoopError: when the token repeats the previous one (the next request would loop).
    """
    if token and token == previous:
        raise PaginationLoopError(f"{endpoint}: pagination token repeated ({token[:20]}...); stopping to avoid a loop")
    return token or None
