"""Read a scenario file (SPEC section 4) into a :class:`~engine.events.Scenario`.

Serialisation stays at this edge. The YAML is read as a node tree (``yaml.compose``) and every
value is built here from its node, so that each one knows its line and no YAML type is guessed
behind the user's back: numbers are decimal, amounts are ``Decimal`` built from the text as
written (never through binary floating point), dates are ``YYYY-MM-DD``, booleans are
``true``/``false`` only (``yes``, ``on`` stay text). Anything else is refused with
``FILE:LINE: what is wrong`` (:class:`~engine.errors.ScenarioError`), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

import yaml

from . import money, params, rulesfile
from .errors import ScenarioError
from .events import (
    AgentsCounted,
    AmendmentSigned,
    ConsultationsCounted,
    DisputeStep,
    Event,
    NoticeReceived,
    PaymentReceived,
    Receipt,
    Scenario,
    Signed,
)

__all__ = ["load_scenario", "load_event", "ScenarioError", "MAX_BYTES", "MAX_DEPTH"]

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 50
MAX_COUNT = 10**9
YEARS = (1900, 2200)

EVENT_TYPES = ("payment", "consultations", "agents", "amendment", "notice", "dispute", "signed")
DISPUTE_STEPS = ("opened", "settled", "referred")
STATES = ("initial_term", "renewed", "terminated")
COLUMNS = ("small", "large")

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^[-+]?(0|[1-9][0-9]*)?(\.[0-9]*)?([eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^[0-9]{4}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_NULLS = ("", "~", "null", "Null", "NULL")
# libyaml when it is there (a 5 MB file parses in seconds, not a minute); same events and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = (None, "")  # the style of an unquoted scalar: None in pure Python, "" from libyaml
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


# --------------------------------------------------------------------------- values with lines


class _V:
    """A value read from the file with its line: a scalar, a mapping or a list of ``_V``."""

    __slots__ = ("kind", "value", "line", "text", "key_lines")

    def __init__(self, kind: str, value: Any, line: int, text: str | None = None):
        self.kind = kind  # "scalar" | "map" | "seq"
        self.value = value  # python scalar | dict key -> _V | list of _V
        self.line = line
        self.text = text  # the scalar as written, for messages
        self.key_lines: dict[Any, int] = {}


class _Fail(Exception):
    """Raised while reading; turned into a ScenarioError once the file name is known."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(v: _V) -> str:
    """A value as a user would name it in a message."""
    if v.kind == "map":
        return "a mapping"
    if v.kind == "seq":
        return "a list"
    x = v.value
    if x is None:
        return "nothing (null)"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, Decimal)):
        return f"the number {_short(v.text if v.text is not None else str(x))}"
    if isinstance(x, dt.date):
        return f"the date {x.isoformat()}"
    return f'the text "{_short(str(x))}"'


def _check_date(text: str, line: int) -> dt.date:
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        raise _Fail(line, f"invalid date {text}") from None
    if not YEARS[0] <= d.year <= YEARS[1]:
        raise _Fail(line, f"date {text} is out of range (years {YEARS[0]} to {YEARS[1]})")
    return d


def _resolve(text: str, plain: bool, line: int) -> Any:
    """The value of a scalar as written: only plain (unquoted) scalars are anything but text."""
    if not plain:
        return text
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        if len(text) > 30:
            raise _Fail(line, f"number {_short(text)} is too large")
        return int(text)
    if _DATE.match(text):
        return _check_date(text, line)
    if _DECIMAL.match(text) and any(c.isdigit() for c in text.split("e")[0].split("E")[0]):
        if len(text) > 40:
            raise _Fail(line, f"number {_short(text)} is too long")
        try:
            d = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return text
        if d and not -30 <= d.adjusted() <= 30:
            raise _Fail(line, f"number {text} is out of range")
        return d
    return text


# --------------------------------------------------------------------------- YAML to values


def _yaml_problem(e: yaml.YAMLError) -> tuple[int, str]:
    pmark = getattr(e, "problem_mark", None)
    cmark = getattr(e, "context_mark", None)
    mark = pmark or cmark
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    text = f"YAML syntax error: {problem}"
    if context:
        text += f" ({context}"
        if cmark is not None and cmark.line + 1 != line:
            text += f" started on line {cmark.line + 1}"
        text += ")"
    return line, text


