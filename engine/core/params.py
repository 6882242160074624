"""The parameters of a convention: a schema built from its rules file, deep merges, dated values.

Two kinds of parameters live in one tree:

- the **mechanics** the engine itself reads (the term and its renewal, notices, the call frequency,
  the payment term, prorata, refunds), known here by path with their types; the notice period of
  each party (``notice.<party>``) is one of them, for the parties the rules file declares;
- the parameters a rules file **declares** for its formulas, each with a ``type`` (an amount, a
  rate, a list of bounds...), which the engine knows only by that type.

A rules file leaf is ``{value: ...}`` or ``{values: {DATE: ...}}`` (dated values: the one in force
on a day is the one with the latest date on or before it, OpenFisca's way); overrides and
amendments are plain partial trees of values. :meth:`Schema.check_partial` validates a partial tree
(so that the loader can name the file and line of a bad value), :func:`deep_merge` layers trees,
and :meth:`Schema.params` turns a complete tree into frozen typed values for one day.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping

import attrs
from dateutil.relativedelta import relativedelta

from . import dates, money
from .events import thaw


class ParamError(ValueError):
    """A parameter value that does not fit the schema; ``path`` is the key path to it."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.path))}: {self.message}" if self.path else self.message


# --------------------------------------------------------------------------- value types


def choice(*options: str) -> Callable[[Any], str]:
    """A checker of a value among ``options`` (the rules-file loader declares choice parameters with it)."""
    def check(v: Any) -> str:
        if v not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {v!r}")
        return v

    check.choices = options  # type: ignore[attr-defined]
    return check


def _duration(v: Any) -> relativedelta:
    return dates.parse_duration(v)


def _positive_duration(v: Any) -> relativedelta:
    d = dates.parse_duration(v)
    if dates.is_zero(d):
        raise ValueError("a term or renewal period is at least one day")
    return d


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"expected true or false, got {v!r}")
    return v


def _count(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"expected a whole number >= 0, got {v!r}")
    if v > 10**9:
        raise ValueError(f"number {v} is too large")
    return v


def _optional_count(v: Any) -> int | None:
    return None if v is None else _count(v)


def _counts(v: Any) -> tuple[int, ...]:
    if not isinstance(v, (list, tuple)):
        raise ValueError(f"expected a list of whole numbers, got {v!r}")
    return tuple(_count(x) for x in v)


def _bounds(v: Any) -> tuple[int, ...]:
    out = _counts(v)
    if not out or any(b >= a for a, b in zip(out[1:], out)):
        raise ValueError("expected a non-empty list of increasing whole numbers")
    return out


def _amount(v: Any) -> Decimal:
    return money.parse_amount(v)


def _amounts(v: Any) -> tuple[Decimal, ...]:
    if not isinstance(v, (list, tuple)) or not v:
        raise ValueError(f"expected a list of amounts, got {v!r}")
    return tuple(money.parse_amount(x) for x in v)


_RATE = re.compile(r"^\d+(\.\d+)?$")


def _rate(v: Any) -> Decimal:
    """A rate as a decimal fraction (``0.0033`` for 0.33 %), read exactly, never negative."""
    if isinstance(v, bool) or isinstance(v, float):
        raise ValueError(f"expected a rate such as \"0.0033\", got {v!r}")
    text = format(v, "f") if isinstance(v, Decimal) else str(v).strip()
    if not _RATE.match(text) or len(text) > 30:
        raise ValueError(f"expected a rate such as \"0.0033\", got {v!r}")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"expected a rate such as \"0.0033\", got {v!r}") from None


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date YYYY-MM-DD, got {v!r}")


def _optional_date(v: Any) -> dt.date | None:
    return None if v is None else _date(v)


_MONTH_DAY = re.compile(r"^(\d\d)-(\d\d)$")


