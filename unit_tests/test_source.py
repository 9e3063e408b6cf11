from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import requests
from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.test.entrypoint_wrapper import _run_command, discover

from source_usage_metering import SourceUsageMetering
from source_usage_metering.providers import provider_specs
from unit_tests.confluent_api import (
    ORG_ID,
    SECOND_KEY,
    SECOND_ORG_ID,
    mock_costs,
    mock_org_api,
    mock_second_org,
    two_page_costs,
)
from unit_tests.conftest import CONFLUENT_SECRET, CONFLUENT_URL, ConfigBuilder, payload
from unit_tests.read_helpers import STREAMS, assert_valid, final_state, read_source, records_of

PARTITION = {"provider": "confluent", "host": "api.confluent.cloud", "tenant": ORG_ID}


def run_check(config: dict, tmp_path: Path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    output = _run_command(SourceUsageMetering(), ["check", "--config", str(path)])
    return output.connection_status_messages[-1].connectionStatus


def test_spec_declares_every_registered_providers_secrets() -> None:
    output = _run_command(SourceUsageMetering(), ["spec"])
    spec = output.spec_messages[0].spec.connectionSpecification
    declared = {}
    for variant in spec["properties"]["accounts"]["items"]["oneOf"]:
        secrets = {k for k, v in variant["properties"].items() if v.get("airbyte_secret")}
        declared[variant["properties"]["provider"]["const"]] = secrets
    assert declared == {"confluent": {"api_key", "api_secret"}, "datadog": {"api_key", "application_key"}}
    assert {name: set(p.secret_fields) for name, p in provider_specs().items()} == declared  # and masked


def test_discover_needs_no_network_and_declares_cursors(http) -> None:
    output = discover(SourceUsageMetering(), ConfigBuilder().with_confluent().build())
    streams = {s.name: s for s in output.catalog.catalog.streams}
    assert set(streams) == set(STREAMS)
    assert streams["usage"].default_cursor_field == ["end_date"]
    assert streams["organizations"].default_cursor_field == ["updated_at"]
    assert streams["focus_cost"].default_cursor_field == ["ChargePeriodEnd"]
    assert streams.pop("focus_cost").source_defined_primary_key == [["x_ChargeId"]]
    assert all(s.source_defined_primary_key == [["id"]] for s in streams.values())
    assert http.call_count == 0


def test_given_good_key_when_check_then_succeeds(http, tmp_path: Path) -> None:
    mock_org_api(http)
    mock_costs(http, {})
    assert run_check(ConfigBuilder().with_confluent().build(), tmp_path).status == Status.SUCCEEDED
    assert any(r.url.startswith(f"{CONFLUENT_URL}/billing/v1/costs") for r in http.request_history)


def test_given_invalid_key_when_check_then_fails_with_actionable_message(http, tmp_path: Path) -> None:
    http.get(f"{CONFLUENT_URL}/org/v2/organizations", status_code=401, json=payload("confluent/error__401"))
    status = run_check(ConfigBuilder().with_confluent().build(), tmp_path)
    assert status.status == Status.FAILED
    assert "accounts[0]" in status.message
    assert "401" in status.message
    assert "Cloud API key" in status.message
    assert CONFLUENT_SECRET not in status.message


def test_given_key_without_billing_role_when_check_then_names_the_roles(http, tmp_path: Path) -> None:
    mock_org_api(http)
    http.get(f"{CONFLUENT_URL}/billing/v1/costs", status_code=403, json=payload("confluent/error__403"))
    status = run_check(ConfigBuilder().with_confluent().build(), tmp_path)
    assert status.status == Status.FAILED
    assert "OrganizationAdmin or BillingAdmin" in status.message


def test_given_unreachable_host_when_check_then_says_so(http, tmp_path: Path) -> None:
    http.get(f"{CONFLUENT_URL}/org/v2/organizations", exc=requests.ConnectionError("refused"))
    status = run_check(ConfigBuilder().with_confluent().build(), tmp_path)
    assert status.status == Status.FAILED
    assert "could not be reached" in status.message
    assert "GET /org/v2/organizations" in status.message
    assert http.call_count == 2  # check retries once, so the answer comes in seconds


def test_given_a_day_of_costs_when_read_then_every_stream_and_exact_total(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    output = read_source(ConfigBuilder().with_confluent().build())
    assert not output.errors
    assert_valid(output)
    usage = records_of(output, "usage")
    pages = two_page_costs()
    truth = sum(Decimal(str(row["amount"])) for page in pages for row in page["data"])
    assert sum(Decimal(str(c["amount"])) for r in usage for c in r["charges"]) == truth
    ids = [r["id"] for stream in STREAMS if stream != "focus_cost" for r in records_of(output, stream)]
    assert len(ids) == len(set(ids))
    assert len(records_of(output, "organizations")) == 1
    assert len(records_of(output, "workspaces")) == 2
    assert final_state(output, "usage") == {
        "states": [{"partition": PARTITION, "cursor": {"end_date": "2026-09-02T00:00:00Z"}}]
    }


def test_references_resolve_to_records_of_other_streams(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    output = read_source(ConfigBuilder().with_confluent().build())
    products = {r["id"] for r in records_of(output, "products")}
    workspaces = {r["id"] for r in records_of(output, "workspaces")}
    organizations = {r["id"] for r in records_of(output, "organizations")}
    only_in_older_rows = {"confluent|product|QUANTUM_STREAMS"}  # the documented exception
    for record in records_of(output, "usage"):
        assert record["organization"]["id"] in organizations
        if record.get("product"):
            assert record["product"]["id"] in products | only_in_older_rows
        for resource in record["resources"]:
            if "deleted" not in resource["workspace"]["id"]:
                assert resource["workspace"]["id"] in workspaces


def test_given_saved_cursor_when_read_then_only_lookback_window(http) -> None:
    mock_org_api(http)
    mock_costs(http, {})
    config = ConfigBuilder().with_confluent().with_(start_date="2026-01-01", end_date="2026-09-30").build()
    state = {"usage": {"states": [{"partition": PARTITION, "cursor": {"end_date": "2026-09-20T00:00:00Z"}}]}}
    output = read_source(config, "usage", state=state)
    windows = [
        (r.qs["start_date"][0], r.qs["end_date"][0]) for r in http.request_history if "/billing/v1/costs" in r.url
    ]
    assert windows == [("2026-09-15", "2026-10-01")]
    assert final_state(output, "usage")["states"][0]["cursor"] == {"end_date": "2026-10-01T00:00:00Z"}


def test_given_state_of_an_account_no_longer_configured_then_it_is_dropped_with_a_log_line(http) -> None:
    mock_org_api(http)
    mock_costs(http, {})
    removed = {
        "partition": {"provider": "confluent", "host": "api.confluent.cloud", "tenant": "other-org"},
        "cursor": {"end_date": "2025-01-01T00:00:00Z"},
    }
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", state={"usage": {"states": [removed]}})
    states = [m.state.stream.stream_state.__dict__["states"] for m in output.state_messages]
    assert states
    assert all(removed not in entries for entries in states)  # not in any STATE of this sync
    assert [e["partition"]["tenant"] for e in final_state(output, "usage")["states"]] == [ORG_ID]
    dropped = [m.log.message for m in output.logs if "dropped the saved state" in m.log.message]
    assert dropped == [
        "usage: dropped the saved state of provider confluent, host api.confluent.cloud, tenant other-org: "
        "no configured account reads it any more"
    ]


def test_given_an_account_that_cannot_resolve_its_partition_then_no_saved_partition_is_dropped(http) -> None:
    mock_org_api(http)
    mock_costs(http, {})
    http.get("https://other.example.com/org/v2/organizations", status_code=401, json={"errors": [{"detail": "no"}]})
    kept = {
        "partition": {"provider": "confluent", "host": "api.confluent.cloud", "tenant": "other-org"},
        "cursor": {"end_date": "2025-01-01T00:00:00Z"},
    }
    config = (
        ConfigBuilder()
        .with_confluent()
        .with_confluent(name="unresolved", api_key="CCKEYUNITTEST0002", api_url="https://other.example.com")
        .build()
    )
    output = read_source(config, "usage", state={"usage": {"states": [kept]}}, expecting_exception=True)
    assert kept in final_state(output, "usage")["states"]
    assert not [m for m in output.logs if "dropped the saved state" in m.log.message]


def test_given_full_refresh_when_read_then_state_is_ignored(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    state = {"usage": {"states": [{"partition": PARTITION, "cursor": {"end_date": "2026-10-01T00:00:00Z"}}]}}
    output = read_source(
        ConfigBuilder().with_confluent().build(), "usage", state=state, sync_mode=SyncMode.full_refresh
    )
    assert len(records_of(output, "usage")) == 7


def test_given_updated_at_cursor_when_read_then_unchanged_entities_skipped(http) -> None:
    mock_org_api(http)
    state = {"workspaces": {"states": [{"partition": PARTITION, "cursor": {"updated_at": "2026-01-01T00:00:00Z"}}]}}
    output = read_source(ConfigBuilder().with_confluent().build(), "workspaces", state=state)
    assert [r["name"] for r in records_of(output, "workspaces")] == ["prod-finance01"]
    assert final_state(output, "workspaces")["states"][0]["cursor"] == {"updated_at": "2026-07-01T12:00:00Z"}


def test_given_two_organizations_sharing_products_then_each_product_is_emitted_once(http) -> None:
    mock_org_api(http)
    mock_second_org(http, SECOND_KEY)
    http.get(f"{CONFLUENT_URL}/billing/v1/costs", json=payload("confluent/billing_costs__last_page_empty_next"))
    config = ConfigBuilder().with_confluent().with_confluent(name="marketing", api_key=SECOND_KEY).build()
    output = read_source(config, "organizations", "products")
    assert not output.errors
    organizations = [r["id"] for r in records_of(output, "organizations")]
    assert organizations == [f"confluent|{ORG_ID}|organization", f"confluent|{SECOND_ORG_ID}|organization"]
    ids = [p["id"] for p in records_of(output, "products")]
    assert len(ids) == len(set(ids))
    assert ids.count("confluent|product|KAFKA") == 1  # in both catalogues and both organizations' recent costs
    assert ids.count("confluent|product|QUANTUM_STREAMS") == 1  # in both organizations' recent costs only
    tenants = {s["partition"]["tenant"] for s in final_state(output, "organizations")["states"]}
    assert tenants == {ORG_ID, SECOND_ORG_ID}


def test_given_two_keys_of_one_organization_then_the_second_is_refused_naming_both(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    config = ConfigBuilder().with_confluent().with_confluent(name="rotated", api_key="CCKEYROTATED0002").build()
    output = read_source(config, "usage", expecting_exception=True)
    assert len(records_of(output, "usage")) == 7  # the first account's lines, once
    message = output.errors[-1].trace.error.message
    assert "accounts[1]" in message
    assert "accounts[0]" in message
