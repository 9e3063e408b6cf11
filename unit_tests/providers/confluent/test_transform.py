from __future__ import annotations

from decimal import Decimal

import pytest

from source_usage_metering.providers.confluent import transform
from unit_tests.conftest import payload

TENANT = transform.Tenant("9bb441c4-edef-46ac-8a41-c49e44a3fd9a", "Finance Org")
NAMES = {"env-zmz2zd": "prod-finance01"}


def records(*pages: str, include_remote_data: bool = True) -> list[dict]:
    rows = [row for page in pages for row in payload(f"confluent/{page}")["data"]]
    lines = transform.group_cost_rows(rows)
    return [
        transform.to_usage_record(key, line, TENANT, NAMES, include_remote_data=include_remote_data)
        for key, line in lines.items()
    ]


def test_given_the_two_page_day_when_mapped_then_every_cost_line_id_is_the_documented_format() -> None:
    ids = [r["id"] for r in records("billing_costs__page1", "billing_costs__last_page_empty_next")]
    org = "9bb441c4-edef-46ac-8a41-c49e44a3fd9a"
    assert ids == [  # confluent|<org>|cost|<day>|<env>|<resource>|<product>|<line_type>; tiers folded; missing: -
        f"confluent|{org}|cost|2026-09-01|env-zmz2zd|lkc-0j2yjp|KAFKA|KAFKA_NUM_CKUS",
        f"confluent|{org}|cost|2026-09-01|env-zmz2zd|lkc-0j2yjp|KAFKA|KAFKA_STORAGE",
        f"confluent|{org}|cost|2026-09-01|env-zmz2zd|lsrc-nvmj2d|STREAM_GOVERNANCE|GOVERNANCE_BASE",
        f"confluent|{org}|cost|2026-09-01|env-zmz2zd|lcc-8rw3q2|CONNECT|CONNECT_THROUGHPUT",
        f"confluent|{org}|cost|2026-09-01|-|-|-|PROMO_CREDIT",
        f"confluent|{org}|cost|2026-09-01|-|-|SUPPORT_CLOUD_BUSINESS|SUPPORT",
        f"confluent|{org}|cost|2026-09-01|env-deleted1|lkc-9zz9zz|QUANTUM_STREAMS|QUANTUM_UNITS",
    ]


def test_given_the_same_line_from_two_memos_then_the_same_id() -> None:
    key = ("2026-09-02", "env-zmz2zd", "lkc-0j2yjp", "KAFKA", "KAFKA_PARTITION")
    memo = transform.LineMemo(TENANT, NAMES)
    first, again = memo.line_id(key), memo.line_id(key)
    fresh = transform.LineMemo(TENANT, NAMES).line_id(key)
    assert (
        first
        == again
        == fresh
        == "confluent|9bb441c4-edef-46ac-8a41-c49e44a3fd9a|cost|2026-09-02|env-zmz2zd|lkc-0j2yjp|KAFKA|KAFKA_PARTITION"
    )


def test_given_tiered_rows_when_folded_then_one_record_with_a_charge_per_tier() -> None:
    connect = [r for r in records("billing_costs__page1") if r["metric_name"] == "CONNECT_THROUGHPUT"]
    assert len(connect) == 1
    record = connect[0]
    assert [c["amount"] for c in record["charges"]] == [12.5, 3.75]
    assert {c["type"] for c in record["charges"]} == {"total"}
    assert record["usage"]["quantity"] == 800
    assert record["usage"]["tiers"] == 2
    assert len(record["remote_data"]["cost_rows"]) == 2


def test_given_every_fixture_row_then_charges_sum_to_the_rows_exactly() -> None:
    pages = ("billing_costs__page1", "billing_costs__last_page_empty_next")
    raw_total = sum(Decimal(str(row["amount"])) for p in pages for row in payload(f"confluent/{p}")["data"])
    emitted = sum(Decimal(str(c["amount"])) for r in records(*pages) for c in r["charges"])
    assert emitted == raw_total


