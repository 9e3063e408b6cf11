"""Fault knobs and the seeded injector that decides, per API request, which fault (if any) happens."""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass, field
from typing import Any

HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable"}


@dataclass
class Faults:
    """Fault knobs; probabilities are in [0, 1] and apply to API paths only (never `/_emulator/`).

    Attributes:
        rate_429: Probability of an injected 429 (with `Retry-After: retry_after_seconds`).
        rate_5xx: Probability of a 500/502/503, half of them with an HTML error page body.
        rate_drop: Probability of closing the connection without any response.
        slow_seconds: Delay added before answering a slowed request.
        slow_rate: Probability that a request is slowed (when `slow_seconds` > 0).
        malformed_rate: Probability of a 200 whose JSON body is truncated.
        malformed_paths: Restrict malformed bodies to these paths (empty: every API path).
        paths: Restrict 429/5xx/drop/slow faults to these paths (empty: every API path).
        fail_first_n: Path -> number of first requests on it answered with `fail_status`.
        fail_status: Status of the `fail_first_n` failures (429 adds `Retry-After`).
        retry_after_seconds: `Retry-After` of injected 429s.
        rate_limit: Requests allowed per credential (API key) per fixed window, as the providers count them.
        rate_window_seconds: Length of a rate-limit window.
        seed: Seed of the fault dice.
        latency_seconds: Mean time every API answer takes (the network and the provider), 0 for none.
        latency_jitter: Spread of the latency: uniform within mean x (1 +- jitter), jitter in [0, 1].
        latency_by_path: Path -> mean latency for that endpoint (overrides `latency_seconds`).
    """

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    slow_seconds: float = 0.0
    slow_rate: float = 1.0
    malformed_rate: float = 0.0
    malformed_paths: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    fail_first_n: dict[str, int] = field(default_factory=dict)
    fail_status: int = 503
    retry_after_seconds: int = 1
    rate_limit: int = 10000
    rate_window_seconds: float = 60.0
    seed: int = 0
    latency_seconds: float = 0.0
    latency_jitter: float = 0.0
    latency_by_path: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Faults:
        """Build faults from a JSON object (unknown keys raise `TypeError`)."""
        values = dict(values)
        for name in ("malformed_paths", "paths"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the knobs as a JSON-able dict."""
        values = dataclasses.asdict(self)
        values["malformed_paths"] = list(self.malformed_paths)
        values["paths"] = list(self.paths)
        return values


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one request: an early answer (`status`), a drop, a delay and/or a truncated body."""

    drop: bool = False
    status: int | None = None
    html: bool = False
    delay: float = 0.0
    malformed: bool = False


class FaultInjector:
    """Rolls seeded dice per request; thread-safe, and counts per-path requests for `fail_first_n`."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self.configure(faults)

    def configure(self, faults: Faults) -> None:
        """Replace the knobs, reseed the dice and restart the `fail_first_n` counters."""
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)
            self._latency_rng = random.Random(faults.seed + 1)
            self._seen: dict[str, int] = {}

    def latency(self, path: str) -> float:
        """Seconds the next answer on `path` takes (seeded jitter around the path's mean)."""
        with self._lock:
            mean = self.faults.latency_by_path.get(path, self.faults.latency_seconds)
            if mean <= 0:
                return 0.0
            jitter = min(max(self.faults.latency_jitter, 0.0), 1.0)
            return mean * (1 + jitter * (2 * self._latency_rng.random() - 1))

    def plan(self, path: str) -> FaultPlan:
        """Decide the fault of the next request on `path`."""
        with self._lock:
            faults, rng = self.faults, self._rng
            self._seen[path] = self._seen.get(path, 0) + 1
            if self._seen[path] <= faults.fail_first_n.get(path, 0):
                return FaultPlan(status=faults.fail_status)
            targeted = not faults.paths or path in faults.paths
            delay = faults.slow_seconds if targeted and faults.slow_seconds and rng.random() < faults.slow_rate else 0.0
            if targeted and rng.random() < faults.rate_drop:
                return FaultPlan(drop=True, delay=delay)
            if targeted and rng.random() < faults.rate_429:
                return FaultPlan(status=429, delay=delay)
            if targeted and rng.random() < faults.rate_5xx:
                return FaultPlan(status=rng.choice((500, 502, 503)), html=rng.random() < 0.5, delay=delay)
            malformed_target = not faults.malformed_paths or path in faults.malformed_paths
            return FaultPlan(delay=delay, malformed=malformed_target and rng.random() < faults.malformed_rate)


def html_error_page(status: int) -> bytes:
    """Return an nginx-style HTML error page."""
    return HTML_ERROR_PAGE.format(status=status, reason=REASONS.get(status, "Error")).encode()


def truncate_json(body: bytes) -> bytes:
    """Cut a JSON body in the middle so that it no longer parses."""
    return body[: max(len(body) // 2, 1)]
