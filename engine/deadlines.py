"""Coming deadlines of a convention on a date (docs/spec.md 7, `convention deadlines`).

A pure function of a scenario, its timeline and an as-of date: the coming tacit renewal, for each
party the last day to give notice so that the convention ends before it, the earliest last day a
notice given on the as-of date would produce, and the next contribution call with its due date.

Knowledge: the parameters are those of the rules file, the overrides and the amendments *known on
the as-of date* (an amendment event dated on or before it); the termination state is the
timeline's, with hindsight (as `convention state` shows it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from . import calendar, dates, rulesfile
from .events import Scenario
from .i18n import ICS
from .money import fmt
from .rulecore import CATCH_ALL, Decider

_SEARCH_DAYS = 800  # how far back the notice-deadline search may step (extensions are a few days)
_EFFECTIVE = ("schedule_termination", "terminate_now")  # consequences that end the convention


@attrs.frozen
class NoticeDeadline:
    """One party's notice deadline."""

    party: str  # a party of the rules file
    period: str  # the notice period in force then, ISO 8601 (P2M)
    notice_by: dt.date | None  # latest notification day so that the last day is before the renewal
    passed: bool  # notice_by is before the as-of date: that renewal can no longer be avoided
    earliest_last_day: dt.date | None  # last day if notified on the as-of date (None: no effect)

    def to_dict(self) -> dict:
        return {"party": self.party, "period": self.period, "notice_by": _iso(self.notice_by),
                "passed": self.passed, "earliest_last_day": _iso(self.earliest_last_day)}


@attrs.frozen
class Deadlines:
    """What is coming on ``as_of``. ``status`` says which of the other fields are meaningful:

    - ``not_started``: the convention is signed but not yet in force: it starts on ``start``;
      the first call (``next_call``, ``call_due``) is on that day.
    - ``renewal``: a tacit renewal is coming on ``renewal_on`` (the day after ``term_ends``);
      ``notices`` give each party's deadline to avoid it.
    - ``indefinite``: the initial term is over and the convention runs for an indefinite duration
      (no coming renewal); ``notices`` give the earliest last day of a notice given on ``as_of``.
    - ``expiry``: no renewal is coming, the convention expires after ``term_ends``; ``notices``
      give the earliest last day of a notice given on ``as_of`` (None when after the expiry).
    - ``scheduled``: a termination is scheduled (``termination_by``, ``notified``, ``last_day``).
    - ``terminated``: the convention ended on ``last_day``; ``balance`` is what its calls still
      ask (negative: a credit to refund), as known on ``as_of``.
    """

    name: str
    as_of: dt.date
    status: str  # renewal | indefinite | expiry | scheduled | terminated
    term_ends: dt.date | None = None
    renewal_on: dt.date | None = None
    notices: tuple[NoticeDeadline, ...] = ()
    next_call: dt.date | None = None
    call_due: dt.date | None = None
    termination_by: str | None = None
    notified: dt.date | None = None
    last_day: dt.date | None = None
    exit_on: dt.date | None = None  # the next exit date a notice can still reach (at_exit_date)
    start: dt.date | None = None  # the first day in force (status not_started)
    balance: Decimal | None = None  # what is still owed (negative: a credit), once terminated
    # The rules file's words for the parties, for the calendar's texts; not part of the value.
    rules: Any = attrs.field(default=None, eq=False, repr=False)

    def label(self, who: str, lang: str = "en") -> str:
        return who if self.rules is None else self.rules.label(who, lang)

    def notice(self, party: str) -> NoticeDeadline | None:
        for n in self.notices:
            if n.party == party:
                return n
        return None

    def to_dict(self) -> dict:
        return {"name": self.name, "as_of": _iso(self.as_of), "status": self.status,
                "term_ends": _iso(self.term_ends), "renewal_on": _iso(self.renewal_on),
                "notices": [n.to_dict() for n in self.notices],
                "next_call": _iso(self.next_call), "call_due": _iso(self.call_due),
                "termination_by": self.termination_by, "notified": _iso(self.notified),
                "last_day": _iso(self.last_day), "exit_on": _iso(self.exit_on),
                "start": _iso(self.start),
                "balance": None if self.balance is None else fmt(self.balance)}


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


