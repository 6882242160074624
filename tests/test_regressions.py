"""Shrunk examples found by the properties (tests/test_properties.py), kept as plain tests.

No engine failure has been found so far. The examples below are the ones Hypothesis shrank when the
engine was deliberately broken (allocation newest first, round half-even, a notice's last day one
day short) to show that the properties catch it; they pin those behaviours down for good.
An engine bug found later goes here with ``@pytest.mark.xfail(strict=True, reason=...)``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import engine
from tests import invariants as inv

D = dt.date


def run(doc):
    return engine.replay(engine.load_scenario(doc))


def test_money_goes_to_the_oldest_year_first():
    # Shrunk by test_allocation_goes_oldest_first (now test_allocation_goes_by_due_date) with
    # _allocate mutated to newest first. The calls here are due in year order.
    doc = {"scenario": 1, "convention": "cdg62-demat", "name": "Commune d'Arras", "start": D(2024, 2, 29),
           "horizon": D(2026, 1, 1), "member": {"agents": 351}, "consultations": {2020: 0, 2021: 50},
           "events": [{"date": D(2024, 2, 29), "type": "payment", "amount": "1000.00"}]}
    tl = run(doc)
    inv.check_all(doc, tl)
    y2024, y2025, y2026 = (tl.contribution(y) for y in (2024, 2025, 2026))
    assert y2024.due == Decimal("419.40")  # 250.00 x 307 / 366
    assert y2024.paid == y2024.due
    assert y2025.paid == min(y2025.due, Decimal("1000.00") - y2024.due)
    assert y2024.paid + y2025.paid + y2026.paid == Decimal("1000.00")


def test_half_cent_rounds_up():
    # Shrunk target of test_due_is_prorata_rounded_half_up with round_cent mutated to half-even.
    doc = {"scenario": 1, "convention": "cdg62-demat", "name": "Half cent", "start": D(2028, 11, 1),
           "horizon": D(2028, 12, 31), "member": {"agents": 400},
           "overrides": {"contribution": {"grid": {"large": ["1.83"] * 5}}}, "events": []}
    tl = run(doc)
    inv.check_all(doc, tl)
    c = tl.contribution(2028)
    assert (c.covered_days, c.year_days, c.due) == (61, 366, Decimal("0.31"))  # 1.83 x 61 / 366 = 0.305


def test_member_notice_on_29_february_ends_on_29_april():
    # Shrunk by test_last_day_respects_notice_period_and_immediacy with the last day one day short.
    doc = {"scenario": 1, "convention": "cdg62-demat", "name": "Leap", "start": D(2024, 2, 29),
           "member": {"agents": 10},
           "events": [{"date": D(2024, 2, 29), "type": "notice", "by": "member",
                       "received": {"cdg": D(2024, 2, 29), "archives": D(2024, 2, 29)}}]}
    tl = run(doc)
    inv.check_all(doc, tl)
    assert (tl.termination.notified, tl.termination.last_day) == (D(2024, 2, 29), D(2024, 4, 29))
    assert tl.state_on(D(2024, 4, 29)) == "initial_term"
    assert tl.state_on(D(2024, 4, 30)) == "terminated"


def test_increases_learned_on_1_january_are_due_with_that_years_call():
    # Found by a 3,000-example differential run (v2: the money moved to the raised past years and
    # left 2026 short, a default in phase (e) of 2027-01-01). docs/spec.md 5.5: the three increases
    # are due 2027-01-01 + P30D = 2027-01-31, like the 2027 call; the 2,000.00 received covers the
    # three calls (419.40 + 500.00 + 500.00), then 580.60 of what is due on 2027-01-31, the older
    # year first: 2024's increase (419.40), 161.20 of 2025's. No default before 2027-02-01.
    doc = {"scenario": 1, "convention": "cdg62-demat", "name": "A", "start": D(2024, 2, 29),
           "member": {"agents": 0}, "consultations": {2020: 0, 2021: 0},
           "events": [{"date": D(2024, 2, 29), "type": "payment", "amount": "1000.00"},
                      {"date": D(2027, 1, 1), "type": "consultations", "year": 2021, "count": 50},
                      {"date": D(2024, 2, 29), "type": "payment", "amount": "1000.00"},
                      {"date": D(2024, 2, 29), "type": "amendment", "effective": D(2024, 2, 29),
                       "set": {"contribution": {"grid": {"small": ["500.00", "1000.00", "1000.00",
                                                                   "1000.00", "1000.00"]}}}}]}
    tl = run(doc)
    inv.check_all(doc, tl)
    day = [e.kind for e in tl.entries if e.date == D(2027, 1, 1)]
    assert day == ["consultations_recorded"] + ["contribution_adjusted"] * 3 + ["contribution_called"]
    [o] = [e for e in tl.entries if e.kind == "payment_overdue"]
    # owed by 2027-01-31: 838.80 + 1000.00 + 1000.00 (2024-2026) + 1000.00 (2027) - 2000.00
    assert (o.date, o.detail["overdue"]) == (D(2027, 2, 1), Decimal("1838.80"))
    assert [(c.year, c.paid) for c in tl.contributions][:4] == [
        (2024, Decimal("838.80")), (2025, Decimal("661.20")), (2026, Decimal("500.00")), (2027, Decimal("0.00"))]


def test_the_basis_years_own_count_replacing_a_stand_in_is_read_again():
    # Found by a differential run: 2024's band came from the 2020 stand-in (150, ambiguous); the
    # 2023 count arrives with the same value. The band now rests on another count, whose other
    # reading still differs (band 3 costs 500.00, band 2 1000.00 here): the diagnostic is repeated.
    doc = {"scenario": 1, "convention": "cdg62-demat", "name": "A", "start": D(2024, 2, 29),
           "horizon": D(2025, 12, 31), "member": {"agents": 0}, "consultations": {2020: 150},
           "overrides": {"contribution": {"grid": {
               "small": ["1000.00", "1000.00", "500.00", "1000.00", "1000.00"]}}},
           "events": [{"date": D(2025, 1, 1), "type": "consultations", "year": 2023, "count": 150}]}
    tl = run(doc)
    inv.check_all(doc, tl)
    ambiguous = [(d.date, d.message[:4]) for d in tl.diagnostics if d.code == "ambiguous_boundary"]
    assert ambiguous == [(D(2024, 2, 29), "2024"), (D(2025, 1, 1), "2024"), (D(2025, 1, 1), "2025")]
