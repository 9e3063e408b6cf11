"""The demo's picture: daily cost per provider over the period and the top products by cost, in one PNG.

Datadog bills per month (one cost record per org x product x month, start_date on the 1st). On the daily chart a
monthly figure is spread evenly over the month's days, up to the read's end for the current month (whose figure is
Datadog's month-to-date estimate), to the cent and summing exactly to the month. Any period longer than a day is
treated the same way; Confluent's daily lines land on their day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from integration_tests.demo.summary import Period, ReadSummary

CENT = Decimal("0.01")
TOP_PRODUCTS = 12
COLOURS = {"confluent": "#1f6fb4", "datadog": "#7b45b7"}
OTHER_COLOURS = ("#2a9d8f", "#e76f51", "#8a6d3b", "#555555")
PROVIDER_NAMES = {"confluent": "Confluent Cloud", "datadog": "Datadog"}
SPREAD_NOTE = (
    "Datadog bills per month: each month's cost is spread evenly over its days (the current month over the days "
    "so far: Datadog's estimate until the 16th of the next month). Confluent reports each day."
)


@dataclass
class ChartData:
    """What the chart shows.

    Attributes:
        daily: Series name (the provider; `provider (currency)` when a provider bills in several) -> day -> cost,
            net of credits.
        products: The top products by cost: (provider, label, currency, amount), largest first; credits excluded.
        credits: Credits and promotions per series name (negative amounts), left out of `products`.
        currency: The currency of the y axis (the one most cost is in).
    """

    daily: dict[str, dict[date, Decimal]]
    products: list[tuple[str, str, str, Decimal]]
    credits: dict[str, Decimal]
    currency: str


def chart_data(summary: ReadSummary, until: date, top: int = TOP_PRODUCTS) -> ChartData:
    """Build the chart's numbers from a read's summary.

    Args:
        summary: The streamed summary of the read.
        until: The read's end (exclusive): days from it on get nothing of the current month's figure.
        top: How many products the bar chart shows.

    Returns:
        The daily series, the top products, the credits and the main currency (see `ChartData`).
    """
    per_currency: defaultdict[str, Decimal] = defaultdict(Decimal)
    for period, amount in summary.cost_by_period.items():
        per_currency[period.currency] += abs(amount)
    currency = max(per_currency, key=per_currency.__getitem__) if per_currency else "USD"
    products = [row for row in summary.cost_per_product(credits=False) if row[3] > 0]
    credits: defaultdict[str, Decimal] = defaultdict(Decimal)
    for key, amount in summary.cost_by_product.items():
        if key.kind == "credit":
            credits[key.provider] += amount
    return ChartData(
        daily=daily_cost(summary.cost_by_period, until),
        products=sorted(products, key=lambda row: -row[3])[:top],
        credits=dict(credits),
        currency=currency,
    )


def daily_cost(cost_by_period: Mapping[Period, Decimal], until: date) -> dict[str, dict[date, Decimal]]:
    """Cost per series and day: each period's sum spread evenly over its days before `until` (see module doc).

    Args:
        cost_by_period: Charge sums per provider, currency and period.
        until: The read's end (exclusive).

    Returns:
        Series name -> day -> amount, days in order.
    """
    currencies: defaultdict[str, set[str]] = defaultdict(set)
    for period in cost_by_period:
        currencies[period.provider].add(period.currency)
    daily: defaultdict[str, defaultdict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for period, amount in cost_by_period.items():
        name = period.provider if len(currencies[period.provider]) == 1 else f"{period.provider} ({period.currency})"
        start, end = date.fromisoformat(period.start), date.fromisoformat(period.end)
        days = [start + timedelta(days=n) for n in range((min(end, until) - start).days)] or [start]
        for day, share in zip(days, spread_evenly(amount, len(days)), strict=True):
            daily[name][day] += share
    return {name: dict(sorted(days.items())) for name, days in sorted(daily.items())}


def spread_evenly(amount: Decimal, parts: int) -> list[Decimal]:
    """Split an amount into `parts` shares as equal as the amount's precision (at least cents) allows.

    Shares are differences of rounded cumulative sums, so they add up to `amount` exactly.
    """
    exponent = amount.as_tuple().exponent
    quantum = Decimal(1).scaleb(min(exponent if isinstance(exponent, int) else -2, -2))
    cumulative = [(amount * index / parts).quantize(quantum) for index in range(parts + 1)]
    return [cumulative[index + 1] - cumulative[index] for index in range(parts)]


def draw_chart(data: ChartData, path: Path) -> Path:
    """Write the chart as a PNG: daily cost per provider on top, the top products below.

    Args:
        data: The numbers (see `chart_data`).
        path: Where to write the PNG.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (daily_axes, product_axes) = plt.subplots(
        2, 1, figsize=(12, 9.5), height_ratios=(3, 2.4), layout="constrained"
    )
    colours = _colours(data)
    _plot_daily(daily_axes, data, colours)
    _plot_products(product_axes, data, colours)
    total = sum((sum(days.values(), Decimal(0)) for days in data.daily.values()), Decimal(0))
    days = sorted({day for series in data.daily.values() for day in series})
    span = f"{days[0]:%d %b %Y} to {days[-1]:%d %b %Y}" if days else "no cost"
    figure.suptitle(f"Usage cost, {span}: {total:,.0f} {data.currency} in all", fontsize=15, fontweight="bold")
    figure.text(0.5, -0.01, SPREAD_NOTE, ha="center", va="top", fontsize=9, color="#444444", wrap=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight", facecolor="white")
    plt.close(figure)
    return path


def _colours(data: ChartData) -> dict[str, str]:
    names = sorted({*data.daily, *(row[0] for row in data.products)})
    others = iter(OTHER_COLOURS * len(names))
    return {name: COLOURS.get(name.split(" ")[0]) or next(others) for name in names}


def _label(series: str) -> str:
    provider, _, rest = series.partition(" ")
    return f"{PROVIDER_NAMES.get(provider, provider)} {rest}".strip()


def _plot_daily(axes: Any, data: ChartData, colours: dict[str, str]) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import StrMethodFormatter

    for name, days in data.daily.items():
        x, y = list(days), [float(value) for value in days.values()]
        x, y = [*x, x[-1] + timedelta(days=1)], [*y, y[-1]]  # the last day's step gets its full width
        total = sum(days.values(), Decimal(0))
        credit = data.credits.get(name, Decimal(0))
        label = f"{_label(name)}: {total:,.0f} {data.currency}" + (f" (credits {credit:,.0f})" if credit else "")
        axes.plot(x, y, drawstyle="steps-post", color=colours[name], linewidth=1.6, label=label)
        axes.fill_between(x, y, step="post", color=colours[name], alpha=0.12)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_ylabel(f"{data.currency} per day")
    axes.set_ylim(bottom=min(0, axes.get_ylim()[0]))
    axes.set_title("Daily cost per provider (net of credits)", loc="left", fontsize=12)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left", frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _plot_products(axes: Any, data: ChartData, colours: dict[str, str]) -> None:
    from matplotlib.ticker import StrMethodFormatter

    rows = list(reversed(data.products))
    labels = [f"{_label(provider)} · {label}" for provider, label, _, _ in rows]
    values = [float(amount) for *_, amount in rows]
    bars = axes.barh(labels, values, color=[colours.get(provider, "#777777") for provider, *_ in rows])
    axes.bar_label(bars, labels=[f" {amount:,.0f} {currency}" for _, _, currency, amount in rows], fontsize=9)
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_xlim(right=max(values, default=1) * 1.18)
    credits = sum(data.credits.values(), Decimal(0))
    note = f"; credits and promotions ({credits:,.0f} {data.currency}) are not in the bars" if credits else ""
    axes.set_title(f"Top {len(rows)} products by cost over the period{note}", loc="left", fontsize=12)
    axes.set_xlabel(data.currency)
    axes.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
