"""The amount of a call, written as data in the rules file: a few operations, no `eval`.

A formula is a tree of one-key mappings. Leaves read the facts in force on the call date:

- ``{param: PATH}``: a parameter (dated values resolved on the call date);
- ``{basis: INPUT}``: the year's basis value of a per-year input (the stand-in's value when
  estimated, null when none is known); ``{basis_year: INPUT}``: the year it is the value of;
- ``{current: INPUT}``: a current value (read on the call date);
- ``{figure: NAME}``: a figure computed before this one;
- a number (``"160.00"``, ``0``): a constant.

Operations: ``{sum: [..]}``, ``{mul: [..]}``, ``{max: [..]}``, ``{min: [..]}``, ``{round: X}``
(half-up to the cent: the rounding points the file states), ``{bracket: X, bounds: LIST}`` (1 +
the number of bounds below X: the bounds are inclusive upper bounds), ``{threshold: X, upto: LIMIT, names: [A, B]}``
(A when X <= LIMIT, else B), ``{select: NAME, cases: {A: X, B: Y}}``, ``{item: LIST, at: N}``
(1-based, the last item past the end), ``{default: X, or: Y}`` (Y when X is null).

Null (an unknown basis) counts as zero in arithmetic. Every name is checked when the rules file
is loaded (:func:`compile_formula` raises :class:`FormulaError` with the path of the bad key).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from . import money

NUMBER, LIST, NAME = "number", "list", "name"


class FormulaError(ValueError):
    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


class Context:
    """What a formula reads: parameters, basis values, current values, figures so far."""

    __slots__ = ("params", "basis", "basis_year", "current", "figures")

    def __init__(self, params: Any, basis: Mapping, basis_year: Mapping, current: Mapping):
        self.params = params
        self.basis = basis
        self.basis_year = basis_year
        self.current = current
        self.figures: dict[str, Any] = {}


Compiled = Callable[[Context], Any]


class Env:
    """What a rules file declares, for checking names: parameter kinds, inputs, figures."""

    def __init__(self, param_kinds: Mapping[str, str], basis_inputs: set, current_inputs: set):
        self.param_kinds = param_kinds
        self.basis_inputs = basis_inputs
        self.current_inputs = current_inputs
        self.figure_kinds: dict[str, str] = {}
        self.figure_names: dict[str, frozenset] = {}  # the names a name figure can take


def _num(x: Any) -> Any:
    return 0 if x is None else x


def _named(fn: Callable, names: Any) -> Callable:
    """A formula giving a name, with the names it can give (to check a `select`'s cases)."""
    fn.names = frozenset(names) if names else None  # type: ignore[attr-defined]
    return fn


def _expect(kind: str, want: str, path: tuple) -> None:
    if kind != want:
        raise FormulaError(path, f"expected a {want}, this gives a {kind}")


def compile_formula(expr: Any, env: Env, path: tuple = ()) -> tuple[Compiled, str]:
    """A checked formula as a function of a :class:`Context`, and the kind of its value."""
    if isinstance(expr, bool) or expr is None:
        raise FormulaError(path, f"expected a formula, got {expr!r}")
    if isinstance(expr, (int, Decimal, str)):
        try:
            value = Decimal(str(expr))
        except InvalidOperation:
            raise FormulaError(path, f"expected a number or a formula, got {expr!r}") from None
        return (lambda c, v=value: v), NUMBER
    if not isinstance(expr, Mapping) or not expr:
        raise FormulaError(path, f"expected a formula such as {{param: NAME}}, got {expr!r}")
    op = next(iter(expr))
    here = path + (op,)
    arg = expr[op]

    def keys(*allowed: str) -> None:
        extra = set(expr) - set(allowed)
        if extra:
            raise FormulaError(path + (sorted(extra)[0],), f"`{op}` takes {', '.join(allowed)}")
        for k in allowed:
            if k not in expr:
                raise FormulaError(path, f"`{op}` needs `{k}`")

    if op == "param":
        keys("param")
        kind = env.param_kinds.get(arg) if isinstance(arg, str) else None
        if kind is None:
            raise FormulaError(here, f"unknown parameter {arg!r}")
        return (lambda c, p=arg: c.params[p]), kind
    if op in ("basis", "basis_year"):
        keys(op)
        if arg not in env.basis_inputs:
            raise FormulaError(here, f"{arg!r} is not the input the basis is read from "
                                     f"({', '.join(sorted(env.basis_inputs)) or 'none'})")
        if op == "basis":
            return (lambda c, i=arg: c.basis.get(i)), NUMBER
        return (lambda c, i=arg: c.basis_year.get(i)), NUMBER
    if op == "current":
        keys("current")
        if arg not in env.current_inputs:
            raise FormulaError(here, f"unknown current input {arg!r} "
                                     f"({', '.join(sorted(env.current_inputs)) or 'none declared'})")
        return (lambda c, i=arg: c.current.get(i)), NUMBER
    if op == "figure":
        keys("figure")
        if arg not in env.figure_kinds:
            raise FormulaError(here, f"unknown figure {arg!r} (a figure is used after it is defined)")
        fn = _named(lambda c, f=arg: c.figures[f], env.figure_names.get(arg))
        return fn, env.figure_kinds[arg]
    if op in ("sum", "mul", "max", "min"):
        keys(op)
        if not isinstance(arg, (list, tuple)) or len(arg) < 2:
            raise FormulaError(here, f"`{op}` takes a list of at least two formulas")
        parts = []
        for i, x in enumerate(arg):
            f, kind = compile_formula(x, env, here + (i,))
            _expect(kind, NUMBER, here + (i,))
            parts.append(f)
        if op == "sum":
            return (lambda c: sum((_num(f(c)) for f in parts), Decimal(0))), NUMBER
        if op == "mul":
            def mul(c: Context) -> Any:
                out = Decimal(1)
                for f in parts:
                    out *= _num(f(c))
                return out
            return mul, NUMBER
        pick = max if op == "max" else min
        return (lambda c: pick(_num(f(c)) for f in parts)), NUMBER
    if op == "round":
        keys("round")
        f, kind = compile_formula(arg, env, here)
        _expect(kind, NUMBER, here)
        return (lambda c: money.round_cent(Decimal(_num(f(c))))), NUMBER
    if op == "bracket":
        keys("bracket", "bounds")
        f, kind = compile_formula(arg, env, here)
        _expect(kind, NUMBER, here)
        b, bkind = compile_formula(expr["bounds"], env, path + ("bounds",))
        _expect(bkind, LIST, path + ("bounds",))

        def bracket(c: Context) -> int:
            x = _num(f(c))
            bounds = b(c)
            for i, top in enumerate(bounds):
                if x <= top:
                    return i + 1
            return len(bounds) + 1
        return bracket, NUMBER
    if op == "threshold":
        keys("threshold", "upto", "names")
        f, kind = compile_formula(arg, env, here)
        _expect(kind, NUMBER, here)
        lim, lkind = compile_formula(expr["upto"], env, path + ("upto",))
        _expect(lkind, NUMBER, path + ("upto",))
        names = expr["names"]
        if (not isinstance(names, (list, tuple)) or len(names) != 2
                or not all(isinstance(n, str) and n for n in names)):
            raise FormulaError(path + ("names",), "`names` takes two names: [up to, above]")
        below, above = names
        return _named(lambda c: below if _num(f(c)) <= lim(c) else above, {below, above}), NAME
    if op == "select":
        keys("select", "cases")
        f, kind = compile_formula(arg, env, here)
        _expect(kind, NAME, here)
        cases = expr["cases"]
        if not isinstance(cases, Mapping) or not cases:
            raise FormulaError(path + ("cases",), "`cases` maps each name to a formula")
        compiled = {}
        kinds = set()
        for name, x in cases.items():
            g, gkind = compile_formula(x, env, path + ("cases", name))
            compiled[name] = g
            kinds.add(gkind)
        if len(kinds) != 1:
            raise FormulaError(path + ("cases",), "every case must give the same kind of value")
        uncovered = sorted(set(getattr(f, "names", None) or ()) - set(compiled))
        if uncovered:
            raise FormulaError(path + ("cases",), f"no case for {', '.join(map(repr, uncovered))}, "
                                                  "which the selected name can be")

        def select(c: Context) -> Any:
            name = f(c)
            if name not in compiled:
                raise FormulaError(here, f"no case for {name!r}")
            return compiled[name](c)
        return select, kinds.pop()
    if op == "item":
        keys("item", "at")
        f, kind = compile_formula(arg, env, here)
        _expect(kind, LIST, here)
        at, akind = compile_formula(expr["at"], env, path + ("at",))
        _expect(akind, NUMBER, path + ("at",))

        def item(c: Context) -> Any:
            items = f(c)
            return items[max(1, min(int(_num(at(c))), len(items))) - 1]
        return item, NUMBER
    if op == "default":
        keys("default", "or")
        f, kind = compile_formula(arg, env, here)
        g, gkind = compile_formula(expr["or"], env, path + ("or",))
        _expect(gkind, kind, path + ("or",))
        return (lambda c: (lambda v: g(c) if v is None else v)(f(c))), kind
    raise FormulaError(here, f"unknown operation {op!r} (param, basis, basis_year, current, figure, "
                             "sum, mul, max, min, round, bracket, threshold, select, item, default)")


def call_amounts(figures: tuple, ctx: Context, covered: int, period_days: int, per_year: int,
                 prorated: bool) -> tuple[dict, Decimal, Decimal]:
    """The figures of one call, its annual amount rounded to the cent and its due (docs/spec.md 2, 5.4
    and 8.2): ``annual × covered / (calls a year × days of the period)``, or a share of the
    annual amount without prorata, rounded half-up to the cent once."""
    for name, f in figures:
        ctx.figures[name] = f(ctx)
    annual = Decimal(ctx.figures["annual"] or 0)
    if covered <= 0:
        due = money.ZERO
    elif not prorated:
        due = money.round_cent(annual / per_year)
    else:
        due = money.round_cent(annual * covered / (per_year * period_days))
    return ctx.figures, money.round_cent(annual), due
