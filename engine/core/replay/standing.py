"""The standing (docs/spec.md 5.5): current or in default, as the rules decide it.

Python tells the rules what is overdue and when it asks (``daily_check``: the day's phase (e),
or after money or a lower due); the rules say when a default starts and when it is cured. The
standing at the end of each day is kept in the state (engine/core/replay/state.py, ``Standing``)
for the timeline's periods and for a notice notified on an earlier day.
"""

from __future__ import annotations

from decimal import Decimal

from .. import contract as C, money
from .state import Decided, Standing, State, ask, entry, evolve


def _cents(a: Decimal) -> int:
    return int(money.round_cent(a) * 100)


def check(s: State, daily_check: bool = False) -> State:
    """Ask the rules about the standing when it may change: in the day's phase (e)
    (``daily_check``), and after money or a lower due. The rules say when a default may
    start (the shipped files: only in phase (e)) and when it is cured. Nothing is posted while
    the overdue amount agrees with the standing."""
    if s.ledger.any_overdue(s.today) != (s.standing.now == "in_default"):
        return ask(s, C.Standing(overdue=_cents(s.ledger.overdue(s.today)),
                                 standing=s.standing.now, daily_check=daily_check))[0]
    return s


def overdue(s: State, d: Decided) -> State:
    s = evolve(s, standing=Standing("in_default", s.standing.changes))
    return entry(s, d.rule, "payment_overdue", {"overdue": s.ledger.overdue(s.today)})


def cured(s: State, d: Decided) -> State:
    s = evolve(s, standing=Standing("current", s.standing.changes))
    return entry(s, d.rule, "default_cured", {})
