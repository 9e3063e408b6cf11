"""Retry waits: provider headers on 429, exponential backoff with jitter otherwise, bounded in count and time."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.errors import ProviderError
from source_usage_metering.http import backoff
from source_usage_metering.http.backoff import ProviderBackoff, exponential_wait_seconds
from source_usage_metering.http.waits import WaitLedger
from unit_tests.http.fakes import BASE, ItemsEndpoint

ITEMS = f"{BASE}/v1/items"
CDK_ADDED_SECONDS = 1.0  # the CDK sleeps a strategy's value plus one second
REQUESTS_BEFORE_GIVING_UP = 7  # README: at most 6 retries per request
RETRY_SECONDS = 600  # README: and at most 600 s per request
OK = {"json": {"items": [{"id": 1}, {"id": 2}]}, "status_code": 200}


def real_waits(recorded: list[float]) -> list[float]:
    """The CDK's sleeps (the backoff library also records its own zero-second interval)."""
    return [w for w in recorded if w]


def strategy_of(seed: int) -> ProviderBackoff:
    """A strategy on its own: one ledger without a limit, so drawing many waits studies their spread."""
    return ProviderBackoff(WaitLedger("acme", "GET /v1/items", limit=float("inf")), random.Random(seed))


def answer(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return response


def test_given_429_with_retry_after_then_real_wait_is_the_header_plus_small_jitter() -> None:
    strategy = strategy_of(1)
    waits = [strategy.backoff_time(answer(429, {"Retry-After": "7"}), 1) + CDK_ADDED_SECONDS for _ in range(50)]
    assert all(7 <= w <= 7.7 for w in waits)
    assert len(set(waits)) > 1


def test_given_429_with_only_relative_reset_then_wait_is_the_reset_seconds() -> None:
    wait = strategy_of(1).backoff_time(answer(429, {"X-RateLimit-Reset": "12"}), 1)
    assert 12 <= wait + CDK_ADDED_SECONDS <= 13


class FrozenTime:
    """`time` as the backoff module sees it, stopped at one instant."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def time(self) -> float:
        return self.moment.timestamp()


def test_given_429_with_http_date_retry_after_then_wait_until_that_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backoff, "time", FrozenTime(datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)))
    moment = "Tue, 24 Nov 2026 10:30:30 GMT"  # 30 seconds later
    wait = strategy_of(1).backoff_time(answer(429, {"Retry-After": moment}), 1)
    assert 27 <= wait + CDK_ADDED_SECONDS <= 32


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_given_transient_status_then_exponential_wait_with_jitter(status: int) -> None:
    strategy = strategy_of(3)
    for attempt, cap in ((1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (9, 60)):
        waits = [strategy.backoff_time(answer(status), attempt) + CDK_ADDED_SECONDS for _ in range(40)]
        assert all(max(cap / 2, 1.0) <= w <= cap + 0.01 for w in waits), (attempt, min(waits), max(waits))
        if cap > 2:
            assert max(waits) - min(waits) > cap / 10  # spread, not a fixed schedule


def test_given_connection_error_or_429_without_headers_then_exponential_wait() -> None:
    strategy = strategy_of(5)
    assert 2 <= strategy.backoff_time(requests.ConnectionError("reset"), 3) + CDK_ADDED_SECONDS <= 4
    assert 2 <= strategy.backoff_time(answer(429), 3) + CDK_ADDED_SECONDS <= 4


def test_every_wait_is_truthy_so_the_cdk_bounds_all_retries_alike() -> None:
    strategy = strategy_of(0)
    assert strategy.backoff_time(answer(429, {"Retry-After": "0"}), 1) > 0
    assert exponential_wait_seconds(60, random.Random(0)) <= 60


def test_given_two_503_then_third_answer_read_after_two_jittered_waits(http, no_sleep: list[float]) -> None:
    http.get(ITEMS, [{"status_code": 503, "text": "<html>503</html>"}, {"status_code": 503}, OK])
    assert [r["id"] for r in ItemsEndpoint().read_slice({})] == [1, 2]
    assert len(http.request_history) == 3
    waits = real_waits(no_sleep)
    assert len(waits) == 2
    assert 1 <= waits[0] <= 1.01
    assert 1 <= waits[1] <= 2.01


def test_given_408_and_dropped_connection_then_retried(http, no_sleep: list[float]) -> None:
    http.get(ITEMS, [{"status_code": 408}, {"exc": requests.ConnectionError("Connection aborted")}, OK])
    assert len(list(ItemsEndpoint().read_slice({}))) == 2
    assert len(http.request_history) == 3


def test_given_429_then_waits_retry_after_and_succeeds(http, no_sleep: list[float]) -> None:
    http.get(ITEMS, [{"status_code": 429, "headers": {"Retry-After": "3"}}, OK])
    assert len(list(ItemsEndpoint().read_slice({}))) == 2
    assert 3 <= real_waits(no_sleep)[0] <= 3.31
    assert len(real_waits(no_sleep)) == 1


def test_given_503_forever_then_bounded_attempts_and_error_names_endpoint_and_transient_cause(http, no_sleep) -> None:
    http.get(ITEMS, status_code=503, json={"errors": [{"detail": "maintenance"}]})
    with pytest.raises(ProviderError) as raised:
        list(ItemsEndpoint().read_slice({}))
    assert len(http.request_history) == REQUESTS_BEFORE_GIVING_UP
    error = raised.value
    assert error.failure_type == FailureType.transient_error
    assert error.message.startswith("accounts[0] (example: acme): GET /v1/items: transient error: gave up after 7")
    assert "maintenance" in error.message
    assert len(real_waits(no_sleep)) == 6
    assert sum(no_sleep) <= 1 + 2 + 4 + 8 + 16 + 32 + 0.1  # each wait at most 2^(n-1) s


def test_given_401_then_one_request_and_config_error_naming_endpoint(http, no_sleep: list[float]) -> None:
    http.get(ITEMS, status_code=401, json={"errors": [{"detail": "invalid API key"}]})
    with pytest.raises(AirbyteTracedException) as raised:
        list(ItemsEndpoint().read_slice({}))
    assert len(http.request_history) == 1
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message.startswith("accounts[0] (example: acme): GET /v1/items: config error:")
    assert "KEYFAKE" not in raised.value.message
    assert not real_waits(no_sleep)


def test_handler_bounds_retries_in_count_and_time() -> None:
    handler = ItemsEndpoint().get_error_handler()
    assert handler.max_retries == REQUESTS_BEFORE_GIVING_UP - 1
    assert handler.max_time == RETRY_SECONDS


def test_requests_carry_a_timeout(http) -> None:
    http.get(ITEMS, **OK)
    list(ItemsEndpoint().read_slice({}))
    assert http.request_history[0].timeout == (30.0, 300.0)
