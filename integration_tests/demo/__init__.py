"""The demo: a full sync against the emulator, summarised while it streams, with live progress and a chart.

`python -m integration_tests.demo` (or `./scripts/demo`, which installs the `demo` extra first); see `cli.py`.
"""
