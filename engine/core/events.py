"""The scenario as values: facts in the past tense, each with the date the engine learns it.

Everything here is frozen; state holds tuples, never lists. Loading (YAML, dicts) lives in
:mod:`engine.conventions.loader`; these classes know nothing of files except the line each came from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

import attrs


def freeze(m: Any) -> Any:
    """A nested mapping made read-only all the way down (lists become tuples).

    ``None`` at the top stands for an empty mapping; a nested ``None`` is a value (``null`` in a
    rules file or an ``expect:`` block) and stays ``None``.
    """
    if m is None:
        return MappingProxyType({})
    return _freeze(m)


def _freeze(m: Any) -> Any:
    if isinstance(m, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in m.items()})
    if isinstance(m, (list, tuple)):
        return tuple(_freeze(v) for v in m)
    return m


def thaw(m: Any) -> Any:
    """Plain dicts and lists again, for merging and serialising."""
    if isinstance(m, Mapping):
        return {k: thaw(v) for k, v in m.items()}
    if isinstance(m, tuple):
        return [thaw(v) for v in m]
    return m


@attrs.frozen
class Receipt:
    """How one recipient received a notice: a plain date, or a registered letter."""

    delivered: dt.date | None = None
    presented: dt.date | None = None
    unclaimed: bool = False


@attrs.frozen(kw_only=True)
class Event:
    date: dt.date
    line: int = 0  # line in the scenario file (0 when built in Python)
    seq: int = 0  # file order, set by the loader

    type: str = ""


@attrs.frozen(kw_only=True)
class PaymentReceived(Event):
    type: str = "payment"
    amount: Decimal
    for_year: int | None = None  # the year it pays (`for:` in the scenario, docs/spec.md 4 and 5.5)


@attrs.frozen(kw_only=True)
class InputGiven(Event):
    """A value of one of the convention's inputs (its rules file declares them): a year's value
    (``year`` set) or a current value. ``field`` is the key the value is written under in the
    scenario (``count``, ``amount``), which also reads it: ``e.count``."""

    type: str
    input: str
    value: Any
    field: str
    year: int | None = None

    def __getattr__(self, name: str) -> Any:
        if name != "field" and name == object.__getattribute__(self, "field"):
            return object.__getattribute__(self, "value")
        raise AttributeError(name)


@attrs.frozen(kw_only=True)
class AmendmentSigned(Event):
    type: str = "amendment"
    effective: dt.date
    set: tuple = attrs.field(converter=freeze)
    ref: str | None = None


@attrs.frozen(kw_only=True)
class NoticeReceived(Event):
    type: str = "notice"
    by: str
    received: tuple[tuple[str, Receipt], ...]
    sent: dt.date | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class DisputeStep(Event):
    type: str = "dispute"
    step: str


@attrs.frozen(kw_only=True)
class Signed(Event):
    type: str = "signed"
    ref: str | None = None


@attrs.frozen(kw_only=True)
class Scenario:
    """A scenario as loaded: its inputs are those its rules file declares, read as attributes
    too (``s.NAME``: the per-year values as ``((year, value), ...)``; a current value as is)."""

    convention: str
    name: str
    start: dt.date
    horizon: dt.date | None = None
    inputs: tuple[tuple[str, tuple[tuple[int, Any], ...]], ...] = ()  # per-year values by input
    current: tuple[tuple[str, Any], ...] = ()  # current values by input
    overrides: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)
    events: tuple[Event, ...] = ()
    expect: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)
    # The line of each expectation in the file, by the name a failure reports it under
    # (``termination.last_day``...), for `convention check`'s FILE:LINE; not part of the value.
    expect_lines: Mapping[str, int] = attrs.field(factory=dict, converter=freeze, eq=False, repr=False)
    source: str = "<scenario>"
    rules_path: str | None = None  # resolved rules file, set by the loader
    # The loaded rules file (engine/conventions/rulesfile.py), set by the loader: the replay reads
    # its rules, parameters and messages from it, so that the core imports nothing above it. Not
    # part of the value (equality, repr).
    rules: Any = attrs.field(default=None, eq=False, repr=False)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            for key, values in object.__getattribute__(self, "inputs"):
                if key == name:
                    return values
            for key, value in object.__getattribute__(self, "current"):
                if key == name:
                    return value
        raise AttributeError(name)
