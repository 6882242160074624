"""The engine as an HTTP service (docs/spec.md 9): an ASGI application (Starlette).

A thin edge over the same core as the command line: routing, reading bodies, limits and errors
are here; every answer is computed by the public API (:func:`engine.load_scenario`,
:func:`engine.replay`, the timeline's deadlines) and, for the register of live conventions, by
:mod:`engine.store`. ``convention serve`` runs it on uvicorn.

Bodies. A scenario or an event is JSON, or YAML with ``Content-Type: application/yaml``. JSON is
YAML, and the engine reads both as a file is read, so that a JSON or YAML body replays byte for
byte as ``convention run`` replays the same text saved to a file (an error names ``<request>``
and the body's line). Nothing in a body can run code or read a file: YAML tags, anchors and
aliases are refused by the reader, ``convention:`` must be a shipped rules id (a path would read
a file), and a body is always text, never a path.

The register. A convention is stored as its header and its events (JSON, as received); its
timeline is always the replay of the *register's document*: the header with ``events`` last,
event N on line N (``GET /v1/conventions/{id}/scenario``), so that ``convention run`` of that
document prints the very bytes of ``GET .../timeline``, and a message naming a line names the
event's version.

Errors are RFC 9457 problem details (``application/problem+json``) whose ``detail`` is the
command line's one-line message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

import anyio
import anyio.to_thread
import attrs
from sqlalchemy import exc as sa_exc
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import __version__, render, rulesfile, store as store_mod
from . import yamlnodes as Y
from .api import load_scenario, replay
from .cli import _timeline_covering
from .deadlines import calendar_events, to_ics
from .errors import ScenarioError
from .expect import failures as expect_failures
from .loader import load_event
from .money import fmt
from .store import Store

__all__ = ["create_app", "app_from_env", "Limits", "register_document", "openapi"]

REQUEST = "<request>"
PROBLEM = "application/problem+json"
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
MiB = 1024 * 1024


@attrs.frozen
class Limits:
    """What one request may cost."""

    body: int = MiB  # bytes of a request body
    events: int = store_mod.MAX_EVENTS  # events per convention
    replay_seconds: float = 10.0  # one replay (timeline, state, deadlines, check)
    portfolio_seconds: float = 60.0  # GET /v1/deadlines: every convention's deadlines


# --------------------------------------------------------------------------- problems

# type -> (status, title, what it means: served at /problems/{type})
PROBLEMS = {
    "invalid-body": (400, "The body is not JSON or YAML",
                     "The body could not be read: it is not UTF-8, not JSON, or (with Content-Type: "
                     "application/yaml) not YAML. The detail gives the line."),
    "invalid-parameter": (400, "Invalid parameter",
                          "A query parameter or a header (Idempotency-Key, If-Match) is malformed."),
    "invalid-scenario": (422, "The engine refuses the input",
                         "The scenario or event is JSON or YAML but the engine refuses it: the detail "
                         "is the command line's message, <request>:LINE: what is wrong."),
    "rules-not-served": (422, "Only the shipped rules are served",
                         "convention: must be the id of a rules file shipped with the engine; a path "
                         "to a rules file is refused (it would read a file on the server)."),
    "key-reused": (422, "Idempotency key reused with another body",
                   "The Idempotency-Key was already used for this convention with a different body."),
    "stale-version": (412, "Stale version",
                      "If-Match names a version that is not the convention's last one: read it again."),
    "too-many-events": (409, "Too many events",
                        "The convention holds the most events the server keeps for one convention."),
    "not-found": (404, "Not found", "No such convention, rules file or path."),
    "method-not-allowed": (405, "Method not allowed", "This path does not answer this method."),
    "too-large": (413, "Body too large", "The body is larger than the server's limit."),
    "timeout": (503, "Replay took too long",
                "The replay did not finish within the server's time limit; try again later, or ask "
                "for a shorter span (?until=)."),
    "busy": (503, "Register busy", "The register stayed busy through every retry; try again."),
    "internal": (500, "Internal error", "A bug of the engine or the service."),
}


class Problem(Exception):
    """An RFC 9457 problem: ``kind`` is a key of :data:`PROBLEMS`."""

    def __init__(self, kind: str, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.kind = kind
        self.status = PROBLEMS[kind][0]
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra


def _problem_response(request: Request, p: Problem) -> Response:
    status, title, _ = PROBLEMS[p.kind]
    body = {"type": f"/problems/{p.kind}", "title": title, "status": status, "detail": p.detail,
            "instance": request.url.path}
    body.update(p.extra)
    return Response(json.dumps(body, ensure_ascii=False) + "\n", status_code=status,
                    headers=p.headers, media_type=PROBLEM)


def _scenario_problem(e: ScenarioError) -> Problem:
    return Problem("invalid-scenario", str(e), line=e.line)


async def _on_problem(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Problem):
        return _problem_response(request, exc)
    if isinstance(exc, ScenarioError):
        return _problem_response(request, _scenario_problem(exc))
    if isinstance(exc, store_mod.NotFound):
        return _problem_response(request, Problem("not-found", f"no convention {exc.args[0]!r}"))
    if isinstance(exc, store_mod.KeyReused):
        return _problem_response(request, Problem(
            "key-reused", f"Idempotency-Key {exc.args[0]!r} was already used with another body"))
    if isinstance(exc, store_mod.StaleVersion):
        return _problem_response(request, Problem(
            "stale-version", f"If-Match: {exc.expected}: the convention is at version {exc.current}",
            headers={"ETag": str(exc.current)}, version=exc.current))
    if isinstance(exc, store_mod.TooManyEvents):
        return _problem_response(request, Problem(
            "too-many-events", f"the convention already holds {exc.limit} events, the most the "
                               "server keeps for one convention"))
    if isinstance(exc, store_mod.Busy):
        return _problem_response(request, Problem("busy", str(exc), headers={"Retry-After": "1"}))
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection in use for 30 s
        return _problem_response(request, Problem("busy", "the register is busy, try again",
                                                  headers={"Retry-After": "1"}))
    if isinstance(exc, HTTPException):
        kind = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(exc.status_code)
        if kind is not None:
            return _problem_response(request, Problem(kind, str(exc.detail), headers=exc.headers))
        return Response(json.dumps({"type": "about:blank", "title": str(exc.detail),
                                    "status": exc.status_code, "detail": str(exc.detail),
                                    "instance": request.url.path}) + "\n",
                        status_code=exc.status_code, media_type=PROBLEM, headers=exc.headers)
    # a bug of ours: still one line, never a traceback
    return _problem_response(request, Problem("internal", f"internal error: {type(exc).__name__}: {exc}"))


# --------------------------------------------------------------------------- bodies


@attrs.frozen
class Document:
    """A body read: its text as the engine's YAML reader reads it, and its plain value (mappings,
    lists, text, int, Decimal, bool, None; dates as YYYY-MM-DD text)."""

    text: str
    value: Any


_SURROGATE_PAIR = re.compile(r"\\\\|\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})")
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_SYNTAX = ("YAML syntax error", "the file holds a control character")


def _yaml_readable(json_text: str) -> str:
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


def _plain(v: Y.Node) -> Any:
    """A value read by the engine's YAML reader as JSON can hold it."""
    if v.kind == "map":
        return {(k.isoformat() if isinstance(k, dt.date) else str(k) if isinstance(k, int) else k): _plain(x)
                for k, x in v.value.items()}
    if v.kind == "seq":
        return [_plain(x) for x in v.value]
    return v.value.isoformat() if isinstance(v.value, dt.date) else v.value


