"""The one project class between provider endpoints and the CDK's HttpStream."""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from airbyte_cdk.sources.streams.http.exceptions import BaseBackoffException
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.config import Account
from source_usage_metering.errors import ProviderError
from source_usage_metering.http.backoff import ProviderBackoff
from source_usage_metering.http.error_mapping import (
    CAUSES,
    MAX_RETRIES,
    BodyRule,
    ProviderErrorHandler,
    error_detail,
    parsed_json,
)
from source_usage_metering.http.pacing import RateLimitHeaderBudget

logger = logging.getLogger("airbyte")

# (connect, read) seconds: a hung connection becomes a retried transient error instead of a stuck sync.
REQUEST_TIMEOUT_SECONDS = (30.0, 300.0)


class ProviderHttpStream(HttpStream):
    """A provider endpoint for one account: raw JSON objects out, CDK retries, backoff and error policy in.

    Subclasses set `path_template`, `endpoint` (as users read it, e.g. `GET /billing/v1/costs`), optional
    `hints` (status -> what the user should do) and `body_rules`, and implement `params`, `next_token` and
    `extract`. Answers a rule resolves to IGNORE are recorded in `ignored` and yield no records. Pass the
    account's shared `api_budget` (`UsageProvider.api_budget`) so every endpoint of the account paces together;
    without one the endpoint paces alone.
    """

    primary_key = None
    path_template: str = ""
    endpoint: str = ""
    hints: Mapping[int, str] = {}
    body_rules: Sequence[BodyRule] = ()

    def __init__(
        self,
        account: Account,
        authenticator: requests.auth.AuthBase,
        *,
        max_retries: int = MAX_RETRIES,
        api_budget: APIBudget | None = None,
    ) -> None:
        self.account = account
        self.ignored: list[str] = []
        self._max_retries = max_retries
        self._previous_token: str | None = None
        self._error_handler: ProviderErrorHandler | None = None
        super().__init__(authenticator=authenticator, api_budget=api_budget or RateLimitHeaderBudget())

    @property
    def name(self) -> str:
        """Logged by the CDK; the provider and path, no secret."""
        return f"{self.account.provider}{self.path_template.replace('/', '_')}"

    @property
    def url_base(self) -> str:
        """The account's API base URL."""
        return self.account.api_url + "/"

    def path(self, **kwargs: Any) -> str:
        """The endpoint path, relative to the base URL."""
        return self.path_template.lstrip("/")

    def get_cursor(self) -> None:
        """Endpoints are read whole per slice; the unified streams own cursors and state."""
        return

    def get_error_handler(self) -> ErrorHandler:
        """The shared error policy, naming this account and endpoint."""
        if self._error_handler is None:
            self._error_handler = ProviderErrorHandler(
                logger,
                account=self.account.label,
                endpoint=self.endpoint,
                hints=self.hints,
                body_rules=self.body_rules,
                max_retries=self._max_retries,
            )
        return self._error_handler

    def get_backoff_strategy(self) -> BackoffStrategy:
        """Header-driven waits on 429; exponential backoff with jitter otherwise."""
        return ProviderBackoff()

    def request_kwargs(
        self,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any]:
        """A bounded wait for every answer; redirects are never followed (they would carry the credentials away)."""
        return {"timeout": REQUEST_TIMEOUT_SECONDS, "allow_redirects": False}

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        """Query parameters for one page."""
        return self.params(stream_slice or {}, (next_page_token or {}).get("token"))

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """The next page's token, or None on the last page (or on an ignored answer)."""
        if not response.ok:
            return None
        token = self.next_token(parsed_json(response), self._previous_token)
        self._previous_token = token
        return {"token": token} if token else None

    def parse_response(
        self,
        response: requests.Response,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """Raw provider objects of one page; an ignored error answer yields none and is remembered."""
        if not response.ok:
            self.ignored.append(f"HTTP {response.status_code}: {error_detail(response) or 'no detail'}")
            return []
        return self.extract(parsed_json(response))

    def read_slice(self, stream_slice: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        """Read every page of one request window."""
        from airbyte_cdk.models import SyncMode

        self._previous_token = None
        try:
            yield from self.read_records(sync_mode=SyncMode.full_refresh, stream_slice=stream_slice)
        except AirbyteTracedException as error:
            if isinstance(getattr(error, "_exception", None), BaseBackoffException):
                raise self._retries_exhausted(error) from None
            raise

    def _retries_exhausted(self, error: AirbyteTracedException) -> ProviderError:
        """The CDK gave up retrying: say where, why and what kind of failure it is."""
        handler = self.get_error_handler()
        failure_type = error.failure_type or FailureType.transient_error
        attempts = max(handler.failures_in_a_row, 1)
        problem = (
            f"{CAUSES.get(failure_type, 'error')}: gave up after {attempts} failed attempts; "
            f"last: {handler.last_problem or 'no answer'}"
        )
        return ProviderError(self.account.label, self.endpoint, problem, failure_type=failure_type)

    @abstractmethod
    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        """Query parameters for a slice and page token."""

    @abstractmethod
    def next_token(self, body: Any, previous: str | None) -> str | None:
        """The next page token in a parsed body."""

    @abstractmethod
    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        """The raw objects of a parsed body."""
