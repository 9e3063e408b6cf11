from __future__ import annotations

from datetime import date

import pytest

from source_usage_metering.config import is_loopback, parse_config
from source_usage_metering.errors import ConfigError
from source_usage_metering.providers.confluent.account import ConfluentAccount
from source_usage_metering.providers.datadog.account import DatadogAccount
from unit_tests.conftest import CONFLUENT_SECRET, ConfigBuilder

TODAY = date(2026, 11, 25)


def parse(config: dict) -> object:
    return parse_config(config, today=TODAY)


def error_of(config: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(config)
    return caught.value


def test_given_confluent_account_when_parsed_then_defaults_apply() -> None:
    parsed = parse(ConfigBuilder().with_confluent().without("end_date").build())
    account = parsed.accounts[0]
    assert isinstance(account, ConfluentAccount)
    assert account.api_url == "https://api.confluent.cloud"
    assert account.host == "api.confluent.cloud"
    assert parsed.start_date == date(2026, 9, 1)
    assert parsed.end_date is None
    assert parsed.include_remote_data is True
    assert parsed.lookback_days is None


def test_given_datadog_site_when_parsed_then_host_follows_site() -> None:
    account = {"provider": "datadog", "api_key": "k" * 32, "application_key": "a" * 40, "site": "datadoghq.eu"}
    parsed = parse(ConfigBuilder().with_account(account).build())
    datadog = parsed.accounts[0]
    assert isinstance(datadog, DatadogAccount)
    assert datadog.api_url == "https://api.datadoghq.eu"
    assert datadog.currency == "USD"
    assert datadog.product_families == ("all",)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c["accounts"][0].pop("api_secret"), "accounts[0].api_secret"),
        (lambda c: c["accounts"][0].update(api_key=""), "accounts[0].api_key"),
        (lambda c: c["accounts"][0].update(provider="snowflake"), "accounts[0].provider"),
        (lambda c: c.update(start_date="2026-13-01"), "start_date"),
        (lambda c: c.update(start_date="01/09/2026"), "start_date"),
        (lambda c: c.update(start_date="2026-12-01", end_date=None), "start_date"),
        (lambda c: c.update(end_date="2026-08-31"), "end_date"),
        (lambda c: c.update(lookback_days=-1), "lookback_days"),
        (lambda c: c.update(include_remote_data="yes"), "include_remote_data"),
        (lambda c: c["accounts"][0].update(api_url="http://api.example.com"), "accounts[0].api_url"),
        (lambda c: c["accounts"][0].update(api_url="ftp://127.0.0.1"), "accounts[0].api_url"),
        (lambda c: c.update(accounts=[]), "accounts"),
    ],
    ids=[
        "missing-secret",
        "empty-key",
        "unknown-provider",
        "bad-month",
        "bad-format",
        "future-start",
        "end-before-start",
        "negative-lookback",
        "non-bool",
        "http-non-loopback",
        "bad-scheme",
        "no-accounts",
    ],
)
def test_given_invalid_config_when_parsed_then_error_names_the_field(mutate, field: str) -> None:
    config = ConfigBuilder().with_confluent().build()
    mutate(config)
    error = error_of(config)
    assert error.field == field
    assert field in error.message
    assert CONFLUENT_SECRET not in error.message


def test_given_unknown_datadog_site_when_parsed_then_valid_sites_are_listed() -> None:
    config = (
        ConfigBuilder()
        .with_account({"provider": "datadog", "api_key": "k", "application_key": "a", "site": "datadoghq.moon"})
        .build()
    )
    error = error_of(config)
    assert error.field == "accounts[0].site"
    assert "us5.datadoghq.com" in error.message


def test_given_duplicate_accounts_when_parsed_then_second_is_named() -> None:
    config = ConfigBuilder().with_confluent().with_confluent(name="again").build()
    error = error_of(config)
    assert error.field == "accounts[1]"
    assert "accounts[0]" in error.message


def test_given_loopback_http_when_parsed_then_accepted() -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:99", "http://127.8.9.10"):
        parsed = parse(ConfigBuilder().with_confluent(api_url=url).build())
        assert parsed.accounts[0].api_url == url


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.1", "example.com", "127.0.0.1.example.com"])
def test_given_non_loopback_host_then_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_given_error_then_secret_values_never_quoted() -> None:
    config = ConfigBuilder().with_confluent(api_secret=" padded-secret-value ").build()
    error = error_of(config)
    assert "padded-secret-value" not in error.message
    assert error.field == "accounts[0].api_secret"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://API.Confluent.Cloud", "api.confluent.cloud"),
        ("https://api.confluent.cloud:443/", "api.confluent.cloud"),
        ("https://api.confluent.cloud:8443", "api.confluent.cloud:8443"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://[::1]:99", "[::1]:99"),
    ],
)
def test_state_key_host_does_not_depend_on_how_the_url_is_written(url: str, host: str) -> None:
    assert parse(ConfigBuilder().with_confluent(api_url=url).build()).accounts[0].host == host
