"""Authenticators per provider; every derived secret (like a Basic header) is registered for masking."""

from __future__ import annotations

import base64

import requests
from airbyte_cdk.sources.streams.http.requests_native_auth import BasicHttpAuthenticator

from source_usage_metering.masking import register_secret


def basic_auth(username: str, password: str) -> BasicHttpAuthenticator:
    """HTTP Basic (Confluent Cloud API key and secret), with the encoded header value masked in all output."""
    register_secret(base64.b64encode(f"{username}:{password}".encode()).decode())
    return BasicHttpAuthenticator(username, password)


class HeaderAuth(requests.auth.AuthBase):
    """Fixed secret headers on every request (Datadog `DD-API-KEY` and `DD-APPLICATION-KEY`)."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach the headers."""
        request.headers.update(self._headers)
        return request
