"""Real-payload quirks of the Confluent Cloud API, each read through the whole source."""

from __future__ import annotations

from datetime import date

from airbyte_cdk.models import SyncMode

from unit_tests.confluent_api import (
    EMPTY_COSTS,
    ORG_ID,
    cost_row,
    mock_costs,
    mock_costs_by_day,
    mock_org_api,
    two_page_costs,
)
from unit_tests.conftest import CONFLUENT_URL, ConfigBuilder, payload
from unit_tests.read_helpers import final_state, read_source, records_of

COSTS = f"{CONFLUENT_URL}/billing/v1/costs"
PARTITION = {"provider": "confluent", "host": "api.confluent.cloud", "tenant": ORG_ID}


def cost_requests(http) -> list:
    return [r for r in http.request_history if r.url.startswith(COSTS)]


def test_given_next_url_on_another_host_when_paging_then_only_its_token_is_used(http) -> None:
    mock_org_api(http)
    first = payload("confluent/billing_costs__page1")
    first["metadata"]["next"] = "https://evil.example.com/billing/v1/costs?page_token=tok-2"
    mock_costs(http, {"2026-09-01": [first, payload("confluent/billing_costs__last_page_empty_next")]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    assert len(records_of(output, "usage")) == 7
    hosts = {r.hostname for r in http.request_history}
    assert hosts == {"api.confluent.cloud"}
    second = cost_requests(http)[1]
    assert second.qs["page_token"] == ["tok-2"]
    assert second.qs["start_date"] == ["2026-09-01"]
    assert second.headers["Authorization"].startswith("Basic ")


def test_given_metadata_absent_or_next_null_then_paging_ends(http) -> None:
    mock_org_api(http)
    no_metadata = payload("confluent/billing_costs__no_metadata")
    null_next = dict(EMPTY_COSTS, metadata={"next": None})
    mock_costs(http, {"2026-09-01": [no_metadata], "2026-10-01": [null_next]})
    config = ConfigBuilder().with_confluent().with_(end_date="2026-10-05").build()
    output = read_source(config, "usage")
    assert len(records_of(output, "usage")) == 1
    assert len(cost_requests(http)) == 2


def test_given_long_range_then_windows_never_exceed_31_days_and_end_is_exclusive(http) -> None:
    mock_org_api(http)
    mock_costs(http, {})
    config = ConfigBuilder().with_confluent().with_(start_date="2026-01-15", end_date="2026-03-31").build()
    read_source(config, "usage")
    windows = sorted((r.qs["start_date"][0], r.qs["end_date"][0]) for r in cost_requests(http))
    assert windows == [("2026-01-15", "2026-02-01"), ("2026-02-01", "2026-03-01"), ("2026-03-01", "2026-04-01")]
    assert all(r.qs["page_size"] == ["10000"] for r in cost_requests(http))


def test_given_too_far_apart_answer_then_window_is_halved_and_retried(http) -> None:
    mock_org_api(http)
    pages = iter(two_page_costs())

    def answer(request, context):
        start, end = (date.fromisoformat(request.qs[k][0]) for k in ("start_date", "end_date"))
        if (end - start).days > 16:
            context.status_code = 400
            return payload("confluent/billing_costs__too_far_apart")
        return next(pages) if start == date(2026, 9, 1) else EMPTY_COSTS

    http.get(COSTS, json=answer)
    config = ConfigBuilder().with_confluent().with_(end_date="2026-09-30").build()
    output = read_source(config, "usage")
    windows = [(r.qs["start_date"][0], r.qs["end_date"][0]) for r in cost_requests(http)]
    assert windows[0] == ("2026-09-01", "2026-10-01")
    assert ("2026-09-01", "2026-09-16") in windows
    assert ("2026-09-16", "2026-10-01") in windows
    assert len(records_of(output, "usage")) == 7
    assert not output.errors


def test_given_oldest_window_too_far_in_past_then_skipped_with_warning(http) -> None:
    mock_org_api(http)
    old = [(400, payload("confluent/billing_costs__too_far_in_past"))]
    mock_costs(http, {"2026-08-01": old, "2026-09-01": two_page_costs()})
    config = ConfigBuilder().with_confluent().with_(start_date="2026-08-01").build()
    output = read_source(config, "usage")
    assert not output.errors
    assert len(records_of(output, "usage")) == 7
    assert output.is_in_logs("too far in the past")
    assert final_state(output, "usage")["states"][0]["cursor"]["end_date"] == "2026-09-02T00:00:00Z"


def test_given_403_on_old_data_only_then_skipped(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-08-01": [(403, payload("confluent/error__403"))], "2026-09-01": two_page_costs()})
    config = ConfigBuilder().with_confluent().with_(start_date="2026-08-01").build()
    output = read_source(config, "usage")
    assert not output.errors
    assert len(records_of(output, "usage")) == 7


def test_given_403_after_older_days_were_read_then_the_account_fails_holding_the_cursor(http) -> None:
    mock_org_api(http)
    rows = {"2026-08-20": [cost_row("2026-08-20", 10.0)], "2026-09-01": [cost_row("2026-09-01", 5.0)]}
    mock_costs_by_day(http, rows, refuse_days=frozenset({"2026-09-01"}), refusal=(403, payload("confluent/error__403")))
    config = ConfigBuilder().with_confluent().with_(start_date="2026-08-01").build()
    output = read_source(config, "usage", expecting_exception=True)
    assert [r["charges"][0]["amount"] for r in records_of(output, "usage")] == [10.0]  # August is delivered
    message = output.errors[-1].trace.error.message
    assert "accounts[0]" in message
    assert "refused 2026-09-01..2026-09-02" in message
    assert "Forbidden Access" in message  # the provider's own words
    assert "OrganizationAdmin" not in message  # the key reads August: not a role problem
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": "2026-09-01T00:00:00Z"}


def test_given_odd_row_then_skipped_with_warning_and_others_kept(http) -> None:
    mock_org_api(http)
    page = payload("confluent/billing_costs__no_metadata")
    page["data"].append({**page["data"][0], "start_date": "yesterday", "line_type": "KAFKA_BASE"})
    page["data"].append("not an object")
    mock_costs(http, {"2026-09-01": [page]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    assert len(records_of(output, "usage")) == 1
    assert output.is_in_logs("skipped a cost row")


def test_given_body_without_data_then_error_names_the_endpoint(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": [{"api_version": "v1", "kind": "CostList", "metadata": {"next": ""}}]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", expecting_exception=True)
    message = output.errors[-1].trace.error.message
    assert "GET /billing/v1/costs" in message
    assert "'data'" in message


def test_given_org_api_refused_then_organization_from_environment_crn(http) -> None:
    mock_org_api(http)
    http.get(f"{CONFLUENT_URL}/org/v2/organizations", status_code=403, json=payload("confluent/error__403"))
    output = read_source(ConfigBuilder().with_confluent().build(), "organizations", sync_mode=SyncMode.full_refresh)
    organizations = records_of(output, "organizations")
    assert organizations == [
        {
            "id": "confluent|9bb441c4-edef-46ac-8a41-c49e44a3fd9a|organization",
            "provider": "confluent",
            "remote_id": "9bb441c4-edef-46ac-8a41-c49e44a3fd9a",
        }
    ]


def test_given_products_read_first_then_a_window_beyond_history_is_still_only_skipped(http) -> None:
    mock_org_api(http)
    old = [(400, payload("confluent/billing_costs__too_far_in_past"))]
    mock_costs(http, {"2026-08-01": old, "2026-09-01": two_page_costs()})
    config = ConfigBuilder().with_confluent().with_(start_date="2026-08-01").build()
    output = read_source(config, "products", "usage")  # products make a successful costs call first
    assert not output.errors
    assert len(records_of(output, "usage")) == 7


def test_given_a_full_sync_of_every_stream_when_old_windows_are_refused_then_they_are_the_edge_of_history(
    http,
) -> None:
    mock_org_api(http)
    rows = {"2026-07-10": [cost_row("2026-07-10", 99.0)], "2026-09-01": [cost_row("2026-09-01", 5.0)]}
    mock_costs_by_day(http, rows, refuse_before="2026-08-20", refusal=(403, payload("confluent/error__403")))
    config = ConfigBuilder().with_confluent().with_(start_date="2026-07-01").build()
    output = read_source(config)  # every stream: usage, focus_cost, then the entities usage names
    assert not output.errors
    assert [r["charges"][0]["amount"] for r in records_of(output, "usage")] == [5.0]
    assert [r["BilledCost"] for r in records_of(output, "focus_cost")] == [5.0]
    assert [r["id"] for r in records_of(output, "organizations")] == [f"confluent|{ORG_ID}|organization"]
    assert "confluent|product|KAFKA" in [r["id"] for r in records_of(output, "products")]
    for stream in ("usage", "focus_cost"):
        (entry,) = final_state(output, stream)["states"]
        assert list(entry["cursor"].values()) == ["2026-09-02T00:00:00Z"], stream


def test_given_old_windows_refused_with_403_then_they_are_the_edge_of_history(http) -> None:
    mock_org_api(http)
    rows = {"2026-07-10": [cost_row("2026-07-10", 99.0)], "2026-09-01": [cost_row("2026-09-01", 5.0)]}
    refusal = (403, payload("confluent/error__403"))
    mock_costs_by_day(http, rows, refuse_before="2026-08-20", refusal=refusal)
    config = ConfigBuilder().with_confluent().with_(start_date="2026-07-01").build()
    output = read_source(config, "usage")
    assert not output.errors
    assert [r["charges"][0]["amount"] for r in records_of(output, "usage")] == [5.0]
    assert output.is_in_logs("skipped 2026-07-01..2026-08-20 \\(exclusive\\), older than the provider serves")
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": "2026-09-02T00:00:00Z"}


def test_given_every_window_refused_then_the_sync_fails_naming_the_roles(http) -> None:
    mock_org_api(http)
    mock_costs_by_day(http, {}, refuse_before="2099-01-01", refusal=(403, payload("confluent/error__403")))
    config = ConfigBuilder().with_confluent().with_(start_date="2026-08-01").build()
    output = read_source(config, "usage", expecting_exception=True)
    assert "OrganizationAdmin or BillingAdmin" in output.errors[-1].trace.error.message
    assert final_state(output, "usage").get("states", []) == []  # no cursor moved past an unread day
    assert len(cost_requests(http)) <= 2 * 7  # two windows, each narrowed in a handful of reads


def test_lookback_never_shorter_than_the_data_delay(http) -> None:
    mock_org_api(http)
    mock_costs(http, {})
    state = {"usage": {"states": [{"partition": PARTITION, "cursor": {"end_date": "2026-09-20T00:00:00Z"}}]}}
    config = ConfigBuilder().with_confluent().with_(start_date="2026-01-01", end_date="2026-09-30", lookback_days=0)
    read_source(config.build(), "usage", state=state)
    assert [r.qs["start_date"][0] for r in cost_requests(http)] == ["2026-09-17"]


def test_given_usage_read_the_last_days_then_products_ask_for_nothing_more(http) -> None:
    mock_org_api(http)
    rows = {"2026-11-20": [cost_row("2026-11-20", 7.0, product="CONNECT", line_type="CONNECT_CAPACITY")]}
    mock_costs_by_day(http, rows)
    config = ConfigBuilder().with_confluent().with_(start_date="2026-11-01").without("end_date").build()
    output = read_source(config, "usage", "products")
    windows = sorted((r.qs["start_date"][0], r.qs["end_date"][0]) for r in cost_requests(http))
    assert windows == [("2026-11-01", "2026-11-24")]  # today (2026-11-24) is not read: no extra products call
    assert "confluent|product|CONNECT" in [r["id"] for r in records_of(output, "products")]


def test_given_products_alone_then_the_last_seven_days_are_asked_for_their_products(http) -> None:
    mock_org_api(http)
    mock_costs_by_day(http, {"2026-11-20": [cost_row("2026-11-20", 7.0, product="CONNECT")]})
    output = read_source(ConfigBuilder().with_confluent().build(), "products")
    windows = [(r.qs["start_date"][0], r.qs["end_date"][0]) for r in cost_requests(http)]
    assert windows == [("2026-11-17", "2026-11-24")]
    assert "confluent|product|CONNECT" in [r["id"] for r in records_of(output, "products")]
