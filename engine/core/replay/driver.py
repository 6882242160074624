"""The driver: a fold of the agenda, one decision per item, the consequence applied.

``step(state, item) -> state`` runs one agenda item (engine/core/replay/agenda.py): it builds the
decision event the item asks (engine/core/contract.py), posts it to durable_rules through
:class:`~engine.core.rulecore.Decider` and applies the rule's consequence, a function
``(state, decided) -> state`` of the module of its mechanic (engine/core/replay/term.py,
charges.py, standing.py, disputes.py), found in ``HANDLERS``, a table checked complete against
the contract at import. :class:`Replay` holds what is fixed for one replay (the rules file, the
parameters, the term's dates, the rules engine's session); the state (engine/core/replay/state.py)
holds everything that changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import attrs

from .. import calendar, contract as C, timebox
from .. import params as P
from ...errors import ScenarioError
from ..events import Event, InputGiven, NoticeReceived, Scenario
from ..ledger import Ledger
from ..readings import Readings
from ..rulecore import CATCH_ALL, Decider
from ..timeline import Contribution, Timeline
from . import charges, disputes, standing, term
from .agenda import PH_C, PH_CHECK, PH_F, PH_START, Agenda, Item
from .state import Decided, State, ask, diag, evolve
from .text import render

Consequence = Callable[[State, Decided], State]


def default_horizon(s: Scenario, initial_end: dt.date) -> dt.date:
    """31 December of the year after the later of the last event and the initial term's end."""
    last = initial_end
    for e in s.events:
        last = max(last, e.date)
    return dt.date(last.year + 1, 12, 31)


class Replay:
    """What is fixed for one replay of one scenario, and the rules engine's session it asks.
    Not shared between threads; use :func:`replay`."""

    def __init__(self, scenario: Scenario, until: dt.date | None = None):
        self.s = scenario
        # The loaded rules file, as the loader gave it with the scenario: the core reads it (its
        # rules, parameters, amount and messages) and never loads one (engine/conventions/).
        self.rules = scenario.rules
        if self.rules is None:
            raise ValueError("a scenario without its rules file: load it with engine.load_scenario")
        self.amount = self.rules.amount
        self.params = self.rules.in_force(scenario.overrides).with_amendments(())
        self.start = scenario.start
        self.base = self.params.on(self.start)
        self.term = calendar.Term.of(self.start, self.base)
        self.initial_end = self.term.initial_end
        self.horizon = until or scenario.horizon or default_horizon(scenario, self.initial_end)
        if self.horizon < self.start:
            raise ScenarioError(scenario.source, 0,
                                f"the horizon {self.horizon} is before the start {self.start}")
        self.final_end = self.term.final_end
        # The figures last computed for each call, with the facts they came from: a cache
        # (a reconciliation recomputes every call, and most have not changed), not state.
        # (a call's period, the input read one higher for the other reading, or None)
        self.memo: dict[tuple[dt.date, str | None], Any] = {}
        # The parameters on a day while no amendment is known (most days of most replays).
        self.plain: dict[dt.date, P.Params] = {}
        self.state: State | None = None  # the last state, once run

    def initial(self) -> State:
        per_year: dict[str, dict[int, Any]] = {
            i.name: {} for i in self.rules.inputs.values() if i.per_year}
        for name, values in self.s.inputs:
            per_year[name] = dict(values)
        return State(self, Agenda(self.horizon), Ledger(), per_year=per_year,
                     current=dict(self.s.current))

    def ask(self, s: State, decision: C.Decision, payload: Any) -> tuple[State, C.Consequence | None]:
        rule = self.decider.decide(decision.posted())
        if rule == CATCH_ALL:
            return s, None
        given, do = self.dispatch[rule]
        handler = HANDLERS.get(do)
        if handler is None:  # the contract fits a reading's rules to its own events only
            raise TypeError(f"rule {rule} decides a reading, not a consequence")
        return handler(s, Decided(rule, given, payload)), do

    def run(self, seen: Callable[[State], None] | None = None) -> Timeline:
        """The timeline of the fold (``seen``: called with the first state and after each step)."""
        self.decider = Decider(self.rules.definition)
        self.dispatch = _dispatch(self.rules)
        self.readings = Readings(self.decider, self.rules)
        try:
            s = self.initial()
            phase_c = {i.event for i in self.rules.inputs.values()} | {"amendment"}
            agenda = s.agenda
            for e in sorted(self.s.events, key=lambda e: (e.date, e.seq)):
                if e.date > self.horizon:
                    s = diag(s, "event_beyond_horizon",
                             {"type": e.type, "date": e.date, "horizon": self.horizon},
                             level="info", day=e.date)
                    continue
                agenda = agenda.push(e.date, PH_C if e.type in phase_c else PH_F, "event", e)
            s = evolve(s, agenda=agenda.push(self.start, PH_START, "start"))
            if seen is not None:
                seen(s)
            while s.agenda:
                timebox.check()  # a server's time limit stops the replay here
                s = step(s, s.agenda.items[0])
                if seen is not None:
                    seen(s)
            self.state = s = end_of_day(day_check(s))
            return self.timeline(s)
        finally:
            self.decider.close()

    def timeline(self, s: State) -> Timeline:
        row = self.amount.row
        calls = s.ledger.calls.values()
        return Timeline(
            convention=self.rules.id,
            name=self.s.name,
            start=self.start,
            horizon=self.horizon,
            periods=tuple(term.periods_of(s)),
            termination=term.termination(s),
            unallocated=s.ledger.unallocated,
            contributions=tuple(
                Contribution(c.year, c.first, c.last, tuple((n, t, c.figures[n]) for n, t in row),
                             c.annual, c.covered_days, c.period_days, charges.yearly(c), c.due,
                             c.paid, c.called_on)
                for c in calls),
            entries=s.entries,
            diagnostics=tuple(render(said, self.rules) for said in s.said),
            scenario=self.s,
            replayer=replay,
            charges=s.ledger.amounts(),
        )


