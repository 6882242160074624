"""The JSON the service reads and answers, declared once as typed models (attrs classes); the
OpenAPI document's schemas are generated from them (:func:`schema_of`), and the tests validate
real answers against those schemas.

A model is the shape of a JSON document, not a value the engine computes with: the engine's
values (``Timeline``, ``Deadlines``, ``application.State``...) write that JSON with their own
``to_dict()``. A field's type gives its JSON type: ``str``, ``int``, ``bool``, :data:`Date`
(``YYYY-MM-DD``), :data:`Amount` (``"1234.56"``), ``X | None`` (nullable), ``Literal[...]``
(an enum), ``tuple[X, ...]`` (an array), another model (a ``$ref``), ``Any`` (any JSON).
A field given by :func:`optional` may be absent (``X | None`` says it may be null).
``json_name`` in a field's metadata spells a key that is not a Python name (``from``); a
model's ``OPEN`` allows keys it does not list; ``EXAMPLE`` is shown as its example.
"""

from __future__ import annotations

import sys
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import attrs

__all__ = ["Date", "Amount", "schema_of", "components", "MODELS"]



class Keywords(tuple):
    """JSON Schema keywords a type carries (``Annotated[str, Keywords(format="date")]``): a
    tuple of pairs, since typing hashes what ``Annotated`` holds."""

    def __new__(cls, **keywords: Any) -> "Keywords":
        return super().__new__(cls, tuple(keywords.items()))


Date = Annotated[str, Keywords(format="date", example="2027-06-01")]
Amount = Annotated[str, Keywords(pattern=r"^-?[0-9]+\.[0-9]{2}$")]


def field(description: str | None = None, *, json_name: str | None = None, **schema: Any) -> Any:
    """A model's field: its description, its JSON key when it is not a Python name, and any
    more JSON Schema keywords (``minimum``, ``enum``...). Required unless a default is given."""
    meta: dict[str, Any] = {"schema": dict(schema)}
    if description:
        meta["schema"]["description"] = description
    if json_name:
        meta["json_name"] = json_name
    return attrs.field(metadata=meta)


def optional(description: str | None = None, *, json_name: str | None = None, **schema: Any) -> Any:
    """A field that may be absent."""
    meta: dict[str, Any] = {"schema": dict(schema)}
    if description:
        meta["schema"]["description"] = description
    if json_name:
        meta["json_name"] = json_name
    return attrs.field(default=None, metadata=meta)


def _ref(cls: type) -> dict:
    return {"$ref": f"#/components/schemas/{cls.__name__}"}


