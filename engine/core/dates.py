"""Calendar arithmetic, written once (docs/spec.md 2).

Every date is a ``datetime.date`` and every duration a ``relativedelta``. Months and years are
added with python-dateutil, which keeps the day number or clamps to the month's last day
(``2028-08-31 + P6M = 2029-02-28``): the only rounding this project uses is that one, downwards,
as the Code de procédure civile does for month-based periods.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re

from dateutil.relativedelta import relativedelta

ONE_DAY = _dt.timedelta(days=1)

_ISO = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_WORDS = re.compile(r"^\s*(\d+)\s*(year|years|month|months|week|weeks|day|days)\s*$")
_UNIT = {"year": "years", "month": "months", "week": "weeks", "day": "days"}
_MAX_PART = 10_000
# The longest duration: dates run from 1900 to 2200 (engine.conventions.yamlnodes.YEARS), and a replay adds
# a few durations to them (a term, a renewal, a notice period, a payment term); with each at
# most 100 years every date it computes stays far below 9999-12-31, datetime's last day, and a
# replay that follows a notice or a period to its end covers a few centuries at most.
MAX_YEARS = 100
_REFERENCE = _dt.date(2000, 1, 1)
_LIMIT = _REFERENCE.replace(year=_REFERENCE.year + MAX_YEARS)


class DurationError(ValueError):
    """A duration that is not ISO 8601 (`P3Y`) nor plain words (`3 years`)."""


def parse_duration(text: str) -> relativedelta:
    """Read `P3Y`, `P1Y6M`, `P2W`, `P0D` or `3 years`, `30 days`; never negative."""
    if not isinstance(text, str):
        raise DurationError(f"expected a duration such as P3Y or '2 months', got {text!r}")
    m = _ISO.match(text.strip().upper())
    if m:
        years, months, weeks, days = (int(g) if g else 0 for g in m.groups())
    else:
        w = _WORDS.match(text.lower())
        if not w:
            raise DurationError(f"expected a duration such as P3Y or '2 months', got {text!r}")
        parts = {"years": 0, "months": 0, "weeks": 0, "days": 0}
        parts[_UNIT[w.group(2).rstrip("s")]] = int(w.group(1))
        years, months, weeks, days = parts["years"], parts["months"], parts["weeks"], parts["days"]
    if max(years, months, weeks, days) > _MAX_PART:
        raise DurationError(f"duration {text!r} is too long")
    d = relativedelta(years=years, months=months, days=days + 7 * weeks)
    if 12 * years + months > 12 * MAX_YEARS or _REFERENCE + d > _LIMIT:
        raise DurationError(f"duration {text!r} is too long (at most {MAX_YEARS} years)")
    return d


def format_duration(d: relativedelta) -> str:
    """The ISO 8601 form of a duration built by :func:`parse_duration`."""
    out = "P"
    if d.years:
        out += f"{d.years}Y"
    if d.months:
        out += f"{d.months}M"
    if d.days or out == "P":
        out += f"{d.days}D"
    return out


def is_zero(d: relativedelta) -> bool:
    return not (d.years or d.months or d.days)


def scale(d: relativedelta, k: int) -> relativedelta:
    """``k × d`` component-wise, so that durations are added together before any clamping."""
    return relativedelta(years=d.years * k, months=d.months * k, days=d.days * k)


def term_end(start: _dt.date, total: relativedelta) -> _dt.date:
    """Last day of a term of duration ``total`` starting on ``start`` (inclusive)."""
    return start + total - ONE_DAY


def period_end(start: _dt.date, initial: relativedelta, renewal: relativedelta, k: int) -> _dt.date:
    """Last day of period k (0: the initial term), from the start date, never period by period."""
    return term_end(start, initial + scale(renewal, k))


def notice_last_day(notified: _dt.date, period: relativedelta) -> _dt.date:
    """The notification day does not count (CPC art. 641): the period's last day is ``N + P``."""
    return notified + period


def latest_notification(last_day: _dt.date, period: relativedelta) -> _dt.date:
    """The latest N with ``N + period <= last_day`` (the notice deadline for that last day)."""
    n = last_day - period
    # Clamping can make n + period fall short of last_day by a few days (31 Mar - 1M = 28 Feb,
    # 28 Feb + 1M = 28 Mar): step forward while the next day still fits.
    while n + ONE_DAY + period <= last_day:
        n += ONE_DAY
    while n + period > last_day:
        n -= ONE_DAY
    return n


def year_days(year: int) -> int:
    return 366 if _dt.date(year, 12, 31).timetuple().tm_yday == 366 else 365


_sums: dict[tuple[_dt.date, relativedelta], _dt.date] = {}


def plus(day: _dt.date, duration: relativedelta) -> _dt.date:
    """``day + duration``, remembered: a replay adds the same payment term to the same days
    over and over, and relativedelta's addition is ten times a timedelta's."""
    key = (day, duration)
    out = _sums.get(key)
    if out is None:
        if len(_sums) > 100_000:  # a long-running service: bounded
            _sums.clear()
        out = _sums[key] = day + duration
    return out


def days_between(first: _dt.date, last: _dt.date) -> int:
    """Days from ``first`` to ``last``, both included (0 when last < first)."""
    return max(0, (last - first).days + 1)


@functools.lru_cache(maxsize=None)
def _french_holidays(year: int) -> frozenset[_dt.date]:
    import holidays

    # Metropolitan calendar (no Alsace-Moselle subdivision); Whit Monday is in it.
    return frozenset(holidays.France(years=year).keys())


def is_working_day(day: _dt.date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def next_working_day(day: _dt.date) -> _dt.date:
    """``day`` itself when it is a working day, else the next one (CPC art. 642)."""
    while not is_working_day(day):
        day += ONE_DAY
    return day


def previous_working_day(day: _dt.date) -> _dt.date:
    """``day`` itself when it is a working day, else the working day before it."""
    while not is_working_day(day):
        day -= ONE_DAY
    return day


def day_text(d: _dt.date | None, lang: str = "en") -> str:
    """A date as a reader of ``lang`` writes it: ISO in English, 08/12/2025 in French."""
    if d is None:
        return ""
    return d.strftime("%d/%m/%Y") if lang == "fr" else d.isoformat()