def _is_yaml(request: Request) -> bool:
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
        return Document(text, _plain(root))
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise Problem("invalid-body", f"{REQUEST}:{e.lineno}: the body is not JSON: {e.msg} (column {e.colno}); "
                                      "a YAML body needs Content-Type: application/yaml", line=e.lineno) from None
    except (ValueError, RecursionError) as e:
        raise Problem("invalid-scenario", f"{REQUEST}:0: {_first_line(e)}", line=0) from None
    return Document(_yaml_readable(text), value)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


async def _read_body(request: Request, limit: int) -> bytes:
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


def _check_convention(doc: Document) -> None:
    """`convention:` must name a shipped rules file: a path would read a file of the server."""
    if not isinstance(doc.value, Mapping) or "convention" not in doc.value:
        return  # the engine says what is missing
    ref = doc.value["convention"]
    if isinstance(ref, str) and ref.strip() in rulesfile.shipped_ids():
        return
    if not isinstance(ref, str):
        return  # not a path either: the engine says what is wrong
    line = _key_line(doc.text, "convention")
    raise Problem("rules-not-served",
                  f"{REQUEST}:{line}: convention: the service reads only the shipped rules "
                  f"({', '.join(rulesfile.shipped_ids())}), not {Y.short(ref)!r}", line=line)


def _key_line(text: str, key: str) -> int:
    try:
        return Y.from_text(text).key_lines.get(key, 0)
    except Exception:
        return 0


def _load(doc: Document, filename: str = REQUEST):
    """The scenario of a document, read as a file is (bytes: never taken for a path)."""
    _check_convention(doc)
    return load_scenario(doc.text.encode("utf-8"), filename=filename)


# --------------------------------------------------------------------------- the register's document


def register_document(header: Mapping, event_texts: Sequence[str]) -> str:
    """The scenario of a stored convention as one JSON (and so YAML) text: the header on line 1
    with ``events`` last, event N on line N."""
    inner = store_mod.dumps({k: v for k, v in header.items() if k != "events"})[1:-1]
    head = "{" + inner + (", " if inner else "") + '"events": ['
    return head + ",\n".join(event_texts) + "]}\n"


# --------------------------------------------------------------------------- parameters


def _date_param(request: Request, name: str, *, required: bool = False,
                default: dt.date | None = None) -> dt.date | None:
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


def _choice_param(request: Request, name: str, options: tuple[str, ...]) -> str:
    text = request.query_params.get(name, options[0])
    if text not in options:
        raise Problem("invalid-parameter", f"{name}: expected one of {', '.join(options)}, got {Y.short(text)!r}")
    return text


_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not _KEY.match(key):
        raise Problem("invalid-parameter", "Idempotency-Key: expected 1 to 255 visible ASCII characters")
    return key


def _if_match(request: Request) -> int | None:
    text = request.headers.get("if-match")
    if text is None:
        return None
    text = text.strip()
    if text == "*":
        return None  # any version: the convention exists (checked by the append)
    bare = text[2:] if text.startswith("W/") else text
    bare = bare[1:-1] if len(bare) >= 2 and bare[0] == bare[-1] == '"' else bare
    if not bare.isdigit() or len(bare) > 9:
        raise Problem("invalid-parameter", f"If-Match: expected a version number, got {Y.short(text)!r}")
    return int(bare)


