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

from .. import calendar, contract as C, dates, params as P
from ..events import NoticeReceived
from ..rulecore import CATCH_ALL
from ..timeline import Period, Termination, periods
from .agenda import PH_CALL, PH_G, PH_PERIOD_END, PH_TERMINATE

if TYPE_CHECKING:
    from .driver import Replay

FAR = dt.date.max


def _day(d: dt.date | None) -> int:
    return C.FAR_DAY if d is None else d.toordinal()


@attrs.frozen
class Ruling:
    """The termination that rules (a notice, or the expiry)."""

    by: str
    notified: dt.date | None
    last_day: dt.date
    immediate: bool
    rule: str
    generation: int
    refund_point: bool = False  # the last day's prorata has been applied (or is due now)


def at_refund_point(r: Ruling) -> Ruling:
    return attrs.evolve(r, refund_point=True)


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


def period_end(r: Replay, k: int) -> C.PeriodEnd:
    m = r.term.max_renewals
    return C.PeriodEnd(k=k, renewal=r.term.renewal, max_renewals=P.UNLIMITED if m is None else m)


def started(r: Replay, _: Any) -> None:
    r.entry("started", {"initial_term_ends": r.initial_end, "renewal": r.term.renewal})
    r.push(r.start, PH_CALL, "call", r.start)
    r.push(r.initial_end + dates.ONE_DAY, PH_PERIOD_END, "period_end", 0)


def renew(r: Replay, k: int) -> None:
    detail: dict[str, Any] = {"renewal": k + 1, "previous_period_ended": r.today - dates.ONE_DAY}
    if r.term.renewal == "periodic":
        end = r.term.period_end(k + 1)
        detail["period_ends"] = end
        r.push(end + dates.ONE_DAY, PH_PERIOD_END, "period_end", k + 1)
    else:
        detail["duration"] = "indeterminate"
    r.entry("renewed", detail)


def expire(r: Replay, k: int) -> None:
    last = r.today - dates.ONE_DAY
    r.generation += 1
    r.ruling = Ruling("expiry", None, last, False, r.rule, r.generation, True)
    r.terminated = True
    r.entry("expired", {"last_day": last, "renewals": k})


def terminated(r: Replay, _: Any) -> None:
    ruling = r.ruling
    assert ruling is not None  # a terminate item is scheduled by a ruling
    r.terminated = True
    detail = {"by": ruling.by, "last_day": ruling.last_day}
    if ruling.last_day + dates.ONE_DAY != r.today:
        detail["terminated_from"] = ruling.last_day + dates.ONE_DAY
    r.entry("terminated", detail)


def after_termination(r: Replay, ctx: Any) -> None:
    e = ctx[0] if isinstance(ctx, tuple) else ctx
    r.diag(r.today, "event_after_termination", {"type": e.type, "date": e.date, "line": e.line})


def note(r: Replay, ruling: Ruling) -> None:
    r.entry(r.args.kind, {"last_day": ruling.last_day})


# ---------------------------------------------------------------------- notices


def notice_received(r: Replay, e: NoticeReceived) -> None:
    """The two decisions of a notice: whether it counts, then what it does."""
    n = notice_figures(r, e)
    at_event = r.params_on(e.date)
    standing = standing_at(r, n.notified) if n.notified is not None else "unknown"
    done = r.decide(C.NoticeReceived(
        terminated=r.terminated, by=e.by, reason=e.reason or "", counted=len(n.counted),
        missing=len(n.missing), missing_recipient=at_event.notice("missing_recipient"),
        standing_at_n=standing), (e, n))
    if done in C.STOPS_NOTICE or n.notified is None:
        return
    p = r.params_on(n.notified)
    ruling = r.ruling
    r.decide(C.Notice(
        by=e.by, reason=e.reason or "", n=_day(n.notified), last_day=_day(n.last_day),
        initial_end=_day(r.initial_end), final_end=_day(r.final_end),
        ruling_last_day=_day(ruling.last_day if ruling else None),
        ruling_n=_day(ruling.notified if ruling else None),
        standing_at_n=standing, immediate_on_default=p.notice("immediate_on_default"),
        within_initial_term=p.notice("within_initial_term")), (e, n))


def notice_figures(r: Replay, e: NoticeReceived) -> Notice:
    """The receipts that count, N (docs/spec.md 5.2) and the last day the readings give."""
    at_event = r.params_on(e.date)
    counted, missing, n = calendar.notification(
        dict(e.received), at_event.recipients[e.by], at_event.notice("runs_from"),
        at_event.notice("unclaimed") == "first_presentation")
    if n is None:
        return Notice(counted, missing)
    notified = max(n, r.start)
    raw, last = r.readings.notice_last_day(r.term, r.params_on(notified), e.by, notified)
    return Notice(counted, missing, notified, n < r.start, raw, last)


def standing_at(r: Replay, day: dt.date) -> str:
    """Standing when processing a notice notified ``day``: now if today, else end of that day."""
    if day >= r.today:
        return r.standing.now
    return r.standing.at_end_of(day)


