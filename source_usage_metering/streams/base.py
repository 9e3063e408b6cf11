"""The unified stream base: one Airbyte stream over every configured account, with per-account state.

State has the CDK's partitioned shape `{"states": [{"partition": {...}, "cursor": {<cursor field>: ...}}]}`, keyed by
provider, host and tenant, so adding, removing or reordering accounts leaves the others' state intact. A failing
account does not hide the others: they are read and checkpointed, then the stream fails naming the account.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Generator, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

import requests
from airbyte_cdk.sources.streams import CheckpointMixin, Stream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.errors import AccountsFailed, UsageMeteringError
from source_usage_metering.providers.base import Partition, UsageProvider
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.streams.progress import Progress

logger = logging.getLogger("airbyte")

AccountFailure = UsageMeteringError | AirbyteTracedException


def partition_key(partition: Mapping[str, Any]) -> str:
    """A hashable, order-independent key of a state partition."""
    return json.dumps(partition, sort_keys=True, separators=(",", ":"))


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Keep the objects alive when a long read starts (modules, config, providers) out of the cyclic GC's passes.

    Every full collection during the read would otherwise traverse them again (the CDK's imports alone are
    hundreds of thousands of objects): a few microseconds per record. Unfrozen afterwards, as it was found.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def as_failure(error: Exception, label: str) -> AccountFailure:
    """Any error an account raised, as one this connector reports (naming the account)."""
    if isinstance(error, UsageMeteringError | AirbyteTracedException):
        return error
    if isinstance(error, requests.RequestException):
        return UsageMeteringError(f"{label}: the provider could not be reached ({type(error).__name__})")
    return UsageMeteringError(f"{label}: unexpected {type(error).__name__}: {error}")


class UnifiedStream(Stream, CheckpointMixin):
    """Base of the four unified streams; the providers do the provider-specific work."""

    primary_key = "id"
    state_checkpoint_interval = None
    _json_schema: Mapping[str, Any] | None = None

    def __init__(self, providers: list[UsageProvider], guard: OverlapGuard | None = None) -> None:
        self._providers = providers
        self._guard = guard or OverlapGuard(providers)
        self._states: dict[str, dict[str, Any]] = {}
        self._state_view: dict[str, Any] | None = None  # built when the CDK first asks after a change
        self._failures: list[AccountFailure] = []
        self._failed_accounts: set[str] = set()
        self.progress = Progress(self.name)

    @property
    def state(self) -> MutableMapping[str, Any]:
        """Every partition's cursor, including partitions of accounts no longer configured.

        The CDK reads this after every record; it is rebuilt only after a cursor moved (never mutated in place).
        """
        if self._state_view is None:
            self._state_view = {"states": list(self._states.values())}
        return self._state_view

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._states = {}
        self._state_view = None
        for entry in (value or {}).get("states") or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("partition"), Mapping):
                partition = dict(entry["partition"])
                self._states[partition_key(partition)] = {
                    "partition": partition,
                    "cursor": dict(entry.get("cursor") or {}),
                }

    def cursor_value(self, partition: Partition) -> str | None:
        """The saved cursor value of a partition, if any."""
        entry = self._states.get(partition_key(partition))
        value = (entry or {}).get("cursor", {}).get(self.cursor_field)
        return value if isinstance(value, str) else None

    def set_cursor_value(self, partition: Partition, value: str) -> None:
        """Move a partition's cursor (never backwards)."""
        current = self.cursor_value(partition)
        if current is None or value > current:
            self._states[partition_key(partition)] = {
                "partition": dict(partition),
                "cursor": {self.cursor_field: value},
            }
            self._state_view = None

    def replace_cursor_value(self, partition: Partition, value: str) -> None:
        """Set a partition's cursor, earlier or later (only for a cursor the provider cannot have served)."""
        self._states[partition_key(partition)] = {"partition": dict(partition), "cursor": {self.cursor_field: value}}
        self._state_view = None

    def get_json_schema(self) -> Mapping[str, Any]:
        """The stream's static schema (discover needs no network); the CDK asks for it with every record."""
        if self._json_schema is None:
            from source_usage_metering.schemas import load_schema

            self._json_schema = load_schema(self.name)
        return self._json_schema

    def claim_partition(self, provider: UsageProvider) -> Partition:
        """The account's state partition, unless the overlap guard refuses the account.

        Raises:
            ConfigError: naming both accounts when another configured account reads the same organizations.
        """
        refusal = self._guard.refusal(provider)
        if refusal is not None:
            raise refusal
        return provider.partition()

    def account_failed(self, provider: UsageProvider, error: Exception) -> None:
        """Remember an account's failure; its remaining slices are skipped, other accounts go on."""
        failure = as_failure(error, provider.label)
        text = getattr(failure, "message", None) or str(failure)
        if not text.startswith(provider.label):
            text = f"{provider.label}: {text}"
        logger.error("%s (stream %s)", text, self.name)  # the one ERROR line of this failure (see `logs`)
        self._failures.append(failure)
        self._failed_accounts.add(provider.label)

    def is_failed(self, provider: UsageProvider) -> bool:
        """Whether the account already failed in this stream."""
        return provider.label in self._failed_accounts

    def finish(self) -> None:
        """After every account was read: log the summary, then fail the stream if any account failed."""
        self.progress.log_summary()
        if self._failures:
            raise AccountsFailed(self.name, self._failures).to_traced()

    def guarded(
        self, provider: UsageProvider, records: Iterable[Mapping[str, Any]], window: str
    ) -> Generator[Mapping[str, Any], None, bool]:
        """Yield one slice's records until the account fails (then record the failure instead of raising).

        Returns:
            Whether the slice was read to its end.
        """
        count, completed = 0, True
        try:
            for record in records:
                count += 1
                yield record
        except Exception as error:  # every account error is reported, after the other accounts are read
            self.account_failed(provider, error)
            completed = False
        self.progress.slice_done(provider.label, window, count)
        return completed
