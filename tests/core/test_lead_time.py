"""bot/core/lead_time.py on its own: business days (Monday to Friday, no holidays) counted from
known dates, the expected days written out by hand (never computed with ready_date itself)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.lead_time import ready_date


@pytest.mark.parametrize("lead_time_days, placed, ready", [
    (0, date(2026, 12, 2), date(2026, 12, 2)),     # Wed, nothing to wait: the same day
    (1, date(2026, 12, 2), date(2026, 12, 3)),     # Wed -> Thu
    (5, date(2026, 12, 3), date(2026, 12, 10)),    # Thu -> Thu a week later
    (10, date(2026, 12, 2), date(2026, 12, 16)),   # Wed -> Wed two weeks later
    (10, date(2026, 11, 27), date(2026, 12, 11)),  # Fri -> Fri two weeks later
    (1, date(2026, 12, 4), date(2026, 12, 7)),     # Fri -> Mon: the weekend is not counted
    (2, date(2026, 12, 4), date(2026, 12, 8)),     # Fri -> Tue
    (0, date(2026, 12, 5), date(2026, 12, 7)),     # Sat: counting starts on Monday
    (0, date(2026, 12, 6), date(2026, 12, 7)),     # Sun too
    (1, date(2026, 12, 5), date(2026, 12, 8)),     # Sat -> Mon, then one day: Tue
    (10, date(2026, 11, 28), date(2026, 12, 14)),  # Sat -> Mon two weeks after the Monday
    (3, date(2026, 12, 30), date(2027, 1, 4)),     # Wed -> Thu, Fri (1 Jan counts: no holidays), Mon
    (2, date(2028, 2, 28), date(2028, 3, 1)),      # Mon -> 29 Feb of a leap year -> Wed 1 Mar
    (20, date(2026, 12, 2), date(2026, 12, 30)),   # four weeks
])
def test_ready_date_counts_business_days(lead_time_days, placed, ready):
    result = ready_date(lead_time_days, placed)
    assert result == ready
    assert type(result) is date  # a plain date (not numpy's datetime64): formatted with strftime by callers


def test_a_ready_date_is_never_on_a_weekend_nor_before_the_order():
    for day in range(1, 32):
        placed = date(2026, 12, day)
        for lead_time_days in range(0, 15):
            ready = ready_date(lead_time_days, placed)
            assert ready.weekday() < 5 and ready >= placed


def test_without_a_date_it_counts_from_today():
    ready = ready_date(0)
    assert ready >= date.today() and (ready - date.today()).days <= 2 and ready.weekday() < 5
