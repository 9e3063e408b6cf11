from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from source_usage_metering.streams.overlap import OverlapGuard, Reach

PARENT = "datadog|datadoghq.com|parent|organization"
CHILD = "datadog|datadoghq.com|child|organization"
ACCOUNT = "datadog|datadoghq.com|account|parent"


@dataclass
class FakeProvider:
    index: int
    orgs: frozenset[str]
    umbrella_of: str | None = None
    parents: frozenset[str] = field(default_factory=frozenset)

    @property
    def config_path(self) -> str:
        return f"accounts[{self.index}]"

    @property
    def label(self) -> str:
        return f"accounts[{self.index}] (datadog)"

    def organizations_read(self) -> frozenset[str]:
        return self.orgs

    def umbrella(self) -> str | None:
        return self.umbrella_of

    def member_of(self) -> frozenset[str]:
        return self.parents


def parent(index: int, children: frozenset[str] = frozenset()) -> FakeProvider:
    return FakeProvider(index, frozenset({PARENT}) | children, ACCOUNT)


def child(index: int) -> FakeProvider:
    return FakeProvider(index, frozenset({CHILD}), parents=frozenset({ACCOUNT}))


@pytest.mark.parametrize("child_first", [False, True], ids=["parent-first", "child-first"])
def test_a_child_orgs_own_keys_beside_its_parent_are_refused_whatever_the_order(child_first: bool) -> None:
    accounts = [child(0), parent(1)] if child_first else [parent(0), child(1)]
    guard = OverlapGuard(accounts)
    refused = [a for a in accounts if guard.refusal(a) is not None]
    assert [a.orgs for a in refused] == [frozenset({CHILD})]
    message = guard.refusal(refused[0]).message
    assert refused[0].config_path in message
    assert next(a for a in accounts if a is not refused[0]).label in message


def test_a_child_seen_in_the_parents_cost_rows_is_covered_even_without_its_billing_account() -> None:
    accounts = [FakeProvider(0, frozenset({CHILD})), parent(1, frozenset({CHILD}))]
    guard = OverlapGuard(accounts)
    assert guard.refusal(accounts[0]) is not None
    assert guard.refusal(accounts[1]) is None


def test_two_keys_of_one_organization_refuse_the_later_one() -> None:
    org = frozenset({"confluent|org-1|organization"})
    accounts = [FakeProvider(0, org), FakeProvider(1, org)]
    guard = OverlapGuard(accounts)
    assert guard.refusal(accounts[0]) is None
    assert guard.refusal(accounts[1]) is not None


def test_distinct_organizations_are_all_read() -> None:
    accounts = [FakeProvider(0, frozenset({"a"})), FakeProvider(1, frozenset({"b"})), parent(2)]
    guard = OverlapGuard(accounts)
    assert [guard.refusal(a) for a in accounts] == [None, None, None]


def test_reach_covers_and_overlaps() -> None:
    whole = Reach(frozenset({PARENT}), ACCOUNT)
    member = Reach(frozenset({CHILD}), None, frozenset({ACCOUNT}))
    assert whole.covers(member)
    assert not member.covers(whole)
    assert whole.overlaps(member)
    assert not Reach(frozenset({"a"})).overlaps(Reach(frozenset({"b"})))
