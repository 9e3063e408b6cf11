"""Tables of a benchmark run (markdown), computed from the medians: ratios, marginal cost, pacing, start-up."""

from __future__ import annotations

import os
import platform
from typing import Any


def machine() -> str:
    """CPU model, core count and Python version."""
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{model or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def row_dict(row: Any) -> dict[str, Any]:
    """One target on one workload, as medians."""
    outputs = [rep.output for rep in row.reps]
    return {
        "provider": row.provider,
        "months": row.months,
        "target": row.target,
        "reps": len(row.reps),
        "records_read": row.records_read,
        "emitted": row.emitted,
        "unique_ids": outputs[0].get("unique_ids") if outputs else None,
        "consistent": len({(o.get("records"), o.get("unique_ids")) for o in outputs}) == 1,
        "requests": row.requests,
        "by_path": row.extra.get("by_path", {}),
        "status_429": row.status_429,
        "wall_s": row.median("wall_s"),
        "cpu_s": row.median("cpu_s"),
        "peak_rss_mb": row.median("peak_rss_mb"),
        "cpu_all": [rep.cpu_s for rep in row.reps],
    }


def _table(header: list[str], lines: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(cell) for cell in line) + " |" for line in lines]
    return "\n".join(out)


def _f(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _find(rows: list[dict], provider: str, months: int, target: str) -> dict | None:
    return next((r for r in rows if (r["provider"], r["months"], r["target"]) == (provider, months, target)), None)


def marginal(small: dict | None, large: dict | None) -> tuple[float | None, float | None]:
    """(fixed CPU s, marginal CPU µs per emitted record) from two sizes."""
    if not small or not large or large["emitted"] == small["emitted"]:
        return None, None
    per_record = (large["cpu_s"] - small["cpu_s"]) / (large["emitted"] - small["emitted"])
    return small["cpu_s"] - per_record * small["emitted"], per_record * 1e6


def matrix_table(rows: list[dict]) -> str:
    """Per workload and target: volumes, requests, medians, ratios to the floors of the same workload."""
    lines = []
    for row in rows:
        bare = _find(rows, row["provider"], row["months"], "bare-cdk")
        floor = _find(rows, row["provider"], row["months"], "floor")
        hourly = sum(n for path, n in row["by_path"].items() if "hourly_usage" in path or "costs" in path)
        lines.append([
            row["provider"], row["months"], row["target"], f"{row['records_read']:,}", f"{row['emitted']:,}",
            f"{row['requests']} ({hourly})", _f(row["requests"] / row["months"], 1), _f(row["wall_s"]),
            _f(row["cpu_s"]), _f(row["peak_rss_mb"], 0),
            _f(row["cpu_s"] / bare["cpu_s"]) if bare else "", _f(row["cpu_s"] / floor["cpu_s"]) if floor else "",
        ])  # fmt: skip
    header = ["provider", "months", "target", "records read", "emitted", "requests (usage/costs)", "req/month",
              "wall s", "CPU s", "peak RSS MB", "CPU x bare-cdk", "CPU x floor"]  # fmt: skip
    return _table(header, lines)


def marginal_table(rows: list[dict]) -> str:
    """Fixed and marginal CPU per target (two-size fit), the ratio to the bare CDK, and RSS growth."""
    lines = []
    for provider in dict.fromkeys(r["provider"] for r in rows):
        _, bare_us = marginal(_find(rows, provider, 1, "bare-cdk"), _find(rows, provider, 12, "bare-cdk"))
        for target in dict.fromkeys(r["target"] for r in rows if r["provider"] == provider):
            small, large = _find(rows, provider, 1, target), _find(rows, provider, 12, target)
            fixed, per_record = marginal(small, large)
            if per_record is None:
                continue
            rss = large["peak_rss_mb"] / small["peak_rss_mb"] if small and large else None
            ratio = per_record / bare_us if bare_us else None
            lines.append([provider, target, _f(fixed), _f(per_record, 1), _f(ratio), _f(rss)])
    header = ["provider", "target", "fixed CPU s", "marginal CPU µs / emitted record", "x bare-cdk",
              "peak RSS 12 m / 1 m"]  # fmt: skip
    return _table(header, lines)


def pacing_table(pacing: list[dict]) -> str:
    """Wall time under a rate budget next to requests / allowed rate."""
    lines = [
        [p["provider"], p["months"], f"{p['limit']} per {p['window_s']:g} s", p["requests"],
         _f(p["theoretical_min_s"], 1), _f(p["wall_s"], 1), _f(p["wall_s"] / p["theoretical_min_s"]), p["status_429"]]
        for p in pacing
    ]  # fmt: skip
    header = ["provider", "months", "rate budget", "requests", "theoretical min s", "wall s", "wall / min", "429s"]
    return _table(header, lines)


def startup_table(startup: list[dict]) -> str:
    """Start-up commands."""
    lines = [[s["command"], _f(s["wall_s"]), _f(s["cpu_s"]), _f(s["peak_rss_mb"], 0), s["ok"]] for s in startup]
    return _table(["command", "wall s", "CPU s", "peak RSS MB", "ok"], lines)


def competitor_table(rows: list[dict], asis: dict | None) -> str:
    """Ours next to airbyte-source-datadog-usage 0.2.5 on the same 1-month Datadog pages."""
    theirs = _find(rows, "datadog", 1, "competitor-nosleep")
    ours = _find(rows, "datadog", 1, "ours")
    if not theirs or not ours:
        return "(competitor not run: pass --competitor-dir)"
    lines = []
    for row in (ours, _find(rows, "datadog", 1, "ours+remote_data"), theirs):
        if row:
            lines.append([row["target"], f"{row['records_read']:,}", f"{row['emitted']:,}", row["requests"],
                          _f(row["wall_s"]), _f(row["cpu_s"]), _f(row["cpu_s"] / theirs["cpu_s"]),
                          _f(row["cpu_s"] * 1e6 / row["records_read"], 0)])  # fmt: skip
    text = _table(["target", "raw rows", "emitted", "requests", "wall s", "CPU s", "CPU x competitor",
                   "CPU µs / raw row (incl. start-up)"], lines)  # fmt: skip
    if asis:
        # CDK 0.90's availability check fetches page 1 once more before the sync: pages = requests - 1.
        skip, real = asis["skip"], asis["real"]
        pages = real["requests"] - 1
        model = skip["wall_s"] + 5.0 * (pages - 1)
        month_pages = theirs["requests"] - 1
        month_asis = theirs["wall_s"] + 5.0 * (month_pages - 1)
        text += (
            f"\n\nCompetitor as shipped (5 s sleep before every page after the first), {asis['days']} days: "
            f"{_f(real['wall_s'], 1)} s wall for {pages} pages (model no-sleep wall + 5 s x (pages - 1) = "
            f"{_f(model, 1)} s). Model for 1 month ({month_pages} pages): {_f(month_asis, 0)} s, against ours as "
            f"shipped {_f(ours['wall_s'])} s: ours is {_f(month_asis / ours['wall_s'], 0)}x faster."
        )
    return text


def render(results: dict[str, Any]) -> str:
    """Every table of a run, with its context."""
    rows = results["rows"]
    parts = [
        f"Machine: {results['machine']}. Emulator today {results['today']}; shape {results['shape']}; "
        f"median of {results['reps']} reps; total {results['elapsed_s'] / 60:.1f} min.",
        "### Usage stream, per workload\n\n" + matrix_table(rows),
        "### Marginal cost (two sizes: 1 and 12 months)\n\n" + marginal_table(rows),
    ]
    if results["pacing"]:
        parts.append("### Under an emulated rate budget (remote data off)\n\n" + pacing_table(results["pacing"]))
    if results["startup"]:
        parts.append("### Start-up\n\n" + startup_table(results["startup"]))
    parts.append("### Datadog, 1 month: against airbyte-source-datadog-usage 0.2.5\n\n"
                 + competitor_table(rows, results.get("competitor_asis")))  # fmt: skip
    inconsistent = [f"{r['provider']} {r['months']} {r['target']}" for r in rows if not r["consistent"]]
    if inconsistent:
        parts.append("WARNING: record counts differ between reps: " + ", ".join(inconsistent))
    return "\n\n".join(parts)
