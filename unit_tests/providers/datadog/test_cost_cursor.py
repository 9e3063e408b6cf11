"""Datadog cost months are never skipped by the cursor: refused reads and unpublished final months are re-read."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from source_usage_metering.providers.datadog import transform
from unit_tests.conftest import ConfigBuilder, payload, pin_clock
from unit_tests.datadog_api import CHILD, PARENT, datadog_account, mock_datadog
from unit_tests.read_helpers import final_state, read_source, records_of

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)  # October became final on the 16th


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    pin_clock(monkeypatch, NOW)


def cost_cursor(output) -> str | None:
    states = [s for s in final_state(output, "usage")["states"] if s["partition"]["kind"] == "cost"]
    return states[0]["cursor"]["end_date"] if states else None


def config() -> dict:
    return ConfigBuilder().with_account(datadog_account()).with_(start_date="2026-09-01", end_date="2026-11-30").build()


def test_given_cost_refused_then_cost_cursor_stays_at_the_first_month(http) -> None:
    mock_datadog(http, estimated=(403, "error__forbidden"), historical=(403, "error__forbidden"), hourly_starts=())
    output = read_source(config(), "usage")
    assert not output.errors
    assert cost_cursor(output) == "2026-09-01T00:00:00Z"


def test_given_historical_cost_without_the_month_just_closed_then_its_estimate_is_read_and_held(http) -> None:
    mock_datadog(http, hourly_starts=())  # historical has September only; October is final by the calendar
    estimated = http.get(
        "https://api.datadoghq.com/api/v2/usage/estimated_cost",
        json={
            "data": [
                {
                    "id": "x",
                    "type": "cost_by_org",
                    "attributes": {
                        "public_id": PARENT,
                        "org_name": "Acme",
                        "date": "2026-10-01T00:00:00+00:00",
                        "total_cost": 5.0,
                        "charges": [{"product_name": "infra_host", "charge_type": "on_demand", "cost": 5.0}],
                    },
                }
            ]
        },
    )
    output = read_source(config(), "usage")
    costs = [r for r in records_of(output, "usage") if r["metric_name"] == "cost"]
    october = [r for r in costs if r["start_date"].startswith("2026-10")]
    assert [r["usage"]["cost_status"] for r in october] == ["estimated"]
    assert {r["usage"]["cost_status"] for r in costs if r["start_date"].startswith("2026-09")} == {"final"}
    assert cost_cursor(output) == "2026-10-01T00:00:00Z"
    assert any(r.qs.get("start_month") == ["2026-10"] for r in estimated.request_history)


def estimated_like_the_api(now_month: str, previous_month: str, body: dict):
    """`estimated_cost` as Datadog serves it: the current and previous month only, else a 400."""

    def answer(request, context):
        if request.qs["start_month"][0] < previous_month or request.qs["start_month"][0] > now_month:
            context.status_code = 400
            return {"errors": ["Estimated cost is only available for the current and previous month"]}
        return body

    return answer


def test_given_early_in_the_month_and_no_final_cost_for_the_month_before_last_then_no_estimate_is_asked(
    http, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_clock(monkeypatch, datetime(2026, 12, 10, 6, tzinfo=timezone.utc))  # November open, October final
    mock_datadog(http, historical=(200, "cost__empty"), hourly_starts=())  # a new org: nothing billed in October
    estimated = http.get(
        "https://api.datadoghq.com/api/v2/usage/estimated_cost",
        json=estimated_like_the_api("2026-12", "2026-11", payload("datadog/estimated_cost__sub_org")),
    )
    cfg = ConfigBuilder().with_account(datadog_account()).with_(start_date="2026-10-01", end_date="2026-12-10").build()
    output = read_source(cfg, "usage")
    assert not output.errors
    assert sorted(r.qs["start_month"][0] for r in estimated.request_history) == ["2026-11"]
    costs = [r for r in records_of(output, "usage") if r["metric_name"] == "cost"]
    assert {(r["start_date"][:7], r["usage"]["cost_status"]) for r in costs} == {("2026-11", "estimated")}
    assert cost_cursor(output) == "2026-10-01T00:00:00Z"  # held: October may still be published (or cost nothing)


def test_odd_cost_elements_are_skipped_and_reported() -> None:
    odd: list[str] = []
    rows = [
        {"attributes": ["not", "an", "object"]},
        {
            "attributes": {
                "public_id": PARENT,
                "date": "2026-10-01T00:00:00+00:00",
                "charges": [
                    "oops",
                    {"product_name": "infra_host", "charge_type": "committed", "cost": 2},
                    {"product_name": "apm_host", "charge_type": "on_demand", "cost": "n/a"},
                ],
            }
        },
    ]
    lines = transform.fold_cost_rows(rows, {"2026-10"}, odd)
    assert [line.amounts for line in lines.values()] == [{"committed": 2}]
    assert len(odd) == 3


def test_odd_measurements_never_crash_and_text_values_are_not_counts() -> None:
    row = {
        "id": "r1",
        "attributes": {
            "public_id": PARENT,
            "product_family": "infra_hosts",
            "org_name": "Acme",
            "measurements": [
                None,
                "x",
                {"usage_type": "host_count", "value": "12"},
                {"usage_type": "agent_host_count", "value": 0},
                {"usage_type": "flag", "value": True},
            ],
        },
    }
    records = list(
        transform.hourly_records(row, "datadoghq.com", ("2026-11-20T10", "a", "b"), include_remote_data=False)
    )
    assert [r["metric_name"] for r in records] == ["agent_host_count"]


def test_given_historical_refuses_a_long_month_range_then_it_is_split(http) -> None:
    mock_datadog(http, hourly_starts=())
    september = payload("datadog/historical_cost__sub_org")

    def historical(request, context):
        first, last = request.qs["start_month"][0], request.qs["end_month"][0]
        if (int(last[:4]) * 12 + int(last[5:])) - (int(first[:4]) * 12 + int(first[5:])) > 1:
            context.status_code = 400
            return {"errors": ["Requested range is too long"]}
        return september if first <= "2026-09" <= last else {"data": []}

    calls = http.get("https://api.datadoghq.com/api/v2/usage/historical_cost", json=historical)
    cfg = ConfigBuilder().with_account(datadog_account()).with_(start_date="2026-07-01", end_date="2026-09-30").build()
    output = read_source(cfg, "usage")
    assert not output.errors
    assert {r["start_date"][:7] for r in records_of(output, "usage") if r["metric_name"] == "cost"} == {"2026-09"}
    asked = {(r.qs["start_month"][0], r.qs["end_month"][0]) for r in calls.request_history}
    assert {("2026-07", "2026-08"), ("2026-08", "2026-09"), ("2026-09", "2026-10")} <= asked


def cost_row(org: str, month: str, cost: float) -> dict:
    """A `cost_by_org` row of one org and month with one on-demand charge."""
    return {
        "id": f"{org}-{month}",
        "type": "cost_by_org",
        "attributes": {
            "public_id": org,
            "org_name": org,
            "date": f"{month}-01T00:00:00+00:00",
            "total_cost": cost,
            "charges": [{"product_name": "infra_host", "charge_type": "on_demand", "cost": cost}],
        },
    }


def test_given_a_child_orgs_final_month_and_none_for_the_parent_then_the_estimate_adds_only_the_parents_line(
    http,
) -> None:
    """A parent that billed nothing itself in October, a child that did: the child's final line is not estimated too."""
    mock_datadog(http, hourly_starts=())
    http.get("https://api.datadoghq.com/api/v2/usage/historical_cost", json={"data": [cost_row(CHILD, "2026-10", 7.0)]})
    http.get(
        "https://api.datadoghq.com/api/v2/usage/estimated_cost",
        json={"data": [cost_row(CHILD, "2026-10", 6.5), cost_row(PARENT, "2026-10", 1.0)]},
    )
    output = read_source(config(), "usage", "focus_cost")
    october = sorted(
        (r["id"], r["usage"]["cost_status"], [c["amount"] for c in r["charges"]])
        for r in records_of(output, "usage")
        if r["metric_name"] == "cost" and r["start_date"].startswith("2026-10")
    )
    assert october == sorted(
        [
            (f"datadog|datadoghq.com|{CHILD}|cost|2026-10|infra_host", "final", [7.0]),
            (f"datadog|datadoghq.com|{PARENT}|cost|2026-10|infra_host", "estimated", [1.0]),
        ]
    )
    charge_ids = [r["x_ChargeId"] for r in records_of(output, "focus_cost")]
    assert len(charge_ids) == len(set(charge_ids))
    assert cost_cursor(output) == "2026-10-01T00:00:00Z"
