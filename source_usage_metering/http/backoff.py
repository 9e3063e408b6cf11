"""How long to wait before a retry: the provider's own headers on a 429, else exponential backoff with jitter.

Every retryable answer gets a wait from here (the CDK's fallback backoff has no jitter), so the error handler's
`max_retries` / `max_time` bound all of them alike.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy

from source_usage_metering.clock import backoff_scale

# The CDK sleeps the strategy's value plus one second; subtract it so the real wait matches the intent.
CDK_ADDED_SECONDS = 1.0
MIN_WAIT_SECONDS = 0.001  # the CDK treats 0 as "no value"
MAX_WAIT_SECONDS = 600.0
BASE_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
HEADER_JITTER_FRACTION = 0.1  # spread clients that were told the same reset moment
HEADER_JITTER_MAX_SECONDS = 1.0


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


def exponential_wait_seconds(attempt: int, rng: random.Random) -> float:
    """Equal-jitter exponential backoff: a random wait in [cap/2, cap], cap = base * 2^(attempt-1), bounded."""
    cap = min(BASE_BACKOFF_SECONDS * 2 ** max(attempt - 1, 0), MAX_BACKOFF_SECONDS)
    return rng.uniform(cap / 2, cap)


class ProviderBackoff(BackoffStrategy):
    """Wait what `Retry-After` / `X-RateLimit-Reset` say on a 429; otherwise back off exponentially with jitter.

    Args:
        rng: The jitter's random source (tests pass a seeded one).
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._scale = backoff_scale()

    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> float:
        """Seconds to sleep before the next attempt, net of the CDK's added second."""
        wait = None
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 429:
            wait = header_wait_seconds(response_or_exception.headers)
            if wait is not None:
                wait += self._rng.uniform(0, min(wait * HEADER_JITTER_FRACTION, HEADER_JITTER_MAX_SECONDS))
        if wait is None:
            wait = exponential_wait_seconds(attempt_count, self._rng) * self._scale
        return min(max(wait - CDK_ADDED_SECONDS, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS)
