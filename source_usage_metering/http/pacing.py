"""Proactive pacing from the providers' `X-RateLimit-Remaining` / `X-RateLimit-Reset` headers.

A CDK `HttpAPIBudget` whose policies learn the budget from each answer: once `Remaining` reaches 0 the next
request waits until the window resets instead of drawing a 429. Both Confluent Cloud and Datadog send `Reset`
as *seconds until the reset*; the CDK's own `HttpAPIBudget` reads it as an epoch, hence this subclass. One budget
is shared by every endpoint of an account (the provider creates it); Datadog's `X-RateLimit-Name` splits it into
the provider's named limits.

Waiting is bounded: each endpoint sees the account's budget through an `EndpointBudget` that spends every pacing wait
from the endpoint's `WaitLedger` (one request waits at most 600 s in all, pacing and retries together). The CDK's
own `APIBudget.acquire_call` cannot do that: its `timeout` caps each sleep, not their sum, it sleeps even a wait
that can never fit, and it tries up to 100,000 times; so the short acquire loop here replaces it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.sources.streams.call_rate import (
    AbstractAPIBudget,
    AbstractCallRatePolicy,
    CallRateLimitHit,
    HttpAPIBudget,
)

from source_usage_metering.http.waits import WaitLedger, header_count, header_seconds

REMAINING_HEADER = "X-RateLimit-Remaining"
RESET_HEADER = "X-RateLimit-Reset"
NAME_HEADER = "X-RateLimit-Name"
ACCOUNT_BUCKET = ""
RATE_LIMIT_STATUSES = (429,)
# After a full wait the window has reset; a third round means the provider keeps moving the reset (then give up).
ACQUIRE_ROUNDS = 3
Clock = Callable[[], float]


class HeaderWindowPolicy(AbstractCallRatePolicy):
    """One rate-limit window as the provider reports it: calls left and when the window resets."""

    def __init__(self, bucket: str, clock: Clock | None = None) -> None:
        self.bucket = bucket
        self._clock = clock or time.time
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._in_flight = 0  # calls spent whose answer has not come back (concurrent requests of the account)
        self._lock = threading.Lock()

    def matches(self, request: Any) -> bool:
        """The budget picks the policy; a policy never matches on its own."""
        return False

    def try_acquire(self, request: Any, weight: int) -> None:
        """Spend a call, or raise `CallRateLimitHit` with the time left until the window resets."""
        with self._lock:
            now = self._clock()
            if self._reset_at is not None and now >= self._reset_at:
                # Calls still in flight keep counting: their answers may speak of the new window already.
                self._remaining, self._reset_at = None, None
            if self._remaining is None or self._reset_at is None:
                self._in_flight += weight
                return
            if self._remaining < weight:
                wait = self._reset_at - now
                raise CallRateLimitHit(
                    error="rate limit budget spent",
                    item=request,
                    weight=weight,
                    rate=self.bucket or "account-wide",
                    time_to_wait=timedelta(seconds=wait),
                )
            self._remaining -= weight
            self._in_flight += weight

    def answered(self) -> None:
        """One call spent from this window has its answer."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)

    def update(self, available_calls: int | None, call_reset_ts: datetime | None) -> None:
        """Take the provider's word for the calls left (less the calls still in flight, which will spend them)."""
        with self._lock:
            if available_calls is not None:
                self._remaining = max(available_calls - self._in_flight, 0)
            if call_reset_ts is not None:
                self._reset_at = call_reset_ts.timestamp()


