"""`caching.cached_property`: once per instance, and instances never wait for each other."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from source_usage_metering.caching import cached_property


class Account:
    def __init__(self, gate: threading.Barrier | None = None) -> None:
        self.gate = gate
        self.computed = 0

    @cached_property
    def organization(self) -> str:
        """The account's organization (a request in real providers)."""
        self.computed += 1
        if self.gate is not None:
            self.gate.wait(5)  # every instance must be computing at once to pass
        return f"org-{id(self)}"


def test_two_instances_compute_at_the_same_time() -> None:
    gate = threading.Barrier(2)
    first, second = Account(gate), Account(gate)
    with ThreadPoolExecutor(2) as pool:
        names = list(pool.map(lambda account: account.organization, [first, second]))
    assert names == [f"org-{id(first)}", f"org-{id(second)}"]  # functools' 3.11 lock would break the barrier


def test_one_instance_computes_once_however_many_threads_ask() -> None:
    account = Account()
    with ThreadPoolExecutor(8) as pool:
        names = set(pool.map(lambda _: account.organization, range(64)))
    assert names == {f"org-{id(account)}"}
    assert account.computed == 1
    assert Account.organization.__doc__ == "The account's organization (a request in real providers)."
