"""`cached_property` with one lock per instance and attribute.

Python 3.11's `functools.cached_property` holds one lock per attribute for *every* instance: the first request of
each account (a Confluent key's organization, a Datadog key's org) ran one account after the other however many
workers read them. Python 3.12 dropped that lock altogether, so two workers of one account could both make the
request. Here each instance computes each attribute once, and different instances never wait for each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
_LOCKS_LOCK = threading.Lock()  # held only to create an instance's lock for an attribute


class cached_property(Generic[T]):  # noqa: N801 (named like the functools descriptor it replaces)
    """Compute the attribute on first access, once per instance, and keep it in the instance's `__dict__`."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.__doc__ = func.__doc__
        self.name = func.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | cached_property[T]:
        if instance is None:
            return self
        values = instance.__dict__
        if self.name in values:  # after the first access the instance's dict answers before this descriptor
            return values[self.name]
        with _LOCKS_LOCK:
            lock = values.setdefault(f"_{self.name}__lock", threading.RLock())
        with lock:
            if self.name not in values:
                values[self.name] = self.func(instance)
            return values[self.name]
