"""One error hierarchy for the connector, and its mapping to Airbyte failure types."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

import orjson
from airbyte_cdk.models import (
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    FailureType,
    TraceType,
    Type,
)
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


class UsageMeteringError(Exception):
    """Root of every error this connector raises on purpose. Messages never carry a secret."""

    failure_type: FailureType = FailureType.system_error

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_traced(self) -> AirbyteTracedException:
        """The Airbyte trace form of this error (a user-facing message, no traceback; registered secrets masked)."""
        message = filter_secrets(self.message)
        return AirbyteTracedException(message=message, internal_message=message, failure_type=self.failure_type)


class ConfigError(UsageMeteringError):
    """The config is invalid; the message names the field path."""

    failure_type = FailureType.config_error

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"Invalid config: {field} {problem}.")
        self.field = field


class InvalidConfig(AirbyteTracedException):
    """Input refused before any record is read (config, catalog or state file): a config_error trace, no stack trace.

    The message says what is wrong and names the field, stream or file; never a secret.
    """

    def __init__(self, message: str, internal_message: str | None = None) -> None:
        super().__init__(message=message, internal_message=internal_message, failure_type=FailureType.config_error)

    def as_message_line(self) -> str:
        """The TRACE error message as one JSON line (secrets are masked where it is printed)."""
        error = AirbyteErrorTraceMessage(
            message=self.message or "Invalid config.",
            internal_message=self.internal_message,
            failure_type=FailureType.config_error,
        )
        trace = AirbyteTraceMessage(type=TraceType.ERROR, emitted_at=time.time() * 1000, error=error)
        return orjson.dumps(AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.TRACE, trace=trace))).decode()


class ProviderError(UsageMeteringError):
    """A provider endpoint failed for an account; names the account and the endpoint."""

    def __init__(self, account: str, endpoint: str, problem: str, *, failure_type: FailureType | None = None) -> None:
        super().__init__(f"{account}: {endpoint}: {problem}")
        self.account = account
        self.endpoint = endpoint
        if failure_type is not None:
            self.failure_type = failure_type


class PermissionDenied(ProviderError):
    """The credentials work but lack a role or permission."""

    failure_type = FailureType.config_error


class AccountsFailed(UsageMeteringError):
    """Some accounts failed after the others were read and checkpointed."""

    def __init__(self, stream: str, failures: list[UsageMeteringError | AirbyteTracedException]) -> None:
        messages = [getattr(f, "message", None) or str(f) for f in failures]
        super().__init__(f"Stream {stream}: {len(failures)} account(s) failed: " + " | ".join(messages))
        types = {getattr(f, "failure_type", FailureType.system_error) for f in failures}
        if types == {FailureType.config_error}:
            self.failure_type = FailureType.config_error
        elif FailureType.transient_error in types:
            self.failure_type = FailureType.transient_error


class RefusalReason(Enum):
    """Why a provider refused a request in a way a provider handles rather than fails on (the rule's verdict)."""

    PERMISSION = "permission"  # the credentials may not read this (403)
    BEYOND_HISTORY = "beyond_history"  # the window is older than the provider keeps
    NOT_PARENT_ORG = "not_parent_org"  # a parent-organization-only endpoint answered child-org keys
    WINDOW_REFUSED = "window_refused"  # another 400 on a windowed request (the window is narrowed)
    UNAVAILABLE = "unavailable"  # an optional endpoint answered 4xx (the provider goes on without it)


@dataclass(frozen=True)
class Refusal:
    """A refused request: the rule's reason, the HTTP status and the provider's own message (kept for the user)."""

    reason: RefusalReason
    status: int
    detail: str

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.detail or 'no detail'}"