def _today() -> dt.date:
    return dt.date.today()


# --------------------------------------------------------------------------- answers


def _json(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(value, ensure_ascii=False, indent=2) + "\n", status_code=status,
                    headers=dict(headers or {}), media_type="application/json")


def _plainly(x: Any) -> Any:
    """A rules file's values as JSON: mappings, lists, text; numbers as written."""
    if isinstance(x, rulesfile.Label):
        return {"en": x.en, "fr": x.fr}
    if isinstance(x, Mapping):
        return {str(k.isoformat() if isinstance(k, dt.date) else k): _plainly(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plainly(v) for v in x]
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, Decimal):
        return str(x)
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return str(x)


def rules_json(rid: str) -> dict:
    rf = rulesfile.load(rulesfile.find(rid))
    params = []
    for name, node in rulesfile.leaves(rf.sources):
        p = {"name": name}
        p.update({k: _plainly(v) for k, v in node.items()})
        params.append(p)
    return {
        "id": rf.id,
        "title": rf.title,
        "parties": [{"id": k, "label": _plainly(v)} for k, v in rf.parties.items()],
        "recipients": [{"id": k, "label": _plainly(v)} for k, v in rf.recipients.items()],
        "inputs": [{"name": i.name, "per_year": i.per_year, "type": i.type, "event": i.event,
                    "field": i.field, "label": _plainly(i.label)} for i in rf.inputs.values()],
        "event_types": list(rf.event_types),
        "parameters": params,
        "rules": [{"id": k, **{f: _plainly(v[f]) for f in ("article", "clause", "decides", "when", "do") if f in v}}
                  for k, v in rf.catalogue.items()],
        "not_encoded": _plainly(rf.not_encoded),
    }


def state_json(s, on: dt.date) -> dict:
    """`convention state` as JSON: the state and termination with hindsight, the year's money as
    known that day."""
    if on < s.start:
        return {"name": s.name, "on": on.isoformat(), "state": "not_started", "standing": None,
                "notice": False, "start": s.start.isoformat(), "year": None, "termination": None}
    t = _timeline_covering(s, on)
    known = replay(s, until=on)
    p = t.period_on(on)
    c = known.year_total(on.year)
    return {"name": s.name, "on": on.isoformat(), "state": p.state, "standing": p.standing,
            "notice": p.notice, "start": s.start.isoformat(),
            "year": None if c is None else {"year": c.year, "due": fmt(c.due),
                                            "paid": fmt(c.paid), "balance": fmt(c.balance)},
            "termination": None if t.termination is None else t.termination.to_dict()}


def state_text(s, on: dt.date, lang: str) -> str:
    """Byte for byte `convention state FILE --on DATE`."""
    if on < s.start:
        return render.state(replay(s, until=s.start), on, lang=lang)
    return render.state(_timeline_covering(s, on), on, lang=lang, money=replay(s, until=on))


def deadlines_of(s, as_of: dt.date):
    return _timeline_covering(s, max(as_of, s.start)).deadlines(as_of)


# --------------------------------------------------------------------------- the application


class Service:
    def __init__(self, store: Store, limits: Limits):
        self.store = store
        self.limits = limits
        self._headers: OrderedDict[str, Any] = OrderedDict()  # id -> header-only scenario
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- running work

    async def thread(self, fn: Callable, *args) -> Any:
        """Blocking work (the database) off the event loop."""
        return await anyio.to_thread.run_sync(fn, *args)

    async def bounded(self, fn: Callable, *args, seconds: float | None = None) -> Any:
        """A replay off the event loop, answered 503 when it takes too long (the thread finishes
        on its own: a replay cannot be interrupted, its size is bounded by the other limits)."""
        seconds = self.limits.replay_seconds if seconds is None else seconds
        try:
            with anyio.fail_after(seconds):
                return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)
        except TimeoutError:
            raise Problem("timeout", f"the replay took longer than {seconds:g} s",
                          headers={"Retry-After": "5"}) from None

    async def document(self, request: Request) -> Document:
        body = await _read_body(request, self.limits.body)
        return read_document(body, _is_yaml(request))

    # ---------------------------------------------------------------- the register

    def stored(self, cid: str):
        """(scenario, version) of a stored convention: its register document, replayed as a file."""
        header, texts, _ = self.store.event_texts(cid)
        return load_scenario(register_document(header, texts).encode("utf-8"),
                             filename=f"<convention {cid}>"), len(texts)

    def header_scenario(self, cid: str) -> tuple[Mapping, Any]:
        """(header, the scenario of the header alone) of a convention: immutable, so kept for
        the next append."""
        with self._lock:
            hit = self._headers.get(cid)
            if hit is not None:
                self._headers.move_to_end(cid)
                return hit
        header = self.store.header(cid)
        hit = (header, load_scenario(register_document(header, ()).encode("utf-8"),
                                     filename=f"<convention {cid}>"))
        with self._lock:
            self._headers[cid] = hit
            while len(self._headers) > 1024:
                self._headers.popitem(last=False)
        return hit

    def check_event(self, cid: str, value: Any) -> None:
        """Refuse an event as the command line would refuse it in the convention's scenario."""
        header, s = self.header_scenario(cid)
        n = self.store.version(cid)  # the message names the event by the version it would take
        load_event(value, rules=rulesfile.of_scenario(s), seq=n, filename=REQUEST, overrides=s.overrides)
        # and as the register will read it back: as text, in its document
        try:
            load_scenario(register_document(header, (store_mod.dumps(value),)).encode("utf-8"),
                          filename=REQUEST)
        except ScenarioError as e:
            raise ScenarioError(REQUEST, 0, e.message) from None


