"""What the user reads in the log: one ERROR line per failure, from this connector, and no traceback without --debug.

The CDK reports a failure several times over: the request and response headers at ERROR before the provider's
error, "Retries exhausted with backoff exception." and "Encountered an exception while reading stream" with Python
tracebacks, and a FATAL line with another one at the end. This connector already logs one ERROR line per failure
naming the account, the endpoint and the cause, and every failure also ends in a TRACE message (whose `stack_trace`
field keeps the traceback for Airbyte). So without --debug, ERROR and FATAL records that did not come from this
package are left out, and no record carries a traceback. With --debug everything is kept, as the CDK logs it.
"""

from __future__ import annotations

import logging
import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class UserFacingLogs(logging.Filter):
    """A handler filter applying the policy above.

    Args:
        debug: Keep every record, tracebacks included (`--debug` or `LOG_LEVEL=debug`).
    """

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to print the record (stripped of any traceback)."""
        if self.debug:
            return True
        if record.levelno >= logging.ERROR and not is_ours(record):
            return False
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def is_ours(record: logging.LogRecord) -> bool:
    """Whether the record was logged by this package's code (every logger is the CDK's `airbyte` one)."""
    return os.path.abspath(record.pathname).startswith(PACKAGE_DIR)


def apply_log_policy(debug: bool) -> None:
    """Install the policy on every handler of the root logger (where the CDK's console handler lives)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, UserFacingLogs) for f in handler.filters):
            handler.addFilter(UserFacingLogs(debug))
