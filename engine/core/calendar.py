"""The calendar of a convention, as pure functions of its start and parameters (docs/spec.md 2, 5.1, 5.2, 8).

The term and its periods, the expiry, exit dates and the call schedule. Nothing here decides
anything: these are the figures the rules test and choose between (a period's end, an exit date,
the initial term's end, the expiry), computed once, for the replay, `deadlines` and `whatif`
alike; engine/core/readings.py asks the rules which of them a notice's last day is.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import attrs
from dateutil.relativedelta import relativedelta

from . import dates
from .params import Params

ONE_DAY = dates.ONE_DAY


@attrs.frozen
class Term:
    """The initial term and its renewals, from the start day and the term parameters."""

    start: dt.date
    anchor: dt.date  # the day the durations run from: the start, or the day after `ends_on`
    initial: relativedelta  # from the anchor to the initial term's end (zero after `ends_on`)
    initial_end: dt.date
    renewal: str  # indefinite | periodic | none
    renewal_period: relativedelta | None
    max_renewals: int | None

    @classmethod
    def of(cls, start: dt.date, p: Params) -> "Term":
        if p.ends_on is not None:
            anchor, initial, initial_end = p.ends_on + ONE_DAY, relativedelta(), p.ends_on
        else:
            anchor, initial = start, p.initial
            initial_end = dates.term_end(start, p.initial)
        return cls(start, anchor, initial, initial_end, p.renewal, p.renewal_period, p.max_renewals)

    def period_end(self, k: int) -> dt.date:
        """Last day of period k (0: the initial term): durations added together first, from the
        anchor, so that a month-end start is clamped once, never period by period (docs/spec.md 5.1)."""
        if k == 0:
            return self.initial_end
        return dates.term_end(self.anchor, self.initial + dates.scale(self.renewal_period, k))

    @property
    def final_end(self) -> dt.date | None:
        """The last day of the last period when the convention cannot go on for ever."""
        if self.renewal == "none":
            return self.initial_end
        if self.renewal == "periodic" and self.max_renewals is not None:
            return self.period_end(self.max_renewals)
        return None

    @property
    def last_period(self) -> int | None:
        """The number of the last period (None: no last one)."""
        if self.renewal == "none":
            return 0
        if self.renewal == "periodic":
            return self.max_renewals
        return None

    def period_ends(self) -> Iterator[dt.date]:
        """Last days of the successive periods (0: the initial term)."""
        yield self.initial_end
        if self.renewal != "periodic":
            return
        k = 1
        while self.max_renewals is None or k <= self.max_renewals:
            yield self.period_end(k)
            k += 1

    def can_renew_after(self, k: int) -> bool:
        """Whether period k may be followed by a tacit renewal (a figure for deadlines; the
        replay asks the rules at each period's end)."""
        return self.renewal == "indefinite" or (
            self.renewal == "periodic" and (self.max_renewals is None or k < self.max_renewals))

    def at_period_end(self, day: dt.date) -> dt.date | None:
        """End of the first period that ends on or after ``day`` (None: none does). With
        indefinite renewal, the initial term's end if it is on or after ``day``, else ``day``."""
        if self.renewal == "indefinite":
            return self.initial_end if self.initial_end >= day else day
        for end in self.period_ends():
            if end >= day:
                return end
        return None


def next_exit_date(day: dt.date, exit_dates: tuple[tuple[int, int], ...]) -> dt.date:
    """The first anniversary (month, day) on or after ``day``."""
    for year in (day.year, day.year + 1):
        for month, d in exit_dates:
            candidate = dt.date(year, month, d)
            if candidate >= day:
                return candidate
    raise ValueError("no exit date")  # pragma: no cover - exit_dates is never empty


def notification(received: dict, required: tuple[str, ...], runs_from: str,
                 unclaimed_counts: bool) -> tuple[dict, list, dt.date | None]:
    """The receipts that count for the required recipients, those missing, and the notification
    date N (docs/spec.md 5.2): a letter counts from its delivery, an unclaimed one from its first
    presentation when ``unclaimed_counts``; N is the last (or the first) receipt that counts."""
    counted: dict[str, dt.date] = {}
    missing = []
    for r in required:
        rec = received.get(r)
        day = None
        if rec is not None:
            if rec.delivered is not None:
                day = rec.delivered
            elif rec.unclaimed and unclaimed_counts:
                day = rec.presented
        if day is None:
            missing.append(r)
        else:
            counted[r] = day
    if not counted:
        return counted, missing, None
    n = max(counted.values()) if runs_from == "last_recipient" else min(counted.values())
    return counted, missing, n


# ----------------------------------------------------------------------------- calls

PER_YEAR = {"fiscal_year_start": 1, "quarterly": 4, "monthly": 12}


def call_period(day: dt.date, call: str) -> tuple[dt.date, dt.date]:
    """The calendar period (year, quarter or month) that holds ``day``: its first and last day."""
    if call == "fiscal_year_start":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    months = 12 // PER_YEAR[call]
    first_month = (day.month - 1) // months * months + 1
    first = dt.date(day.year, first_month, 1)
    return first, first + relativedelta(months=months) - ONE_DAY


def next_call(day: dt.date, start: dt.date, call: str) -> dt.date:
    """The first call on or after ``day``: the start day, else the first day of a period."""
    if day <= start:
        return start
    first, last = call_period(day, call)
    return day if day == first else last + ONE_DAY
