"""The ledger's short ways equal its full allocation (engine/core/ledger.py).

A new call and money that names no year continue the last allocation instead of starting
again; whatever the order of calls, payments (naming a year or not) and changes of what a call
asks, the ledger must be the value a full allocation gives.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from engine.core.ledger import Call, Ledger

ONE = dt.timedelta(days=1)


def _full(ledger: Ledger) -> Ledger:
    """The same calls and payments allocated from nothing."""
    return Ledger(ledger.calls, ledger.received, payments=ledger.payments,
                  open_from=None, last_due=ledger.last_due).allocate()


def _value(ledger: Ledger) -> tuple:
    return (tuple((c.first, c.paid, c.due, tuple((x.due_date, x.amount, x.covered) for x in c.charges))
                  for c in ledger.calls.values()),
            ledger.received, ledger.unallocated, ledger.credit, ledger.payments, ledger.open_from,
            ledger.last_due)


cents = st.integers(min_value=0, max_value=50_000).map(lambda n: Decimal(n).scaleb(-2))
steps = st.lists(st.one_of(
    st.tuples(st.just("call"), cents, st.integers(0, 60)),
    st.tuples(st.just("pay"), cents.filter(bool), st.booleans()),
    st.tuples(st.just("due"), cents, st.integers(0, 90)),
    st.tuples(st.just("wait"), st.integers(1, 120)),
), max_size=25)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_every_short_way_gives_the_full_allocation(actions):
    ledger = Ledger()
    today = dt.date(2026, 1, 1)
    first = dt.date(2026, 1, 1)
    for action in actions:
        kind = action[0]
        if kind == "wait":
            today += action[1] * ONE
            continue
        if kind == "call":
            _, due, term = action
            last = first.replace(month=first.month % 12 + 1, day=1) - ONE if first.month < 12 \
                else first.replace(day=31)
            call = Call(first, last, today, 30, 30, {}, None, due=due)
            ledger = ledger.add(call, today + term * ONE)
            first = last + ONE
        elif kind == "pay":
            _, amount, named = action
            years = sorted({c.year for c in ledger.calls.values()})
            ledger = ledger.receive(amount, years[-1] if named and years else None)
        else:
            _, due, term = action
            if not ledger.calls:
                continue
            call = list(ledger.calls.values())[len(ledger.calls) // 2]
            ledger = ledger.change_due(call, due, today + term * ONE).allocate()
        full = _full(ledger)
        assert _value(ledger) == _value(full)
        for day in (today, today + 31 * ONE, today + 200 * ONE):
            assert ledger.any_overdue(day) == full.any_overdue(day) == bool(ledger.overdue(day))


def test_a_credit_moves_to_the_next_call_and_covers_it():
    jan = Call(dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 1, 1), 31, 31, {}, None,
               due=Decimal("100.00"))
    feb = Call(dt.date(2026, 2, 1), dt.date(2026, 2, 28), dt.date(2026, 2, 1), 28, 28, {}, None,
               due=Decimal("30.00"))
    ledger = Ledger().add(jan, dt.date(2026, 1, 31)).receive(Decimal("150.00"))
    assert ledger.credit == Decimal("50.00") and ledger.calls[jan.first].paid == Decimal("150.00")
    ledger = ledger.add(feb, dt.date(2026, 3, 3))
    assert ledger.calls[jan.first].paid == Decimal("100.00")
    assert ledger.calls[feb.first].paid == Decimal("50.00")  # 30 covered, 20 still a credit
    assert ledger.credit == Decimal("20.00")
    assert not ledger.any_overdue(dt.date(2027, 1, 1))
