"""No secret in any output: spec, check, discover and read (with --debug and failing paths), stdout and stderr."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import Run, console_script, discover_catalog, run_connector
from integration_tests.rewriting_proxy import EchoCredentials, RewritingProxy

CANARY_KEY = "CANARYKEY7Q2XW9ZL"
CANARY_SECRET = "canarySecret+Zq8Wv3Xp/Lm5Nt7Rk2Hd9Jf4"
CANARY_APP_KEY = "canaryappkey0f3e9d2c7b1a6958473625140abc"


@pytest.fixture(scope="module")
def emulator(today: date) -> Iterator[Emulator]:
    with Emulator(scenario=Scenario(months=1, seed=11, datadog_child_orgs=1, product_families=2), today=today) as emu:
        yield emu


def secrets_of(config: dict) -> list[str]:
    """Every secret value of a config, plus the Basic-auth header value a Confluent key and secret make."""
    values = [CANARY_KEY, CANARY_SECRET, CANARY_APP_KEY]
    for account in config.get("accounts") or []:
        if not isinstance(account, dict):
            continue
        values += [account[k] for k in ("api_key", "api_secret", "application_key") if isinstance(account.get(k), str)]
        if isinstance(account.get("api_key"), str) and isinstance(account.get("api_secret"), str):
            pair = f"{account['api_key']}:{account['api_secret']}".encode()
            values.append(base64.b64encode(pair).decode())
    pair = f"{CANARY_KEY}:{CANARY_SECRET}".encode()
    return sorted({*values, base64.b64encode(pair).decode()})


def assert_no_secret(output: str, config: dict) -> None:
    leaked = [value[:6] + "..." for value in secrets_of(config) if value in output]
    assert not leaked, f"secrets printed: {leaked}"


def canary_confluent(url: str, **overrides: object) -> dict:
    account = {"provider": "confluent", "name": "canary", "api_key": CANARY_KEY, "api_secret": CANARY_SECRET}
    return {**account, "api_url": url, **overrides}


def canary_datadog(url: str, **overrides: object) -> dict:
    account = {"provider": "datadog", "name": "dd-canary", "api_key": CANARY_KEY, "application_key": CANARY_APP_KEY}
    return {**account, "site": "datadoghq.com", "api_url": url, **overrides}


def printed(run: Run) -> str:
    return run.stdout + run.stderr


def test_spec_prints_no_secret(tmp_path: Path) -> None:
    # `spec` takes no config; secrets reach it only through its environment, as Meltano passes settings
    # (`TAP_USAGE_METERING_ACCOUNTS`) and as a platform passes its own variables. Debug logging is on.
    config = {
        "accounts": [canary_confluent("https://api.confluent.cloud"), canary_datadog("https://api.datadoghq.com")]
    }
    environment = {
        "TAP_USAGE_METERING_ACCOUNTS": json.dumps(config["accounts"]),
        "CONFLUENT_API_SECRET": CANARY_SECRET,
        "DD_APPLICATION_KEY": CANARY_APP_KEY,
        "LOG_LEVEL": "debug",
    }
    run = run_connector(["spec", "--debug"], tmp_path, env=environment)
    assert run.returncode == 0, run.stderr[-2000:]
    [spec] = run.of_type("SPEC")
    assert "accounts" in spec["spec"]["connectionSpecification"]["properties"]
    assert_no_secret(printed(run), config)


def test_debug_read_of_both_providers_prints_no_secret(emulator: Emulator, tmp_path: Path) -> None:
    config = emulator.connector_config(start_date=emulator.today.replace(day=1).isoformat())
    _, catalog = discover_catalog(config, tmp_path)
    run = run_connector(["read", "--debug"], tmp_path, config=config, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Making outbound API request" in run.stdout  # debug logs of requests (headers included) are on
    assert run.records("usage")
    assert_no_secret(printed(run), config)


@pytest.mark.parametrize("command", ["check", "read"])
def test_bad_credentials_print_no_secret(emulator: Emulator, tmp_path: Path, command: str) -> None:
    config = emulator.connector_config(
        accounts=[canary_confluent(emulator.base_url), canary_datadog(emulator.base_url)]
    )
    catalog = discover_catalog(emulator.connector_config(), tmp_path)[1] if command == "read" else None
    run = run_connector([command, "--debug"], tmp_path, config=config, catalog=catalog)
    assert "401" in printed(run)
    assert_no_secret(printed(run), config)


INVALID_ACCOUNTS = {
    "unknown-provider": {"provider": "aws", "api_key": CANARY_KEY, "api_secret": CANARY_SECRET},
    "missing-secret": {"provider": "confluent", "api_key": CANARY_KEY},
    "secret-wrong-type": {"provider": "confluent", "api_key": CANARY_KEY, "api_secret": [CANARY_SECRET]},
    "bad-url": {
        "provider": "confluent",
        "api_key": CANARY_KEY,
        "api_secret": CANARY_SECRET,
        "api_url": "http://10.1.2.3",
    },
    "datadog-no-app-key": {"provider": "datadog", "api_key": CANARY_KEY, "site": "datadoghq.com"},
    "not-an-object": CANARY_SECRET,
}


@pytest.mark.parametrize(
    ("case", "command"),
    [(case, "check") for case in sorted(INVALID_ACCOUNTS)]
    + [("secret-wrong-type", "discover"), ("secret-wrong-type", "read"), ("not-an-object", "read")],
)
def test_invalid_account_entry_prints_no_secret(tmp_path: Path, case: str, command: str) -> None:
    config = {"accounts": [INVALID_ACCOUNTS[case]], "start_date": "2026-01-01"}
    catalog = {"streams": []} if command == "read" else None
    run = run_connector([command, "--debug"], tmp_path, config=config, catalog=catalog)
    text = printed(run)
    assert "accounts[0]" in text
    assert_no_secret(text, config)
    assert CANARY_SECRET not in text


@pytest.mark.parametrize(
    "content",
    [
        f'{{"accounts": [{{"provider": "confluent", "api_key": "{CANARY_KEY}", "api_secret": "{CANARY_SECRET}"',
        f'["{CANARY_KEY}", "{CANARY_SECRET}"]',
    ],
    ids=["truncated-json", "not-an-object"],
)
def test_malformed_config_file_prints_no_secret(tmp_path: Path, content: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    done = subprocess.run(
        [console_script(), "check", "--debug", "--config", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 or "FAILED" in done.stdout
    assert_no_secret(done.stdout + done.stderr, {})


# Issue 13: secrets in any form, on any path. A proxy in front of the emulator answers 401/403 with a body that quotes
# the credentials it was sent (both providers' keys and secrets, and Confluent's Basic header).
ECHO_CONFLUENT_KEY = "ECHOCCKEY4M8Q"
ECHO_CONFLUENT_SECRET = "echoSecret+Zq8W/v3Xp=Lm5Nt7"
ECHO_DD_KEY = "echoddkey0a1b2c3d4e5f60718293a4b5c"
ECHO_DD_APP_KEY = "echoddappkey9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture(scope="module")
def echo_proxy(emulator: Emulator) -> Iterator[RewritingProxy]:
    with RewritingProxy(emulator.base_url, [EchoCredentials()]) as proxy:
        yield proxy


def echo_accounts(url: str, **keys: str) -> list[dict]:
    confluent = {"api_key": ECHO_CONFLUENT_KEY, "api_secret": ECHO_CONFLUENT_SECRET}
    datadog = {"api_key": ECHO_DD_KEY, "application_key": ECHO_DD_APP_KEY}
    confluent.update({k[len("confluent_") :]: v for k, v in keys.items() if k.startswith("confluent_")})
    datadog.update({k[len("datadog_") :]: v for k, v in keys.items() if k.startswith("datadog_")})
    return [
        {"provider": "confluent", "name": "echo", **confluent, "api_url": url},
        {"provider": "datadog", "name": "dd-echo", **datadog, "site": "datadoghq.com", "api_url": url},
    ]


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_check_masks_credentials_a_401_body_echoes_in_the_connection_status(
    echo_proxy: RewritingProxy, tmp_path: Path, debug: bool
) -> None:
    config = {"accounts": echo_accounts(echo_proxy.base_url)}
    run = run_connector(["check", *(["--debug"] if debug else [])], tmp_path, config=config)
    [status] = run.of_type("CONNECTION_STATUS")
    message = status["connectionStatus"]["message"]
    assert status["connectionStatus"]["status"] == "FAILED"
    assert "invalid credentials: ****" in message  # the echo happened, and was masked
    for secret in (ECHO_CONFLUENT_KEY, ECHO_CONFLUENT_SECRET, ECHO_DD_KEY, ECHO_DD_APP_KEY):
        assert secret not in printed(run)
    pair = base64.b64encode(f"{ECHO_CONFLUENT_KEY}:{ECHO_CONFLUENT_SECRET}".encode()).decode()
    assert pair not in printed(run)


# Keys with characters that change how they are printed: each has an ASCII marker on both sides of the odd
# character, so a leak of either half, escaped or not, shows.
ODD_CONFIGS = {
    # accepted (printable ASCII): they reach the provider, whose 401/403 bodies echo them
    "quote-backslash-percent": {
        "confluent_api_key": 'OQKEYLEFT"OQKEYRIGHT',
        "confluent_api_secret": "OQSECLEFT\\OQSECRIGHT%2F",
        "datadog_api_key": "OQDDLEFT%OQDDRIGHT",
        "datadog_application_key": 'OQAPPLEFT\\"%OQAPPRIGHT',
    },
    # refused by config validation (naming the field, never the value)
    "newline": {"datadog_application_key": "NLAPPLEFT\nNLAPPRIGHT"},
    "non-ascii": {"confluent_api_secret": "NASECLEFTé日本NASECRIGHT"},
}
MARKER = re.compile(r"[A-Z]{2}(?:KEY|SEC|DD|APP)(?:LEFT|RIGHT)")


def markers_of(keys: dict[str, str]) -> list[str]:
    return [marker for value in keys.values() for marker in MARKER.findall(value)]


def basic_header_of(keys: dict[str, str]) -> str:
    key = keys.get("confluent_api_key", ECHO_CONFLUENT_KEY)
    secret = keys.get("confluent_api_secret", ECHO_CONFLUENT_SECRET)
    return base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_spec_with_and_without_debug_prints_no_secret(tmp_path: Path) -> None:
    for args in (["spec"], ["spec", "--debug"]):
        run = run_connector(args, tmp_path)
        assert run.of_type("SPEC")
        assert "Traceback" not in printed(run)


@pytest.mark.parametrize("case", sorted(ODD_CONFIGS))
def test_keys_with_odd_characters_print_in_no_form_on_check_discover_and_read(
    echo_proxy: RewritingProxy, emulator: Emulator, tmp_path: Path, case: str
) -> None:
    keys = ODD_CONFIGS[case]
    config = {"accounts": echo_accounts(echo_proxy.base_url, **keys), "start_date": emulator.today.isoformat()}
    catalog = json.loads((Path(__file__).parent / "configured_catalog.json").read_text())
    variants = [[command, *debug] for command in ("check", "discover", "read") for debug in ([], ["--debug"])]

    def run(args: list[str]) -> tuple[list[str], Run]:
        where = tmp_path / "-".join(args)
        where.mkdir()
        return args, run_connector(args, where, config=config, catalog=catalog if args[0] == "read" else None)

    with ThreadPoolExecutor(max_workers=2) as pool:  # the runs are independent: two at a time halves the wait
        runs = list(pool.map(run, variants))
    for args, done in runs:
        text = printed(done)
        leaked = [marker for marker in markers_of(keys) if marker in text]
        assert not leaked, (args, f"printed: {leaked}")
        assert basic_header_of(keys) not in text, args
        assert "Traceback" not in done.stderr, args
        if case == "newline":
            expected = "accounts[1].application_key contains a control character (a line break, tab or the like) at"
            assert f"{expected} position 10" in text, args
        elif case == "non-ascii":
            assert "accounts[0].api_secret contains a character that is not plain ASCII at position 10 (" in text, args
        elif args[0] != "discover":  # discover calls no API
            assert "****" in text, args  # the provider echoed the odd keys, and they were masked
