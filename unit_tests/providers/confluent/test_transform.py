from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

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


ORG = "9bb441c4-edef-46ac-8a41-c49e44a3fd9a"


def raw_rows(page: str, line_type: str) -> list[dict]:
    return [row for row in payload(f"confluent/{page}")["data"] if row["line_type"] == line_type]


def test_given_a_two_tier_line_then_the_whole_record_is_the_documented_mapping() -> None:
    rows = raw_rows("billing_costs__page1", "CONNECT_THROUGHPUT")
    [record] = [r for r in records("billing_costs__page1") if r["metric_name"] == "CONNECT_THROUGHPUT"]
    tiers = {"provider": "aws", "region": "us-east-1", "connector_type": "BigQuerySink"}
    assert record == {
        "id": f"confluent|{ORG}|cost|2026-09-01|env-zmz2zd|lcc-8rw3q2|CONNECT|CONNECT_THROUGHPUT",
        "product": {"id": "confluent|product|CONNECT", "name": "Managed connectors"},
        "metric_name": "CONNECT_THROUGHPUT",
        "resources": [
            {
                "id": "lcc-8rw3q2",
                "name": "bq-sink",
                "type": "connector",
                "workspace": {"id": f"confluent|{ORG}|environment|env-zmz2zd", "name": "prod-finance01"},
            }
        ],
        "organization": {"id": f"confluent|{ORG}|organization", "name": "Finance Org"},
        "charges": [
            {
                "amount": 12.5,
                "currency": "USD",
                "type": "total",
                "original_amount": 12.5,
                "discount_amount": 0,
                "unit_price": 0.025,
                "quantity": 500,
                "unit": "GB",
                "tier_dimensions": tiers,
            },
            {
                "amount": 3.75,
                "currency": "USD",
                "type": "total",
                "original_amount": 3.75,
                "discount_amount": 0,
                "unit_price": 0.0125,
                "quantity": 300,
                "unit": "GB",
                "tier_dimensions": tiers,
            },
        ],
        "usage": {
            "quantity": 800,
            "unit": "GB",
            "granularity": "DAILY",
            "network_access_type": "INTERNET",
            "line_type": "CONNECT_THROUGHPUT",
            "tiers": 2,
        },
        "start_date": "2026-09-01T00:00:00Z",
        "end_date": "2026-09-02T00:00:00Z",
        "created_at": None,
        "updated_at": None,
        "provider": "confluent",
        "remote_id": None,
        "remote_data": {"cost_rows": rows},
    }


def test_given_a_promo_credit_without_resource_or_product_then_nothing_is_invented() -> None:
    [record] = [r for r in records("billing_costs__last_page_empty_next") if r["metric_name"] == "PROMO_CREDIT"]
    assert {k: v for k, v in record.items() if k != "remote_data"} == {
        "id": f"confluent|{ORG}|cost|2026-09-01|-|-|-|PROMO_CREDIT",
        "product": None,
        "metric_name": "PROMO_CREDIT",
        "resources": [],
        "organization": {"id": f"confluent|{ORG}|organization", "name": "Finance Org"},
        "charges": [
            {
                "amount": -50,
                "currency": "USD",
                "type": "total",
                "original_amount": -50,
                "discount_amount": 0,
                "unit_price": None,
                "quantity": None,
                "unit": None,
                "description": "Promotional allowance",
            }
        ],
        "usage": {
            "quantity": None,
            "unit": None,
            "granularity": "DAILY",
            "network_access_type": None,
            "line_type": "PROMO_CREDIT",
            "tiers": 1,
        },
        "start_date": "2026-09-01T00:00:00Z",
        "end_date": "2026-09-02T00:00:00Z",
        "created_at": None,
        "updated_at": None,
        "provider": "confluent",
        "remote_id": None,
    }


def line(*rows: dict) -> dict:
    key = transform.cost_line_key(rows[0])
    return transform.to_usage_record(key, list(rows), TENANT, NAMES, include_remote_data=False)


ROW = {"start_date": "2026-09-03", "line_type": "KAFKA_STORAGE", "product": "KAFKA", "amount": 1, "quantity": 2}


