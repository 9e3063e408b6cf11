"""Shared fixtures: no network (requests-mock fails unmatched requests), no real sleeping, config builders."""

from __future__ import annotations

import json
import time
from copy import deepcopy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests_mock

from source_usage_metering.clock import TEST_NOW_ENV, pinned_env

PAYLOADS = Path(__file__).parent / "payloads"
CONFLUENT_URL = "https://api.confluent.cloud"
CONFLUENT_KEY = "CCKEYUNITTEST0001"
CONFLUENT_SECRET = "cfltUnitTestSecretValue+/AbCdEf0123456789"
# Every unit test runs at this instant unless it pins another (`pin_clock`): after the 16th, so October is final.
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)


def payload(name: str) -> Any:
    """A payload fixture: `<provider>/<endpoint>__<scenario>` (without .json)."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


class ConfigBuilder:
    """Connector configs for tests, Confluent by default."""

    def __init__(self) -> None:
        self._config: dict[str, Any] = {"accounts": [], "start_date": "2026-09-01", "end_date": "2026-09-01"}

    def with_confluent(self, **overrides: Any) -> ConfigBuilder:
        account = {"provider": "confluent", "name": "acme", "api_key": CONFLUENT_KEY, "api_secret": CONFLUENT_SECRET}
        self._config["accounts"].append({**account, **overrides})
        return self

    def with_account(self, account: dict[str, Any]) -> ConfigBuilder:
        self._config["accounts"].append(account)
        return self

    def with_(self, **top_level: Any) -> ConfigBuilder:
        self._config.update(top_level)
        return self

    def without(self, key: str) -> ConfigBuilder:
        self._config.pop(key, None)
        return self

    def build(self) -> dict[str, Any]:
        return deepcopy(self._config)


@pytest.fixture(autouse=True)
def http(request: pytest.FixtureRequest) -> requests_mock.Mocker | None:
    """Every HTTP request must be mocked; anything else fails the test (emulator tests talk to 127.0.0.1)."""
    if "emulator" in request.node.path.parts:
        yield None
        return
    with requests_mock.Mocker() as mocker:
        yield mocker


class RecordingClock:
    """`time` as retry code sees it, except that `sleep` records the wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """CDK retries sleep for real in production; here they only record the wait (seconds)."""
    import airbyte_cdk.sources.streams.http.rate_limiting as rate_limiting
    import backoff._sync

    clock = RecordingClock()
    monkeypatch.setattr(rate_limiting, "time", clock)
    monkeypatch.setattr(backoff._sync, "time", clock)
    return clock.waits


def pin_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Pin the connector's clock (`clock.utc_now`) to `moment` for the rest of the test."""
    monkeypatch.setenv(TEST_NOW_ENV, pinned_env(moment)[TEST_NOW_ENV])


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """No unit test reads the real clock: the connector's `now` is `NOW` (a test may pin another with `pin_clock`)."""
    pin_clock(monkeypatch, NOW)
    return NOW
