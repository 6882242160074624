"""Invariants of every replay (issue #3, item 4), one property each, over `scenarios()`.

The checks live in tests/invariants.py; a failure names the invariant and the values involved.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

import engine
from engine.core.replay import Replay
from tests import invariants as inv
from tests.strategies import amounts, notice_events, scenarios

# Properties over drawn scenarios: long (the fast loop, `-m "not slow"`, leaves them to CI).
pytestmark = pytest.mark.slow


# Drawing a scenario costs ~30-50 ms (tests/strategies.py builds its strategies on every draw),
# replaying it ~5 ms: at the CI profile's 500 examples the 15 properties would take ~6 minutes.
# Each property runs a quarter of the profile (CI: 125 examples, ~1900 scenarios over the file;
# the whole suite then stays around 2 minutes).
PROPERTY = settings(max_examples=max(10, settings().max_examples // 4))


def run(doc):
    return engine.replay(engine.load_scenario(doc))


# ----------------------------------------------------------------------------- one timeline

@PROPERTY
@given(scenarios())
def test_periods_cover_start_to_horizon(doc):
    tl = run(doc)
    inv.check_periods_cover(tl)
    inv.check_termination_in_periods(tl)


@PROPERTY
@given(scenarios())
def test_states_only_move_forward(doc):
    inv.check_states_monotone(run(doc))


@PROPERTY
@given(scenarios())
def test_nothing_called_after_termination(doc):
    inv.check_nothing_called_after_termination(run(doc))


@st.composite
def with_cdg_non_payment(draw):
    """A scenario plus a cdg notice for non-payment (immediate when the member is in default)."""
    doc = draw(scenarios())
    day = draw(st.dates(min_value=doc["start"], max_value=doc["start"] + dt.timedelta(days=5 * 366)))
    got = day - dt.timedelta(days=draw(st.integers(0, 20)))
    notice = {"date": day, "type": "notice", "by": "cdg", "reason": "non_payment", "received": {"member": got}}
    evs = list(doc["events"])
    evs.insert(draw(st.integers(0, len(evs))), notice)
    return {**doc, "events": evs}


@PROPERTY
@given(st.one_of(scenarios(), with_cdg_non_payment()))
def test_last_day_respects_notice_period_and_immediacy(doc):
    tl = run(doc)
    if tl.termination is not None:
        event(f"termination by {tl.termination.by}, immediate={tl.termination.immediate}")
    inv.check_notice_last_day(doc, tl)


@PROPERTY
@given(scenarios())
def test_covered_days_within_year(doc):
    inv.check_covered_days(run(doc))


@PROPERTY
@given(scenarios())
def test_due_within_annual_and_full_year_owes_annual(doc):
    inv.check_due_bounds(run(doc))


# An exact half cent needs a leap year and an odd number of cents: 1.83 x 61 / 366 = 0.305.
HALF_CENT = {"scenario": 1, "convention": "cdg62-demat", "name": "Half cent", "start": dt.date(2028, 11, 1),
             "horizon": dt.date(2028, 12, 31), "member": {"agents": 400},
             "overrides": {"contribution": {"grid": {"large": ["1.83"] * 5}}}, "events": []}


@PROPERTY
@given(scenarios())
@example(HALF_CENT)
def test_due_is_prorata_rounded_half_up(doc):
    inv.check_due_formula(doc, run(doc))


@PROPERTY
@given(scenarios())
def test_money_is_conserved(doc):
    inv.check_money_conserved(doc, run(doc))


@PROPERTY
@given(scenarios())
def test_balance_is_due_minus_paid(doc):
    inv.check_balance(run(doc))


@PROPERTY
@given(scenarios())
def test_allocation_goes_by_due_date(doc):
    r = Replay(engine.load_scenario(doc))
    inv.check_rows_paid_within_due(r.run())
    inv.check_allocation_by_due_date(r.state.ledger)


@PROPERTY
@given(scenarios())
def test_entries_name_catalogue_rules_and_articles(doc):
    inv.check_entries_name_rules(run(doc))


# ----------------------------------------------------------------------------- two replays

def _pinned(doc, tl) -> dict:
    """The same document with its horizon written out, so that an added event keeps it."""
    return {**doc, "horizon": tl.horizon, "events": list(doc.get("events") or [])}


@PROPERTY
@given(st.one_of(scenarios(), with_cdg_non_payment()), st.data())
def test_extra_payment_never_raises_a_balance(doc, data):
    before = run(doc)
    doc = _pinned(doc, before)
    assert run(doc) == before
    day = data.draw(st.dates(min_value=before.start, max_value=before.horizon), label="payment date")
    pay = {"date": day, "type": "payment", "amount": data.draw(amounts(), label="amount")}
    doc["events"].insert(data.draw(st.integers(0, len(doc["events"])), label="at"), pay)
    after = run(doc)
    if after.termination != before.termination:
        # Only an immediate termination for non-payment depends on money (docs/spec.md 5.3): curing the
        # default makes it run its normal period, which changes what is due.
        assert any(e.get("reason") == "non_payment" for e in inv.notices(doc, "cdg")), (
            f"an extra payment changed the termination {before.termination} -> {after.termination}")
        event("termination changed by curing a default")
        return
    inv.check_extra_payment(before, after)


@PROPERTY
@given(scenarios(), st.data())
def test_extra_notice_never_moves_the_last_day_later(doc, data):
    before = run(doc)
    doc = _pinned(doc, before)
    notice = data.draw(notice_events(before.start, before.horizon), label="notice")
    doc["events"].insert(data.draw(st.integers(0, len(doc["events"])), label="at"), notice)
    after = run(doc)
    if before.termination is not None:
        event(f"before: {before.termination.by}; after: {after.termination and after.termination.by}")
    inv.check_extra_notice(before, after)


@st.composite
def _reordered(draw):
    """A document and the same with its events shuffled, events of one date kept in file order."""
    doc = draw(scenarios())
    evs = doc["events"]
    order = draw(st.permutations(range(len(evs))))
    by_date: dict[dt.date, list] = {}
    for e in evs:
        by_date.setdefault(e["date"], []).append(e)
    taken = {d: iter(v) for d, v in by_date.items()}
    shuffled = [next(taken[evs[i]["date"]]) for i in order]
    return doc, {**doc, "events": shuffled}


@PROPERTY
@given(_reordered())
def test_file_order_of_different_dates_does_not_matter(pair):
    doc, shuffled = pair
    inv.check_same_timeline(run(doc), run(shuffled), "shuffled events")


@PROPERTY
@given(scenarios(), st.data())
def test_session_fed_one_by_one_equals_replay(doc, data):
    evs = doc["events"]
    k = data.draw(st.integers(0, len(evs)), label="k")
    session = engine.Session(engine.load_scenario({**doc, "events": []}))
    for e in evs[:k]:
        session.apply(e)
    inv.check_same_timeline(session.timeline(), run({**doc, "events": evs[:k]}), f"first {k} events")
    for e in evs[k:]:
        session.apply(e)
    inv.check_same_timeline(session.timeline(), run(doc), "all events through a session")
