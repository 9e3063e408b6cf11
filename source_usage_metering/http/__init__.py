"""Shared HTTP concerns: the provider endpoint, error policy, backoff, pacing, the paging guard, auth."""
