"""Invariants of a replay (docs/spec.md sections 2, 5 and 6), as plain functions.

Each check takes the scenario document (a mapping as ``yaml.safe_load`` returns it, as drawn by
``tests.strategies.scenarios()``) and/or the :class:`engine.Timeline` replayed from it, and raises
``AssertionError`` with a message that says which invariant broke and on what. They only read the
public timeline and the document; the rules catalogue is read from the rules file itself.

Used by tests/test_properties.py (one property each) and tests/test_stateful.py.
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal

import yaml
from dateutil.relativedelta import relativedelta

from engine.core.dates import parse_duration

ONE_DAY = dt.timedelta(days=1)
STATE_RANK = {"initial_term": 0, "renewed": 1, "terminated": 2}
DEFAULT_NOTICE = {"member": "P2M", "cdg": "P6M"}
RULES_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "rules", "cdg62-demat.yaml")

_catalogue: dict | None = None


def catalogue() -> dict:
    """rule id -> article, read from rules/cdg62-demat.yaml (not through the engine)."""
    global _catalogue
    if _catalogue is None:
        with open(RULES_FILE, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        _catalogue = {rid: r["article"] for rid, r in doc["rules"].items()}
    return _catalogue


# ----------------------------------------------------------------------------- document helpers

def amount(raw) -> Decimal:
    """An amount as the document writes it (str, int or float with at most two decimals)."""
    return Decimal(repr(raw) if isinstance(raw, float) else str(raw))


def override(doc: dict, section: str, key: str, default=None):
    return ((doc.get("overrides") or {}).get(section) or {}).get(key, default)


def notice_period(doc: dict, by: str) -> relativedelta:
    """The party's notice period: the document's overrides, else the default P2M / P6M."""
    return parse_duration(override(doc, "notice", by, DEFAULT_NOTICE[by]))


def received_total(doc: dict, horizon: dt.date) -> Decimal:
    return sum((amount(e["amount"]) for e in doc.get("events") or ()
                if e["type"] == "payment" and e["date"] <= horizon), Decimal("0"))


def receipt_dates(receipt) -> set[dt.date]:
    if isinstance(receipt, dt.date):
        return {receipt}
    return {d for k, d in receipt.items() if k in ("presented", "delivered")}


def notices(doc: dict, by: str | None = None) -> list[dict]:
    return [e for e in doc.get("events") or () if e["type"] == "notice" and (by is None or e["by"] == by)]


def _where(tl) -> str:
    return f"(start {tl.start}, horizon {tl.horizon})"


# ----------------------------------------------------------------------------- single timeline

def check_periods_cover(tl) -> None:
    """Periods run from the start to the horizon, no gap, no overlap, maximal runs; `to` is null
    only on the last period, and only when that one is `terminated`."""
    ps = tl.periods
    assert ps, f"no period at all {_where(tl)}"
    assert ps[0].start == tl.start, f"first period starts on {ps[0].start}, not on the start {tl.start}"
    for i, (a, b) in enumerate(zip(ps, ps[1:])):
        assert a.end is not None, f"period {i} ({a.start}) has `to` null but is not the last one"
        assert a.start <= a.end, f"period {i} ends ({a.end}) before it starts ({a.start})"
        assert b.start == a.end + ONE_DAY, (
            f"gap or overlap between period {i} (to {a.end}) and period {i + 1} (from {b.start})")
        assert (a.state, a.standing, a.notice) != (b.state, b.standing, b.notice), (
            f"periods {i} and {i + 1} ({a.end}/{b.start}) are not maximal runs: both {a.state}, "
            f"{a.standing}, notice={a.notice}")
    last = ps[-1]
    if last.end is None:
        assert last.state == "terminated", f"last period from {last.start} has `to` null but is {last.state}"
        assert last.start <= tl.horizon, f"last period starts on {last.start}, after the horizon {tl.horizon}"
    else:
        assert last.state != "terminated", (
            f"last period from {last.start} is terminated but its `to` is {last.end}, not null")
        assert last.end == tl.horizon, f"last period ends on {last.end}, not on the horizon {tl.horizon}"
        assert last.start <= last.end, f"last period ends ({last.end}) before it starts ({last.start})"


def check_states_monotone(tl) -> None:
    """initial_term -> renewed -> terminated, never back."""
    ranks = [(p.start, p.state) for p in tl.periods]
    for (d0, s0), (d1, s1) in zip(ranks, ranks[1:]):
        assert STATE_RANK[s1] >= STATE_RANK[s0], f"state goes back from {s0} to {s1} on {d1}"


def check_termination_in_periods(tl) -> None:
    """A termination whose last day is before the horizon shows as `terminated` from the next day."""
    t = tl.termination
    if t is None or t.last_day >= tl.horizon:
        return
    assert tl.state_on(t.last_day + ONE_DAY) == "terminated", (
        f"termination with last day {t.last_day}, but {t.last_day + ONE_DAY} is {tl.state_on(t.last_day + ONE_DAY)}")
    if t.last_day >= tl.start:
        assert tl.state_on(t.last_day) != "terminated", f"already terminated on the last day {t.last_day}"


def check_nothing_called_after_termination(tl) -> None:
    """No call after the last day, and no call of a year that starts after it, except a call made
    before the termination was known (a late notice, docs/spec.md 5.7), which must then be cut to nothing."""
    t = tl.termination
    if t is None:
        return
    if t.by == "expiry":
        learned = tl.start  # an expiry is known from the start (term amendments are ineffective)
    else:
        learned = min((e.date for e in tl.entries if e.kind == "termination_scheduled"
                       and e.detail.get("last_day") == t.last_day and e.detail.get("by") == t.by),
                      default=None)
    for c in tl.contributions:
        after = c.called_on > t.last_day or c.year > t.last_day.year
        if not after:
            continue
        what = (f"year {c.year} called on {c.called_on} after the termination's last day {t.last_day} "
                f"(by {t.by})")
        assert learned is not None and c.called_on < learned, (
            f"{what}, although the termination was known from {learned}")
        assert c.covered_days == 0 and c.due == 0, (
            f"{what} before it was known, but not cut to nothing: covered_days {c.covered_days}, due {c.due}")


def in_default_at(tl, n: dt.date) -> bool:
    """The standing at N read from the entries: a payment_overdue on or before N with no
    default_cured after it; on N itself, entries after the immediate termination_scheduled of that
    day do not count (the standing when the notice is processed)."""
    default = False
    for e in tl.entries:
        if e.date > n:
            break
        if e.date == n and e.kind == "termination_scheduled" and e.detail.get("immediate"):
            break
        if e.kind == "payment_overdue":
            default = True
        elif e.kind == "default_cured":
            default = False
    return default


def check_notice_last_day(doc: dict, tl) -> None:
    """A last day is at least notification + the party's period unless immediate; immediate only
    for the cdg, with reason non_payment, while the member was in default at N."""
    t = tl.termination
    if t is None or t.by == "expiry":
        return
    assert t.by in ("member", "cdg"), f"termination by {t.by!r}"
    assert t.notified is not None, f"termination by {t.by} without a notification date"
    candidates = {d for e in notices(doc, t.by) for r in e["received"].values() for d in receipt_dates(r)}
    assert t.notified in candidates or t.notified == tl.start, (
        f"notified {t.notified} is neither a receipt date of a {t.by} notice nor the start")
    if t.immediate:
        assert t.by == "cdg", f"immediate termination by {t.by}"
        assert override(doc, "notice", "immediate_on_default", True), (
            "immediate termination although immediate_on_default is false")
        assert any(e.get("reason") == "non_payment" for e in notices(doc, "cdg")), (
            "immediate termination without a cdg notice for non_payment")
        assert t.last_day == t.notified, f"immediate termination: last day {t.last_day} is not N {t.notified}"
        assert in_default_at(tl, t.notified), (
            f"immediate termination on {t.notified} but the member was not in default then (entries)")
    else:
        p = notice_period(doc, t.by)
        assert t.last_day >= t.notified + p, (
            f"last day {t.last_day} is before N {t.notified} + {t.by}'s period {p} = {t.notified + p}")


def check_covered_days(tl) -> None:
    for c in tl.contributions:
        days = 366 if (c.year % 4 == 0 and (c.year % 100 != 0 or c.year % 400 == 0)) else 365
        assert c.year_days == days, f"year {c.year}: year_days {c.year_days}, not {days}"
        assert 0 <= c.covered_days <= c.year_days, (
            f"year {c.year}: covered_days {c.covered_days} outside 0..{c.year_days}")
        first = max(tl.start, dt.date(c.year, 1, 1))
        assert c.covered_days <= (dt.date(c.year, 12, 31) - first).days + 1, (
            f"year {c.year}: covered_days {c.covered_days} counts days before the start {tl.start}")


def check_due_bounds(tl) -> None:
    """0 <= due <= annual; due == annual for a fully covered year."""
    for c in tl.contributions:
        assert Decimal(0) <= c.due <= c.annual, f"year {c.year}: due {c.due} outside 0..annual {c.annual}"
        if c.covered_days == c.year_days:
            assert c.due == c.annual, f"year {c.year} fully covered but due {c.due} != annual {c.annual}"


def check_due_formula(doc: dict, tl) -> None:
    """docs/spec.md 2 / 5.4: due = annual x covered_days / year_days, rounded half-up to the cent."""
    prorata = override(doc, "contribution", "prorata", "days")
    for c in tl.contributions:
        if c.covered_days == 0:
            want = Decimal("0.00")
        elif prorata == "none":
            want = c.annual
        else:
            want = (c.annual * c.covered_days / c.year_days).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert c.due == want, (
            f"year {c.year}: due {c.due}, but {c.annual} x {c.covered_days}/{c.year_days} "
            f"(prorata {prorata}) is {want}")


def check_money_conserved(doc: dict, tl) -> None:
    """Total paid + unallocated == total received up to the horizon: nothing lost."""
    received = received_total(doc, tl.horizon)
    paid = sum((c.paid for c in tl.contributions), Decimal("0"))
    assert paid + tl.unallocated == received, (
        f"paid {paid} + unallocated {tl.unallocated} != received {received} (horizon {tl.horizon})")
    assert tl.unallocated >= 0, f"negative unallocated {tl.unallocated}"


def check_balance(tl) -> None:
    """balance == due - paid, in the values and in the JSON form."""
    for c in tl.contributions:
        assert c.balance == c.due - c.paid, f"year {c.year}: balance {c.balance} != {c.due} - {c.paid}"
        d = c.to_dict()
        assert Decimal(d["balance"]) == Decimal(d["due"]) - Decimal(d["paid"]), (
            f"year {c.year}: JSON balance {d['balance']} != {d['due']} - {d['paid']}")
        assert d["balance"] != "-0.00", f"year {c.year}: balance written -0.00"


def check_rows_paid_within_due(tl) -> None:
    """docs/spec.md 5.5: a call that is not the latest holds at most its due (0 <= paid <= due); only the
    latest may hold more (a credit); nothing is unallocated once a period is called."""
    cs = sorted(tl.contributions, key=lambda c: c.first)
    for c in cs[:-1]:
        assert Decimal(0) <= c.paid <= c.due, f"{c.first} (not the latest): paid {c.paid} outside 0..due {c.due}"
    if cs:
        assert cs[-1].paid >= 0, f"latest call {cs[-1].first}: paid {cs[-1].paid} < 0"
        assert tl.unallocated == 0, f"unallocated {tl.unallocated} although periods are called"


def check_allocation_by_due_date(ledger) -> None:
    """docs/spec.md 5.5, on the ledger a replay ends with: the amounts in due-date order are covered
    as a prefix (all of each, then part of one, then nothing), except for amounts of a year a
    payment names; a named year gets at least what was named for it (up to what it owes); a
    credit is left only when every amount is covered; nothing is lost."""
    # sorted here, not trusted from the ledger: due date, then the older period (stable)
    amounts = sorted(ledger.amounts(), key=lambda a: (a.due_date, a.first))
    named: dict[int, Decimal] = {}
    for amount, year in ledger.payments:
        if year is not None:
            named[year] = named.get(year, Decimal(0)) + amount
    short = None
    for a in amounts:
        assert 0 <= a.covered <= a.amount, f"{a}: covered outside 0..amount"
        if short is not None and a.covered > 0:
            assert a.year in named, (
                f"{a.year} amount due {a.due_date} got {a.covered} although {short.year}'s amount "
                f"due {short.due_date}, earlier in due-date order, is short ({short.covered} of {short.amount})")
        if short is None and a.covered < a.amount:
            short = a
    for year, total in named.items():
        owed = sum((a.amount for a in amounts if a.year == year), Decimal(0))
        got = sum((a.covered for a in amounts if a.year == year), Decimal(0))
        if owed:
            assert got >= min(total, owed), f"{year}: named {total}, owes {owed}, covered only {got}"
    covered = sum((a.covered for a in amounts), Decimal(0))
    if ledger.calls:
        paid = sum((c.paid for c in ledger.calls.values()), Decimal(0))
        assert paid == ledger.received, f"paid {paid} != received {ledger.received}"
        if paid > covered:
            assert short is None, f"a credit of {paid - covered} while {short} is short"


def check_entries_name_rules(tl) -> None:
    """Every entry names a rule of the catalogue and that rule's article."""
    cat = catalogue()
    for e in tl.entries:
        assert e.rule in cat, f"entry {e.kind} on {e.date} names rule {e.rule!r}, not in the catalogue"
        assert e.article == cat[e.rule], (
            f"entry {e.kind} on {e.date}: article {e.article!r}, but rule {e.rule} is {cat[e.rule]!r}")
    if tl.termination is not None:
        assert tl.termination.rule in cat, f"termination names rule {tl.termination.rule!r}, not in the catalogue"


