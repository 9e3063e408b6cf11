"""Secrets are masked in every form they take in output, and a secret with a control character is refused."""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from urllib.parse import quote, quote_plus

import orjson
import pytest
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from source_usage_metering.config import parse_config
from source_usage_metering.errors import ConfigError
from source_usage_metering.http.auth import basic_auth
from source_usage_metering.masking import mask, register_secret, register_secrets
from unit_tests.conftest import ConfigBuilder
from unit_tests.datadog_api import datadog_account

TODAY = date(2026, 11, 30)
ODD_SECRETS = {
    "quote": 'sec"ret-QUOTE-7f3a',
    "backslash": "sec\\ret-BACKSLASH-9d2c",
    "percent": "sec%ret-PERCENT-1b8e",
    "non-ascii": "sécret-NONASCII-日本-4c6d",
    "newline": "sec\nret-NEWLINE-5e0f",
    "all": 'a"b\\c%d é\n-ALL-8a1b',
}


def forms_of(value: str) -> dict[str, str]:
    """How output writes the value: the shapes issue 13 lists, and their nestings seen in --debug logs."""
    return {
        "raw": value,
        "repr": repr({"DD-API-KEY": value}),
        "bytes-repr": f"Invalid header value {value.encode()!r}",
        "json": json.dumps({"detail": value}),
        "orjson": orjson.dumps({"detail": value}).decode(),
        "json-of-repr": json.dumps({"message": repr({"headers": {"DD-API-KEY": value}})}),
        "json-of-json": json.dumps({"body": json.dumps({"errors": [value]})}),
        "url": f"https://api.example.test/x?key={quote(value, safe='')}",
        "form": f"key={quote_plus(value)}",
    }


@pytest.mark.parametrize("name", sorted(ODD_SECRETS))
def test_every_form_of_a_secret_is_masked(name: str) -> None:
    secret = ODD_SECRETS[name]
    marker = re.search(r"[A-Z]{3,}", secret).group()  # survives every escaping unchanged
    register_secret(secret)
    for form, text in forms_of(secret).items():
        assert marker in text, form
        masked = mask(text)
        assert marker not in masked, (form, masked)
        assert "****" in masked, form


def test_a_masked_json_line_stays_valid_json() -> None:
    secret = ODD_SECRETS["all"]
    register_secret(secret)
    line = orjson.dumps({"type": "LOG", "log": {"message": f"the key {secret!r} was rejected: {secret}"}}).decode()
    parsed = json.loads(mask(line))
    assert parsed["log"]["message"] == "the key '****' was rejected: ****"


def test_the_cdk_filter_masks_the_escaped_forms_too() -> None:
    secret = ODD_SECRETS["quote"]
    register_secret(secret)
    assert secret.replace('"', '\\"') not in filter_secrets(json.dumps({"detail": secret}))


def test_the_basic_header_value_is_masked_in_any_form() -> None:
    basic_auth("CANARYKEY", "canary/Secret+value=")
    header = base64.b64encode(b"CANARYKEY:canary/Secret+value=").decode()
    assert mask(f"Authorization: Basic {header}") == "Authorization: Basic ****"
    assert mask(f"auth={quote(header, safe='')}") == "auth=****"


def test_register_secrets_finds_every_provider_secret_on_every_item() -> None:
    config = {
        "accounts": [{"provider": "typo", "api_secret": "NESTED-api-secret-x1"}, {"application_key": "NESTED-app-y2"}]
    }
    register_secrets(config)
    assert mask("NESTED-api-secret-x1 NESTED-app-y2") == "**** ****"


@pytest.mark.parametrize("field", ["api_key", "api_secret"])
@pytest.mark.parametrize(
    ("char", "kind"),
    [
        ("\n", "control character"),
        ("\t", "control character"),
        ("\x00", "control character"),
        ("\x7f", "control character"),
        ("é", "not plain ASCII"),
        ("\u00a0", "not plain ASCII"),
    ],
    ids=["newline", "tab", "nul", "del", "e-acute", "nbsp"],
)
def test_a_secret_with_a_control_or_non_ascii_character_is_refused_naming_the_field(
    field: str, char: str, kind: str
) -> None:
    value = f"VALUE{char}PART2"
    config = ConfigBuilder().with_confluent(**{field: value}).build()
    with pytest.raises(ConfigError) as raised:
        parse_config(config, today=TODAY)
    assert raised.value.message.startswith(f"Invalid config: accounts[0].{field} contains a ")
    assert kind in raised.value.message
    assert "at position 6" in raised.value.message
    assert "VALUE" not in raised.value.message
    assert "PART2" not in raised.value.message


def test_the_datadog_application_key_is_checked_the_same_way() -> None:
    config = ConfigBuilder().with_account(datadog_account(application_key="abc\r\ndef")).build()
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.application_key contains a control character"):
        parse_config(config, today=TODAY)


def test_printable_ascii_punctuation_is_accepted() -> None:
    config = ConfigBuilder().with_confluent(api_secret='a"b\\c%d e+/=').build()
    account = parse_config(config, today=TODAY).accounts[0]
    assert account.api_secret == 'a"b\\c%d e+/='
