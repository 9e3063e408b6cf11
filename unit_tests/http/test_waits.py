"""Every wait is bounded: one request (a page and its retries) waits at most 600 s in all, pacing and retries together.

Issue 13: a 200 carrying `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset: 86400` made the connector sleep a day,
an epoch-looking reset (4102444800) decades, and some header values raised. Sleeps are recorded, never slept.
"""

from __future__ import annotations

import pytest
from airbyte_cdk.models import FailureType

from source_usage_metering.errors import ProviderError
from source_usage_metering.http.pacing import RateLimitHeaderBudget
from source_usage_metering.http.waits import header_seconds, retry_after_seconds
from unit_tests.http.fakes import BASE, FakeClock, ItemsEndpoint, OtherEndpoint

ITEMS = f"{BASE}/v1/items"
OTHER = f"{BASE}/v1/other"
PAGE = {"items": [{"id": 1}]}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Pacing sleeps (through the endpoints' ledgers) on a fake timeline."""
    import source_usage_metering.http.waits as waits

    fake = FakeClock()
    monkeypatch.setattr(waits, "time", fake)
    return fake


def retry_sleeps(recorded: list[float]) -> list[float]:
    """The CDK's retry sleeps (the backoff library also records zero-second intervals)."""
    return [w for w in recorded if w]


def test_given_no_calls_left_and_a_reset_of_a_day_then_the_next_request_fails_at_once_naming_the_endpoint(
    http, clock: FakeClock, no_sleep: list[float]
) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time)
    http.get(ITEMS, json=PAGE, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "86400"})
    http.get(OTHER, json=PAGE)
    assert len(list(ItemsEndpoint(api_budget=budget).read_slice({}))) == 1
    with pytest.raises(ProviderError) as raised:
        list(OtherEndpoint(api_budget=budget).read_slice({}))
    message = raised.value.message
    assert message.startswith("accounts[0] (example: acme): GET /v1/other: transient error: pacing")
    assert "86400 s" in message
    assert "at most 600 s" in message
    assert raised.value.failure_type == FailureType.transient_error
    assert clock.sleeps == []  # failed at once: no day-long (nor 600 s) sleep first
    assert retry_sleeps(no_sleep) == []
    assert [r.path for r in http.request_history] == ["/v1/items"]


@pytest.mark.parametrize("reset", ["4102444800", "1800000009"], ids=["year-2100", "epoch-now-plus-9s"])
def test_given_an_epoch_looking_reset_then_it_counts_as_absent_and_nothing_waits(
    http, clock: FakeClock, reset: str
) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time)
    http.get(ITEMS, json=PAGE, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    http.get(OTHER, json=PAGE)
    list(ItemsEndpoint(api_budget=budget).read_slice({}))
    assert len(list(OtherEndpoint(api_budget=budget).read_slice({}))) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "86400"},
        {"X-RateLimit-Reset": "86400"},
        {"Retry-After": "Fri, 15 Jan 2027 10:00:00 GMT"},  # two hours after FakeClock's now
    ],
    ids=["retry-after-a-day", "reset-a-day", "retry-after-date-in-2-hours"],
)
def test_given_429_asking_for_more_than_600_s_then_the_account_fails_at_once(
    http, no_sleep, headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    import source_usage_metering.http.backoff as backoff

    monkeypatch.setattr(backoff, "time", FakeClock())
    http.get(ITEMS, status_code=429, headers=headers)
    with pytest.raises(ProviderError) as raised:
        list(ItemsEndpoint().read_slice({}))
    assert raised.value.message.startswith("accounts[0] (example: acme): GET /v1/items: transient error: rate limited")
    assert "at most 600 s" in raised.value.message
    assert retry_sleeps(no_sleep) == []
    assert len(http.request_history) == 1


def test_pacing_and_retry_waits_of_one_request_add_up_to_at_most_600_s(
    http, clock: FakeClock, no_sleep: list[float]
) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time)
    http.get(ITEMS, json=PAGE, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "300"})
    http.get(OTHER, [{"status_code": 429, "headers": {"Retry-After": "250"}}] * 3)
    list(ItemsEndpoint(api_budget=budget).read_slice({}))
    with pytest.raises(ProviderError) as raised:
        list(OtherEndpoint(api_budget=budget).read_slice({}))
    assert "at most 600 s" in raised.value.message
    waited = sum(clock.sleeps) + sum(retry_sleeps(no_sleep))
    assert clock.sleeps == [pytest.approx(300.0)]
    assert len(retry_sleeps(no_sleep)) == 1
    assert 550 <= waited <= 600


def test_the_limit_is_per_request_so_each_page_may_wait_again(http, clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time)
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "500"}
    http.get(ITEMS, json=PAGE, headers=spent)
    http.get(OTHER, json=PAGE, headers=spent)
    endpoint = OtherEndpoint(api_budget=budget)
    list(ItemsEndpoint(api_budget=budget).read_slice({}))
    list(endpoint.read_slice({}))
    list(endpoint.read_slice({}))
    assert clock.sleeps == [pytest.approx(500.0), pytest.approx(500.0)]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("12", 12.0),
        (" 7.5 ", 7.5),
        ("0", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("-3", None),
        ("1e400", None),
        ("4102444800", None),
        ("999999999", 999999999.0),
    ],
)
def test_header_values_that_are_not_sane_relative_seconds_count_as_absent(value, seconds) -> None:
    assert header_seconds(value) == seconds


def test_retry_after_may_be_an_http_date() -> None:
    now = 1_800_000_000.0
    assert retry_after_seconds("Fri, 15 Jan 2027 08:00:30 GMT", now) == pytest.approx(30.0)
    assert retry_after_seconds("Mon, 01 Jan 2024 00:00:00 GMT", now) == 0.0
    assert retry_after_seconds("Not a date", now) is None