@pytest.mark.parametrize(
    ("ids", "expected"),
    [(["r-1"], "r-1"), ([None], None), (["r-1", None], "r-1"), ([None, "r-2"], "r-2"), (["r-1", "r-2"], None)],
    ids=["one-row", "one-row-without-id", "first-of-two", "second-of-two", "two-ids"],
)
def test_a_line_keeps_the_providers_row_id_only_when_it_is_unambiguous(ids: list, expected: str | None) -> None:
    rows = [{**ROW, **({"id": row_id} if row_id else {})} for row_id in ids]
    assert line(*rows)["remote_id"] == expected


def test_a_row_without_end_date_ends_nowhere_and_quantities_add_exactly() -> None:
    record = line({**ROW, "quantity": 0.1}, {**ROW, "quantity": 0.2, "amount": 2})
    assert record["end_date"] is None
    assert record["usage"]["quantity"] == 0.3
    assert str(line({**ROW, "quantity": -0.0})["usage"]["quantity"]) == "0.0"
    assert line({**ROW, "quantity": 0.7})["usage"]["quantity"] == 0.7
    assert line({**ROW, "quantity": 2})["usage"]["quantity"] == 2


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"id": "lkc-1", "display_name": "orders", "environment": {"id": "env-zmz2zd"}}, ("orders", "prod-finance01")),
        ({"id": "lkc-1", "display_name": "orders", "environment": {"id": "env-other"}}, ("orders", None)),
        ({"id": "lkc-1", "display_name": ["odd"], "environment": {"id": "env-zmz2zd"}}, (["odd"], "prod-finance01")),
        ({"id": "lkc-1", "environment": "env-zmz2zd"}, (None, "no workspace")),
    ],
    ids=["listed-environment", "deleted-environment", "unhashable-name", "environment-not-an-object"],
)
def test_a_rows_resource_and_its_workspace(resource: dict, expected: tuple) -> None:
    memo = transform.LineMemo(TENANT, NAMES)
    [first] = memo.resources_of(resource)
    [again] = memo.resources_of(resource)
    name, workspace_name = expected
    assert first == again
    assert (first["id"], first["name"], first["type"]) == ("lkc-1", name, "kafka_cluster")
    if workspace_name == "no workspace":
        assert first["workspace"] is None
    else:
        environment = resource["environment"]["id"]
        assert first["workspace"] == {"id": f"confluent|{ORG}|environment|{environment}", "name": workspace_name}


@pytest.mark.parametrize("resource", [None, "lkc-1", {"display_name": "no id"}, {"id": ""}])
def test_a_resource_without_an_id_gives_no_resources(resource: object) -> None:
    assert transform.LineMemo(TENANT, NAMES).resources_of(resource) == []


def test_an_odd_row_is_handed_to_the_callback_and_the_rows_after_it_are_kept() -> None:
    odd: list[transform.OddRow] = []
    rows = [ROW, {**ROW, "start_date": None}, {**ROW, "line_type": "KAFKA_BASE"}]
    lines = transform.group_cost_rows(rows, on_odd=odd.append)
    assert [key[4] for key in lines] == ["KAFKA_STORAGE", "KAFKA_BASE"]
    assert [str(error) for error in odd] == ["unreadable date 'None'"]
    with pytest.raises(transform.OddRow, match=r"^unreadable date '123456789012345678901234567890'$"):
        transform.day_of("1234567890" * 4)
    with pytest.raises(transform.OddRow, match=r"^unreadable date '123456789012345678901234567890'$"):
        transform.day_of(int("1234567890" * 4))


def test_products_known_and_unknown() -> None:
    assert transform.to_product("KAFKA") == {
        "id": "confluent|product|KAFKA",
        "name": "Kafka clusters",
        "description": "Kafka cluster capacity (CKUs/eCKUs), partitions, storage and network.",
        "created_at": None,
        "updated_at": None,
        "provider": "confluent",
        "remote_id": "KAFKA",
    }
    assert transform.to_product("QUANTUM_STREAMS") == {
        "id": "confluent|product|QUANTUM_STREAMS",
        "name": "QUANTUM_STREAMS",
        "description": None,
        "created_at": None,
        "updated_at": None,
        "provider": "confluent",
        "remote_id": "QUANTUM_STREAMS",
    }


