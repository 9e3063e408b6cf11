"""Variances: real-world answers the providers give beyond the contract as first read, switchable per emulator.

Each comes from a public bug report, a client's cassette or a payload sample (see docs/reliability.md, "Provider
answers"); the connector must deliver every readable cost line exactly once under each of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class Variances:
    """Which real-world answers the emulator gives (all off by default: the contract as documented).

    Attributes:
        confluent_history_days: Costs answer 400 `invalid_input` "start date is too far in the past" for a
            `start_date` older than today minus this many days (instead of the scenario's 365).
        confluent_old_data_403_days: Costs answer 403 `forbidden_access` for a `start_date` older than today minus
            this many days (seen for some credentials).
        confluent_null_data_windows: Windows (by `start_date`) whose costs answer is a 200
            `{"errors":[{"detail":"billing backend timeout"}],"data":null}`.
        confluent_repeat_row_across_pages: Each next costs page starts again with the previous page's last row.
        confluent_page_cap: Costs pages hold at most this many rows whatever `page_size` asks (the spec's
            `x-max-page-items` is 500).
        confluent_other_org_listed_first: `/org/v2/organizations` lists a sandbox organization before the key's.
        datadog_cost_history_months: Cost endpoints answer 400 "start_month must be within the last 15 months" for
            a `start_month` older than this month minus (this many - 1) months.
        datadog_end_month_exclusive: Cost endpoints return months up to but not including `end_month` (nothing when
            `start_month` equals it), as one production client observed.
        datadog_repeat_cost_row: `historical_cost` repeats the parent org's row of each month.
        datadog_cost_dates_with_offset: Cost rows' `date` is written at -05:00, so its text starts with the day
            before the month (the UTC instant is the month's start).
        datadog_mapping_missing: `billing_dimension_mapping` answers 404 `{"errors":["Not found"]}`.
        datadog_late_child_org: A new trial child org with hourly usage only from two days before today and no cost
            rows (after the hour the organizations stream probes).
    """

    confluent_history_days: int | None = None
    confluent_old_data_403_days: int | None = None
    confluent_null_data_windows: tuple[str, ...] = ()
    confluent_repeat_row_across_pages: bool = False
    confluent_page_cap: int | None = None
    confluent_other_org_listed_first: bool = False
    datadog_cost_history_months: int | None = None
    datadog_end_month_exclusive: bool = False
    datadog_repeat_cost_row: bool = False
    datadog_cost_dates_with_offset: bool = False
    datadog_mapping_missing: bool = False
    datadog_late_child_org: bool = False

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Variances:
        """Build variances from a JSON object (unknown keys raise `TypeError`)."""
        values = dict(values)
        if "confluent_null_data_windows" in values:
            values["confluent_null_data_windows"] = tuple(values["confluent_null_data_windows"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the variances as a JSON-able dict."""
        values = dataclasses.asdict(self)
        values["confluent_null_data_windows"] = list(self.confluent_null_data_windows)
        return values
