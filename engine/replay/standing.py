"""The standing (docs/spec.md 5.5): current or in default, as the rules decide it.

Python tells the rules what is overdue and when it asks (``daily_check``: the day's phase (e),
or after money or a lower due); the rules say when a default starts and when it is cured. The
standing at the end of each day is kept by engine/ledger.py's :class:`~engine.ledger.Standing`
for the timeline's periods and for a notice notified on an earlier day.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import contract as C, money

if TYPE_CHECKING:
    from .driver import Replay


def _cents(a: Decimal) -> int:
    return int(money.round_cent(a) * 100)


def check(r: Replay, daily_check: bool = False) -> None:
    """Ask the rules about the standing when it may change: in the day's phase (e)
    (``daily_check``), and after money or a lower due. The rules say when a default may
    start (the shipped files: only in phase (e)) and when it is cured. Nothing is posted while
    the overdue amount agrees with the standing."""
    if r.ledger.any_overdue(r.today) != (r.standing.now == "in_default"):
        r.decide(C.Standing(overdue=_cents(r.ledger.overdue(r.today)),
                            standing=r.standing.now, daily_check=daily_check))


def overdue(r: Replay, _: Any) -> None:
    r.standing.now = "in_default"
    r.entry("payment_overdue", {"overdue": r.ledger.overdue(r.today)})


def cured(r: Replay, _: Any) -> None:
    r.standing.now = "current"
    r.entry("default_cured", {})
