"""Read the locally installed connector with PyAirbyte into its default DuckDB cache; print a JSON summary.

Runs inside the PyAirbyte venv (scripts/setup_pyairbyte.sh), with the working directory where the cache
(`.cache/default_cache/default_cache.duckdb`) should live:

    .venv-tools/pyairbyte/bin/python integration_tests/pyairbyte_read.py --config config.json [--reads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # no registry lookup: the connector is local
os.environ.setdefault("DO_NOT_TRACK", "1")

import airbyte as ab  # after the environment that configures it

STREAMS = ("focus_cost", "organizations", "products", "usage", "workspaces")


def as_list(value: Any) -> list[Any]:
    """A nested column as Python objects (DuckDB may hand JSON back as text)."""
    if isinstance(value, str):
        return json.loads(value)
    return list(value) if value is not None else []


def cache_summary(cache: Any) -> dict[str, Any]:
    """Rows per stream table, exact charges per provider, and cost lines per provider, from the cache."""
    rows = {stream: len(cache[stream].to_pandas()) for stream in STREAMS}
    usage = cache["usage"].to_pandas()
    charges: dict[str, Decimal] = defaultdict(Decimal)
    cost_lines: Counter[str] = Counter()
    for provider, metric, line_charges in zip(usage["provider"], usage["metric_name"], usage["charges"], strict=True):
        amounts = [Decimal(str(charge["amount"])) for charge in as_list(line_charges)]
        charges[provider] += sum(amounts, Decimal(0))
        cost_lines[provider] += metric == "cost"
    return {
        "rows": rows,
        "charges": {provider: str(total) for provider, total in charges.items()},
        "cost_lines": dict(cost_lines),
    }


def main() -> int:
    """Check, then read all streams `--reads` times into the default cache; print one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--reads", type=int, default=2)
    args = parser.parse_args()
    source = ab.get_source(
        "source-usage-metering",
        config=json.loads(args.config.read_text()),
        local_executable=str(Path(sys.executable).parent / "source-usage-metering"),
    )
    source.check()
    source.select_all_streams()
    cache = ab.get_default_cache()
    processed = []
    for _ in range(args.reads):
        result = source.read(cache=cache)
        processed.append(result.processed_records)
    print(json.dumps({"processed": processed, "db_path": str(cache.db_path), **cache_summary(cache)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
