"""The parameters of a convention (SPEC section 3): a schema, deep merges, typed values.

A rules file holds a tree whose leaves are ``{value, article, clause}``; overrides and amendments
are plain partial trees of values. :func:`check_partial` validates a partial tree (so that the
loader can name the file and line of a bad value), :func:`deep_merge` layers trees, and
:meth:`Params.from_tree` turns a complete tree into frozen typed values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

import attrs
from dateutil.relativedelta import relativedelta

from . import dates, money

PARTIES = ("member", "cdg")
RECIPIENTS = ("member", "cdg", "archives")


class ParamError(ValueError):
    """A parameter value that does not fit the schema; ``path`` is the key path to it."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.path))}: {self.message}" if self.path else self.message


def _choice(*options: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if v not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {v!r}")
        return v

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


def _band_max(v: Any) -> tuple[int, ...]:
    out = _counts(v)
    if not out or any(b >= a for a, b in zip(out[1:], out)):
        raise ValueError("expected a non-empty list of increasing whole numbers")
    return out


def _amounts(v: Any) -> tuple[Decimal, ...]:
    if not isinstance(v, (list, tuple)) or not v:
        raise ValueError(f"expected a list of amounts, got {v!r}")
    return tuple(money.parse_amount(x) for x in v)


def _recipients(v: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(v, Mapping):
        raise ValueError("expected a mapping from party to a list of recipients")
    out = {}
    for party, who in v.items():
        if party not in PARTIES:
            raise ValueError(f"unknown party {party!r} (expected member or cdg)")
        if not isinstance(who, (list, tuple)) or not who:
            raise ValueError(f"expected a non-empty list of recipients for {party}")
        for r in who:
            if r not in RECIPIENTS or r == party:
                raise ValueError(f"unknown recipient {r!r} for a notice by {party}")
        if len(set(who)) != len(who):
            raise ValueError(f"a recipient is listed twice for {party}")
        out[party] = tuple(who)
    return out


# The public parameter names of SPEC section 3, each with its validator-converter.
SCHEMA: dict[str, Any] = {
    "term": {
        "initial": _positive_duration,
        "renewal": _choice("indefinite", "periodic", "none"),
        "renewal_period": _positive_duration,
        "max_renewals": _optional_count,
    },
    "notice": {
        "member": _duration,
        "cdg": _duration,
        "recipients": _recipients,
        "effect": _choice("after_period", "at_period_end"),
        "runs_from": _choice("last_recipient", "first_recipient"),
        "missing_recipient": _choice("warn", "void"),
        "unclaimed": _choice("first_presentation", "never"),
        "extend_to_working_day": _bool,
        "within_initial_term": _choice("allowed", "postponed", "refused"),
        "immediate_on_default": _bool,
    },
    "contribution": {
        "call": _choice("fiscal_year_start"),
        "payment_term": _duration,
        "prorata": _choice("days", "none"),
        "band_basis": _choice("previous_year", "same_year"),
        "refund_unused": _bool,
        "grid": {
            "band_max": _band_max,
            "agents_max_small": _count,
            "small": _amounts,
            "large": _amounts,
            "ambiguous_consultations": _counts,
            "ambiguous_agents": _counts,
        },
    },
}


def check_partial(tree: Any, schema: Mapping = SCHEMA, path: tuple = ()) -> None:
    """Validate an override or amendment tree; raise :class:`ParamError` at the first bad key."""
    if not isinstance(tree, Mapping):
        raise ParamError(path, f"expected a mapping, got {tree!r}")
    for key, value in tree.items():
        if key not in schema:
            known = ", ".join(schema)
            raise ParamError(path + (key,), f"unknown parameter (expected one of {known})")
        sub = schema[key]
        if isinstance(sub, Mapping):
            check_partial(value, sub, path + (key,))
        else:
            try:
                sub(value)
            except ValueError as e:
                raise ParamError(path + (key,), str(e)) from None


def deep_merge(base: Mapping, over: Mapping) -> dict:
    """Mappings merge, lists and scalars replace (SPEC section 4)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def values_of(tree: Mapping) -> dict:
    """The plain value tree of a rules file's ``parameters`` (leaves ``{value: ...}``)."""
    out = {}
    for key, node in tree.items():
        if isinstance(node, Mapping) and "value" in node:
            out[key] = node["value"]
        elif isinstance(node, Mapping):
            out[key] = values_of(node)
        else:
            raise ParamError((key,), "a rules file parameter needs a `value`")
    return out


def _convert(tree: Mapping, schema: Mapping, path: tuple) -> dict:
    out = {}
    for key, sub in schema.items():
        if key not in tree:
            raise ParamError(path + (key,), "missing parameter")
        if isinstance(sub, Mapping):
            out[key] = _convert(tree[key], sub, path + (key,))
        else:
            try:
                out[key] = sub(tree[key])
            except ValueError as e:
                raise ParamError(path + (key,), str(e)) from None
    return out


@attrs.frozen
class Grid:
    band_max: tuple[int, ...]
    agents_max_small: int
    small: tuple[Decimal, ...]
    large: tuple[Decimal, ...]
    ambiguous_consultations: tuple[int, ...]
    ambiguous_agents: tuple[int, ...]

    def band(self, count: int) -> int:
        """1-based band of a year's consultations (inclusive upper bounds)."""
        for i, top in enumerate(self.band_max):
            if count <= top:
                return i + 1
        return len(self.band_max) + 1

    def column(self, agents: int) -> str:
        return "small" if agents <= self.agents_max_small else "large"

    def amount(self, column: str, band: int) -> Decimal:
        amounts = self.small if column == "small" else self.large
        return amounts[min(band, len(amounts)) - 1]


@attrs.frozen
class Params:
    initial: relativedelta
    renewal: str
    renewal_period: relativedelta
    max_renewals: int | None
    notice_periods: Mapping[str, relativedelta]
    recipients: Mapping[str, tuple[str, ...]]
    effect: str
    runs_from: str
    missing_recipient: str
    unclaimed: str
    extend_to_working_day: bool
    within_initial_term: str
    immediate_on_default: bool
    call: str
    payment_term: relativedelta
    prorata: str
    band_basis: str
    refund_unused: bool
    grid: Grid

    @classmethod
    def from_tree(cls, tree: Mapping) -> "Params":
        """Typed parameters from a complete plain value tree (rules file + overrides + amendments)."""
        v = _convert(tree, SCHEMA, ())
        t, n, c = v["term"], v["notice"], v["contribution"]
        if len(c["grid"]["small"]) != len(c["grid"]["band_max"]) + 1 or len(
            c["grid"]["large"]
        ) != len(c["grid"]["band_max"]) + 1:
            raise ParamError(
                ("contribution", "grid"), "each column needs one amount per band (band_max + 1)"
            )
        recipients = {p: n["recipients"].get(p, ()) for p in PARTIES}
        for p in PARTIES:
            if not recipients[p]:
                raise ParamError(("notice", "recipients", p), "missing recipients")
        return cls(
            initial=t["initial"],
            renewal=t["renewal"],
            renewal_period=t["renewal_period"],
            max_renewals=t["max_renewals"],
            notice_periods={"member": n["member"], "cdg": n["cdg"]},
            recipients=recipients,
            effect=n["effect"],
            runs_from=n["runs_from"],
            missing_recipient=n["missing_recipient"],
            unclaimed=n["unclaimed"],
            extend_to_working_day=n["extend_to_working_day"],
            within_initial_term=n["within_initial_term"],
            immediate_on_default=n["immediate_on_default"],
            call=c["call"],
            payment_term=c["payment_term"],
            prorata=c["prorata"],
            band_basis=c["band_basis"],
            refund_unused=c["refund_unused"],
            grid=Grid(**c["grid"]),
        )
