"""Proactive pacing from the providers' `X-RateLimit-Remaining` / `X-RateLimit-Reset` headers.

A CDK `HttpAPIBudget` whose policies learn the budget from each answer: once `Remaining` reaches 0 the next
request waits until the window resets instead of drawing a 429. Both Confluent Cloud and Datadog send `Reset`
as *seconds until the reset*; the CDK's own `HttpAPIBudget` reads it as an epoch, hence this subclass. One budget
is shared by every endpoint of an account (the provider creates it); Datadog's `X-RateLimit-Name` splits it into
the provider's named limits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.sources.streams.call_rate import AbstractCallRatePolicy, CallRateLimitHit, HttpAPIBudget

logger = logging.getLogger("airbyte")

REMAINING_HEADER = "X-RateLimit-Remaining"
RESET_HEADER = "X-RateLimit-Reset"
NAME_HEADER = "X-RateLimit-Name"
ACCOUNT_BUCKET = ""
RATE_LIMIT_STATUSES = (429,)
EPOCH_THRESHOLD = 10**9  # a Reset above this is an epoch timestamp, not relative seconds
Clock = Callable[[], float]


def header_number(headers: Any, name: str) -> float | None:
    """A numeric header value, or None when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class HeaderWindowPolicy(AbstractCallRatePolicy):
    """One rate-limit window as the provider reports it: calls left and when the window resets."""

    def __init__(self, bucket: str, clock: Clock | None = None) -> None:
        self.bucket = bucket
        self._clock = clock or time.time
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._lock = threading.Lock()

    def matches(self, request: Any) -> bool:
        """The budget picks the policy; a policy never matches on its own."""
        return False

    def try_acquire(self, request: Any, weight: int) -> None:
        """Spend a call, or raise `CallRateLimitHit` with the time left until the window resets."""
        with self._lock:
            now = self._clock()
            if self._reset_at is not None and now >= self._reset_at:
                self._remaining, self._reset_at = None, None
            if self._remaining is None or self._reset_at is None:
                return
            if self._remaining < weight:
                wait = self._reset_at - now
                logger.info("Rate limit budget spent; pacing: waiting %.1f s for the window to reset", wait)
                raise CallRateLimitHit(
                    error="rate limit budget spent",
                    item=request,
                    weight=weight,
                    rate=f"window of {self.bucket or 'the account'}",
                    time_to_wait=timedelta(seconds=wait),
                )
            self._remaining -= weight

    def update(self, available_calls: int | None, call_reset_ts: datetime | None) -> None:
        """Take the provider's word for the calls left and the reset time."""
        with self._lock:
            if available_calls is not None:
                self._remaining = available_calls
            if call_reset_ts is not None:
                self._reset_at = call_reset_ts.timestamp()


class RateLimitHeaderBudget(HttpAPIBudget):
    """The CDK API budget, fed by relative-seconds `X-RateLimit-Reset` headers; one per account.

    Args:
        clock: Wall-clock seconds; defaults to `time.time` (tests pass a fake one).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(
            ratelimit_reset_header=RESET_HEADER,
            ratelimit_remaining_header=REMAINING_HEADER,
            status_codes_for_ratelimit_hit=list(RATE_LIMIT_STATUSES),
            policies=[],  # policies are picked per request by `get_matching_policy`, never from a fixed list
        )
        self._clock = clock or time.time
        self._buckets: dict[str, HeaderWindowPolicy] = {ACCOUNT_BUCKET: HeaderWindowPolicy(ACCOUNT_BUCKET, clock)}
        self._bucket_of_path: dict[str, str] = {}

    def get_matching_policy(self, request: Any) -> HeaderWindowPolicy:
        """The window the request's path was last seen in (the account's until a named limit is reported)."""
        bucket = self._bucket_of_path.get(_path_of(request), ACCOUNT_BUCKET)
        return self._buckets[bucket]

    def update_from_response(self, request: Any, response: Any) -> None:
        """Learn the calls left and the reset time of the window that answered."""
        if not isinstance(response, requests.Response):
            return
        bucket = response.headers.get(NAME_HEADER) or ACCOUNT_BUCKET
        if bucket not in self._buckets:
            self._buckets[bucket] = HeaderWindowPolicy(bucket, self._clock)
        self._bucket_of_path[_path_of(request)] = bucket
        calls_left, reset_ts = self.get_calls_left_from_response(response), self.get_reset_ts_from_response(response)
        self._buckets[bucket].update(calls_left, reset_ts)
        if bucket != ACCOUNT_BUCKET:
            # A path not answered yet uses the account's window: the latest answer is the best guess for it.
            self._buckets[ACCOUNT_BUCKET].update(calls_left, reset_ts)

    def get_reset_ts_from_response(self, response: requests.Response) -> datetime | None:
        """`X-RateLimit-Reset` as a moment: relative seconds on both providers (an epoch value is tolerated)."""
        seconds = header_number(response.headers, RESET_HEADER)
        if seconds is None:
            return None
        moment = seconds if seconds > EPOCH_THRESHOLD else self._clock() + max(seconds, 0.0)
        return datetime.fromtimestamp(moment, tz=timezone.utc)

    def get_calls_left_from_response(self, response: requests.Response) -> int | None:
        """`X-RateLimit-Remaining`; a 429 without it means none left."""
        remaining = header_number(response.headers, REMAINING_HEADER)
        if remaining is not None:
            return max(int(remaining), 0)
        return 0 if response.status_code in RATE_LIMIT_STATUSES else None


def _path_of(request: Any) -> str:
    url = getattr(request, "url", None)
    return urlsplit(url).path if isinstance(url, str) else ""
