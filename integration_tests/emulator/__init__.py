"""Loopback emulator of the Confluent Cloud billing/org APIs and the Datadog usage-metering APIs.

Standard library only. See `Emulator` for the Python API and `python -m integration_tests.emulator --help`.
"""

from .emulator import Emulator
from .faults import Faults
from .scenario import Scenario
from .variances import Variances

__all__ = ["Emulator", "Faults", "Scenario", "Variances"]
