"""Benchmarks of the usage stream against the local provider emulator (run `python -m benchmarks.bench_usage`)."""
