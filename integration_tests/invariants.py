"""The invariants every end-to-end sync must keep, checked against the emulator's truth.

- ids are unique per stream within one sync (no line twice);
- every reference resolves to a record of the referenced stream (documented exceptions aside);
- the exact sum of charges per provider and month equals the truth, to the cent, and no expected month is missing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from integration_tests.emulator import Emulator
from integration_tests.harness import record_key

CENT = Decimal("0.01")


def duplicated_ids(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Ids that appear more than once."""
    counts = Counter(record_key(record) for record in records)
    return sorted(record_id for record_id, count in counts.items() if count > 1)


def dangling_references(
    streams: Mapping[str, list[Mapping[str, Any]]], *, deleted_workspaces: frozenset[str] = frozenset()
) -> list[str]:
    """References of usage records to an organization, product or workspace no record carries."""
    ids = {
        name: {record["id"] for record in streams.get(name, [])} for name in ("organizations", "products", "workspaces")
    }
    dangling = set()
    for record in streams.get("usage", []):
        if record["organization"]["id"] not in ids["organizations"]:
            dangling.add(record["organization"]["id"])
        if record.get("product") and record["product"]["id"] not in ids["products"]:
            dangling.add(record["product"]["id"])
        for resource in record.get("resources") or []:
            workspace = (resource.get("workspace") or {}).get("id")
            if workspace and workspace not in ids["workspaces"] and workspace not in deleted_workspaces:
                dangling.add(workspace)
    return sorted(dangling)


def charges_by_provider_month(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Decimal]:
    """Exact Σ charge amounts per (provider, `YYYY-MM` of the record's start)."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for record in records:
        for charge in record.get("charges") or []:
            if charge.get("amount") is not None:
                totals[(record["provider"], record["start_date"][:7])] += Decimal(str(charge["amount"]))
    return dict(totals)


def truth_by_provider_month(
    emu: Emulator, accounts: Iterable[tuple[str, str]], start: str, end: str
) -> dict[tuple[str, str], Decimal]:
    """The emulator's truth per (provider, month) of [start, end) for (provider, credential name) accounts."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for provider, credential in accounts:
        for month, amount in emu.truth(provider, start, end, account=credential)["by_month"].items():
            totals[(provider, month)] += Decimal(str(amount))
    return dict(totals)


def money_problems(delivered: Mapping[tuple[str, str], Decimal], truth: Mapping[tuple[str, str], Decimal]) -> list[str]:
    """Months whose delivered total differs from the truth by a cent or more, or that are missing."""
    problems = []
    for key in sorted(set(truth) | set(delivered)):
        want, got = truth.get(key, Decimal(0)), delivered.get(key)
        if got is None and want != 0:
            problems.append(f"{key}: missing (truth {want})")
        elif got is not None and abs(got - want) >= CENT:
            problems.append(f"{key}: delivered {got}, truth {want} (difference {got - want})")
    return problems


def check_sync(
    emitted: Mapping[str, list[Mapping[str, Any]]],
    truth: Mapping[tuple[str, str], Decimal],
    *,
    deleted_workspaces: frozenset[str] = frozenset(),
    deduplicated: Mapping[str, list[Mapping[str, Any]]] | None = None,
) -> list[str]:
    """Every invariant of one sync (or of several syncs' union, deduplicated by id as a destination would).

    Args:
        emitted: records of one sync per stream, as emitted (for uniqueness).
        truth: the emulator's Σ per (provider, month).
        deleted_workspaces: workspace ids a record may name without a workspaces record (deleted environments).
        deduplicated: the records to check references and money on (default: `emitted`).
    """
    final = deduplicated or emitted
    problems = [
        f"{stream}: id emitted twice: {rid}" for stream, records in emitted.items() for rid in duplicated_ids(records)
    ]
    problems += [
        f"dangling reference: {ref}" for ref in dangling_references(final, deleted_workspaces=deleted_workspaces)
    ]
    problems += money_problems(charges_by_provider_month(final.get("usage", [])), truth)
    return problems
