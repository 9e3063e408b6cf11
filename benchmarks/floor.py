"""Physical floor: fetch the same pages with `requests`, parse the JSON, write one JSON line per raw record.

No connector framework: a keep-alive `requests.Session`, stdlib `json` and a buffered writer, the cheapest reasonable
way to move these records in Python (modelled on ../shared/perf-anchor/floor_fetch.py). It requests exactly the
windows the connector requests (Confluent calendar months of at most 31 days; Datadog windows of 59 days).

    python -m benchmarks.floor --config CONFIG.json   # the connector config of one account; lines on stdout
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

DATADOG_WINDOW_DAYS = 59
DATADOG_PAGE_LIMIT = 500
CONFLUENT_PAGE_SIZE = 10_000


def month_windows(start: date, end: date) -> Iterator[tuple[date, date]]:
    """Calendar-month pieces of [start, end)."""
    while start < end:
        next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        yield start, min(next_month, end)
        start = min(next_month, end)


def fixed_windows(start: date, end: date, days: int) -> Iterator[tuple[date, date]]:
    """Pieces of [start, end) of at most `days` days."""
    while start < end:
        yield start, min(start + timedelta(days=days), end)
        start = min(start + timedelta(days=days), end)


def datadog_pages(
    session: requests.Session, account: dict[str, Any], start: date, end: date
) -> Iterator[dict[str, Any]]:
    """Every parsed hourly usage page of the window, one org, the account's families."""
    session.headers.update({"DD-API-KEY": account["api_key"], "DD-APPLICATION-KEY": account["application_key"]})
    url = account["api_url"].rstrip("/") + "/api/v2/usage/hourly_usage"
    for piece_start, piece_end in fixed_windows(start, end, DATADOG_WINDOW_DAYS):
        params = {
            "filter[timestamp][start]": f"{piece_start.isoformat()}T00",
            "filter[timestamp][end]": f"{piece_end.isoformat()}T00",
            "filter[product_families]": "all",
            "filter[include_descendants]": "false",
            "page[limit]": DATADOG_PAGE_LIMIT,
        }
        while True:
            response = session.get(url, params=params, timeout=60)
            response.raise_for_status()
            body = json.loads(response.content)
            yield body
            token = ((body.get("meta") or {}).get("pagination") or {}).get("next_record_id")
            if not token:
                break
            params["page[next_record_id]"] = token


def confluent_pages(
    session: requests.Session, account: dict[str, Any], start: date, end: date
) -> Iterator[dict[str, Any]]:
    """Every parsed cost page of the window, in calendar months, at the maximum page size."""
    session.auth = (account["api_key"], account["api_secret"])
    url = account["api_url"].rstrip("/") + "/billing/v1/costs"
    for piece_start, piece_end in month_windows(start, end):
        params = {"start_date": piece_start.isoformat(), "end_date": piece_end.isoformat()}
        params["page_size"] = CONFLUENT_PAGE_SIZE  # type: ignore[assignment]
        while True:
            response = session.get(url, params=params, timeout=60)
            response.raise_for_status()
            body = json.loads(response.content)
            yield body
            next_url = (body.get("metadata") or {}).get("next")
            if not next_url:
                break
            params["page_token"] = parse_qs(urlsplit(next_url).query)["page_token"][0]


def main() -> None:
    """Fetch every page of the configured window and write its records as JSON lines to stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    with open(parser.parse_args().config) as config_file:
        config = json.load(config_file)
    account = config["accounts"][0]
    start = date.fromisoformat(config["start_date"])
    end = date.fromisoformat(config["end_date"]) + timedelta(days=1)
    pages = datadog_pages if account["provider"] == "datadog" else confluent_pages
    session = requests.Session()
    session.trust_env = False
    encode = json.JSONEncoder(separators=(",", ":")).encode
    with open(sys.stdout.fileno(), "w", buffering=1 << 20, closefd=False) as out:
        for body in pages(session, account, start, end):
            for record in body["data"]:
                out.write(encode(record))
                out.write("\n")


if __name__ == "__main__":
    main()
