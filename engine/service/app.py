"""The engine as an HTTP service (docs/spec.md 9): routes and startup of the ASGI
application (Starlette).

A thin edge over the same core as the command line: reading bodies and parameters
(:mod:`.bodies`), limits (:mod:`.limits`) and errors (:mod:`.problems`) are the service's own;
every answer is computed by the public API and the application layer (:mod:`engine.application`)
and, for the register of live conventions, by :mod:`.store`. ``convention serve`` runs it on
uvicorn.

Access. Every route runs behind :func:`.auth.guarded`: the API key (its tenant decides which
conventions it sees, :mod:`.auth`) and the body's content type come first.

Bodies. A scenario or an event is JSON (``Content-Type: application/json``), or YAML with
``Content-Type: application/yaml``. JSON is
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
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import application
from ..present import render
from ..conventions import rulesfile
from ..core import timebox
from ..conventions import yamlnodes as Y
from ..api import load_scenario, replay
from ..answers.deadlines import to_ics
from ..errors import ScenarioError
from ..conventions.loader import load_event
from . import auth, bodies, voiding
from . import store as store_mod
from .bodies import REQUEST, Document
from .limits import ENV, Limits, limits_from_env
from .openapi import OPERATIONS, openapi
from .ops import Metrics, RequestIds
from .problems import HANDLED, PROBLEMS, Problem, on_problem
from .store import Store

__all__ = ["create_app", "app_from_env", "register_document", "rules_json"]


# --------------------------------------------------------------------------- the register's document


def register_document(header: Mapping, event_texts: Sequence[str | None]) -> str:
    """The scenario of a stored convention as one JSON (and so YAML) text: the header on line 1
    with ``events`` last, event N on line N. A voided event (None) leaves its line empty: the
    replay skips it and the events after it keep their lines."""
    inner = store_mod.dumps({k: v for k, v in header.items() if k != "events"})[1:-1]
    head = "{" + inner + (", " if inner else "") + '"events": ['
    live = [i for i, t in enumerate(event_texts) if t is not None]
    last = live[-1] if live else -1
    lines = ["" if t is None else t + ("," if i < last else "") for i, t in enumerate(event_texts)]
    return head + "\n".join(lines) + "]}\n"


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


# --------------------------------------------------------------------------- the register's reads


class Service:
    """The register read as scenarios (with a cache of immutable headers), and blocking work run
    off the event loop."""

    def __init__(self, store: Store, limits: Limits, metrics: Metrics | None = None):
        self.store = store
        self.limits = limits
        self.metrics = metrics or Metrics()
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

        def timed():
            started = time.perf_counter()
            outcome = "error"
            try:
                with timebox.limit(seconds):  # the replay itself stops at the limit
                    out = fn(*args)
                outcome = "ok"
                return out
            except (ScenarioError, Problem):
                outcome = "refused"
                raise
            except timebox.ReplayTimeout:
                outcome = "timeout"
                raise
            finally:
                self.metrics.replays.labels(outcome).inc()
                self.metrics.replay_seconds.observe(time.perf_counter() - started)

        try:
            # the event loop answers at the limit too, even if the work is not in a replay then
            with anyio.fail_after(seconds + 1):
                return await anyio.to_thread.run_sync(timed, abandon_on_cancel=True)
        except (TimeoutError, timebox.ReplayTimeout):
            raise Problem("timeout", f"the replay took longer than {seconds:g} s",
                          headers={"Retry-After": "5"}) from None

    async def document(self, request: Request) -> Document:
        body = await bodies.read_body(request, self.limits.body)
        return bodies.read_document(body, bodies.is_yaml(request))

    def count_events(self, doc: Document) -> None:
        """A scenario body holds no more events than a convention of the register may (the
        stateless routes obey the register's limits)."""
        evs = doc.value.get("events") if isinstance(doc.value, Mapping) else None
        if isinstance(evs, list) and len(evs) > self.limits.events:
            raise ScenarioError(REQUEST, 0, f"events: {len(evs)} events, more than the "
                                            f"{self.limits.events} a convention may hold")

    # ---------------------------------------------------------------- the register

    def stored(self, cid: str, tenant: str | None = None):
        """(scenario, version) of a stored convention (seen by ``tenant``, None: any): its register
        document, replayed as a file."""
        header, texts, _ = self.store.event_texts(cid, tenant=tenant)
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

    def portfolio(self, as_of, before, tenant: str | None = None) -> dict:
        """Every convention's deadlines (of ``tenant`` only, if given); one that cannot be
        replayed (refused, or over the replay limit) is one row of ``errors`` and the others are
        answered."""
        items: list = []
        errors: list[dict] = []
        for cid in self.store.ids(tenant=tenant):
            try:
                with timebox.limit(self.limits.replay_seconds):
                    one = application.Registered(cid, *self.stored(cid, tenant))
                    items.extend(application.portfolio((one,), as_of, before).deadlines)
            except timebox.ReplayTimeout as e:
                if self.limits.replay_seconds >= e.seconds:  # this convention's own limit
                    errors.append({"id": cid, "error": str(e)})
                    continue
                raise  # the whole portfolio's limit
            except store_mod.NotFound:
                continue
            except ScenarioError as e:
                errors.append({"id": cid, "error": str(e)})
            except Exception as e:
                errors.append({"id": cid, "error": f"{type(e).__name__}: {_first_line(e)}"})
        items.sort(key=lambda i: (i.date, i.kind, i.party or "", i.id))
        out = application.Portfolio(as_of, before, tuple(items)).to_dict()
        out["errors"] = errors
        return out

    def replays_without(self, header: Mapping, texts: tuple[str | None, ...]) -> None:
        """A void's test: the convention must still replay without the event."""
        self.replays_with(header, texts, "without this event")

    def replays_with(self, header: Mapping, texts: tuple[str | None, ...], change: str = "with this event") -> None:
        """The poison-proof append's test (called by the store inside the write transaction, the
        new event last in ``texts``): the convention must still replay with the event, and every
        read that can fail must still answer (the timeline to its usual horizon,
        the deadlines today, the calendar: one replay, two when today is past the horizon).
        Whatever fails is the engine's one-line refusal."""
        doc = register_document(header, texts).encode("utf-8")
        try:
            with timebox.limit(self.limits.replay_seconds):  # from the lock taken, not before
                s = load_scenario(doc, filename=REQUEST)
                # the timeline to its usual horizon (and beyond it to today when today is later),
                # then what the deadlines and the calendar compute from it; the state of a day
                # is a replay of the same events cut at that day
                to_ics(application.deadlines(s, bodies.today()))
        except ScenarioError as e:
            raise ScenarioError(REQUEST, 0, f"{change} the convention no longer replays: {e.message}") from None
        except timebox.ReplayTimeout:
            raise
        except Exception as e:  # e.g. a date past the calendar's last year: never stored
            raise ScenarioError(REQUEST, 0, f"{change} the convention no longer replays: "
                                            f"{type(e).__name__}: {_first_line(e)}") from None


def _text_or_json(out: Any, fmt: str, version: int) -> Response:
    """A register read in the CLI's text (`format=text`) or as JSON, with its version's ETag."""
    if fmt == "text":
        return Response(out, media_type="text/plain; charset=utf-8", headers=_etag(version))
    return _json(out, headers=_etag(version))


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _etag(version: int) -> dict:
    return {"ETag": str(version)}


def _by_method(endpoints: Mapping[str, Callable]) -> Callable:
    if len(endpoints) == 1:
        return next(iter(endpoints.values()))

    async def dispatch(request: Request) -> Response:
        return await endpoints["GET" if request.method == "HEAD" else request.method](request)

    return dispatch


def create_app(db: str | Store = store_mod.DEFAULT_URL, *, limits: Limits = Limits(),
               create: bool = True, authenticate: bool = True,
               cors_origins: Sequence[str] = ()) -> Starlette:
    """The ASGI application on the register ``db`` (a URL or a :class:`Store`). Every request
    but the documents needs an API key unless ``authenticate`` is False (``serve --no-auth``);
    CORS answers only ``cors_origins``, and none by default."""
    store = db if isinstance(db, Store) else Store(db, create=create, max_events=limits.events)
    svc = Service(store, limits)
    metrics = svc.metrics

    def scope(request: Request) -> str | None:
        """The tenant whose conventions the request's key sees (None: every tenant's)."""
        return auth.caller(request).scope

    # ---------------------------------------------------------------- stateless

    async def replay_endpoint(request: Request) -> Response:
        until = bodies.date_param(request, "until")
        doc = await svc.document(request)
        svc.count_events(doc)

        def work():
            s = bodies.load(doc)
            if until is not None and until < s.start:
                raise ScenarioError(REQUEST, 0, f"until {until} is before the start {s.start}")
            return replay(s, until=until).to_json()

        return Response(await svc.bounded(work), media_type="application/json")

    async def check_endpoint(request: Request) -> Response:
        doc = await svc.document(request)
        svc.count_events(doc)

        def work():
            s = bodies.load(doc)
            return application.check_scenario(s).to_dict()

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
        key = bodies.idempotency_key(request)
        author = auth.creation_tenant(request, auth.caller(request))
        doc = await svc.document(request)

        def work():
            bodies.load(doc)  # refused with the engine's message and the body's lines
            evs = doc.value.get("events") or []
            header = {k: v for k, v in doc.value.items() if k != "events"}
            if len(evs) > limits.events:
                raise ScenarioError(REQUEST, 0, f"events: {len(evs)} events, more than the "
                                                f"{limits.events} a convention may hold")
            # as the register will read it back: its own document
            load_scenario(register_document(header, [store_mod.dumps(e) for e in evs]).encode("utf-8"),
                          filename=REQUEST)
            return store.create(header, evs, key=key, by=author)

        cid, version, replayed = await svc.thread(work)
        headers = {**_etag(version), "Location": f"/v1/conventions/{cid}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return _json({"id": cid, "version": version}, 201, headers)

    async def append_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        key = bodies.idempotency_key(request)
        expected = bodies.if_match(request)
        who = auth.caller(request)
        doc = await svc.document(request)

        def work():
            store.version(cid, tenant=who.scope)  # another tenant's id: 404 before anything is said
            svc.check_event(cid, doc.value)
            return store.append(cid, doc.value, key=key, expected=expected, by=who.author,
                                tenant=who.scope, check=svc.replays_with)

        # not abandoned at a limit: an append answered 503 must not commit afterwards; the
        # replay inside the transaction stops at the replay limit (and rolls back)
        done = await svc.thread(work)
        headers = _etag(done.version)
        if done.replayed:
            headers["Idempotent-Replayed"] = "true"
        return _json({"version": done.version}, 201, headers)

    async def events_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        seen_by = scope(request)

        def work():
            rows = store.history(cid, tenant=seen_by)
            return events_json(cid, rows), len(rows)

        text, version = await svc.thread(work)
        return Response(text, media_type="application/json", headers=_etag(version))

    async def void_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        version = bodies.version_param(request.path_params["n"])
        by = voiding.void_actor(request)  # admin only: the authorization hook
        doc = await svc.document(request)
        reason = voiding.void_reason(doc.value)

        def work():
            return store.void(cid, version, by=by, reason=reason, check=svc.replays_without)

        voided = await svc.thread(work)
        return _json({"version": version, "voided": voided})

    async def convention_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]

        seen_by = scope(request)

        def work():
            header, texts, created = store.event_texts(cid, tenant=seen_by)
            return {"id": cid, "version": len(texts), "created": created, "tenant": store.tenant_of(cid),
                    "convention": header.get("convention"), "name": header.get("name")}

        info = await svc.thread(work)
        return _json(info, headers=_etag(info["version"]))

    async def scenario_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        seen_by = scope(request)

        def work():
            header, texts, _ = store.event_texts(cid, tenant=seen_by)
            return register_document(header, texts), len(texts)

        text, version = await svc.thread(work)
        return Response(text, media_type="application/json", headers=_etag(version))

    async def timeline_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        seen_by = scope(request)
        until = bodies.date_param(request, "until")

        def work():
            s, version = svc.stored(cid, seen_by)
            if until is not None and until < s.start:
                raise ScenarioError(REQUEST, 0, f"until {until} is before the start {s.start}")
            return replay(s, until=until).to_json(), version

        text, version = await svc.bounded(work)
        return Response(text, media_type="application/json", headers=_etag(version))

    async def state_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        seen_by = scope(request)
        on = bodies.date_param(request, "on", default=bodies.today())
        fmt = bodies.choice_param(request, "format", ("json", "text"))
        lang = bodies.choice_param(request, "lang", ("en", "fr"))

        def work():
            s, version = svc.stored(cid, seen_by)
            st = application.state(s, on)
            if fmt == "text":  # byte for byte `convention state FILE --on DATE`
                return render.state(st.timeline, st.on, lang=lang, money=st.known), version
            return st.to_dict(), version

        out, version = await svc.bounded(work)
        return _text_or_json(out, fmt, version)

    async def deadlines_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        seen_by = scope(request)
        as_of = bodies.date_param(request, "as_of", default=bodies.today())
        fmt = bodies.choice_param(request, "format", ("json", "text"))
        lang = bodies.choice_param(request, "lang", ("en", "fr"))

        def work():
            s, version = svc.stored(cid, seen_by)
            d = application.deadlines(s, as_of)
            return (render.deadlines(d, lang=lang) if fmt == "text" else d.to_dict()), version

        out, version = await svc.bounded(work)
        return _text_or_json(out, fmt, version)

    async def ics_endpoint(request: Request) -> Response:
        cid = request.path_params["id"]
        seen_by = scope(request)
        as_of = bodies.date_param(request, "as_of", default=bodies.today())
        lang = bodies.choice_param(request, "lang", ("en", "fr"))

        def work():
            s, version = svc.stored(cid, seen_by)
            return to_ics(application.deadlines(s, as_of), lang=lang, identity=cid), version

        data, version = await svc.bounded(work)
        return Response(data, media_type="text/calendar; charset=utf-8",
                        headers={**_etag(version), "Content-Disposition": 'attachment; filename="deadlines.ics"'})

    async def portfolio_endpoint(request: Request) -> Response:
        as_of = bodies.date_param(request, "as_of", default=bodies.today())
        before = bodies.date_param(request, "before", required=True)

        seen_by = scope(request)

        def work():
            return svc.portfolio(as_of, before, seen_by)

        return _json(await svc.bounded(work, seconds=limits.portfolio_seconds))

    # ---------------------------------------------------------------- operations

    async def healthz_endpoint(request: Request) -> Response:
        return _json({"status": "ok"})  # the process answers: nothing else is asked

    async def readyz_endpoint(request: Request) -> Response:
        def ping():
            store.ping()

        try:
            with anyio.fail_after(5):
                await anyio.to_thread.run_sync(ping, abandon_on_cancel=True)
        except TimeoutError:
            raise Problem("unavailable", "the register's database did not answer within 5 s",
                          headers={"Retry-After": "5"}) from None
        return _json({"status": "ready"})

    async def metrics_endpoint(request: Request) -> Response:
        data, ctype = metrics.exposition()
        return Response(data, headers={"Content-Type": ctype})

    # ---------------------------------------------------------------- documents

    async def openapi_endpoint(request: Request) -> Response:
        return _json(openapi())

    async def problem_type_endpoint(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in PROBLEMS:
            raise Problem("not-found", f"no problem type {Y.short(kind)!r}")
        status, title, text = PROBLEMS[kind]
        return Response(f"{title} ({status})\n\n{text}\n", media_type="text/plain; charset=utf-8")

    endpoints = {
        "openapi": openapi_endpoint, "problemType": problem_type_endpoint, "replay": replay_endpoint,
        "check": check_endpoint, "listRules": rules_endpoint, "getRules": rule_endpoint,
        "createConvention": create_endpoint, "getConvention": convention_endpoint,
        "getScenario": scenario_endpoint, "appendEvent": append_endpoint,
        "getTimeline": timeline_endpoint, "getState": state_endpoint,
        "getDeadlines": deadlines_endpoint, "getDeadlinesCalendar": ics_endpoint,
        "portfolioDeadlines": portfolio_endpoint,
        "listEvents": events_endpoint, "voidEvent": void_endpoint,
        "healthz": healthz_endpoint, "readyz": readyz_endpoint, "metrics": metrics_endpoint,
    }
    # Each route as the OpenAPI document declares it (one declaration: engine/service/openapi.py).
    if set(endpoints) != {op.operation_id for op in OPERATIONS}:
        raise RuntimeError("every endpoint needs its declaration in OPERATIONS, and every declaration its endpoint")
    # Each endpoint behind its guards (the key, then the body's content type): engine/service/auth.py.
    routes = _routes({(op.path, op.method): auth.guarded(endpoints[op.operation_id], store, public=op.public,
                                                         body=op.body is not None, auth=authenticate)
                      for op in OPERATIONS})
    handlers = {kind: on_problem for kind in HANDLED}
    # CORS off unless origins are named: without the middleware a preflight is a 405 and no
    # answer carries Access-Control-Allow-Origin, so no other site's page may read one.
    middleware = []
    if cors_origins:
        middleware.append(Middleware(CORSMiddleware, **auth.cors(cors_origins)))
    app = Starlette(routes=routes, exception_handlers=handlers, middleware=middleware)
    # outermost: the request id and the log line of every answer, a CORS refusal included
    app.add_middleware(RequestIds, metrics=metrics, router=app.router)
    app.state.store = store
    app.state.limits = limits
    app.state.metrics = metrics
    return app


def _routes(by_path_method: Mapping[tuple[str, str], Callable]) -> list[Route]:
    """One route per path, answering each of its methods (so that a 405's ``Allow`` lists them
    all: ``GET`` and ``POST`` of ``/v1/conventions/{id}/events``)."""
    paths: dict[str, dict[str, Callable]] = {}
    for (path, method), endpoint in by_path_method.items():
        paths.setdefault(path, {})[method] = endpoint
    routes = []
    for path, methods in paths.items():
        if len(methods) == 1:
            [(method, endpoint)] = methods.items()
            routes.append(Route(path, endpoint, methods=[method]))
            continue

        async def dispatch(request: Request, methods: Mapping[str, Callable] = methods) -> Response:
            # Starlette answers HEAD with the GET route (the body left out), and 405 before this
            return await methods["GET" if request.method == "HEAD" else request.method](request)

        routes.append(Route(path, dispatch, methods=list(methods)))
    return routes


def events_json(cid: str, rows: Sequence[store_mod.Audited]) -> str:
    """``GET /v1/conventions/{id}/events``: each event's audit record, the event as stored (its
    exact JSON text on one line, amounts as written) and its void (null, or who, when, why)."""
    def item(r: store_mod.Audited) -> str:
        fields = [f'"version": {r.version}', f'"received": {json.dumps(r.received)}',
                  f'"tenant": {json.dumps(r.tenant, ensure_ascii=False)}',
                  f'"key": {json.dumps(r.key_name, ensure_ascii=False)}', f'"event": {r.body}',
                  f'"voided": {json.dumps(r.voided, ensure_ascii=False)}']
        return "    {\n" + ",\n".join("      " + f for f in fields) + "\n    }"

    listed = ",\n".join(item(r) for r in rows)
    return (f'{{\n  "id": {json.dumps(cid)},\n  "version": {len(rows)},\n  "events": ['
            + (f"\n{listed}\n  ]" if rows else "]") + "\n}\n")


def app_from_env() -> Starlette:
    """The application of ``convention serve`` (each uvicorn worker calls it): the register, the
    limits, authentication and CORS from the environment; the tables were made by ``serve``
    before the workers."""
    authenticate, origins = auth.auth_from_env()
    return create_app(os.environ.get(ENV["db"], store_mod.DEFAULT_URL), limits=limits_from_env(),
                      create=False, authenticate=authenticate, cors_origins=origins)

