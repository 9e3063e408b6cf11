"""The overlap guard: no two configured accounts read the same organization, so no line arrives twice.

Accounts are compared by the organizations they actually read — their tenant and, for a Datadog parent with child
orgs, every org of its billing account — never by how a host is spelled, and whatever their order in the config.
Of two overlapping accounts, the one whose organizations the other already reads is refused (a child org's own keys
beside its parent's); for equal or partial overlaps, the later one in the config (the data delivered is the same
either way). A refused account fails every stream with a config error naming both accounts; the others are read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from source_usage_metering.errors import ConfigError
from source_usage_metering.providers.base import UsageProvider


@dataclass(frozen=True)
class Reach:
    """What one account reads: organization record ids, and billing accounts it reads whole or belongs to."""

    organizations: frozenset[str]
    umbrella: str | None = None
    member_of: frozenset[str] = frozenset()

    def covers(self, other: Reach) -> bool:
        """Whether this account already reads everything `other` reads."""
        whole_account = self.umbrella is not None and self.umbrella in other.member_of
        return whole_account or (bool(other.organizations) and other.organizations <= self.organizations)

    def overlaps(self, other: Reach) -> bool:
        """Whether the two accounts read an organization in common."""
        return bool(self.organizations & other.organizations) or self.covers(other) or other.covers(self)


class OverlapGuard:
    """Decides once per sync which accounts are refused; every stream of the sync asks it (see module docstring)."""

    def __init__(self, providers: Sequence[UsageProvider], max_workers: int = 1) -> None:
        """`max_workers`: how many accounts are asked what they read at once (each may take a few requests)."""
        self._providers = providers
        self._max_workers = max(1, min(max_workers, len(providers)))
        self._refused: dict[int, ConfigError] | None = None
        self._lock = threading.Lock()

    def refusal(self, provider: UsageProvider) -> ConfigError | None:
        """The config error refusing this account, or None (thread-safe: accounts are planned at once)."""
        with self._lock:
            if self._refused is None:
                self._refused = self._decide()
        return self._refused.get(id(provider))

    def _decide(self) -> dict[int, ConfigError]:
        with ThreadPoolExecutor(self._max_workers, thread_name_prefix="overlap") as pool:
            found = list(pool.map(_reach, self._providers))
        pairs = zip(self._providers, found, strict=True)
        reaches = [(provider, reach) for provider, reach in pairs if reach is not None]
        refused: dict[int, ConfigError] = {}
        for position, (first, first_reach) in enumerate(reaches):
            for second, second_reach in reaches[position + 1 :]:
                if id(first) in refused or id(second) in refused or not first_reach.overlaps(second_reach):
                    continue
                kept, dropped = (second, first) if second_reach.covers(first_reach) else (first, second)
                if first_reach.covers(second_reach):
                    kept, dropped = first, second
                refused[id(dropped)] = ConfigError(
                    dropped.config_path,
                    f"reads organizations that {kept.label} also reads, so every line would arrive twice: remove "
                    "one of the two accounts, or set include_child_orgs to false on the parent organization's account",
                )
        return refused


def _reach(provider: UsageProvider) -> Reach | None:
    """An account's reach, or None when it cannot be told (its own failure is reported by the streams)."""
    try:
        return Reach(provider.organizations_read(), provider.umbrella(), provider.member_of())
    except Exception:
        return None
