"""YAML read as values that know their line: the one reader of scenario and rules files.

The YAML is read as a node tree (``yaml.compose``) and every value is built from its node, so that
each one knows its line and no YAML type is guessed behind the user's back: numbers are decimal,
amounts are ``Decimal`` built from the text as written (never through binary floating point),
dates are ``YYYY-MM-DD``, booleans are ``true``/``false`` only (``yes``, ``on`` stay text).
Anchors, aliases, tags and deep nesting are refused before anything is composed.

The reading API, used by the scenario loader, the rules-file loader and the service:
:func:`from_text` (YAML text to a :class:`Node` tree), :func:`wrap` (a Python value to a tree with
line 0), :func:`read_file` (a file's text, bounded), and the field readers ``read_*`` (a node
checked as a mapping with known keys, a date, a whole number, a year, text, a choice, a boolean,
an amount, a parameter tree, a mapping by year), with :func:`describe`, :func:`short` and
:func:`path_line` for messages. Every reader raises :class:`ReadError` (a line and a message);
its caller turns it into a ``ScenarioError`` once the file's name is known.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

import yaml

from ..core import money
from ..errors import ScenarioError
MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 50
MAX_COUNT = 10**9
YEARS = (1900, 2200)

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^[-+]?(0|[1-9][0-9]*)?(\.[0-9]*)?([eE][-+]?[0-9]+)?$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^[0-9]{4}$")
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_NULLS = ("", "~", "null", "Null", "NULL")
# libyaml when it is there (a 5 MB file parses in seconds, not a minute); same events and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = (None, "")  # the style of an unquoted scalar: None in pure Python, "" from libyaml
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


# --------------------------------------------------------------------------- values with lines


class Node:
    """A value read from the file with its line: a scalar, a mapping or a list of ``Node``."""

    __slots__ = ("kind", "value", "line", "text", "key_lines")

    def __init__(self, kind: str, value: Any, line: int, text: str | None = None):
        self.kind = kind  # "scalar" | "map" | "seq"
        self.value = value  # python scalar | dict key -> Node | list of Node
        self.line = line
        self.text = text  # the scalar as written, for messages
        self.key_lines: dict[Any, int] = {}


class ReadError(Exception):
    """Raised while reading; turned into a ScenarioError once the file name is known."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(v: Node) -> str:
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
        return f"the number {short(v.text if v.text is not None else str(x))}"
    if isinstance(x, dt.date):
        return f"the date {x.isoformat()}"
    return f'the text "{short(str(x))}"'


