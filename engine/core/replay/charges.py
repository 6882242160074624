"""Charges and the ledger: inputs and amendments, calls, adjustments, payments.

A call's amount is the rules file's formula (engine/core/formula.py) read with the parameters of its
call date, the basis value of its year (or the stand-in year's, fixed at the call) and the days it
covers. Whenever a fact may change a figure (an input, an amendment, the last day's refund) every
call is recomputed (:func:`reconcile`); a call whose due changes asks the rules an ``adjust``
decision, then money is reallocated (engine/core/ledger.py) and the standing asked once, so that a fact
touching several calls never shows a default that exists only halfway through.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from .. import calendar, contract as C, dates, formula, money
from .. import params as P
from ..events import AmendmentSigned, InputGiven, PaymentReceived, thaw
from ..ledger import Call
from ..timeline import figure_value
from . import standing
from .agenda import PH_CALL
from ..frozen import evolve as fevolve
from .state import Decided, State, ask, diag, ensure_check, entry, evolve, params_on, push

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


def record(s: State, d: Decided) -> State:
    e: InputGiven = d.payload
    if e.year is None:
        s = evolve(s, current={**s.current, e.input: e.value})
        return entry(s, d.rule, e.input + "_recorded", {e.input: e.value})
    values = dict(s.per_year.get(e.input, {}))
    previous = values.get(e.year)
    values[e.year] = e.value
    detail: dict[str, Any] = {"year": e.year, e.field: e.value}
    if previous is not None:
        detail["previous"] = previous
    s = evolve(s, per_year={**s.per_year, e.input: values})
    return reconcile(entry(s, d.rule, e.input + "_recorded", detail), read=(e.input, e.year))


def amend(s: State, d: Decided) -> State:
    e: AmendmentSigned = d.payload
    s = evolve(s, amendments=s.amendments + (e,))
    s = entry(s, d.rule, "amendment_recorded",
              {"ref": e.ref, "effective": e.effective, "set": thaw(e.set)})
    code = d.args.diagnostic
    if code:  # without a ref, "amendment (line 3)", not "amendment  (line 3)"
        s = diag(s, code, {"ref": e.ref or "", "line": e.line}, tidy=True)
    return reconcile(s)


# ---------------------------------------------------------------------- calls


def known_end(s: State) -> dt.date:
    end = FAR
    final_end = s.ctx.final_end
    if final_end is not None:
        end = final_end
    if s.ruling is not None:
        end = min(end, s.ruling.last_day)
    return end


def basis_year(ctx: Replay, year: int, p: P.Params) -> int | None:
    """The year whose value is the basis of a call of calendar ``year``: the rules' reading
    (engine/core/readings.py) of the basis's `year` parameter in force on the call date."""
    b = ctx.amount.basis
    return None if b is None else ctx.readings.basis_year(year, p[b.year_param])


def figures_of(s: State, c: Call, covered: int, p: P.Params, bump: str | None = None) -> _Figures:
    """The formula's figures for a call (``bump``: an input read one higher, for the other
    reading of a boundary value)."""
    ctx = s.ctx
    b = ctx.amount.basis
    basis_values: dict = {}
    basis_years: dict = {}
    value = source = None
    status = "none"
    if b is not None:
        byear = ctx.readings.basis_year(c.year, p[b.year_param])
        values = s.per_year.get(b.input, {})
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
    key = (id(p), value, source, status, covered)
    memo = ctx.memo.get((c.first, bump))
    if memo is not None and memo[0] == key:
        return memo[1]
    current = c.current
    if bump is not None and bump in current:
        current = dict(current, **{bump: current[bump] + 1})
    fctx = formula.Context(p, basis_values, basis_years, current)
    figures, annual, due = formula.call_amounts(
        ctx.amount.figures, fctx, covered, c.period_days,
        calendar.PER_YEAR[ctx.base.contribution("call")], p.contribution("prorata") == "days")
    f = _Figures(figures, annual, due, status, value, source, fctx)
    ctx.memo[c.first, bump] = (key, f)
    return f


def after_last_day(s: State) -> bool:
    """Whether today's call is of a period that begins after the last day known now (the
    ``call`` decision posts it: the rules say whether such a period is called)."""
    period_first, _ = calendar.call_period(s.today, s.ctx.base.contribution("call"))
    return max(s.ctx.start, period_first) > known_end(s)


