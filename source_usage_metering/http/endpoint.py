"""`ProviderEndpoint`: one provider endpoint of one account, the one project class between it and the CDK."""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.http_config import MAX_CONNECTION_POOL_SIZE
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.config import AccountBase
from source_usage_metering.errors import ProviderError, Refusal
from source_usage_metering.http.backoff import ProviderBackoff
from source_usage_metering.http.deadline import REQUEST_DEADLINE_SECONDS, DeadlineAdapter
from source_usage_metering.http.error_mapping import (
    CAUSES,
    MAX_RETRIES,
    RETRY_ACTIONS,
    BodyCache,
    BodyRule,
    ProviderErrorHandler,
)
from source_usage_metering.http.pacing import EndpointBudget, RateLimitHeaderBudget
from source_usage_metering.http.pagination import MAX_PAGES_PER_WINDOW, PageGuard
from source_usage_metering.http.waits import WaitLedger

logger = logging.getLogger("airbyte")

# (connect, read) seconds per socket operation: a hung connection becomes a retried transient error. The read timeout
# restarts with every byte, so each attempt also has a total deadline (`request_deadline_seconds`, connect + body).
REQUEST_TIMEOUT_SECONDS = (30.0, 300.0)


def provider_time(response: requests.Response) -> datetime | None:
    """The provider's clock when it answered (the `Date` header, RFC 9110), or None when absent or unreadable."""
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


def data_list_problem(body: Any) -> str | None:
    """What keeps a JSON body from being a `{"data": [...]}` page, or None.

    A body with `errors` is not a page even when it has `data` (observed: `{"errors": [...], "data": null}` from a
    billing backend timeout).
    """
    if not isinstance(body, dict):
        return f"the answer is a {type(body).__name__}, not an object"
    errors = body.get("errors")
    if errors:
        return f"it carries errors ({str(errors)[:200]})"
    data = body.get("data")
    if data is None:
        return "answer has no 'data' list" if "data" not in body else "its 'data' is null"
    if not isinstance(data, list):
        return f"'data' is a {type(data).__name__}, not a list"
    return None


