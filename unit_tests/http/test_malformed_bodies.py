"""Odd provider answers: retried where transient, else a clear error naming the endpoint; odd rows never crash."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import FailureType

from source_usage_metering.errors import ProviderError
from unit_tests.confluent_api import mock_costs, mock_org_api
from unit_tests.conftest import CONFLUENT_URL, ConfigBuilder, payload
from unit_tests.http.fakes import BASE, ItemsEndpoint
from unit_tests.read_helpers import final_state, read_source, records_of

ITEMS = f"{BASE}/v1/items"
OK = {"json": {"items": [{"id": 1}]}, "status_code": 200}
HTML_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center>nginx</center></body></html>"
TRUNCATED = '{"items": [{"id": 1}, {"id'


@pytest.mark.parametrize(
    "bad",
    [
        {"status_code": 200, "text": "OK"},
        {"status_code": 200, "text": TRUNCATED},
        {"status_code": 200, "text": ""},
        {"status_code": 502, "text": HTML_502, "headers": {"Content-Type": "text/html"}},
        {"status_code": 503, "text": "upstream connect error or disconnect/reset before headers"},
    ],
    ids=["not-json", "truncated-json", "empty-body", "html-502", "plain-text-503"],
)
def test_given_transient_odd_answer_then_retried_and_read(http, bad: dict) -> None:
    http.get(ITEMS, [bad, OK])
    assert [r["id"] for r in ItemsEndpoint().read_slice({})] == [1]
    assert len(http.request_history) == 2


def test_given_truncated_json_every_time_then_transient_error_naming_endpoint(http) -> None:
    http.get(ITEMS, status_code=200, text=TRUNCATED)
    with pytest.raises(ProviderError) as raised:
        list(ItemsEndpoint().read_slice({}))
    assert len(http.request_history) == 7  # README: at most 6 retries per request
    assert raised.value.failure_type == FailureType.transient_error
    assert "GET /v1/items: transient error: gave up after" in raised.value.message
    assert "not valid JSON" in raised.value.message


def test_given_html_error_page_forever_then_message_has_no_html(http) -> None:
    http.get(ITEMS, status_code=502, text=HTML_502)
    with pytest.raises(ProviderError) as raised:
        list(ItemsEndpoint().read_slice({}))
    assert "HTTP Status Code: 502" in raised.value.message
    assert "<html" not in raised.value.message


COSTS = f"{CONFLUENT_URL}/billing/v1/costs"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ([{"amount": 1.0}], "the answer is a list, not an object"),
        ({"api_version": "v1", "kind": "CostList", "data": {"amount": 1.0}}, "'data' is a dict, not a list"),
        ("a string", "the answer is a str, not an object"),
        ({"api_version": "v1", "kind": "CostList", "data": None}, "its 'data' is null"),
        ({"errors": [{"detail": "billing backend timeout"}], "data": None}, "billing backend timeout"),
    ],
    ids=["list-body", "data-object", "string-body", "data-null", "errors-and-data-null"],
)
def test_given_an_answer_that_is_not_a_page_then_retried_and_the_sync_fails_naming_the_endpoint(
    http, body, says: str
) -> None:
    mock_org_api(http)
    http.get(COSTS, json=body)
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", expecting_exception=True)
    message = output.errors[-1].trace.error.message
    assert "accounts[0] (confluent: acme): GET /billing/v1/costs" in message
    assert says in message
    assert "transient error: gave up after 7 failed attempts" in message
    assert len([r for r in http.request_history if r.url.startswith(COSTS)]) == 7  # retried as transient
    assert final_state(output, "usage").get("states", []) == []  # the cursor never passed the unread window


def test_given_extra_fields_and_unknown_enum_values_then_record_kept_with_raw_values(http) -> None:
    mock_org_api(http)
    page = payload("confluent/billing_costs__no_metadata")
    row = page["data"][0]
    row.update(line_type="KAFKA_QUANTUM_FLUX", product="TABLEFLOW_PLUS", granularity="HOURLY", brand_new={"x": 1})
    mock_costs(http, {"2026-09-01": [page]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    assert not output.errors
    [record] = records_of(output, "usage")
    assert record["metric_name"] == "KAFKA_QUANTUM_FLUX"
    assert "TABLEFLOW_PLUS" in record["id"]


@pytest.mark.parametrize(
    "odd",
    [
        {"start_date": None},
        {"start_date": 20260902},
        {"resource": "lkc-0j2yjp"},
        {"amount": "n/a"},
        {"resource": {"id": "lkc-x", "environment": "env-zmz2zd"}},
    ],
    ids=["null-date", "numeric-date", "resource-string", "amount-text", "environment-string"],
)
def test_given_one_odd_row_then_the_sync_neither_crashes_nor_loses_the_others(http, odd: dict) -> None:
    mock_org_api(http)
    page = payload("confluent/billing_costs__no_metadata")
    good = page["data"][0]
    page["data"].append({**good, "line_type": "KAFKA_STORAGE", **odd})
    mock_costs(http, {"2026-09-01": [page]})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage")
    assert not output.errors
    ids = [r["id"] for r in records_of(output, "usage")]
    assert any("KAFKA_PARTITION" in i for i in ids)