def _text_or_json(out: Any, fmt: str, version: int) -> Response:
    """A register read in the CLI's text (`format=text`) or as JSON, with its version's ETag."""
    if fmt == "text":
        return Response(out, media_type="text/plain; charset=utf-8", headers=_etag(version))
    return _json(out, headers=_etag(version))


def _etag(version: int) -> dict:
    return {"ETag": str(version)}


def create_app(db: str | Store = store_mod.DEFAULT_URL, *, limits: Limits = Limits(),
               create: bool = True) -> Starlette:
    """The ASGI application on the register ``db`` (a URL or a :class:`Store`)."""
    store = db if isinstance(db, Store) else Store(db, create=create, max_events=limits.events)
    svc = Service(store, limits)

    # ---------------------------------------------------------------- stateless

    async def replay_endpoint(request: Request) -> Response:
        until = _date_param(request, "until")
        doc = await svc.document(request)

        def work():
            s = _load(doc)
            if until is not None and until < s.start:
                raise ScenarioError(REQUEST, 0, f"until {until} is before the start {s.start}")
            return replay(s, until=until).to_json()

        return Response(await svc.bounded(work), media_type="application/json")

    async def check_endpoint(request: Request) -> Response:
        doc = await svc.document(request)

        def work():
            s = _load(doc)
            if not s.expect:
                return {"passed": True, "checked": False, "failures": []}
            problems = expect_failures(replay(s), s.expect)
            return {"passed": not problems, "checked": True, "failures": list(problems)}

        return _json(await svc.bounded(work))

    async def rules_endpoint(request: Request) -> Response:
        def work():
            return {"rules": [{"id": rid, "title": rulesfile.load(rulesfile.find(rid)).title}
                              for rid in rulesfile.shipped_ids()]}
        return _json(await svc.thread(work))

    async def rule_endpoint(request: Request) -> Response:
        rid = request.path_params["id"]
        if rid not in rulesfile.shipped_ids():  # never a path
            raise Problem("not-found", f"no shipped rules {Y.short(rid)!r} "
                                       f"(shipped: {', '.join(rulesfile.shipped_ids())})")
        return _json(await svc.thread(rules_json, rid))

    # ---------------------------------------------------------------- register

    async def create_endpoint(request: Request) -> Response:
        key = _idempotency_key(request)
        doc = await svc.document(request)

        def work():
            _load(doc)  # refused with the engine's message and the body's lines
            evs = doc.value.get("events") or []
            header = {k: v for k, v in doc.value.items() if k != "events"}
            if len(evs) > limits.events:
                raise ScenarioError(REQUEST, 0, f"events: {len(evs)} events, more than the "
                                                f"{limits.events} a convention may hold")
            # as the register will read it back: its own document
            load_scenario(register_document(header, [store_mod.dumps(e) for e in evs]).encode("utf-8"),
                          filename=REQUEST)
            return store.create(header, evs, key=key)

        cid, version, replayed = await svc.thread(work)
        headers = {**_etag(version), "Location": f"/v1/conventions/{cid}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return _json({"id": cid, "version": version}, 201, headers)

    async def append_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        key = _idempotency_key(request)
        expected = _if_match(request)
        doc = await svc.document(request)

        def work():
            svc.check_event(cid, doc.value)
            return store.append(cid, doc.value, key=key, expected=expected)

        done = await svc.thread(work)
        headers = _etag(done.version)
        if done.replayed:
            headers["Idempotent-Replayed"] = "true"
        return _json({"version": done.version}, 201, headers)

    async def convention_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]

        def work():
            header, texts, created = store.event_texts(cid)
            return {"id": cid, "version": len(texts), "created": created,
                    "convention": header.get("convention"), "name": header.get("name")}

        info = await svc.thread(work)
        return _json(info, headers=_etag(info["version"]))

    async def scenario_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]

        def work():
            header, texts, _ = store.event_texts(cid)
            return register_document(header, texts), len(texts)

        text, version = await svc.thread(work)
        return Response(text, media_type="application/json", headers=_etag(version))

    async def timeline_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        until = _date_param(request, "until")

        def work():
            s, version = svc.stored(cid)
            if until is not None and until < s.start:
                raise ScenarioError(REQUEST, 0, f"until {until} is before the start {s.start}")
            return replay(s, until=until).to_json(), version

        text, version = await svc.bounded(work)
        return Response(text, media_type="application/json", headers=_etag(version))

    async def state_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        on = _date_param(request, "on", default=_today())
        fmt = _choice_param(request, "format", ("json", "text"))
        lang = _choice_param(request, "lang", ("en", "fr"))

        def work():
            s, version = svc.stored(cid)
            return (state_text(s, on, lang) if fmt == "text" else state_json(s, on)), version

        out, version = await svc.bounded(work)
        return _text_or_json(out, fmt, version)

    async def deadlines_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        as_of = _date_param(request, "as_of", default=_today())
        fmt = _choice_param(request, "format", ("json", "text"))
        lang = _choice_param(request, "lang", ("en", "fr"))

        def work():
            s, version = svc.stored(cid)
            d = deadlines_of(s, as_of)
            return (render.deadlines(d, lang=lang) if fmt == "text" else d.to_dict()), version

        out, version = await svc.bounded(work)
        return _text_or_json(out, fmt, version)

    async def ics_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        as_of = _date_param(request, "as_of", default=_today())
        lang = _choice_param(request, "lang", ("en", "fr"))

        def work():
            s, version = svc.stored(cid)
            return to_ics(deadlines_of(s, as_of), lang=lang), version

        data, version = await svc.bounded(work)
        return Response(data, media_type="text/calendar; charset=utf-8",
                        headers={**_etag(version), "Content-Disposition": 'attachment; filename="deadlines.ics"'})

    async def portfolio_endpoint(request: Request) -> Response:
        as_of = _date_param(request, "as_of", default=_today())
        before = _date_param(request, "before", required=True)

        def work():
            items = []
            for cid in store.ids():
                s, version = svc.stored(cid)
                d = deadlines_of(s, as_of)
                for kind, when in calendar_events(d):
                    if when is None or not as_of <= when < before:
                        continue
                    party = kind[len("notice-"):] if kind.startswith("notice-") else None
                    items.append({"date": when.isoformat(), "kind": "notice" if party else kind,
                                  "party": party, "id": cid, "name": s.name, "convention": s.convention,
                                  "status": d.status, "version": version})
            items.sort(key=lambda i: (i["date"], i["kind"], i["party"] or "", i["id"]))
            return {"as_of": as_of.isoformat(), "before": before.isoformat(), "deadlines": items}

        return _json(await svc.bounded(work, seconds=limits.portfolio_seconds))

    # ---------------------------------------------------------------- documents

    async def openapi_endpoint(request: Request) -> Response:
        return _json(openapi())

    async def problem_type_endpoint(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in PROBLEMS:
            raise Problem("not-found", f"no problem type {Y.short(kind)!r}")
        status, title, text = PROBLEMS[kind]
        return Response(f"{title} ({status})\n\n{text}\n", media_type="text/plain; charset=utf-8")

    routes = [
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        Route("/problems/{kind}", problem_type_endpoint, methods=["GET"]),
        Route("/v1/replay", replay_endpoint, methods=["POST"]),
        Route("/v1/check", check_endpoint, methods=["POST"]),
        Route("/v1/rules", rules_endpoint, methods=["GET"]),
        Route("/v1/rules/{id}", rule_endpoint, methods=["GET"]),
        Route("/v1/conventions", create_endpoint, methods=["POST"]),
        Route("/v1/conventions/{id}", convention_endpoint, methods=["GET"]),
        Route("/v1/conventions/{id}/scenario", scenario_endpoint, methods=["GET"]),
        Route("/v1/conventions/{id}/events", append_endpoint, methods=["POST"]),
        Route("/v1/conventions/{id}/timeline", timeline_endpoint, methods=["GET"]),
        Route("/v1/conventions/{id}/state", state_endpoint, methods=["GET"]),
        Route("/v1/conventions/{id}/deadlines", deadlines_endpoint, methods=["GET"]),
        Route("/v1/conventions/{id}/deadlines.ics", ics_endpoint, methods=["GET"]),
        Route("/v1/deadlines", portfolio_endpoint, methods=["GET"]),
    ]
    handlers = {Exception: _on_problem, HTTPException: _on_problem, Problem: _on_problem,
                ScenarioError: _on_problem, store_mod.NotFound: _on_problem,
                store_mod.KeyReused: _on_problem, store_mod.StaleVersion: _on_problem,
                store_mod.TooManyEvents: _on_problem, store_mod.Busy: _on_problem,
                sa_exc.TimeoutError: _on_problem}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.store = store
    app.state.limits = limits
    return app


ENV = {"db": "CONVENTION_DB", "body": "CONVENTION_MAX_BODY", "events": "CONVENTION_MAX_EVENTS",
       "replay_seconds": "CONVENTION_REPLAY_SECONDS"}


def limits_from_env(env: Mapping[str, str] = os.environ) -> Limits:
    kw: dict[str, Any] = {}
    if env.get(ENV["body"]):
        kw["body"] = int(env[ENV["body"]])
    if env.get(ENV["events"]):
        kw["events"] = int(env[ENV["events"]])
    if env.get(ENV["replay_seconds"]):
        kw["replay_seconds"] = float(env[ENV["replay_seconds"]])
    return Limits(**kw)


def app_from_env() -> Starlette:
    """The application of ``convention serve`` (each uvicorn worker calls it): the register and
    the limits from the environment; the tables were made by ``serve`` before the workers."""
    return create_app(os.environ.get(ENV["db"], store_mod.DEFAULT_URL), limits=limits_from_env(),
                      create=False)




# --------------------------------------------------------------------------- OpenAPI


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_DATE = {"type": "string", "format": "date", "example": "2027-06-01"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_AMOUNT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}

_EXAMPLE_EVENT = {"date": "2026-01-20", "type": "payment", "amount": "100.00"}


def _example_scenario(shipped: Sequence[str]) -> dict:
    """A scenario every reader can try: a shipped convention that needs no current values (the
    engine knows no convention by name: it is chosen from the rules files)."""
    for rid in shipped:
        rf = rulesfile.load(rulesfile.find(rid))
        if all(i.per_year for i in rf.inputs.values()):
            return {"scenario": 1, "convention": rid, "name": "Example", "start": "2026-01-01",
                    "events": [_EXAMPLE_EVENT]}
    return {"scenario": 1, "convention": shipped[0], "name": "Example", "start": "2026-01-01"}


def _schemas(shipped: Sequence[str]) -> dict:
    label = {"type": "object", "required": ["en", "fr"],
             "properties": {"en": {"type": "string"}, "fr": {"type": "string"}}}
    return {
        "Problem": {
            "type": "object", "required": ["type", "title", "status", "detail", "instance"],
            "description": "RFC 9457 problem details; `detail` is the command line's one-line message.",
            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                           "status": {"type": "integer"}, "detail": {"type": "string"},
                           "instance": {"type": "string"},
                           "line": {"type": "integer", "description": "the body's line (0: none)"},
                           "version": {"type": "integer", "description": "the convention's version (412)"}},
        },
        "Scenario": {
            "type": "object", "required": ["scenario", "convention", "name", "start"],
            "description": "A scenario file as JSON (docs/spec.md 4). The inputs the convention's "
                           "rules file declares (per-year values) are more keys.",
            "properties": {
                "scenario": {"type": "integer", "enum": [1]},
                "convention": {"type": "string", "enum": list(shipped)},
                "name": {"type": "string"}, "start": _DATE, "horizon": _NULLABLE_DATE,
                rulesfile.CURRENT: {"type": "object"}, "overrides": {"type": ["object", "null"]},
                "events": {"type": ["array", "null"], "items": _ref("Event")},
                "expect": {"type": ["object", "null"]},
            },
            "additionalProperties": True,
            "example": _example_scenario(shipped),
        },
        "Event": {
            "type": "object", "required": ["date", "type"],
            "properties": {"date": _DATE, "type": {"type": "string"}},
            "additionalProperties": True,
            "example": _EXAMPLE_EVENT,
        },
        "Timeline": {
            "type": "object",
            "description": "Byte for byte `convention run --format json` (docs/spec.md 6).",
            "required": ["format", "convention", "name", "start", "horizon", "periods", "termination",
                         "unallocated", "contributions", "entries", "diagnostics"],
            "properties": {
                "format": {"type": "string", "enum": ["convention-timeline/1"]},
                "convention": {"type": "string"}, "name": {"type": "string"},
                "start": _DATE, "horizon": _DATE,
                "periods": {"type": "array", "items": {
                    "type": "object", "required": ["from", "to", "state", "standing", "notice"],
                    "properties": {"from": _DATE, "to": _NULLABLE_DATE,
                                   "state": {"type": "string", "enum": ["initial_term", "renewed", "terminated"]},
                                   "standing": {"type": "string", "enum": ["current", "in_default"]},
                                   "notice": {"type": "boolean"}}}},
                "termination": {"oneOf": [{"type": "null"}, _ref("Termination")]},
                "unallocated": _AMOUNT,
                "contributions": {"type": "array", "items": {"type": "object", "required": ["year", "due", "paid", "balance"]}},
                "entries": {"type": "array", "items": {
                    "type": "object", "required": ["date", "kind", "rule", "article", "detail"],
                    "properties": {"date": _DATE, "kind": {"type": "string"}, "rule": {"type": "string"},
                                   "article": {"type": "string"}, "detail": {"type": "object"}}}},
                "diagnostics": {"type": "array", "items": {
                    "type": "object", "required": ["date", "level", "code", "message"],
                    "properties": {"date": _DATE, "level": {"type": "string"}, "code": {"type": "string"},
                                   "message": {"type": "string"}}}},
            },
        },
        "Termination": {
            "type": "object", "required": ["by", "notified", "last_day", "immediate", "rule"],
            "properties": {"by": {"type": "string"}, "notified": _NULLABLE_DATE, "last_day": _DATE,
                           "immediate": {"type": "boolean"}, "rule": {"type": "string"}},
        },
        "Check": {
            "type": "object", "required": ["passed", "checked", "failures"],
            "properties": {"passed": {"type": "boolean"},
                           "checked": {"type": "boolean", "description": "false: no expect: block"},
                           "failures": {"type": "array", "items": {"type": "string"}}},
        },
        "RulesList": {
            "type": "object", "required": ["rules"],
            "properties": {"rules": {"type": "array", "items": {
                "type": "object", "required": ["id", "title"],
                "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}}},
        },
        "RulesFile": {
            "type": "object",
            "required": ["id", "title", "parties", "recipients", "inputs", "event_types", "parameters",
                         "rules", "not_encoded"],
            "properties": {
                "id": {"type": "string"}, "title": {"type": "string"},
                "parties": {"type": "array", "items": {"type": "object", "required": ["id", "label"],
                                                       "properties": {"id": {"type": "string"}, "label": label}}},
                "recipients": {"type": "array", "items": {"type": "object", "required": ["id", "label"],
                                                          "properties": {"id": {"type": "string"}, "label": label}}},
                "inputs": {"type": "array", "items": {"type": "object", "required": ["name", "per_year", "type", "event"]}},
                "event_types": {"type": "array", "items": {"type": "string"}},
                "parameters": {"type": "array", "items": {
                    "type": "object", "required": ["name", "article"],
                    "description": "a parameter with its `value` (or dated `values`), article, clause and note",
                    "properties": {"name": {"type": "string"}, "article": {"type": "string"},
                                   "clause": {"type": "string"}, "note": {"type": "string"}}}},
                "rules": {"type": "array", "items": {
                    "type": "object", "required": ["id", "article", "when", "do"],
                    "properties": {"id": {"type": "string"}, "article": {"type": "string"},
                                   "clause": {"type": "string"}, "decides": {"type": "string"},
                                   "when": {}, "do": {}}}},
                "not_encoded": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Created": {"type": "object", "required": ["id", "version"],
                    "properties": {"id": {"type": "string"}, "version": {"type": "integer", "minimum": 0}}},
        "Version": {"type": "object", "required": ["version"],
                    "properties": {"version": {"type": "integer", "minimum": 1}}},
        "Convention": {"type": "object", "required": ["id", "version", "created", "convention", "name"],
                       "properties": {"id": {"type": "string"}, "version": {"type": "integer"},
                                      "created": {"type": "string", "format": "date-time"},
                                      "convention": {"type": "string"}, "name": {"type": "string"}}},
        "State": {
            "type": "object", "required": ["name", "on", "state", "standing", "notice", "year", "termination"],
            "properties": {
                "name": {"type": "string"}, "on": _DATE, "start": _DATE,
                "state": {"type": "string", "enum": ["not_started", "initial_term", "renewed", "terminated"]},
                "standing": {"type": ["string", "null"]}, "notice": {"type": "boolean"},
                "year": {"oneOf": [{"type": "null"}, {
                    "type": "object", "required": ["year", "due", "paid", "balance"],
                    "properties": {"year": {"type": "integer"}, "due": _AMOUNT, "paid": _AMOUNT,
                                   "balance": _AMOUNT}}]},
                "termination": {"oneOf": [{"type": "null"}, _ref("Termination")]},
            },
        },
        "Deadlines": {
            "type": "object", "description": "`Deadlines.to_dict()` (docs/api.md)",
            "required": ["name", "as_of", "status", "notices", "next_call", "call_due"],
            "properties": {
                "name": {"type": "string"}, "as_of": _DATE,
                "status": {"type": "string", "enum": ["not_started", "renewal", "indefinite", "expiry",
                                                      "scheduled", "terminated"]},
                "term_ends": _NULLABLE_DATE, "renewal_on": _NULLABLE_DATE,
                "notices": {"type": "array", "items": {
                    "type": "object", "required": ["party", "period", "notice_by", "passed", "earliest_last_day"],
                    "properties": {"party": {"type": "string"}, "period": {"type": "string"},
                                   "notice_by": _NULLABLE_DATE, "passed": {"type": "boolean"},
                                   "earliest_last_day": _NULLABLE_DATE}}},
                "next_call": _NULLABLE_DATE, "call_due": _NULLABLE_DATE,
                "termination_by": {"type": ["string", "null"]}, "notified": _NULLABLE_DATE,
                "last_day": _NULLABLE_DATE, "exit_on": _NULLABLE_DATE, "start": _NULLABLE_DATE,
                "balance": {"oneOf": [{"type": "null"}, _AMOUNT]},
                "overdue": {"type": "array", "items": {
                    "type": "object", "required": ["year", "period", "due_date", "amount"],
                    "properties": {"year": {"type": "integer"}, "period": _DATE, "due_date": _DATE,
                                   "amount": _AMOUNT}}},
                "at_once": {"type": "array", "items": {
                    "type": "object", "required": ["party", "reason"],
                    "properties": {"party": {"type": "string"}, "reason": {"type": "string"}}}},
            },
        },
        "Portfolio": {
            "type": "object", "required": ["as_of", "before", "deadlines"],
            "properties": {
                "as_of": _DATE, "before": _DATE,
                "deadlines": {"type": "array", "items": {
                    "type": "object", "required": ["date", "kind", "party", "id", "name", "convention",
                                                   "status", "version"],
                    "properties": {
                        "date": _DATE,
                        "kind": {"type": "string", "enum": ["start", "notice", "renewal", "exit", "expiry",
                                                            "call", "payment-due", "last-day",
                                                            "overdue"]},
                        "party": {"type": ["string", "null"]}, "id": {"type": "string"},
                        "name": {"type": "string"}, "convention": {"type": "string"},
                        "status": {"type": "string"}, "version": {"type": "integer"}}}},
            },
        },
    }


def openapi() -> dict:
    """The OpenAPI 3.1 document of the service, written by hand beside the routes above."""
    problem = {PROBLEM: {"schema": _ref("Problem")}}

    def answers(ok: dict, *codes: int) -> dict:
        out = dict(ok)
        for code in codes:
            out[str(code)] = {"description": {400: "malformed body or parameter", 404: "unknown id",
                                              409: "too many events", 412: "stale If-Match",
                                              413: "body over the limit", 422: "refused by the engine",
                                              503: "replay over the time limit, or the register busy"}[code],
                              "content": problem}
        return out

    def ok(schema: str, description: str, status: str = "200", etag: bool = False) -> dict:
        r: dict = {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}
        if etag:
            r["headers"] = {"ETag": {"description": "the convention's version N", "schema": {"type": "string"}}}
        return {status: r}

    body = {"required": True, "content": {
        "application/json": {"schema": _ref("Scenario")},
        "application/yaml": {"schema": _ref("Scenario")},
    }}
    event_body = {"required": True, "content": {
        "application/json": {"schema": _ref("Event")},
        "application/yaml": {"schema": _ref("Event")},
    }}

    def q(name: str, description: str, required: bool = False, schema: dict | None = None) -> dict:
        return {"name": name, "in": "query", "required": required, "description": description,
                "schema": schema or {"type": "string", "format": "date"}}

    cid = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "the id the register gave the convention"}
    lang = q("lang", "language of the texts", schema={"type": "string", "enum": ["en", "fr"]})
    fmt_ = q("format", "json (default) or the command line's text",
             schema={"type": "string", "enum": ["json", "text"]})
    text_or_json = lambda schema: {"200": {  # noqa: E731
        "description": "JSON, or the command line's text with format=text",
        "headers": {"ETag": {"description": "the convention's version N", "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": _ref(schema)}, "text/plain": {"schema": {"type": "string"}}}}}

    paths = {
        "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                  "responses": {"200": {"description": "OpenAPI 3.1",
                                                        "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/problems/{kind}": {"get": {
            "operationId": "problemType", "summary": "What a problem type means",
            "parameters": [{"name": "kind", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": sorted(PROBLEMS)}}],
            "responses": answers({"200": {"description": "text", "content": {"text/plain": {"schema": {"type": "string"}}}}}, 404)}},
        "/v1/replay": {"post": {
            "operationId": "replay", "summary": "Replay a scenario: `convention run --format json`",
            "parameters": [q("until", "replay up to this day (replaces the horizon)")],
            "requestBody": body,
            "responses": answers(ok("Timeline", "the timeline"), 400, 413, 422, 503)}},
        "/v1/check": {"post": {
            "operationId": "check", "summary": "Run a scenario's expect: block (`convention check`)",
            "requestBody": body,
            "responses": answers(ok("Check", "the expectations that failed"), 400, 413, 422, 503)}},
        "/v1/rules": {"get": {"operationId": "listRules", "summary": "The shipped rules files",
                              "responses": ok("RulesList", "ids and titles")}},
        "/v1/rules/{id}": {"get": {
            "operationId": "getRules", "summary": "A shipped rules file: parties, inputs, parameters, rules",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": answers(ok("RulesFile", "the rules file as JSON"), 404)}},
        "/v1/conventions": {"post": {
            "operationId": "createConvention", "summary": "Register a convention from a scenario (events optional)",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
            "requestBody": body,
            "responses": answers(ok("Created", "registered; version = events stored", "201", etag=True),
                                 400, 413, 422, 503)}},
        "/v1/conventions/{id}": {"get": {
            "operationId": "getConvention", "summary": "A registered convention", "parameters": [cid],
            "responses": answers(ok("Convention", "its id, version, creation, rules and name", etag=True), 404)}},
        "/v1/conventions/{id}/scenario": {"get": {
            "operationId": "getScenario",
            "summary": "The stored scenario as one JSON document (event N on line N): `convention run` of it "
                       "prints the timeline",
            "parameters": [cid],
            "responses": answers(ok("Scenario", "the register's document", etag=True), 404)}},
        "/v1/conventions/{id}/events": {"post": {
            "operationId": "appendEvent", "summary": "Append one event",
            "parameters": [cid,
                           {"name": "Idempotency-Key", "in": "header", "required": False,
                            "description": "the same key again answers as the first time and stores nothing",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255}},
                           {"name": "If-Match", "in": "header", "required": False,
                            "description": "the version the client last read (bare number)",
                            "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"}}],
            "requestBody": event_body,
            "responses": answers(ok("Version", "stored as version N", "201", etag=True),
                                 400, 404, 409, 412, 413, 422, 503)}},
        "/v1/conventions/{id}/timeline": {"get": {
            "operationId": "getTimeline", "summary": "The replay of the stored scenario and events",
            "parameters": [cid, q("until", "replay up to this day (replaces the horizon)")],
            "responses": answers(ok("Timeline", "byte for byte `convention run --format json`", etag=True),
                                 400, 404, 422, 503)}},
        "/v1/conventions/{id}/state": {"get": {
            "operationId": "getState", "summary": "The state on a day (`convention state`)",
            "parameters": [cid, q("on", "the day (default: today)"), fmt_, lang],
            "responses": answers(text_or_json("State"), 400, 404, 503)}},
        "/v1/conventions/{id}/deadlines": {"get": {
            "operationId": "getDeadlines", "summary": "Coming renewal, notice deadlines, next call (`convention deadlines`)",
            "parameters": [cid, q("as_of", "the day (default: today)"), fmt_, lang],
            "responses": answers(text_or_json("Deadlines"), 400, 404, 503)}},
        "/v1/conventions/{id}/deadlines.ics": {"get": {
            "operationId": "getDeadlinesCalendar", "summary": "The deadlines as iCalendar (`convention deadlines --ics`)",
            "parameters": [cid, q("as_of", "the day (default: today)"), lang],
            "responses": answers({"200": {"description": "RFC 5545",
                                          "content": {"text/calendar": {"schema": {"type": "string"}}}}},
                                 400, 404, 503)}},
        "/v1/deadlines": {"get": {
            "operationId": "portfolioDeadlines",
            "summary": "Every registered convention's coming deadlines before a day, soonest first",
            "parameters": [q("before", "only the dates before this day", required=True),
                           q("as_of", "from this day (default: today)")],
            "responses": answers(ok("Portfolio", "the deadlines"), 400, 503)}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "convention-engine", "version": __version__,
                 "description": "The engine as a service: replay scenarios, and a register of live "
                                "conventions stored as an append-only event log. Errors are RFC 9457 "
                                "problem details (application/problem+json)."},
        "paths": paths,
        "components": {"schemas": _schemas(rulesfile.shipped_ids())},
    }
