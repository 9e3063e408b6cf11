"""How long to wait before a retry: the provider's own headers first, else the CDK's exponential backoff."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy

# The CDK sleeps the strategy's value plus one second; subtract it so the real wait matches the header.
CDK_ADDED_SECONDS = 1.0
MIN_WAIT_SECONDS = 0.001
MAX_WAIT_SECONDS = 600.0


def header_wait_seconds(headers: Any) -> float | None:
    """Seconds to wait per `Retry-After` or `X-RateLimit-Reset` (relative seconds on both providers)."""
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            try:
                return max(parsedate_to_datetime(retry_after).timestamp() - time.time(), 0.0)
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            seconds = float(reset)
        except ValueError:
            return None
        if seconds > 10**9:  # tolerate an epoch value
            seconds -= time.time()
        return max(seconds, 0.0)
    return None


class RateLimitHeaderBackoff(BackoffStrategy):
    """Wait what `Retry-After` / `X-RateLimit-Reset` say on a 429; None lets the CDK back off exponentially."""

    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> float | None:
        """Seconds to sleep before the next attempt, net of the CDK's added second."""
        if not isinstance(response_or_exception, requests.Response) or response_or_exception.status_code != 429:
            return None
        wait = header_wait_seconds(response_or_exception.headers)
        if wait is None:
            return None
        return min(max(wait - CDK_ADDED_SECONDS, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS)
