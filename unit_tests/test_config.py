from __future__ import annotations

from datetime import date

import pytest

from source_usage_metering.config import UsageMeteringConfig, is_loopback, parse_config
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
    assert parsed.num_workers == 4


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


# Every refusal, word for word: the message is the user's only guide (README: "naming the field, never a secret").
KEY, SECRET = "CCKEYCONFIG00001", "cfltConfigTestSecret0001"
DD_KEY, DD_APP = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210fedcba98"
SITES = (
    "datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, "
    "uk1.datadoghq.com, ddog-gov.com, us2.ddog-gov.com"
)


def confluent(**fields: object) -> dict:
    return {"provider": "confluent", "api_key": KEY, "api_secret": SECRET, **fields}


def datadog(**fields: object) -> dict:
    return {"provider": "datadog", "api_key": DD_KEY, "application_key": DD_APP, **fields}


def with_accounts(*accounts: object, **top: object) -> dict:
    return {"accounts": list(accounts), **top}


REFUSALS = {
    "not-an-object": ([confluent()], "config must be a JSON object"),
    "accounts-missing": ({}, "accounts must be a non-empty list of provider accounts"),
    "accounts-not-a-list": ({"accounts": confluent()}, "accounts must be a non-empty list of provider accounts"),
    "account-not-an-object": (with_accounts("confluent"), "accounts[0] must be an object with a provider and its keys"),
    "provider-unknown": (
        with_accounts(confluent(provider="aws")),
        "accounts[0].provider unknown provider 'aws'; valid providers: confluent, datadog",
    ),
    "provider-40-chars-shown": (
        with_accounts(confluent(provider="p" * 40)),
        f"accounts[0].provider unknown provider '{'p' * 40}'; valid providers: confluent, datadog",
    ),
    "provider-41-chars-not-shown": (
        with_accounts(confluent(provider="p" * 41)),
        "accounts[0].provider unknown provider 'missing'; valid providers: confluent, datadog",
    ),
    "provider-not-text": (
        with_accounts(confluent(provider=7)),
        "accounts[0].provider unknown provider 'missing'; valid providers: confluent, datadog",
    ),
    "secret-missing": (
        with_accounts(confluent(), {"provider": "confluent", "api_key": "K2"}),
        "accounts[1].api_secret is required and must be a non-empty string",
    ),
    "secret-blank": (
        with_accounts(confluent(api_secret="   ")),
        "accounts[0].api_secret is required and must be a non-empty string",
    ),
    "secret-padded": (
        with_accounts(confluent(api_secret=" s ")),
        "accounts[0].api_secret has leading or trailing white space",
    ),
    "key-not-text": (
        with_accounts(confluent(api_key=12)),
        "accounts[0].api_key is required and must be a non-empty string",
    ),
    "name-not-text": (with_accounts(confluent(name=5)), "accounts[0].name must be a string"),
    "url-not-text": (with_accounts(confluent(api_url=5)), "accounts[0].api_url must be a URL string"),
    "url-scheme": (
        with_accounts(confluent(api_url="ftp://127.0.0.1")),
        "accounts[0].api_url must be an absolute https:// URL",
    ),
    "url-no-host": (
        with_accounts(confluent(api_url="https://")),
        "accounts[0].api_url must be an absolute https:// URL",
    ),
    "url-user": (
        with_accounts(confluent(api_url="https://user@api.confluent.cloud")),
        "accounts[0].api_url must not carry credentials, a query or a fragment",
    ),
    "url-password": (
        with_accounts(confluent(api_url="https://:pw@api.confluent.cloud")),
        "accounts[0].api_url must not carry credentials, a query or a fragment",
    ),
    "url-query": (
        with_accounts(confluent(api_url="https://api.confluent.cloud?x=1")),
        "accounts[0].api_url must not carry credentials, a query or a fragment",
    ),
    "url-fragment": (
        with_accounts(confluent(api_url="https://api.confluent.cloud#f")),
        "accounts[0].api_url must not carry credentials, a query or a fragment",
    ),
    "url-plain-http": (
        with_accounts(confluent(api_url="http://api.confluent.cloud")),
        "accounts[0].api_url plain http:// is allowed only for loopback hosts; use https://",
    ),
    "start-format": (
        with_accounts(confluent(), start_date="2026/09/01"),
        "start_date must be a date written YYYY-MM-DD",
    ),
    "start-number": (with_accounts(confluent(), start_date=20260901), "start_date must be a date written YYYY-MM-DD"),
    "start-not-a-day": (
        with_accounts(confluent(), start_date="2026-02-30"),
        "start_date '2026-02-30' is not a calendar date",
    ),
    "start-tomorrow": (
        with_accounts(confluent(), start_date="2026-11-26"),
        "start_date 2026-11-26 lies in the future (today is 2026-11-25 UTC)",
    ),
    "end-before-start": (
        with_accounts(confluent(), start_date="2026-09-02", end_date="2026-09-01"),
        "end_date 2026-09-01 is before start_date 2026-09-02",
    ),
    "lookback-366": (
        with_accounts(confluent(), lookback_days=366),
        "lookback_days must be a whole number of days from 0 to 365",
    ),
    "lookback-negative": (
        with_accounts(confluent(), lookback_days=-1),
        "lookback_days must be a whole number of days from 0 to 365",
    ),
    "lookback-bool": (
        with_accounts(confluent(), lookback_days=True),
        "lookback_days must be a whole number of days from 0 to 365",
    ),
    "lookback-float": (
        with_accounts(confluent(), lookback_days=5.0),
        "lookback_days must be a whole number of days from 0 to 365",
    ),
    "workers-0": (with_accounts(confluent(), num_workers=0), "num_workers must be a whole number from 1 to 20"),
    "workers-21": (with_accounts(confluent(), num_workers=21), "num_workers must be a whole number from 1 to 20"),
    "workers-text": (with_accounts(confluent(), num_workers="4"), "num_workers must be a whole number from 1 to 20"),
    "workers-bool": (with_accounts(confluent(), num_workers=True), "num_workers must be a whole number from 1 to 20"),
    "remote-data-text": (
        with_accounts(confluent(), include_remote_data="yes"),
        "include_remote_data must be true or false",
    ),
    "duplicate": (
        with_accounts(confluent(name="a"), confluent(name="b")),
        "accounts[1] duplicates accounts[0] (same provider, host and API key)",
    ),
    "site-unknown": (
        with_accounts(datadog(site="datadoghq.moon")),
        f"accounts[0].site unknown Datadog site 'datadoghq.moon'; valid sites: {SITES}",
    ),
    "site-60-chars-shown": (
        with_accounts(datadog(site="s" * 60)),
        f"accounts[0].site unknown Datadog site '{'s' * 60}'; valid sites: {SITES}",
    ),
    "site-61-chars-hidden": (
        with_accounts(datadog(site="s" * 61)),
        f"accounts[0].site unknown Datadog site '?'; valid sites: {SITES}",
    ),
    "site-not-text": (
        with_accounts(datadog(site=["datadoghq.com"])),
        f"accounts[0].site unknown Datadog site '?'; valid sites: {SITES}",
    ),
    "currency-lower": (
        with_accounts(datadog(currency="usd")),
        "accounts[0].currency must be a three-letter ISO 4217 code such as USD",
    ),
    "currency-long": (
        with_accounts(datadog(currency="EURO")),
        "accounts[0].currency must be a three-letter ISO 4217 code such as USD",
    ),
    "currency-number": (
        with_accounts(datadog(currency=978)),
        "accounts[0].currency must be a three-letter ISO 4217 code such as USD",
    ),
    "families-text": (
        with_accounts(datadog(product_families="logs")),
        "accounts[0].product_families must be a list of product family names",
    ),
    "families-blank": (
        with_accounts(datadog(product_families=["logs", " "])),
        "accounts[0].product_families must be a list of product family names",
    ),
    "families-number": (
        with_accounts(datadog(product_families=[5])),
        "accounts[0].product_families must be a list of product family names",
    ),
    "child-orgs-text": (
        with_accounts(datadog(include_child_orgs="no")),
        "accounts[0].include_child_orgs must be true or false",
    ),
    "hourly-days-0": (
        with_accounts(datadog(hourly_usage_days=0)),
        "accounts[0].hourly_usage_days must be a whole number of days from 1 to 450",
    ),
    "hourly-days-451": (
        with_accounts(datadog(hourly_usage_days=451)),
        "accounts[0].hourly_usage_days must be a whole number of days from 1 to 450",
    ),
    "hourly-days-text": (
        with_accounts(datadog(hourly_usage_days="7")),
        "accounts[0].hourly_usage_days must be a whole number of days from 1 to 450",
    ),
    "dd-app-key-missing": (
        with_accounts({"provider": "datadog", "api_key": DD_KEY}),
        "accounts[0].application_key is required and must be a non-empty string",
    ),
    "dd-api-key-missing": (
        with_accounts({"provider": "datadog", "application_key": DD_APP}),
        "accounts[0].api_key is required and must be a non-empty string",
    ),
    "dd-name-not-text": (with_accounts(datadog(name=["x"])), "accounts[0].name must be a string"),
    "dd-url-plain-http": (
        with_accounts(datadog(api_url="http://api.datadoghq.com")),
        "accounts[0].api_url plain http:// is allowed only for loopback hosts; use https://",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_given_a_refused_config_then_the_message_names_the_field_word_for_word(case: str) -> None:
    config, problem = REFUSALS[case]
    error = error_of(config)
    assert error.message == f"Invalid config: {problem}."
    assert error.field == problem.split(" ")[0]


@pytest.mark.parametrize(
    "top",
    [
        {"start_date": "2026-11-25"},
        {"start_date": "2026-09-01", "end_date": "2026-09-01"},
        {"lookback_days": 0},
        {"lookback_days": 365},
        {"start_date": "", "end_date": None},
    ],
    ids=["start-today", "end-equals-start", "lookback-0", "lookback-365", "empty-dates"],
)
def test_given_a_boundary_value_then_it_is_accepted(top: dict) -> None:
    parsed = parse(with_accounts(confluent(), **top))
    assert parsed.lookback_days == top.get("lookback_days")
    assert parsed.start_date == (date.fromisoformat(top["start_date"]) if top.get("start_date") else None)


def test_given_every_confluent_field_then_each_is_kept() -> None:
    raw = confluent(name="finance", api_url="https://api.confluent.cloud/")
    parsed = parse(
        with_accounts(raw, start_date="2026-01-01", end_date="2026-02-01", lookback_days=9, include_remote_data=False)
    )
    assert parsed == UsageMeteringConfig(
        accounts=(ConfluentAccount(index=0, name="finance", api_key=KEY, api_secret=SECRET),),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 2, 1),
        lookback_days=9,
        include_remote_data=False,
    )
    assert parse(with_accounts(confluent(name=""))).accounts[0].name is None


def test_given_every_datadog_field_then_each_is_kept_and_defaults_fill_the_rest() -> None:
    full = datadog(
        name="dd-eu",
        site="datadoghq.eu",
        api_url="http://127.0.0.1:9000/",
        currency="EUR",
        product_families=[" logs ", "infra_hosts"],
        include_child_orgs=False,
        hourly_usage_days=450,
    )
    minimal = datadog(product_families=[], hourly_usage_days=1)
    accounts = parse(with_accounts(full, minimal)).accounts
    assert accounts == (
        DatadogAccount(
            index=0,
            name="dd-eu",
            api_key=DD_KEY,
            application_key=DD_APP,
            site="datadoghq.eu",
            api_url="http://127.0.0.1:9000",
            currency="EUR",
            product_families=("logs", "infra_hosts"),
            include_child_orgs=False,
            hourly_usage_days=450,
        ),
        DatadogAccount(
            index=1,
            name=None,
            api_key=DD_KEY,
            application_key=DD_APP,
            site="datadoghq.com",
            api_url="https://api.datadoghq.com",
            currency="USD",
            product_families=("all",),
            include_child_orgs=None,
            hourly_usage_days=1,
        ),
    )
    assert parse(with_accounts(datadog())).accounts[0].hourly_usage_days == 7
    assert parse(with_accounts(datadog(include_child_orgs=True))).accounts[0].include_child_orgs is True


def test_accounts_name_themselves_by_position_provider_and_name_never_by_key() -> None:
    first, second = parse(with_accounts(confluent(name="finance"), datadog())).accounts
    assert (first.label, first.config_path, first.key_id) == ("accounts[0] (confluent: finance)", "accounts[0]", KEY)
    assert (second.label, second.config_path, second.key_id) == ("accounts[1] (datadog)", "accounts[1]", DD_KEY)


def test_only_trailing_slashes_are_taken_off_the_api_url() -> None:
    item = confluent(api_url="https://gateway.example.com/confluentX//")
    assert parse(with_accounts(item)).accounts[0].api_url == "https://gateway.example.com/confluentX"


@pytest.mark.parametrize("workers", [1, 20])
def test_num_workers_takes_1_to_20(workers: int) -> None:
    assert parse(with_accounts(confluent(), num_workers=workers)).num_workers == workers
