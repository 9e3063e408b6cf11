"""Seeded Confluent Cloud tenants: an organization, its environments, resources and daily cost rows."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from .scenario import Revisions, Scenario, data_start, iter_days, month_start, seeded_rng, stable_hex

FOUR_PLACES = Decimal("0.0001")
ENV_NAMES = ("prod", "staging", "dev", "analytics", "payments", "sandbox", "data-platform", "edge")
OLD_UNKNOWN_PRODUCT = ("QUANTUM_STREAMS", "QUANTUM_STREAMS_NUM_QSUS", "QSU-hour", "lqs")
RECENT_UNKNOWN_PRODUCT = ("NEBULA_GATEWAY", "NEBULA_GATEWAY_REQUESTS", "Request", "lngw")
RECENT_UNKNOWN_LINE_TYPE = "KAFKA_TIERED_STORAGE_READ"
RECENT_DAYS = 7
# Days of generated rows kept: a cost page of 10,000 rows spans about 3 days at the large scale (3,200 rows a day,
# about 1.1 KB each in memory); only row counts are kept for every day, so paging never holds a whole window.
ROW_CACHE_DAYS = 4
# Rows of these products print dates as "YYYY-MM-DD 00:00:00" on even days (a quirk the Confluent CLI handles).
DATETIME_DATE_PRODUCTS = ("FLINK", "KSQL", "SUPPORT_CLOUD_BUSINESS")


@dataclass(frozen=True)
class LineSpec:
    """How one billed dimension of a resource kind is priced."""

    product: str
    line_type: str
    unit: str
    price: str
    quantity_low: float
    quantity_high: float


KINDS: dict[str, tuple[str, tuple[LineSpec, ...]]] = {
    "kafka": (
        "lkc",
        (
            LineSpec("KAFKA", "KAFKA_NUM_CKUS", "CKU-hour", "4.3769", 24, 48),
            LineSpec("KAFKA", "KAFKA_STORAGE", "GB-hour", "0.0001", 0.05, 400),
            LineSpec("KAFKA", "KAFKA_NETWORK_READ", "GB", "0.05", 0.5, 300),
            LineSpec("KAFKA", "KAFKA_NETWORK_WRITE", "GB", "0.05", 0.5, 120),
            LineSpec("KAFKA", "KAFKA_PARTITION", "Partition-hour", "0.0015", 240, 2400),
        ),
    ),
    "connector": (
        "lcc",
        (
            LineSpec("CONNECT", "CONNECT_NUM_TASKS", "Task-hour", "0.0347", 24, 96),
            LineSpec("CONNECT", "CONNECT_THROUGHPUT", "GB", "0.025", 5, 900),
        ),
    ),
    "ksql": ("lksqlc", (LineSpec("KSQL", "KSQL_NUM_CSUS", "CSU-hour", "0.23", 24, 96),)),
    "flink": ("lfcp", (LineSpec("FLINK", "FLINK_NUM_CFUS", "CFU-hour", "0.21", 10, 240),)),
    "schema_registry": ("lsrc", (LineSpec("STREAM_GOVERNANCE", "GOVERNANCE_BASE", "Hour", "1", 24, 24),)),
}
KIND_ORDER = ("kafka", "connector", "ksql", "flink", "schema_registry")
# Tiered connector throughput: (price, share of the quantity) per tier.
THROUGHPUT_TIERS = ((Decimal("0.025"), Decimal("0.5")), (Decimal("0.015"), Decimal("0.3")), (Decimal("0.005"), None))


def num(value: Decimal | None) -> Any:
    """Return a JSON number as the real API prints it: an int when integral, else a float."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def rfc3339(moment: datetime) -> str:
    """Format a UTC datetime as RFC 3339 with microseconds and `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def short_id(prefix: str, *parts: object) -> str:
    """Return a Confluent-style id such as `env-zmz2zd`."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    digest = bytes.fromhex(stable_hex(prefix, *parts))
    return prefix + "-" + "".join(alphabet[byte % 36] for byte in digest[:6])


