"""Real-world Confluent answers that once lost or doubled money silently (issue 12), each at its right value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from source_usage_metering.clock import TEST_NOW_ENV
from unit_tests.confluent_api import (
    EMPTY_COSTS,
    ORG_ID,
    cost_row,
    mock_costs,
    mock_costs_by_day,
    mock_org_api,
)
from unit_tests.conftest import CONFLUENT_URL, ConfigBuilder, payload
from unit_tests.read_helpers import final_state, read_source, records_of

COSTS = f"{CONFLUENT_URL}/billing/v1/costs"
PARTITION = {"provider": "confluent", "host": "api.confluent.cloud", "tenant": ORG_ID}


@pytest.fixture(autouse=True)
def today_is_2026_11_20(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_NOW_ENV, "2026-11-20T08:00:00Z")


def total(output) -> Decimal:
    return sum((Decimal(str(c["amount"])) for r in records_of(output, "usage") for c in r["charges"]), Decimal(0))


def cost_requests(http) -> list:
    return [r for r in http.request_history if r.url.startswith(COSTS)]


def test_given_history_shorter_than_a_year_when_first_sync_then_every_readable_day_is_delivered(http) -> None:
    # T = 2026-11-20: T-335 = 2025-12-20, T-334 = 2025-12-21, T-295 = 2026-01-29.
    mock_org_api(http)
    rows = {
        "2025-12-20": [cost_row("2025-12-20", 250.0)],
        "2025-12-21": [cost_row("2025-12-21", 250.0)],
        "2026-01-29": [cost_row("2026-01-29", 40.0)],
    }
    too_old = (400, payload("confluent/billing_costs__too_far_in_past"))
    mock_costs_by_day(http, rows, refuse_before="2025-12-20", refusal=too_old)
    output = read_source(ConfigBuilder().with_confluent().without("start_date").without("end_date").build(), "usage")
    assert not output.errors
    assert total(output) == Decimal("540")
    assert output.is_in_logs("start date is too far in the past")
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": "2026-11-20T00:00:00Z"}
    assert len(cost_requests(http)) <= 13 + 2 * 7  # twelve-and-a-bit months, two narrowed in a handful of reads


@pytest.mark.parametrize(
    "not_a_page",
    [
        {"api_version": "v1", "kind": "CostList", "metadata": {"next": ""}, "data": None},
        {"errors": [{"detail": "billing backend timeout"}], "data": None},
    ],
    ids=["data-null", "errors-and-data-null"],
)
def test_given_a_window_answered_with_no_page_then_fail_holding_the_cursor_and_deliver_it_next_sync(
    http, not_a_page: dict
) -> None:
    mock_org_api(http)
    september = {"2026-09-01": [cost_row("2026-09-01", 22000.0)], "2026-09-30": [cost_row("2026-09-30", 185.56)]}
    october = {"2026-10-02": [cost_row("2026-10-02", 19800.32)]}
    config = ConfigBuilder().with_confluent().with_(start_date="2026-09-01", end_date="2026-10-31").build()

    def answer(request, context):
        if request.qs["start_date"][0] == "2026-09-01":
            return not_a_page
        days = {**september, **october}
        start, end = request.qs["start_date"][0], request.qs["end_date"][0]
        return {**EMPTY_COSTS, "data": [r for d in sorted(days) if start <= d < end for r in days[d]]}

    http.get(COSTS, json=answer)
    first = read_source(config, "usage", expecting_exception=True)
    message = first.errors[-1].trace.error.message
    assert "GET /billing/v1/costs" in message
    assert "not a page" in message
    assert final_state(first, "usage").get("states", []) == []  # never moved past September
    mock_costs_by_day(http, {**september, **october})
    state = {"usage": final_state(first, "usage") or {"states": []}}
    second = read_source(config, "usage", state=state)
    assert not second.errors
    assert total(second) == Decimal("41985.88")  # $22,185.56 of September was once lost


def test_given_a_row_repeated_on_the_next_page_then_it_counts_once_with_a_warning(http) -> None:
    mock_org_api(http)
    tier = {"tier_dimensions": {"provider": "aws", "region": "us-east-1", "connector_type": "S3_SINK"}}
    r1 = cost_row("2026-09-01", 4.0, id="cst-9f8e7d6c01", line_type="CONNECT_THROUGHPUT", product="CONNECT", **tier)
    r2 = cost_row("2026-09-01", 131.25, id="cst-9f8e7d6c02", line_type="CONNECT_THROUGHPUT", product="CONNECT", **tier)
    r3 = cost_row("2026-09-01", 7.5, id="cst-9f8e7d6c03", line_type="KAFKA_NUM_CKUS")
    first_page = {**EMPTY_COSTS, "data": [r1, r2], "metadata": {"next": f"{COSTS}?page_token=p2"}}
    mock_costs(http, {"2026-09-01": [first_page, {**EMPTY_COSTS, "data": [dict(r2), r3]}]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    lines = {r["metric_name"]: r for r in records_of(output, "usage")}
    assert sum(Decimal(str(c["amount"])) for c in lines["CONNECT_THROUGHPUT"]["charges"]) == Decimal("135.25")
    assert len(lines["CONNECT_THROUGHPUT"]["charges"]) == 2
    assert total(output) == Decimal("142.75")
    assert output.is_in_logs("1 row\\(s\\) of 2026-09-01..2026-09-02 came twice")


def test_given_a_row_id_answered_twice_with_other_values_then_the_later_answer_counts(http) -> None:
    mock_org_api(http)
    before = cost_row("2026-09-01", 10.0, id="cst-1")
    after = cost_row("2026-09-01", 12.5, id="cst-1")
    first_page = {**EMPTY_COSTS, "data": [before], "metadata": {"next": f"{COSTS}?page_token=p2"}}
    mock_costs(http, {"2026-09-01": [first_page, {**EMPTY_COSTS, "data": [after]}]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    assert total(output) == Decimal("12.5")
    assert output.is_in_logs("cst-1")


def test_given_rows_of_days_outside_the_window_then_left_out_with_a_log_line(http) -> None:
    mock_org_api(http)
    page = {**EMPTY_COSTS, "data": [cost_row("2026-09-01", 3.0), cost_row("2026-08-31", 1000.0)]}
    mock_costs(http, {"2026-09-01": [page]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    assert total(output) == Decimal("3.0")
    assert output.is_in_logs("2026-08-31 \\(1\\)")


def test_given_another_organization_listed_first_then_the_data_is_filed_under_the_environments_org(http) -> None:
    mock_org_api(http)
    http.get(
        f"{CONFLUENT_URL}/org/v2/organizations", json=payload("confluent/org_v2_organizations__sandbox_listed_first")
    )
    mock_costs_by_day(http, {"2026-09-01": [cost_row("2026-09-01", 3.0)]})
    output = read_source(ConfigBuilder().with_confluent().build())
    assert not output.errors
    assert [r["id"] for r in records_of(output, "organizations")] == [f"confluent|{ORG_ID}|organization"]
    assert [r["name"] for r in records_of(output, "organizations")] == ["Example Corp A"]
    usage = records_of(output, "usage")
    assert {r["organization"]["id"] for r in usage} == {f"confluent|{ORG_ID}|organization"}
    assert usage[0]["id"].startswith(f"confluent|{ORG_ID}|cost|2026-09-01|")
    assert final_state(output, "usage")["states"][0]["partition"] == PARTITION
    assert output.is_in_logs("0.1.0 filed this account")


def test_given_several_organizations_and_no_environment_then_a_clear_error(http) -> None:
    mock_org_api(http)
    http.get(
        f"{CONFLUENT_URL}/org/v2/organizations", json=payload("confluent/org_v2_organizations__sandbox_listed_first")
    )
    http.get(
        f"{CONFLUENT_URL}/org/v2/environments", json={"api_version": "org/v2", "kind": "EnvironmentList", "data": []}
    )
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", expecting_exception=True)
    message = output.errors[-1].trace.error.message
    assert "cannot tell which organization the key belongs to" in message
    assert "2 organizations are listed" in message


def test_given_a_cursor_in_the_future_then_it_is_pulled_back_and_the_sync_reads_again(http) -> None:
    mock_org_api(http)
    mock_costs_by_day(http, {"2026-11-16": [cost_row("2026-11-16", 8.0)]})
    state = {"usage": {"states": [{"partition": PARTITION, "cursor": {"end_date": "2099-01-01T00:00:00Z"}}]}}
    config = ConfigBuilder().with_confluent().without("end_date").with_(start_date="2026-01-01").build()
    output = read_source(config, "usage", state=state)
    assert total(output) == Decimal("8.0")
    assert [(r.qs["start_date"][0], r.qs["end_date"][0]) for r in cost_requests(http)] == [("2026-11-15", "2026-11-20")]
    assert output.is_in_logs("lies after now")
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": "2026-11-20T00:00:00Z"}


def test_given_a_local_clock_ahead_of_the_provider_then_the_cursor_stops_at_the_providers_today(
    http, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_NOW_ENV, "2026-12-10T08:00:00Z")  # the local clock is 20 days ahead
    mock_org_api(http)
    http.get(
        COSTS,
        json={**EMPTY_COSTS, "data": [cost_row("2026-11-18", 6.0)]},
        headers={"Date": "Fri, 20 Nov 2026 08:00:00 GMT"},
    )
    config = ConfigBuilder().with_confluent().without("end_date").with_(start_date="2026-11-18").build()
    output = read_source(config, "usage")
    assert total(output) == Decimal("6.0")
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": "2026-11-20T00:00:00Z"}
