"""What a provider package exports (`ProviderSpec`), the interface its provider implements, and usage slices."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module, resources
from typing import Any, Generic, Protocol, TypeVar

import requests
import yaml

from source_usage_metering.config import AccountBase, UsageMeteringConfig
from source_usage_metering.errors import ProviderError, RefusalReason
from source_usage_metering.http.endpoint import ProviderEndpoint
from source_usage_metering.http.error_mapping import MAX_RETRIES
from source_usage_metering.http.pacing import RateLimitHeaderBudget
from source_usage_metering.narrowing import Narrowed, RefusalLedger, Refused
from source_usage_metering.records import Organization, Product, UsageRecord, Workspace
from source_usage_metering.windows import describe

Partition = dict[str, str]


class CursorLookup(Protocol):
    """The saved cursors of this sync's state partitions."""

    def __call__(self, partition: Partition) -> datetime | None:
        """A partition's saved cursor, or None (first sync, or a full refresh)."""

    def pull_back(self, partition: Partition, moment: datetime) -> None:
        """Replace a partition's cursor with an earlier one (a cursor the provider cannot have served)."""


logger = logging.getLogger("airbyte")
AccountT = TypeVar("AccountT", bound=AccountBase)
EndpointT = TypeVar("EndpointT", bound=ProviderEndpoint)


@dataclass(frozen=True)
class ProviderSpec:
    """Everything the connector needs to know of a provider before reading it; one per provider package.

    Attributes:
        name: The `provider` value of its `accounts[]` items (lower case, e.g. `confluent`).
        parse_account: `(index, item) -> account`; raises `ConfigError` naming `accounts[i].<field>`.
        spec_fragment: The JSON schema of its `accounts[]` item (one `oneOf` variant of the spec).
        secret_fields: Fields of its account items that hold secrets (masked in all output).
        allowed_hosts: The hosts its accounts reach by default (Airbyte's `allowedHosts`).
        load_provider: Returns the `UsageProvider` class (imported only when an account is read).
    """

    name: str
    parse_account: Callable[[int, Mapping[str, Any]], AccountBase]
    spec_fragment: Mapping[str, Any]
    secret_fields: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    load_provider: Callable[[], type[UsageProvider]]


def package_spec(package: str, *, provider_class: str) -> ProviderSpec:
    """The `ProviderSpec` of a provider package in the shared layout.

    The package holds `account.py` (`NAME`, `parse_account`, `SECRET_FIELDS`, `ALLOWED_HOSTS`), `spec.yaml` (its
    `accounts[]` item schema) and `provider.py` (the `UsageProvider` subclass named `provider_class`, imported only
    when an account of the provider is read).
    """
    account = import_module(f"{package}.account")
    fragment = yaml.safe_load(resources.files(package).joinpath("spec.yaml").read_text())

    def load_provider() -> type[UsageProvider]:
        return getattr(import_module(f"{package}.provider"), provider_class)

    return ProviderSpec(
        name=account.NAME,
        parse_account=account.parse_account,
        spec_fragment=fragment,
        secret_fields=tuple(account.SECRET_FIELDS),
        allowed_hosts=tuple(account.ALLOWED_HOSTS),
        load_provider=load_provider,
    )


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
    measures_only: bool = False  # usage measurements without cost (Datadog hourly): nothing for focus_cost


@dataclass(frozen=True)
class WindowOutcome:
    """A narrowed read of one kind of window (`cost`, `hourly`...) on one endpoint."""

    kind: str
    narrowed: Narrowed[Any]
    endpoint: str


