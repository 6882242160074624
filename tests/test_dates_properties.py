"""Calendar arithmetic properties (docs/spec.md 2; issue #3, item 6): engine/core/dates.py."""
from __future__ import annotations

import calendar
import datetime as dt

import holidays
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import example, given
from hypothesis import strategies as st

from engine.core.dates import latest_notification, next_working_day, parse_duration, period_end

D = dt.date
ONE_DAY = dt.timedelta(days=1)

month_ends = st.builds(lambda y, m: D(y, m, calendar.monthrange(y, m)[1]),
                       st.integers(1990, 2090), st.integers(1, 12))
days = st.one_of(month_ends, st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)),
                 st.sampled_from([D(2024, 2, 29), D(2028, 2, 29), D(2000, 2, 29), D(2026, 1, 31)]))


def last_of_month(d: dt.date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


@given(days, st.integers(0, 240))
def test_adding_months_clamps_to_the_month_end(start, n):
    got = start + relativedelta(months=n)
    y, m = divmod(start.month - 1 + n, 12)
    assert (got.year, got.month) == (start.year + y, m + 1), "months overflowed into the next month"
    assert got.day == start.day or got.day == last_of_month(got) < start.day, (
        f"{start} + {n} months = {got}: neither the same day nor the month's last day")
    # the ISO form read by the engine means the same
    assert start + parse_duration(f"P{n}M") == got


@given(st.sampled_from([y for y in range(1904, 2096, 4) if calendar.isleap(y)]))
def test_one_year_after_29_february_is_28_february(year):
    assert D(year, 2, 29) + parse_duration("P1Y") == D(year + 1, 2, 28)
    assert D(year, 2, 29) + parse_duration("1 year") == D(year + 1, 2, 28)
    assert D(year, 2, 29) + parse_duration("P4Y") == D(year + 4, 2, 29)


durations_ym = st.builds(lambda y, m: relativedelta(years=y, months=m),
                         st.integers(0, 4), st.integers(0, 18)).filter(lambda r: r.years or r.months)


@given(days, durations_ym, durations_ym, st.integers(0, 12))
def test_period_end_is_clamped_once_from_the_start(start, initial, renewal, k):
    got = period_end(start, initial, renewal, k)
    total = relativedelta(years=initial.years + k * renewal.years, months=initial.months + k * renewal.months)
    assert got == start + total - ONE_DAY, "period end is not start + (initial + k x renewal) - 1 day"
    # Naive period-by-period addition can only lose days (each clamp goes down), never gain.
    naive = start + initial
    for _ in range(k):
        naive = naive + renewal
    assert naive - ONE_DAY <= got


def test_period_by_period_addition_drifts_but_period_end_does_not():
    start, one = D(2026, 8, 31), relativedelta(months=6)
    naive = start
    for _ in range(3):
        naive += one  # 2027-02-28, then 2027-08-28, then 2028-02-28: the 31st is lost
    assert naive - ONE_DAY == D(2028, 2, 27)
    assert period_end(start, one, one, 2) == D(2028, 2, 28)  # 2026-08-31 + 18M - 1 day
    assert period_end(D(2026, 1, 31), relativedelta(months=1), relativedelta(months=1), 2) == D(2026, 4, 29)


@given(days, st.integers(1, 10_000))
def test_period_end_never_drifts_from_clamping_once(start, k):
    # P1M renewals from a 31st: period k ends the day before start + (k+1) months, every time.
    one = relativedelta(months=1)
    assert period_end(start, one, one, k) == start + relativedelta(months=k + 1) - ONE_DAY


notice_periods = st.one_of(
    st.integers(0, 24).map(lambda n: f"P{n}M"),
    st.integers(0, 400).map(lambda n: f"P{n}D"),
    st.integers(0, 5).map(lambda n: f"P{n}Y"),
    st.sampled_from(["P1Y6M", "P2W", "2 months", "30 days", "1 year", "P18M"]),
)


@given(days, notice_periods)
@example(D(2026, 3, 31), "P1M").via("clamping: 31 Mar - 1M = 28 Feb, but 3 Mar + 1M = 31 Mar")
@example(D(2029, 2, 28), "P1Y").via("29 Feb + P1Y = 28 Feb")
def test_latest_notification_is_the_latest_that_fits(last_day, text):
    p = parse_duration(text)
    n = latest_notification(last_day, p)
    assert n + p <= last_day, f"{n} + {text} = {n + p} is after {last_day}"
    assert n + ONE_DAY + p > last_day, f"{n + ONE_DAY} + {text} = {n + ONE_DAY + p} still fits {last_day}"


_fr = holidays.France(years=range(1990, 2092))


@given(st.one_of(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 20)),
                 st.sampled_from([D(2026, 5, 23), D(2027, 5, 15), D(2026, 12, 24), D(2028, 4, 29),
                                  D(2026, 7, 11), D(2026, 8, 15), D(2026, 11, 1)])))
def test_next_working_day(day):
    got = next_working_day(day)
    assert got >= day
    assert got.weekday() < 5, f"{got} is a {got:%A}"
    assert got not in _fr, f"{got} is a public holiday ({_fr.get(got)})"
    d = day
    while d < got:
        assert d.weekday() >= 5 or d in _fr, f"{d} is a working day between {day} and {got}"
        d += ONE_DAY


@pytest.mark.parametrize("day,want", [
    (D(2026, 5, 23), D(2026, 5, 26)),  # Saturday before Whit Monday (25 May 2026)
    (D(2026, 12, 25), D(2026, 12, 28)),
    (D(2026, 7, 14), D(2026, 7, 15)),
])
def test_next_working_day_examples(day, want):
    assert next_working_day(day) == want
