"""Paging is bounded: a token seen before in the window stops paging, so does a page past the endpoint's cap.

Issue 13: next tokens A -> B -> A ... paged forever (12,000+ requests and 6 GB in a minute on Confluent costs;
Datadog hourly usage looped the same way). Both providers are read through the whole source.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime, timezone
from typing import Any

import pytest

from source_usage_metering import source
from source_usage_metering.http.pagination import MAX_PAGES_PER_WINDOW
from source_usage_metering.providers.confluent.endpoints import CostsEndpoint
from unit_tests.confluent_api import EMPTY_COSTS, ORG_ID, mock_org_api
from unit_tests.conftest import CONFLUENT_URL, ConfigBuilder, payload
from unit_tests.datadog_api import HOURLY, datadog_account, mock_datadog
from unit_tests.http.fakes import BASE, ItemsEndpoint
from unit_tests.read_helpers import final_state, read_source

COSTS = f"{CONFLUENT_URL}/billing/v1/costs"
CONFLUENT_PARTITION = {"provider": "confluent", "host": "api.confluent.cloud", "tenant": ORG_ID}


def cost_page(token: str | None) -> dict[str, Any]:
    page = payload("confluent/billing_costs__page1")
    page["metadata"]["next"] = f"{COSTS}?page_size=10000&page_token={token}" if token else ""
    return page


def mock_cycling_costs(http, cycle_from: str, tokens: dict[str | None, str]) -> None:
    """Costs windows starting on `cycle_from` page by `tokens` (token -> next token); earlier ones are empty."""

    def answer(request: Any, context: Any) -> Any:
        if request.qs["start_date"][0] != cycle_from:
            return EMPTY_COSTS
        token = request.qs.get("page_token", [None])[0]
        return cost_page(tokens[token.upper() if token else None])

    http.get(COSTS, json=answer)


def window_requests(http, url: str, key: str, value: str) -> list:
    return [r for r in http.request_history if r.url.startswith(url) and r.qs[key][0] == value]


def test_given_confluent_tokens_a_b_a_then_paging_stops_at_the_repeat_naming_the_endpoint_with_the_cursor_held(
    http,
) -> None:
    mock_org_api(http)
    mock_cycling_costs(http, "2026-09-01", {None: "TOK-A", "TOK-A": "TOK-B", "TOK-B": "TOK-A"})
    config = ConfigBuilder().with_confluent().with_(start_date="2026-08-25", end_date="2026-09-01").build()
    output = read_source(config, "usage", expecting_exception=True)
    [error] = [m.trace.error.message for m in output.errors if m.trace.error.message.startswith("accounts[0]")]
    assert "accounts[0] (confluent: acme): GET /billing/v1/costs: provider error: " in error
    assert "repeated a page token after 3 pages" in error
    assert len(window_requests(http, COSTS, "start_date", "2026-09-01")) == 3
    cursors = {partition_of(e): e["cursor"]["end_date"] for e in final_state(output, "usage")["states"]}
    assert cursors == {partition_of({"partition": CONFLUENT_PARTITION}): "2026-09-01T00:00:00Z"}  # held


def partition_of(entry: Mapping[str, Any]) -> tuple:
    return tuple(sorted(entry["partition"].items()))


def test_given_datadog_hourly_tokens_a_b_a_then_paging_stops_at_the_repeat_naming_the_endpoint(
    http, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "utc_now", lambda: datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc))
    mock_datadog(http)
    cycle = {None: "rec-a", "rec-a": "rec-b", "rec-b": "rec-a"}

    def hourly(request: Any, context: Any) -> Any:
        page = payload("datadog/hourly_usage__page1")
        token = request.qs.get("page[next_record_id]", [None])[0]
        page["meta"]["pagination"]["next_record_id"] = cycle[token]
        return page

    http.get(HOURLY, json=hourly)
    config = ConfigBuilder().with_account(datadog_account()).with_(start_date="2026-11-20", end_date="2026-11-20")
    output = read_source(config.build(), "usage", expecting_exception=True)
    [error] = [m.trace.error.message for m in output.errors if m.trace.error.message.startswith("accounts[0]")]
    assert "accounts[0] (datadog: acme-dd): GET /api/v2/usage/hourly_usage: provider error: " in error
    assert "repeated a page token after 3 pages" in error
    first_window = window_requests(http, HOURLY, "filter[timestamp][start]", "2026-11-20t00")
    assert len(first_window) == 3
    assert all(e["partition"].get("kind") != "hourly" for e in final_state(output, "usage")["states"])


def test_given_fresh_tokens_forever_then_paging_stops_at_the_endpoint_cap(
    http, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CostsEndpoint, "max_pages", 5)
    mock_org_api(http)
    mock_cycling_costs(http, "2026-09-01", {None: "T0", **{f"T{i}": f"T{i + 1}" for i in range(50)}})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", expecting_exception=True)
    [error] = [m.trace.error.message for m in output.errors if m.trace.error.message.startswith("accounts[0]")]
    assert "GET /billing/v1/costs: provider error: the window took more than 5 pages" in error
    assert len(window_requests(http, COSTS, "start_date", "2026-09-01")) == 5


def test_the_caps_are_the_documented_numbers() -> None:
    from source_usage_metering.providers.datadog.endpoints import HourlyUsageEndpoint

    assert MAX_PAGES_PER_WINDOW == 1000
    assert CostsEndpoint.max_pages == 100
    assert HourlyUsageEndpoint.max_pages == 5000


class PagedItems(ItemsEndpoint):
    """`GET /v1/items` paged by `next` (always a fresh token), for measuring what paging holds."""

    max_pages = 10_000

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        return {"page": page_token} if page_token else {}

    def next_token(self, body: Any) -> str | None:
        return body.get("next")

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        return body["items"]


def test_paging_holds_one_page_at_a_time_not_a_list_of_every_page(http) -> None:
    rows = [{"id": i, "name": f"resource-{i}", "tags": ["a", "b", "c"]} for i in range(2_000)]

    def page(request: Any, context: Any) -> Any:
        number = int(request.qs.get("page", ["0"])[0])
        return {"items": rows, "next": str(number + 1) if number < 39 else None}

    http.get(f"{BASE}/v1/items", json=page)
    endpoint = PagedItems()
    tracemalloc.start()
    try:
        first = tracemalloc.get_traced_memory()[0]
        seen = sum(1 for _ in endpoint.read_slice({}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_page = 2_000 * 400  # bytes: a parsed row of this shape is about 300 to 400 bytes
    assert seen == 40 * 2_000
    assert peak - first < 6 * one_page  # 40 pages read; a list of them would hold 40 pages
