"""Errors as RFC 9457 problem details (``application/problem+json``): each kind with its status,
title and meaning (served at ``/problems/{kind}``), and the one handler that turns an exception
into its document. ``detail`` is the command line's one-line message."""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..core import timebox
from ..errors import ScenarioError
from . import store as store_mod

PROBLEM = "application/problem+json"
log = logging.getLogger("engine.service")

# type -> (status, title, what it means: served at /problems/{type})
PROBLEMS = {
    "invalid-body": (400, "The body is not JSON or YAML",
                     "The body could not be read: it is not UTF-8, not JSON, or (with Content-Type: "
                     "application/yaml) not YAML. The detail gives the line."),
    "invalid-request": (400, "Not an HTTP request",
                        "The server could not read the request itself (its request line or "
                        "headers); it answers this and closes the connection."),
    "timeout-head": (408, "Request head too slow",
                     "The connection did not send a complete request head (request line and "
                     "headers) within the server's limit; it is closed."),
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
    "already-voided": (409, "Already voided", "The event was voided already; a void is never undone nor repeated."),
    "not-found": (404, "Not found", "No such convention, rules file or path."),
    "method-not-allowed": (405, "Method not allowed", "This path does not answer this method."),
    "too-large": (413, "Body too large", "The body is larger than the server's limit."),
    "timeout": (503, "Replay took too long",
                "The replay did not finish within the server's time limit; try again later, or ask "
                "for a shorter span (?until=)."),
    "busy": (503, "Register busy", "The register stayed busy through every retry; try again."),
    "unavailable": (503, "Register unavailable",
                    "The register's database cannot be reached or failed; try again later. The "
                    "cause is in the server's log, never in the answer."),
    "internal": (500, "Internal error", "A bug of the engine or the service."),
    # access (engine/service/auth.py)
    "unauthorized": (401, "No valid API key",
                     "The request needs Authorization: Bearer KEY with a key made by `convention keys "
                     "add` and not revoked."),
    "forbidden": (403, "Not allowed for this key",
                  "The key's role does not allow this request (a key that sees its own tenant only "
                  "creates conventions for that tenant only; voiding an event is for an admin key)."),
    "unsupported-media-type": (415, "Unsupported content type",
                               "A body is read only as application/json or application/yaml "
                               "(charset=utf-8 allowed): the types a web form can send are refused."),
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


def problem_response(request: Request, p: Problem) -> Response:
    status, title, _ = PROBLEMS[p.kind]
    body = {"type": f"/problems/{p.kind}", "title": title, "status": status, "detail": p.detail,
            "instance": request.url.path}
    body.update(p.extra)
    return Response(json.dumps(body, ensure_ascii=False) + "\n", status_code=status,
                    headers=p.headers, media_type=PROBLEM)


def scenario_problem(e: ScenarioError) -> Problem:
    return Problem("invalid-scenario", str(e), line=e.line)


async def on_problem(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Problem):
        return problem_response(request, exc)
    if isinstance(exc, ScenarioError):
        return problem_response(request, scenario_problem(exc))
    if isinstance(exc, store_mod.NotFound):
        return problem_response(request, Problem("not-found", f"no convention {exc.args[0]!r}"))
    if isinstance(exc, store_mod.NoSuchEvent):
        return problem_response(request, Problem("not-found", f"no event {exc.args[0]} in this convention"))
    if isinstance(exc, store_mod.AlreadyVoided):
        return problem_response(request, Problem("already-voided", f"event {exc.args[0]} is voided already"))
    if isinstance(exc, store_mod.KeyReused):
        return problem_response(request, Problem(
            "key-reused", f"Idempotency-Key {exc.args[0]!r} was already used with another body"))
    if isinstance(exc, store_mod.StaleVersion):
        return problem_response(request, Problem(
            "stale-version", f"If-Match: {exc.expected}: the convention is at version {exc.current}",
            headers={"ETag": str(exc.current)}, version=exc.current))
    if isinstance(exc, store_mod.TooManyEvents):
        return problem_response(request, Problem(
            "too-many-events", f"the convention already holds {exc.limit} events, the most the "
                               "server keeps for one convention"))
    if isinstance(exc, store_mod.Busy):
        return problem_response(request, Problem("busy", str(exc), headers={"Retry-After": "1"}))
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection in use for 30 s
        return problem_response(request, Problem("busy", "the register is busy, try again",
                                                  headers={"Retry-After": "1"}))
    if isinstance(exc, timebox.ReplayTimeout):
        return problem_response(request, Problem("timeout", str(exc), headers={"Retry-After": "5"}))
    if isinstance(exc, sa_exc.SQLAlchemyError):
        # the database's address, user or message stay in the log
        log.error("database error on %s %s: %s: %s", request.method, request.url.path,
                  type(exc).__name__, _first_line(exc))
        return problem_response(request, Problem("unavailable", "the register's database is unavailable",
                                                  headers={"Retry-After": "5"}))
    if isinstance(exc, HTTPException):
        kind = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(exc.status_code)
        if kind is not None:
            return problem_response(request, Problem(kind, str(exc.detail), headers=exc.headers))
        return Response(json.dumps({"type": "about:blank", "title": str(exc.detail),
                                    "status": exc.status_code, "detail": str(exc.detail),
                                    "instance": request.url.path}) + "\n",
                        status_code=exc.status_code, media_type=PROBLEM, headers=exc.headers)
    # a bug of ours: still one line, never a traceback (the traceback is in the log)
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, Problem("internal", f"internal error: {type(exc).__name__}: {exc}"))


# What the application hands to Starlette: every exception it may raise, to the one handler.
HANDLED = (Exception, HTTPException, Problem, ScenarioError, store_mod.NotFound, store_mod.KeyReused,
           store_mod.StaleVersion, store_mod.TooManyEvents, store_mod.Busy, sa_exc.TimeoutError,
           sa_exc.SQLAlchemyError, timebox.ReplayTimeout, store_mod.NoSuchEvent, store_mod.AlreadyVoided)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