def end_of_day(s: State) -> State:
    if s.today == dt.date.min:
        return s
    standing = s.standing.end_of_day(s.today)
    return s if standing is s.standing else evolve(s, standing=standing)


def step(s: State, item: Item) -> State:
    """The state after ``item``, the next item of the agenda: taken off the agenda, then run.

    Phase (e), the standing's check (docs/spec.md 5.12), runs on every day the replay visits,
    after the day's items of phases (a)-(d): here, before the first item that comes after it
    (on its day, or on a later day when the day had none), and at the end (:func:`day_check`).
    A check with nothing to ask (the overdue amounts agree with the standing) only records that
    it ran, in the step's one evolve. A new day first records the standing the day before
    ended with."""
    day, phase, _, kind, payload = item
    today = s.today
    checked = s.checked
    if day != today and checked != today and today != dt.date.min:  # the day left, unchecked
        if _to_ask(s, today):
            s = standing.check(evolve(s, checked=today), daily_check=True)
        checked = today
    ask = phase >= PH_CHECK and checked != day
    if ask:
        ask = _to_ask(s, day)  # the same after the move below: it changes neither
        checked = day
    agenda = s.agenda.without(item)
    if day == today:
        s = evolve(s, agenda=agenda, checked=checked)
    elif today == dt.date.min:
        s = evolve(s, agenda=agenda, today=day, checked=checked)
    else:  # one evolve for all: a step runs for each of the agenda's items
        s = evolve(s, agenda=agenda, today=day, checked=checked,
                   standing=s.standing.end_of_day(today))
    if ask:
        s = standing.check(s, daily_check=True)
    return _ITEMS[kind](s, payload)


def _to_ask(s: State, day: dt.date) -> bool:
    """Whether the day's check has something to ask the rules (engine/core/replay/standing.py)."""
    return s.ledger.any_overdue(day) != (s.standing.now == "in_default")