def _month_days(v: Any) -> tuple[tuple[int, int], ...]:
    """Anniversaries written ``MM-DD`` (``"12-31"``), sorted; 29 February is refused (it would
    not come every year)."""
    if not isinstance(v, (list, tuple)):
        raise ValueError(f"expected a list of month-days such as [\"12-31\"], got {v!r}")
    out = set()
    for x in v:
        m = _MONTH_DAY.match(x) if isinstance(x, str) else None
        if m is None:
            raise ValueError(f"expected a month-day such as \"12-31\", got {x!r}")
        month, day = int(m.group(1)), int(m.group(2))
        try:
            dt.date(2027, month, day)
        except ValueError:
            raise ValueError(f"{x!r} is not a day of every year") from None
        out.add((month, day))
    return tuple(sorted(out))


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"expected text, got {v!r}")
    return v


# The types a rules file may give the parameters it declares (`type:`).
TYPES: dict[str, Callable[[Any], Any]] = {
    "amount": _amount,
    "amounts": _amounts,
    "rate": _rate,
    "count": _count,
    "counts": _counts,
    "bounds": _bounds,
    "bool": _bool,
    "duration": _duration,
    "date": _date,
    "text": _text,
}

UNLIMITED = 10**9  # how `max_renewals: null` is posted to the rules (more than any period count)


def _mechanics(parties: Iterable[str]) -> dict[str, Any]:
    """The parameters the engine reads itself: path -> (converter, default or REQUIRED)."""
    out: dict[str, Any] = {
        "term.initial": (_positive_duration, None),
        "term.ends_on": (_optional_date, None),
        "term.renewal": (choice("indefinite", "periodic", "none"), REQUIRED),
        "term.renewal_period": (_positive_duration, None),
        "term.max_renewals": (_optional_count, None),
        "notice.recipients": (None, REQUIRED),  # checked against the parties by the Schema
        "notice.effect": (choice("after_period", "at_period_end", "at_exit_date"), REQUIRED),
        "notice.exit_dates": (_month_days, ()),
        "notice.runs_from": (choice("last_recipient", "first_recipient"), REQUIRED),
        "notice.missing_recipient": (choice("warn", "void"), REQUIRED),
        "notice.unclaimed": (choice("first_presentation", "never"), REQUIRED),
        "notice.extend_to_working_day": (_bool, REQUIRED),
        "notice.within_initial_term": (choice("allowed", "postponed", "refused"), REQUIRED),
        "notice.immediate_on_default": (_bool, REQUIRED),
        "contribution.call": (choice("fiscal_year_start", "quarterly", "monthly"), REQUIRED),
        "contribution.payment_term": (_duration, REQUIRED),
        "contribution.prorata": (choice("days", "none"), REQUIRED),
        "contribution.refund_unused": (_bool, REQUIRED),
        "contribution.refund_on_default": (_bool, True),
    }
    for p in parties:
        out[f"notice.{p}"] = (_duration, REQUIRED)
    return out


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


@attrs.frozen
class Dated:
    """Dated values of one parameter: ``((date, value), ...)`` sorted by date."""

    values: tuple

    def on(self, day: dt.date) -> Any:
        i = bisect.bisect_right([d for d, _ in self.values], day) - 1
        return self.values[max(i, 0)][1]


def _pairs(a: Any, b: Any) -> list[tuple]:
    """The values of two parameters side by side, for every date either changes on."""
    if not isinstance(a, Dated) and not isinstance(b, Dated):
        return [(a, b)]
    days = sorted({d for x in (a, b) if isinstance(x, Dated) for d, _ in x.values})
    return [(a.on(d) if isinstance(a, Dated) else a, b.on(d) if isinstance(b, Dated) else b)
            for d in days]


