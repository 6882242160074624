"""The ledger: calls, the amounts each is due in, money received and how it is allocated.

The ledger, its calls and their amounts are frozen values: a call, a payment or a change of
what a call asks returns a new ledger, so that the replay's state (engine/core/replay/state.py)
never changes once made.

Allocation is a pure function of the amounts and the payments (docs/spec.md 5.5), recomputed
after an adjustment; a new call and money that names no year continue the last allocation when
that gives the same value (tests/test_ledger.py checks it does). The amounts owed are each
call's first amount and each later increase, each with its own due date. A payment that names a year goes first to that year's amounts in due-date
order; all other money (and what is left of those payments) goes to the uncovered amounts in
due-date order, the earliest due first, equal due dates the older period first (Code civil
art. 1342-10: a debt already due, and among those the oldest). What is left stays on the latest
call (a credit); money received before any call is unallocated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping

import attrs

from . import money
from .frozen import evolve


@attrs.frozen(slots=False)  # evolved often: engine/core/frozen.py
class Charge:
    """One amount a call asks for (its first amount, or an increase due later), and what the
    money received covers of it as last allocated."""

    due_date: dt.date
    amount: Decimal
    covered: Decimal = money.ZERO


@attrs.frozen(slots=False)  # evolved often: engine/core/frozen.py
class Call:
    """One called calendar period (a year, a quarter, a month)."""

    first: dt.date  # the period's first day: the call's key
    last: dt.date  # the period's last day
    called_on: dt.date
    covered_days: int
    period_days: int
    current: Mapping[str, Any]  # current inputs read on the call date
    stand_in: int | None  # the year standing in for the basis year, fixed at the call
    read_from: tuple = (None, None)  # (year, value) of the basis the figures were read from
    figures: Mapping[str, Any] = attrs.field(factory=dict)  # the formula's, `annual` among them
    annual: Decimal = money.ZERO
    due: Decimal = money.ZERO
    paid: Decimal = money.ZERO
    charges: tuple[Charge, ...] = ()

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


@attrs.frozen(slots=False)  # evolved often: engine/core/frozen.py
class Ledger:
    """The calls and the money received, a value: each change returns a new ledger."""

    calls: Mapping[dt.date, Call] = attrs.field(factory=dict)  # in call order (the periods')
    received: Decimal = money.ZERO
    unallocated: Decimal = money.ZERO
    # Money received, in order: (amount, the year it names or None).
    payments: tuple[tuple[Decimal, int | None], ...] = ()
    # What the allocation left, kept so that the next one need not start again (see
    # :meth:`allocate`): the money left once every amount is covered (a credit, counted in the
    # latest call's `paid`), the earliest due date of an amount not covered (None: not known,
    # the calls changed since the last allocation), the latest due date of any amount.
    credit: Decimal = money.ZERO
    open_from: dt.date | None = dt.date.max
    last_due: dt.date = dt.date.min

    def add(self, call: Call, due_date: dt.date) -> Ledger:
        call = evolve(call, charges=call.charges + (Charge(due_date, call.due),))
        if (self.open_from is None or call.first in self.calls or due_date < self.last_due
                or any(year == call.year for _, year in self.payments)):
            return evolve(self, calls={**self.calls, call.first: call},
                          last_due=max(self.last_due, due_date)).allocate()
        # The new amount comes last in the order money goes (docs/spec.md 5.5: its due date is
        # the latest, its period the newest) and no payment names its year: the allocation of
        # the others stands, and the money no amount took (a credit, or money received before
        # any call) goes to it. The same value as a full allocation (tests/test_ledger.py).
        free = self.credit if self.calls else self.unallocated
        calls = dict(self.calls)
        if self.credit:  # the credit moves from the latest call to the new one
            last = next(reversed(calls.values()))
            calls[last.first] = evolve(last, paid=last.paid - self.credit)
        take = min(free, call.due)
        if take:
            call = evolve(call, charges=(Charge(due_date, call.due, take),))
        calls[call.first] = evolve(call, paid=free)
        open_from = self.open_from if take == call.due else min(self.open_from, due_date)
        return Ledger(calls, self.received, money.ZERO, self.payments, free - take, open_from,
                      due_date)

    def called(self, year: int) -> bool:
        """Whether a period of calendar ``year`` has been called (a payment may name it)."""
        return any(first.year == year for first in self.calls)

    def receive(self, amount: Decimal, year: int | None = None) -> Ledger:
        """Money received; ``year``: the called year the payment names (docs/spec.md 5.5, `for`)."""
        received = self.received + amount
        payments = self.payments + ((amount, year),)
        if year is not None or self.open_from is None or not self.calls:
            return evolve(self, received=received, payments=payments).allocate()
        # Money that names no year goes after everything else, earliest due first: it takes up
        # where the last allocation stopped (the same value as a full allocation).
        calls = dict(self.calls)
        rest = amount
        open_from = dt.date.max
        if self.open_from != dt.date.max:
            order = [(c.due_date, i, j, call) for i, call in enumerate(calls.values())
                     for j, c in enumerate(call.charges) if c.covered < c.amount]
            order.sort()  # (due date, call, amount) never tie: no call is compared
            for due_date, _, j, call in order:
                if not rest:  # the earliest amount left uncovered
                    open_from = due_date
                    break
                call = calls[call.first]
                c = call.charges[j]
                take = min(rest, c.amount - c.covered)
                charges = list(call.charges)
                charges[j] = evolve(c, covered=c.covered + take)
                calls[call.first] = evolve(call, charges=tuple(charges), paid=call.paid + take)
                rest -= take
                if take < c.amount - c.covered:
                    open_from = due_date
                    break
        if rest:  # everything is covered: a credit on the latest call
            last = next(reversed(calls.values()))
            calls[last.first] = evolve(last, paid=last.paid + rest)
        return Ledger(calls, received, money.ZERO, payments, self.credit + rest, open_from,
                      self.last_due)

    def with_call(self, call: Call) -> Ledger:
        """The ledger with ``call`` in place of the call of its period (not reallocated)."""
        old = self.calls.get(call.first)
        if old is not None and old.charges is call.charges:
            return evolve(self, calls={**self.calls, call.first: call})
        return evolve(self, calls={**self.calls, call.first: call}, open_from=None)

    def change_due(self, call: Call, due: Decimal, due_date: dt.date) -> Ledger:
        """An increase is a separate amount due later; a decrease lowers what is owed at once,
        taken from the call's latest amounts first. Not reallocated: a reconciliation changes
        several calls, then allocates once."""
        charges = list(call.charges)
        diff = due - call.due
        if diff > 0:
            charges.append(Charge(due_date, diff))
        elif diff < 0:
            cut = -diff
            # the latest due date first; equal dates in the order they were made (a stable sort)
            for i in sorted(range(len(charges)), key=lambda i: charges[i].due_date, reverse=True):
                c = charges[i]
                take = min(cut, c.amount)
                charges[i] = evolve(c, amount=c.amount - take)
                cut -= take
                if not cut:
                    break
        return evolve(self.with_call(evolve(call, charges=tuple(charges), due=due)),
                      open_from=None, last_due=max(self.last_due, due_date))

    def _in_order(self) -> list[tuple[dt.date, int, int, Call, Charge]]:
        """Every amount in the order money goes to it: due date, then the older period, then
        the order the call's amounts were created in; with the call's and the amount's index
        (which never tie, so that neither the call nor the amount is compared)."""
        out = [(c.due_date, i, j, call, c) for i, call in enumerate(self.calls.values())
               for j, c in enumerate(call.charges)]
        out.sort()
        return out

    def allocate(self) -> Ledger:
        """Payments that name a year first (to that year's amounts, earliest due first), then
        the rest of the money to every uncovered amount, earliest due first. A pure function
        of the calls' amounts and the payments; a call whose allocation is unchanged is kept.

        :meth:`add` and :meth:`receive` take a shorter way when the result is the same: a new
        amount that comes last in the order, money that names no year."""
        zero = money.ZERO
        if not self.calls:
            return Ledger(self.calls, self.received, self.received, self.payments, zero,
                          dt.date.max, self.last_due)
        order = self._in_order()
        covered = [[zero] * len(call.charges) for call in self.calls.values()]
        rest = zero
        for amount, year in self.payments:
            if year is not None:
                for _, i, j, owner, c in order:
                    if not amount:
                        break
                    got = covered[i][j]
                    if owner.year == year and got < c.amount:
                        take = min(amount, c.amount - got)
                        covered[i][j] = got + take
                        amount -= take
            rest += amount
        if rest:
            for _, i, j, _, c in order:
                got = covered[i][j]
                if got < c.amount:
                    take = min(rest, c.amount - got)
                    covered[i][j] = got + take
                    rest -= take
                    if not rest:
                        break
        calls = {}
        changed = False
        last = len(self.calls) - 1
        for i, call in enumerate(self.calls.values()):
            cov = covered[i]
            paid = sum(cov, zero)
            if i == last:
                paid += rest  # what is left: a credit on the latest call
            charges = call.charges
            if paid != call.paid or any(c.covered != x for c, x in zip(charges, cov)):
                call = evolve(call, paid=paid, charges=tuple(
                    c if c.covered == x else evolve(c, covered=x) for c, x in zip(charges, cov)))
                changed = True
            calls[call.first] = call
        calls_now = calls if changed else self.calls
        return Ledger(calls_now, self.received, zero, self.payments, rest,
                      _open_from(calls_now.values()),
                      max((c.due_date for _, _, _, _, c in order), default=self.last_due))

    def amounts(self) -> tuple[Owed, ...]:
        """Every amount owed (each call's first amount and each later increase; a decrease
        lowers them), with its due date and what the money received covers of it, in the order
        money goes to them (earliest due first). Amounts lowered to nothing are left out."""
        return tuple(Owed(call.first, call.year, c.due_date, c.amount, c.covered)
                     for _, _, _, call, c in self._in_order() if c.amount)

    def overdue(self, today: dt.date) -> Decimal:
        """What is owed on amounts whose due date is before ``today``."""
        return sum((c.amount - c.covered for call in self.calls.values() for c in call.charges
                    if c.due_date < today and c.covered < c.amount), money.ZERO)

    def any_overdue(self, today: dt.date) -> bool:
        """Whether an amount due before ``today`` is not covered (asked on every day the
        replay visits: read from the last allocation when it is known)."""
        if self.open_from is not None:
            return self.open_from < today
        return _open_from(self.calls.values()) < today


def _open_from(calls: Any) -> dt.date:
    """The earliest due date of an amount not covered (``date.max``: none)."""
    return min((c.due_date for call in calls for c in call.charges if c.covered < c.amount),
               default=dt.date.max)
