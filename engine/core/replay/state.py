"""The replay's state: one frozen value, and the small helpers every consequence uses.

The replay is a fold: ``step(state, item) -> state`` for each agenda item (engine/core/replay/driver.py).
A consequence is a function ``(state, decided) -> state`` that returns a new state with
``attrs.evolve``: nothing a step has returned changes afterwards, so a state can be kept,
compared or replayed from. What is fixed for the whole replay (the rules file, the parameters
without amendments, the term's dates, the rules engine's session) is the state's ``ctx``, not
part of its value. The ledger (engine/core/ledger.py: the calls, their amounts, the money received
and its allocation) is a frozen value of the state like the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Mapping

import attrs

from .. import frozen
from ..ledger import Ledger
from ..timeline import Entry
from .agenda import Agenda
from .text import Said

if TYPE_CHECKING:
    from .. import contract as C
    from .. import params as P
    from .driver import Replay


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


@attrs.frozen
class Standing:
    """The standing (docs/spec.md 5.5: current or in default): now, and at the end of each day."""

    now: str = "current"
    changes: tuple[tuple[dt.date, str], ...] = ()  # (day, standing at the end of that day)

    def end_of_day(self, day: dt.date) -> Standing:
        """The standing reached on ``day`` recorded, when it differs from the last one recorded."""
        last = self.changes[-1][1] if self.changes else "current"
        if self.now == last:
            return self
        return Standing(self.now, self.changes + ((day, self.now),))

    def at_end_of(self, day: dt.date) -> str:
        """The standing recorded at the end of ``day`` (the last change on or before it)."""
        result = "current"
        for d, st in self.changes:
            if d > day:
                break
            result = st
        return result


@attrs.frozen
class Decided:
    """What a rule decided, as its consequence receives it: the rule, the arguments of its
    ``do`` (engine/core/contract.py) and what the agenda item carried (an event, a notice's figures)."""

    rule: str
    args: Any
    payload: Any


@attrs.frozen(slots=False)  # evolved often: engine/core/frozen.py
class State:
    ctx: Replay = attrs.field(eq=False, repr=False)  # fixed for the replay
    agenda: Agenda
    ledger: Ledger
    today: dt.date = dt.date.min
    checked: dt.date = dt.date.min  # the last day whose phase (e) check has run
    entries: tuple[Entry, ...] = ()
    said: tuple[Said, ...] = ()  # diagnostics, worded when the timeline is built
    per_year: Mapping[str, Mapping[int, Any]] = attrs.field(factory=dict)  # input -> year -> value
    current: Mapping[str, Any] = attrs.field(factory=dict)  # input -> its current value
    amendments: tuple = ()  # the amendment events known so far
    standing: Standing = Standing()
    ruling: Ruling | None = None
    first_notified: dt.date | None = None
    terminated: bool = False
    # An amicable attempt opened and not yet closed, by the steps the rule of each dispute
    # event names (`do: {dispute: {opens: ..., closes: ...}}`).
    amicable_attempt: bool = False
    generation: int = 0  # rulings made so far: an item of an older ruling does nothing


# The state changes about a hundred and fifty times per convention: evolved without its
# constructor (engine/core/frozen.py).
evolve = frozen.evolve


def entry(s: State, rule: str, kind: str, detail: dict | None = None) -> State:
    """An entry dated today under ``rule`` (with its article from the rules file)."""
    e = Entry(s.today, kind, rule, s.ctx.rules.rules[rule].article, detail or {})
    return evolve(s, entries=s.entries + (e,))


def diag(s: State, code: str, values: dict, level: str = "warning", message: str | None = None,
         tidy: bool = False, day: dt.date | None = None) -> State:
    """A diagnostic as a fact (dated today unless told); its words are made when the timeline
    is built (engine/core/replay/text.py)."""
    said = Said(s.today if day is None else day, level, code, dict(values), message or code, tidy)
    return evolve(s, said=s.said + (said,))


def push(s: State, day: dt.date, phase: int, kind: str, payload: Any = None) -> State:
    return evolve(s, agenda=s.agenda.push(day, phase, kind, payload))


def ensure_check(s: State, day: dt.date) -> State:
    return evolve(s, agenda=s.agenda.ensure_check(day))


def params_on(s: State, day: dt.date) -> P.Params:
    """Rules file, overrides, then the amendments known now effective on ``day`` (docs/spec.md 5.9)."""
    if s.amendments:
        return s.ctx.params.on(day, s.amendments)
    p = s.ctx.plain.get(day)
    if p is None:
        p = s.ctx.plain[day] = s.ctx.params.on(day, ())
    return p


def ask(s: State, decision: C.Decision, payload: Any = None) -> tuple[State, C.Consequence | None]:
    """Post one decision event and carry out the consequence of the rule that fired: the new
    state, and the consequence (None when no rule fired)."""
    return s.ctx.ask(s, decision, payload)
