"""Readings the rules take between figures Python computes (docs/flow.md, "Readings").

Some answers are a choice between dates or numbers rather than an action: when a notice ends
(the period, the working-day extension, the effect, the postponement within the initial term,
docs/spec.md 5.2 and 8.1), how many days the call of a termination's last day keeps, and that a
period after the last day keeps none (5.6), which year's basis value a call reads and which
known year stands in when it is not known (5.8). For each, Python computes every candidate
(``N + P``, the next working day, the end of the period, the exit date, the initial term's end,
the days up to the last day, the call's year and the one before, the latest years known) and
posts them in one
decision event of engine/core/contract.py; the rule that fires says which candidate to take
(``do: {take: {figure: ...}}``), and no rule leaves the figure as it stands. So a rules file can
change each reading without Python.

The replay and ``deadlines`` ask the same questions through :class:`Readings`, with their own
:class:`~engine.core.rulecore.Decider`. A reading's answer depends only on the event posted and
the rules file (no rule keeps anything between events), so each rules file's answers are kept
and shared by its replays: durable_rules is asked once per distinct event.
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


_MISSING = object()
# rules file (by id, kept alive here so that the id is not reused) -> its answers by event
_ANSWERS: dict[int, tuple[Any, dict[C.Decision, int | None]]] = {}
_MAX_ANSWERS = 100_000  # per rules file: past it, start again (a service replays for months)


class Readings:
    """The readings of one rules file, asked through one decider."""

    def __init__(self, decider: Decider, rules: Any):
        self.decider = decider
        self.rules = rules
        hit = _ANSWERS.get(id(rules))
        if hit is None or hit[0] is not rules:
            hit = _ANSWERS[id(rules)] = (rules, {})
        self.answers = hit[1]
        self._years: dict[tuple[int, str], int] = {}  # (year, choice) -> basis year, this replay

    def take(self, decision: C.Decision) -> int | None:
        """Post a reading's decision event; the figure the rule that fired takes (None: no rule
        fired, the figure stands; or the figure taken is none). Only `take` can carry out these
        events (the loader checks it)."""
        value: Any = self.answers.get(decision, _MISSING)
        if value is not _MISSING:
            return value
        rule = self.decider.decide(decision.posted())
        value = None if rule == CATCH_ALL else getattr(decision, self.rules.rules[rule].given.figure)
        if len(self.answers) >= _MAX_ANSWERS:
            self.answers.clear()
        self.answers[decision] = value
        return value

    def basis_year(self, year: int, choice: str) -> int:
        """The year whose basis value a call of calendar ``year`` reads (``choice``: the value of
        the basis's `year` parameter on the call date): the year the rule takes, else ``year``."""
        key = (year, choice)
        hit = self._years.get(key)
        if hit is None:
            taken = self.take(C.BasisYear(year=year, year_before=year - 1, choice=choice))
            hit = self._years[key] = year if taken is None else taken
        return hit

    def stand_in(self, basis_year: int, known: Any) -> int | None:
        """The year whose value stands in for ``basis_year``'s, not known on the call date
        (``known``: the years known then); None: none stands in."""
        earlier = [y for y in known if y < basis_year]
        return self.take(C.StandIn(basis_year=basis_year,
                                   latest_before=max(earlier) if earlier else None,
                                   latest_known=max(known) if known else None))

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
                  p: Params, after_last_day: bool = False) -> int:
        """The days the call of a period holding a termination's last day, or beginning after it
        (``after_last_day``, ``to_last_day`` 0), keeps (``p``: the parameters of the last day):
        ``covered`` as it stands, or the ``to_last_day`` days from its first covered day to the
        last day (the refund of docs/spec.md 5.6)."""
        taken = self.take(C.LastDayCall(
            by=by, expiry=expiry, immediate=immediate, covered_days=covered,
            days_to_last_day=to_last_day, refund_unused=p.contribution("refund_unused"),
            refund_on_default=p.contribution("refund_on_default"),
            prorata=p.contribution("prorata"), after_last_day=after_last_day))
        return covered if taken is None else taken