def _check_date(text: str, line: int) -> dt.date:
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        raise ReadError(line, f"invalid date {text}") from None
    if not YEARS[0] <= d.year <= YEARS[1]:
        raise ReadError(line, f"date {text} is out of range (years {YEARS[0]} to {YEARS[1]})")
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
            raise ReadError(line, f"number {short(text)} is too large")
        return int(text)
    if DATE.match(text):
        return _check_date(text, line)
    if _DECIMAL.match(text) and any(c.isdigit() for c in text.split("e")[0].split("E")[0]):
        if len(text) > 40:
            raise ReadError(line, f"number {short(text)} is too long")
        try:
            d = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return text
        if d and not -30 <= d.adjusted() <= 30:
            raise ReadError(line, f"number {text} is out of range")
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
                raise ReadError(line, "a scenario file holds one YAML document, found a second one")
            if ev.tags:
                raise ReadError(line, "YAML %TAG directives are not allowed")
        elif isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None) is not None:
            raise ReadError(line, "YAML anchors and aliases are not allowed")
        elif getattr(ev, "tag", None) is not None:
            tag = ev.tag.replace("tag:yaml.org,2002:", "!!", 1)
            raise ReadError(line, f"YAML tags are not allowed (found {short(tag)})")
        elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ReadError(line, f"the file is nested more than {MAX_DEPTH} levels deep")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _build(node: yaml.Node, depth: int = 1) -> Node:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise ReadError(line, f"the file is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, yaml.ScalarNode):
        return Node("scalar", _resolve(node.value, node.style in _PLAIN, line), line, node.value)
    if isinstance(node, yaml.SequenceNode):
        return Node("seq", [_build(n, depth + 1) for n in node.value], line)
    out = Node("map", {}, line)
    for knode, vnode in node.value:
        kline = knode.start_mark.line + 1
        if not isinstance(knode, yaml.ScalarNode):
            raise ReadError(kline, "a key must be a plain name, not a list or a mapping")
        key = _resolve(knode.value, knode.style in _PLAIN, kline)
        # Only names, years and dates can be keys: then equal keys are the same key.
        if key is None or isinstance(key, (bool, Decimal)):
            raise ReadError(kline, f"key {short(knode.value)!r} must be a name")
        if key in out.value:
            raise ReadError(kline, f"duplicate key {short(knode.value)!r} (first on line {out.key_lines[key]})")
        out.value[key] = _build(vnode, depth + 1)
        out.key_lines[key] = kline
    return out


def wrap(obj: Any, depth: int = 1) -> Node:
    """A Python value (as ``yaml.safe_load`` or ``json.load`` returns) as ``Node`` with line 0."""
    if depth > MAX_DEPTH:
        raise ReadError(0, f"the scenario is nested more than {MAX_DEPTH} levels deep")
    if isinstance(obj, Mapping):
        out = Node("map", {}, 0)
        for k, v in obj.items():
            if isinstance(k, dt.datetime):
                raise ReadError(0, f"key {k} has a time; give a date YYYY-MM-DD")
            out.value[k] = wrap(v, depth + 1)
            out.key_lines[k] = 0
        return out
    if isinstance(obj, (list, tuple)):
        return Node("seq", [wrap(v, depth + 1) for v in obj], 0)
    if isinstance(obj, dt.datetime):
        raise ReadError(0, f"{obj.isoformat()} has a time; give a date YYYY-MM-DD")
    if isinstance(obj, dt.date):
        if not YEARS[0] <= obj.year <= YEARS[1]:
            raise ReadError(0, f"date {obj} is out of range (years {YEARS[0]} to {YEARS[1]})")
        return Node("scalar", obj, 0, obj.isoformat())
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise ReadError(0, f"{obj!r} is not a number")
        return Node("scalar", Decimal(repr(obj)), 0, repr(obj))
    if obj is None or isinstance(obj, (str, bool, int, Decimal)):
        return Node("scalar", obj, 0, None if obj is None else str(obj))
    raise ReadError(0, f"unsupported value of type {type(obj).__name__}")


def from_text(text: str) -> Node:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        _scan(text)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.reader.ReaderError as e:
        line = 0
        if isinstance(e.position, int):  # libyaml counts bytes, the Python reader characters
            if _LOADER is not yaml.SafeLoader:
                line = text.encode("utf-8").count(b"\n", 0, e.position) + 1
            else:
                line = text.count("\n", 0, e.position) + 1
        ch = chr(e.character) if isinstance(e.character, int) else str(e.character)[:1]
        code = f" (U+{ord(ch):04X})" if ch else ""
        raise ReadError(line, f"the file holds a control character{code} that YAML does not allow") from None
    except yaml.YAMLError as e:
        raise ReadError(*_yaml_problem(e)) from None
    if node is None:
        raise ReadError(1, "the file is empty: expected a scenario mapping")
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode) and node.style in _PLAIN and node.value in _NULLS:
            raise ReadError(line, "the document is empty: expected a scenario mapping")
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        raise ReadError(line, f"the document is {kind}, expected a mapping (scenario: 1, convention: ...)")
    return _build(node)


# --------------------------------------------------------------------------- field readers


