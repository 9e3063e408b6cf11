"""Credentials never follow a redirect: a 3xx is an error naming the endpoint, and nothing is sent elsewhere."""

from __future__ import annotations

from unit_tests.confluent_api import mock_org_api
from unit_tests.conftest import CONFLUENT_URL, ConfigBuilder
from unit_tests.read_helpers import read_source


def test_given_redirect_to_another_host_then_not_followed_and_account_fails(http) -> None:
    mock_org_api(http)
    http.get(
        f"{CONFLUENT_URL}/billing/v1/costs", status_code=302, headers={"Location": "http://attacker.example.com/steal"}
    )
    stolen = http.get("http://attacker.example.com/steal", json={})
    output = read_source(ConfigBuilder().with_confluent().build(), "usage", expecting_exception=True)
    assert stolen.call_count == 0
    message = output.errors[-1].trace.error.message
    assert "GET /billing/v1/costs" in message
    assert "redirect not followed" in message
