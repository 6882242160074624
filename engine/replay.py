"""The replay: a fold over an agenda of dated events, decisions taken by durable_rules.

The driver owns simulated time. It keeps an agenda (a heap ordered by date, phase of the day and
sequence) of the scenario's events and of the events rules schedule (period ends, calls, due
dates, last days). For each one it computes the figures a decision needs (dates as day numbers,
money as cents), posts them as a flat decision event to the rules engine
(:mod:`engine.rulecore`), and carries out the consequence named by the rule that fired (its `do`
in the rules file, with its arguments). Consequences record timeline entries and schedule what
follows; they never choose between outcomes, and no rule id or convention word appears here: the
rules file names them all.

The mechanics live beside it: :mod:`engine.calendar` (term, periods, notice last days, call
periods), :mod:`engine.ledger` (calls, allocation, what is overdue), :mod:`engine.formula` (the
amount of a call) and :mod:`engine.timeline` (the output).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from decimal import Decimal
from typing import Any, Callable

import attrs

from . import calendar, contract as C, dates, formula, i18n, money, params as P, rulesfile
from .readings import Readings
from .errors import ScenarioError
from .events import (
    AmendmentSigned,
    DisputeStep,
    Event,
    InputGiven,
    NoticeReceived,
    PaymentReceived,
    Scenario,
    Signed,
    thaw,
)
from .ledger import Call, Ledger, Standing
from .rulecore import CATCH_ALL, Decider
from .timeline import (
    Charge,
    Contribution,
    Diagnostic,
    Entry,
    Period,
    Termination,
    Timeline,
    figure_value,
    periods,
)

# Phases of a day (docs/spec.md 5.12).
PH_TERMINATE, PH_PERIOD_END, PH_C, PH_CALL, PH_CHECK, PH_F, PH_G = 1, 2, 3, 4, 5, 6, 7
FAR = dt.date.max
FAR_DAY = FAR.toordinal()  # how "no such day" is posted: later than any day


def _day(d: dt.date | None) -> int:
    return FAR_DAY if d is None else d.toordinal()


def _cents(a: Decimal) -> int:
    return int(money.round_cent(a) * 100)


def default_horizon(s: Scenario, initial_end: dt.date) -> dt.date:
    """31 December of the year after the later of the last event and the initial term's end."""
    last = initial_end
    for e in s.events:
        last = max(last, e.date)
    return dt.date(last.year + 1, 12, 31)


@attrs.define
class _Ruling:
    """The termination that rules (a notice, or the expiry)."""

    by: str
    notified: dt.date | None
    last_day: dt.date
    immediate: bool
    rule: str
    generation: int
    refund_point: bool = False  # the last day's prorata has been applied (or is due now)


@attrs.frozen
class _Figures:
    figures: dict  # every figure of the formula, `annual` among them
    annual: Decimal  # rounded to the cent
    due: Decimal
    basis: str  # known | estimated | unknown | none (the formula reads no basis)
    value: Any  # the basis value read (None: none known)
    source: int | None  # the year whose value was read
    ctx: formula.Context  # what the formula read, for the entries' detail


@attrs.define
class _Notice:
    """What a notice's decisions need: its receipts, N and its last day."""

    counted: dict
    missing: list
    notified: dt.date | None = None
    before_start: bool = False
    raw_last_day: dt.date | None = None
    last_day: dt.date | None = None


