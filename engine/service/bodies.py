"""Reading a request: its body (JSON, or YAML with its content type, read as a file is read),
its query parameters and its headers. Every refusal is a :class:`~engine.service.problems.Problem`."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any, Mapping, overload

import attrs
from starlette.requests import Request

from ..conventions import rulesfile
from ..conventions import yamlnodes as Y
from ..api import load_scenario
from . import limits
from .problems import Problem

REQUEST = "<request>"
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


@attrs.frozen
class Document:
    """A body read: its text as the engine's YAML reader reads it, and its plain value (mappings,
    lists, text, int, Decimal, bool, None; dates as YYYY-MM-DD text)."""

    text: str
    value: Any


_SURROGATE_PAIR = re.compile(r"\\\\|\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})")
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_SYNTAX = ("YAML syntax error", "the file holds a control character")


def yaml_readable(json_text: str) -> str:
    """The JSON text with the few spellings YAML reads otherwise made plain, line for line: a
    surrogate pair escape as its character, and the characters YAML folds or refuses (only ever
    inside strings in valid JSON) as escapes."""
    def pair(m: re.Match) -> str:
        if m.group(1) is None:
            return m.group(0)  # an escaped backslash: what follows it is not an escape
        hi, lo = int(m.group(1), 16), int(m.group(2), 16)
        return chr(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))

    text = _SURROGATE_PAIR.sub(pair, json_text) if "\\u" in json_text else json_text
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def plain(v: Y.Node) -> Any:
    """A value read by the engine's YAML reader as JSON can hold it."""
    if v.kind == "map":
        return {(k.isoformat() if isinstance(k, dt.date) else str(k) if isinstance(k, int) else k): plain(x)
                for k, x in v.value.items()}
    if v.kind == "seq":
        return [plain(x) for x in v.value]
    return v.value.isoformat() if isinstance(v.value, dt.date) else v.value


def is_yaml(request: Request) -> bool:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype in YAML_TYPES


