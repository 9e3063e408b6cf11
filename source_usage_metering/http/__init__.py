"""Shared HTTP concerns: the base provider stream, error policy, backoff, pacing, pagination, auth."""
