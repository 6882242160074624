"""The scenario as values: facts in the past tense, each with the date the engine learns it.

Everything here is frozen; state holds tuples, never lists. Loading (YAML, dicts) lives in
:mod:`engine.loader`; these classes know nothing of files except the line each came from.
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


@attrs.frozen(kw_only=True)
class ConsultationsCounted(Event):
    type: str = "consultations"
    year: int
    count: int


@attrs.frozen(kw_only=True)
class AgentsCounted(Event):
    type: str = "agents"
    count: int


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


# Phase of a day in which each scenario event is processed (SPEC 5.12): (c) facts that change
# parameters or volumes, (f) the others.
PHASE_C = ("agents", "consultations", "amendment")


@attrs.frozen(kw_only=True)
class Scenario:
    convention: str
    name: str
    start: dt.date
    agents: int
    horizon: dt.date | None = None
    consultations: tuple[tuple[int, int], ...] = ()
    overrides: tuple = attrs.field(factory=dict, converter=freeze)
    events: tuple[Event, ...] = ()
    expect: tuple = attrs.field(factory=dict, converter=freeze)
    source: str = "<scenario>"
    rules_path: str | None = None  # resolved rules file, set by the loader
