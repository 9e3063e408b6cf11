"""The demo's picture: daily cost per provider over the period and the top products by cost, in one PNG.

Datadog bills per month (one cost record per org x product x month, start_date on the 1st). On the daily chart a
monthly figure is spread evenly over the month's days, up to the read's end for the current month (whose figure is
Datadog's month-to-date estimate), to the cent and summing exactly to the month. Any period longer than a day is
treated the same way; Confluent's daily lines land on their day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from integration_tests.demo.summary import Period, ReadSummary

TOP_PRODUCTS = 12
COLOURS = {"confluent": "#1f6fb4", "datadog": "#7b45b7"}
OTHER_COLOURS = ("#2a9d8f", "#e76f51", "#8a6d3b", "#555555")
PROVIDER_NAMES = {"confluent": "Confluent Cloud", "datadog": "Datadog"}
FOOTNOTE = (
    "Daily lines are net of credits and promotions. The latest days are low while providers finish billing them "
    "(Confluent's data lags up to 72 h). Source: the connector's usage stream, read from the emulator."
)


@dataclass
class ChartData:
    """What the chart shows.

    Attributes:
        daily: Series name (the provider; `provider (currency)` when a provider bills in several) -> day -> cost,
            net of credits.
        currencies: Series name -> its currency.
        spread: Series made of periods longer than a day (Datadog months) -> the first day of the period still open
            at the read's end (the month to date), or None.
        products: The top products by cost: (provider, label, currency, amount), largest first; credits excluded.
        credits: Credits and promotions per provider (negative amounts), left out of `products`.
    """

    daily: dict[str, dict[date, Decimal]]
    currencies: dict[str, str]
    spread: dict[str, date | None]
    products: list[tuple[str, str, str, Decimal]]
    credits: dict[str, Decimal]


def chart_data(summary: ReadSummary, until: date, top: int = TOP_PRODUCTS) -> ChartData:
    """Build the chart's numbers from a read's summary.

    Args:
        summary: The streamed summary of the read.
        until: The read's end (exclusive): days from it on get nothing of the current month's figure.
        top: How many products the bar chart shows.

    Returns:
        The daily series, their currencies, which are spread monthly figures, the top products and the credits.
    """
    names = series_names(summary.cost_by_period)
    spread: dict[str, date | None] = {}
    for period in summary.cost_by_period:
        start, end = date.fromisoformat(period.start), date.fromisoformat(period.end)
        if (end - start).days > 1:
            open_from = spread.get(names[period]) or (start if end > until else None)
            spread[names[period]] = open_from
    products = [row for row in summary.cost_per_product(credits=False) if row[3] > 0]
    credits: defaultdict[str, Decimal] = defaultdict(Decimal)
    for key, amount in summary.cost_by_product.items():
        if key.kind == "credit":
            credits[key.provider] += amount
    return ChartData(
        daily=daily_cost(summary.cost_by_period, until),
        currencies={name: period.currency for period, name in names.items()},
        spread=spread,
        products=sorted(products, key=lambda row: -row[3])[:top],
        credits=dict(credits),
    )


def series_names(periods: Iterable[Period]) -> dict[Period, str]:
    """The chart series of each period: its provider, or `provider (currency)` for a provider in several."""
    periods = list(periods)
    currencies: defaultdict[str, set[str]] = defaultdict(set)
    for period in periods:
        currencies[period.provider].add(period.currency)
    return {
        period: period.provider if len(currencies[period.provider]) == 1 else f"{period.provider} ({period.currency})"
        for period in periods
    }


def daily_cost(cost_by_period: Mapping[Period, Decimal], until: date) -> dict[str, dict[date, Decimal]]:
    """Cost per series and day: each period's sum spread evenly over its days before `until` (see module doc).

    Args:
        cost_by_period: Charge sums per provider, currency and period.
        until: The read's end (exclusive).

    Returns:
        Series name -> day -> amount, days in order.
    """
    names = series_names(cost_by_period)
    daily: defaultdict[str, defaultdict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for period, amount in cost_by_period.items():
        start, end = date.fromisoformat(period.start), date.fromisoformat(period.end)
        days = [start + timedelta(days=n) for n in range((min(end, until) - start).days)]
        if not days and not amount:
            continue  # a month that starts on the read's last day has nothing yet
        for day, share in zip(days or [start], spread_evenly(amount, len(days) or 1), strict=True):
            daily[names[period]][day] += share
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
    """Write the chart as a PNG: one panel of daily cost per provider (each its own scale), the top products below.

    Args:
        data: The numbers (see `chart_data`).
        path: Where to write the PNG.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = list(data.daily)
    heights = [2.4] * len(series) + [0.8 + 0.34 * max(len(data.products), 3)]
    figure = plt.figure(figsize=(12, 1.2 + sum(heights)), layout="constrained")
    grid = figure.add_gridspec(len(heights), 1, height_ratios=heights)
    colours = _colours(data)
    first = None
    for row, name in enumerate(series):
        axes = figure.add_subplot(grid[row], sharex=first)
        first = first or axes
        _plot_daily(axes, name, data, colours[name])
    _plot_products(figure.add_subplot(grid[len(series)]), data, colours)
    figure.suptitle(_headline(data), fontsize=15, fontweight="bold")
    figure.text(0.01, -0.005, FOOTNOTE, ha="left", va="top", fontsize=9, color="#444444")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight", facecolor="white")
    plt.close(figure)
    return path


