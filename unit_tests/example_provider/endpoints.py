"""The example provider's two endpoints: `GET /v1/org` and `GET /v1/costs?day=YYYY-MM-DD` (no paging)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from source_usage_metering.http.endpoint import ProviderEndpoint


class ExampleEndpoint(ProviderEndpoint):
    """Parameters as given, one page, `data` items."""

    hints = {401: "Check access_token"}

    def params(self, stream_slice: Mapping[str, Any], page_token: str | None) -> MutableMapping[str, Any]:
        return dict(stream_slice)

    def next_token(self, body: Any) -> str | None:
        return None

    def extract(self, body: Any) -> Iterable[Mapping[str, Any]]:
        return self.data_items(body)


class OrgEndpoint(ExampleEndpoint):
    path_template = "/v1/org"
    endpoint = "GET /v1/org"


class CostsEndpoint(ExampleEndpoint):
    path_template = "/v1/costs"
    endpoint = "GET /v1/costs"
