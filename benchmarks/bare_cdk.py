"""Bare CDK floor: the thinnest airbyte-cdk `HttpStream` source reading the same pages with a trivial mapping.

The framework's floor for our output (modelled on ../shared/perf-anchor/bare_cdk_source.py): one stream, the same
request windows and page sizes as the connector, each page parsed once, and the same number of records emitted as
the connector emits: one per non-null Datadog measurement, one per Confluent cost row. Run through
`airbyte_cdk.entrypoint.launch()` like a real connector:

    python -m benchmarks.bare_cdk read --config CONFIG.json --catalog CATALOG.json   # the connector's config
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from airbyte_cdk.entrypoint import launch
from airbyte_cdk.models import ConnectorSpecification
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.http import HttpStream

from benchmarks.floor import CONFLUENT_PAGE_SIZE, DATADOG_PAGE_LIMIT, DATADOG_WINDOW_DAYS, fixed_windows, month_windows

# The same as workload.BARE_SCHEMA (not imported: that would load the emulator package into the floor).
SCHEMA = {"type": "object", "additionalProperties": True, "properties": {"id": {"type": "string"}}}


class BareUsage(HttpStream):
    """Full refresh over the configured window; one slice per request window."""

    primary_key = "id"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.account = config["accounts"][0]
        self.start = date.fromisoformat(config["start_date"])
        self.end = date.fromisoformat(config["end_date"]) + timedelta(days=1)
        self.is_datadog = self.account["provider"] == "datadog"
        auth = (
            None
            if self.is_datadog
            else requests.auth.HTTPBasicAuth(self.account["api_key"], self.account["api_secret"])
        )
        super().__init__(authenticator=auth)

    @property
    def name(self) -> str:
        """The stream name (the same as ours)."""
        return "usage"

    @property
    def url_base(self) -> str:
        """The account's API URL."""
        return self.account["api_url"].rstrip("/") + "/"

    def path(self, **kwargs: Any) -> str:
        """Hourly usage or costs."""
        return "api/v2/usage/hourly_usage" if self.is_datadog else "billing/v1/costs"

    def get_json_schema(self) -> Mapping[str, Any]:
        """Any object with an id."""
        return SCHEMA

    def stream_slices(self, **kwargs: Any) -> Iterator[Mapping[str, Any]]:
        """The connector's request windows."""
        pieces = (
            fixed_windows(self.start, self.end, DATADOG_WINDOW_DAYS)
            if self.is_datadog
            else month_windows(self.start, self.end)
        )
        for start, end in pieces:
            yield {"start": start.isoformat(), "end": end.isoformat()}

    def request_headers(self, **kwargs: Any) -> Mapping[str, Any]:
        """Datadog's keys (Confluent uses basic auth)."""
        if not self.is_datadog:
            return {}
        return {"DD-API-KEY": self.account["api_key"], "DD-APPLICATION-KEY": self.account["application_key"]}

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        """The window, the maximum page size and the page token."""
        window = stream_slice or {}
        if self.is_datadog:
            params: dict[str, Any] = {
                "filter[timestamp][start]": f"{window['start']}T00",
                "filter[timestamp][end]": f"{window['end']}T00",
                "filter[product_families]": "all",
                "filter[include_descendants]": "false",
                "page[limit]": DATADOG_PAGE_LIMIT,
            }
            if next_page_token:
                params["page[next_record_id]"] = next_page_token["token"]
            return params
        params = {"start_date": window["start"], "end_date": window["end"], "page_size": CONFLUENT_PAGE_SIZE}
        if next_page_token:
            params["page_token"] = next_page_token["token"]
        return params

    def parse_response(self, response: requests.Response, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        """The trivial mapping: one record per measurement (Datadog) or per row (Confluent)."""
        body = orjson.loads(response.content)
        response._bare_body = body  # type: ignore[attr-defined]  # parsed once; next_page_token reuses it
        if not self.is_datadog:
            for row in body["data"]:
                yield {"id": row.get("id") or row["start_date"], "amount": row.get("amount")}
            return
        for row in body["data"]:
            for measurement in row["attributes"]["measurements"]:
                if measurement["value"] is not None:
                    yield {"id": row["id"] + "|" + measurement["usage_type"], "quantity": measurement["value"]}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """`meta.pagination.next_record_id` (Datadog) or the `page_token` of `metadata.next` (Confluent)."""
        body = response._bare_body  # type: ignore[attr-defined]
        if self.is_datadog:
            token = ((body.get("meta") or {}).get("pagination") or {}).get("next_record_id")
        else:
            next_url = (body.get("metadata") or {}).get("next")
            token = parse_qs(urlsplit(next_url).query)["page_token"][0] if next_url else None
        return {"token": token} if token else None


class BareSource(AbstractSource):
    """One stream, no checks."""

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        """Anything goes."""
        return ConnectorSpecification(connectionSpecification={"type": "object"})

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> tuple[bool, Any]:
        """Always fine."""
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """The one stream."""
        return [BareUsage(config)]


if __name__ == "__main__":
    launch(BareSource(), sys.argv[1:])
