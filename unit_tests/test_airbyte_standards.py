"""Airbyte's standard source tests, driven by acceptance-test-config.yml, in-process and offline.

The suite calls the provider APIs for real; here they are the fake Confluent and Datadog APIs on requests-mock
(unmatched requests fail). The suite's docker image tests are deselected (`image_tests` marker): the image is
built and run for real by scripts/docker_e2e.sh.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests_mock
from airbyte_cdk.models import AirbyteStateMessageSerializer, ConfiguredAirbyteCatalogSerializer
from airbyte_cdk.test import standard_tests
from airbyte_cdk.test.entrypoint_wrapper import read

from source_usage_metering import SourceUsageMetering
from unit_tests.confluent_api import mock_costs, mock_org_api, two_page_costs
from unit_tests.conftest import CONFLUENT_URL, payload, pin_clock
from unit_tests.datadog_api import mock_datadog

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)
USAGE_HOURS = ("2026-11-20T00", "2026-11-20T10")  # a day slice with usage and the catalogue streams' probe hour


def sample_account(provider: str) -> dict[str, Any]:
    """The sample config's account of a provider."""
    config = json.loads((ROOT / "integration_tests" / "sample_config.json").read_text())
    return next(account for account in config["accounts"] if account["provider"] == provider)


def reject_unknown_confluent_keys(http: requests_mock.Mocker) -> None:
    """Like the real API: any Confluent request without the sample key's Basic auth gets 401."""
    account = sample_account("confluent")
    token = base64.b64encode(f"{account['api_key']}:{account['api_secret']}".encode()).decode()

    def unauthorized(request: Any) -> bool:
        return request.headers.get("Authorization") != f"Basic {token}"

    http.get(
        requests_mock.ANY,
        additional_matcher=lambda r: r.url.startswith(CONFLUENT_URL) and unauthorized(r),
        status_code=401,
        json=payload("confluent/error__401"),
    )


@pytest.fixture(autouse=True)
def fake_provider_apis(http: requests_mock.Mocker, monkeypatch: pytest.MonkeyPatch) -> requests_mock.Mocker:
    """Confluent (one org, two environments, a realistic cost day) and Datadog (parent + child org), at a fixed now."""
    pin_clock(monkeypatch, NOW)
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    mock_datadog(http, hourly_starts=USAGE_HOURS)
    reject_unknown_confluent_keys(http)  # registered last: requests-mock tries the newest matcher first
    return http


class TestAirbyteStandardTests(standard_tests.SourceTestSuiteBase):
    """spec, check (valid and rejected keys), discover, basic read (every stream has records) and full refresh."""

    connector = SourceUsageMetering


def test_abnormal_state_from_the_future_is_pulled_back_and_read_again(http: requests_mock.Mocker) -> None:
    """acceptance-test-config's future state: a cursor after now would read nothing forever, so it is not trusted."""
    config = json.loads((ROOT / "integration_tests" / "sample_config.json").read_text())
    catalog = ConfiguredAirbyteCatalogSerializer.load(
        json.loads((ROOT / "integration_tests" / "configured_catalog.json").read_text())
    )
    future = json.loads((ROOT / "integration_tests" / "abnormal_state.json").read_text())

    output = read(SourceUsageMetering(), config, catalog, [AirbyteStateMessageSerializer.load(m) for m in future])

    assert not output.errors
    assert output.is_in_logs("lies after now")
    costs = [r for r in http.request_history if r.path == "/billing/v1/costs"]
    assert ("2026-11-19", "2026-11-21") in {(r.qs["start_date"][0], r.qs["end_date"][0]) for r in costs}
    assert len([r for r in output.records if r.record.stream == "organizations"]) > 0
    final = {m.state.stream.stream_descriptor.name: m.state.stream.stream_state for m in output.state_messages}
    cursors = [entry["cursor"] for entry in final["usage"].states]
    assert cursors
    assert all(value < "2099" for cursor in cursors for value in cursor.values())