@dataclass
class SliceProgress:
    """What reading a slice allows: how far its partition's cursor may move once the slice is complete.

    A provider holds the cursor back when part of the window could not be read (a refused request, a month not
    final yet), so the next sync reads it again instead of losing it.
    """

    cursor_after: datetime
    held: bool = False
    deferred: bool = False
    reader: str = "usage"  # the stream reading the slice: each keeps its own refusal ledgers
    outcomes: list[WindowOutcome] = field(default_factory=list)  # narrowed reads, judged by `settle` in order
    replayed: bool = False  # outcomes another stream read and already warned of in this sync

    def narrowed(self, kind: str, narrowed: Narrowed[Any], endpoint: str) -> None:
        """Keep a window's outcome for `UsageProvider.settle` (refusals are judged in slice order, not read order).

        Only its stretches are kept, not their rows: a slice's progress lives until the sync ends (the CDK's pool
        keeps every partition it read), and a Confluent month's rows are ~10,000 dicts.
        """
        self.outcomes.append(WindowOutcome(kind, narrowed.windows_only(), endpoint))

    def hold_at(self, moment: datetime) -> None:
        """Never move the cursor past `moment` (for the rest of this sync, whatever later slices read)."""
        self.cursor_after = min(self.cursor_after, moment)
        self.held = True

    def defer(self) -> None:
        """Leave the cursor where it is for this slice only (a later slice may move it past this one)."""
        self.deferred = True


