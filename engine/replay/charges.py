"""Charges and the ledger: inputs and amendments, calls, adjustments, payments.

A call's amount is the rules file's formula (engine/formula.py) read with the parameters of its
call date, the basis value of its year (or the stand-in year's, fixed at the call) and the days it
covers. Whenever a fact may change a figure (an input, an amendment, the last day's refund) every
call is recomputed (:func:`reconcile`); a call whose due changes asks the rules an ``adjust``
decision, then money is reallocated (engine/ledger.py) and the standing asked once, so that a fact
touching several calls never shows a default that exists only halfway through.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from .. import calendar, contract as C, dates, formula, money, params as P, rulesfile
from ..events import AmendmentSigned, InputGiven, PaymentReceived, thaw
from ..ledger import Call
from ..timeline import figure_value
from . import standing
from .agenda import PH_CALL

if TYPE_CHECKING:
    from .driver import Replay

FAR = dt.date.max


def _cents(a: Decimal) -> int:
    return int(money.round_cent(a) * 100)


@attrs.frozen
class _Figures:
    figures: dict  # every figure of the formula, `annual` among them
    annual: Decimal  # rounded to the cent
    due: Decimal
    basis: str  # known | estimated | unknown | none (the formula reads no basis)
    value: Any  # the basis value read (None: none known)
    source: int | None  # the year whose value was read
    ctx: formula.Context  # what the formula read, for the entries' detail


# ---------------------------------------------------------------------- inputs and amendments


def record(r: Replay, e: InputGiven) -> None:
    if e.year is None:
        r.current[e.input] = e.value
        r.entry(e.input + "_recorded", {e.input: e.value})
        return
    values = r.per_year.setdefault(e.input, {})
    previous = values.get(e.year)
    values[e.year] = e.value
    detail: dict[str, Any] = {"year": e.year, e.field: e.value}
    if previous is not None:
        detail["previous"] = previous
    r.entry(e.input + "_recorded", detail)
    reconcile(r)


def amend(r: Replay, e: AmendmentSigned) -> None:
    r.params.amendments.append(e)
    r.entry("amendment_recorded", {"ref": e.ref, "effective": e.effective, "set": thaw(e.set)})
    code = r.args.diagnostic
    if code:  # without a ref, "amendment (line 3)", not "amendment  (line 3)"
        r.diag(r.today, code, {"ref": e.ref or "", "line": e.line}, tidy=True)
    reconcile(r)

# ---------------------------------------------------------------------- calls


def known_end(r: Replay) -> dt.date:
    end = FAR
    if r.final_end is not None:
        end = r.final_end
    if r.ruling is not None:
        end = min(end, r.ruling.last_day)
    return end


def basis_year(r: Replay, year: int, p: P.Params) -> int | None:
    """The year whose value is the basis of a call of calendar ``year``."""
    b = r.amount.basis
    if b is None:
        return None
    return year - 1 if p[b.year_param] == "previous_year" else year


def figures_of(r: Replay, c: Call, covered: int, p: P.Params, bump: str | None = None) -> _Figures:
    """The formula's figures for a call (``bump``: an input read one higher, for the other
    reading of a boundary value)."""
    b = r.amount.basis
    basis_values: dict = {}
    basis_years: dict = {}
    value = source = None
    status = "none"
    if b is not None:
        byear = basis_year(r, c.year, p)
        values = r.per_year.get(b.input, {})
        if byear in values:
            value, status, source = values[byear], "known", byear
        elif c.stand_in is not None and c.stand_in in values:
            value, status, source = values[c.stand_in], "estimated", c.stand_in
        else:
            status = "unknown"
        read = value
        if bump == b.input and read is not None:
            read = read + 1
        basis_values[b.input] = read
        basis_years[b.input] = source
    # The same facts give the same figures: a reconciliation recomputes every call, and most
    # of them have not changed (the parameters are cached objects, the current values fixed).
    key = (id(p), value, source, status, covered, bump)
    if c.memo is not None and c.memo[0] == key:
        return c.memo[1]
    current = c.current
    if bump is not None and bump in current:
        current = dict(current, **{bump: current[bump] + 1})
    ctx = formula.Context(p, basis_values, basis_years, current)
    figures, annual, due = formula.call_amounts(
        r.amount.figures, ctx, covered, c.period_days,
        calendar.PER_YEAR[r.base.contribution("call")], p.contribution("prorata") == "days")
    f = _Figures(figures, annual, due, status, value, source, ctx)
    c.memo = (key, f)
    return f


def call(r: Replay, first: dt.date) -> None:
    p = r.params_on(r.today)
    # The call frequency is the rules file's (and the overrides'): an amendment cannot change it.
    period_first, period_last = calendar.call_period(r.today, r.base.contribution("call"))
    covered = dates.days_between(max(r.start, period_first), min(period_last, known_end(r)))
    if covered <= 0:
        return
    stand_in = None
    b = r.amount.basis
    if b is not None:
        byear = basis_year(r, period_first.year, p)
        values = r.per_year.get(b.input, {})
        if byear not in values:
            earlier = [k for k in values if k < byear]
            stand_in = max(earlier) if earlier else None
    c = Call(period_first, period_last, r.today, covered,
             dates.days_between(period_first, period_last), dict(r.current), stand_in)
    f = figures_of(r, c, covered, p)
    c.figures, c.annual, c.due = f.figures, f.annual, f.due
    c.read_from = (f.source, f.value)
    due_date = r.today + p.payment_term
    r.ledger.add(c, due_date)
    detail = row_detail(r, c, f)
    detail.update(covered_days=covered, due=f.due, due_date=due_date)
    detail[days_key(c)] = c.period_days
    if b is not None:
        # the year whose value was read; a stand-in also says the year it stands in for
        intended = basis_year(r, c.year, p)
        detail["basis_year"] = f.source
        if f.source != intended:
            detail["basis_for"] = intended
    for key, fn in r.amount.detail:
        detail[key] = fn(f.ctx)
    r.entry("contribution_called", detail)
    basis_diagnostics(r, c, f, p)
    for reading in r.amount.readings:
        other_reading(r, c, f, p, reading)
    r.agenda.ensure_check(due_date + dates.ONE_DAY)
    r.push(period_last + dates.ONE_DAY, PH_CALL, "call", period_last + dates.ONE_DAY)


def yearly(c: Call) -> bool:
    return c.first.month == 1 and c.first.day == 1 and c.last.month == 12 and c.last.day == 31


def days_key(c: Call) -> str:
    return "year_days" if yearly(c) else "period_days"


def row_detail(r: Replay, c: Call, f: _Figures) -> dict:
    detail: dict[str, Any] = {"year": c.year}
    if not yearly(c):
        detail["period"] = c.first
    for name, typ in r.amount.row:
        # a rate is written as it is ("0.0033"), not as money
        detail[name] = figure_value(f.figures[name], typ) if typ == "rate" else f.figures[name]
    detail["annual"] = f.annual
    return detail


def message_values(r: Replay, c: Call, f: _Figures, p: P.Params) -> dict:
    """What a basis or reading message may name; amounts stay Decimal (written per
    language), a rate and a figure the row does not type are written as they are."""
    rows = dict(r.amount.row)
    values: dict[str, Any] = {"year": c.year, "period": c.first, "value": f.value,
                              "basis_year": basis_year(r, c.year, p), "stand_in": c.stand_in}
    for name, v in f.figures.items():
        values[name] = v if rows.get(name) in ("count", "year", "name", "amount") else _show(v)
    values["annual"] = f.annual
    return values


def basis_diagnostics(r: Replay, c: Call, f: _Figures, p: P.Params) -> None:
    b = r.amount.basis
    if b is None or f.basis not in ("estimated", "unknown"):
        return
    code = b.estimated if f.basis == "estimated" else b.unknown
    r.diag(r.today, code, message_values(r, c, f, p))


def other_reading(r: Replay, c: Call, f: _Figures, p: P.Params, reading: rulesfile.Reading) -> None:
    """A value the text puts on a boundary (listed beside its parameter): the other reading
    is the same call with that value + 1, told when its annual amount differs."""
    value = f.value if r.rules.inputs[reading.input].per_year else c.current.get(reading.input)
    if value is None or value not in p[reading.values_param]:
        return
    other = figures_of(r, c, c.covered_days, p, bump=reading.input)
    if other.annual == f.annual:
        return
    values = message_values(r, c, f, p)
    values["value"] = value
    values.update({f"other.{k}": v for k, v in message_values(r, c, other, p).items()})
    r.diag(r.today, reading.code, values, message=reading.message)


def target_covered(r: Replay, c: Call) -> tuple[int, bool, bool]:
    """Covered days a call should now have; whether the last day's prorata cut them
    (refund); whether the call is for a period after the last day. The rules say how many
    days the call of the last day's period keeps (engine/readings.py)."""
    ruling = r.ruling
    if ruling is None or not ruling.refund_point:
        return c.covered_days, False, False
    if c.first > ruling.last_day:
        return 0, False, c.covered_days > 0
    if c.last >= ruling.last_day:
        kept = r.readings.days_kept(
            ruling.by, ruling.by == "expiry", ruling.immediate, c.covered_days,
            dates.days_between(max(r.start, c.first), ruling.last_day), r.params_on(ruling.last_day))
        if kept != c.covered_days:
            return kept, True, False
    return c.covered_days, False, False