def _notice_diagnostics(r: Replay, e: NoticeReceived, n: Notice, void: bool = False) -> None:
    if n.missing:
        r.diag(r.today, "notice_missing_recipient",
               {"by": e.by, "line": e.line, "missing": list(n.missing)})
    if n.before_start and not void:  # a void notice has no notification date
        r.diag(r.today, "notice_before_start", {"by": e.by, "line": e.line, "start": r.start})


def _notice_detail(e: NoticeReceived, n: Notice) -> dict:
    return {"by": e.by, "notified": n.notified, "last_day": n.last_day,
            "line": e.line, "reason": e.reason}


def diagnose(r: Replay, ctx: Any) -> None:
    e = ctx[0] if isinstance(ctx, tuple) else ctx
    r.diag(r.today, r.args.diagnostic, {"by": e.by, "line": e.line, "reason": e.reason or ""})


def notice_void(r: Replay, ctx: tuple) -> None:
    e, n = ctx
    _notice_diagnostics(r, e, n, void=True)


def supersede(r: Replay, ctx: tuple) -> None:
    if isinstance(ctx[0], Ruling):  # a notice displaced by one that ends earlier
        old, e, new = ctx
        r.entry("notice_superseded", {"by": old.by, "notified": old.notified,
                                      "last_day": old.last_day, "ruling_last_day": new.last_day})
        r.diag(r.today, "notice_superseded",
               {"by": old.by, "notified": old.notified, "line": e.line}, message="notice_displaced")
        return
    e, n = ctx
    _notice_diagnostics(r, e, n)
    detail = _notice_detail(e, n)
    after_expiry = r.args.after_expiry
    if r.ruling is not None and not after_expiry:
        detail["ruling_last_day"] = r.ruling.last_day
    r.entry("notice_superseded", detail)
    r.diag(r.today, "notice_superseded", {"by": e.by, "line": e.line},
           message="notice_after_expiry" if after_expiry else "notice_superseded")


def refuse_notice(r: Replay, ctx: tuple) -> None:
    e, n = ctx
    _notice_diagnostics(r, e, n)
    r.entry("notice_refused", dict(_notice_detail(e, n), initial_term_ends=r.initial_end))
    r.diag(r.today, "notice_refused", {"by": e.by, "line": e.line, "last_day": n.last_day,
                                       "initial_end": r.initial_end})


def terminate_now(r: Replay, ctx: tuple) -> None:
    e, n = ctx
    _rule_termination(r, e, attrs.evolve(n, last_day=n.notified), immediate=True)


def schedule_termination(r: Replay, ctx: tuple) -> None:
    e, n = ctx
    _rule_termination(r, e, n, immediate=False)


def _rule_termination(r: Replay, e: NoticeReceived, n: Notice, immediate: bool) -> None:
    _notice_diagnostics(r, e, n)
    rule = r.rule
    old = r.ruling
    r.generation += 1
    assert n.notified is not None and n.last_day is not None  # the rules end only a dated notice
    new = r.ruling = Ruling(e.by, n.notified, n.last_day, immediate, rule, r.generation)
    # A termination is scheduled from the first accepted notice on, even if a later one
    # displaces it (docs/spec.md 6: `notice`, a notice's termination is scheduled).
    r.first_notified = min(r.first_notified or FAR, n.notified)
    detail = dict(_notice_detail(e, n), immediate=immediate)
    if not immediate and n.raw_last_day != new.last_day:
        detail["period_last_day"] = n.raw_last_day
    r.entry("termination_scheduled", detail, rule=rule)
    if old is not None:
        r.decide(C.Displaced(by=old.by), (old, e, new))
    # The last day's work (phase g) happens on the last day, or today when it is already past
    # (docs/spec.md 5.7: learned late, applied from its legal date, entries dated today).
    work_day = max(new.last_day, r.today)
    r.push(work_day, PH_G, "refund", new.generation)
    r.push(work_day, PH_G, "last_day", new.generation)
    if new.last_day >= r.today:
        r.push(new.last_day + dates.ONE_DAY, PH_TERMINATE, "terminate", new.generation)
    else:
        r.decide(C.Terminate(by=new.by))


# ---------------------------------------------------------------------- in the timeline


def termination(r: Replay) -> Termination | None:
    ruling = r.ruling
    if ruling is None:
        k = r.term.last_period
        if k is None:
            return None
        # An expiry is known from the start: shown even when it falls after the horizon,
        # under the rule that decides it at the end of the last period.
        rule = r.decider.decide(period_end(r, k).posted())
        if rule == CATCH_ALL or r.rules.rules[rule].do != C.EXPIRE:
            return None
        return Termination("expiry", None, r.final_end, False, rule)
    return Termination(ruling.by, ruling.notified, ruling.last_day, ruling.immediate, ruling.rule)


def periods_of(r: Replay) -> list[Period]:
    ruling = r.ruling
    return periods(r.start, r.horizon, r.initial_end,
                   ruling.last_day if ruling is not None else None,
                   r.first_notified if ruling is not None and ruling.notified is not None else None,
                   r.standing)
