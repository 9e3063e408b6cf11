"""The log policy: without --debug, ERROR lines come from this connector only, and no record carries a traceback."""

from __future__ import annotations

import logging
import sys

import airbyte_cdk.sources.streams.http.http_client as cdk_module

import source_usage_metering.streams.base as our_module
from source_usage_metering.logs import UserFacingLogs


def record(level: int, pathname: str, *, traceback: bool = False) -> logging.LogRecord:
    exc_info = None
    if traceback:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("airbyte", level, pathname, 1, "message", None, exc_info)


def test_an_error_the_cdk_repeats_is_left_out_and_ours_is_kept() -> None:
    policy = UserFacingLogs(debug=False)
    assert not policy.filter(record(logging.ERROR, cdk_module.__file__))
    assert not policy.filter(record(logging.CRITICAL, cdk_module.__file__))
    assert policy.filter(record(logging.ERROR, our_module.__file__))
    assert policy.filter(record(logging.INFO, cdk_module.__file__))


def test_no_record_carries_a_traceback_without_debug() -> None:
    kept = record(logging.WARNING, cdk_module.__file__, traceback=True)
    assert UserFacingLogs(debug=False).filter(kept)
    assert kept.exc_info is None
    assert "Traceback" not in logging.Formatter().format(kept)


def test_with_debug_everything_is_kept_as_logged() -> None:
    policy = UserFacingLogs(debug=True)
    failure = record(logging.ERROR, cdk_module.__file__, traceback=True)
    assert policy.filter(failure)
    assert "Traceback" in logging.Formatter().format(failure)