def check_all(doc: dict, tl) -> None:
    check_periods_cover(tl)
    check_states_monotone(tl)
    check_termination_in_periods(tl)
    check_nothing_called_after_termination(tl)
    check_notice_last_day(doc, tl)
    check_covered_days(tl)
    check_due_bounds(tl)
    check_due_formula(doc, tl)
    check_money_conserved(doc, tl)
    check_balance(tl)
    check_rows_paid_within_due(tl)
    check_entries_name_rules(tl)


# ----------------------------------------------------------------------------- two timelines

def check_same_timeline(a, b, what: str) -> None:
    """Equal timelines; on failure, name the first part that differs."""
    if a == b:
        return
    da, db = a.to_dict(), b.to_dict()
    for key in da:
        if da[key] != db[key]:
            if isinstance(da[key], list):
                for i, (x, y) in enumerate(zip(da[key], db[key])):
                    assert x == y, f"{what}: {key}[{i}] differs:\n  {x}\n  {y}"
                assert len(da[key]) == len(db[key]), f"{what}: {key} has {len(da[key])} vs {len(db[key])} items"
            assert da[key] == db[key], f"{what}: {key} differs: {da[key]} vs {db[key]}"
    raise AssertionError(f"{what}: timelines differ")


def check_extra_payment(before, after) -> None:
    """An extra payment never raises any year's balance (the same years called, same dues)."""
    old = {c.year: c for c in before.contributions}
    for c in after.contributions:
        if c.year in old:
            assert c.balance <= old[c.year].balance, (
                f"year {c.year}: balance rose from {old[c.year].balance} to {c.balance} after an extra payment")


def check_extra_notice(before, after) -> None:
    """An extra notice never moves a termination's last day later (nor removes it)."""
    if before.termination is None:
        return
    assert after.termination is not None, (
        f"an extra notice removed the termination (last day {before.termination.last_day})")
    if after.termination.last_day > before.termination.last_day:
        # The one exception: the extra notice ends the convention before the day the ruling
        # notice was learned, which then comes after the termination and has no effect
        # (docs/spec.md 5.6).
        t = before.termination
        learned = min((e.date for e in before.entries if e.kind == "termination_scheduled"
                       and e.detail.get("by") == t.by and e.detail.get("last_day") == t.last_day),
                      default=None)
        assert learned is not None and after.termination.last_day < learned, (
            f"an extra notice moved the last day from {t.last_day} to {after.termination.last_day}")
