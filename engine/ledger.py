"""The ledger: calls, the amounts each is due in, money received and how it is allocated.

Allocation is a pure function, recomputed after every call, payment and adjustment (docs/spec.md 5.5):
all money received goes to the calls oldest first, each up to its due, within a call to its
amounts in due-date order; what is left stays on the latest call (a credit); money received
before any call is unallocated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from . import money


@attrs.define
class Charge:
    due_date: dt.date
    amount: Decimal
    covered: Decimal = money.ZERO


@attrs.define
class Call:
    """One called calendar period (a year, a quarter, a month)."""

    first: dt.date  # the period's first day: the call's key
    last: dt.date  # the period's last day
    called_on: dt.date
    covered_days: int
    period_days: int
    current: dict  # current inputs read on the call date
    stand_in: int | None  # the year standing in for the basis year, fixed at the call
    read_from: tuple = (None, None)  # (year, value) of the basis the figures were read from
    figures: dict = attrs.Factory(dict)  # the formula's figures, `annual` among them
    annual: Decimal = money.ZERO
    due: Decimal = money.ZERO
    paid: Decimal = money.ZERO
    charges: list[Charge] = attrs.Factory(list)
    memo: Any = None  # the replay's last figures for this call, with the facts they came from

    @property
    def year(self) -> int:
        return self.first.year


class Ledger:
    def __init__(self) -> None:
        self.calls: dict[dt.date, Call] = {}  # in call order, which is the periods' order
        self.received = money.ZERO
        self.unallocated = money.ZERO

    def add(self, call: Call, due_date: dt.date) -> None:
        call.charges.append(Charge(due_date, call.due))
        self.calls[call.first] = call
        self.allocate()

    def receive(self, amount: Decimal) -> None:
        self.received += amount
        self.allocate()

    def change_due(self, call: Call, due: Decimal, due_date: dt.date) -> None:
        """An increase is a separate amount due later; a decrease lowers what is owed at once,
        taken from the call's latest amounts first."""
        diff = due - call.due
        if diff > 0:
            call.charges.append(Charge(due_date, diff))
        elif diff < 0:
            cut = -diff
            for c in sorted(call.charges, key=lambda c: c.due_date, reverse=True):
                take = min(cut, c.amount)
                c.amount -= take
                cut -= take
                if not cut:
                    break
        call.due = due

    def allocate(self) -> None:
        """Calls are made in order and a call's amounts are added in due-date order (the call,
        then increases due later), so both are walked as stored."""
        remaining = self.received
        if not self.calls:
            self.unallocated = remaining
            return
        self.unallocated = money.ZERO
        zero = money.ZERO
        call: Any = None
        for call in self.calls.values():
            paid = zero
            for c in call.charges:
                take = c.amount if remaining >= c.amount else remaining
                c.covered = take
                paid += take
                remaining -= take
            call.paid = paid
        call.paid += remaining

    def overdue(self, today: dt.date) -> Decimal:
        """What is owed on amounts whose due date is before ``today``."""
        return sum((c.amount - c.covered for call in self.calls.values() for c in call.charges
                    if c.due_date < today and c.covered < c.amount), money.ZERO)

    def any_overdue(self, today: dt.date) -> bool:
        for call in self.calls.values():
            for c in call.charges:
                if c.due_date < today and c.covered < c.amount:
                    return True
        return False


class Standing:
    """The standing (docs/spec.md 5.5: current or in default): now, and at the end of each day."""

    def __init__(self) -> None:
        self.now = "current"
        self.changes: list[tuple[dt.date, str]] = []  # (day, standing at the end of that day)

    def end_of_day(self, day: dt.date) -> None:
        """Record the standing reached on ``day`` when it differs from the last one recorded."""
        last = self.changes[-1][1] if self.changes else "current"
        if self.now != last:
            self.changes.append((day, self.now))

    def at_end_of(self, day: dt.date) -> str:
        """The standing recorded at the end of ``day`` (the last change on or before it)."""
        result = "current"
        for d, st in self.changes:
            if d > day:
                break
            result = st
        return result
