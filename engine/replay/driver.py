"""The driver: simulated time, one decision per agenda item, the consequence carried out.

For each item of the agenda (engine/replay/agenda.py) the driver builds the decision event the
item asks (engine/contract.py), posts it to durable_rules through :class:`~engine.rulecore.Decider`
and hands the rule's consequence to the function that carries it out: one function per
consequence, grouped by mechanic (engine/replay/term.py, charges.py, standing.py, disputes.py),
found in ``_HANDLERS``, a table checked complete against the contract at import. The driver holds
what every mechanic shares (the rules file, the parameters, the dates of the term, the agenda, the
records) and nothing a mechanic decides.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from .. import calendar, contract as C, params as P, rulesfile
from ..errors import ScenarioError
from ..events import Event, InputGiven, NoticeReceived, Scenario
from ..ledger import Ledger, Standing
from ..readings import Readings
from ..rulecore import CATCH_ALL, Decider
from ..timeline import Charge, Contribution, Entry, Timeline
from . import charges, disputes, standing, term
from .agenda import PH_C, PH_F, PH_START, Agenda
from .text import Said, render


def default_horizon(s: Scenario, initial_end: dt.date) -> dt.date:
    """31 December of the year after the later of the last event and the initial term's end."""
    last = initial_end
    for e in s.events:
        last = max(last, e.date)
    return dt.date(last.year + 1, 12, 31)


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
        self.agenda = Agenda(self.horizon)
        self.entries: list[Entry] = []
        self.said: list[Said] = []

        self.per_year: dict[str, dict[int, Any]] = {
            i.name: {} for i in self.rules.inputs.values() if i.per_year}
        for name, values in scenario.inputs:
            self.per_year[name] = dict(values)
        self.current: dict[str, Any] = dict(scenario.current)
        self.ledger = Ledger()
        self.standing = Standing()
        self.ruling: term.Ruling | None = None
        self.first_notified: dt.date | None = None
        self.terminated = False
        # An amicable attempt opened and not yet closed, by the steps the rule of each dispute
        # event names (`do: {dispute: {opens: ..., closes: ...}}`).
        self.amicable_attempt = False
        self.generation = 0
        self.rule = CATCH_ALL
        self.args: Any = C.NoArgs()

    def params_on(self, day: dt.date) -> P.Params:
        """Rules file, overrides, then the known amendments effective on ``day`` (docs/spec.md 5.9)."""
        return self.params.on(day)

    def push(self, day: dt.date, phase: int, kind: str, payload: Any = None) -> None:
        self.agenda.push(day, phase, kind, payload)

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
                self.diag(e.date, "event_beyond_horizon",
                          {"type": e.type, "date": e.date, "horizon": self.horizon}, level="info")
                continue
            self.push(e.date, PH_C if e.type in phase_c else PH_F, "event", e)
        self.push(self.start, PH_START, "start")
        while self.agenda:
            day, phase, _, kind, payload = self.agenda.pop()
            if day != self.today:
                self._end_of_day()
                self.today = day
            _ITEMS[kind](self, payload)
        self._end_of_day()
        return self._timeline()

    def _end_of_day(self) -> None:
        if self.today == dt.date.min:
            return
        self.standing.end_of_day(self.today)

    def decide(self, decision: C.Decision, ctx: Any = None) -> C.Consequence | None:
        """Post one decision event; carry out the consequence of the rule that fired.
        Returns the consequence (None when no rule fired)."""
        rule = self.decider.decide(decision.posted())
        if rule == CATCH_ALL:
            return None
        r = self.rules.rules[rule]
        self.rule, self.args = rule, r.given
        _HANDLERS[r.do](self, ctx)
        return r.do

    # ------------------------------------------------------------------ records

    def entry(self, kind: str, detail: dict | None = None, rule: str | None = None) -> None:
        rule = rule or self.rule
        self.entries.append(Entry(self.today, kind, rule, self.rules.rules[rule].article, detail or {}))

    def diag(self, day: dt.date, code: str, values: dict, level: str = "warning",
             message: str | None = None, tidy: bool = False) -> None:
        """A diagnostic as a fact; its words are made when the timeline is built (text.py)."""
        self.said.append(Said(day, level, code, dict(values), message or code, tidy))

    # ------------------------------------------------------------------ result

    def _timeline(self) -> Timeline:
        row = self.amount.row
        calls = self.ledger.calls.values()
        return Timeline(
            convention=self.rules.id,
            name=self.s.name,
            start=self.start,
            horizon=self.horizon,
            periods=tuple(term.periods_of(self)),
            termination=term.termination(self),
            unallocated=self.ledger.unallocated,
            contributions=tuple(
                Contribution(c.year, c.first, c.last, tuple((n, t, c.figures[n]) for n, t in row),
                             c.annual, c.covered_days, c.period_days, charges.yearly(c), c.due,
                             c.paid, c.called_on)
                for c in calls),
            entries=tuple(self.entries),
            diagnostics=tuple(render(s, self.rules) for s in self.said),
            scenario=self.s,
            replayer=replay,
            charges=tuple(Charge(c.first, c.year, ch.due_date, ch.amount, ch.covered)
                          for c in calls for ch in c.charges),
        )


