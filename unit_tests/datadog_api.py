"""A small fake of the Datadog usage-metering API on requests-mock, serving the payload fixtures."""

from __future__ import annotations

from typing import Any

import requests_mock

from unit_tests.conftest import payload

DATADOG_URL = "https://api.datadoghq.com"
DATADOG_API_KEY = "0123456789abcdef0123456789abcdef"
DATADOG_APP_KEY = "fedcba9876543210fedcba9876543210fedcba98"
PARENT = "fasjyydbcgwwc2uc"
CHILD = "k3b9xqz1lm0a7w2e"
HOURLY = f"{DATADOG_URL}/api/v2/usage/hourly_usage"


def datadog_account(**overrides: Any) -> dict[str, Any]:
    """A Datadog `accounts[]` item."""
    account = {"provider": "datadog", "name": "acme-dd", "api_key": DATADOG_API_KEY, "application_key": DATADOG_APP_KEY}
    return {**account, **overrides}


def answer(status: int, body: Any) -> dict[str, Any]:
    """requests-mock response kwargs."""
    return {"status_code": status, "json": body}


def mock_datadog(
    http: requests_mock.Mocker,
    *,
    org: tuple[int, Any] = (200, "org__single"),
    mapping: tuple[int, Any] = (200, "billing_dimension_mapping__all"),
    estimated: tuple[int, Any] = (200, "estimated_cost__sub_org"),
    historical: tuple[int, Any] = (200, "historical_cost__sub_org"),
    hourly_pages: list[str] | None = None,
    hourly_starts: tuple[str, ...] = (),
) -> None:
    """Every Datadog path; a `(status, fixture name)` per endpoint, hourly usage in pages (one per token).

    With `hourly_starts`, only windows starting at those hours (`YYYY-MM-DDTHH`) have usage; others are empty.
    """
    http.get(f"{DATADOG_URL}/api/v1/validate", json=payload("datadog/validate__ok"))
    for path, (status, name) in (
        ("/api/v1/org", org),
        ("/api/v2/usage/billing_dimension_mapping", mapping),
        ("/api/v2/usage/estimated_cost", estimated),
        ("/api/v2/usage/historical_cost", historical),
    ):
        http.get(f"{DATADOG_URL}{path}", **answer(status, payload(f"datadog/{name}")))
    pages = hourly_pages or ["hourly_usage__page1", "hourly_usage__last_page_no_meta"]

    def hourly(request: Any, context: Any) -> Any:
        if hourly_starts and request.qs["filter[timestamp][start]"][0].upper() not in hourly_starts:
            return {"data": []}
        index = 1 if "page[next_record_id]" in request.qs else 0
        return payload(f"datadog/{pages[min(index, len(pages) - 1)]}")

    http.get(HOURLY, json=hourly)
