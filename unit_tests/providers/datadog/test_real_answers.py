"""Real-world Datadog answers that once lost or doubled money silently (issue 12), each at its right value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from source_usage_metering.clock import TEST_NOW_ENV
from source_usage_metering.providers.datadog import transform
from unit_tests.conftest import ConfigBuilder, payload
from unit_tests.datadog_api import DATADOG_URL, datadog_account, mock_datadog
from unit_tests.read_helpers import read_source, records_of

HISTORICAL = f"{DATADOG_URL}/api/v2/usage/historical_cost"


@pytest.fixture(autouse=True)
def today_is_2026_11_24(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_NOW_ENV, "2026-11-24T10:30:00Z")


def cost_total(output) -> Decimal:
    return sum(
        (
            Decimal(str(c["amount"]))
            for r in records_of(output, "usage")
            if r["metric_name"] == "cost"
            for c in r["charges"]
        ),
        Decimal(0),
    )


def config(**top) -> dict:
    return ConfigBuilder().with_account(datadog_account()).with_(**top).build()


def test_given_an_org_month_row_repeated_in_one_answer_then_it_counts_once_with_a_warning(http) -> None:
    mock_datadog(http, hourly_starts=())
    september = payload("datadog/historical_cost__sub_org")
    september["data"].append(dict(september["data"][0]))  # the same row twice
    http.get(HISTORICAL, json=september)
    output = read_source(config(start_date="2026-09-01", end_date="2026-09-30"), "usage")
    assert not output.errors
    assert cost_total(output) == Decimal("73.17")  # 1.17 committed infra_host + 72 on-demand synthetics, once
    assert output.is_in_logs("1 row\\(s\\) came twice")


def test_given_two_different_rows_for_one_org_month_then_the_window_fails_loudly(http) -> None:
    mock_datadog(http, hourly_starts=())
    september = payload("datadog/historical_cost__sub_org")
    other = {**september["data"][0], "attributes": {**september["data"][0]["attributes"], "total_cost": 4150.14}}
    september["data"].append(other)
    http.get(HISTORICAL, json=september)
    output = read_source(config(start_date="2026-09-01", end_date="2026-09-30"), "usage", expecting_exception=True)
    assert "two different rows for one org and month" in output.errors[-1].trace.error.message


@pytest.mark.parametrize(
    ("date", "month"),
    [
        ("2026-10-31T19:00:00-05:00", "2026-11"),
        ("2026-11-01T00:00:00+00:00", "2026-11"),
        ("2026-11-30T23:00:00-02:00", "2026-12"),
        ("2026-11-30T00:00:00Z", "2026-11"),
        ("2026-11", None),
    ],
)
def test_a_cost_rows_month_is_the_month_of_its_utc_instant(date: str, month: str | None) -> None:
    assert transform.cost_month({"date": date}) == month


def test_given_the_mapping_endpoint_404_then_everything_is_read_with_built_in_labels(http) -> None:
    mock_datadog(http, mapping=(404, "error__not_found"), hourly_starts=("2026-11-20T00",))
    output = read_source(config(start_date="2026-11-20", end_date="2026-11-20"))
    assert not output.errors
    usage = records_of(output, "usage")
    assert len([r for r in usage if r["metric_name"] == "cost"]) == 3
    assert len([r for r in usage if r["metric_name"] != "cost"]) > 0
    products = {r["remote_id"]: r["name"] for r in records_of(output, "products")}
    assert products["infra_host"] == "Infra Hosts"
    warnings = [
        m.log.message
        for m in output.logs
        if m.log.level.value == "WARN" and "billing_dimension_mapping" in m.log.message
    ]
    assert len(warnings) == 1
    assert "Not found" in warnings[0]


def test_given_a_final_month_without_the_keys_org_then_a_warning_names_the_month(http) -> None:
    mock_datadog(http, hourly_starts=())
    http.get(HISTORICAL, json=payload("datadog/historical_cost__sub_org"))  # September only
    output = read_source(config(start_date="2026-09-01", end_date="2026-10-31"), "usage")
    assert not output.errors
    assert output.is_in_logs("no final cost for the keys' own org in 2026-10")


def test_given_rows_of_months_not_asked_for_then_a_log_line_reports_them(http) -> None:
    mock_datadog(http, hourly_starts=())
    answer = payload("datadog/historical_cost__sub_org")
    stray = {**answer["data"][0], "attributes": {**answer["data"][0]["attributes"], "date": "2026-03-01T00:00:00Z"}}
    answer["data"].append(stray)
    http.get(HISTORICAL, json=answer)
    output = read_source(config(start_date="2026-09-01", end_date="2026-09-30"), "usage")
    assert cost_total(output) == Decimal("73.17")
    assert output.is_in_logs("rows of months not asked for were left out: 2026-03 \\(1\\)")
