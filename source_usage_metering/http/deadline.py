"""A total deadline per HTTP attempt: connect, headers and the whole body within 300 s, then a retryable timeout.

requests' `timeout=(connect, read)` bounds each socket read, not the answer: a body that trickles one byte every
5 s keeps a request open for as long as the server likes (issue 13 saw 7 minutes and counting). Neither requests nor
the CDK offers a total deadline, so this transport adapter adds one: it reads the body itself while a watchdog timer
runs, and when the timer fires it shuts the connection's socket down, which ends the blocked read at once. The
attempt then fails with `DeadlineExceeded`, a `requests.Timeout` the error policy retries like any other.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

REQUEST_DEADLINE_SECONDS = 300.0


class DeadlineExceeded(requests.exceptions.Timeout):
    """No complete answer (connect, headers and body) within the deadline."""


class _InFlight:
    """The connection an attempt is using, so the watchdog can shut its socket down."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.expired = threading.Event()

    def expire(self) -> None:
        """Mark the attempt late and end its blocked read, if it has a socket yet (connect has its own timeout)."""
        self.expired.set()
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            # The plain socket's shutdown, also on a TLS socket: SSLSocket.shutdown would unwrap it under the reading
            # thread's feet; this only makes the pending read return.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _tracking(pool_class: type[HTTPConnectionPool], local: threading.local) -> type[HTTPConnectionPool]:
    """`pool_class`, recording every connection it hands out in the calling thread's `_InFlight`."""

    class TrackingPool(pool_class):  # type: ignore[valid-type, misc]
        def _get_conn(self, timeout: float | None = None) -> Any:
            connection = super()._get_conn(timeout)
            in_flight = getattr(local, "in_flight", None)
            if in_flight is not None:
                in_flight.connection = connection
            return connection

    return TrackingPool


class DeadlineAdapter(HTTPAdapter):
    """`HTTPAdapter` whose every attempt completes, body included, within `deadline_seconds` or raises.

    Args:
        deadline_seconds: Seconds one attempt may take from connect to the body's last byte.
        on_unanswered: Called with the request when its attempt raised instead of answering.
        **kwargs: `HTTPAdapter`'s (pool sizes).
    """

    def __init__(
        self,
        deadline_seconds: float = REQUEST_DEADLINE_SECONDS,
        on_unanswered: Callable[[requests.PreparedRequest], None] | None = None,
        **kwargs: Any,
    ) -> None:
        self.deadline_seconds = deadline_seconds
        self.on_unanswered = on_unanswered
        self._local = threading.local()
        self._pools = {
            "http": _tracking(HTTPConnectionPool, self._local),
            "https": _tracking(HTTPSConnectionPool, self._local),
        }
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The pool manager of `HTTPAdapter`, with pools that record the connection in use."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """The proxy manager of `HTTPAdapter`, with the same pools (SOCKS keeps its own: no watchdog there)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = self._pools
        return manager

    def send(self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any) -> requests.Response:
        """Send, and read the whole body (unless streaming was asked for) before the deadline.

        Raises:
            DeadlineExceeded: when connect, headers and body took longer than `deadline_seconds`.
        """
        in_flight = _InFlight()
        self._local.in_flight = in_flight
        watchdog = threading.Timer(self.deadline_seconds, in_flight.expire)
        watchdog.daemon = True
        watchdog.start()
        answered = False
        try:
            response = super().send(request, stream=True, **kwargs)
            if not stream:
                response.content  # noqa: B018  (reads the body now, under the watchdog)
            answered = True
        except requests.RequestException:
            if in_flight.expired.is_set():
                raise self._late(request) from None
            raise
        finally:
            watchdog.cancel()
            self._local.in_flight = None
            if not answered and self.on_unanswered is not None:
                self.on_unanswered(request)
        if in_flight.expired.is_set():  # a body cut short without an error (no length, connection closed)
            raise self._late(request)
        return response

    def _late(self, request: requests.PreparedRequest) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"no complete answer within {self.deadline_seconds:g} s (connect, headers and body)", request=request
        )
