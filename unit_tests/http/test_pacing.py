"""Pacing on `X-RateLimit-Remaining` / `X-RateLimit-Reset` (relative seconds) through the CDK's API budget."""

from __future__ import annotations

import pytest
import requests

from source_usage_metering.http.pacing import RateLimitHeaderBudget
from unit_tests.http.fakes import BASE, FakeClock, ItemsEndpoint, OtherEndpoint

ITEMS = f"{BASE}/v1/items"
OTHER = f"{BASE}/v1/other"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The budget's clock, and the sleep of every wait (the endpoints' ledgers), on one fake timeline."""
    import source_usage_metering.http.waits as waits

    fake = FakeClock()
    monkeypatch.setattr(waits, "time", fake)
    return fake


def request(path: str = "/v1/items") -> requests.PreparedRequest:
    return requests.Request("GET", f"{BASE}{path}").prepare()


def answer(headers: dict[str, str], status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return response


def budget_headers(remaining: int, reset: int, **extra: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
        **extra,
    }


def test_given_no_calls_left_then_next_call_waits_the_relative_reset(clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    budget.acquire_call(request())
    budget.update_from_response(request(), answer(budget_headers(0, 5)))
    budget.acquire_call(request())
    assert clock.sleeps == [pytest.approx(5.0)]


def test_given_calls_left_then_they_are_spent_without_waiting_and_the_next_waits(clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    budget.update_from_response(request(), answer(budget_headers(3, 20)))
    for _ in range(3):
        budget.acquire_call(request())
    assert clock.sleeps == []
    clock.now += 4
    budget.acquire_call(request())
    assert clock.sleeps == [pytest.approx(16.0)]


def test_given_reset_passed_then_no_wait(clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    budget.update_from_response(request(), answer(budget_headers(0, 2)))
    clock.now += 3
    budget.acquire_call(request())
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-RateLimit-Remaining": "many", "X-RateLimit-Reset": "soon"},
        {"X-RateLimit-Remaining": "0"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1800000009"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "nan"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "-5"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e400"},
        {"X-RateLimit-Remaining": "inf", "X-RateLimit-Reset": "5"},
        {"X-RateLimit-Remaining": "-inf", "X-RateLimit-Reset": "5"},
        {"X-RateLimit-Remaining": "nan", "X-RateLimit-Reset": "5"},
    ],
    ids=[
        "none",
        "words",
        "no-reset",
        "epoch-2100",
        "epoch-now-plus-9",
        "nan",
        "inf",
        "negative",
        "overflow",
        "remaining-inf",
        "remaining-minus-inf",
        "remaining-nan",
    ],
)
def test_given_missing_or_garbage_headers_then_no_pacing_and_no_crash(clock: FakeClock, headers) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    budget.update_from_response(request(), answer(headers))
    for _ in range(3):
        budget.acquire_call(request())
    assert clock.sleeps == []


def test_given_named_limits_then_each_paces_alone(clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    usage, orgs = "/api/v1/usage/hourly_usage", "/api/v1/org"
    budget.update_from_response(request(usage), answer(budget_headers(0, 30, **{"X-RateLimit-Name": "usage_metering"})))
    budget.update_from_response(request(orgs), answer(budget_headers(5, 30, **{"X-RateLimit-Name": "org"})))
    budget.acquire_call(request(orgs))
    assert clock.sleeps == []
    budget.acquire_call(request(usage))
    assert clock.sleeps == [pytest.approx(30.0)]


def test_given_a_path_not_answered_yet_then_it_paces_on_the_latest_answer(clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    headers = budget_headers(0, 8, **{"X-RateLimit-Name": "org"})
    budget.update_from_response(request("/api/v1/org"), answer(headers))
    budget.acquire_call(request("/api/v2/usage/hourly_usage"))
    assert clock.sleeps == [pytest.approx(8.0)]


def test_given_429_then_budget_knows_none_are_left(clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    budget.update_from_response(request(), answer({"X-RateLimit-Reset": "7"}, status=429))
    budget.acquire_call(request())
    assert clock.sleeps == [pytest.approx(7.0)]


def test_endpoints_of_one_account_share_the_budget_and_wait_instead_of_drawing_429(http, clock: FakeClock) -> None:
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    http.get(ITEMS, json={"items": [{"id": 1}]}, headers=budget_headers(0, 12))
    http.get(OTHER, json={"items": [{"id": 2}]}, headers=budget_headers(9, 60))
    assert len(list(ItemsEndpoint(api_budget=budget).read_slice({}))) == 1
    assert len(list(OtherEndpoint(api_budget=budget).read_slice({}))) == 1
    assert clock.sleeps == [pytest.approx(12.0)]
    assert len(http.request_history) == 2


def test_an_endpoint_without_a_given_budget_still_paces_itself(http, clock: FakeClock, monkeypatch) -> None:
    import source_usage_metering.http.pacing as pacing

    monkeypatch.setattr(pacing, "time", clock)
    http.get(ITEMS, json={"items": [{"id": 1}]}, headers=budget_headers(0, 4))
    endpoint = ItemsEndpoint()
    list(endpoint.read_slice({}))
    list(endpoint.read_slice({}))
    assert clock.sleeps == [pytest.approx(4.0)]


def test_given_a_call_in_flight_across_a_reset_then_the_new_windows_calls_in_flight_still_count(
    clock: FakeClock,
) -> None:
    """A (old window) answers after B (new window) was sent: A's answer must not make B's call look answered."""
    budget = RateLimitHeaderBudget(clock=clock.time, sleep=clock.sleep)
    budget.update_from_response(request(), answer(budget_headers(5, 10)))
    call_a, call_b = request(), request()
    budget.acquire_call(call_a)
    clock.now += 11  # the window resets while A is in flight
    budget.acquire_call(call_b)
    budget.update_from_response(call_a, answer(budget_headers(1, 10)))  # 1 left, and B will spend it
    budget.acquire_call(request())
    assert clock.sleeps == [pytest.approx(10.0)]