def test_organizations_and_workspaces_with_remote_data_and_the_bare_organization() -> None:
    raw_org = payload("confluent/org_v2_organizations__single")["data"][0]
    assert transform.to_organization(raw_org, include_remote_data=True) == {
        "id": f"confluent|{ORG}|organization",
        "name": "Finance Org",
        "created_at": "2023-02-01T17:04:05Z",
        "updated_at": "2026-08-14T09:30:00Z",
        "provider": "confluent",
        "remote_id": ORG,
        "remote_data": raw_org,
    }
    raw_env = payload("confluent/org_v2_environments__page1")["data"][0]
    workspace = transform.to_workspace(raw_env, TENANT, include_remote_data=True)
    assert workspace["remote_data"] == raw_env
    assert (workspace["remote_id"], workspace["provider"]) == ("env-zmz2zd", "confluent")
    assert workspace["organization"] == {"id": f"confluent|{ORG}|organization", "name": "Finance Org"}
    assert transform.to_bare_organization(transform.Tenant(ORG, None)) == {
        "id": f"confluent|{ORG}|organization",
        "name": None,
        "created_at": None,
        "updated_at": None,
        "provider": "confluent",
        "remote_id": ORG,
    }


@pytest.mark.parametrize("value", ["", "crn://confluent.cloud/environment=env-1", None])
def test_a_crn_without_an_organization_gives_none(value: str | None) -> None:
    assert transform.org_id_from_crn(value) is None


@pytest.mark.parametrize(("value", "expected"), [({"a": 1}, {"a": 1}), ([1], {}), ("x", {}), (None, {})])
def test_as_object_keeps_only_objects(value: object, expected: dict) -> None:
    assert transform.as_object(value) == expected


def test_one_memo_tells_apart_resources_and_lines_that_differ_only_in_their_environment() -> None:
    memo = transform.LineMemo(TENANT, {"env-a": "alpha", "env-b": "beta"})
    in_a = {"id": "lkc-1", "display_name": "orders", "environment": {"id": "env-a"}}
    in_b = {"id": "lkc-1", "display_name": "orders", "environment": {"id": "env-b"}}
    other = {"id": "lkc-2", "display_name": "orders", "environment": {"id": "env-a"}}
    assert [memo.resources_of(r)[0]["workspace"]["name"] for r in (in_a, in_b, in_a)] == ["alpha", "beta", "alpha"]
    assert memo.resources_of(other)[0]["id"] == "lkc-2"
    key_a = ("2026-09-01", "env-a", "lkc-1", "KAFKA", "KAFKA_STORAGE")
    key_b = ("2026-09-01", "env-b", "lkc-1", "KAFKA", "KAFKA_STORAGE")
    assert [memo.line_id(k).split("|")[4] for k in (key_a, key_b, key_a)] == ["env-a", "env-b", "env-a"]


def test_read_only_mappings_are_objects_too() -> None:
    resource = MappingProxyType({"id": "lkc-1", "environment": MappingProxyType({"id": "env-zmz2zd"})})
    [mapped] = transform.LineMemo(TENANT, NAMES).resources_of(resource)
    assert mapped["workspace"] == {"id": f"confluent|{ORG}|environment|env-zmz2zd", "name": "prod-finance01"}
    assert transform.as_object(MappingProxyType({"a": 1})) == {"a": 1}


def test_without_remote_data_entities_carry_none() -> None:
    raw_org = payload("confluent/org_v2_organizations__single")["data"][0]
    raw_env = payload("confluent/org_v2_environments__page1")["data"][0]
    assert "remote_data" not in transform.to_organization(raw_org, include_remote_data=False)
    assert "remote_data" not in transform.to_workspace(raw_env, TENANT, include_remote_data=False)


def test_one_memo_tells_apart_a_renamed_resource_and_read_only_environments() -> None:
    memo = transform.LineMemo(TENANT, {"env-a": "alpha", "env-b": "beta"})
    old = {"id": "lkc-1", "display_name": "orders", "environment": {"id": "env-a"}}
    renamed = {"id": "lkc-1", "display_name": "orders-v2", "environment": {"id": "env-a"}}
    assert [memo.resources_of(r)[0]["name"] for r in (old, renamed)] == ["orders", "orders-v2"]
    in_a = {"id": "lkc-9", "environment": MappingProxyType({"id": "env-a"})}
    in_b = {"id": "lkc-9", "environment": MappingProxyType({"id": "env-b"})}
    assert [memo.resources_of(r)[0]["workspace"]["name"] for r in (in_a, in_b)] == ["alpha", "beta"]
