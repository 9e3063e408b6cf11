"""Error policy as data: what each HTTP answer means, and the handler that applies it.

Provider endpoints add `BodyRule`s for answers that only the body tells apart (Confluent's "start date is too
far in the past", Datadog's "non-parent org keys"). A rule that lets the provider go on (IGNORE) carries a
`RefusalReason`, which the endpoint hands the provider as a typed `Refusal` with the provider's own message. Every
user-facing message names the account and endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorResolution, HttpStatusErrorHandler, ResponseAction
from airbyte_cdk.sources.streams.http.error_handlers.default_error_mapping import DEFAULT_ERROR_MAPPING

from source_usage_metering.errors import Refusal, RefusalReason
from source_usage_metering.http.deadline import DeadlineExceeded

MAX_RETRIES = 6
MAX_RETRY_SECONDS = 600

BASE_ERROR_MAPPING: Mapping[Any, ErrorResolution] = {
    **DEFAULT_ERROR_MAPPING,
    400: ErrorResolution(ResponseAction.FAIL, FailureType.config_error, "the request was rejected (400)"),
    401: ErrorResolution(ResponseAction.FAIL, FailureType.config_error, "the credentials were rejected (401)"),
    403: ErrorResolution(ResponseAction.FAIL, FailureType.config_error, "the credentials lack permission (403)"),
    404: ErrorResolution(ResponseAction.FAIL, FailureType.system_error, "the endpoint was not found (404)"),
    408: ErrorResolution(ResponseAction.RETRY, FailureType.transient_error, "request timeout (408)"),
    429: ErrorResolution(ResponseAction.RATE_LIMITED, FailureType.transient_error, "rate limited (429)"),
}
RETRY_ACTIONS = (ResponseAction.RETRY, ResponseAction.RATE_LIMITED)
# Requests that can never be sent as built: retrying would only repeat the failure.
UNSENDABLE = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema)

# How messages name the cause, so users tell "fix the config" from "try again later".
CAUSES: Mapping[FailureType, str] = {
    FailureType.config_error: "config error",
    FailureType.transient_error: "transient error",
    FailureType.system_error: "provider error",
}


@dataclass(frozen=True)
class BodyRule:
    """Resolve an answer whose status code and body text say more than the status alone.

    An IGNORE rule names the `reason` the provider acts on; the body text is only matched here.
    """

    status: int
    contains: str
    action: ResponseAction
    message: str
    failure_type: FailureType | None = FailureType.config_error
    reason: RefusalReason | None = None


class BodyCache:
    """The parsed JSON of the latest answer, shared by the error handler and the endpoint (one parse per page)."""

    def __init__(self) -> None:
        self._response: requests.Response | None = None
        self._body: Any = None

    def json(self, response: requests.Response) -> Any:
        """The response body as JSON.

        Raises:
            ValueError: when the body is not JSON (orjson.JSONDecodeError is a ValueError).
        """
        if response is not self._response:
            self._body = orjson.loads(response.content)
            self._response = response
        return self._body


def error_detail(response: requests.Response, bodies: BodyCache | None = None) -> str:
    """A short human text from a provider error body: Confluent/JSON:API objects or Datadog string lists."""
    try:
        body = (bodies or BodyCache()).json(response)
    except (ValueError, TypeError):
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    texts = []
    for error in errors[:3]:
        if isinstance(error, str):
            texts.append(error)
        elif isinstance(error, dict):
            texts.append(str(error.get("detail") or error.get("title") or error.get("code") or ""))
    return "; ".join(t for t in texts if t)[:300]


class ProviderErrorHandler(HttpStatusErrorHandler):
    """The CDK status handler plus body rules, malformed-JSON retries and messages naming account and endpoint.

    After each answer, `last_action` is what was decided and `last_refusal` the refusal an IGNORE rule made of it.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        account: str,
        endpoint: str,
        hints: Mapping[int, str],
        body_rules: Sequence[BodyRule] = (),
        max_retries: int = MAX_RETRIES,
        max_seconds: int = MAX_RETRY_SECONDS,
        bodies: BodyCache | None = None,
        page_problem: Callable[[Any], str | None] | None = None,
    ) -> None:
        super().__init__(
            logger, error_mapping=BASE_ERROR_MAPPING, max_retries=max_retries, max_time=timedelta(seconds=max_seconds)
        )
        self._account = account
        self._endpoint = endpoint
        self._hints = hints
        self._body_rules = body_rules
        self._bodies = bodies or BodyCache()
        self._page_problem = page_problem
        self.failures_in_a_row = 0
        self.last_problem = ""
        self.last_action: ResponseAction | None = None
        self.last_refusal: Refusal | None = None
        self._last_text = ""

    def interpret_response(self, response_or_exception: Any = None) -> ErrorResolution:
        """Resolve one answer; see the class docstring. Retried problems are counted until the next success."""
        self.last_refusal = None
        if isinstance(response_or_exception, requests.Response):
            resolution = self._interpret_answer(response_or_exception)
        elif isinstance(response_or_exception, requests.RequestException):
            resolution = self._interpret_failure(response_or_exception)
        else:
            resolution = super().interpret_response(response_or_exception)
        if resolution.response_action in RETRY_ACTIONS:
            self.failures_in_a_row += 1
            self.last_problem = self._last_text
        elif resolution.response_action == ResponseAction.SUCCESS:
            self.failures_in_a_row = 0
        self.last_action = resolution.response_action
        return resolution

    def _interpret_failure(self, error: requests.RequestException) -> ErrorResolution:
        """No answer: retried, except a request that cannot be sent as built. The text never quotes the error.

        Its text can carry the URL or a header value; only the kind of failure is named.
        """
        if isinstance(error, requests.exceptions.InvalidHeader):
            text = "a credential holds a character an HTTP header cannot carry; check the account's keys"
            return self._resolve(ResponseAction.FAIL, FailureType.config_error, text)
        if isinstance(error, UNSENDABLE):
            return self._resolve(
                ResponseAction.FAIL, FailureType.config_error, f"invalid API URL ({type(error).__name__})"
            )
        if isinstance(error, DeadlineExceeded):
            return self._resolve(ResponseAction.RETRY, FailureType.transient_error, str(error))
        text = f"could not be reached ({type(error).__name__})"
        return self._resolve(ResponseAction.RETRY, FailureType.transient_error, text)

    def _interpret_answer(self, response: requests.Response) -> ErrorResolution:
        if response.is_redirect:
            text = f"HTTP {response.status_code} redirect not followed: credentials are only sent to the configured URL"
            return self._resolve(ResponseAction.FAIL, FailureType.system_error, text)
        if response.ok:
            try:
                body = self._bodies.json(response)
            except (ValueError, TypeError):
                text = f"HTTP {response.status_code} with a body that is not valid JSON"
                return self._resolve(ResponseAction.RETRY, FailureType.transient_error, text)
            problem = self._page_problem(body) if self._page_problem else None
            if problem:
                # A 200 that is not a page (observed: `{"data": null}`, with or without `errors`) is never "no data".
                text = f"HTTP {response.status_code} that is not a page: {problem}"
                return self._resolve(ResponseAction.RETRY, FailureType.transient_error, text)
            return super().interpret_response(response)
        detail = error_detail(response, self._bodies)
        for rule in self._body_rules:
            if response.status_code == rule.status and rule.contains.lower() in detail.lower():
                if rule.reason is not None:
                    self.last_refusal = Refusal(rule.reason, response.status_code, detail)
                return self._resolve(rule.action, rule.failure_type, f"HTTP {response.status_code}: {rule.message}")
        resolution = super().interpret_response(response)
        text = resolution.error_message or f"HTTP {response.status_code}"
        if detail:
            text += f": {detail}"
        if response.status_code in self._hints:
            text += f". {self._hints[response.status_code]}"
        return self._resolve(resolution.response_action, resolution.failure_type, text)

    def _resolve(self, action: ResponseAction, failure_type: FailureType | None, text: str) -> ErrorResolution:
        self._last_text = text
        return ErrorResolution(action, failure_type, self.say(text, failure_type))

    def say(self, text: str, failure_type: FailureType | None) -> str:
        """A user-facing message: the account, the endpoint, the cause (config, transient, provider) and the text."""
        cause = f"{CAUSES[failure_type]}: " if failure_type in CAUSES else ""
        return f"{self._account}: {self._endpoint}: {cause}{text}"
