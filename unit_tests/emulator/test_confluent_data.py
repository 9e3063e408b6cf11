"""Confluent cost rows are generated per page, not held for a whole window: bounded memory, same bytes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from integration_tests.emulator import Scenario
from integration_tests.emulator.confluent_data import ROW_CACHE_DAYS, ConfluentTenant, _cached_rows
from integration_tests.emulator.scenario import Revisions

TODAY = date(2026, 11, 20)


def all_pages(tenant: ConfluentTenant, start: date, end: date, size: int) -> list[dict]:
    rows, offset, more = [], 0, True
    while more:
        page, more = tenant.page(start, end, offset, size)
        rows += page
        offset += size
    return rows


def test_given_a_month_paged_in_small_pages_then_rows_equal_the_days_rows_and_few_days_are_held() -> None:
    tenant = ConfluentTenant(Scenario(months=3, environments=5), 0, TODAY, Revisions())
    start, end = date(2026, 10, 1), date(2026, 11, 1)
    _cached_rows.cache_clear()

    paged = all_pages(tenant, start, end, size=97)

    october = [date(2026, 10, day) for day in range(1, 32)]
    expected = [row for day in october for row in tenant.build_day(day, Decimal(1))]  # no revision, days complete
    assert json.dumps(paged) == json.dumps(expected)
    assert len(paged) == sum(tenant.row_count(day) for day in october) > 31 * 50
    assert _cached_rows.cache_info().currsize <= ROW_CACHE_DAYS
    # each day was generated about once (a page boundary inside a day reuses the cached day)
    assert _cached_rows.cache_info().misses <= 31 + 1


def test_given_days_outside_the_data_set_then_no_rows_and_zero_counts() -> None:
    tenant = ConfluentTenant(Scenario(months=1), 0, TODAY, Revisions())
    assert tenant.row_count(TODAY) == 0
    assert tenant.rows_for_day(date(2026, 10, 31)) == []
    assert tenant.page(date(2026, 11, 20), date(2026, 11, 25), 0, 10) == ([], False)
