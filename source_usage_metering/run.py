"""Console entry point `source-usage-metering`: the Airbyte protocol (spec, check, discover, read)."""

from __future__ import annotations

import sys


def run() -> None:
    """Run one Airbyte protocol command from the command line, as the docker image does."""
    from source_usage_metering.entrypoint import launch
    from source_usage_metering.source import SourceUsageMetering

    launch(SourceUsageMetering(), sys.argv[1:])