def call(s: State, d: Decided) -> State:
    ctx, today = s.ctx, s.today
    p = params_on(s, today)
    # The call frequency is the rules file's (and the overrides'): an amendment cannot change it.
    period_first, period_last = calendar.call_period(today, ctx.base.contribution("call"))
    # a period after the last day known now covers no day (called only if a rule says so)
    covered = dates.days_between(max(ctx.start, period_first), min(period_last, known_end(s)))
    stand_in = None
    b = ctx.amount.basis
    if b is not None:
        byear = ctx.readings.basis_year(period_first.year, p[b.year_param])
        values = s.per_year.get(b.input, {})
        if byear not in values:  # the rules say which known year stands in (none: unknown)
            stand_in = ctx.readings.stand_in(byear, tuple(values))
    c = Call(period_first, period_last, today, covered,
             dates.days_between(period_first, period_last), s.current, stand_in)
    f = figures_of(s, c, covered, p)
    c = fevolve(c, figures=f.figures, annual=f.annual, due=f.due, read_from=(f.source, f.value))
    due_date = dates.plus(today, p.payment_term)
    s = evolve(s, ledger=s.ledger.add(c, due_date))
    detail = row_detail(ctx, c, f)
    detail.update(covered_days=covered, due=f.due, due_date=due_date)
    detail[days_key(c)] = c.period_days
    if b is not None:
        # the year whose value was read; a stand-in also says the year it stands in for
        intended = basis_year(ctx, c.year, p)
        detail["basis_year"] = f.source
        if f.source != intended:
            detail["basis_for"] = intended
    for key, fn in ctx.amount.detail:
        detail[key] = fn(f.ctx)
    s = entry(s, d.rule, "contribution_called", detail)
    s = basis_diagnostics(s, c, f, p)
    for reading in ctx.amount.readings:
        s = other_reading(s, c, f, p, reading)
    # the day after the due date is visited (its check); the next period is called (one evolve)
    agenda = s.agenda.ensure_check(due_date + dates.ONE_DAY)
    nxt = period_last + dates.ONE_DAY
    return evolve(s, agenda=agenda.push(nxt, PH_CALL, "call", nxt))


def yearly(c: Call) -> bool:
    return c.first.month == 1 and c.first.day == 1 and c.last.month == 12 and c.last.day == 31


def days_key(c: Call) -> str:
    return "year_days" if yearly(c) else "period_days"


def row_detail(ctx: Replay, c: Call, f: _Figures) -> dict:
    detail: dict[str, Any] = {"year": c.year}
    if not yearly(c):
        detail["period"] = c.first
    for name, typ in ctx.amount.row:
        # a rate is written as it is ("0.0033"), not as money
        detail[name] = figure_value(f.figures[name], typ) if typ == "rate" else f.figures[name]
    detail["annual"] = f.annual
    return detail


# The figures a message names as they are (typed in the row), by amount section (kept alive).
_AS_IS: dict[int, tuple[Any, frozenset[str]]] = {}


def message_values(ctx: Replay, c: Call, f: _Figures, p: P.Params) -> dict:
    """What a basis or reading message may name; amounts stay Decimal (written per
    language), a rate and a figure the row does not type are written as they are."""
    as_is = _AS_IS.get(id(ctx.amount))
    if as_is is None or as_is[0] is not ctx.amount:
        as_is = _AS_IS[id(ctx.amount)] = (ctx.amount, frozenset(
            name for name, typ in ctx.amount.row if typ in ("count", "year", "name", "amount")))
    values: dict[str, Any] = {"year": c.year, "period": c.first, "value": f.value,
                              "basis_year": basis_year(ctx, c.year, p), "stand_in": c.stand_in}
    for name, v in f.figures.items():
        values[name] = v if name in as_is[1] else _show(v)
    values["annual"] = f.annual
    return values


def basis_diagnostics(s: State, c: Call, f: _Figures, p: P.Params) -> State:
    b = s.ctx.amount.basis
    if b is None or f.basis not in ("estimated", "unknown"):
        return s
    code = b.estimated if f.basis == "estimated" else b.unknown
    return diag(s, code, message_values(s.ctx, c, f, p))


def other_reading(s: State, c: Call, f: _Figures, p: P.Params, reading: Any) -> State:
    """A value the text puts on a boundary (listed beside its parameter): the other reading
    is the same call with that value + 1, told when its annual amount differs."""
    ctx = s.ctx
    value = f.value if ctx.rules.inputs[reading.input].per_year else c.current.get(reading.input)
    if value is None or value not in p[reading.values_param]:
        return s
    other = figures_of(s, c, c.covered_days, p, bump=reading.input)
    if other.annual == f.annual:
        return s
    values = message_values(ctx, c, f, p)
    values["value"] = value
    values.update({f"other.{k}": v for k, v in message_values(ctx, c, other, p).items()})
    return diag(s, reading.code, values, message=reading.message)


def target_covered(s: State, c: Call) -> tuple[int, bool, bool]:
    """Covered days a call should now have; whether the last day's prorata cut them
    (refund); whether the call is for a period after the last day, cut by the rules too. The
    rules say how many days the call of the last day's period, or of a later one, keeps
    (engine/core/readings.py)."""
    ruling = s.ruling
    if ruling is None or not ruling.refund_point:
        return c.covered_days, False, False
    if c.last >= ruling.last_day:
        # a period after the last day (called before it was known) is asked too: 0 days to it
        after = c.first > ruling.last_day
        kept = s.ctx.readings.days_kept(
            ruling.by, ruling.by == "expiry", ruling.immediate, c.covered_days,
            0 if after else dates.days_between(max(s.ctx.start, c.first), ruling.last_day),
            params_on(s, ruling.last_day), after)
        if kept != c.covered_days:
            return kept, not after, after
    return c.covered_days, False, False


