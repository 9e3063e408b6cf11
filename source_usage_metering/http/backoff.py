"""How long to wait before a retry: the provider's own headers on a 429, else exponential backoff with jitter.

Every retryable answer gets a wait from here (the CDK's fallback backoff has no jitter), so the error handler's
`max_retries` / `max_time` bound all of them alike. The CDK sleeps the wait; each one is first booked in the
request's `WaitLedger`, which refuses a wait that would take the request past its 600 s in all.
"""

from __future__ import annotations

import random
import time
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy

from source_usage_metering.clock import backoff_scale
from source_usage_metering.http.waits import WaitLedger, header_seconds, retry_after_seconds

# The CDK sleeps the strategy's value plus one second; subtract it so the real wait matches the intent.
CDK_ADDED_SECONDS = 1.0
MIN_WAIT_SECONDS = 0.001  # the CDK treats 0 as "no value"
BASE_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
HEADER_JITTER_FRACTION = 0.1  # spread clients that were told the same reset moment
HEADER_JITTER_MAX_SECONDS = 1.0


def header_wait_seconds(headers: Any) -> float | None:
    """Seconds to wait per `Retry-After` or `X-RateLimit-Reset` (relative seconds on both providers).

    Absent, non-numeric, non-finite, negative and epoch-looking values count as absent (see `waits.header_seconds`).
    """
    wait = retry_after_seconds(headers.get("Retry-After"), time.time())
    if wait is None:
        wait = header_seconds(headers.get("X-RateLimit-Reset"))
    return wait


def exponential_wait_seconds(attempt: int, rng: random.Random) -> float:
    """Equal-jitter exponential backoff: a random wait in [cap/2, cap], cap = base * 2^(attempt-1), bounded."""
    cap = min(BASE_BACKOFF_SECONDS * 2 ** min(max(attempt - 1, 0), 16), MAX_BACKOFF_SECONDS)
    return rng.uniform(cap / 2, cap)


class ProviderBackoff(BackoffStrategy):
    """Wait what `Retry-After` / `X-RateLimit-Reset` say on a 429; otherwise back off exponentially with jitter.

    Args:
        waits: The endpoint's ledger of the current request's waits (a private one when not given).
        rng: The jitter's random source (tests pass a seeded one).
    """

    def __init__(self, waits: WaitLedger | None = None, rng: random.Random | None = None) -> None:
        self._waits = waits or WaitLedger("this account", "this endpoint")
        self._rng = rng or random.Random()
        self._scale = backoff_scale()

    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> float:
        """Seconds to sleep before the next attempt, net of the CDK's added second.

        Raises:
            ProviderError: when the wait would take the request past its total wait limit (from the ledger).
        """
        wait, why = None, "retry"
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 429:
            why = "rate limited (429)"
            wait = header_wait_seconds(response_or_exception.headers)
            if wait is not None:
                wait += self._rng.uniform(0, min(wait * HEADER_JITTER_FRACTION, HEADER_JITTER_MAX_SECONDS))
        if wait is None:
            wait = exponential_wait_seconds(attempt_count, self._rng) * self._scale
        wait = max(wait - CDK_ADDED_SECONDS, MIN_WAIT_SECONDS)
        self._waits.book(wait + CDK_ADDED_SECONDS, f"{why}, attempt {attempt_count}")
        return wait
