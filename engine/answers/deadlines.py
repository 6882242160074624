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

from ..core import calendar, dates
from . import hypothesis
from ..conventions import rulesfile
from ..core.events import Scenario
from ..present.i18n import ICS
from ..core.money import amount_text, fmt
from ..core.replay import replay
from ..core.timeline import Overdue, Timeline

_SEARCH_DAYS = 800  # how far back the notice-deadline search may step (extensions are a few days)


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
    # What is overdue on as_of and what that default allows (None: before the start).
    arrears: Arrears | None = None
    # The next call's amount, and the (input, year) whose value it lacks (the call would read a
    # stand-in: a declaration is expected before it), as the replay of the known events says.
    call_amount: Decimal | None = None
    declaration: tuple[str, int] | None = None
    # Who must receive each party's notice: ((party, (recipient, ...)), ...), the parameters on
    # the as-of date (or on the notice deadline).
    recipients: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The rules file's words for the parties, for the calendar's texts; not part of the value.
    rules: Any = attrs.field(default=None, eq=False, repr=False)

    def label(self, who: str, lang: str = "en") -> str:
        return who if self.rules is None else self.rules.label(who, lang)

    def recipients_of(self, party: str) -> tuple[str, ...]:
        return dict(self.recipients).get(party, ())

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
                "balance": None if self.balance is None else fmt(self.balance),
                "overdue": [] if self.arrears is None else [o.to_dict() for o in self.arrears.overdue],
                "at_once": [] if self.arrears is None else self.arrears.to_dict()["at_once"]}


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


