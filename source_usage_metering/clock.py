"""The connector's one clock: UTC now, read once per command.

Tests and the emulator's demos pin it with the `USAGE_METERING_TEST_NOW` environment variable (an ISO-8601 UTC
instant), so a connector process and the emulator agree on "today" whatever the machine's clock says. It is a test
hook, not a setting: it is not in the spec, and a run that uses it says so in its log.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

TEST_NOW_ENV = "USAGE_METERING_TEST_NOW"
logger = logging.getLogger("airbyte")


def utc_now() -> datetime:
    """The current UTC time, or the pinned test instant.

    Raises:
        ValueError: when the test variable is set but is not an ISO-8601 instant (a broken test set-up).
    """
    pinned = os.environ.get(TEST_NOW_ENV)
    if not pinned:
        return datetime.now(timezone.utc)
    moment = datetime.fromisoformat(pinned.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{TEST_NOW_ENV} must carry a UTC offset (e.g. 2026-11-16T12:00:00Z)")
    logger.info("Test clock in use (%s): now is %s", TEST_NOW_ENV, moment.isoformat())
    return moment.astimezone(timezone.utc)


def pinned_env(moment: datetime) -> dict[str, str]:
    """The environment entry that pins a connector process's clock to `moment` (for tests and demos)."""
    return {TEST_NOW_ENV: moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