def _scan(text: str) -> None:
    """Refuse anchors, aliases, tags, deep nesting and multiple documents from the event stream,
    before anything is composed: an alias bomb fails at its first anchor and costs nothing."""
    depth = 0
    documents = 0
    for ev in yaml.parse(text, Loader=_LOADER):
        line = ev.start_mark.line + 1 if ev.start_mark is not None else 0
        if isinstance(ev, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Fail(line, "a scenario file holds one YAML document, found a second one")
            if ev.tags:
                raise _Fail(line, "YAML %TAG directives are not allowed")
        elif isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None) is not None:
            raise _Fail(line, "YAML anchors and aliases are not allowed")
        elif getattr(ev, "tag", None) is not None:
            tag = ev.tag.replace("tag:yaml.org,2002:", "!!", 1)
            raise _Fail(line, f"YAML tags are not allowed (found {_short(tag)})")
        elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Fail(line, f"the file is nested more than {MAX_DEPTH} levels deep")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _build(node: yaml.Node, depth: int = 1) -> _V:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise _Fail(line, f"the file is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, yaml.ScalarNode):
        return _V("scalar", _resolve(node.value, node.style in _PLAIN, line), line, node.value)
    if isinstance(node, yaml.SequenceNode):
        return _V("seq", [_build(n, depth + 1) for n in node.value], line)
    out = _V("map", {}, line)
    for knode, vnode in node.value:
        kline = knode.start_mark.line + 1
        if not isinstance(knode, yaml.ScalarNode):
            raise _Fail(kline, "a key must be a plain name, not a list or a mapping")
        key = _resolve(knode.value, knode.style in _PLAIN, kline)
        # Only names, years and dates can be keys: then equal keys are the same key.
        if key is None or isinstance(key, (bool, Decimal)):
            raise _Fail(kline, f"key {_short(knode.value)!r} must be a name")
        if key in out.value:
            raise _Fail(kline, f"duplicate key {_short(knode.value)!r} (first on line {out.key_lines[key]})")
        out.value[key] = _build(vnode, depth + 1)
        out.key_lines[key] = kline
    return out


def _wrap(obj: Any, depth: int = 1) -> _V:
    """A Python value (as ``yaml.safe_load`` or ``json.load`` returns) as ``_V`` with line 0."""
    if depth > MAX_DEPTH:
        raise _Fail(0, f"the scenario is nested more than {MAX_DEPTH} levels deep")
    if isinstance(obj, Mapping):
        out = _V("map", {}, 0)
        for k, v in obj.items():
            if isinstance(k, dt.datetime):
                raise _Fail(0, f"key {k} has a time; give a date YYYY-MM-DD")
            out.value[k] = _wrap(v, depth + 1)
            out.key_lines[k] = 0
        return out
    if isinstance(obj, (list, tuple)):
        return _V("seq", [_wrap(v, depth + 1) for v in obj], 0)
    if isinstance(obj, dt.datetime):
        raise _Fail(0, f"{obj.isoformat()} has a time; give a date YYYY-MM-DD")
    if isinstance(obj, dt.date):
        if not YEARS[0] <= obj.year <= YEARS[1]:
            raise _Fail(0, f"date {obj} is out of range (years {YEARS[0]} to {YEARS[1]})")
        return _V("scalar", obj, 0, obj.isoformat())
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise _Fail(0, f"{obj!r} is not a number")
        return _V("scalar", Decimal(repr(obj)), 0, repr(obj))
    if obj is None or isinstance(obj, (str, bool, int, Decimal)):
        return _V("scalar", obj, 0, None if obj is None else str(obj))
    raise _Fail(0, f"unsupported value of type {type(obj).__name__}")


def _from_text(text: str) -> _V:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        _scan(text)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.reader.ReaderError as e:
        line = 0
        if isinstance(e.position, int):  # libyaml counts bytes, the Python reader characters
            raw = text.encode("utf-8") if _LOADER is not yaml.SafeLoader else text
            line = raw.count(b"\n" if isinstance(raw, bytes) else "\n", 0, e.position) + 1
        ch = chr(e.character) if isinstance(e.character, int) else str(e.character)[:1]
        code = f" (U+{ord(ch):04X})" if ch else ""
        raise _Fail(line, f"the file holds a control character{code} that YAML does not allow") from None
    except yaml.YAMLError as e:
        raise _Fail(*_yaml_problem(e)) from None
    if node is None:
        raise _Fail(1, "the file is empty: expected a scenario mapping")
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode) and node.style in _PLAIN and node.value in _NULLS:
            raise _Fail(line, "the document is empty: expected a scenario mapping")
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        raise _Fail(line, f"the document is {kind}, expected a mapping (scenario: 1, convention: ...)")
    return _build(node)


