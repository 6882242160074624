"""The term and notices: start, renewal, expiry, notices and the termination that rules.

A notice asks two decisions (docs/spec.md 5.2): whether it counts at all (``notice_received``:
its receipts, the standing on its notification day) and what it does (``notice``: refused,
immediate, scheduled, or displaced by a ruling that ends earlier). The figures they post (N, the
last day the readings give, the ruling's dates) are computed here; what follows from each
outcome is one function below, named as the consequence the rules file names.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs

from .. import calendar, contract as C, dates
from .. import params as P
from ..events import NoticeReceived
from ..rulecore import CATCH_ALL
from ..timeline import Period, Termination, periods
from .agenda import PH_CALL, PH_G, PH_PERIOD_END, PH_TERMINATE
from .state import Decided, Ruling, State, ask, diag, entry, evolve, params_on, push

if TYPE_CHECKING:
    from .driver import Replay

FAR = dt.date.max


def _day(d: dt.date | None) -> int:
    return C.FAR_DAY if d is None else d.toordinal()


@attrs.frozen
class Notice:
    """What a notice's decisions need: its receipts, N and its last day."""

    counted: dict
    missing: list
    notified: dt.date | None = None
    before_start: bool = False
    raw_last_day: dt.date | None = None
    last_day: dt.date | None = None


# ---------------------------------------------------------------------- the term


def period_end(ctx: Replay, k: int) -> C.PeriodEnd:
    m = ctx.term.max_renewals
    return C.PeriodEnd(k=k, renewal=ctx.term.renewal, max_renewals=P.UNLIMITED if m is None else m)


def started(s: State, d: Decided) -> State:
    ctx = s.ctx
    s = entry(s, d.rule, "started", {"initial_term_ends": ctx.initial_end, "renewal": ctx.term.renewal})
    s = push(s, ctx.start, PH_CALL, "call", ctx.start)
    return push(s, ctx.initial_end + dates.ONE_DAY, PH_PERIOD_END, "period_end", 0)


def renew(s: State, d: Decided) -> State:
    k, t = d.payload, s.ctx.term
    detail: dict[str, Any] = {"renewal": k + 1, "previous_period_ended": s.today - dates.ONE_DAY}
    if t.renewal == "periodic":
        end = t.period_end(k + 1)
        detail["period_ends"] = end
        s = push(s, end + dates.ONE_DAY, PH_PERIOD_END, "period_end", k + 1)
    else:
        detail["duration"] = "indeterminate"
    return entry(s, d.rule, "renewed", detail)


def expire(s: State, d: Decided) -> State:
    last = s.today - dates.ONE_DAY
    generation = s.generation + 1
    s = evolve(s, generation=generation, terminated=True,
               ruling=Ruling("expiry", None, last, False, d.rule, generation, True))
    return entry(s, d.rule, "expired", {"last_day": last, "renewals": d.payload})


def terminated(s: State, d: Decided) -> State:
    ruling = s.ruling
    assert ruling is not None  # a terminate item is scheduled by a ruling
    detail = {"by": ruling.by, "last_day": ruling.last_day}
    if ruling.last_day + dates.ONE_DAY != s.today:
        detail["terminated_from"] = ruling.last_day + dates.ONE_DAY
    return entry(evolve(s, terminated=True), d.rule, "terminated", detail)


def after_termination(s: State, d: Decided) -> State:
    e = d.payload[0] if isinstance(d.payload, tuple) else d.payload
    return diag(s, "event_after_termination", {"type": e.type, "date": e.date, "line": e.line})


def note(s: State, d: Decided) -> State:
    return entry(s, d.rule, d.args.kind, {"last_day": d.payload.last_day})


# ---------------------------------------------------------------------- notices


def notice_received(s: State, e: NoticeReceived) -> State:
    """The two decisions of a notice: whether it counts, then what it does."""
    ctx = s.ctx
    n = notice_figures(s, e)
    at_event = params_on(s, e.date)
    standing = standing_at(s, n.notified) if n.notified is not None else "unknown"
    s, done = ask(s, C.NoticeReceived(
        terminated=s.terminated, by=e.by, reason=e.reason or "", counted=len(n.counted),
        missing=len(n.missing), missing_recipient=at_event.notice("missing_recipient"),
        standing_at_n=standing), (e, n))
    if done in C.STOPS_NOTICE or n.notified is None:
        return s
    p = params_on(s, n.notified)
    ruling = s.ruling
    return ask(s, C.Notice(
        by=e.by, reason=e.reason or "", n=_day(n.notified), last_day=_day(n.last_day),
        initial_end=_day(ctx.initial_end), final_end=_day(ctx.final_end),
        ruling_last_day=_day(ruling.last_day if ruling else None),
        ruling_n=_day(ruling.notified if ruling else None),
        standing_at_n=standing, immediate_on_default=p.notice("immediate_on_default"),
        within_initial_term=p.notice("within_initial_term")), (e, n))[0]


def notice_figures(s: State, e: NoticeReceived) -> Notice:
    """The receipts that count, N (docs/spec.md 5.2) and the last day the readings give."""
    ctx = s.ctx
    at_event = params_on(s, e.date)
    counted, missing, n = calendar.notification(
        dict(e.received), at_event.recipients[e.by], at_event.notice("runs_from"),
        at_event.notice("unclaimed") == "first_presentation")
    if n is None:
        return Notice(counted, missing)
    notified = max(n, ctx.start)
    raw, last = ctx.readings.notice_last_day(ctx.term, params_on(s, notified), e.by, notified)
    return Notice(counted, missing, notified, n < ctx.start, raw, last)