def _headline(data: ChartData) -> str:
    days = sorted({day for series in data.daily.values() for day in series})
    if not days:
        return "Usage cost: none in the period read"
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    for name, series in data.daily.items():
        totals[data.currencies[name]] += sum(series.values(), Decimal(0))
    money = " + ".join(f"{amount:,.0f} {currency}" for currency, amount in sorted(totals.items()))
    return f"Usage cost, {days[0]:%d %b %Y} to {days[-1]:%d %b %Y}: {money}"


def _colours(data: ChartData) -> dict[str, str]:
    names = sorted({*data.daily, *(row[0] for row in data.products)})
    others = iter(OTHER_COLOURS * len(names))
    return {name: COLOURS.get(name.split(" ")[0]) or next(others) for name in names}


def _label(series: str) -> str:
    provider, _, rest = series.partition(" ")
    return f"{PROVIDER_NAMES.get(provider, provider)} {rest}".strip()


def _plot_daily(axes: Any, name: str, data: ChartData, colour: str) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import StrMethodFormatter

    days, currency = data.daily[name], data.currencies[name]
    x = [*days, max(days) + timedelta(days=1)]  # the last day's step gets its full width
    y = [float(value) for value in days.values()]
    y.append(y[-1])
    axes.plot(x, y, drawstyle="steps-post", color=colour, linewidth=1.4)
    axes.fill_between(x, y, step="post", color=colour, alpha=0.15)
    total = sum(days.values(), Decimal(0))
    credit = data.credits.get(name.split(" ")[0], Decimal(0))
    title = f"{_label(name)}: {total:,.0f} {currency}" + (
        f" (net of {credit:,.0f} {currency} credits)" if credit else ""
    )
    if name in data.spread:
        title += ", billed per month: each month spread evenly over its days"
        open_from = data.spread[name]
        if open_from is not None:
            axes.axvspan(open_from, x[-1], color="#999999", alpha=0.15, linewidth=0)
            axes.annotate("month to date\n(estimate)", (open_from, 0.45), xycoords=("data", "axes fraction"),
                          xytext=(4, 0), textcoords="offset points", fontsize=8, color="#555555")  # fmt: skip
    axes.set_title(title, loc="left", fontsize=11)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_ylabel(f"{currency} per day")
    axes.set_ylim(min(0, min(y) * 1.1), max(max(y) * 1.12, 1))
    axes.grid(axis="y", alpha=0.3)
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
    axes.set_xlim(right=max(values, default=1) * 1.2)
    credits = sum(data.credits.values(), Decimal(0))
    note = f" (credits and promotions, {credits:,.0f}, are not in the bars)" if credits else ""
    axes.set_title(f"Top {len(rows)} products by cost over the period{note}", loc="left", fontsize=11)
    axes.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