class Knowledge:
    """What is known of a convention on a date, for questions about notices not yet given: the
    term (calendar), the parameters with the amendments learned by then, and the rules, which
    say whether a notice would take effect. Nothing is replayed."""

    def __init__(self, scenario: Scenario, as_of: dt.date):
        self.scenario = scenario
        self.rules = rulesfile.of_scenario(scenario)
        base = rulesfile.in_force(self.rules, scenario.overrides)
        self.params = base.with_amendments(
            e for e in scenario.events if e.type == "amendment" and e.date <= as_of)
        self.start = scenario.start
        self.term = calendar.Term.of(scenario.start, base.on(scenario.start))
        self.frequency = base.on(scenario.start).contribution("call")

    def params_on(self, day: dt.date):
        return self.params.on(day)

    def notice_outcome(self, decider: Decider, party: str, notified: dt.date) -> dt.date | None:
        """The last day a notice by ``party`` notified on ``notified`` (with no other notice
        given) would have; None when the rules give it no effect (refused, after the expiry)."""
        p = self.params_on(notified)
        _, last = calendar.notice_last_day(self.term, p, party, notified)
        far = dt.date.max.toordinal()
        final_end = self.term.final_end
        rule = decider.decide({
            "t": "notice", "by": party, "reason": "", "n": notified.toordinal(),
            "last_day": far if last is None else last.toordinal(),
            "initial_end": self.term.initial_end.toordinal(),
            "final_end": far if final_end is None else final_end.toordinal(),
            "ruling_last_day": far, "ruling_n": far, "standing_at_n": "current",
            "immediate_on_default": p.notice("immediate_on_default"),
            "within_initial_term": p.notice("within_initial_term")})
        if rule == CATCH_ALL or self.rules.rules[rule].do not in _EFFECTIVE:
            return None
        return last

    def latest_notice(self, decider: Decider, party: str, last_allowed: dt.date,
                      not_before: dt.date) -> dt.date | None:
        """The latest notification day whose notice ends the convention on or before
        ``last_allowed``."""
        # The parameters of N rule, and an amendment may change the period between N and the
        # last day: start from the latest N any period in force on the way allows (the true
        # answer is never later), then step back checking each N with its own parameters.
        days = [last_allowed, self.start] + [a.effective for a in self.params.amendments
                                             if a.effective <= last_allowed]
        n = max(dates.latest_notification(last_allowed, self.params_on(d).notice_period(party))
                for d in days)
        # Extensions (working days, period ends, exit dates) only push the last day later: step back.
        floor = max(not_before, n - dt.timedelta(days=_SEARCH_DAYS))
        while n >= floor:
            last = self.notice_outcome(decider, party, n)
            if last is not None and last <= last_allowed:
                return n
            n -= dates.ONE_DAY
        return None

    def next_call(self, as_of: dt.date, end: dt.date | None) -> tuple:
        """The next contribution call on or after ``as_of`` while in force, and its due date."""
        call = calendar.next_call(as_of, self.start, self.frequency)
        if end is not None and call > end:
            return None, None
        return call, call + self.params_on(call).payment_term


def deadlines(scenario: Scenario, timeline: Any, as_of: dt.date) -> Deadlines:
    """The deadlines coming on ``as_of`` (see :class:`Deadlines`).

    ``timeline`` is the scenario's :class:`~engine.timeline.Timeline` (handed in: this module
    imports neither the timeline nor the replay). Raises ``ValueError`` when ``as_of`` is before
    the start. When ``as_of`` is after the
    timeline's horizon, the timeline is extended up to ``as_of`` (the same scenario replayed
    further, :meth:`Timeline.extended`) to know its state then.
    """
    if as_of < scenario.start:
        k = Knowledge(scenario, scenario.start)
        call, due = k.next_call(scenario.start, k.term.final_end)
        return Deadlines(name=timeline.name, as_of=as_of, status="not_started", rules=k.rules,
                         start=scenario.start, next_call=call, call_due=due)
    if as_of > timeline.horizon:
        timeline = timeline.extended(as_of, scenario)
    k = Knowledge(scenario, as_of)
    t = timeline.termination
    base = {"name": timeline.name, "as_of": as_of, "rules": k.rules}
    if t is not None and t.last_day < as_of:
        known = timeline.extended(as_of, scenario) if as_of != timeline.horizon else timeline
        owed = sum((c.balance for c in known.contributions), Decimal(0))
        return Deadlines(**base, status="terminated", termination_by=t.by, notified=t.notified,
                         last_day=t.last_day, balance=owed)
    if t is not None and t.notified is not None and t.notified <= as_of:
        return Deadlines(**base, status="scheduled", termination_by=t.by, notified=t.notified,
                         last_day=t.last_day)

    # The next period end on or after as_of that is followed by a renewal.
    renewal_end = None
    for i, end in enumerate(k.term.period_ends()):  # only the initial term unless periodic
        if end >= as_of:
            if k.term.can_renew_after(i):
                renewal_end = end
            break

    # Without a renewal to avoid, a convention that ends only on exit dates (docs/spec.md 8.1,
    # at_exit_date) has a deadline all the same: the notice that ends it on the next exit date
    # that a notice given today can still reach.
    final_end = k.term.final_end
    p = k.params_on(as_of)
    decider = Decider(k.rules.definition)
    try:
        exit_on = None
        if renewal_end is None and p.notice("effect") == "at_exit_date":
            day = as_of
            for _ in range(50):  # exit dates come at least once a year
                day = calendar.next_exit_date(day, p.notice("exit_dates"))
                if final_end is not None and day >= final_end:
                    break  # the convention ends then anyway
                if any((k.latest_notice(decider, party, day, k.start) or dt.date.min) >= as_of
                       for party in k.rules.parties):
                    exit_on = day
                    break
                day += dates.ONE_DAY
        target = renewal_end or exit_on
        notices = []
        for party in k.rules.parties:
            period = dates.format_duration(k.params_on(as_of).notice_period(party))
            earliest = k.notice_outcome(decider, party, as_of)
            by = None
            if target is not None:
                by = k.latest_notice(decider, party, target, k.start)
                period = dates.format_duration(k.params_on(by or as_of).notice_period(party))
            notices.append(NoticeDeadline(party, period, by, by is not None and by < as_of, earliest))
    finally:
        decider.close()

    if renewal_end is not None:
        call, due = k.next_call(as_of, None)
        return Deadlines(**base, status="renewal", term_ends=renewal_end,
                         renewal_on=renewal_end + dates.ONE_DAY, notices=tuple(notices),
                         next_call=call, call_due=due)
    if final_end is None:  # indefinite renewal, initial term over
        call, due = k.next_call(as_of, None)
        return Deadlines(**base, status="indefinite", notices=tuple(notices), next_call=call,
                         call_due=due, exit_on=exit_on)
    call, due = k.next_call(as_of, final_end)
    return Deadlines(**base, status="expiry", term_ends=final_end, notices=tuple(notices),
                     next_call=call, call_due=due, exit_on=exit_on)