def reconcile(r: Replay) -> None:
    """Recompute every call from its figures; adjust the ones that changed.

    Money is reallocated and the standing checked once all calls are adjusted, so that a
    fact that changes several calls never shows a default that exists only halfway through.
    """
    changed = False
    basis_readings = [x for x in r.amount.readings if r.rules.inputs[x.input].per_year]
    for c in r.ledger.calls.values():
        covered, refund, beyond = target_covered(r, c)
        p = r.params_on(c.called_on)
        f = figures_of(r, c, covered, p)
        read_from = (f.source, f.value)
        recount = read_from != c.read_from
        if f.due == c.due:
            # Nothing owed changes (an equal amount, a free one): figures follow silently.
            c.figures, c.annual, c.covered_days = f.figures, f.annual, covered
        else:
            figures: dict[str, Any] = {}
            for name, typ in r.amount.row:
                for key, v in ((name, f.figures[name]), ("was_" + name, c.figures[name])):
                    posted = _posted(v, typ)
                    if posted is not None:
                        figures[key] = posted
            r.decide(C.Adjust(refund=refund, beyond_last_day=beyond, figures=figures),
                     (c, covered, f))
            changed = True
        c.read_from = read_from
        if recount:
            for reading in basis_readings:
                other_reading(r, c, f, p, reading)
    if changed:
        r.ledger.allocate()
        standing.check(r)