def _reads(ctx: Replay, c: Call, p: P.Params, read: tuple[str, int]) -> bool:
    """Whether a call's figures may read the value of input ``read[0]`` for year ``read[1]``:
    its basis year's, or its stand-in's (engine/core/replay/charges.figures_of)."""
    b = ctx.amount.basis
    if b is None or b.input != read[0]:
        return False
    return read[1] == ctx.readings.basis_year(c.year, p[b.year_param]) or read[1] == c.stand_in


def reconcile(s: State, read: tuple[str, int] | None = None) -> State:
    """Recompute every call from its figures; adjust the ones that changed.

    Money is reallocated and the standing checked once all calls are adjusted, so that a
    fact that changes several calls never shows a default that exists only halfway through.
    ``read``: the only fact that changed is the value of this input for this year, and the
    calls that cannot read it are left as they are (their figures are the same).
    """
    ctx = s.ctx
    amount = ctx.amount
    changed = False
    basis_readings = [x for x in amount.readings if ctx.rules.inputs[x.input].per_year]
    for first in tuple(s.ledger.calls):
        c = s.ledger.calls[first]
        p = params_on(s, c.called_on)
        if read is not None and not _reads(ctx, c, p, read):
            continue
        covered, refund, beyond = target_covered(s, c)
        f = figures_of(s, c, covered, p)
        read_from = (f.source, f.value)
        recount = read_from != c.read_from
        if f.due == c.due:
            # Nothing owed changes (an equal amount, a free one): figures follow silently.
            if (c.figures is not f.figures or c.annual != f.annual or c.covered_days != covered
                    or recount):
                c = fevolve(c, figures=f.figures, annual=f.annual, covered_days=covered,
                                 read_from=read_from)
                s = evolve(s, ledger=s.ledger.with_call(c))
        else:
            figures: dict[str, Any] = {}
            for name, typ in amount.row:
                for key, v in ((name, f.figures[name]), ("was_" + name, c.figures[name])):
                    posted = _posted(v, typ)
                    if posted is not None:
                        figures[key] = posted
            s = ask(s, C.Adjust(refund=refund, beyond_last_day=beyond, figures=figures),
                    (c, covered, f))[0]
            changed = True
            c = s.ledger.calls[first]
            if recount:
                c = fevolve(c, read_from=read_from)
                s = evolve(s, ledger=s.ledger.with_call(c))
        if recount:
            for reading in basis_readings:
                s = other_reading(s, c, f, p, reading)
    if changed:
        s = evolve(s, ledger=s.ledger.allocate())
        return standing.check(s)
    return s


def adjust(s: State, d: Decided) -> State:
    ctx = s.ctx
    c, covered, f = d.payload
    before = c.due
    p = params_on(s, s.today)
    due_date = dates.plus(s.today, p.payment_term)
    if f.due > before:
        s = ensure_check(s, due_date + dates.ONE_DAY)
    ledger = s.ledger.change_due(c, f.due, due_date)
    detail = row_detail(ctx, c, f)
    detail.update({"from": before, "to": f.due, "covered_days": covered})
    if s.ruling is not None and d.args.show_last_day:
        detail["last_day"] = s.ruling.last_day
    for name in ctx.amount.previous:
        if f.figures[name] != c.figures[name]:
            detail["previous_" + name] = c.figures[name]
    for key, fn in ctx.amount.detail:
        if key in ctx.amount.correction_detail:
            v = fn(f.ctx)
            if v is not None:
                detail[key] = v
    changed = fevolve(ledger.calls[c.first], figures=f.figures, annual=f.annual,
                           covered_days=covered)
    s = evolve(s, ledger=ledger.with_call(changed))
    return entry(s, d.rule, "contribution_adjusted", detail)


# ---------------------------------------------------------------------- money


def payment(s: State, d: Decided) -> State:
    e: PaymentReceived = d.payload
    year = e.for_year
    if year is not None and not s.ledger.called(year):
        # docs/spec.md 5.5: only a year already called on the payment's date can be named.
        s = diag(s, "payment_for_uncalled_year", {"line": e.line, "year": year, "amount": e.amount})
        year = None
    s = evolve(s, ledger=s.ledger.receive(e.amount, year))
    detail: dict[str, Any] = {"amount": e.amount}
    if year is not None:
        detail["for"] = year
    s = entry(s, d.rule, "payment_received", detail)
    if e.date < s.ctx.start:  # still money received: it pays the first calls (docs/semantics.md)
        s = diag(s, "payment_before_start",
                 {"amount": e.amount, "date": e.date, "line": e.line, "start": s.ctx.start})
    return standing.check(s)


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