# --------------------------------------------------------------------------- field readers


def _fields(v: _V, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    """The keys of a mapping, checked: text keys, none unknown, none missing."""
    if v.kind != "map":
        raise _Fail(v.line, f"{where}: expected a mapping, got {_describe(v)}")
    allowed = required + optional
    for key, kline in v.key_lines.items():
        if not isinstance(key, str):
            raise _Fail(kline, f"{where}: key {key} must be a name, one of {', '.join(allowed)}")
        if key not in allowed:
            raise _Fail(kline, f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in v.value:
            raise _Fail(v.line, f"{where}: missing {key!r}")
    return v.value


def _date(v: _V, what: str) -> dt.date:
    x = v.value
    if v.kind == "scalar" and isinstance(x, dt.date):
        return x
    if v.kind == "scalar" and isinstance(x, str) and _DATE.match(x.strip()):
        return _check_date(x.strip(), v.line)
    raise _Fail(v.line, f"{what}: expected a date YYYY-MM-DD, got {_describe(v)}")


def _optional_date(v: _V | None, what: str) -> dt.date | None:
    return None if v is None or (v.kind == "scalar" and v.value is None) else _date(v, what)


def _int(v: _V, what: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
    x = v.value
    if v.kind != "scalar" or isinstance(x, bool) or not isinstance(x, int):
        if isinstance(x, Decimal) and x == x.to_integral_value():
            raise _Fail(v.line, f"{what}: expected a whole number, got {_describe(v)} (write it without decimals)")
        raise _Fail(v.line, f"{what}: expected a whole number, got {_describe(v)}")
    if x < lo:
        raise _Fail(v.line, f"{what}: {x} is below {lo}" if lo else f"{what}: {x} is negative")
    if x > hi:
        raise _Fail(v.line, f"{what}: {x} is too large (at most {hi})")
    return x


def _year(v: _V, what: str) -> int:
    x = v.value
    if v.kind == "scalar" and isinstance(x, str) and _YEAR.match(x.strip()):
        v = _V("scalar", int(x), v.line, x)
    x = v.value
    if v.kind == "scalar" and isinstance(x, int) and not isinstance(x, bool):
        if not YEARS[0] <= x <= YEARS[1]:
            raise _Fail(v.line, f"{what}: year {x} is out of range ({YEARS[0]} to {YEARS[1]})")
        return x
    raise _Fail(v.line, f"{what}: expected a year such as 2026, got {_describe(v)}")


def _text(v: _V, what: str, *, empty: bool = False) -> str:
    if v.kind != "scalar" or not isinstance(v.value, str):
        raise _Fail(v.line, f"{what}: expected text, got {_describe(v)}")
    if not empty and not v.value.strip():
        raise _Fail(v.line, f"{what}: is empty")
    return v.value


def _optional_text(v: _V | None, what: str) -> str | None:
    return None if v is None or (v.kind == "scalar" and v.value is None) else _text(v, what)


def _choice(v: _V, what: str, options: tuple[str, ...]) -> str:
    if v.kind != "scalar" or not isinstance(v.value, str):
        raise _Fail(v.line, f"{what}: expected one of {', '.join(options)}, got {_describe(v)}")
    if v.value not in options:
        raise _Fail(v.line, f'{what}: unknown value "{_short(v.value)}" (expected one of {", ".join(options)})')
    return v.value


def _bool(v: _V, what: str) -> bool:
    if v.kind != "scalar" or not isinstance(v.value, bool):
        raise _Fail(v.line, f"{what}: expected true or false, got {_describe(v)}")
    return v.value


def _amount(v: _V, what: str, *, allow_zero: bool, allow_negative: bool = False) -> Decimal:
    x = v.value
    if v.kind != "scalar" or isinstance(x, (bool, dt.date)) or x is None:
        raise _Fail(v.line, f'{what}: expected an amount such as "1000.00", got {_describe(v)}')
    written = (v.text if v.text is not None else str(x)).strip()
    negative = False
    if allow_negative:
        if isinstance(x, str) and x.strip().startswith("-"):
            negative, x = True, x.strip()[1:]
        elif isinstance(x, (int, Decimal)) and x < 0:
            negative, x = True, -x
    try:
        value = money.parse_amount(x, allow_zero=allow_zero)
    except money.AmountError as e:
        reason = str(e)
        m = re.match(r"^amount \S+ (.*)$", reason)
        if m:
            raise _Fail(v.line, f'{what} "{_short(written)}" {m.group(1)}') from None
        raise _Fail(v.line, f'{what}: expected an amount such as "1000.00", got {_describe(v)}') from None
    return -value if negative and value else value


def _plain(v: _V, where: str) -> Any:
    """A parameter tree as plain Python values (text keys only)."""
    if v.kind == "map":
        out = {}
        for key, item in v.value.items():
            if not isinstance(key, str):
                raise _Fail(v.key_lines[key], f"{where}: key {key} must be a parameter name")
            out[key] = _plain(item, where)
        return out
    if v.kind == "seq":
        return [_plain(item, where) for item in v.value]
    return v.value


def _path_line(v: _V, path: tuple) -> int:
    line = v.line
    for key in path:
        if v.kind != "map" or key not in v.value:
            break
        line = v.key_lines[key] or line
        v = v.value[key]
    return line


def _parameters(v: _V, where: str) -> dict:
    if v.kind != "map":
        raise _Fail(v.line, f"{where}: expected a mapping of parameters, got {_describe(v)}")
    tree = _plain(v, where)
    try:
        params.check_partial(tree)
    except params.ParamError as e:
        name = ".".join(map(str, e.path))
        raise _Fail(_path_line(v, e.path), f"{where}: {name}: {e.message}" if name else f"{where}: {e.message}") from None
    return tree


def _year_map(v: _V, where: str) -> list[tuple[int, _V, int]]:
    """The entries of a mapping keyed by year (2022: or "2022":), in file order."""
    if v.kind != "map":
        raise _Fail(v.line, f"{where}: expected a mapping by year, got {_describe(v)}")
    seen: dict[int, int] = {}
    out = []
    for key, item in v.value.items():
        kline = v.key_lines[key]
        year = _year(_V("scalar", key, kline, str(key)), where)
        if year in seen:
            raise _Fail(kline, f"{where}: year {year} is given twice (first on line {seen[year]})")
        seen[year] = kline
        out.append((year, item, kline))
    return out


# --------------------------------------------------------------------------- events


_EVENT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "payment": (("amount",), ()),
    "consultations": (("year", "count"), ()),
    "agents": (("count",), ()),
    "amendment": (("effective", "set"), ("ref",)),
    "notice": (("by", "received"), ("sent", "reason")),
    "dispute": (("step",), ()),
    "signed": ((), ("ref",)),
}


def _receipt(v: _V, where: str, event_date: dt.date) -> Receipt:
    if v.kind == "map":
        f = _fields(v, where, ("presented",), ("delivered", "unclaimed"))
        presented = _date(f["presented"], f"{where}: presented")
        unclaimed = _bool(f["unclaimed"], f"{where}: unclaimed") if "unclaimed" in f else False
        if unclaimed and "delivered" in f:
            raise _Fail(f["delivered"].line, f"{where}: a letter is either delivered or unclaimed, not both")
        if not unclaimed and "delivered" not in f:
            raise _Fail(v.line, f"{where}: give `delivered: DATE` or `unclaimed: true` with `presented`")
        if presented > event_date:
            raise _Fail(f["presented"].line, f"{where}: receipt dated after the event (presented {presented}, event dated {event_date})")
        if unclaimed:
            return Receipt(presented=presented, unclaimed=True)
        delivered = _date(f["delivered"], f"{where}: delivered")
        if delivered < presented:
            raise _Fail(f["delivered"].line, f"{where}: delivered {delivered} is before presented {presented}")
        if delivered > event_date:
            raise _Fail(f["delivered"].line, f"{where}: receipt dated after the event (delivered {delivered}, event dated {event_date})")
        return Receipt(delivered=delivered, presented=presented)
    if v.kind == "scalar" and v.value is None:
        raise _Fail(v.line, f"{where}: missing receipt date")
    delivered = _date(v, where)
    if delivered > event_date:
        raise _Fail(v.line, f"{where}: receipt dated after the event (received {delivered}, event dated {event_date})")
    return Receipt(delivered=delivered)


def _notice(f: dict, where: str, date: dt.date, common: dict) -> NoticeReceived:
    by = _choice(f["by"], f"{where}: by", params.PARTIES)
    rv = f["received"]
    if rv.kind != "map":
        raise _Fail(rv.line, f"{where}: received: expected a mapping recipient: date, got {_describe(rv)}")
    allowed = tuple(r for r in params.RECIPIENTS if r != by)
    received = []
    for key, item in rv.value.items():
        kline = rv.key_lines[key]
        if key == by:
            raise _Fail(kline, f"{where}: a notice by {by} is not received by {by} (recipients: {', '.join(allowed)})")
        if not isinstance(key, str) or key not in allowed:
            raise _Fail(kline, f"{where}: unknown recipient {str(key)!r} (expected one of {', '.join(allowed)})")
        received.append((key, _receipt(item, f"{where}: received by {key}", date)))
    if not received:
        raise _Fail(rv.line, f"{where}: received: give at least one recipient with its receipt date")
    sent = _optional_date(f.get("sent"), f"{where}: sent")
    if sent is not None:
        first = min(d for _, r in received for d in (r.presented, r.delivered) if d is not None)
        if sent > first:
            raise _Fail(f["sent"].line, f"{where}: sent {sent} is after a receipt ({first})")
    return NoticeReceived(
        **common, by=by, received=tuple(received), sent=sent,
        reason=_optional_text(f.get("reason"), f"{where}: reason"),
    )


def _event(v: _V, index: int) -> Event:
    where = f"event {index + 1}"
    if v.kind != "map":
        raise _Fail(v.line, f"{where}: expected a mapping with date and type, got {_describe(v)}")
    tv = v.value.get("type")
    if tv is None:
        raise _Fail(v.line, f"{where}: missing 'type' (one of {', '.join(EVENT_TYPES)})")
    if tv.kind != "scalar" or not isinstance(tv.value, str) or tv.value not in EVENT_TYPES:
        known = ", ".join(EVENT_TYPES)
        if tv.kind == "scalar" and isinstance(tv.value, str):
            raise _Fail(tv.line, f'{where}: unknown event type "{_short(tv.value)}" (known types: {known})')
        raise _Fail(tv.line, f"{where}: type: expected one of {known}, got {_describe(tv)}")
    kind = tv.value
    where = f"{where} ({kind})"
    required, optional = _EVENT_KEYS[kind]
    f = _fields(v, where, ("date", "type") + required, optional)
    date = _date(f["date"], f"{where}: date")
    common = {"date": date, "line": v.line, "seq": index}
    if kind == "payment":
        return PaymentReceived(**common, amount=_amount(f["amount"], f"{where}: amount", allow_zero=False))
    if kind == "consultations":
        return ConsultationsCounted(
            **common, year=_year(f["year"], f"{where}: year"), count=_int(f["count"], f"{where}: count")
        )
    if kind == "agents":
        return AgentsCounted(**common, count=_int(f["count"], f"{where}: count"))
    if kind == "amendment":
        effective = _date(f["effective"], f"{where}: effective")
        tree = _parameters(f["set"], f"{where}: set")
        if not tree:
            raise _Fail(f["set"].line, f"{where}: set: no parameter to change")
        return AmendmentSigned(
            **common, effective=effective, set=tree, ref=_optional_text(f.get("ref"), f"{where}: ref")
        )
    if kind == "notice":
        return _notice(f, where, date, common)
    if kind == "dispute":
        return DisputeStep(**common, step=_choice(f["step"], f"{where}: step", DISPUTE_STEPS))
    return Signed(**common, ref=_optional_text(f.get("ref"), f"{where}: ref"))


# --------------------------------------------------------------------------- expect


def _expect(v: _V) -> dict:
    f = _fields(v, "expect", (), ("termination", "contributions", "states", "diagnostics"))
    out: dict[str, Any] = {}
    if "termination" in f:
        tv = f["termination"]
        if tv.kind == "scalar" and tv.value is None:
            out["termination"] = None
        else:
            w = "expect: termination"
            t = _fields(tv, w, (), ("by", "notified", "last_day", "immediate"))
            term: dict[str, Any] = {}
            if "by" in t:
                term["by"] = _choice(t["by"], f"{w}: by", params.PARTIES + ("expiry",))
            if "notified" in t:
                term["notified"] = _optional_date(t["notified"], f"{w}: notified")
            if "last_day" in t:
                term["last_day"] = _date(t["last_day"], f"{w}: last_day")
            if "immediate" in t:
                term["immediate"] = _bool(t["immediate"], f"{w}: immediate")
            out["termination"] = term
    if "contributions" in f:
        years = {}
        for year, item, _ in _year_map(f["contributions"], "expect: contributions"):
            w = f"expect: contributions {year}"
            c = _fields(item, w, (), ("band", "column", "annual", "due", "paid", "balance",
                                      "covered_days", "year_days", "called_on"))
            row: dict[str, Any] = {}
            for key, cv in c.items():
                if key == "band":
                    row[key] = _int(cv, f"{w}: band", 1, 1000)
                elif key == "column":
                    row[key] = _choice(cv, f"{w}: column", COLUMNS)
                elif key in ("annual", "due", "paid"):
                    row[key] = _amount(cv, f"{w}: {key}", allow_zero=True)
                elif key == "balance":
                    row[key] = _amount(cv, f"{w}: balance", allow_zero=True, allow_negative=True)
                elif key == "covered_days":
                    row[key] = _int(cv, f"{w}: covered_days", 0, 366)
                elif key == "year_days":
                    row[key] = _int(cv, f"{w}: year_days", 365, 366)
                else:
                    row[key] = _date(cv, f"{w}: called_on")
            years[year] = row
        out["contributions"] = years
    if "states" in f:
        sv = f["states"]
        if sv.kind != "map":
            raise _Fail(sv.line, f"expect: states: expected a mapping date: state, got {_describe(sv)}")
        states: dict[dt.date, str] = {}
        for key, item in sv.value.items():
            kline = sv.key_lines[key]
            day = _date(_V("scalar", key, kline, str(key)), "expect: states")
            if day in states:
                raise _Fail(kline, f"expect: states: {day} is given twice")
            states[day] = _choice(item, f"expect: states {day}", STATES)
        out["states"] = states
    if "diagnostics" in f:
        dv = f["diagnostics"]
        if dv.kind != "seq":
            raise _Fail(dv.line, f"expect: diagnostics: expected a list of codes, got {_describe(dv)}")
        codes = []
        for item in dv.value:
            code = _text(item, "expect: diagnostics")
            if not _CODE.match(code):
                raise _Fail(item.line, f'expect: diagnostics: "{_short(code)}" is not a diagnostic code such as volume_estimated')
            codes.append(code)
        out["diagnostics"] = codes
    return out


# --------------------------------------------------------------------------- scenario


_TOP_REQUIRED = ("scenario", "convention", "name", "start", "member")
_TOP_OPTIONAL = ("horizon", "consultations", "overrides", "events", "expect")


def _scenario(root: _V, source: str, base_dir: str | None) -> Scenario:
    f = _fields(root, "scenario file", _TOP_REQUIRED, _TOP_OPTIONAL)
    version = f["scenario"]
    if not (version.kind == "scalar" and version.value == 1 and type(version.value) is int):
        raise _Fail(version.line, f"scenario: format version must be 1, got {_describe(version)}")
    ref = _text(f["convention"], "convention").strip()
    try:
        rules_path = rulesfile.find(ref, base_dir=base_dir)
        rulesfile.load(rules_path)
    except rulesfile.RulesError as e:
        raise _Fail(f["convention"].line, f"convention: {e}") from None
    name = _text(f["name"], "name")
    start = _date(f["start"], "start")
    horizon = _optional_date(f.get("horizon"), "horizon")
    if horizon is not None and horizon < start:
        raise _Fail(f["horizon"].line, f"horizon {horizon} is before the start {start}")
    member = _fields(f["member"], "member", ("agents",))
    agents = _int(member["agents"], "member: agents")

    consultations: list[tuple[int, int]] = []
    cv = f.get("consultations")
    if cv is not None and not (cv.kind == "scalar" and cv.value is None):
        for year, item, _ in _year_map(cv, "consultations"):
            consultations.append((year, _int(item, f"consultations {year}")))

    overrides: dict = {}
    ov = f.get("overrides")
    if ov is not None and not (ov.kind == "scalar" and ov.value is None):
        overrides = _parameters(ov, "overrides")

    events: list[Event] = []
    ev = f.get("events")
    if ev is not None and not (ev.kind == "scalar" and ev.value is None):
        if ev.kind != "seq":
            raise _Fail(ev.line, f"events: expected a list of events (- date: ..., type: ...), got {_describe(ev)}")
        events = [_event(item, i) for i, item in enumerate(ev.value)]

    expect: dict = {}
    xv = f.get("expect")
    if xv is not None and not (xv.kind == "scalar" and xv.value is None):
        expect = _expect(xv)

    return Scenario(
        convention=ref,
        name=name,
        start=start,
        agents=agents,
        horizon=horizon,
        consultations=tuple(sorted(consultations)),
        overrides=overrides,
        events=tuple(events),
        expect=expect,
        source=source,
        rules_path=rules_path,
    )


def _is_path(text: str) -> bool:
    """An existing file or folder, or one line ending in .yaml/.yml/.json (a missing file)."""
    if "\n" in text or len(text) > 4096:
        return False
    if os.path.isfile(text) or os.path.isdir(text):
        return True
    return text.strip().lower().endswith((".yaml", ".yml", ".json"))


def _read_file(path: str, shown: str) -> str:
    try:
        if os.path.isdir(path):
            raise ScenarioError(shown, 0, "is a directory, not a scenario file")
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            raise ScenarioError(shown, 0, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB ({size} bytes)")
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(shown, 0, "no such file") from None
    except OSError as e:
        raise ScenarioError(shown, 0, f"cannot read the file: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(shown, 0, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ScenarioError(
            shown, line, f"the file is not UTF-8 text (byte 0x{data[e.start]:02x}); save it as UTF-8"
        ) from None


def load_scenario(source: Any, *, filename: str | None = None) -> Scenario:
    """Load and check a scenario (SPEC section 4).

    ``source`` is the path of a file (``str`` or ``os.PathLike``), YAML or JSON text, or a mapping
    as ``yaml.safe_load`` would return. ``filename`` names the source in errors (default: the
    path, ``<string>`` or ``<mapping>``); a relative ``convention:`` path is looked up beside the
    file. Raises :class:`~engine.errors.ScenarioError` (``FILE:LINE: message``) and nothing else.
    """
    shown = filename or "<scenario>"
    try:
        base_dir: str | None = None
        if isinstance(source, Mapping):
            shown = filename or "<mapping>"
            root = _wrap(source)
        elif isinstance(source, os.PathLike) or (isinstance(source, str) and _is_path(source)):
            path = os.fsdecode(os.fspath(source))
            shown = filename or path
            root = _from_text(_read_file(path, shown))
            base_dir = os.path.dirname(os.path.abspath(path))
        elif isinstance(source, (str, bytes)):
            shown = filename or "<string>"
            if len(source) > MAX_BYTES:
                raise _Fail(0, f"the scenario is larger than {MAX_BYTES // (1024 * 1024)} MB")
            if isinstance(source, bytes):
                try:
                    source = source.decode("utf-8")
                except UnicodeDecodeError as e:
                    line = source.count(b"\n", 0, e.start) + 1
                    raise _Fail(line, "the text is not UTF-8") from None
            if filename and not filename.startswith("<"):
                base_dir = os.path.dirname(os.path.abspath(filename))
            root = _from_text(source)
        else:
            raise _Fail(0, f"cannot read a scenario from {type(source).__name__}: give a path, text or a mapping")
        return _scenario(root, shown, base_dir)
    except ScenarioError:
        raise
    except _Fail as e:
        raise ScenarioError(shown, e.line, e.message) from None
    except RecursionError:
        raise ScenarioError(shown, 0, "the scenario is nested too deeply") from None
    except Exception as e:  # the promise is one line, never a traceback
        raise ScenarioError(shown, 0, f"cannot read the scenario: {type(e).__name__}: {e}") from None


def load_event(source: Mapping[str, Any], *, seq: int = 0, filename: str = "<event>") -> Event:
    """One event written as in a scenario's ``events:`` list (``{date, type, ...}``), checked."""
    try:
        return _event(_wrap(source), seq)
    except _Fail as e:
        raise ScenarioError(filename, e.line, e.message) from None
    except Exception as e:
        raise ScenarioError(filename, 0, f"cannot read the event: {type(e).__name__}: {e}") from None