class Replay:
    """One replay of one scenario. Not shared between threads; use :func:`replay`."""

    def __init__(self, scenario: Scenario, until: dt.date | None = None):
        self.s = scenario
        self.rules = rulesfile.of_scenario(scenario)
        self.amount = self.rules.amount
        self.params = rulesfile.in_force(self.rules, scenario.overrides).with_amendments(())
        self.start = scenario.start
        self.base = self.params.on(self.start)
        self.term = calendar.Term.of(self.start, self.base)
        self.initial_end = self.term.initial_end
        self.horizon = until or scenario.horizon or default_horizon(scenario, self.initial_end)
        if self.horizon < self.start:
            raise ScenarioError(scenario.source, 0,
                                f"the horizon {self.horizon} is before the start {self.start}")
        self.final_end = self.term.final_end

        self.today = dt.date.min
        self._agenda: list = []
        self._order = itertools.count()
        self._checks: set[dt.date] = set()
        self.entries: list[Entry] = []
        self.diagnostics: list[Diagnostic] = []

        self.per_year: dict[str, dict[int, Any]] = {
            i.name: {} for i in self.rules.inputs.values() if i.per_year}
        for name, values in scenario.inputs:
            self.per_year[name] = dict(values)
        self.current: dict[str, Any] = dict(scenario.current)
        self.ledger = Ledger()
        self.standing = Standing()
        self.ruling: _Ruling | None = None
        self.first_notified: dt.date | None = None
        self.terminated = False
        # An amicable attempt opened and not yet closed, by the steps the rule of each dispute
        # event names (`do: {dispute: {opens: ..., closes: ...}}`).
        self.amicable_attempt = False
        self._generation = 0
        self._rule = CATCH_ALL
        self._args: Any = C.NoArgs()

    def params_on(self, day: dt.date) -> P.Params:
        """Rules file, overrides, then the known amendments effective on ``day`` (docs/spec.md 5.9)."""
        return self.params.on(day)

    # ------------------------------------------------------------------ agenda

    def _push(self, day: dt.date, phase: int, kind: str, payload: Any = None) -> None:
        if day > self.horizon:
            return
        heapq.heappush(self._agenda, (day, phase, next(self._order), kind, payload))
        self._ensure_check(day)

    def _ensure_check(self, day: dt.date) -> None:
        """Phase (e) runs on every day the replay visits (docs/spec.md 5.12)."""
        if day not in self._checks and day <= self.horizon:
            self._checks.add(day)
            heapq.heappush(self._agenda, (day, PH_CHECK, next(self._order), "check", None))

    def run(self) -> Timeline:
        self.decider = Decider(self.rules.definition)
        self.readings = Readings(self.decider, self.rules)
        try:
            return self._run()
        finally:
            self.decider.close()

    def _run(self) -> Timeline:
        phase_c = {i.event for i in self.rules.inputs.values()} | {"amendment"}
        for e in sorted(self.s.events, key=lambda e: (e.date, e.seq)):
            if e.date > self.horizon:
                self._diag(e.date, "event_beyond_horizon",
                           {"type": e.type, "date": e.date, "horizon": self.horizon}, level="info")
                continue
            self._push(e.date, PH_C if e.type in phase_c else PH_F, "event", e)
        self._push(self.start, 0, "start")
        while self._agenda:
            day, phase, _, kind, payload = heapq.heappop(self._agenda)
            if day != self.today:
                self._end_of_day()
                self.today = day
            getattr(self, "_item_" + kind)(payload)
        self._end_of_day()
        return self._timeline()

    def _end_of_day(self) -> None:
        if self.today == dt.date.min:
            return
        self.standing.end_of_day(self.today)

    def _decide(self, decision: C.Decision, ctx: Any = None) -> C.Consequence | None:
        """Post one decision event; carry out the consequence of the rule that fired.
        Returns the consequence (None when no rule fired)."""
        rule = self.decider.decide(decision.posted())
        if rule == CATCH_ALL:
            return None
        r = self.rules.rules[rule]
        self._rule, self._args = rule, r.given
        _HANDLERS[r.do](self, ctx)
        return r.do

    # ------------------------------------------------------------------ records

    def _entry(self, kind: str, detail: dict | None = None, rule: str | None = None) -> None:
        rule = rule or self._rule
        self.entries.append(Entry(self.today, kind, rule, self.rules.rules[rule].article, detail or {}))

    def _diag(self, day: dt.date, code: str, values: dict, level: str = "warning",
              message: str | None = None, tidy: bool = False) -> None:
        texts = []
        for lang in ("en", "fr"):
            text = rulesfile.render_message(self.rules.message(message or code, lang),
                                            i18n.format_values(values, lang, self.rules))
            texts.append(text.replace("  ", " ") if tidy else text)
        self.diagnostics.append(Diagnostic(day, level, code, texts[0], texts[1], values=dict(values)))

    # ------------------------------------------------------------------ agenda items

    def _item_start(self, _: Any) -> None:
        self._decide(C.Start())

    def _item_terminate(self, generation: int) -> None:
        if self.ruling and self.ruling.generation == generation and not self.terminated:
            self._decide(C.Terminate(by=self.ruling.by))

    def _item_period_end(self, k: int) -> None:
        if self.terminated:
            return
        self._decide(self._period_end(k), k)

    def _period_end(self, k: int) -> C.PeriodEnd:
        m = self.term.max_renewals
        return C.PeriodEnd(k=k, renewal=self.term.renewal,
                           max_renewals=P.UNLIMITED if m is None else m)

    def _item_call(self, first: dt.date) -> None:
        if self.terminated:
            return
        self._decide(C.CallDue(), first)

    def _item_check(self, _: Any) -> None:
        self._check_standing(overdue_check=True)

    def _item_event(self, e: Event) -> None:
        if isinstance(e, InputGiven):
            self._decide(C.InputGiven(event=e.type, terminated=self.terminated, year=e.year), e)
        else:
            getattr(self, "_event_" + e.type)(e)

    def _item_refund(self, generation: int) -> None:
        if self.ruling and self.ruling.generation == generation:
            self.ruling.refund_point = True
            self._reconcile()

    def _item_last_day(self, generation: int) -> None:
        if self.ruling and self.ruling.generation == generation:
            self._decide(C.LastDay(by=self.ruling.by), self.ruling)

    # ------------------------------------------------------------------ scenario events

    def _event_payment(self, e: PaymentReceived) -> None:
        self._decide(C.Payment(terminated=self.terminated), e)

    def _event_amendment(self, e: AmendmentSigned) -> None:
        self._decide(C.Amendment(terminated=self.terminated, touches_term="term" in e.set), e)

    def _event_dispute(self, e: DisputeStep) -> None:
        self._decide(C.Dispute(terminated=self.terminated, step=e.step,
                               amicable_open=self.amicable_attempt), e)

    def _event_signed(self, e: Signed) -> None:
        self._decide(C.Signed(terminated=self.terminated), e)

    def _event_notice(self, e: NoticeReceived) -> None:
        n = self._notice_figures(e)
        at_event = self.params_on(e.date)
        standing = self._standing_at(n.notified) if n.notified is not None else "unknown"
        done = self._decide(C.NoticeReceived(
            terminated=self.terminated, by=e.by, reason=e.reason or "", counted=len(n.counted),
            missing=len(n.missing), missing_recipient=at_event.notice("missing_recipient"),
            standing_at_n=standing), (e, n))
        if done in C.STOPS_NOTICE or n.notified is None:
            return
        p = self.params_on(n.notified)
        r = self.ruling
        self._decide(C.Notice(
            by=e.by, reason=e.reason or "", n=_day(n.notified), last_day=_day(n.last_day),
            initial_end=_day(self.initial_end), final_end=_day(self.final_end),
            ruling_last_day=_day(r.last_day if r else None), ruling_n=_day(r.notified if r else None),
            standing_at_n=standing, immediate_on_default=p.notice("immediate_on_default"),
            within_initial_term=p.notice("within_initial_term")), (e, n))

    def _notice_figures(self, e: NoticeReceived) -> _Notice:
        """The receipts that count, N (docs/spec.md 5.2) and the last day the calendar gives."""
        at_event = self.params_on(e.date)
        counted, missing, n = calendar.notification(
            dict(e.received), at_event.recipients[e.by], at_event.notice("runs_from"),
            at_event.notice("unclaimed") == "first_presentation")
        out = _Notice(counted, missing)
        if n is None:
            return out
        out.before_start = n < self.start
        n = max(n, self.start)
        p = self.params_on(n)
        out.notified = n
        out.raw_last_day, out.last_day = self.readings.notice_last_day(self.term, p, e.by, n)
        return out

    def _standing_at(self, day: dt.date) -> str:
        """Standing when processing a notice notified ``day``: now if today, else end of that day."""
        if day >= self.today:
            return self.standing.now
        return self.standing.at_end_of(day)

    # ------------------------------------------------------------------ consequences

    def _started(self, _: Any) -> None:
        self._entry("started", {"initial_term_ends": self.initial_end, "renewal": self.term.renewal})
        self._push(self.start, PH_CALL, "call", self.start)
        self._push(self.initial_end + dates.ONE_DAY, PH_PERIOD_END, "period_end", 0)

    def _renew(self, k: int) -> None:
        detail: dict[str, Any] = {"renewal": k + 1, "previous_period_ended": self.today - dates.ONE_DAY}
        if self.term.renewal == "periodic":
            end = self.term.period_end(k + 1)
            detail["period_ends"] = end
            self._push(end + dates.ONE_DAY, PH_PERIOD_END, "period_end", k + 1)
        else:
            detail["duration"] = "indeterminate"
        self._entry("renewed", detail)

    def _expire(self, k: int) -> None:
        last = self.today - dates.ONE_DAY
        self._generation += 1
        self.ruling = _Ruling("expiry", None, last, False, self._rule, self._generation, True)
        self.terminated = True
        self._entry("expired", {"last_day": last, "renewals": k})

    def _terminated(self, _: Any) -> None:
        r = self.ruling
        self.terminated = True
        detail = {"by": r.by, "last_day": r.last_day}
        if r.last_day + dates.ONE_DAY != self.today:
            detail["terminated_from"] = r.last_day + dates.ONE_DAY
        self._entry("terminated", detail)

    def _after_termination(self, ctx: Any) -> None:
        e = ctx[0] if isinstance(ctx, tuple) else ctx
        self._diag(self.today, "event_after_termination", {"type": e.type, "date": e.date, "line": e.line})

    def _record(self, e: InputGiven) -> None:
        if e.year is None:
            self.current[e.input] = e.value
            self._entry(e.input + "_recorded", {e.input: e.value})
            return
        values = self.per_year.setdefault(e.input, {})
        previous = values.get(e.year)
        values[e.year] = e.value
        detail: dict[str, Any] = {"year": e.year, e.field: e.value}
        if previous is not None:
            detail["previous"] = previous
        self._entry(e.input + "_recorded", detail)
        self._reconcile()

    def _amend(self, e: AmendmentSigned) -> None:
        self.params.amendments.append(e)
        self._entry("amendment_recorded", {"ref": e.ref, "effective": e.effective, "set": thaw(e.set)})
        code = self._args.diagnostic
        if code:  # without a ref, "amendment (line 3)", not "amendment  (line 3)"
            self._diag(self.today, code, {"ref": e.ref or "", "line": e.line}, tidy=True)
        self._reconcile()

    # -- contributions

    def _known_end(self) -> dt.date:
        end = FAR
        if self.final_end is not None:
            end = self.final_end
        if self.ruling is not None:
            end = min(end, self.ruling.last_day)
        return end

    def _basis_year(self, year: int, p: P.Params) -> int | None:
        """The year whose value is the basis of a call of calendar ``year``."""
        b = self.amount.basis
        if b is None:
            return None
        return year - 1 if p[b.year_param] == "previous_year" else year

    def _figures(self, c: Call, covered: int, p: P.Params, bump: str | None = None) -> _Figures:
        """The formula's figures for a call (``bump``: an input read one higher, for the other
        reading of a boundary value)."""
        b = self.amount.basis
        basis_values: dict = {}
        basis_years: dict = {}
        value = source = None
        status = "none"
        if b is not None:
            byear = self._basis_year(c.year, p)
            values = self.per_year.get(b.input, {})
            if byear in values:
                value, status, source = values[byear], "known", byear
            elif c.stand_in is not None and c.stand_in in values:
                value, status, source = values[c.stand_in], "estimated", c.stand_in
            else:
                status = "unknown"
            read = value
            if bump == b.input and read is not None:
                read = read + 1
            basis_values[b.input] = read
            basis_years[b.input] = source
        # The same facts give the same figures: a reconciliation recomputes every call, and most
        # of them have not changed (the parameters are cached objects, the current values fixed).
        key = (id(p), value, source, status, covered, bump)
        if c.memo is not None and c.memo[0] == key:
            return c.memo[1]
        current = c.current
        if bump is not None and bump in current:
            current = dict(current, **{bump: current[bump] + 1})
        ctx = formula.Context(p, basis_values, basis_years, current)
        figures, annual, due = formula.call_amounts(
            self.amount.figures, ctx, covered, c.period_days,
            calendar.PER_YEAR[self.base.contribution("call")], p.contribution("prorata") == "days")
        f = _Figures(figures, annual, due, status, value, source, ctx)
        c.memo = (key, f)
        return f

    def _call(self, first: dt.date) -> None:
        p = self.params_on(self.today)
        # The call frequency is the rules file's (and the overrides'): an amendment cannot change it.
        period_first, period_last = calendar.call_period(self.today, self.base.contribution("call"))
        covered = dates.days_between(max(self.start, period_first), min(period_last, self._known_end()))
        if covered <= 0:
            return
        stand_in = None
        b = self.amount.basis
        if b is not None:
            byear = self._basis_year(period_first.year, p)
            values = self.per_year.get(b.input, {})
            if byear not in values:
                earlier = [k for k in values if k < byear]
                stand_in = max(earlier) if earlier else None
        c = Call(period_first, period_last, self.today, covered,
                 dates.days_between(period_first, period_last), dict(self.current), stand_in)
        f = self._figures(c, covered, p)
        c.figures, c.annual, c.due = f.figures, f.annual, f.due
        c.read_from = (f.source, f.value)
        due_date = self.today + p.payment_term
        self.ledger.add(c, due_date)
        detail = self._row_detail(c, f)
        detail.update(covered_days=covered, due=f.due, due_date=due_date)
        detail[self._days_key(c)] = c.period_days
        if b is not None:
            # the year whose value was read; a stand-in also says the year it stands in for
            intended = self._basis_year(c.year, p)
            detail["basis_year"] = f.source
            if f.source != intended:
                detail["basis_for"] = intended
        for key, fn in self.amount.detail:
            detail[key] = fn(f.ctx)
        self._entry("contribution_called", detail)
        self._basis_diagnostics(c, f, p)
        for reading in self.amount.readings:
            self._reading(c, f, p, reading)
        self._ensure_check(due_date + dates.ONE_DAY)
        self._push(period_last + dates.ONE_DAY, PH_CALL, "call", period_last + dates.ONE_DAY)

    def _yearly(self, c: Call) -> bool:
        return c.first.month == 1 and c.first.day == 1 and c.last.month == 12 and c.last.day == 31

    def _days_key(self, c: Call) -> str:
        return "year_days" if self._yearly(c) else "period_days"

    def _row_detail(self, c: Call, f: _Figures) -> dict:
        detail: dict[str, Any] = {"year": c.year}
        if not self._yearly(c):
            detail["period"] = c.first
        for name, typ in self.amount.row:
            # a rate is written as it is ("0.0033"), not as money
            detail[name] = figure_value(f.figures[name], typ) if typ == "rate" else f.figures[name]
        detail["annual"] = f.annual
        return detail

    def _message_values(self, c: Call, f: _Figures, p: P.Params) -> dict:
        """What a basis or reading message may name; amounts stay Decimal (written per
        language), a rate and a figure the row does not type are written as they are."""
        rows = dict(self.amount.row)
        values: dict[str, Any] = {"year": c.year, "period": c.first, "value": f.value,
                                  "basis_year": self._basis_year(c.year, p), "stand_in": c.stand_in}
        for name, v in f.figures.items():
            values[name] = v if rows.get(name) in ("count", "year", "name", "amount") else _show(v)
        values["annual"] = f.annual
        return values

    def _basis_diagnostics(self, c: Call, f: _Figures, p: P.Params) -> None:
        b = self.amount.basis
        if b is None or f.basis not in ("estimated", "unknown"):
            return
        code = b.estimated if f.basis == "estimated" else b.unknown
        self._diag(self.today, code, self._message_values(c, f, p))

    def _reading(self, c: Call, f: _Figures, p: P.Params, reading: rulesfile.Reading) -> None:
        """A value the text puts on a boundary (listed beside its parameter): the other reading
        is the same call with that value + 1, told when its annual amount differs."""
        value = f.value if self.rules.inputs[reading.input].per_year else c.current.get(reading.input)
        if value is None or value not in p[reading.values_param]:
            return
        other = self._figures(c, c.covered_days, p, bump=reading.input)
        if other.annual == f.annual:
            return
        values = self._message_values(c, f, p)
        values["value"] = value
        values.update({f"other.{k}": v for k, v in self._message_values(c, other, p).items()})
        self._diag(self.today, reading.code, values, message=reading.message)

    def _target_covered(self, c: Call) -> tuple[int, bool, bool]:
        """Covered days a call should now have; whether the last day's prorata cut them
        (refund); whether the call is for a period after the last day. The rules say how many
        days the call of the last day's period keeps (engine/readings.py)."""
        r = self.ruling
        if r is None or not r.refund_point:
            return c.covered_days, False, False
        if c.first > r.last_day:
            return 0, False, c.covered_days > 0
        if c.last >= r.last_day:
            kept = self.readings.days_kept(
                r.by, r.by == "expiry", r.immediate, c.covered_days,
                dates.days_between(max(self.start, c.first), r.last_day), self.params_on(r.last_day))
            if kept != c.covered_days:
                return kept, True, False
        return c.covered_days, False, False

    def _reconcile(self) -> None:
        """Recompute every call from its figures; adjust the ones that changed.

        Money is reallocated and the standing checked once all calls are adjusted, so that a
        fact that changes several calls never shows a default that exists only halfway through.
        """
        changed = False
        basis_readings = [r for r in self.amount.readings if self.rules.inputs[r.input].per_year]
        for c in self.ledger.calls.values():
            covered, refund, beyond = self._target_covered(c)
            p = self.params_on(c.called_on)
            f = self._figures(c, covered, p)
            read_from = (f.source, f.value)
            recount = read_from != c.read_from
            if f.due == c.due:
                # Nothing owed changes (an equal amount, a free one): figures follow silently.
                c.figures, c.annual, c.covered_days = f.figures, f.annual, covered
            else:
                figures: dict[str, Any] = {}
                for name, typ in self.amount.row:
                    for key, v in ((name, f.figures[name]), ("was_" + name, c.figures[name])):
                        posted = _posted(v, typ)
                        if posted is not None:
                            figures[key] = posted
                self._decide(C.Adjust(refund=refund, beyond_last_day=beyond, figures=figures),
                             (c, covered, f))
                changed = True
            c.read_from = read_from
            if recount:
                for reading in basis_readings:
                    self._reading(c, f, p, reading)
        if changed:
            self.ledger.allocate()
            self._check_standing()

    def _adjust(self, ctx: tuple) -> None:
        c, covered, f = ctx
        before = c.due
        p = self.params_on(self.today)
        due_date = self.today + p.payment_term
        if f.due > before:
            self._ensure_check(due_date + dates.ONE_DAY)
        self.ledger.change_due(c, f.due, due_date)
        detail = self._row_detail(c, f)
        detail.update({"from": before, "to": f.due, "covered_days": covered})
        if self.ruling is not None and self._args.show_last_day:
            detail["last_day"] = self.ruling.last_day
        for name in self.amount.previous:
            if f.figures[name] != c.figures[name]:
                detail["previous_" + name] = c.figures[name]
        for key, fn in self.amount.detail:
            if key in self.amount.correction_detail:
                v = fn(f.ctx)
                if v is not None:
                    detail[key] = v
        c.figures, c.annual, c.covered_days = f.figures, f.annual, covered
        self._entry("contribution_adjusted", detail)

    # -- money and standing

    def _overdue(self, _: Any) -> None:
        self.standing.now = "in_default"
        self._entry("payment_overdue", {"overdue": self.ledger.overdue(self.today)})

    def _cured(self, _: Any) -> None:
        self.standing.now = "current"
        self._entry("default_cured", {})

    def _check_standing(self, overdue_check: bool = False) -> None:
        """Ask the rules about the standing when it may change: in the day's phase (e)
        (``overdue_check``), and after money or a lower due. The rules say when a default may
        start (the shipped files: only in phase (e)) and when it is cured. Nothing is posted while
        the overdue amount agrees with the standing."""
        if self.ledger.any_overdue(self.today) != (self.standing.now == "in_default"):
            self._decide(C.Standing(overdue=_cents(self.ledger.overdue(self.today)),
                                    standing=self.standing.now, daily_check=overdue_check))

    def _payment(self, e: PaymentReceived) -> None:
        year = e.for_year
        if year is not None and not self.ledger.called(year):
            # docs/spec.md 5.5: only a year already called on the payment's date can be named.
            self._diag(self.today, "payment_for_uncalled_year",
                       {"line": e.line, "year": year, "amount": e.amount})
            year = None
        self.ledger.receive(e.amount, year)
        detail: dict[str, Any] = {"amount": e.amount}
        if year is not None:
            detail["for"] = year
        self._entry("payment_received", detail)
        if e.date < self.start:  # still money received: it pays the first calls (docs/semantics.md)
            self._diag(self.today, "payment_before_start",
                       {"amount": e.amount, "date": e.date, "line": e.line, "start": self.start})
        self._check_standing()

    # -- notices

    def _notice_diagnostics(self, e: NoticeReceived, n: _Notice, void: bool = False) -> None:
        if n.missing:
            self._diag(self.today, "notice_missing_recipient",
                       {"by": e.by, "line": e.line, "missing": list(n.missing)})
        if n.before_start and not void:  # a void notice has no notification date
            self._diag(self.today, "notice_before_start", {"by": e.by, "line": e.line, "start": self.start})

    def _diagnose(self, ctx: Any) -> None:
        e = ctx[0] if isinstance(ctx, tuple) else ctx
        code = self._args.diagnostic
        self._diag(self.today, code, {"by": e.by, "line": e.line, "reason": e.reason or ""})

    def _notice_void(self, ctx: tuple) -> None:
        e, n = ctx
        self._notice_diagnostics(e, n, void=True)

    def _notice_detail(self, e: NoticeReceived, n: _Notice) -> dict:
        return {"by": e.by, "notified": n.notified, "last_day": n.last_day,
                "line": e.line, "reason": e.reason}

    def _supersede(self, ctx: tuple) -> None:
        if isinstance(ctx[0], _Ruling):  # a notice displaced by one that ends earlier
            old, e, new = ctx
            self._entry("notice_superseded", {"by": old.by, "notified": old.notified,
                                              "last_day": old.last_day, "ruling_last_day": new.last_day})
            self._diag(self.today, "notice_superseded",
                       {"by": old.by, "notified": old.notified, "line": e.line}, message="notice_displaced")
            return
        e, n = ctx
        self._notice_diagnostics(e, n)
        detail = self._notice_detail(e, n)
        after_expiry = self._args.after_expiry
        if self.ruling is not None and not after_expiry:
            detail["ruling_last_day"] = self.ruling.last_day
        self._entry("notice_superseded", detail)
        self._diag(self.today, "notice_superseded", {"by": e.by, "line": e.line},
                   message="notice_after_expiry" if after_expiry else "notice_superseded")

    def _refuse_notice(self, ctx: tuple) -> None:
        e, n = ctx
        self._notice_diagnostics(e, n)
        self._entry("notice_refused", dict(self._notice_detail(e, n), initial_term_ends=self.initial_end))
        self._diag(self.today, "notice_refused", {"by": e.by, "line": e.line, "last_day": n.last_day,
                                                  "initial_end": self.initial_end})

    def _terminate_now(self, ctx: tuple) -> None:
        e, n = ctx
        self._rule_termination(e, attrs.evolve(n, last_day=n.notified), immediate=True)

    def _schedule_termination(self, ctx: tuple) -> None:
        e, n = ctx
        self._rule_termination(e, n, immediate=False)

    def _rule_termination(self, e: NoticeReceived, n: _Notice, immediate: bool) -> None:
        self._notice_diagnostics(e, n)
        rule = self._rule
        old = self.ruling
        self._generation += 1
        r = self.ruling = _Ruling(e.by, n.notified, n.last_day, immediate, rule, self._generation)
        # A termination is scheduled from the first accepted notice on, even if a later one
        # displaces it (docs/spec.md 6: `notice`, a notice's termination is scheduled).
        self.first_notified = min(self.first_notified or FAR, r.notified)
        detail = dict(self._notice_detail(e, n), immediate=immediate)
        if not immediate and n.raw_last_day != r.last_day:
            detail["period_last_day"] = n.raw_last_day
        self._entry("termination_scheduled", detail, rule=rule)
        if old is not None:
            self._decide(C.Displaced(by=old.by), (old, e, r))
        # The last day's work (phase g) happens on the last day, or today when it is already past
        # (docs/spec.md 5.7: learned late, applied from its legal date, entries dated today).
        work_day = max(r.last_day, self.today)
        self._push(work_day, PH_G, "refund", r.generation)
        self._push(work_day, PH_G, "last_day", r.generation)
        if r.last_day >= self.today:
            self._push(r.last_day + dates.ONE_DAY, PH_TERMINATE, "terminate", r.generation)
        else:
            self._decide(C.Terminate(by=r.by))

    def _note(self, ruling: _Ruling) -> None:
        self._entry(self._args.kind, {"last_day": ruling.last_day})

    # -- disputes, signing

    def _dispute(self, e: DisputeStep) -> None:
        court = self._args.court
        code = self._args.diagnostic
        if code:
            self._diag(self.today, code, {"line": e.line, "court": court or "", "step": e.step})
        if e.step == self._args.opens:
            self.amicable_attempt = True
        elif e.step == self._args.closes:
            self.amicable_attempt = False
        detail = {"step": e.step}
        if e.step == "referred" and court:
            detail["court"] = court
        self._entry("dispute_" + e.step, detail)

    def _signed(self, e: Signed) -> None:
        self._entry("signed", {"ref": e.ref})

    # ------------------------------------------------------------------ result

    def _timeline(self) -> Timeline:
        row = self.amount.row
        return Timeline(
            convention=self.rules.id,
            name=self.s.name,
            start=self.start,
            horizon=self.horizon,
            periods=tuple(self._periods()),
            termination=self._termination(),
            unallocated=self.ledger.unallocated,
            contributions=tuple(
                Contribution(c.year, c.first, c.last, tuple((n, t, c.figures[n]) for n, t in row),
                             c.annual, c.covered_days, c.period_days, self._yearly(c), c.due,
                             c.paid, c.called_on)
                for c in self.ledger.calls.values()),
            entries=tuple(self.entries),
            diagnostics=tuple(self.diagnostics),
            scenario=self.s,
            replayer=replay,
            charges=tuple(Charge(c.first, c.year, ch.due_date, ch.amount, ch.covered)
                          for c in self.ledger.calls.values() for ch in c.charges),
        )

    def _termination(self) -> Termination | None:
        r = self.ruling
        if r is None:
            k = self.term.last_period
            if k is None:
                return None
            # An expiry is known from the start: shown even when it falls after the horizon,
            # under the rule that decides it at the end of the last period.
            rule = self.decider.decide(self._period_end(k).posted())
            if rule == CATCH_ALL or self.rules.rules[rule].do != C.EXPIRE:
                return None
            return Termination("expiry", None, self.final_end, False, rule)
        return Termination(r.by, r.notified, r.last_day, r.immediate, r.rule)

    def _periods(self) -> list[Period]:
        r = self.ruling
        return periods(self.start, self.horizon, self.initial_end,
                       r.last_day if r is not None else None,
                       self.first_notified if r is not None and r.notified is not None else None,
                       self.standing)