class ProviderEndpoint(HttpStream):
    """A provider endpoint for one account: raw JSON objects out, CDK retries, backoff and error policy in.

    Subclasses set `path_template`, `endpoint` (as users read it, e.g. `GET /billing/v1/costs`), optional
    `hints` (status -> what the user should do), `body_rules` and `max_pages` (pages one window may take), and
    implement `params`, `next_token` and `extract`. Every token goes through a `PageGuard`: a token already served in
    the window, or a page past `max_pages`, fails the account naming the endpoint. An answer a rule resolves to
    IGNORE yields no records and is kept in `refusals` (its reason and the provider's message). Pass the account's
    shared `api_budget` (`UsageProvider.api_budget`) so every endpoint of the account paces together; without one
    the endpoint paces alone. `waits` adds up the pacing and retry waits of the request in flight: one request (a
    page and its retries) waits at most 600 s in all.
    """

    primary_key = None
    path_template: str = ""
    endpoint: str = ""
    hints: Mapping[int, str] = {}
    body_rules: Sequence[BodyRule] = ()
    max_pages: int = MAX_PAGES_PER_WINDOW
    request_deadline_seconds: float = REQUEST_DEADLINE_SECONDS

    def __init__(
        self,
        account: AccountBase,
        authenticator: requests.auth.AuthBase,
        *,
        max_retries: int = MAX_RETRIES,
        api_budget: RateLimitHeaderBudget | None = None,
        on_provider_time: Callable[[datetime], None] | None = None,
    ) -> None:
        self.account = account
        self.refusals: list[Refusal] = []
        self._on_provider_time = on_provider_time
        self.waits = WaitLedger(account.label, self.endpoint)
        self._max_retries = max_retries
        self._pages = PageGuard(account.label, self.endpoint, self.max_pages)
        self._bodies = BodyCache()
        self._error_handler: ProviderErrorHandler | None = None
        shared_budget = api_budget or RateLimitHeaderBudget()
        budget = EndpointBudget(shared_budget, self.waits)
        super().__init__(authenticator=authenticator, api_budget=budget)  # type: ignore[arg-type]
        self._mount_deadline(shared_budget.release)

    def _mount_deadline(self, on_unanswered: Callable[[requests.PreparedRequest], None]) -> None:
        """Give every attempt a total deadline (see `http.deadline`); tell the budget of attempts that raised.

        The CDK builds the session inside `HttpStream.__init__` and has no hook for transport adapters, so the adapter
        is mounted on the session it built (its own `https://` adapter had the same pool sizes). The CDK's limiter
        tells the budget of answers only: an attempt that raised would count as in flight for the rest of the window.
        """
        session = self._http_client._session
        adapter = DeadlineAdapter(
            self.request_deadline_seconds,
            on_unanswered=on_unanswered,
            pool_connections=MAX_CONNECTION_POOL_SIZE,
            pool_maxsize=MAX_CONNECTION_POOL_SIZE,
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)

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

    def get_error_handler(self) -> ProviderErrorHandler:
        """The shared error policy, naming this account and endpoint."""
        if self._error_handler is None:
            self._error_handler = ProviderErrorHandler(
                logger,
                account=self.account.label,
                endpoint=self.endpoint,
                hints=self.hints,
                body_rules=self.body_rules,
                max_retries=self._max_retries,
                bodies=self._bodies,
                page_problem=self.page_problem,
            )
        return self._error_handler

    def get_backoff_strategy(self) -> BackoffStrategy:
        """Header-driven waits on 429; exponential backoff with jitter otherwise; each booked in `waits`."""
        return ProviderBackoff(self.waits)

    def request_kwargs(
        self,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any]:
        """A bounded wait for every answer; redirects are never followed (they would carry the credentials away).

        The CDK asks for these once per page, before the page's first attempt: the hook where a new request starts
        with nothing waited.
        """
        self.waits.new_request()
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
        """The next page's token, or None on the last page (or on a refused answer)."""
        if not response.ok:
            return None
        token = self._pages.admit(self.next_token(self._bodies.json(response)))
        return {"token": token} if token else None

    def parse_response(
        self,
        response: requests.Response,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """Raw provider objects of one page; a refused answer yields none and is kept in `refusals`."""
        if self._on_provider_time is not None:
            moment = provider_time(response)
            if moment is not None:
                self._on_provider_time(moment)
        if not response.ok:
            refusal = self.get_error_handler().last_refusal
            if refusal is None:
                problem = f"HTTP {response.status_code} was let through without a rule"
                raise ProviderError(self.account.label, self.endpoint, problem, failure_type=FailureType.system_error)
            self.refusals.append(refusal)
            return []
        return self.extract(self._bodies.json(response))

    def read_slice(self, stream_slice: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        """Read every page of one request window, lazily: only the page being read is held."""
        self._pages.start()
        try:
            yield from self.read_records(sync_mode=SyncMode.full_refresh, stream_slice=stream_slice)
        except AirbyteTracedException as error:
            if self.get_error_handler().last_action in RETRY_ACTIONS:
                raise self._retries_exhausted(error) from None
            raise

    def _retries_exhausted(self, error: AirbyteTracedException) -> ProviderError:
        """The CDK gave up retrying (the last answer was still to be retried): say where, why and what kind."""
        handler = self.get_error_handler()
        failure_type = error.failure_type or FailureType.transient_error
        attempts = max(handler.failures_in_a_row, 1)
        problem = (
            f"{CAUSES.get(failure_type, 'error')}: gave up after {attempts} failed attempts; "
            f"last: {handler.last_problem or 'no answer'}"
        )
        return ProviderError(self.account.label, self.endpoint, problem, failure_type=failure_type)

    def page_problem(self, body: Any) -> str | None:
        """Why a 200 answer is not a page of this endpoint (it is then retried as transient), or None.

        By default a page is an object with a `data` list and no `errors`.
        """
        return data_list_problem(body)

    def data_items(self, body: Any) -> list[Mapping[str, Any]]:
        """The objects of a page's `data` list (`page_problem` already refused anything else).

        Raises:
            ProviderError: when the body has no `data` list (a malformed answer, never taken as "no data").
        """
        problem = data_list_problem(body)
        if problem:
            raise ProviderError(self.account.label, self.endpoint, problem, failure_type=FailureType.system_error)
        return [item for item in body["data"] if isinstance(item, dict)]

    @abstractmethod
    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        """Query parameters for a slice and page token."""

    @abstractmethod
    def next_token(self, body: Any) -> str | None:
        """The next page token in a parsed body (None or "" on the last page); `PageGuard` vets it."""

    @abstractmethod
    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        """The raw objects of a parsed body."""
