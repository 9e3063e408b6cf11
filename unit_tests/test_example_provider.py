"""A provider defined outside the package, added with the public `register()`: the whole source works with it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer, Status
from airbyte_cdk.test.entrypoint_wrapper import _run_command, discover

from source_usage_metering import SourceUsageMetering, providers
from source_usage_metering.schemas import load_schema
from unit_tests.conftest import pin_clock
from unit_tests.example_provider import PROVIDER_SPEC
from unit_tests.read_helpers import STREAMS, assert_valid, final_state, read_source, records_of

TOKEN = "exTok-8c1f0e5b-SECRET-d41d8cd98f00"
BASE = "https://api.usage.example"
ORG = {"id": "org-7", "name": "Example Org"}


@pytest.fixture(autouse=True)
def example_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    pin_clock(monkeypatch, datetime(2026, 11, 20, 8, tzinfo=timezone.utc))
    providers.register(PROVIDER_SPEC)
    yield
    providers.unregister(PROVIDER_SPEC.name)


def config(**top: object) -> dict:
    account = {"provider": "example", "name": "ex", "access_token": TOKEN}
    return {"accounts": [account], "start_date": "2026-11-17", **top}


def mock_api(http, *, org_status: int = 200) -> None:
    if org_status == 200:
        http.get(f"{BASE}/v1/org", json={"data": [ORG]})
    else:
        http.get(f"{BASE}/v1/org", status_code=org_status, json={"errors": [f"token {TOKEN} is not valid"]})

    def costs(request, context):
        return {"data": [{"product": "widgets", "amount": 10.25 + int(request.qs["day"][0][-2:])}]}

    http.get(f"{BASE}/v1/costs", json=costs)


def test_registering_adds_the_provider_to_spec_schemas_and_secrets() -> None:
    output = _run_command(SourceUsageMetering(), ["spec"])
    variants = output.spec_messages[0].spec.connectionSpecification["properties"]["accounts"]["items"]["oneOf"]
    example = [v for v in variants if v["properties"]["provider"]["const"] == "example"]
    assert len(example) == 1
    assert example[0]["properties"]["access_token"]["airbyte_secret"] is True
    assert "example" in load_schema("usage")["properties"]["provider"]["enum"]
    assert "access_token" in providers.secret_fields()


def test_a_name_cannot_be_registered_twice_or_take_a_built_in_name() -> None:
    with pytest.raises(ValueError, match="already registered"):
        providers.register(dataclasses.replace(PROVIDER_SPEC))
    with pytest.raises(ValueError, match="already registered"):
        providers.register(dataclasses.replace(PROVIDER_SPEC, name="confluent"))


def test_check_succeeds(http, tmp_path: Path) -> None:
    mock_api(http)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config()))
    status = _run_command(SourceUsageMetering(), ["check", "--config", str(path)]).connection_status_messages
    assert status[-1].connectionStatus.status == Status.SUCCEEDED


def test_discover_lists_every_stream(http) -> None:
    output = discover(SourceUsageMetering(), config())
    assert {s.name for s in output.catalog.catalog.streams} == set(STREAMS)
    assert http.call_count == 0


def test_read_of_every_stream(http) -> None:
    mock_api(http)
    output = read_source(config())
    assert not output.errors
    assert_valid(output)
    assert [r["id"] for r in records_of(output, "organizations")] == ["example|org-7|organization"]
    assert [r["id"] for r in records_of(output, "products")] == ["example|product|widgets"]
    assert records_of(output, "workspaces") == []
    assert records_of(output, "focus_cost") == []  # a provider without a FOCUS mapping emits no rows
    usage = sorted(records_of(output, "usage"), key=lambda record: record["id"])  # slices are read concurrently
    assert [r["id"] for r in usage] == [f"example|org-7|cost|2026-11-{day}|widgets" for day in (17, 18, 19)]
    assert [r["charges"][0]["amount"] for r in usage] == [27.25, 28.25, 29.25]
    assert final_state(output, "usage") == {
        "states": [
            {
                "partition": {"provider": "example", "host": "api.usage.example", "tenant": "org-7"},
                "cursor": {"end_date": "2026-11-20T00:00:00Z"},
            }
        ]
    }


def test_its_secret_is_masked_in_every_message(http) -> None:
    mock_api(http, org_status=401)
    output = read_source(config(), expecting_exception=True)
    assert output.errors
    printed = "\n".join(json.dumps(AirbyteMessageSerializer.dump(message)) for message in output.get_message_iterator())
    assert "is not valid" in printed  # the provider's message is shown...
    assert TOKEN not in printed  # ...with the token masked