class RateLimitHeaderBudget(HttpAPIBudget):
    """The CDK API budget, fed by relative-seconds `X-RateLimit-Reset` headers; one per account.

    Args:
        clock: Wall-clock seconds; defaults to `time.time` (tests pass a fake one).
        sleep: How `acquire_call` sleeps; defaults to `time.sleep` (endpoints sleep through their own ledger).
    """

    def __init__(self, clock: Clock | None = None, sleep: Callable[[float], None] | None = None) -> None:
        super().__init__(
            ratelimit_reset_header=RESET_HEADER,
            ratelimit_remaining_header=REMAINING_HEADER,
            status_codes_for_ratelimit_hit=list(RATE_LIMIT_STATUSES),
            policies=[],  # policies are picked per request by `get_matching_policy`, never from a fixed list
        )
        self._clock = clock or time.time
        self._sleep = sleep
        self._buckets: dict[str, HeaderWindowPolicy] = {ACCOUNT_BUCKET: HeaderWindowPolicy(ACCOUNT_BUCKET, clock)}
        self._bucket_of_path: dict[str, str] = {}
        self._spent_from: dict[int, HeaderWindowPolicy] = {}  # id(request) -> the window its call was spent from

    def acquire_call(self, request: Any, block: bool = True, timeout: float | None = None) -> None:
        """Spend a call, waiting for the window to reset if needed (at most 600 s; see `acquire_within`)."""
        self.acquire_within(request, WaitLedger("this account", _path_of(request), sleep=self._sleep))

    def acquire_within(self, request: Any, waits: WaitLedger) -> None:
        """Spend a call of the request's window, each wait spent from `waits`.

        Raises:
            ProviderError: when a wait does not fit in what is left of the request's wait limit, or the window still
                has no call left after `ACQUIRE_ROUNDS` waits (from the ledger).
        """
        policy = self.get_matching_policy(request)
        for _ in range(ACQUIRE_ROUNDS):
            try:
                policy.try_acquire(request, weight=1)
                self._spent_from[id(request)] = policy
                return
            except CallRateLimitHit as hit:
                waits.sleep(hit.time_to_wait.total_seconds(), f"pacing: the rate-limit window ({hit.rate}) is spent")
        raise waits.stop(f"pacing: the rate-limit window did not reset after {ACQUIRE_ROUNDS} waits")

    def get_matching_policy(self, request: Any) -> HeaderWindowPolicy:
        """The window the request's path was last seen in (the account's until a named limit is reported)."""
        bucket = self._bucket_of_path.get(_path_of(request), ACCOUNT_BUCKET)
        return self._buckets[bucket]

    def release(self, request: Any) -> None:
        """The request's call is no longer in flight (answered, or its attempt raised: a timeout, a reset)."""
        spent_from = self._spent_from.pop(id(request), None)
        if spent_from is not None:
            spent_from.answered()

    def update_from_response(self, request: Any, response: Any) -> None:
        """Learn the calls left and the reset time of the window that answered."""
        self.release(request)
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
        """`X-RateLimit-Reset` as a moment: relative seconds on both providers.

        An absent, non-numeric, non-finite, negative or epoch-looking value counts as absent (no pacing on it).
        """
        seconds = header_seconds(response.headers.get(RESET_HEADER))
        if seconds is None:
            return None
        return datetime.fromtimestamp(self._clock() + seconds, tz=timezone.utc)

    def get_calls_left_from_response(self, response: requests.Response) -> int | None:
        """`X-RateLimit-Remaining` (a value that is not a sane count counts as absent); a 429 without it: none left."""
        remaining = header_count(response.headers.get(REMAINING_HEADER))
        if remaining is not None:
            return remaining
        return 0 if response.status_code in RATE_LIMIT_STATUSES else None


class EndpointBudget(AbstractAPIBudget):
    """One endpoint's view of its account's budget: the same windows, with every wait spent from its ledger.

    Args:
        shared: The account's budget (shared by all its endpoints).
        waits: The endpoint's ledger of the current request's waits.
    """

    def __init__(self, shared: RateLimitHeaderBudget, waits: WaitLedger) -> None:
        self.shared = shared
        self._waits = waits

    def acquire_call(self, request: Any, block: bool = True, timeout: float | None = None) -> None:
        """Spend a call of the account's window; wait (bounded) when it is spent."""
        self.shared.acquire_within(request, self._waits)

    def get_matching_policy(self, request: Any) -> HeaderWindowPolicy:
        """The account's window of the request."""
        return self.shared.get_matching_policy(request)

    def update_from_response(self, request: Any, response: Any) -> None:
        """Teach the account's budget what the answer's headers say."""
        self.shared.update_from_response(request, response)


def _path_of(request: Any) -> str:
    url = getattr(request, "url", None)
    return urlsplit(url).path if isinstance(url, str) else ""
