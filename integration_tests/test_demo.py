"""The demo's read: streamed summary, chart data against the emulator's truth, labels, progress, watchdog report."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from integration_tests.demo.chart import chart_data, draw_chart, spread_evenly
from integration_tests.demo.cli import ReadResult, read, report
from integration_tests.demo.progress import PlainView, ReadProgress, format_line
from integration_tests.demo.summary import ReadSummary
from integration_tests.emulator import Emulator, Scenario
from integration_tests.emulator.scenario import add_months, data_start, iter_days
from integration_tests.harness import E2E_TODAY, StreamedRun, connector_now, discover_catalog
from source_usage_metering.clock import pinned_env
from source_usage_metering.focus.columns import COLUMN_NAMES


@pytest.fixture(scope="module")
def demo_read(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, ReadResult, Path]]:
    """One demo read of a small data set (2 months, 2 Datadog families), as `./scripts/demo` runs it."""
    out = tmp_path_factory.mktemp("demo")
    with (
        pytest.MonkeyPatch.context() as patch,
        Emulator(scenario=Scenario(months=2, product_families=2), today=E2E_TODAY) as emu,
    ):
        for name, value in pinned_env(connector_now(E2E_TODAY)).items():
            patch.setenv(name, value)  # the demo and every connector process it starts read this clock
        config = emu.connector_config()
        _, catalog = discover_catalog(config, out)
        yield emu, read(config, catalog, out, display=None), out


def reference_from_file(path: Path) -> dict[str, Any]:
    """Counts and sums recomputed from the raw output file with the standard library, record by record."""
    records: Counter[str] = Counter()
    per_provider: defaultdict[str, Decimal] = defaultdict(Decimal)
    per_product: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    states: dict[str, Any] = {}
    for line in path.read_text().splitlines():
        message = json.loads(line)
        if message["type"] == "STATE":
            states[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
        if message["type"] != "RECORD":
            continue
        records[message["record"]["stream"]] += 1
        data = message["record"]["data"]
        for charge in data.get("charges") or []:
            amount = Decimal(str(charge["amount"]))
            per_provider[data["provider"]] += amount
            credit = data["metric_name"] == "PROMO_CREDIT"
            per_product[(data["provider"], "PROMO_CREDIT" if credit else data["product"]["id"])] += amount
    return {"records": records, "per_provider": per_provider, "per_product": per_product, "states": states}


def test_given_a_read_when_summarised_as_it_streams_then_it_equals_a_reference_from_the_file(demo_read) -> None:
    _, result, out = demo_read
    reference = reference_from_file(out / "read_output.jsonl")
    summary = result.summary

    assert result.run.returncode == 0
    assert summary.records == reference["records"]
    assert summary.records["usage"] > 1000
    assert {p: a for (p, _), a in summary.cost_per_provider().items()} == reference["per_provider"]
    by_product: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for key, amount in summary.cost_by_product.items():
        by_product[(key.provider, key.ref)] += amount
    assert by_product == reference["per_product"]
    assert json.loads((out / "state.json").read_text()) == list(reference["states"].values())
    assert summary.unparsed == 0
    assert summary.errors == []


def test_given_a_read_then_the_chart_data_equals_the_emulator_truth_per_provider_and_day(demo_read) -> None:
    emu, result, _ = demo_read
    assert result.until == emu.today
    data = chart_data(result.summary, result.until)
    daily = data.daily
    assert data.currencies == {"confluent": "USD", "datadog": "USD"}
    assert data.spread == {"datadog": emu.today.replace(day=1)}  # Datadog months; the current one is month to date

    confluent_truth: defaultdict[date, Decimal] = defaultdict(Decimal)
    for line in emu.truth("confluent")["lines"]:
        confluent_truth[date.fromisoformat(line["day"])] += Decimal(str(line["amount"]))
    assert daily["confluent"] == confluent_truth
    assert (min(confluent_truth), max(confluent_truth)) == (data_start(emu.today, 2), emu.today - timedelta(days=1))

    datadog_truth = emu.truth("datadog")["by_month"]
    assert len(datadog_truth) == 2
    for month, amount in datadog_truth.items():
        first = date.fromisoformat(f"{month}-01")
        expected_days = [day for day in iter_days(first, add_months(first, 1)) if day < emu.today]
        days = {day: value for day, value in daily["datadog"].items() if f"{day:%Y-%m}" == month}
        assert sorted(days) == expected_days, month  # every day of the month so far, none after the read
        if not days:  # the read ran on the 1st: the current month has no day yet
            assert amount == 0
            continue
        assert sum(days.values(), Decimal(0)) == Decimal(str(amount)), month
        assert max(days.values()) - min(days.values()) <= Decimal("0.01"), month  # spread evenly, to the cent
    assert set(daily) == {"confluent", "datadog"}


def test_given_a_read_then_focus_cost_csv_holds_every_focus_row_and_the_truths_money(demo_read) -> None:
    emu, result, out = demo_read
    rows = list(csv.DictReader((out / "focus_cost.csv").open(newline="")))
    streamed = [
        json.loads(line)["record"]["data"]
        for line in (out / "read_output.jsonl").read_text().splitlines()
        if line.startswith('{"type":"RECORD"') and '"stream":"focus_cost"' in line
    ]
    assert len(rows) == len(streamed) == result.summary.records["focus_cost"] > 0
    assert [r["x_ChargeId"] for r in rows] == [r["x_ChargeId"] for r in streamed]
    assert list(rows[0]) == list(COLUMN_NAMES)
    billed: defaultdict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        billed[row["x_Provider"]] += Decimal(row["BilledCost"])
    assert abs(billed["confluent"] - Decimal(str(emu.truth("confluent")["total"]))) < Decimal("0.01")
    datadog = sum((Decimal(str(a)) for a in emu.truth("datadog")["by_month"].values()), Decimal(0))
    assert abs(billed["datadog"] - datadog) < Decimal("0.01")


def test_given_a_read_then_credits_and_unknown_products_are_labelled_as_such(demo_read) -> None:
    _, result, _ = demo_read
    labels = {(provider, label) for provider, label, _, _ in result.summary.cost_per_product()}

    assert ("confluent", "Credits and promotions (PROMO_CREDIT)") in labels
    assert ("confluent", "QUANTUM_STREAMS (not in the catalogue)") in labels  # only in old cost lines
    assert ("confluent", "NEBULA_GATEWAY (not in the catalogue)") in labels  # a products record named by its value
    assert ("confluent", "Kafka clusters") in labels
    assert ("datadog", "Infra Hosts") in labels
    assert not any("no product" in label for _, label in labels)


def usage(provider: str, product: dict | None, line_type: str, amount: float) -> dict[str, Any]:
    data = {"id": f"{provider}|{line_type}|{amount}", "provider": provider, "metric_name": line_type}
    data.update(charges=[{"amount": amount, "currency": "USD", "type": "total"}], usage={"line_type": line_type})
    data.update(start_date="2026-10-01T00:00:00Z", end_date="2026-10-02T00:00:00Z")
    if product is not None:
        data["product"] = product
    return {"stream": "usage", "data": data}


def product(provider: str, value: str, name: str, description: str | None) -> dict[str, Any]:
    data = {"id": f"{provider}|product|{value}", "name": name, "remote_id": value, "provider": provider}
    if description is not None:
        data["description"] = description
    return {"stream": "products", "data": data}


@pytest.mark.parametrize(
    ("products", "record", "label"),
    [
        ([], usage("confluent", None, "PROMO_CREDIT", -5.0), "Credits and promotions (PROMO_CREDIT)"),
        ([], usage("confluent", {"id": "confluent|product|KAFKA"}, "PROMO_CREDIT", -5.0), "Credits and promotions"),
        ([], usage("confluent", None, "SUPPORT", 3.0), "(no product named)"),
        (
            [product("confluent", "KAFKA", "Kafka clusters", "Kafka cluster capacity.")],
            usage("confluent", {"id": "confluent|product|KAFKA", "name": "Kafka clusters"}, "KAFKA_NUM_CKUS", 9.5),
            "Kafka clusters",
        ),
        (
            [product("confluent", "NEBULA", "NEBULA", None)],
            usage("confluent", {"id": "confluent|product|NEBULA", "name": "NEBULA"}, "NEBULA_REQUESTS", 2.0),
            "NEBULA (not in the catalogue)",
        ),
        (
            [],
            usage("confluent", {"id": "confluent|product|OLD", "name": "OLD"}, "OLD_UNITS", 2.0),
            "OLD (not in the catalogue)",
        ),
        (
            [product("datadog", "quantum", "quantum x", "Datadog product family (not in the built-in catalogue)")],
            usage("datadog", {"id": "datadog|product|quantum", "name": "quantum x"}, "cost", 1.0),
            "quantum x (not in the catalogue)",
        ),
    ],
    ids=["credit_no_product", "credit_with_product", "no_product", "known", "named_by_value", "no_record", "described"],
)
def test_given_a_cost_line_then_its_product_label_says_what_it_is(products: list, record: dict, label: str) -> None:
    summary = ReadSummary()
    for message in [*products, record]:
        summary.add_record(message)

    [(provider, shown, currency, amount)] = summary.cost_per_product()

    assert shown.startswith(label)
    charge = record["data"]["charges"][0]
    assert (provider, currency, amount) == (record["data"]["provider"], "USD", Decimal(str(charge["amount"])))


@pytest.mark.parametrize(
    ("amount", "parts"), [("1466.22", 31), ("0.05", 30), ("-23.3674", 7), ("100", 3), ("0", 28)], ids=str
)
def test_given_an_amount_when_spread_then_shares_sum_exactly_and_differ_by_one_quantum_at_most(
    amount: str, parts: int
) -> None:
    shares = spread_evenly(Decimal(amount), parts)

    assert len(shares) == parts
    assert sum(shares, Decimal(0)) == Decimal(amount)
    quantum = Decimal("0.0001") if "." in amount and len(amount.split(".")[1]) == 4 else Decimal("0.01")
    assert max(shares) - min(shares) <= quantum


def test_given_slice_logs_and_an_estimate_then_progress_names_the_slice_rate_and_time_left() -> None:
    now = [100.0]
    records: Counter[str] = Counter(organizations=4, products=105)
    progress = ReadProgress(records, clock=lambda: now[0])
    progress.add(status("usage", "STARTED"))
    progress.add({"type": "TRACE", "trace": {"type": "ESTIMATE", "estimate": {"name": "usage", "row_estimate": 5000}}})
    window = "2026-10-01T00:00..2026-10-02T00:00"
    message = f"usage: accounts[1] (datadog: acme): {window}: 1000 records (slice 3/65, 2000 records so far)"
    progress.add({"type": "LOG", "log": {"level": "INFO", "message": message}})
    records["usage"] = 2000
    now[0] = 110.0

    snapshot = progress.snapshot()
    line = format_line(snapshot)

    assert (snapshot.stream, snapshot.estimate, snapshot.slices) == ("usage", 5000, "3/65")
    assert snapshot.rate == pytest.approx(210.9)  # (2000 + 109 records) / 10 s
    assert snapshot.eta_s == pytest.approx(3000 / 210.9)
    assert "usage: 2,000 records of about 5,000 (40%)" in line
    assert "last slice 3/65: accounts[1] (datadog: acme) 2026-10-01T00:00..2026-10-02T00:00" in line
    assert "about 14 s left" in line
    assert "done: organizations 4, products 105" in line


def status(stream: str, value: str) -> dict[str, Any]:
    descriptor = {"stream_descriptor": {"name": stream}, "status": value}
    return {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "stream_status": descriptor}}


@pytest.mark.timed_waits
def test_given_output_that_is_not_a_terminal_then_a_plain_line_comes_every_interval() -> None:
    out = io.StringIO()
    with PlainView(ReadProgress(Counter(usage=7)), out, interval_s=0.05):
        time.sleep(0.3)
    lines = out.getvalue().splitlines()

    assert len(lines) >= 4
    assert all("records/s" in line for line in lines)


def test_given_a_silent_connector_stopped_by_the_watchdog_then_the_demo_says_so_and_exits_124(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = StreamedRun(returncode=-15, silent_for_s=600.4, stderr_tail="", bytes_out=10)
    result = ReadResult(run=run, summary=ReadSummary(), elapsed_s=601.0, until=date(2026, 11, 30))

    code = report(result, tmp_path, chart=False)

    assert code == 124
    printed = capsys.readouterr().out
    assert "STOPPED: the connector printed nothing for 10 min 00 s, so the watchdog stopped it." in printed
    assert str(tmp_path / "read_output.jsonl") in printed


def test_given_chart_data_when_drawn_then_a_png_is_written(demo_read, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the demo extra draws the chart")
    _, result, _ = demo_read

    path = draw_chart(chart_data(result.summary, result.until), tmp_path / "chart.png")

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 30_000
