"""Readings the rules take between figures Python computes (docs/flow.md, "Readings").

Some answers are a choice between dates or numbers rather than an action: when a notice ends
(the period, the working-day extension, the effect, the postponement within the initial term,
docs/spec.md 5.2 and 8.1) and how many days the call of a termination's last day keeps (5.6).
For each, Python computes every candidate (``N + P``, the next working day, the end of the
period, the exit date, the initial term's end, the days up to the last day) and posts them in one
decision event of engine/core/contract.py; the rule that fires says which candidate to take
(``do: {take: {figure: ...}}``), and no rule leaves the figure as it stands. So a rules file can
change each reading without Python.

The replay and ``deadlines`` ask the same questions through :class:`Readings`, with their own
:class:`~engine.core.rulecore.Decider`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import calendar, contract as C, dates
from .params import Params
from .rulecore import CATCH_ALL, Decider


def _day(d: dt.date | None) -> int:
    return C.FAR_DAY if d is None else d.toordinal()


def _date(n: int) -> dt.date | None:
    return None if n >= C.FAR_DAY else dt.date.fromordinal(n)


class Readings:
    """The readings of one rules file, asked through one decider."""

    def __init__(self, decider: Decider, rules: Any):
        self.decider = decider
        self.rules = rules

    def take(self, decision: C.Decision) -> int | None:
        """Post a reading's decision event; the figure the rule that fired takes (None: no rule
        fired, the figure stands). Only `take` can carry out these events (the loader checks it)."""
        rule = self.decider.decide(decision.posted())
        if rule == CATCH_ALL:
            return None
        value: int = getattr(decision, self.rules.rules[rule].given.figure)
        return value

    def notice_last_day(self, term: calendar.Term, p: Params, by: str, n: dt.date
                        ) -> tuple[dt.date, dt.date | None]:
        """``(N + P, the last day)`` of a notice by ``by`` notified ``n`` (``p``: the parameters
        of N), asked in the order of docs/spec.md 5.2: the period and the working-day extension,
        then the effect (period end or exit date), then the postponement to the initial term's
        end. The last day is None when no period ends late enough (periodic renewal used up)."""
        raw = dates.notice_last_day(n, p.notice_period(by))
        day = raw
        taken = self.take(C.NoticePeriod(
            by=by, n=n.toordinal(), period_ends=raw.toordinal(),
            working_day=dates.next_working_day(raw).toordinal(),
            extend_to_working_day=p.notice("extend_to_working_day")))
        if taken is not None:
            day = dt.date.fromordinal(taken)
        exit_dates = p.notice("exit_dates")
        taken = self.take(C.NoticeEffect(
            by=by, n=n.toordinal(), day=day.toordinal(), end_of_period=_day(term.at_period_end(day)),
            exit_date=_day(calendar.next_exit_date(day, exit_dates) if exit_dates else None),
            effect=p.notice("effect")))
        last = day if taken is None else _date(taken)
        taken = self.take(C.NoticeTerm(
            by=by, n=n.toordinal(), day=_day(last), initial_end=term.initial_end.toordinal(),
            within_initial_term=p.notice("within_initial_term")))
        if taken is not None:
            last = _date(taken)
        return raw, last

    def days_kept(self, by: str, expiry: bool, immediate: bool, covered: int, to_last_day: int,
                  p: Params) -> int:
        """The days the call of the period holding a termination's last day keeps (``p``: the
        parameters of the last day): ``covered`` as it stands, or the ``to_last_day`` days from
        its first covered day to the last day (the refund of docs/spec.md 5.6)."""
        taken = self.take(C.LastDayCall(
            by=by, expiry=expiry, immediate=immediate, covered_days=covered,
            days_to_last_day=to_last_day, refund_unused=p.contribution("refund_unused"),
            refund_on_default=p.contribution("refund_on_default"),
            prorata=p.contribution("prorata")))
        return covered if taken is None else taken