def standing_at(s: State, day: dt.date) -> str:
    """Standing when processing a notice notified ``day``: now if today, else end of that day."""
    if day >= s.today:
        return s.standing.now
    return s.standing.at_end_of(day)


def _notice_diagnostics(s: State, e: NoticeReceived, n: Notice, void: bool = False) -> State:
    if n.missing:
        s = diag(s, "notice_missing_recipient", {"by": e.by, "line": e.line, "missing": list(n.missing)})
    if n.before_start and not void:  # a void notice has no notification date
        s = diag(s, "notice_before_start", {"by": e.by, "line": e.line, "start": s.ctx.start})
    return s


def _notice_detail(e: NoticeReceived, n: Notice) -> dict:
    return {"by": e.by, "notified": n.notified, "last_day": n.last_day,
            "line": e.line, "reason": e.reason}


def diagnose(s: State, d: Decided) -> State:
    e = d.payload[0] if isinstance(d.payload, tuple) else d.payload
    return diag(s, d.args.diagnostic, {"by": e.by, "line": e.line, "reason": e.reason or ""})


def notice_void(s: State, d: Decided) -> State:
    e, n = d.payload
    return _notice_diagnostics(s, e, n, void=True)


def supersede(s: State, d: Decided) -> State:
    if isinstance(d.payload[0], Ruling):  # a notice displaced by one that ends earlier
        old, e, new = d.payload
        s = entry(s, d.rule, "notice_superseded", {"by": old.by, "notified": old.notified,
                                                   "last_day": old.last_day,
                                                   "ruling_last_day": new.last_day})
        return diag(s, "notice_superseded", {"by": old.by, "notified": old.notified, "line": e.line},
                    message="notice_displaced")
    e, n = d.payload
    s = _notice_diagnostics(s, e, n)
    detail = _notice_detail(e, n)
    after_expiry = d.args.after_expiry
    if s.ruling is not None and not after_expiry:
        detail["ruling_last_day"] = s.ruling.last_day
    s = entry(s, d.rule, "notice_superseded", detail)
    return diag(s, "notice_superseded", {"by": e.by, "line": e.line},
                message="notice_after_expiry" if after_expiry else "notice_superseded")


def refuse_notice(s: State, d: Decided) -> State:
    e, n = d.payload
    s = _notice_diagnostics(s, e, n)
    initial_end = s.ctx.initial_end
    s = entry(s, d.rule, "notice_refused", dict(_notice_detail(e, n), initial_term_ends=initial_end))
    return diag(s, "notice_refused", {"by": e.by, "line": e.line, "last_day": n.last_day,
                                      "initial_end": initial_end})


def terminate_now(s: State, d: Decided) -> State:
    e, n = d.payload
    return _rule_termination(s, d.rule, e, attrs.evolve(n, last_day=n.notified), immediate=True)


def schedule_termination(s: State, d: Decided) -> State:
    e, n = d.payload
    return _rule_termination(s, d.rule, e, n, immediate=False)


def _rule_termination(s: State, rule: str, e: NoticeReceived, n: Notice, immediate: bool) -> State:
    s = _notice_diagnostics(s, e, n)
    old = s.ruling
    generation = s.generation + 1
    assert n.notified is not None and n.last_day is not None  # the rules end only a dated notice
    new = Ruling(e.by, n.notified, n.last_day, immediate, rule, generation)
    # A termination is scheduled from the first accepted notice on, even if a later one
    # displaces it (docs/spec.md 6: `notice`, a notice's termination is scheduled).
    s = evolve(s, ruling=new, generation=generation,
               first_notified=min(s.first_notified or FAR, n.notified))
    detail = dict(_notice_detail(e, n), immediate=immediate)
    if not immediate and n.raw_last_day != new.last_day:
        detail["period_last_day"] = n.raw_last_day
    s = entry(s, rule, "termination_scheduled", detail)
    if old is not None:
        s = ask(s, C.Displaced(by=old.by), (old, e, new))[0]
    # The last day's work (phase g) happens on the last day, or today when it is already past
    # (docs/spec.md 5.7: learned late, applied from its legal date, entries dated today).
    work_day = max(new.last_day, s.today)
    s = push(s, work_day, PH_G, "refund", new.generation)
    s = push(s, work_day, PH_G, "last_day", new.generation)
    if new.last_day >= s.today:
        return push(s, new.last_day + dates.ONE_DAY, PH_TERMINATE, "terminate", new.generation)
    return ask(s, C.Terminate(by=new.by))[0]


# ---------------------------------------------------------------------- in the timeline


def termination(s: State) -> Termination | None:
    ctx, ruling = s.ctx, s.ruling
    if ruling is None:
        k = ctx.term.last_period
        if k is None:
            return None
        # An expiry is known from the start: shown even when it falls after the horizon,
        # under the rule that decides it at the end of the last period.
        rule = ctx.decider.decide(period_end(ctx, k).posted())
        if rule == CATCH_ALL or ctx.rules.rules[rule].do != C.EXPIRE:
            return None
        # a last period means a last day: Term.final_end is set exactly when last_period is
        assert ctx.final_end is not None
        return Termination("expiry", None, ctx.final_end, False, rule)
    return Termination(ruling.by, ruling.notified, ruling.last_day, ruling.immediate, ruling.rule)


def periods_of(s: State) -> list[Period]:
    ctx, ruling = s.ctx, s.ruling
    return periods(ctx.start, ctx.horizon, ctx.initial_end,
                   ruling.last_day if ruling is not None else None,
                   s.first_notified if ruling is not None and ruling.notified is not None else None,
                   s.standing)
