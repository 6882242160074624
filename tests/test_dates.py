import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta

from engine.core import dates

D = dt.date


@pytest.mark.parametrize(
    "text,expected",
    [
        ("P3Y", relativedelta(years=3)),
        ("P2M", relativedelta(months=2)),
        ("P30D", relativedelta(days=30)),
        ("P1Y6M", relativedelta(years=1, months=6)),
        ("P2W", relativedelta(days=14)),
        ("P0D", relativedelta()),
        ("3 years", relativedelta(years=3)),
        ("2 months", relativedelta(months=2)),
        ("30 days", relativedelta(days=30)),
        ("1 year", relativedelta(years=1)),
    ],
)
def test_parse_duration(text, expected):
    assert dates.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "-P3Y", "P-3Y", "3", "three years", "P3.5Y", "PT3H", 3])
def test_parse_duration_rejects(text):
    with pytest.raises(dates.DurationError):
        dates.parse_duration(text)


def test_month_end_clamping_from_the_start():
    assert D(2028, 8, 31) + dates.parse_duration("P6M") == D(2029, 2, 28)
    assert D(2028, 2, 29) + dates.parse_duration("P1Y") == D(2029, 2, 28)
    # period 2 of a yearly convention started 29 Feb: computed from the start, clamped once
    one = dates.parse_duration("P1Y")
    assert dates.period_end(D(2028, 2, 29), one, one, 3) == D(2032, 2, 28)


def test_term_end_inclusive():
    assert dates.term_end(D(2026, 1, 1), relativedelta(years=3)) == D(2028, 12, 31)


def test_latest_notification_month_end():
    p = relativedelta(months=1)
    n = dates.latest_notification(D(2027, 3, 31), p)
    assert n + p <= D(2027, 3, 31) and n + dates.ONE_DAY + p > D(2027, 3, 31)
    assert n == D(2027, 2, 28)


def test_working_days_french_holidays():
    assert dates.next_working_day(D(2029, 5, 14)) == D(2029, 5, 14)  # Monday
    assert dates.next_working_day(D(2026, 5, 24)) == D(2026, 5, 26)  # Sunday then Whit Monday
    assert dates.next_working_day(D(2026, 12, 25)) == D(2026, 12, 28)


def test_year_days():
    assert dates.year_days(2028) == 366 and dates.year_days(2027) == 365