def _type_schema(tp: Any, seen: list[type]) -> dict:
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return {**_type_schema(args[0], seen), **dict(args[1])}
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        nullable = len(inner) < len(args)
        if len(inner) == 1 and nullable:
            s = _type_schema(inner[0], seen)
            if "$ref" in s or "oneOf" in s:
                return {"oneOf": [{"type": "null"}, s]}
            return {**s, "type": [s["type"], "null"]} if "type" in s else s
        return {"oneOf": [_type_schema(a, seen) for a in args]}
    if origin is Literal:
        kinds = {{str: "string", int: "integer"}[type(a)] for a in args}
        return {"type": kinds.pop() if len(kinds) == 1 else sorted(kinds), "enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0], seen)}
    if origin is dict:
        return {"type": "object"}
    if attrs.has(tp):
        if tp not in seen:
            seen.append(tp)
        return _ref(tp)
    if tp is Any:
        return {}
    return {"type": {str: "string", int: "integer", bool: "boolean", dict: "object"}[tp]}


def schema_of(cls: type, seen: list[type] | None = None) -> dict:
    """The JSON Schema of a model; the models it names are added to ``seen``."""
    seen = [] if seen is None else seen
    module = sys.modules[cls.__module__]
    hints = get_type_hints(cls, globalns=vars(module), include_extras=True)
    props, required = {}, []
    for f in attrs.fields(cls):
        name = f.metadata.get("json_name", f.name)
        props[name] = {**_type_schema(hints[f.name], seen), **f.metadata.get("schema", {})}
        if f.default is attrs.NOTHING:
            required.append(name)
    out: dict[str, Any] = {"type": "object"}
    doc = (cls.__doc__ or "").strip()
    if doc:
        out["description"] = " ".join(doc.split())
    out["required"] = required
    out["properties"] = props
    if getattr(cls, "OPEN", False):
        out["additionalProperties"] = True
    example = getattr(cls, "EXAMPLE", None)
    if example is not None:
        out["example"] = example
    return out


def components(*roots: type) -> dict[str, dict]:
    """Every schema the ``roots`` need, by model name, in the order first named."""
    seen = list(roots)
    out: dict[str, dict] = {}
    i = 0
    while i < len(seen):
        out[seen[i].__name__] = schema_of(seen[i], seen)
        i += 1
    return out


# --------------------------------------------------------------------------- requests


@attrs.frozen
class Event:
    """One event as in a scenario's ``events:`` list (docs/scenario-format.md); the keys an event
    type needs beyond ``date`` and ``type`` are the rules file's."""

    OPEN: typing.ClassVar = True
    EXAMPLE: typing.ClassVar = {"date": "2026-01-20", "type": "payment", "amount": "100.00"}

    date: Date
    type: str


@attrs.frozen
class Scenario:
    """A scenario file as JSON (docs/spec.md 4). The inputs the convention's rules file
    declares (per-year values) are more keys."""

    OPEN: typing.ClassVar = True
    EXAMPLE: typing.ClassVar = None  # set by the OpenAPI document: a shipped convention

    scenario: Literal[1] = field()
    convention: str = field()
    name: str = field()
    start: Date = field()
    horizon: Date | None = optional()
    events: tuple[Event, ...] | None = optional()
    overrides: dict | None = optional()
    expect: dict | None = optional()


# --------------------------------------------------------------------------- answers


@attrs.frozen
class Problem:
    """RFC 9457 problem details; `detail` is the command line's one-line message."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    line: int = optional("the body's line (0: none)")
    version: int = optional("the convention's version (412)")


@attrs.frozen
class Period:
    start: Date = field(json_name="from")
    end: Date | None = field(json_name="to")
    state: Literal["initial_term", "renewed", "terminated"] = field()
    standing: Literal["current", "in_default"] = field()
    notice: bool = field()


@attrs.frozen
class Termination:
    by: str
    notified: Date | None
    last_day: Date
    immediate: bool
    rule: str


@attrs.frozen
class Contribution:
    """One called period; the figures its rules file lists are more keys."""

    OPEN: typing.ClassVar = True

    year: int
    due: Amount
    paid: Amount
    balance: Amount


@attrs.frozen
class Entry:
    date: Date
    kind: str
    rule: str
    article: str
    detail: dict


@attrs.frozen
class Diagnostic:
    date: Date
    level: str
    code: str
    message: str


@attrs.frozen
class Timeline:
    """Byte for byte `convention run --format json` (docs/spec.md 6)."""

    format: Literal["convention-timeline/1"]
    convention: str
    name: str
    start: Date
    horizon: Date
    periods: tuple[Period, ...]
    termination: Termination | None
    unallocated: Amount
    contributions: tuple[Contribution, ...]
    entries: tuple[Entry, ...]
    diagnostics: tuple[Diagnostic, ...]


@attrs.frozen
class Check:
    passed: bool = field()
    checked: bool = field("false: no expect: block")
    failures: tuple[str, ...] = field()


@attrs.frozen
class RuleSummary:
    id: str
    title: str


@attrs.frozen
class RulesList:
    rules: tuple[RuleSummary, ...]


@attrs.frozen
class Label:
    en: str
    fr: str


@attrs.frozen
class Party:
    id: str
    label: Label


@attrs.frozen
class Input:
    OPEN: typing.ClassVar = True

    name: str = field()
    per_year: bool = field()
    type: str = field()
    event: str = field()
    field_: str | None = optional(json_name="field")
    label: Label | None = optional()


@attrs.frozen
class Parameter:
    """a parameter with its `value` (or dated `values`), article, clause and note"""

    OPEN: typing.ClassVar = True

    name: str = field()
    article: str = field()
    clause: str = optional()
    note: str = optional()


@attrs.frozen
class Rule:
    id: str = field()
    article: str = field()
    when: Any = field()
    do: Any = field()
    clause: str = optional()
    decides: str = optional()


@attrs.frozen
class RulesFile:
    id: str
    title: str
    parties: tuple[Party, ...]
    recipients: tuple[Party, ...]
    inputs: tuple[Input, ...]
    event_types: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    rules: tuple[Rule, ...]
    not_encoded: tuple[dict, ...]


@attrs.frozen
class Created:
    id: str = field()
    version: int = field(minimum=0)


@attrs.frozen
class Version:
    version: int = field(minimum=1)


@attrs.frozen
class Convention:
    id: str = field()
    version: int = field()
    created: str = field(format="date-time")
    tenant: str = field("the tenant it belongs to")
    convention: str = field()
    name: str = field()


@attrs.frozen
class YearMoney:
    year: int
    due: Amount
    paid: Amount
    balance: Amount


@attrs.frozen
class State:
    """`application.State.to_dict()`: the state, standing and notice with hindsight, the
    year's money as known on the day."""

    name: str = field()
    on: Date = field()
    state: Literal["not_started", "initial_term", "renewed", "terminated"] = field()
    standing: str | None = field()
    notice: bool = field()
    year: YearMoney | None = field()
    termination: Termination | None = field()
    start: Date = optional()


@attrs.frozen
class NoticeDeadline:
    party: str
    period: str
    notice_by: Date | None
    passed: bool
    earliest_last_day: Date | None


@attrs.frozen
class Overdue:
    year: int
    period: Date
    due_date: Date
    amount: Amount


@attrs.frozen
class AtOnce:
    party: str
    reason: str


@attrs.frozen
class Deadlines:
    """`Deadlines.to_dict()` (docs/api.md)"""

    name: str = field()
    as_of: Date = field()
    status: Literal["not_started", "renewal", "indefinite", "expiry", "scheduled", "terminated"] = field()
    notices: tuple[NoticeDeadline, ...] = field()
    next_call: Date | None = field()
    call_due: Date | None = field()
    term_ends: Date | None = optional()
    renewal_on: Date | None = optional()
    termination_by: str | None = optional()
    notified: Date | None = optional()
    last_day: Date | None = optional()
    exit_on: Date | None = optional()
    start: Date | None = optional()
    balance: Amount | None = optional()
    overdue: tuple[Overdue, ...] = optional()
    at_once: tuple[AtOnce, ...] = optional()


@attrs.frozen
class Due:
    date: Date
    kind: Literal["start", "notice", "renewal", "exit", "expiry", "call", "payment-due",
                  "declaration", "last-day", "overdue"]
    party: str | None
    id: str
    name: str
    convention: str
    status: str
    version: int
    recipients: tuple[str, ...] = field("notice: who must have received the letter by date")
    working_day: Date | None = field("notice: the working day before date, when date is not one")
    amount: Amount | None = field("payment-due: the call's amount; overdue: the amount owed")
    since: Date | None = field("overdue: the due date it has been owed since")
    input: str | None = field("declaration: the input whose value the call lacks")
    year: int | None = field("declaration: the year of that value")


@attrs.frozen
class PortfolioError:
    """A convention that could not be replayed: the others are still answered."""

    id: str = field()
    error: str = field("the engine's one-line message, or the replay's time limit")


@attrs.frozen
class Portfolio:
    as_of: Date
    before: Date
    deadlines: tuple[Due, ...]
    errors: tuple[PortfolioError, ...] = field("conventions left out: they cannot be replayed")


@attrs.frozen
class Void:
    """Who voided an event, when and why."""

    by: str = field("who voided it (the administrator's key name)")
    at: str = field("when (UTC)", format="date-time")
    reason: str = field()


@attrs.frozen
class StoredEvent:
    """One stored event, its audit record and its void."""

    version: int = field(minimum=1)
    received: str = field("when the server stored it (UTC)", format="date-time")
    tenant: str = field("the tenant of the API key that stored it")
    key: str = field("the name of the API key that stored it")
    event: Any = field("the event as received", type="object")
    voided: Void | None = field("null, or the void: the replay skips the event")


@attrs.frozen
class Events:
    """`GET /v1/conventions/{id}/events`: every stored event, voided ones included."""

    id: str = field()
    version: int = field(minimum=0)
    events: tuple[StoredEvent, ...] = field()


@attrs.frozen
class VoidRequest:
    """The body of a void."""

    reason: str = field("why the event is voided (1 to 1000 characters)", minLength=1, maxLength=1000)

    EXAMPLE = {"reason": "entered twice by mistake"}


@attrs.frozen
class Voided:
    version: int = field(minimum=1)
    voided: Void = field()


@attrs.frozen
class Health:
    """`/healthz` and `/readyz`."""

    status: Literal["ok", "ready"] = field()


MODELS = (Problem, Scenario, Event, Timeline, Check, RulesList, RulesFile, Created, Version,
          Convention, State, Deadlines, Portfolio, Health, Events, VoidRequest, Voided)