def deep_merge(base: Mapping, over: Mapping) -> dict:
    """Mappings merge, lists and scalars replace (docs/spec.md 4)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def get(tree: Mapping, path: str) -> Any:
    node: Any = tree
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


class Schema:
    """The parameters of one rules file: every path with its converter."""

    def __init__(self, parties: tuple[str, ...], recipients: tuple[str, ...],
                 declared: Mapping[str, Callable[[Any], Any]],
                 lengths: Mapping[str, tuple[str, int]] = {}):
        self.parties = parties
        self.lengths = dict(lengths)  # path -> (other path, extra): len(path) == len(other) + extra
        self.recipients = recipients  # everyone who may receive a notice: parties and others
        mech = _mechanics(parties)
        self.defaults = {p: d for p, (_, d) in mech.items()}
        conv = {p: c for p, (c, _) in mech.items()}
        conv["notice.recipients"] = self._recipients
        for path in declared:
            if path in conv:
                raise ParamError(tuple(path.split(".")), "is a parameter the engine reads itself: "
                                                         "give its value without `type`")
        conv.update(declared)
        self.converters = conv
        self.tree: dict = {}
        for path in conv:
            node = self.tree
            keys = path.split(".")
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = path

    def _recipients(self, v: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(v, Mapping):
            raise ValueError("expected a mapping from party to a list of recipients")
        out = {}
        for party, who in v.items():
            if party not in self.parties:
                raise ValueError(f"unknown party {party!r} (expected {' or '.join(self.parties)})")
            if not isinstance(who, (list, tuple)) or not who:
                raise ValueError(f"expected a non-empty list of recipients for {party}")
            for r in who:
                if r not in self.recipients or r == party:
                    raise ValueError(f"unknown recipient {r!r} for a notice by {party}")
            if len(set(who)) != len(who):
                raise ValueError(f"a recipient is listed twice for {party}")
            out[party] = tuple(who)
        return out

    def check_partial(self, tree: Any, node: Mapping | None = None, path: tuple = ()) -> None:
        """Validate an override or amendment tree; raise :class:`ParamError` at the first bad key."""
        node = self.tree if node is None else node
        if not isinstance(tree, Mapping):
            raise ParamError(path, f"expected a mapping, got {tree!r}")
        for key, value in tree.items():
            if key not in node:
                known = ", ".join(node)
                raise ParamError(path + (key,), f"unknown parameter (expected one of {known})")
            sub = node[key]
            if isinstance(sub, Mapping):
                self.check_partial(value, sub, path + (key,))
            else:
                try:
                    self.converters[sub](value)
                except ValueError as e:
                    raise ParamError(path + (key,), str(e)) from None

    def convert(self, tree: Mapping) -> dict[str, Any]:
        """Typed values by path from a complete tree (dated leaves stay :class:`Dated`)."""
        out: dict[str, Any] = {}
        for path, conv in self.converters.items():
            raw = get(tree, path)
            if raw is None:
                default = self.defaults.get(path, REQUIRED)
                if default is REQUIRED:
                    raise ParamError(tuple(path.split(".")), "missing parameter")
                out[path] = default
                continue
            try:
                if isinstance(raw, Dated):
                    out[path] = Dated(tuple((d, conv(v)) for d, v in raw.values))
                else:
                    out[path] = conv(raw)
            except ValueError as e:
                raise ParamError(tuple(path.split(".")), str(e)) from None
        self._check_whole(out)
        return out

    def _check_whole(self, v: Mapping[str, Any]) -> None:
        if (v["term.initial"] is None) == (v["term.ends_on"] is None):
            raise ParamError(("term",), "give the term as `initial` (a duration) or `ends_on` "
                                        "(a date), one of the two")
        if v["term.renewal"] == "periodic" and v["term.renewal_period"] is None:
            raise ParamError(("term", "renewal_period"), "missing parameter (renewal is periodic)")
        if v["notice.effect"] == "at_exit_date" and not v["notice.exit_dates"]:
            raise ParamError(("notice", "exit_dates"), "missing parameter (effect is at_exit_date)")
        for p in self.parties:
            if not v["notice.recipients"].get(p):
                raise ParamError(("notice", "recipients", p), "missing recipients")
        for path, (other, extra) in self.lengths.items():
            for a, b in _pairs(v[path], v[other]):
                if len(a) != len(b) + extra:
                    raise ParamError(tuple(path.split(".")),
                                     f"expected {len(b) + extra} values ({other} has {len(b)}, "
                                     f"and this list {extra} more), got {len(a)}")

    def breaks(self, values: Mapping[str, Any]) -> tuple[dt.date, ...]:
        """The dates on which a dated value changes."""
        return tuple(sorted({d for x in values.values() if isinstance(x, Dated) for d, _ in x.values}))


@attrs.frozen
class Params:
    """Typed parameters in force on one day (dated values resolved)."""

    values: Mapping[str, Any]

    def __getitem__(self, path: str) -> Any:
        return self.values[path]

    @property
    def initial(self) -> relativedelta | None:
        return self.values["term.initial"]

    @property
    def ends_on(self) -> dt.date | None:
        return self.values["term.ends_on"]

    @property
    def renewal(self) -> str:
        return self.values["term.renewal"]

    @property
    def renewal_period(self) -> relativedelta | None:
        return self.values["term.renewal_period"]

    @property
    def max_renewals(self) -> int | None:
        return self.values["term.max_renewals"]

    def notice_period(self, party: str) -> relativedelta:
        return self.values["notice." + party]

    @property
    def recipients(self) -> Mapping[str, tuple[str, ...]]:
        return self.values["notice.recipients"]

    @property
    def payment_term(self) -> relativedelta:
        return self.values["contribution.payment_term"]

    def notice(self, name: str) -> Any:
        return self.values["notice." + name]

    def contribution(self, name: str) -> Any:
        return self.values["contribution." + name]


def resolve(values: Mapping[str, Any], day: dt.date) -> Params:
    return Params({k: (v.on(day) if isinstance(v, Dated) else v) for k, v in values.items()})


class InForce:
    """The parameters in force on each day: the rules file, the overrides, then the amendments
    known so far whose effective date has come (docs/spec.md 5.9), dated values resolved on the day.

    Amendments of ``term.*`` are not supported (docs/spec.md 5.9): they are left out here. One InForce
    belongs to one replay (its caches are keyed by the amendment events it was given); the base
    one, without amendments, is shared by every replay of the same rules file and overrides.
    """

    def __init__(self, schema: Schema, base_tree: Mapping, base_values: Mapping[str, Any],
                 amendments: Iterable = ()):
        self.schema = schema
        self.base_tree = base_tree
        self.base_values = base_values
        self.amendments: list = list(amendments)  # events with .effective, .date, .seq, .set
        self._trees: dict[tuple, tuple] = {(): (base_values, schema.breaks(base_values))}
        self._resolved: dict[tuple, Params] = {}
        self._shared: InForce | None = None  # the base, whose cache every replay shares

    @classmethod
    def of(cls, schema: Schema, tree: Mapping, overrides: Mapping) -> "InForce":
        merged = deep_merge(tree, overrides) if overrides else dict(tree)
        return cls(schema, merged, schema.convert(merged))

    def with_amendments(self, amendments: Iterable) -> "InForce":
        """The same base with these amendment events known (a new cache for this replay)."""
        out = InForce(self.schema, self.base_tree, self.base_values, amendments)
        out._shared = self._shared or self
        return out

    def _values(self, day: dt.date, known: Iterable | None = None) -> tuple[tuple, tuple]:
        amendments = self.amendments if known is None else known
        active = [a for a in amendments if a.effective <= day] if amendments else ()
        if not active:
            return (), self._trees[()]
        active.sort(key=lambda a: (a.effective, a.date, a.seq))
        key = tuple(id(a) for a in active)
        hit = self._trees.get(key)
        if hit is None:
            tree = self.base_tree
            for a in active:
                patch = {k: v for k, v in thaw(a.set).items() if k != "term"}
                tree = deep_merge(tree, patch)
            values = self.schema.convert(tree)
            hit = self._trees[key] = (values, self.schema.breaks(values))
        return key, hit

    def on(self, day: dt.date, known: Iterable | None = None) -> Params:
        """The parameters on ``day``, with the amendments this InForce was given or ``known``
        (the ones a replay's state holds on that day)."""
        key, (values, breaks) = self._values(day, known)
        if not key and self._shared is not None:
            return self._shared.on(day)
        rkey = (key, bisect.bisect_right(breaks, day)) if breaks else key
        p = self._resolved.get(rkey)
        if p is None:
            p = self._resolved[rkey] = resolve(values, day)
        return p