# ---------------------------------------------------------------------------- iCalendar

ALARM_DAYS = (90, 60, 30)


def calendar_events(d: Deadlines) -> list[tuple[str, dt.date]]:
    """(kind, date) of every dated deadline worth a calendar entry, in date then kind order.

    Notice deadlines already passed on the as-of date are left out; a terminated convention keeps
    its last day (a calendar needs at least one component)."""
    out: list[tuple[str, dt.date]] = []
    if d.status in ("scheduled", "terminated"):
        # a terminated convention's calendar keeps its last day: RFC 5545 wants one component
        out.append(("last-day", d.last_day))
    if d.status == "not_started":
        out.append(("start", d.start))
    if d.status == "renewal" or d.exit_on is not None:
        out.extend((f"notice-{n.party}", n.notice_by) for n in d.notices
                   if n.notice_by is not None and not n.passed)
    if d.status == "renewal":
        out.append(("renewal", d.renewal_on))
    if d.exit_on is not None:
        out.append(("exit", d.exit_on))
    if d.status == "expiry":
        out.append(("expiry", d.term_ends))
    if d.status in ("renewal", "indefinite", "expiry") and d.next_call is not None:
        out.append(("call", d.next_call))
        out.append(("payment-due", d.call_due))
    return sorted(out, key=lambda kd: (kd[1], kd[0]))


def to_ics(d: Deadlines, lang: str = "en") -> bytes:
    """An iCalendar file of :func:`calendar_events`: one all-day VEVENT each, reminders 90, 60
    and 30 days before each notice deadline; deterministic (UID from name, kind and date;
    DTSTAMP the as-of date at midnight UTC)."""
    import uuid

    import icalendar

    text = ICS.get(lang, ICS["en"])
    stamp = dt.datetime.combine(d.as_of, dt.time(0, 0), tzinfo=dt.timezone.utc)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//convention-engine//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", d.name)
    for kind, when in calendar_events(d):
        ev = icalendar.Event()
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"convention-engine:{d.name}:{kind}:{when.isoformat()}")
        party = kind[len("notice-"):] if kind.startswith("notice-") else None
        key = kind if not party else ("notice" if d.status == "renewal" else "notice-exit")
        summary = text[key].format(
            renewal=dates.day_text(d.renewal_on, lang), call=dates.day_text(d.next_call, lang),
            exit=dates.day_text(d.exit_on, lang),
            party=d.label(party or "", lang),
            by=(text["by-expiry"] if d.termination_by == "expiry" else
                text["by-notice"].format(party=d.label(d.termination_by or "", lang)))) + f" — {d.name}"
        ev.add("uid", f"{uid}@convention-engine")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", when)
        ev.add("dtend", when + dates.ONE_DAY)
        ev.add("summary", summary)
        ev.add("categories", [kind])
        ev.add("transp", "TRANSPARENT")
        if kind.startswith("notice-"):
            for days in ALARM_DAYS:
                alarm = icalendar.Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("trigger", dt.timedelta(days=-days))
                alarm.add("description", text["alarm"].format(days=days, summary=summary))
                ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()