def day_check(s: State) -> State:
    """Phase (e) of the last day visited, when the agenda ran out before it."""
    if s.today == dt.date.min or s.checked == s.today:
        return s
    s = evolve(s, checked=s.today)
    return standing.check(s, daily_check=True) if _to_ask(s, s.today) else s


# ---------------------------------------------------------------------- agenda items
# Each item asks one decision (or none, when the convention has ended); the figures it posts
# are computed here or by the mechanic that owns them.


def _item_start(s: State, _: Any) -> State:
    return ask(s, C.Start())[0]


def _item_terminate(s: State, generation: int) -> State:
    r = s.ruling
    if r and r.generation == generation and not s.terminated:
        return ask(s, C.Terminate(by=r.by))[0]
    return s


def _item_period_end(s: State, k: int) -> State:
    if s.terminated:
        return s
    return ask(s, term.period_end(s.ctx, k), k)[0]


def _item_call(s: State, first: dt.date) -> State:
    if s.terminated:
        return s
    return ask(s, C.CallDue(after_last_day=charges.after_last_day(s)), first)[0]


def _item_check(s: State, _: Any) -> State:
    """A day visited for its phase (e) check only: the check runs as the day's next item comes
    (:func:`step`), or at the end (:func:`day_check`)."""
    return s


def _item_refund(s: State, generation: int) -> State:
    r = s.ruling
    if r and r.generation == generation:
        return charges.reconcile(evolve(s, ruling=attrs.evolve(r, refund_point=True)))
    return s


def _item_last_day(s: State, generation: int) -> State:
    r = s.ruling
    if r and r.generation == generation:
        return ask(s, C.LastDay(by=r.by), r)[0]
    return s


def _item_event(s: State, e: Event) -> State:
    if isinstance(e, InputGiven):
        return ask(s, C.InputGiven(event=e.type, terminated=s.terminated, year=e.year), e)[0]
    if isinstance(e, NoticeReceived):
        return term.notice_received(s, e)
    return _EVENTS[e.type](s, e)


_ITEMS: dict[str, Callable[[State, Any], State]] = {
    "start": _item_start, "terminate": _item_terminate, "period_end": _item_period_end,
    "call": _item_call, "check": _item_check, "event": _item_event, "refund": _item_refund,
    "last_day": _item_last_day,
}

# The scenario's events other than inputs and notices: the decision each asks.
_EVENTS: dict[str, Callable[[State, Any], State]] = {
    "payment": lambda s, e: ask(s, C.Payment(terminated=s.terminated), e)[0],
    "amendment": lambda s, e: ask(
        s, C.Amendment(terminated=s.terminated, sets_term="term" in e.set,
                       sets_other=any(k != "term" for k in e.set)), e)[0],
    "dispute": lambda s, e: ask(
        s, C.Dispute(terminated=s.terminated, step=e.step, amicable_open=s.amicable_attempt), e)[0],
    "signed": lambda s, e: ask(s, C.Signed(terminated=s.terminated), e)[0],
}


# Each consequence a rules file may name, applied by its function in the module of its
# mechanic (checked complete against engine/core/contract.py at import).
HANDLERS: dict[C.Consequence, Consequence] = C.handlers({
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


_dispatches: dict[int, tuple[Any, dict]] = {}


def _dispatch(rules: Any) -> dict[str, tuple[Any, C.Consequence]]:
    """Each rule's typed arguments and its consequence, by rule id: made once per rules object
    (rules files are loaded once and kept, engine/conventions/rulesfile.py; the table keeps the
    object alive, so that its id is not reused). The handler is looked up in ``HANDLERS`` on each
    decision (a test may replace one)."""
    hit = _dispatches.get(id(rules))
    if hit is None or hit[0] is not rules:
        table = {r.id: (r.given, r.do) for r in rules.rules.values()}
        hit = _dispatches[id(rules)] = (rules, table)
    return hit[1]


def replay(scenario: Scenario, until: dt.date | None = None) -> Timeline:
    """Replay a scenario up to ``until`` (default: its horizon) and return its timeline."""
    return Replay(scenario, until).run()
