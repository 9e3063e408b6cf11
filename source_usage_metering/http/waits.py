"""Every wait of one request, bounded: pacing and retry sleeps add up to at most 600 s, header values are sane.

A "request" is one page of one endpoint with all its retries. Two mechanisms make it wait: the account's API budget
(pacing on `X-RateLimit-Remaining` / `X-RateLimit-Reset` before a request is sent) and the CDK's retry loop (the
backoff strategy's wait after a 429, 5xx or dropped connection). Each bounds its own waits only; the ledger here adds
them up, so a request that would wait longer in total fails at once, naming the account and endpoint, instead of
sleeping first. The cursor of the slice stays where it was: the next sync reads the window again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

from airbyte_cdk.models import FailureType

from source_usage_metering.errors import ProviderError

logger = logging.getLogger("airbyte")

MAX_WAIT_SECONDS = 600.0  # one request, pacing and retries together (issue 13)
# Both providers send `X-RateLimit-Reset` and `Retry-After` as relative seconds (Datadog:
# https://docs.datadoghq.com/api/latest/rate-limits/, Confluent Cloud: https://docs.confluent.io/cloud/current/api.html).
# A value this large (about 31 years) is an epoch timestamp or garbage, never a wait: it is treated as absent.
ABSURD_SECONDS = 1e9
Sleep = Callable[[float], None]


def header_seconds(value: Any) -> float | None:
    """Relative seconds from a rate-limit header value.

    Args:
        value: The header's text (or None when absent).

    Returns:
        The seconds, or None when the value is absent, not a number, not finite, negative or absurd (epoch-looking):
        such a value is treated as if the header were absent, never as a reason to crash or sleep.
    """
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0 or seconds >= ABSURD_SECONDS:
        return None
    return seconds


def header_count(value: Any) -> int | None:
    """A non-negative call count from `X-RateLimit-Remaining`; None when absent, not a number or not finite."""
    seconds = header_seconds(value)
    return None if seconds is None else int(seconds)


def retry_after_seconds(value: Any, now: float) -> float | None:
    """`Retry-After` as seconds from `now` (Unix seconds): relative seconds or an HTTP date (RFC 9110 section 10.2.3).

    Returns:
        The seconds (0 for a date in the past), or None when the value is neither (treated as absent).
    """
    seconds = header_seconds(value)
    if seconds is not None or value is None:
        return seconds
    try:
        moment = parsedate_to_datetime(str(value)).timestamp()
    except (TypeError, ValueError, OverflowError):
        return None
    return header_seconds(max(moment - now, 0.0))


class WaitLedger:
    """The seconds one request of one endpoint has waited so far, against `MAX_WAIT_SECONDS`.

    The endpoint starts a new request (`new_request`) for every page; pacing (`sleep`) and the retry strategy
    (`book`, the CDK sleeps) both spend from it.

    Args:
        account: How errors name the account (`accounts[0] (confluent: acme)`).
        endpoint: How errors name the endpoint (`GET /billing/v1/costs`).
        limit: Seconds one request may wait in total.
        sleep: The sleep function (tests pass a recorder).
    """

    def __init__(
        self, account: str, endpoint: str, *, limit: float = MAX_WAIT_SECONDS, sleep: Sleep | None = None
    ) -> None:
        self.account = account
        self.endpoint = endpoint
        self.limit = limit
        self.spent = 0.0
        self.longest = 0.0
        self._sleep = sleep

    def new_request(self) -> None:
        """A new page starts with nothing waited."""
        self.spent = 0.0

    def book(self, seconds: float, why: str) -> None:
        """Count a wait someone else sleeps (the CDK's retry loop).

        Raises:
            ProviderError: when the wait does not fit in what is left of the limit (nothing is slept then).
        """
        if self.spent + seconds > self.limit:
            raise self._too_long(seconds, why)
        self.spent += seconds
        self.longest = max(self.longest, seconds)
        logger.info(
            "%s: %s: %s: waiting %.1f s (%.0f of %.0f s used by this request)",
            self.account,
            self.endpoint,
            why,
            seconds,
            self.spent,
            self.limit,
        )

    def sleep(self, seconds: float, why: str) -> None:
        """Count a wait and sleep it.

        Raises:
            ProviderError: when the wait does not fit in what is left of the limit (nothing is slept then).
        """
        self.book(seconds, why)
        (self._sleep or time.sleep)(seconds)

    def stop(self, why: str) -> ProviderError:
        """The error that ends the request: transient, naming the account and endpoint (the cursor stays put)."""
        problem = f"transient error: {why}. Stopped without reading further; the next sync resumes here"
        return ProviderError(self.account, self.endpoint, problem, failure_type=FailureType.transient_error)

    def _too_long(self, seconds: float, why: str) -> ProviderError:
        return self.stop(
            f"{why}: the provider asks to wait {seconds:.0f} s more, but one request waits at most {self.limit:.0f} s "
            f"in all (pacing and retries; {self.spent:.0f} s used)"
        )