def read_document(body: bytes, yaml_body: bool) -> Document:
    """Read a body (raises :class:`Problem`: 400 unreadable, 422 refused by the YAML reader)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        line = body.count(b"\n", 0, e.start) + 1
        raise Problem("invalid-body", f"{REQUEST}:{line}: the body is not UTF-8", line=line) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if yaml_body:
        try:
            root = Y.from_text(text)
        except Y.ReadError as e:
            kind = "invalid-body" if e.message.startswith(_SYNTAX) else "invalid-scenario"
            raise Problem(kind, f"{REQUEST}:{e.line}: {e.message}", line=e.line) from None
        except RecursionError:
            raise Problem("invalid-scenario", f"{REQUEST}:0: the body is nested too deeply", line=0) from None
        value = plain(root)
        try:
            _check_values(value)
        except ValueError as e:
            raise Problem("invalid-scenario", f"{REQUEST}:0: {e}", line=0) from None
        return Document(text, value)
    try:
        value = json.loads(text, parse_float=_bounded_decimal, parse_int=_bounded_int,
                           parse_constant=_no_constant, object_pairs_hook=_no_duplicate)
        _check_values(value)
    except json.JSONDecodeError as e:
        raise Problem("invalid-body", f"{REQUEST}:{e.lineno}: the body is not JSON: {e.msg} (column {e.colno}); "
                                      "a YAML body needs Content-Type: application/yaml", line=e.lineno) from None
    except (ValueError, RecursionError) as e:
        raise Problem("invalid-scenario", f"{REQUEST}:0: {_first_line(e)}", line=0) from None
    return Document(yaml_readable(text), value)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _number_text(text: str) -> None:
    if len(text) > limits.NUMBER_CHARS:
        raise ValueError(f"number {Y.short(text, 20)} is too long (more than {limits.NUMBER_CHARS} characters)")


def _bounded_decimal(text: str) -> Decimal:
    """A JSON number with a point or an exponent, refused by its text before its digits are ever
    written out (``1E+999999999`` is 12 characters and a billion digits)."""
    _number_text(text)
    d = Decimal(text)  # the sign, digits and exponent only: cheap whatever the exponent
    if d and not -limits.NUMBER_EXPONENT <= d.adjusted() <= limits.NUMBER_EXPONENT:
        raise ValueError(f"number {text} is out of range (more than {limits.NUMBER_EXPONENT} digits "
                         "before or after the point)")
    return d


def _bounded_int(text: str) -> int:
    _number_text(text)
    return int(text)


def _no_duplicate(pairs: list[tuple[str, Any]]) -> dict:
    """A mapping that names a key twice is refused, as the YAML reader refuses it (JSON would keep
    the last one silently)."""
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {Y.short(k)!r}")
        out[k] = v
    return out


_DURATION = re.compile(r"^\s*P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?\s*$", re.IGNORECASE)


def check_string(text: str) -> None:
    """A string of a body: bounded in length, and a duration bounded in span (``P9000Y`` would
    carry a date past the engine's years)."""
    if len(text) > limits.STRING_CHARS:
        raise ValueError(f"a string of {len(text)} characters, more than the limit of {limits.STRING_CHARS}")
    m = _DURATION.match(text) if len(text) < 64 else None
    if m:
        y, mo, w, d = (int(g) if g else 0 for g in m.groups())
        if y + mo / 12 + w / 52 + d / 365 > limits.DURATION_YEARS:
            raise ValueError(f"duration {Y.short(text)} is longer than {limits.DURATION_YEARS} years")


def _check_values(value: Any) -> None:
    """Every key and string of a parsed body (numbers were bounded by the parser)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            check_string(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                check_string(k)
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem("too-large", f"the body has {int(declared)} bytes, more than the limit of {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem("too-large", f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_convention(doc: Document) -> None:
    """`convention:` must name a shipped rules file: a path would read a file of the server."""
    if not isinstance(doc.value, Mapping) or "convention" not in doc.value:
        return  # the engine says what is missing
    ref = doc.value["convention"]
    if isinstance(ref, str) and ref.strip() in rulesfile.shipped_ids():
        return
    if not isinstance(ref, str):
        return  # not a path either: the engine says what is wrong
    line = key_line(doc.text, "convention")
    raise Problem("rules-not-served",
                  f"{REQUEST}:{line}: convention: the service reads only the shipped rules "
                  f"({', '.join(rulesfile.shipped_ids())}), not {Y.short(ref)!r}", line=line)


def key_line(text: str, key: str) -> int:
    try:
        return Y.from_text(text).key_lines.get(key, 0)
    except Exception:
        return 0


def load(doc: Document, filename: str = REQUEST):
    """The scenario of a document, read as a file is (bytes: never taken for a path)."""
    check_convention(doc)
    return load_scenario(doc.text.encode("utf-8"), filename=filename)


# --------------------------------------------------------------------------- parameters and headers


@overload
def date_param(request: Request, name: str, *, required: bool = ..., default: dt.date) -> dt.date: ...
@overload
def date_param(request: Request, name: str, *, required: bool = ...,
               default: None = ...) -> dt.date | None: ...


def date_param(request: Request, name: str, *, required: bool = False,
               default: dt.date | None = None) -> dt.date | None:
    """A date query parameter, read as the CLI reads dates; ``default`` when it is absent (with a
    date default, the result is always a date: the overloads tell the type checker so)."""
    text = request.query_params.get(name)
    if text is None:
        if required:
            raise Problem("invalid-parameter", f"{name}: missing (a date YYYY-MM-DD)")
        return default
    if not Y.DATE.match(text):
        raise Problem("invalid-parameter", f"{name}: invalid date {Y.short(text)!r} (expected YYYY-MM-DD)")
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        raise Problem("invalid-parameter", f"{name}: invalid date {text!r}") from None
    if not Y.YEARS[0] <= d.year <= Y.YEARS[1]:
        raise Problem("invalid-parameter", f"{name}: date {text} is out of range (years {Y.YEARS[0]} to {Y.YEARS[1]})")
    return d


def choice_param(request: Request, name: str, options: tuple[str, ...]) -> str:
    text = request.query_params.get(name, options[0])
    if text not in options:
        raise Problem("invalid-parameter", f"{name}: expected one of {', '.join(options)}, got {Y.short(text)!r}")
    return text


_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not _KEY.match(key):
        raise Problem("invalid-parameter", "Idempotency-Key: expected 1 to 255 visible ASCII characters")
    return key


_VERSION = re.compile(r"^[0-9]{1,9}$")


def version_param(text: str) -> int:
    """An event's version in a path: 1 to 9 ASCII digits, not 0."""
    if not _VERSION.match(text) or int(text) == 0:
        raise Problem("invalid-parameter", f"expected an event's version (1, 2...), got {Y.short(text)!r}")
    return int(text)


def if_match(request: Request) -> int | None:
    text = request.headers.get("if-match")
    if text is None:
        return None
    text = text.strip()
    if text == "*":
        return None  # any version: the convention exists (checked by the append)
    bare = text[2:] if text.startswith("W/") else text
    bare = bare[1:-1] if len(bare) >= 2 and bare[0] == bare[-1] == '"' else bare
    if not _VERSION.match(bare):  # ASCII digits only: str.isdigit() takes "²" and "٣"
        raise Problem("invalid-parameter", f"If-Match: expected a version number, got {Y.short(text)!r}")
    return int(bare)


def today() -> dt.date:
    return dt.date.today()
