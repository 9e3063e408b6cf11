"""The focus_cost stream through the whole source: one row per charge, the money of usage, one read for both."""

from __future__ import annotations

from decimal import Decimal

import pytest

from source_usage_metering.clock import TEST_NOW_ENV
from unit_tests.confluent_api import EMPTY_COSTS, mock_costs, mock_org_api, two_page_costs
from unit_tests.conftest import CONFLUENT_URL, ConfigBuilder, payload
from unit_tests.datadog_api import datadog_account, mock_datadog
from unit_tests.read_helpers import assert_valid, final_state, read_source, records_of


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_NOW_ENV, "2026-11-24T10:30:00Z")


def money(values) -> Decimal:
    return sum((Decimal(str(v)) for v in values), Decimal(0))


def test_given_confluent_cost_lines_then_one_row_per_charge_with_the_same_money(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", "focus_cost")
    assert not output.errors
    assert_valid(output)
    usage, rows = records_of(output, "usage"), records_of(output, "focus_cost")
    charges = [(record["id"], charge) for record in usage for charge in record["charges"]]
    assert len(rows) == len(charges)
    assert money(row["BilledCost"] for row in rows) == money(charge["amount"] for _, charge in charges)
    assert {row["x_UsageId"] for row in rows} == {record["id"] for record in usage}
    assert len({row["x_ChargeId"] for row in rows}) == len(rows)
    cursor = "2026-09-02T00:00:00Z"
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": cursor}
    assert final_state(output, "focus_cost")["states"][0]["cursor"] == {"ChargePeriodEnd": cursor}


def test_selected_with_usage_then_no_request_is_made_twice(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    config = ConfigBuilder().with_confluent().build()
    read_source(config, "usage")
    alone = http.call_count
    http.reset_mock()
    output = read_source(config, "usage", "focus_cost")
    assert http.call_count == alone
    assert records_of(output, "focus_cost")


def test_selected_alone_then_it_reads_the_cost_itself(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    output = read_source(ConfigBuilder().with_confluent().build(), "focus_cost")
    assert not output.errors
    assert len(records_of(output, "focus_cost")) == 8  # seven lines, one of them in two tiers
    assert any(r.url.startswith(f"{CONFLUENT_URL}/billing/v1/costs") for r in http.request_history)


def test_datadog_hourly_measurements_make_no_rows_and_committed_on_demand_two(http) -> None:
    mock_datadog(http, hourly_starts=("2026-11-20T00",))
    config = ConfigBuilder().with_account(datadog_account()).with_(start_date="2026-11-20", end_date="2026-11-20")
    output = read_source(config.build(), "usage", "focus_cost")
    assert not output.errors
    cost = [r for r in records_of(output, "usage") if r["charges"]]
    rows = records_of(output, "focus_cost")
    assert len(rows) == sum(len(r["charges"]) for r in cost)
    assert {row["PricingCategory"] for row in rows} <= {"Committed", "Standard"}
    assert money(row["BilledCost"] for row in rows) == money(c["amount"] for r in cost for c in r["charges"])


def test_given_a_cost_line_focus_cannot_carry_then_focus_cost_fails_the_account_and_holds_its_cursor(http) -> None:
    """`original_amount` is required by Confluent's schema; a row without it has no ListCost: never skip the line."""
    row = dict(payload("confluent/billing_costs__no_metadata")["data"][0])
    del row["original_amount"]
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": [{**EMPTY_COSTS, "data": [row]}]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", "focus_cost", expecting_exception=True)
    assert len(records_of(output, "usage")) == 1  # usage has the line (its money needs no list price)
    assert records_of(output, "focus_cost") == []
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": "2026-09-02T00:00:00Z"}
    assert not (final_state(output, "focus_cost") or {}).get("states")  # no cursor moved past the line
    messages = [error.trace.error.message for error in output.errors]
    assert any("focus_cost" in m and "ListCost (original_amount)" in m and "cursor is held" in m for m in messages)
    assert output.errors[-1].trace.error.failure_type.value == "system_error"
