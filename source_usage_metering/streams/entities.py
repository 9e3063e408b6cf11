"""organizations, products and workspaces: the entities of each account, incremental on `updated_at`.

Records the provider gives no `updated_at` are always emitted; the others only when newer than the cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_cdk.models import SyncMode

from source_usage_metering.providers.base import UsageProvider
from source_usage_metering.streams.base import UnifiedStream
from source_usage_metering.streams.overlap import OverlapGuard
from source_usage_metering.windows import iso

logger = logging.getLogger("airbyte")


class EntityStream(UnifiedStream):
    """One slice per account; the cursor of each account moves to the newest `updated_at` it returned."""

    cursor_field = "updated_at"

    def __init__(self, providers: list[UsageProvider], guard: OverlapGuard | None = None) -> None:
        super().__init__(providers, guard)
        self._emitted: set[str] = set()

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """`{"account": <position in this sync>, "partition": <state key>}` per readable account.

        Every account's partition is resolved first, so the state of removed accounts is dropped before any slice.
        """
        readable = []
        for position, provider in enumerate(self._providers):
            try:
                readable.append({"account": position, "partition": self.claim_partition(provider)})
            except Exception as error:
                self.account_failed(provider, error)
        self.forget_removed_accounts()
        self.progress.slices_planned = len(readable)
        yield from readable
        self.finish()

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """The account's records newer than its cursor (all of them in a full refresh)."""
        if not stream_slice:
            return
        provider = self._providers[stream_slice["account"]]
        partition = stream_slice["partition"]
        since = self.cursor_value(partition) if sync_mode == SyncMode.incremental else None
        if since is not None and since > iso(provider.now):
            logger.warning(
                "%s: %s: the saved cursor %s lies after now: every record is read again",
                provider.label,
                self.name,
                since,
            )
            self.replace_cursor_value(partition, iso(provider.now))
            since = None
        newest = None
        for record in self.guarded(provider, self._once(self.iter_entities(provider)), "all"):
            updated = record.get("updated_at")
            if updated is not None:
                if since is not None and updated <= since:
                    continue
                newest = updated if newest is None or updated > newest else newest
            yield record
        if newest is not None and not self.is_failed(provider):
            self.set_cursor_value(partition, newest)

    def iter_entities(self, provider: UsageProvider) -> Iterable[Mapping[str, Any]]:
        """The provider's records for this stream."""
        raise NotImplementedError

    def _once(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """Each id once per sync (a product shared by several accounts, an org two accounts can see)."""
        for record in records:
            if record["id"] not in self._emitted:
                self._emitted.add(record["id"])
                yield record


class Organizations(EntityStream):
    """Organizations of every account (Confluent orgs; Datadog parent and child orgs)."""

    name = "organizations"

    def iter_entities(self, provider: UsageProvider) -> Iterable[Mapping[str, Any]]:
        """The provider's organizations."""
        return provider.iter_organizations()


class Workspaces(EntityStream):
    """Workspaces: Confluent environments (Datadog has none)."""

    name = "workspaces"

    def iter_entities(self, provider: UsageProvider) -> Iterable[Mapping[str, Any]]:
        """The provider's workspaces."""
        return provider.iter_workspaces()


class Products(EntityStream):
    """Provider product catalogues; a product shared by several accounts is emitted once per sync."""

    name = "products"

    def iter_entities(self, provider: UsageProvider) -> Iterable[Mapping[str, Any]]:
        """The provider's products."""
        return provider.iter_products()
