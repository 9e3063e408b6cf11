"""Request and response values passed between the HTTP server and the provider handlers."""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class ApiRequest:
    """An incoming API request, already split into path and (last-value-wins) query parameters."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    base_url: str

    def url(self, params: dict[str, Any]) -> str:
        """Return an absolute URL on this path with the given query parameters."""
        return f"{self.base_url}{self.path}?{urlencode(params)}"


@dataclass
class ApiResponse:
    """What a handler answers: a status, a JSON-able body (or raw bytes) and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    records: int = 0
    content_type: str = JSON_TYPE

    def encoded(self) -> bytes:
        """Return the body as bytes (compact JSON unless already bytes)."""
        if isinstance(self.body, (bytes, bytearray)):
            return bytes(self.body)
        return json.dumps(self.body, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200, records: int = 0, headers: dict | None = None) -> ApiResponse:
    """Build a JSON response."""
    return ApiResponse(status=status, body=body, headers=dict(headers or {}), records=records)


def encode_token(*parts: object) -> str:
    """Return an opaque page token that carries the parts."""
    return base64.urlsafe_b64encode("|".join(str(part) for part in parts).encode()).decode().rstrip("=")


def decode_token(token: str) -> list[str]:
    """Return the parts of a token made by `encode_token`.

    Raises:
        ValueError: If the token was not made by `encode_token`.
    """
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|")
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"invalid page token {token!r}") from error


class PageCache:
    """A thread-safe LRU of encoded page bodies, bounded by total bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries: OrderedDict[tuple, tuple[bytes, int]] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, int] | None:
        """Return (body, record count) for a key, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def clear(self) -> None:
        """Drop every entry (the answers changed)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def put(self, key: tuple, body: bytes, records: int) -> None:
        """Store a body, evicting the least recently used entries beyond the byte bound."""
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (body, records)
            self._bytes += len(body)
            while self._bytes > self._max_bytes and len(self._entries) > 1:
                _, (old, _count) = self._entries.popitem(last=False)
                self._bytes -= len(old)
