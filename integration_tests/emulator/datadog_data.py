"""Seeded Datadog multi-org account: orgs, hourly usage records and daily/monthly costs."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .scenario import Revisions, Scenario, add_months, data_start, iter_days, month_is_final, seeded_rng, stable_hex
from .variances import Variances

CENTS = Decimal("0.01")
UNKNOWN_FAMILY = "quantum_observability"
# Families in the order they are enabled by `Scenario.product_families`, with realistic usage types.
FAMILY_USAGE_TYPES: dict[str, tuple[str, ...]] = {
    "infra_hosts": (
        "agent_host_count",
        "apm_host_count",
        "aws_host_count",
        "azure_host_count",
        "container_count",
        "gcp_host_count",
        "host_count",
        "opentelemetry_host_count",
    ),
    "logs": (
        "logs_indexed_events_15_day_count",
        "logs_indexed_events_30_day_count",
        "ingested_events_bytes",
        "indexed_events_count",
    ),
    "rum": ("rum_browser_and_mobile_session_count", "rum_total_session_count", "rum_browser_replay_session_count"),
    "synthetics_api": ("check_calls_count",),
    "synthetics_browser": ("browser_check_calls_count",),
    "timeseries": ("num_custom_timeseries", "num_custom_input_timeseries", "num_custom_output_timeseries"),
    "indexed_spans": ("indexed_events_count",),
    "serverless": ("func_count", "invocations_sum"),
}
OTHER_FAMILIES = [
    "analyzed_logs",
    "application_security",
    "audit_trail",
    "bits_ai",
    "ci_app",
    "cloud_cost_management",
    "cloud_siem",
    "csm_container_enterprise",
    "csm_host_enterprise",
    "cspm",
    "custom_events",
    "cws",
    "dbm",
    "error_tracking",
    "fargate",
    "incident_management",
    "indexed_logs",
    "ingested_spans",
    "iot",
    "lambda_traced_invocations",
    "llm_observability",
    "network_flows",
    "network_hosts",
    "network_monitoring",
    "observability_pipelines",
    "online_archive",
    "profiling",
    "product_analytics",
    "rum_browser_sessions",
    "rum_mobile_sessions",
    "sds",
    "snmp",
    "software_delivery",
    "synthetics_mobile",
    "synthetics_parallel_testing",
    "vuln_management",
    "workflow_executions",
]
KNOWN_FAMILIES = tuple(FAMILY_USAGE_TYPES) + tuple(OTHER_FAMILIES)


@dataclass(frozen=True)
class CostProduct:
    """A billing dimension as it appears in cost `charges[].product_name`."""

    name: str
    label: str
    committed_per_day: str
    on_demand_max: float
    mapped: bool = True


COST_PRODUCTS = (
    CostProduct("infra_host", "Infra Hosts", "41.10", 12.0),
    CostProduct("apm_host", "APM Hosts", "27.40", 30.0),
    CostProduct("logs_indexed_15day", "Indexed Logs (15-day Retention)", "9.86", 25.0),
    CostProduct("logs_ingested", "Ingested Logs", "0", 8.0),
    CostProduct("timeseries", "Custom Metrics", "0", 15.0),
    CostProduct("synthetics_api_tests", "API Tests", "0", 6.0),
    CostProduct("rum_browser_sessions", "RUM Browser Sessions", "0", 9.0),
    CostProduct("synthetics_browser_checks", "Browser Tests", "0", 4.0, mapped=False),
    CostProduct("data_jobs_monitoring", "Data Jobs Monitoring", "0", 3.0, mapped=False),
)
SPLIT_COMMITTED_PRODUCT = "infra_host"  # billed in two committed lines for the parent org


def hour_stamp(moment: datetime) -> str:
    """Format an hour as Datadog prints it: `YYYY-MM-DDThh:00:00+00:00`."""
    return moment.strftime("%Y-%m-%dT%H:00:00+00:00")


class DatadogAccount:
    """A parent org with child orgs; every value derives from the scenario seed and `today`."""

    def __init__(
        self, scenario: Scenario, today: date, revisions: Revisions, variances: Variances | None = None
    ) -> None:
        self.scenario = scenario
        self.today = today
        self.revisions = revisions
        self.variances = variances or Variances()
        self.seed = (scenario.seed, "datadog")
        self.first_day = max(data_start(today, scenario.months), add_months(today.replace(day=1), -15))
        self.first_hour = datetime(self.first_day.year, self.first_day.month, self.first_day.day, tzinfo=timezone.utc)
        self.end_hour = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
        self.base_orgs = [self._org(index) for index in range(scenario.datadog_child_orgs + 1)]
        self.late_child = {**self._org(len(self.base_orgs)), "name": "Acme Trial"}
        self.late_child_from = self.end_hour - timedelta(days=2)
        count = max(1, min(scenario.product_families, len(KNOWN_FAMILIES)))
        self.families = [*list(KNOWN_FAMILIES[:count]), UNKNOWN_FAMILY]

    def _org(self, index: int) -> dict[str, Any]:
        alphabet = string.ascii_lowercase + string.digits
        digest = bytes.fromhex(stable_hex(*self.seed, "org", index))
        suffixes = ("Production", "Zürich", "EU", "Data", "Mobile", "Security", "QA", "Research", "Edge")
        name = "Acme Corp" if index == 0 else f"Acme {suffixes[(index - 1) % len(suffixes)]}"
        if index > len(suffixes):
            name += f" {index}"
        created = datetime(2021, 1, 1, tzinfo=timezone.utc) + timedelta(days=40 * index, seconds=digest[0] * 997)
        return {
            "public_id": "".join(alphabet[byte % 36] for byte in digest[:16]),
            "name": name,
            "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "description": "Parent organization" if index == 0 else f"Child organization of Acme Corp ({name})",
        }

    @property
    def orgs(self) -> list[dict[str, Any]]:
        """The parent and its child orgs (the late trial child last, when that variance is on)."""
        return [*self.base_orgs, self.late_child] if self.variances.datadog_late_child_org else self.base_orgs

    def cost_org_ids(self) -> list[int]:
        """The orgs with cost rows (a trial child has none yet)."""
        return list(range(len(self.base_orgs)))

    def active_orgs(self, org_ids: list[int], hour: datetime) -> list[int]:
        """The orgs of `org_ids` with usage at an hour (the late child only from its first hour)."""
        late = len(self.base_orgs)
        return [org for org in org_ids if org != late or hour >= self.late_child_from]

    def org_attributes(self, index: int) -> dict[str, str]:
        """Return the org fields repeated in usage and cost records."""
        parent, org = self.orgs[0], self.orgs[index]
        return {
            "org_name": org["name"],
            "public_id": org["public_id"],
            "region": "us",
            "account_name": parent["name"],
            "account_public_id": parent["public_id"],
        }

    @staticmethod
    def usage_types(family: str) -> tuple[str, ...]:
        """Return the measurements' usage types of a family."""
        if family in FAMILY_USAGE_TYPES:
            return FAMILY_USAGE_TYPES[family]
        return (f"{family}_count", f"{family}_usage")

    def hourly_count(self, org_ids: list[int], families: list[str], start: datetime, end: datetime) -> int:
        """Return how many hourly records the window holds."""
        start, end = max(start, self.first_hour), min(end, self.end_hour)
        hours = max(int((end - start).total_seconds() // 3600), 0)
        if len(self.active_orgs(org_ids, start)) == len(org_ids):
            return hours * len(org_ids) * len(families)
        return sum(len(self.active_orgs(org_ids, start + timedelta(hours=h))) for h in range(hours)) * len(families)

    def hourly_page(self, org_ids: list[int], families: list[str], start: datetime, offset: int, size: int) -> list:
        """Return records `offset..offset+size` of a window ordered hour, org, family (see `hourly_count`)."""
        start = max(start, self.first_hour)
        if len(self.active_orgs(org_ids, start)) == len(org_ids) and len(self.orgs) == len(self.base_orgs):
            per_hour = len(org_ids) * len(families)
            return [
                self.hourly_record(
                    org_ids[(position % per_hour) // len(families)],
                    families[position % len(families)],
                    start + timedelta(hours=position // per_hour),
                )
                for position in range(offset, offset + size)
            ]
        return self._varying_page(org_ids, families, start, offset, size)

    def _varying_page(self, org_ids: list[int], families: list[str], start: datetime, offset: int, size: int) -> list:
        """`hourly_page` when an org's usage starts inside the window: walk the hours."""
        records: list[dict[str, Any]] = []
        hour, skipped = start, 0
        while len(records) < size and hour < self.end_hour:
            active = self.active_orgs(org_ids, hour)
            in_hour = len(active) * len(families)
            if skipped + in_hour > offset:
                for position in range(max(offset - skipped, 0), in_hour):
                    records.append(
                        self.hourly_record(active[position // len(families)], families[position % len(families)], hour)
                    )
                    if len(records) == size:
                        break
            skipped += in_hour
            hour += timedelta(hours=1)
        return records

    def hourly_record(self, org_index: int, family: str, hour: datetime) -> dict[str, Any]:
        """Return one `usage_timeseries` record."""
        attributes = self.org_attributes(org_index)
        stamp = hour_stamp(hour)
        factor = self.revisions.day_factor(hour.date(), self.today)
        rng = seeded_rng(*self.seed, attributes["public_id"], family, stamp)
        measurements = []
        for usage_type in self.usage_types(family):
            draw = rng.random()
            value = None if draw < 0.2 else 0 if draw < 0.3 else int(rng.randrange(1, 5000) * factor)
            measurements.append({"usage_type": usage_type, "value": value})
        attributes.update(product_family=family, timestamp=stamp, measurements=measurements)
        record_id = stable_hex(attributes["public_id"], family, stamp)
        return {"id": record_id, "type": "usage_timeseries", "attributes": attributes}

    def org_products(self, org_index: int) -> tuple[CostProduct, ...]:
        """Return the billing dimensions an org is charged for (none for the trial child)."""
        if org_index >= len(self.base_orgs):
            return ()
        if org_index == 0:
            return COST_PRODUCTS
        return tuple(product for pos, product in enumerate(COST_PRODUCTS) if (pos + org_index) % 3 != 0)

    def daily_charges(self, org_index: int, product: CostProduct, day: date) -> tuple[list[Decimal], Decimal]:
        """Return (committed lines, on-demand cost) of one org and product on one day."""
        if day < self.first_day or day >= self.today:
            return [Decimal(0)], Decimal(0)
        factor = Decimal(1) if month_is_final(day.replace(day=1), self.today) else self._factor(day)
        rng = seeded_rng(*self.seed, "cost", org_index, product.name, day.isoformat())
        share = Decimal(1) if org_index == 0 else Decimal("0.35")
        committed = (Decimal(product.committed_per_day) * share * factor).quantize(CENTS)
        on_demand = (Decimal(str(round(rng.uniform(0, product.on_demand_max), 2))) * share * factor).quantize(CENTS)
        if org_index == 0 and product.name == SPLIT_COMMITTED_PRODUCT:
            first = (committed * Decimal("0.6")).quantize(CENTS)
            return [first, committed - first], on_demand
        return [committed], on_demand

    def _factor(self, day: date) -> Decimal:
        return self.revisions.day_factor(day, self.today)

    def month_charges(self, org_index: int, month: date) -> dict[str, tuple[list[Decimal], Decimal]]:
        """Return product name -> (committed lines, on-demand) summed over the month's days before today."""
        return _cached_month(self, org_index, month, self.revisions.version)

    def sum_days(self, org_index: int, days: list[date]) -> dict[str, tuple[list[Decimal], Decimal]]:
        """Sum each product's daily charges over some days."""
        totals: dict[str, tuple[list[Decimal], Decimal]] = {}
        for product in self.org_products(org_index):
            committed: list[Decimal] = []
            on_demand = Decimal(0)
            for day in days:
                lines, extra = self.daily_charges(org_index, product, day)
                committed = [a + b for a, b in zip(committed, lines, strict=True)] if committed else list(lines)
                on_demand += extra
            totals[product.name] = (committed or [Decimal(0)], on_demand)
        return totals

    def cost_months(self) -> list[date]:
        """Return the months with cost data, oldest first (through the current month)."""
        months, month = [], self.first_day.replace(day=1)
        while month <= self.today.replace(day=1):
            months.append(month)
            month = add_months(month, 1)
        return months


@functools.lru_cache(maxsize=512)
def _cached_month(account: DatadogAccount, org_index: int, month: date, version: int) -> dict:
    days = list(iter_days(month, min(add_months(month, 1), account.today)))
    return account.sum_days(org_index, days)
