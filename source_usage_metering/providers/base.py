"""The interface every provider implements, and the slices the usage stream reads."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from source_usage_metering.config import Account, UsageMeteringConfig
from source_usage_metering.http.base_stream import ProviderHttpStream
from source_usage_metering.http.error_mapping import MAX_RETRIES
from source_usage_metering.http.pacing import RateLimitHeaderBudget
from source_usage_metering.records import Organization, Product, UsageRecord, Workspace

Partition = dict[str, str]
CursorLookup = Callable[[Partition], datetime | None]


@dataclass(frozen=True)
class UsageSlice:
    """One request window of one account's usage, and where its state partition's cursor moves once read.

    `cursor_after` is the cursor once the slice is complete: normally `end`, earlier when the data in the
    window is not final yet (a Datadog cost month). `params` carries provider-specific request details.
    """

    partition: Partition
    start: datetime
    end: datetime
    cursor_after: datetime
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class SliceProgress:
    """What reading a slice allows: how far its partition's cursor may move once the slice is complete.

    A provider holds the cursor back when part of the window could not be read (a refused request, a month not
    final yet), so the next sync reads it again instead of losing it.
    """

    cursor_after: datetime
    held: bool = False

    def hold_at(self, moment: datetime) -> None:
        """Never move the cursor past `moment` (for the rest of this sync, whatever later slices read)."""
        self.cursor_after = min(self.cursor_after, moment)
        self.held = True


class UsageProvider(ABC):
    """One configured account of one provider, yielding unified records.

    A provider reads the clock never: `now` is given, once per sync. Each `iter_*` makes its own calls, so a
    stream never depends on another having run; results every stream needs (the tenant) are cached. Every endpoint
    of the account is built by `endpoint()`, sharing `api_budget` (so they pace together on the rate-limit headers)
    and `max_retries` (which `check` lowers, so an unreachable host is reported quickly).
    """

    name: str
    auth: requests.auth.AuthBase

    def __init__(self, account: Account, config: UsageMeteringConfig, *, now: datetime) -> None:
        self.account = account
        self.config = config
        self.now = now
        self.api_budget = RateLimitHeaderBudget()
        self.max_retries = MAX_RETRIES

    def endpoint(self, endpoint: type[ProviderHttpStream], **kwargs: Any) -> ProviderHttpStream:
        """An endpoint of this account, with its credentials, budget and retry bound."""
        kwargs.setdefault("max_retries", self.max_retries)
        return endpoint(self.account, self.auth, api_budget=self.api_budget, **kwargs)

    @property
    def label(self) -> str:
        """The account as logs and errors name it."""
        return self.account.label

    @abstractmethod
    def partition(self) -> Partition:
        """The state key of this account: provider, host and tenant (never a secret or list position)."""

    @abstractmethod
    def check(self) -> None:
        """Prove the credentials and permissions a sync needs; raise a UsageMeteringError that says what to fix."""

    @abstractmethod
    def iter_organizations(self) -> Iterable[Organization]:
        """The organizations this account can see."""

    @abstractmethod
    def iter_products(self) -> Iterable[Product]:
        """The provider's product catalogue (ids shared across accounts)."""

    @abstractmethod
    def iter_workspaces(self) -> Iterable[Workspace]:
        """Workspaces (Confluent environments); none for providers without the concept."""

    @abstractmethod
    def plan_usage(self, cursor_of: CursorLookup) -> Iterable[UsageSlice]:
        """The usage slices of this sync, oldest first, from the saved cursors, lookback and config range."""

    @abstractmethod
    def iter_usage(self, usage_slice: UsageSlice, progress: SliceProgress) -> Iterable[UsageRecord]:
        """Every usage record of one slice; `progress` is held back where the window was not fully read."""
