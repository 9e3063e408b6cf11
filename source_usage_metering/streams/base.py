"""The unified stream base: one Airbyte stream over every configured account, with per-account state.

State has the CDK's partitioned shape `{"states": [{"partition": {...}, "cursor": {<cursor field>: ...}}]}`, keyed by
provider, host and tenant, so adding, removing or reordering accounts leaves the others' state intact. A failing
account does not hide the others: they are read and checkpointed, then the stream fails naming the account.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Generator, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

import requests
from airbyte_cdk.sources.streams import CheckpointMixin, Stream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_usage_metering.errors import AccountsFailed, UsageMeteringError
from source_usage_metering.providers.base import Partition, UsageProvider
from source_usage_metering.state import parse_stream_state, partition_key
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.streams.progress import Progress

logger = logging.getLogger("airbyte")

AccountFailure = UsageMeteringError | AirbyteTracedException


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
        self._claimed: list[Partition] = []

    @property
    def state(self) -> MutableMapping[str, Any]:
        """Every partition's cursor; a removed account's only until `forget_removed_accounts` proves it removed.

        The CDK reads this after every record; it is rebuilt only after a cursor moved (never mutated in place).
        Entries are ordered by partition, so a STATE does not depend on which concurrent slice finished first.
        """
        if self._state_view is None:
            self._state_view = {"states": [self._states[key] for key in sorted(self._states)]}
        return self._state_view

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        """Take the incoming state, read by the one state reader (`state.py`; the CDK hands `{}` for none).

        Raises:
            AirbyteTracedException: a config error when the state is not one this connector reads.
        """
        self._state_view = None
        self._states = parse_stream_state(self.name, self.cursor_field, value or {})

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
        partition = provider.partition()
        self._claimed.append(partition)
        return partition

    def forget_removed_accounts(self) -> None:
        """Drop the saved partitions no configured account reads, each with a log line naming it.

        Only once every configured account resolved its own partition in this sync (an account that could not say
        which organization it reads might still own one); a saved partition belongs to an account when it holds
        the account's provider, host and tenant (a usage partition adds its kind). Called before the first slice,
        so no STATE of this sync carries them.
        """
        if len(self._claimed) != len(self._providers):
            return
        for key, entry in list(self._states.items()):
            saved = entry["partition"]
            if not any(all(saved.get(k) == v for k, v in mine.items()) for mine in self._claimed):
                del self._states[key]
                self._state_view = None
                logger.warning(
                    "%s: dropped the saved state of %s: no configured account reads it any more",
                    self.name,
                    ", ".join(f"{k} {v}" for k, v in saved.items()),
                )

    def account_failed(self, provider: UsageProvider, error: Exception) -> None:
        """Remember an account's failure; its remaining slices are skipped, other accounts go on."""
        failure = as_failure(error, provider.label)
        text = getattr(failure, "message", None) or str(failure)
        if not text.startswith(provider.label):
            text = f"{provider.label}: {text}"
        logger.error("%s (stream %s)", text, self.name)  # the one ERROR line of this failure (see `logs`)
        self._failures.append(failure)
        self._failed_accounts.add(provider.label)

    @property
    def failures(self) -> list[AccountFailure]:
        """The accounts' failures of this sync, in the order they failed."""
        return list(self._failures)

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