def test_given_rows_without_resource_then_kept_with_empty_resources() -> None:
    by_line = {r["metric_name"]: r for r in records("billing_costs__last_page_empty_next")}
    promo = by_line["PROMO_CREDIT"]
    assert promo["resources"] == []
    assert promo["product"] is None
    assert promo["charges"][0]["amount"] == -50
    assert promo["charges"][0]["description"] == "Promotional allowance"
    support = by_line["SUPPORT"]
    assert support["product"]["id"] == "confluent|product|SUPPORT_CLOUD_BUSINESS"


def test_given_unknown_product_and_deleted_environment_then_mapped_without_crash() -> None:
    record = next(r for r in records("billing_costs__last_page_empty_next") if r["metric_name"] == "QUANTUM_UNITS")
    assert record["product"] == {"id": "confluent|product|QUANTUM_STREAMS", "name": "QUANTUM_STREAMS"}
    workspace = record["resources"][0]["workspace"]
    assert workspace["id"].endswith("|environment|env-deleted1")
    assert workspace["name"] is None


def test_given_dates_with_time_suffix_then_normalised() -> None:
    governance = next(r for r in records("billing_costs__page1") if r["metric_name"] == "GOVERNANCE_BASE")
    assert governance["start_date"] == "2026-09-01T00:00:00Z"
    assert governance["end_date"] == "2026-09-02T00:00:00Z"
    assert "2026-09-01|env-zmz2zd|lsrc-nvmj2d" in governance["id"]


def test_given_cost_rows_then_no_timestamp_or_currency_is_invented_beyond_usd() -> None:
    for record in records("billing_costs__page1"):
        assert record["created_at"] is None
        assert record["updated_at"] is None
        assert {c["currency"] for c in record["charges"]} == {"USD"}
        assert record["remote_id"] is None


def test_given_remote_data_off_then_not_attached() -> None:
    assert all("remote_data" not in r for r in records("billing_costs__page1", include_remote_data=False))


def test_references_point_at_organization_and_workspace_ids() -> None:
    kafka = records("billing_costs__page1")[0]
    assert kafka["organization"]["id"] == "confluent|9bb441c4-edef-46ac-8a41-c49e44a3fd9a|organization"
    resource = kafka["resources"][0]
    assert resource == {
        "id": "lkc-0j2yjp",
        "name": "standard-inventory_dev1",
        "type": "kafka_cluster",
        "workspace": {
            "id": "confluent|9bb441c4-edef-46ac-8a41-c49e44a3fd9a|environment|env-zmz2zd",
            "name": "prod-finance01",
        },
    }
    workspace = transform.to_workspace(
        payload("confluent/org_v2_environments__page1")["data"][0], TENANT, include_remote_data=False
    )
    assert workspace["id"] == resource["workspace"]["id"]


def test_organization_and_workspace_timestamps_are_utc() -> None:
    org = transform.to_organization(
        payload("confluent/org_v2_organizations__single")["data"][0], include_remote_data=False
    )
    assert org["created_at"] == "2023-02-01T17:04:05Z"
    assert org["name"] == "Finance Org"


@pytest.mark.parametrize("bad", ["2026/09/01", "", None, "2026-09-01T10:00:00Z"])
def test_given_unreadable_day_then_odd_row(bad: object) -> None:
    with pytest.raises(transform.OddRow):
        transform.day_of(bad)


@pytest.mark.parametrize(
    ("value", "expected"), [(1.5, 1.5), ("2.25", 2.25), (True, None), ("n/a", None), (None, None), ("NaN", None)]
)
def test_number_reads_numbers_only(value: object, expected: object) -> None:
    assert transform.number(value) == expected


def test_crn_gives_the_organization() -> None:
    crn = "crn://confluent.cloud/organization=9bb441c4-edef-46ac-8a41-c49e44a3fd9a/environment=env-zmz2zd"
    assert transform.org_id_from_crn(crn) == TENANT.org_id
    assert transform.org_id_from_crn(None) is None


def test_given_metadata_that_is_not_an_object_then_timestamps_are_null() -> None:
    raw = dict(payload("confluent/org_v2_environments__page1")["data"][0], metadata="oops")
    workspace = transform.to_workspace(raw, TENANT, include_remote_data=False)
    assert workspace["created_at"] is None
    assert workspace["name"] == "prod-finance01"