def _show(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _posted(v: Any, typ: str) -> Any:
    """A row figure as the rules see it: as in the JSON row, but amounts in cents (a rate stays
    text, compared for equality only); null is not posted."""
    if typ == "amount" and v is not None:
        return _cents(Decimal(v))
    return figure_value(v, typ)


# Each consequence a rules file may name, carried out by its method (checked complete at import).
_HANDLERS: dict[C.Consequence, Callable[[Replay, Any], None]] = C.handlers({
    C.STARTED: Replay._started, C.TERMINATED: Replay._terminated, C.EXPIRE: Replay._expire,
    C.RENEW: Replay._renew, C.AFTER_TERMINATION: Replay._after_termination,
    C.RECORD: Replay._record, C.AMEND: Replay._amend, C.CALL: Replay._call,
    C.OVERDUE: Replay._overdue, C.CURED: Replay._cured, C.PAYMENT: Replay._payment,
    C.NOTICE_VOID: Replay._notice_void, C.DIAGNOSE: Replay._diagnose,
    C.TERMINATE_NOW: Replay._terminate_now, C.SUPERSEDE: Replay._supersede,
    C.REFUSE_NOTICE: Replay._refuse_notice, C.SCHEDULE_TERMINATION: Replay._schedule_termination,
    C.ADJUST: Replay._adjust, C.NOTE: Replay._note, C.DISPUTE: Replay._dispute,
    C.SIGNED: Replay._signed,
}, among=C.EFFECTS)


def replay(scenario: Scenario, until: dt.date | None = None) -> Timeline:
    """Replay a scenario up to ``until`` (default: its horizon) and return its timeline."""
    return Replay(scenario, until).run()