@attrs.frozen
class Arrears:
    """What is overdue on a day and what that default allows under this convention.

    ``overdue``: every amount unpaid after its due date (oldest first), from the ledger's
    amounts and due dates with the money received by that day. ``at_once``: the (party, reason)
    pairs whose notice, given that day for that reason, would end the convention at once: the
    replay of that hypothetical notice says so (empty: the convention gives no such right, or
    it has ended)."""

    on: dt.date
    overdue: tuple[Overdue, ...] = ()
    at_once: tuple[tuple[str, str], ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((o.amount for o in self.overdue), Decimal(0))

    def to_dict(self) -> dict:
        return {"overdue": [o.to_dict() for o in self.overdue],
                "at_once": [{"party": p, "reason": r} for p, r in self.at_once]}


class Knowledge:
    """What is known of a convention on ``as_of``: its events dated on or before it (a fact
    learned later is not known), replayed by the engine. Every answer about what a notice would
    do, or what comes at the end of a period, is read from a replay of that knowledge (with one
    hypothetical notice when the question is about a notice): nothing is decided here."""

    def __init__(self, scenario: Scenario, as_of: dt.date):
        self.scenario = scenario
        self.as_of = as_of
        self.known = hypothesis.known_on(scenario, as_of)
        self.rules = rulesfile.of_scenario(scenario)
        base = rulesfile.in_force(self.rules, scenario.overrides)
        self.params = base.with_amendments(
            e for e in scenario.events if e.type == "amendment" and e.date <= as_of)
        self.start = scenario.start
        # When the rules are asked about a period's end, and when calls come: figures of the
        # calendar (what the rules then decide is read from the replay).
        self.term = calendar.Term.of(scenario.start, base.on(scenario.start))
        self.frequency = base.on(scenario.start).contribution("call")
        self._replays: dict[dt.date, Timeline] = {}
        self._tries: dict[tuple, tuple] = {}

    def params_on(self, day: dt.date):
        return self.params.on(day)

    def timeline(self, until: dt.date) -> Timeline:
        """The known events replayed up to ``until``."""
        t = self._replays.get(until)
        if t is None:
            t = self._replays[until] = replay(self.known, until=until)
        return t

    def _try(self, party: str, notified: dt.date, until: dt.date,
             reason: str | None = None) -> tuple[hypothesis.Fate, Timeline]:
        key = (party, notified, until, reason)
        hit = self._tries.get(key)
        if hit is None:
            t = replay(hypothesis.with_notice(self.known, party, notified, reason),
                       until=max(until, notified))
            hit = self._tries[key] = (hypothesis.fate(t, party, notified), t)
        return hit

    def notice_outcome(self, party: str, notified: dt.date, reason: str | None = None) -> dt.date | None:
        """The last day of a notice by ``party`` notified on ``notified``, as the replay of the
        known events with that notice decides; None when it would not end the convention
        (refused, void, superseded, after the end, or something else ends it first)."""
        f, _ = self._try(party, notified, notified, reason)
        if f.outcome != "accepted" or f.last_day is None:
            return None
        f, t = self._try(party, notified, f.last_day, reason)  # does it still rule on its last day?
        return f.last_day if f.outcome == "accepted" else None

    def latest_notice(self, party: str, last_allowed: dt.date, not_before: dt.date) -> dt.date | None:
        """The latest notification day whose notice (as the replay decides) ends the convention
        on or before ``last_allowed``."""
        # The parameters of N rule, and an amendment may change the period between N and the
        # last day: start from the latest N any period in force on the way allows (the true
        # answer is never later), then step back checking each N by a replay.
        days = [last_allowed, self.start] + [a.effective for a in self.params.amendments
                                             if a.effective <= last_allowed]
        n = max(dates.latest_notification(last_allowed, self.params_on(d).notice_period(party))
                for d in days)
        # Extensions (working days, period ends, exit dates) only push the last day later: step
        # back while the rules gave a last day too late; any other answer is final.
        floor = max(not_before, n - dt.timedelta(days=_SEARCH_DAYS))
        while n >= floor:
            f, _ = self._try(party, n, last_allowed)
            if f.outcome == "accepted" and f.last_day is not None and f.last_day <= last_allowed:
                return n
            if f.last_day is None or f.last_day <= last_allowed:
                return None
            n -= dates.ONE_DAY
        return None

    def arrears(self) -> Arrears:
        """What is overdue on ``as_of`` and which notice that default allows at once."""
        owed = self.timeline(self.as_of).overdue(self.as_of)
        if not owed:
            return Arrears(self.as_of)
        at_once = []
        for party in self.rules.parties:
            for reason in self.rules.reasons:
                f, _ = self._try(party, self.as_of, self.as_of, reason)
                if f.outcome == "accepted" and f.immediate:
                    at_once.append((party, reason))
        return Arrears(self.as_of, owed, tuple(at_once))


def arrears(scenario: Scenario, on: dt.date) -> Arrears:
    """What is overdue on ``on`` (knowing the events dated up to it) and what that default
    allows (see :class:`Arrears`); nothing before the start."""
    if on < scenario.start:
        return Arrears(on)
    return Knowledge(scenario, on).arrears()


def _next_period_end(term: calendar.Term, day: dt.date) -> dt.date | None:
    """The first end of a period (the initial term, then each periodic renewal) on or after
    ``day``: the next day the rules are asked whether the convention renews or expires."""
    if term.initial_end >= day:
        return term.initial_end
    if term.renewal != "periodic":
        return None
    k = 1
    while True:
        end = term.period_end(k)
        if end >= day:
            return end
        k += 1


def through_next_period_end(scenario: Scenario, day: dt.date) -> dt.date:
    """``day``, or the day after the first period end on or after it, whichever is later: how
    far to replay to know what the rules decide at the end of the period in course."""
    rules = rulesfile.of_scenario(scenario)
    p = rulesfile.in_force(rules, scenario.overrides).on(scenario.start)
    end = _next_period_end(calendar.Term.of(scenario.start, p), max(day, scenario.start))
    return day if end is None else max(day, end + dates.ONE_DAY)


def _first(t: Timeline, kind: str, on: dt.date | None = None, after: dt.date | None = None):
    for e in t.entries:
        if e.kind == kind and (on is None or e.date == on) and (after is None or e.date >= after):
            return e
    return None


def deadlines(scenario: Scenario, timeline: Any, as_of: dt.date) -> Deadlines:
    """The deadlines coming on ``as_of`` (see :class:`Deadlines`).

    ``timeline`` is the scenario's :class:`~engine.core.timeline.Timeline`: its termination, with
    hindsight, says whether the convention is scheduled to end or has ended (as `convention
    state` shows it). What is coming otherwise is read from replays of the events known on
    ``as_of``: the renewal or expiry at the next period's end, the next call, and each notice's
    last day (a hypothetical notice replayed). Raises ``ValueError`` when ``as_of`` is before
    the start. When ``as_of`` is after the timeline's horizon, the timeline is extended up to
    ``as_of`` (the same scenario replayed further, :meth:`Timeline.extended`).
    """
    if as_of < scenario.start:
        k = Knowledge(scenario, scenario.start)
        return Deadlines(name=timeline.name, as_of=as_of, status="not_started", rules=k.rules,
                         start=scenario.start, recipients=_recipients(k, scenario.start),
                         **_call_after(k, scenario.start))
    if as_of > timeline.horizon:
        timeline = timeline.extended(as_of, scenario)
    k = Knowledge(scenario, as_of)
    t = timeline.termination
    base = {"name": timeline.name, "as_of": as_of, "rules": k.rules, "arrears": k.arrears(),
            "recipients": _recipients(k, as_of)}
    if t is not None and t.last_day < as_of:
        known = timeline.extended(as_of, scenario) if as_of != timeline.horizon else timeline
        owed = sum((c.balance for c in known.contributions), Decimal(0))
        return Deadlines(**base, status="terminated", termination_by=t.by, notified=t.notified,
                         last_day=t.last_day, balance=owed)
    if t is not None and t.notified is not None and t.notified <= as_of:
        return Deadlines(**base, status="scheduled", termination_by=t.by, notified=t.notified,
                         last_day=t.last_day)

    # What the rules decide at the next period's end, as the known events replayed show it.
    period_end = _next_period_end(k.term, as_of)
    renewal_end = end = None
    if period_end is not None:
        kt = k.timeline(period_end + dates.ONE_DAY)
        r = kt.termination
        if r is not None and r.by != "expiry" and r.last_day <= period_end:
            # a notice known on as_of ends it first (the timeline, with hindsight, shows another)
            return Deadlines(**base, status="scheduled", termination_by=r.by, notified=r.notified,
                             last_day=r.last_day)
        expired = _first(kt, "expired", on=period_end + dates.ONE_DAY)
        if expired is not None:
            end = expired.detail["last_day"]
        elif _first(kt, "renewed", on=period_end + dates.ONE_DAY) is not None:
            renewal_end = period_end

    # Without a renewal to avoid, a convention that ends only on exit dates (docs/spec.md 8.1,
    # at_exit_date) has a deadline all the same: the notice that ends it on the next exit date
    # that a notice given today can still reach.
    p = k.params_on(as_of)
    exit_on = None
    if renewal_end is None and p.notice("effect") == "at_exit_date":
        day = as_of
        for _ in range(50):  # exit dates come at least once a year
            day = calendar.next_exit_date(day, p.notice("exit_dates"))
            if end is not None and day >= end:
                break  # the convention ends then anyway
            if any(k.latest_notice(party, day, as_of) is not None for party in k.rules.parties):
                exit_on = day
                break
            day += dates.ONE_DAY
    target = renewal_end or exit_on
    notices = []
    for party in k.rules.parties:
        period = dates.format_duration(k.params_on(as_of).notice_period(party))
        earliest = k.notice_outcome(party, as_of)
        by = None
        if target is not None:
            by = k.latest_notice(party, target, k.start)
            period = dates.format_duration(k.params_on(by or as_of).notice_period(party))
        notices.append(NoticeDeadline(party, period, by, by is not None and by < as_of, earliest))

    call = _call_after(k, as_of)
    if renewal_end is not None:
        return Deadlines(**base, status="renewal", term_ends=renewal_end,
                         renewal_on=renewal_end + dates.ONE_DAY, notices=tuple(notices), **call)
    if end is None:  # no period end ahead (indefinite renewal, initial term over)
        return Deadlines(**base, status="indefinite", notices=tuple(notices), exit_on=exit_on, **call)
    return Deadlines(**base, status="expiry", term_ends=end, notices=tuple(notices),
                     exit_on=exit_on, **call)


def _call_after(k: Knowledge, day: dt.date) -> dict[str, Any]:
    """The next contribution call on or after ``day``, its due date and amount, and the
    declaration it lacks, as the replay of the known events makes it (nothing: no call then:
    the convention has ended)."""
    when = calendar.next_call(day, k.start, k.frequency)
    e = _first(k.timeline(max(when, day)), "contribution_called", after=day)
    if e is None:
        return {}
    basis = k.rules.amount.basis
    lacking = e.detail.get("basis_for")  # the call reads a stand-in for that year's value
    return {"next_call": e.date, "call_due": e.detail["due_date"], "call_amount": e.detail.get("due"),
            "declaration": (basis.input, lacking) if basis is not None and lacking is not None else None}


def _recipients(k: Knowledge, day: dt.date) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Who must receive each party's notice under the parameters in force on ``day``."""
    to = k.params_on(day).notice("recipients") or {}
    return tuple((party, tuple(to.get(party, ()))) for party in k.rules.parties)


# ---------------------------------------------------------------------------- iCalendar

ALARM_DAYS = (90, 60, 30)


@attrs.frozen
class Entry:
    """One dated deadline of a convention: ``party`` the party giving notice (kind ``notice-*``),
    ``overdue`` the amount owed (kind ``overdue``)."""

    kind: str  # start | notice-PARTY | renewal | exit | expiry | call | payment-due | declaration | last-day | overdue
    date: dt.date
    party: str | None = None
    overdue: Overdue | None = None


def entries(d: Deadlines) -> list[Entry]:
    """Every dated deadline worth a calendar entry, in date then kind order.

    Notice deadlines already passed on the as-of date are left out; an ended convention keeps
    only what is still owed (its overdue amounts)."""
    out: list[Entry] = []
    if d.status == "scheduled" and d.last_day is not None:
        out.append(Entry("last-day", d.last_day))
    if d.status == "not_started" and d.start is not None:
        out.append(Entry("start", d.start))
    if d.status == "renewal" or d.exit_on is not None:
        out.extend(Entry(f"notice-{n.party}", n.notice_by, n.party) for n in d.notices
                   if n.notice_by is not None and not n.passed)
    if d.status == "renewal" and d.renewal_on is not None:
        out.append(Entry("renewal", d.renewal_on))
    if d.exit_on is not None:
        out.append(Entry("exit", d.exit_on))
    if d.status == "expiry" and d.term_ends is not None:
        out.append(Entry("expiry", d.term_ends))
    if d.status in ("renewal", "indefinite", "expiry") and d.next_call is not None:
        out.append(Entry("call", d.next_call))
        if d.call_due is not None:
            out.append(Entry("payment-due", d.call_due))
        if d.declaration is not None:  # before the call, or it reads a stand-in
            out.append(Entry("declaration", d.next_call))
    if d.arrears is not None:  # each amount overdue, on the as-of date: it is owed now
        out.extend(Entry("overdue", d.as_of, overdue=o) for o in d.arrears.overdue)
    return sorted(out, key=lambda e: (e.date, e.kind))  # stable: overdue amounts oldest first


def calendar_events(d: Deadlines) -> list[tuple[str, dt.date]]:
    """(kind, date) of :func:`entries`."""
    return [(e.kind, e.date) for e in entries(d)]


def _and(words: list[str], lang: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + (" et " if lang == "fr" else " and ") + words[-1]


def recipients_text(d: Deadlines, party: str, lang: str = "en") -> str:
    """Who must receive ``party``'s notice, in words: "the X and the Y"."""
    names = [d.label(r, lang) for r in d.recipients_of(party)]
    return _and(names if lang == "fr" else [f"the {n}" for n in names], lang)


def working_day_before(day: dt.date) -> dt.date | None:
    """None when ``day`` is a working day, else the working day before it (by which a letter
    due to be received on ``day`` must arrive: no post is delivered or signed for then)."""
    if dates.is_working_day(day):
        return None
    return dates.previous_working_day(day)


def received_text(d: Deadlines, party: str, when: dt.date, lang: str = "en") -> str:
    """The notice deadline as it must be read: the date the registered letter must be
    *received*, by whom, and the working day before when that date is not one."""
    text = ICS.get(lang, ICS["en"])
    out = text["received"].format(party=d.label(party, lang), date=dates.day_text(when, lang),
                                  recipients=recipients_text(d, party, lang))
    before = working_day_before(when)
    if before is not None:
        what = "sunday" if when.weekday() == 6 else "saturday" if when.weekday() == 5 else "holiday"
        out += text["not-working"].format(date=dates.day_text(when, lang), what=text[what],
                                          working=dates.day_text(before, lang))
    return out


def texts(d: Deadlines, e: Entry, lang: str = "en") -> tuple[str, str]:
    """The summary of one entry (without the convention's name) and its description."""
    text = ICS.get(lang, ICS["en"])
    key = e.kind
    if e.party is not None:
        key = "notice" if d.status == "renewal" else "notice-exit"
    if key == "payment-due" and d.call_amount is not None:
        key = "payment-due-amount"
    if e.overdue is not None:
        o = e.overdue
        at_once = d.arrears.at_once if d.arrears is not None else ()
        allows = "".join(text["overdue-allows"].format(party=d.label(p, lang), reason=d.label(r, lang))
                         for p, r in at_once)
        summary = text["overdue"].format(amount=amount_text(o.amount, lang),
                                         due_date=dates.day_text(o.due_date, lang),
                                         period=dates.day_text(o.period, lang), allows=allows)
    else:
        inp = d.declaration[0] if d.declaration is not None else ""
        summary = text[key].format(
            renewal=dates.day_text(d.renewal_on, lang), call=dates.day_text(d.next_call, lang),
            exit=dates.day_text(d.exit_on, lang), party=d.label(e.party or "", lang),
            amount=amount_text(d.call_amount, lang) if d.call_amount is not None else "",
            input=d.label(inp, lang), year=d.declaration[1] if d.declaration is not None else "",
            by=(text["by-expiry"] if d.termination_by == "expiry" else
                text["by-notice"].format(party=d.label(d.termination_by or "", lang))))
    description = received_text(d, e.party, e.date, lang) if e.party is not None else summary
    return summary, description


def _rules_id(d: Deadlines) -> str:
    return d.rules.id if d.rules is not None else ""


def uid(d: Deadlines, e: Entry, identity: str) -> str:
    """The same for the same deadline of the same convention across runs and processes, and
    different for two conventions (the rules id and ``identity``, the scenario's identity:
    its register id, or its file's path relative to the folder given) or two deadlines."""
    import uuid

    ident = f"{e.kind}:{e.date.isoformat()}"
    if e.overdue is not None:
        ident += f":{e.overdue.period.isoformat()}:{e.overdue.due_date.isoformat()}"
    u = uuid.uuid5(uuid.NAMESPACE_URL, f"convention-engine:{_rules_id(d)}:{identity}:{ident}")
    return f"{u}@convention-engine"


def _events(d: Deadlines, identity: str, lang: str, keep=lambda e: True) -> list:
    import icalendar

    text = ICS.get(lang, ICS["en"])
    stamp = dt.datetime.combine(d.as_of, dt.time(0, 0), tzinfo=dt.timezone.utc)
    out = []
    for e in entries(d):
        if not keep(e):
            continue
        summary, description = texts(d, e, lang)
        summary += f" — {d.name} ({_rules_id(d)})"
        ev = icalendar.Event()
        ev.add("uid", uid(d, e, identity))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.date)
        ev.add("dtend", e.date + dates.ONE_DAY)
        ev.add("summary", summary)
        ev.add("description", description + "\n" + text["convention"].format(
            name=d.name, rules=_rules_id(d)))
        ev.add("categories", [e.kind])
        ev.add("transp", "TRANSPARENT")
        if e.party is not None or e.kind == "payment-due":
            for days in ALARM_DAYS:
                alarm = icalendar.Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("trigger", dt.timedelta(days=-days))
                alarm.add("description", text["alarm"].format(days=days, summary=summary))
                ev.add_component(alarm)
        out.append(ev)
    return out


def _calendar(name: str):
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//convention-engine//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def to_ics(d: Deadlines, lang: str = "en", identity: str | None = None) -> bytes:
    """An iCalendar file of :func:`entries`: one all-day VEVENT each, with the convention's name
    and rules id in its SUMMARY, a DESCRIPTION (who must receive the registered letter, and by
    when), reminders 90, 60 and 30 days before each notice deadline and payment due date;
    deterministic (UID from the rules id, ``identity`` (default: the name), kind and date;
    DTSTAMP the as-of date at midnight UTC)."""
    cal = _calendar(d.name)
    for ev in _events(d, d.name if identity is None else identity, lang):
        cal.add_component(ev)
    return cal.to_ical()


def portfolio_ics(conventions, as_of: dt.date, before: dt.date, name: str, lang: str = "en") -> bytes:
    """One calendar for many conventions: ``conventions`` are (identity, Deadlines) pairs; the
    entries with ``as_of <= date < before``."""
    cal = _calendar(name)
    for identity, d in conventions:
        for ev in _events(d, identity, lang, keep=lambda e: as_of <= e.date < before):
            cal.add_component(ev)
    return cal.to_ical()
