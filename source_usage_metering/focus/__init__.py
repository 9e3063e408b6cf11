"""FOCUS 1.2 (FinOps Open Cost and Usage Specification) output: the column set and the CSV writer.

Each provider's pure mapping lives in its own package (`providers/<name>/focus.py`).
"""