def adjust(r: Replay, ctx: tuple) -> None:
    c, covered, f = ctx
    before = c.due
    p = r.params_on(r.today)
    due_date = r.today + p.payment_term
    if f.due > before:
        r.agenda.ensure_check(due_date + dates.ONE_DAY)
    r.ledger.change_due(c, f.due, due_date)
    detail = row_detail(r, c, f)
    detail.update({"from": before, "to": f.due, "covered_days": covered})
    if r.ruling is not None and r.args.show_last_day:
        detail["last_day"] = r.ruling.last_day
    for name in r.amount.previous:
        if f.figures[name] != c.figures[name]:
            detail["previous_" + name] = c.figures[name]
    for key, fn in r.amount.detail:
        if key in r.amount.correction_detail:
            v = fn(f.ctx)
            if v is not None:
                detail[key] = v
    c.figures, c.annual, c.covered_days = f.figures, f.annual, covered
    r.entry("contribution_adjusted", detail)


# ---------------------------------------------------------------------- money


def payment(r: Replay, e: PaymentReceived) -> None:
    year = e.for_year
    if year is not None and not r.ledger.called(year):
        # docs/spec.md 5.5: only a year already called on the payment's date can be named.
        r.diag(r.today, "payment_for_uncalled_year",
               {"line": e.line, "year": year, "amount": e.amount})
        year = None
    r.ledger.receive(e.amount, year)
    detail: dict[str, Any] = {"amount": e.amount}
    if year is not None:
        detail["for"] = year
    r.entry("payment_received", detail)
    if e.date < r.start:  # still money received: it pays the first calls (docs/semantics.md)
        r.diag(r.today, "payment_before_start",
               {"amount": e.amount, "date": e.date, "line": e.line, "start": r.start})
    standing.check(r)


def _show(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _posted(v: Any, typ: str) -> Any:
    """A row figure as the rules see it: as in the JSON row, but amounts in cents (a rate stays
    text, compared for equality only); null is not posted."""
    if typ == "amount" and v is not None:
        return _cents(Decimal(v))
    return figure_value(v, typ)
