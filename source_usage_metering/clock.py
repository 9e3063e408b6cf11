"""The connector's one clock: UTC now, read once per command.

Tests and the emulator's demos pin it with the `USAGE_METERING_TEST_NOW` environment variable (an ISO-8601 UTC
instant), so a connector process and the emulator agree on "today" whatever the machine's clock says; end-to-end
tests of retries shorten the backoff waits with `USAGE_METERING_TEST_BACKOFF_SCALE` (a factor in (0, 1]). Both are
test hooks, not settings: they are not in the spec, and a run that uses them says so in its log.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

TEST_NOW_ENV = "USAGE_METERING_TEST_NOW"
TEST_BACKOFF_SCALE_ENV = "USAGE_METERING_TEST_BACKOFF_SCALE"
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


def backoff_scale() -> float:
    """The factor applied to backoff waits: 1, or the test hook's value in (0, 1] (a shorter wait, never longer)."""
    value = os.environ.get(TEST_BACKOFF_SCALE_ENV)
    if not value:
        return 1.0
    try:
        scale = float(value)
    except ValueError:
        return 1.0
    return scale if 0 < scale <= 1 else 1.0
