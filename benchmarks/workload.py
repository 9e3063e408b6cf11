"""What each benchmark run reads: the emulator scenario, the history windows, connector configs and catalogs.

History lengths are counted in days ending a few days before today (the connector reads the real clock, so the
emulator's `today` is the real one too): "1 month" is 30 days and "12 months" 360 days. Both fit Confluent's one
year of cost history and Datadog's 15 months of hourly usage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from integration_tests.emulator import Scenario

DAYS_PER_MONTH = 30
END_DAYS_AGO = 3  # complete data; also keeps 12 months inside Confluent's 365-day history limit
CONFLUENT_CREDENTIAL = "confluent_org_a"
DATADOG_CREDENTIAL = "datadog_parent"
PROVIDERS = ("confluent", "datadog")
BARE_SCHEMA = {"type": "object", "additionalProperties": True, "properties": {"id": {"type": "string"}}}


@dataclass(frozen=True)
class Shape:
    """Data volume knobs: Confluent resources per day and Datadog product families (one org)."""

    environments: int = 20
    resources_per_env: int = 5
    product_families: int = 45  # every known family (the emulator adds one unknown family)

    def scenario(self) -> Scenario:
        """The emulator scenario: 13 months of data, enough for 360 days ending 3 days ago."""
        return Scenario(
            months=14,
            environments=self.environments,
            resources_per_env=self.resources_per_env,
            product_families=self.product_families,
            datadog_child_orgs=0,
        )


@dataclass(frozen=True)
class History:
    """A history window [start, end) of `months` x 30 days ending `END_DAYS_AGO` days before today."""

    months: int
    start: date
    end: date

    @classmethod
    def of(cls, months: int, today: date) -> History:
        """The window of `months` months ending a few days before `today`."""
        end = today - timedelta(days=END_DAYS_AGO)
        return cls(months, end - timedelta(days=DAYS_PER_MONTH * months), end)

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days

    @property
    def start_hour(self) -> str:
        """`YYYY-MM-DDThh` of the start (Datadog's filter format)."""
        return f"{self.start.isoformat()}T00"

    @property
    def end_hour(self) -> str:
        """`YYYY-MM-DDThh` of the (exclusive) end."""
        return f"{self.end.isoformat()}T00"


def utc_today() -> date:
    """The real UTC date (the connector reads the real clock)."""
    return datetime.now(timezone.utc).date()


def account_item(emulator: Any, provider: str) -> dict[str, Any]:
    """The emulator's default account of a provider; Datadog reads only the keys' own org."""
    if provider == "confluent":
        return emulator.credentials[CONFLUENT_CREDENTIAL]
    return {**emulator.credentials[DATADOG_CREDENTIAL], "include_child_orgs": False}


def connector_config(emulator: Any, provider: str, history: History, *, remote_data: bool) -> dict[str, Any]:
    """One account, exactly the history window (`end_date` is inclusive in the connector's config)."""
    return {
        "accounts": [account_item(emulator, provider)],
        "start_date": history.start.isoformat(),
        "end_date": (history.end - timedelta(days=1)).isoformat(),
        "include_remote_data": remote_data,
    }


def usage_catalog() -> dict[str, Any]:
    """A configured catalog with only the usage stream, incremental (a first sync: no state)."""
    schema_path = Path(__file__).resolve().parent.parent / "source_usage_metering" / "schemas" / "usage.json"
    stream = {
        "name": "usage",
        "json_schema": json.loads(schema_path.read_text()),
        "supported_sync_modes": ["full_refresh", "incremental"],
        "source_defined_cursor": True,
        "default_cursor_field": ["end_date"],
        "source_defined_primary_key": [["id"]],
    }
    configured = {
        "stream": stream,
        "sync_mode": "incremental",
        "cursor_field": ["end_date"],
        "destination_sync_mode": "append_dedup",
        "primary_key": [["id"]],
    }
    return {"streams": [configured]}


def bare_catalog() -> dict[str, Any]:
    """The bare CDK floor's configured catalog: `usage`, full refresh.

    Here, not in `bare_cdk.py`: the harness must not import airbyte-cdk, or every child it forks would start with
    the harness's resident pages counted in its peak RSS.
    """
    stream = {"name": "usage", "json_schema": BARE_SCHEMA, "supported_sync_modes": ["full_refresh"]}
    return {"streams": [{"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}
