"""A small fake of the Confluent Cloud API on requests-mock, serving the payload fixtures."""

from __future__ import annotations

import base64
from typing import Any

import requests_mock

from unit_tests.conftest import CONFLUENT_URL, payload

ORG_ID = "9bb441c4-edef-46ac-8a41-c49e44a3fd9a"
EMPTY_COSTS = {"api_version": "v1", "kind": "CostList", "metadata": {"next": ""}, "data": []}


def mock_org_api(http: requests_mock.Mocker, base: str = CONFLUENT_URL) -> None:
    """Organizations (one page) and environments (two pages, null next on the last)."""
    http.get(f"{base}/org/v2/organizations", json=payload("confluent/org_v2_organizations__single"))
    http.get(
        f"{base}/org/v2/environments",
        additional_matcher=lambda r: "page_token" not in r.qs,
        json=payload("confluent/org_v2_environments__page1"),
    )
    http.get(
        f"{base}/org/v2/environments",
        additional_matcher=lambda r: "page_token" in r.qs,
        json=payload("confluent/org_v2_environments__last_page_null_next"),
    )


def mock_costs(http: requests_mock.Mocker, pages_by_start: dict[str, list[Any]], base: str = CONFLUENT_URL) -> None:
    """`/billing/v1/costs`: for a window starting on a day, its pages (by page token order); else no rows."""

    def answer(request: Any, context: Any) -> Any:
        start = request.qs["start_date"][0]
        pages = pages_by_start.get(start, [EMPTY_COSTS])
        index = 1 if "page_token" in request.qs else 0
        page = pages[min(index, len(pages) - 1)]
        if isinstance(page, tuple):
            context.status_code, page = page
        return page

    http.get(f"{base}/billing/v1/costs", json=answer)


def two_page_costs() -> list[Any]:
    """The realistic two-page day (tiers, PROMO_CREDIT, SUPPORT, unknown product, deleted environment)."""
    return [payload("confluent/billing_costs__page1"), payload("confluent/billing_costs__last_page_empty_next")]


def mock_costs_by_day(
    http: requests_mock.Mocker,
    rows_by_day: dict[str, list[dict[str, Any]]],
    *,
    refuse_before: str | None = None,
    refusal: tuple[int, Any] | None = None,
    refuse_days: frozenset[str] = frozenset(),
    base: str = CONFLUENT_URL,
) -> None:
    """`/billing/v1/costs` as the real API behaves: one page with the rows of the window's days.

    A window starting before `refuse_before`, or holding a day of `refuse_days`, is answered `refusal`
    (status, body): the provider refuses by how old the start is (or, for `refuse_days`, a day it cannot serve).
    """

    def answer(request: Any, context: Any) -> Any:
        start, end = request.qs["start_date"][0], request.qs["end_date"][0]
        days = [day for day in sorted(rows_by_day) if start <= day < end]
        asked = _days_between(start, end)
        if refusal and ((refuse_before and start < refuse_before) or refuse_days & set(asked)):
            context.status_code = refusal[0]
            return refusal[1]
        return {**EMPTY_COSTS, "data": [row for day in days for row in rows_by_day[day]]}

    http.get(f"{base}/billing/v1/costs", json=answer)


def _days_between(start: str, end: str) -> list[str]:
    from datetime import date, timedelta

    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days)]


def cost_row(day: str, amount: float, **fields: Any) -> dict[str, Any]:
    """A realistic daily cost row (a Kafka cluster's CKUs) of `amount` dollars."""
    from datetime import date, timedelta

    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    row = {
        "amount": amount,
        "discount_amount": 0,
        "original_amount": amount,
        "end_date": end,
        "start_date": day,
        "granularity": "DAILY",
        "line_type": "KAFKA_NUM_CKUS",
        "network_access_type": "INTERNET",
        "price": amount / 24,
        "product": "KAFKA",
        "quantity": 24,
        "unit": "CKU-hour",
        "resource": {"display_name": "prod-cluster", "environment": {"id": "env-zmz2zd"}, "id": "lkc-0j2yjp"},
    }
    row.update(fields)
    return row


SECOND_ORG_ID = "5e1f7c2a-0b3d-4c6e-9a8f-1d2e3f4a5b6c"
SECOND_KEY = "CCKEYSECONDORG0002"


def mock_second_org(http: requests_mock.Mocker, key: str = SECOND_KEY, base: str = CONFLUENT_URL) -> None:
    """A second organization on the same host, answered to requests made with `key` (Basic auth)."""

    def with_key(request: Any) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Basic ") and base64.b64decode(header[6:]).decode().startswith(f"{key}:")

    organizations = payload("confluent/org_v2_organizations__single")
    organizations["data"][0].update(id=SECOND_ORG_ID, display_name="Marketing Org")
    organizations["data"][0]["metadata"]["resource_name"] = f"crn://confluent.cloud/organization={SECOND_ORG_ID}"
    http.get(f"{base}/org/v2/organizations", additional_matcher=with_key, json=organizations)
    environments = {"api_version": "org/v2", "kind": "EnvironmentList", "metadata": {"next": None}, "data": []}
    http.get(f"{base}/org/v2/environments", additional_matcher=with_key, json=environments)
