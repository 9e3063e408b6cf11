"""Run perf-anchor's `intercept_run.py` with the window end added to hourly usage requests that have none.

    <competitor python> competitor_entry.py PERF_ANCHOR_DIR END_HOUR <intercept_run.py arguments>

Runs with the competitor's interpreter (airbyte-cdk 0.90.0), so it imports nothing from this repository.
"""

from __future__ import annotations

import sys
from urllib.parse import quote

HOURLY_PATH = "/api/v2/usage/hourly_usage"
END_PARAM = "filter%5Btimestamp%5D%5Bend%5D"


def add_window_end(end_hour: str) -> None:
    """Append `filter[timestamp][end]` to hourly usage URLs without one (before urllib3 sends them)."""
    import requests.adapters

    send = requests.adapters.HTTPAdapter.send

    def send_with_end(self, request, *args, **kwargs):
        url = request.url or ""
        if HOURLY_PATH in url and END_PARAM not in url and "filter[timestamp][end]" not in url:
            request.url = url + ("&" if "?" in url else "?") + f"{END_PARAM}={quote(end_hour)}"
        return send(self, request, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = send_with_end


def main() -> int:
    """Patch, then hand over to intercept_run.main() with the remaining arguments."""
    tools, end_hour, *rest = sys.argv[1:]
    sys.path.insert(0, tools)
    add_window_end(end_hour)
    import intercept_run

    sys.argv = [intercept_run.__file__, *rest]
    return intercept_run.main()


if __name__ == "__main__":
    sys.exit(main())
