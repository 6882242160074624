"""The ledger: calls, the amounts each is due in, money received and how it is allocated.

Allocation is a pure function, recomputed after every call, payment and adjustment (docs/spec.md
5.5). The amounts owed are each call's first amount and each later increase, each with
its own due date. A payment that names a year goes first to that year's amounts in due-date
order; all other money (and what is left of those payments) goes to the uncovered amounts in
due-date order, the earliest due first, equal due dates the older period first (Code civil
art. 1342-10: a debt already due, and among those the oldest). What is left stays on the latest
call (a credit); money received before any call is unallocated.
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


@attrs.frozen
class Owed:
    """One amount owed, as allocated now: a call's first amount or a later increase."""

    first: dt.date  # the called period's first day (its call's key)
    year: int  # the called period's year
    due_date: dt.date
    amount: Decimal
    covered: Decimal

    @property
    def uncovered(self) -> Decimal:
        return self.amount - self.covered


class Ledger:
    def __init__(self) -> None:
        self.calls: dict[dt.date, Call] = {}  # in call order, which is the periods' order
        self.received = money.ZERO
        self.unallocated = money.ZERO
        # Money received, in order: (amount, the year it names or None).
        self.payments: list[tuple[Decimal, int | None]] = []

    def add(self, call: Call, due_date: dt.date) -> None:
        call.charges.append(Charge(due_date, call.due))
        self.calls[call.first] = call
        self.allocate()

    def called(self, year: int) -> bool:
        """Whether a period of calendar ``year`` has been called (a payment may name it)."""
        return any(first.year == year for first in self.calls)

    def receive(self, amount: Decimal, year: int | None = None) -> None:
        """Money received; ``year``: the called year the payment names (docs/spec.md 5.5, `for`)."""
        self.received += amount
        self.payments.append((amount, year))
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

    def _in_order(self) -> list[tuple[Call, Charge]]:
        """Every amount in the order money goes to it: due date, then the older period, then
        the order the call's amounts were created in."""
        out = [(i, j, call, c) for i, call in enumerate(self.calls.values())
               for j, c in enumerate(call.charges)]
        out.sort(key=lambda t: (t[3].due_date, t[0], t[1]))
        return [(call, c) for _, _, call, c in out]

    def allocate(self) -> None:
        """Payments that name a year first (to that year's amounts, earliest due first), then
        the rest of the money to every uncovered amount, earliest due first."""
        if not self.calls:
            self.unallocated = self.received
            return
        self.unallocated = money.ZERO
        order = self._in_order()
        for _, c in order:
            c.covered = money.ZERO
        rest = money.ZERO
        for amount, year in self.payments:
            if year is not None:
                for owner, c in order:
                    if not amount:
                        break
                    if owner.year == year and c.covered < c.amount:
                        take = min(amount, c.amount - c.covered)
                        c.covered += take
                        amount -= take
            rest += amount
        for _, c in order:
            if not rest:
                break
            if c.covered < c.amount:
                take = min(rest, c.amount - c.covered)
                c.covered += take
                rest -= take
        for call in self.calls.values():
            call.paid = sum((c.covered for c in call.charges), money.ZERO)
        call.paid += rest  # what is left: a credit on the latest call (the loop's last)

    def amounts(self) -> tuple[Owed, ...]:
        """Every amount owed (each call's first amount and each later increase; a decrease
        lowers them), with its due date and what the money received covers of it, in the order
        money goes to them (earliest due first). Amounts lowered to nothing are left out."""
        return tuple(Owed(call.first, call.year, c.due_date, c.amount, c.covered)
                     for call, c in self._in_order() if c.amount)

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