# ---------------------------------------------------------------------- agenda items
# Each item asks one decision (or none, when the convention has ended); the figures it posts
# are computed here or by the mechanic that owns them.


def _item_start(r: Replay, _: Any) -> None:
    r.decide(C.Start())


def _item_terminate(r: Replay, generation: int) -> None:
    if r.ruling and r.ruling.generation == generation and not r.terminated:
        r.decide(C.Terminate(by=r.ruling.by))


def _item_period_end(r: Replay, k: int) -> None:
    if r.terminated:
        return
    r.decide(term.period_end(r, k), k)


def _item_call(r: Replay, first: dt.date) -> None:
    if r.terminated:
        return
    r.decide(C.CallDue(), first)


def _item_check(r: Replay, _: Any) -> None:
    standing.check(r, daily_check=True)


def _item_refund(r: Replay, generation: int) -> None:
    if r.ruling and r.ruling.generation == generation:
        r.ruling = term.at_refund_point(r.ruling)
        charges.reconcile(r)


def _item_last_day(r: Replay, generation: int) -> None:
    if r.ruling and r.ruling.generation == generation:
        r.decide(C.LastDay(by=r.ruling.by), r.ruling)


def _item_event(r: Replay, e: Event) -> None:
    if isinstance(e, InputGiven):
        r.decide(C.InputGiven(event=e.type, terminated=r.terminated, year=e.year), e)
    elif isinstance(e, NoticeReceived):
        term.notice_received(r, e)
    else:
        _EVENTS[e.type](r, e)


_ITEMS: dict[str, Callable[[Replay, Any], None]] = {
    "start": _item_start, "terminate": _item_terminate, "period_end": _item_period_end,
    "call": _item_call, "check": _item_check, "event": _item_event, "refund": _item_refund,
    "last_day": _item_last_day,
}

# The scenario's events other than inputs and notices: the decision each asks.
_EVENTS: dict[str, Callable[[Replay, Any], None]] = {
    "payment": lambda r, e: r.decide(C.Payment(terminated=r.terminated), e),
    "amendment": lambda r, e: r.decide(
        C.Amendment(terminated=r.terminated, touches_term="term" in e.set), e),
    "dispute": lambda r, e: r.decide(
        C.Dispute(terminated=r.terminated, step=e.step, amicable_open=r.amicable_attempt), e),
    "signed": lambda r, e: r.decide(C.Signed(terminated=r.terminated), e),
}


# Each consequence a rules file may name, carried out by its function in the module of its
# mechanic (checked complete against engine/contract.py at import).
_HANDLERS: dict[C.Consequence, Callable[[Replay, Any], None]] = C.handlers({
    # the term and notices
    C.STARTED: term.started, C.RENEW: term.renew, C.EXPIRE: term.expire,
    C.TERMINATED: term.terminated, C.AFTER_TERMINATION: term.after_termination,
    C.NOTICE_VOID: term.notice_void, C.DIAGNOSE: term.diagnose,
    C.TERMINATE_NOW: term.terminate_now, C.SUPERSEDE: term.supersede,
    C.REFUSE_NOTICE: term.refuse_notice, C.SCHEDULE_TERMINATION: term.schedule_termination,
    C.NOTE: term.note,
    # charges and the ledger
    C.RECORD: charges.record, C.AMEND: charges.amend, C.CALL: charges.call,
    C.ADJUST: charges.adjust, C.PAYMENT: charges.payment,
    # the standing
    C.OVERDUE: standing.overdue, C.CURED: standing.cured,
    # disputes and signed documents
    C.DISPUTE: disputes.dispute, C.SIGNED: disputes.signed,
}, among=C.EFFECTS)


def replay(scenario: Scenario, until: dt.date | None = None) -> Timeline:
    """Replay a scenario up to ``until`` (default: its horizon) and return its timeline."""
    return Replay(scenario, until).run()