class UsageProvider(ABC, Generic[AccountT]):
    """One configured account of one provider, yielding unified records.

    A provider reads the clock never: `now` is given, once per sync. Each `iter_*` makes its own calls, so a
    stream never depends on another having run; results every stream needs (the tenant) are cached. Every endpoint
    of the account is built by `endpoint()`, sharing `api_budget` (so they pace together on the rate-limit headers)
    and the retry bound (`check` passes a lower one, so an unreachable host is reported quickly).
    """

    name: str

    def __init__(
        self, account: AccountT, config: UsageMeteringConfig, *, now: datetime, max_retries: int = MAX_RETRIES
    ) -> None:
        self.account = account
        self.config = config
        self.now = now
        self.api_budget = RateLimitHeaderBudget()
        self.max_retries = max_retries
        self.provider_now: datetime | None = None  # the provider's clock: the latest answer's `Date` header
        self._ledgers: dict[tuple[str, str], RefusalLedger] = {}  # (reader, kind) -> refusals of this sync
        self.auth = self.authenticator()

    @abstractmethod
    def authenticator(self) -> requests.auth.AuthBase:
        """The credentials of every request of this account (derived secrets registered for masking)."""

    def endpoint(self, endpoint: type[EndpointT]) -> EndpointT:
        """An endpoint of this account, with its credentials, budget, retry bound and the provider clock's reader."""
        return endpoint(
            self.account,
            self.auth,
            api_budget=self.api_budget,
            max_retries=self.max_retries,
            on_provider_time=self._observe_provider_time,
        )

    def _observe_provider_time(self, moment: datetime) -> None:
        self.provider_now = moment if self.provider_now is None else max(self.provider_now, moment)

    def focus_rows(self, record: UsageRecord) -> list[dict[str, Any]]:
        """FOCUS 1.2 rows of one usage cost record (one per charge); none for a provider without a mapping."""
        return []

    def saved_cursor(self, cursors: CursorLookup, partition: Partition, *, pull_back_to: datetime) -> datetime | None:
        """A partition's cursor; one later than now is pulled back to `pull_back_to` with a warning.

        A cursor past now (a state edited by hand, a clock that was wrong) would read nothing, sync after sync.
        """
        cursor = cursors(partition)
        if cursor is not None and cursor > self.now:
            logger.warning(
                "%s: the saved cursor %s of %s lies after now (%s): pulled back to %s; re-reading from there",
                self.label,
                cursor.isoformat(),
                partition,
                self.now.isoformat(),
                pull_back_to.isoformat(),
            )
            cursors.pull_back(partition, pull_back_to)
            return pull_back_to
        return cursor

    def ledger(self, reader: str, kind: str = "") -> RefusalLedger:
        """The refusals of one kind of window (`hourly`, `cost`...) read by one stream in this sync."""
        return self._ledgers.setdefault((reader, kind), RefusalLedger())

    def settle(self, progress: SliceProgress) -> None:
        """Judge a read slice's refusals against the partition's earlier slices: warn, hold or defer its cursor.

        Called once per slice, in the order the slices were planned (whatever order they were read in), so
        warnings and cursors do not depend on which read finished first.
        """
        for outcome in progress.outcomes:
            self.record_window(outcome.kind, outcome.narrowed, progress, outcome.endpoint)

    def record_window(self, kind: str, narrowed: Narrowed[Any], progress: SliceProgress, endpoint: str) -> None:
        """Take a usage window's outcome: warn of the edge of history, hold the cursor before other refusals.

        While nothing was served yet, a slice with refusals leaves the cursor where it is (`defer`): it moves past
        them once a newer window is served (they were the edge of history), never when everything was refused.
        """
        ledger = self.ledger(progress.reader, kind)
        for edge in ledger.record(narrowed):
            if progress.replayed:
                continue
            logger.warning(
                "%s: %s: skipped %s, older than the provider serves (%s)",
                self.label,
                endpoint,
                describe(edge.window),
                edge.refusal,
            )
        for part in narrowed.refused:
            if part in ledger.unexpected:
                progress.hold_at(part.window.start)
        if ledger.first_served is None and narrowed.refused:
            progress.defer()

    def refusals_problem(self, reader: str, kind: str, endpoint: str, permission_hint: str) -> ProviderError | None:
        """The failure a partition's refusals make once its windows were read, or None.

        Every window refused: the failure names the roles only then (a key that reads recent windows has them).
        A refusal after older data was read: the cursor was held before it, the failure quotes the provider.
        """
        ledger = self.ledger(reader, kind)
        if ledger.nothing_served:
            roles = any(part.refusal.reason is RefusalReason.PERMISSION for part in ledger.pending)
            problem = f"every window was refused ({describe_refused(ledger.pending)})"
            return ProviderError(self.label, endpoint, problem + (f". {permission_hint}" if roles else ""))
        if ledger.unexpected:
            problem = (
                f"refused {describe_refused(ledger.unexpected)} although older data was read; the cursor is held "
                "before the first of them and the next sync reads them again"
            )
            return ProviderError(self.label, endpoint, problem)
        return None

    def finish_usage(self, reader: str = "usage") -> None:
        """Called once every slice of the account was read by `reader`: raise what must fail the account now.

        Raises:
            UsageMeteringError: when a refused window was not the edge of the provider's history, or every window
                was refused (the cursor was held before them).
        """

    @property
    def label(self) -> str:
        """The account as logs and errors name it."""
        return self.account.label

    @property
    def config_path(self) -> str:
        """The account's place in the config (`accounts[2]`), for errors that name a config field."""
        return self.account.config_path

    @abstractmethod
    def partition(self) -> Partition:
        """The state key of this account: provider, host and tenant (never a secret or list position)."""

    @abstractmethod
    def organizations_read(self) -> frozenset[str]:
        """The organization record ids this account reads (its tenant, and child orgs it reads with it)."""

    def umbrella(self) -> str | None:
        """A billing account this account reads whole (every org under it, present or future), if any."""
        return None

    def member_of(self) -> frozenset[str]:
        """The billing accounts the account's own organization belongs to (to meet another account's umbrella)."""
        return frozenset()

    @abstractmethod
    def check(self) -> list[str] | None:
        """Prove the credentials and permissions a sync needs; raise a UsageMeteringError that says what to fix.

        Returns:
            What a sync will skip and why (an optional endpoint refused, a permission missing), if anything.
        """

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


def describe_refused(parts: list[Refused]) -> str:
    """Refused stretches with the provider's words (the first five)."""
    shown = "; ".join(f"{describe(part.window)}: {part.refusal}" for part in parts[:5])
    return shown + (f"; and {len(parts) - 5} more" if len(parts) > 5 else "")