def read_fields(v: Node, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    """The keys of a mapping, checked: text keys, none unknown, none missing."""
    if v.kind != "map":
        raise ReadError(v.line, f"{where}: expected a mapping, got {describe(v)}")
    allowed = required + optional
    for key, kline in v.key_lines.items():
        if not isinstance(key, str):
            raise ReadError(kline, f"{where}: key {key} must be a name, one of {', '.join(allowed)}")
        if key not in allowed:
            raise ReadError(kline, f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in v.value:
            raise ReadError(v.line, f"{where}: missing {key!r}")
    return v.value


def read_date(v: Node, what: str) -> dt.date:
    x = v.value
    if v.kind == "scalar" and isinstance(x, dt.date):
        return x
    if v.kind == "scalar" and isinstance(x, str) and DATE.match(x.strip()):
        return _check_date(x.strip(), v.line)
    raise ReadError(v.line, f"{what}: expected a date YYYY-MM-DD, got {describe(v)}")


def read_optional_date(v: Node | None, what: str) -> dt.date | None:
    return None if v is None or (v.kind == "scalar" and v.value is None) else read_date(v, what)


def read_int(v: Node, what: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
    x = v.value
    if v.kind != "scalar" or isinstance(x, bool) or not isinstance(x, int):
        if isinstance(x, Decimal) and x == x.to_integral_value():
            raise ReadError(v.line, f"{what}: expected a whole number, got {describe(v)} (write it without decimals)")
        raise ReadError(v.line, f"{what}: expected a whole number, got {describe(v)}")
    if x < lo:
        raise ReadError(v.line, f"{what}: {x} is below {lo}" if lo else f"{what}: {x} is negative")
    if x > hi:
        raise ReadError(v.line, f"{what}: {x} is too large (at most {hi})")
    return x


def read_year(v: Node, what: str) -> int:
    x = v.value
    if v.kind == "scalar" and isinstance(x, str) and _YEAR.match(x.strip()):
        v = Node("scalar", int(x), v.line, x)
    x = v.value
    if v.kind == "scalar" and isinstance(x, int) and not isinstance(x, bool):
        if not YEARS[0] <= x <= YEARS[1]:
            raise ReadError(v.line, f"{what}: year {x} is out of range ({YEARS[0]} to {YEARS[1]})")
        return x
    raise ReadError(v.line, f"{what}: expected a year such as 2026, got {describe(v)}")


def read_text(v: Node, what: str, *, empty: bool = False) -> str:
    if v.kind != "scalar" or not isinstance(v.value, str):
        raise ReadError(v.line, f"{what}: expected text, got {describe(v)}")
    if not empty and not v.value.strip():
        raise ReadError(v.line, f"{what}: is empty")
    return v.value


def read_optional_text(v: Node | None, what: str) -> str | None:
    return None if v is None or (v.kind == "scalar" and v.value is None) else read_text(v, what)


def read_choice(v: Node, what: str, options: tuple[str, ...]) -> str:
    if v.kind != "scalar" or not isinstance(v.value, str):
        raise ReadError(v.line, f"{what}: expected one of {', '.join(options)}, got {describe(v)}")
    if v.value not in options:
        raise ReadError(v.line, f'{what}: unknown value "{short(v.value)}" (expected one of {", ".join(options)})')
    return v.value


def read_bool(v: Node, what: str) -> bool:
    if v.kind != "scalar" or not isinstance(v.value, bool):
        raise ReadError(v.line, f"{what}: expected true or false, got {describe(v)}")
    return v.value


def read_amount(v: Node, what: str, *, allow_zero: bool, allow_negative: bool = False) -> Decimal:
    x = v.value
    if v.kind != "scalar" or isinstance(x, (bool, dt.date)) or x is None:
        raise ReadError(v.line, f'{what}: expected an amount such as "1000.00", got {describe(v)}')
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
            raise ReadError(v.line, f'{what} "{short(written)}" {m.group(1)}') from None
        raise ReadError(v.line, f'{what}: expected an amount such as "1000.00", got {describe(v)}') from None
    return -value if negative and value else value


def read_plain(v: Node, where: str) -> Any:
    """A parameter tree as plain Python values (text keys only)."""
    if v.kind == "map":
        out = {}
        for key, item in v.value.items():
            if not isinstance(key, str):
                raise ReadError(v.key_lines[key], f"{where}: key {key} must be a parameter name")
            out[key] = read_plain(item, where)
        return out
    if v.kind == "seq":
        return [read_plain(item, where) for item in v.value]
    return v.value


def path_line(v: Node, path: tuple) -> int:
    line = v.line
    for key in path:
        if v.kind != "map" or key not in v.value:
            break
        line = v.key_lines[key] or line
        v = v.value[key]
    return line



def read_year_map(v: Node, where: str) -> list[tuple[int, Node, int]]:
    """The entries of a mapping keyed by year (2022: or "2022":), in file order."""
    if v.kind != "map":
        raise ReadError(v.line, f"{where}: expected a mapping by year, got {describe(v)}")
    seen: dict[int, int] = {}
    out = []
    for key, item in v.value.items():
        kline = v.key_lines[key]
        year = read_year(Node("scalar", key, kline, str(key)), where)
        if year in seen:
            raise ReadError(kline, f"{where}: year {year} is given twice (first on line {seen[year]})")
        seen[year] = kline
        out.append((year, item, kline))
    return out



def read_file(path: str, shown: str) -> str:
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
