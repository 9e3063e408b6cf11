"""The read's summary, built while the output flows: counters per stream, provider, product and period, no records.

Memory is constant in the number of records: it grows only with the number of products, days and streams.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

try:  # the demo extra installs orjson (airbyte-cdk depends on it too); it parses lines about 2x faster
    from orjson import loads
except ImportError:  # pragma: no cover - the standard library gives the same values
    from json import loads

STREAMS = ("organizations", "products", "usage", "workspaces")
CREDIT_MARKERS = ("CREDIT", "PROMO", "REFUND")
# What a products record says when its value is not in the connector's catalogue (Datadog families today).
NOT_IN_CATALOGUE = re.compile(r"not in the (built-in )?catalogue|catalogue does not know", re.IGNORECASE)
MAX_ERRORS = 20
ZERO = Decimal(0)


class Period(NamedTuple):
    """The span a cost figure covers: a day for Confluent lines, a month for Datadog cost records."""

    provider: str
    currency: str
    start: str  # YYYY-MM-DD, inclusive
    end: str  # YYYY-MM-DD, exclusive


class ProductKey(NamedTuple):
    """What a cost line is summed under: a product id, a credit line type, or no product at all."""

    provider: str
    kind: str  # "product" | "credit" | "none"
    ref: str  # the product id, the credit's line type, or ""
    currency: str


@dataclass
class ProductInfo:
    """What the products stream says about a product id."""

    name: str
    catalogued: bool


@dataclass
class ReadSummary:
    """Counters fed with every Airbyte message of a read (`add`), and the views the demo prints.

    Attributes:
        records: Records per stream.
        usage_kinds: Usage records per (provider, "cost lines" | "measurements").
        cost_by_period: Charge sums per provider, currency and period (see `Period`).
        cost_by_product: Charge sums per `ProductKey`.
        products: The products stream, by id.
        seen_names: The product name carried by cost lines, per product id (for ids with no products record).
        states: The newest STATE message per stream (what `read --state` takes back).
        errors: The first TRACE error messages.
        unparsed: Lines on stdout that are not JSON messages.
        on_focus_row: Called with each focus_cost record's data (the demo writes them to focus_cost.csv).
    """

    records: Counter[str] = field(default_factory=Counter)
    usage_kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    cost_by_period: defaultdict[Period, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    cost_by_product: defaultdict[ProductKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    products: dict[str, ProductInfo] = field(default_factory=dict)
    seen_names: dict[str, str] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unparsed: int = 0
    on_focus_row: Callable[[dict[str, Any]], None] | None = None

    def add_lines(self, lines: Iterable[bytes]) -> list[dict[str, Any]]:
        """Parse and count a batch of output lines; return the LOG and TRACE messages (for progress)."""
        notes = []
        for line in lines:
            try:
                message = loads(line)
            except ValueError:
                self.unparsed += bool(line.strip())
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "RECORD":
                self.add_record(message["record"])
            elif kind == "STATE":
                self.add_state(message["state"])
            elif kind in ("LOG", "TRACE"):
                self.add_trace(message)
                notes.append(message)
        return notes

    def add_record(self, record: dict[str, Any]) -> None:
        """Count one RECORD message's `record`."""
        stream = record.get("stream", "?")
        self.records[stream] += 1
        if stream == "usage":
            self._add_usage(record["data"])
        elif stream == "products":
            self._add_product(record["data"])
        elif stream == "focus_cost" and self.on_focus_row is not None:
            self.on_focus_row(record["data"])

    def add_state(self, state: dict[str, Any]) -> None:
        """Keep the newest STATE of its stream."""
        descriptor = (state.get("stream") or {}).get("stream_descriptor") or {}
        self.states[descriptor.get("name", "?")] = state

    def add_trace(self, message: dict[str, Any]) -> None:
        """Keep the first error messages of TRACE errors."""
        trace = message.get("trace") or {}
        if trace.get("type") == "ERROR" and len(self.errors) < MAX_ERRORS:
            self.errors.append(str((trace.get("error") or {}).get("message")))

    def _add_usage(self, data: dict[str, Any]) -> None:
        provider = data.get("provider") or "?"
        charges = data.get("charges")
        if not charges:
            self.usage_kinds[(provider, "measurements")] += 1
            return
        self.usage_kinds[(provider, "cost lines")] += 1
        per_currency: dict[str, Decimal] = {}  # a record's charges are almost always in one currency
        for charge in charges:
            if charge.get("amount") is not None:
                currency = charge.get("currency") or "?"
                per_currency[currency] = per_currency.get(currency, ZERO) + Decimal(str(charge["amount"]))
        start, end = (data.get("start_date") or "")[:10], (data.get("end_date") or "")[:10]
        for currency, amount in per_currency.items():
            self.cost_by_period[Period(provider, currency, start, end or start)] += amount
            self.cost_by_product[product_key(data, currency)] += amount
        product = data.get("product")
        if product and product.get("id") not in self.seen_names:
            self.seen_names[product["id"]] = product.get("name") or product["id"]

    def _add_product(self, data: dict[str, Any]) -> None:
        name = data.get("name") or data["id"]
        self.products[data["id"]] = ProductInfo(name=name, catalogued=is_catalogued(data))

    def product_label(self, key: ProductKey) -> str:
        """The name a person reads for a cost line's product (see `product_key`, `is_catalogued`)."""
        if key.kind == "credit":
            return f"Credits and promotions ({key.ref})"
        if key.kind == "none":
            return "(no product named)"
        known = self.products.get(key.ref)
        if known is None:  # a product value seen only in cost lines older than the products stream's window
            return f"{self.seen_names.get(key.ref, key.ref)} (not in the catalogue)"
        return known.name if known.catalogued else f"{known.name} (not in the catalogue)"

    def cost_per_provider(self) -> dict[tuple[str, str], Decimal]:
        """Charge sums per (provider, currency), credits included."""
        totals: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for period, amount in self.cost_by_period.items():
            totals[(period.provider, period.currency)] += amount
        return dict(sorted(totals.items()))

    def cost_per_product(self, credits: bool = True) -> list[tuple[str, str, str, Decimal]]:
        """(provider, label, currency, amount) per product (and credit line type), each provider's largest first."""
        rows: defaultdict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for key, amount in self.cost_by_product.items():
            if key.kind == "credit" and not credits:
                continue
            rows[(key.provider, self.product_label(key), key.currency)] += amount
        return sorted(((*key, amount) for key, amount in rows.items()), key=lambda row: (row[0], -row[3], row[1]))

    def date_range(self) -> tuple[str, str]:
        """The first day and the (exclusive) end of the cost lines, `YYYY-MM-DD`; empty without cost."""
        if not self.cost_by_period:
            return "", ""
        return min(p.start for p in self.cost_by_period), max(p.end for p in self.cost_by_period)

    def last_states(self) -> list[dict[str, Any]]:
        """The newest STATE message per stream."""
        return list(self.states.values())

    def render(self, elapsed_s: float, out: Path) -> str:
        """The text the demo prints at the end: records per stream, cost per provider and per product."""
        total = sum(self.records.values())
        lines = ["", f"Read finished in {elapsed_s:.1f} s ({total:,} records). Records per stream:"]
        streams = [*STREAMS, *sorted(set(self.records) - set(STREAMS))]
        lines += [f"  {stream:<14} {self.records.get(stream, 0):>12,}" for stream in streams]
        kinds = ", ".join(
            f"{count:,} {provider} {kind}" for (provider, kind), count in sorted(self.usage_kinds.items())
        )
        lines.append(f"Usage records: {kinds}")
        start, end = self.date_range()
        lines.append(f"Cost per provider, {start} to {end} (end exclusive; credits included):")
        for (provider, currency), amount in self.cost_per_provider().items():
            lines.append(f"  {provider:<10} {amount:>16,.2f} {currency}")
        lines.append("Cost per product:")
        for provider, label, currency, amount in self.cost_per_product():
            lines.append(f"  {provider:<10} {label[:48]:<48} {amount:>16,.2f} {currency}")
        lines += [f"  error: {error}" for error in self.errors]
        lines.append(f"Raw Airbyte output: {out / 'read_output.jsonl'} (state: {out / 'state.json'})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able digest (written to `summary.json` for scripts such as the memory benchmark)."""
        start, end = self.date_range()
        return {
            "records": dict(self.records),
            "usage_kinds": {f"{provider} {kind}": n for (provider, kind), n in sorted(self.usage_kinds.items())},
            "cost_per_provider": {f"{p} {c}": str(amount) for (p, c), amount in self.cost_per_provider().items()},
            "cost_per_product": [[p, label, c, str(amount)] for p, label, c, amount in self.cost_per_product()],
            "start": start,
            "end": end,
            "errors": self.errors,
            "unparsed_lines": self.unparsed,
        }


def product_key(data: dict[str, Any], currency: str) -> ProductKey:
    """Where a cost line is summed: credits and promotions by line type, else by product id.

    A Confluent `PROMO_CREDIT` line names a product on some days and none on others; both are credits. A line
    with no product and no credit line type is kept apart as "(no product named)".
    """
    provider = data.get("provider") or "?"
    line_type = str((data.get("usage") or {}).get("line_type") or data.get("metric_name") or "")
    if is_credit(line_type):
        return ProductKey(provider, "credit", line_type, currency)
    product = data.get("product") or {}
    if not product.get("id"):
        return ProductKey(provider, "none", "", currency)
    return ProductKey(provider, "product", product["id"], currency)


def is_credit(line_type: str) -> bool:
    """Whether a line type is a credit, promotion or refund (Confluent `PROMO_CREDIT` and the like)."""
    upper = line_type.upper()
    return any(marker in upper for marker in CREDIT_MARKERS)


def is_catalogued(product: dict[str, Any]) -> bool:
    """Whether a products record is one the connector's catalogue knows.

    The connector names a value it does not know by the value itself (`name == remote_id`, Confluent and Datadog
    billing dimensions), and says so in the description of an unknown Datadog product family.
    """
    if NOT_IN_CATALOGUE.search(product.get("description") or ""):
        return False
    return not (product.get("remote_id") and product.get("name") == product.get("remote_id"))