class ConfluentTenant:
    """One Confluent organization: metadata, environments and a deterministic cost row generator."""

    def __init__(self, scenario: Scenario, index: int, today: date, revisions: Revisions) -> None:
        self.scenario = scenario
        self.index = index
        self.today = today
        self.revisions = revisions
        self.seed = (scenario.seed, "confluent", index)
        self.first_day = data_start(today, scenario.months)
        self.org_id = self._uuid("org")
        self.org_display_name = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")[index % 5] + " Corp"
        self.org_created_at = self._moment("org-created", 400 + 30 * index)
        env_count = scenario.environments if index == 0 else max(2, scenario.environments // 2)
        self.environments = [self._environment(i) for i in range(env_count)]
        self.deleted_env_id = short_id("env", *self.seed, "deleted")
        self.resources = self._resources()

    def _uuid(self, *parts: object) -> str:
        digest = stable_hex(*self.seed, *parts)
        return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"

    def _moment(self, label: str, days_ago: int) -> datetime:
        rng = seeded_rng(*self.seed, label)
        base = datetime.combine(self.today - timedelta(days=days_ago), time(), tzinfo=timezone.utc)
        return base + timedelta(seconds=rng.randrange(86400), microseconds=rng.randrange(1_000_000))

    def _environment(self, position: int) -> dict[str, Any]:
        created = self._moment(f"env-created-{position}", 380 - position)
        updated = created + timedelta(days=seeded_rng(*self.seed, "env-upd", position).randrange(0, 120))
        name = ENV_NAMES[position % len(ENV_NAMES)]
        suffix = "" if position < len(ENV_NAMES) else f"-{position // len(ENV_NAMES)}"
        return {
            "id": short_id("env", *self.seed, position),
            "display_name": name + suffix,
            "created_at": created,
            "updated_at": updated,
            "package": "ADVANCED" if position % 3 == 0 else "ESSENTIALS",
        }

    def _resources(self) -> list[dict[str, Any]]:
        env_ids = [env["id"] for env in self.environments] + [self.deleted_env_id]
        resources = []
        for env_pos, env_id in enumerate(env_ids):
            per_env = 1 if env_id == self.deleted_env_id else self.scenario.resources_per_env
            for res_pos in range(per_env):
                kind = KIND_ORDER[res_pos % len(KIND_ORDER)]
                prefix = KINDS[kind][0]
                resources.append(
                    {
                        "kind": kind,
                        "id": short_id(prefix, *self.seed, env_pos, res_pos),
                        "display_name": f"{ENV_NAMES[env_pos % len(ENV_NAMES)]}-{kind.replace('_', '-')}-{res_pos}",
                        "env_id": env_id,
                        "free_storage": res_pos == 0,
                        "network": ("INTERNET", "PRIVATE_LINK", "PEERED_VPC")[env_pos % 3],
                    }
                )
        return resources

    def rows_for_day(self, day: date) -> list[dict[str, Any]]:
        """Return the raw cost rows of one day (empty outside the data set or from today on)."""
        if day < self.first_day or day >= self.today:
            return []
        return _cached_rows(self, day, self.revisions.day_factor(day, self.today))

    def row_count(self, day: date) -> int:
        """Return how many raw cost rows a day has (generated once, then remembered without the rows)."""
        if day < self.first_day or day >= self.today:
            return 0
        return _cached_count(self, day, self.revisions.day_factor(day, self.today))

    def iter_rows(self, start: date, end: date):
        """Yield the raw cost rows of the days in [start, end)."""
        for day in iter_days(max(start, self.first_day), min(end, self.today)):
            yield from self.rows_for_day(day)

    def page(self, start: date, end: date, offset: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        """Return `size` rows from `offset` of the range [start, end), and whether more rows follow.

        Days before the offset are skipped by their row counts: only the page's own days are generated.
        """
        rows: list[dict[str, Any]] = []
        skipped = 0
        for day in iter_days(max(start, self.first_day), min(end, self.today)):
            if not rows:
                count = self.row_count(day)
                if skipped + count <= offset:
                    skipped += count
                    continue
            rows.extend(self.rows_for_day(day)[max(offset - skipped, 0) :])
            skipped = offset
            if len(rows) > size:
                return rows[:size], True
        return rows[:size], len(rows) > size

    def build_day(self, day: date, factor: Decimal) -> list[dict[str, Any]]:
        """Generate one day's rows with a quantity multiplier (uncached; see `rows_for_day`)."""
        rng = seeded_rng(*self.seed, "day", day.isoformat())
        rows: list[dict[str, Any]] = []
        for res_pos, resource in enumerate(self.resources):
            for spec in KINDS[resource["kind"]][1]:
                quantity = Decimal(str(round(rng.uniform(spec.quantity_low, spec.quantity_high), 4))) * factor
                rows.extend(self._resource_rows(day, resource, spec, quantity.quantize(FOUR_PLACES)))
            if res_pos == 0:
                rows.extend(self._quirk_rows(day, resource, rng, factor))
        rows.append(self._support_row(day, factor))
        rows.append(self._promo_row(day, rng, factor))
        return rows

    def _resource_rows(self, day: date, resource: dict, spec: LineSpec, quantity: Decimal) -> list[dict]:
        if spec.line_type == "CONNECT_THROUGHPUT":
            return self._tier_rows(day, resource, spec, quantity)
        price = Decimal(0) if resource["free_storage"] and spec.line_type == "KAFKA_STORAGE" else Decimal(spec.price)
        discount_rate = Decimal("0.1") if self.index == 0 and spec.line_type == "KAFKA_NUM_CKUS" else Decimal(0)
        return [self._row(day, resource, spec.product, spec.line_type, spec.unit, price, quantity, discount_rate)]

    def _tier_rows(self, day: date, resource: dict, spec: LineSpec, quantity: Decimal) -> list[dict]:
        rows, remaining = [], quantity
        tiers = THROUGHPUT_TIERS if quantity > 300 else THROUGHPUT_TIERS[:2]
        for position, (price, share) in enumerate(tiers):
            last = position == len(tiers) - 1
            tier_qty = remaining if last or share is None else (quantity * share).quantize(FOUR_PLACES)
            remaining -= tier_qty
            row = self._row(day, resource, spec.product, spec.line_type, spec.unit, price, tier_qty, Decimal(0))
            row["tier_dimensions"] = {"provider": "aws", "region": "us-east-1", "connector_type": "S3_SINK"}
            rows.append(row)
        return rows

    def _quirk_rows(self, day: date, resource: dict, rng: Any, factor: Decimal) -> list[dict]:
        """Unknown products/line types: one in the oldest month only, others in the most recent days."""
        rows = []
        quantity = (Decimal(str(round(rng.uniform(10, 50), 2))) * factor).quantize(FOUR_PLACES)
        if self.scenario.months > 1 and day < month_start(self.today) and day < _next_month(self.first_day):
            rows.append(self._unknown_row(day, resource, OLD_UNKNOWN_PRODUCT, Decimal("0.12"), quantity))
        if (self.today - day).days <= RECENT_DAYS:
            rows.append(self._unknown_row(day, resource, RECENT_UNKNOWN_PRODUCT, Decimal("0.0004"), quantity * 1000))
            rows.append(
                self._row(day, resource, "KAFKA", RECENT_UNKNOWN_LINE_TYPE, "GB", Decimal("0.02"), quantity, Decimal(0))
            )
        return rows

    def _unknown_row(self, day: date, resource: dict, product: tuple, price: Decimal, quantity: Decimal) -> dict:
        name, line_type, unit, prefix = product
        unknown_resource = {**resource, "id": short_id(prefix, *self.seed), "display_name": f"{name.lower()}-1"}
        return self._row(day, unknown_resource, name, line_type, unit, price, quantity, Decimal(0))

    def _row(
        self,
        day: date,
        resource: dict | None,
        product: str | None,
        line_type: str,
        unit: str | None,
        price: Decimal,
        quantity: Decimal,
        discount_rate: Decimal,
    ) -> dict[str, Any]:
        original = (price * quantity).quantize(FOUR_PLACES)
        discount = (original * discount_rate).quantize(FOUR_PLACES)
        start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
        if product in DATETIME_DATE_PRODUCTS and day.day % 2 == 0:
            start, end = start + " 00:00:00", end + " 00:00:00"
        row: dict[str, Any] = {"start_date": start, "end_date": end, "granularity": "DAILY"}
        row["network_access_type"] = resource["network"] if resource else "INTERNET"
        row.update(product=product, line_type=line_type, price=num(price), unit=unit, quantity=num(quantity))
        row.update(original_amount=num(original), discount_amount=num(discount), amount=num(original - discount))
        if resource is not None:
            env = {"id": resource["env_id"]}
            row["resource"] = {"id": resource["id"], "display_name": resource["display_name"], "environment": env}
        return row

    def _support_row(self, day: date, factor: Decimal) -> dict[str, Any]:
        quantity = (Decimal(1) * factor).quantize(FOUR_PLACES)
        return self._row(day, None, "SUPPORT_CLOUD_BUSINESS", "SUPPORT", "Unit", Decimal("33.3333"), quantity, 0)

    def _promo_row(self, day: date, rng: Any, factor: Decimal) -> dict[str, Any]:
        credit = -(Decimal(str(round(rng.uniform(5, 25), 4))) * factor).quantize(FOUR_PLACES)
        refund = day.day == 15
        return {
            "start_date": day.isoformat(),
            "end_date": (day + timedelta(days=1)).isoformat(),
            "granularity": "DAILY",
            "product": None if refund else "KAFKA",
            "line_type": "PROMO_CREDIT",
            "price": None,
            "unit": None,
            "quantity": None,
            "original_amount": num(credit),
            "discount_amount": 0,
            "amount": num(credit),
            "description": "Refund Kafka usage" if refund else "Promotional allowance",
        }


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@functools.lru_cache(maxsize=ROW_CACHE_DAYS)
def _cached_rows(tenant: ConfluentTenant, day: date, factor: Decimal) -> list[dict[str, Any]]:
    return tenant.build_day(day, factor)


@functools.lru_cache(maxsize=8192)  # a few bytes per tenant x day x revision
def _cached_count(tenant: ConfluentTenant, day: date, factor: Decimal) -> int:
    return len(_cached_rows(tenant, day, factor))
