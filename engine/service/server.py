"""The HTTP/1.1 protocol ``convention serve`` runs uvicorn with: uvicorn's h11 protocol and two
more promises.

- A connection that has not sent a complete request head within the head limit
  (``CONVENTION_HEADER_SECONDS``, 30 s by default) is closed, after a 408 problem. uvicorn's
  ``timeout_keep_alive`` starts only after an answer and stops at the first byte received, so a
  client sending a header a byte at a time would hold its connection open for ever.
- The 400 that uvicorn answers itself, to a request h11 cannot parse (before any route is
  reached), is a problem document (``application/problem+json``) like every other error.
"""

from __future__ import annotations

import asyncio
import copy
import http
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .limits import limits_from_env
from .problems import PROBLEM, PROBLEMS

__all__ = ["ServiceH11Protocol", "problem_bytes", "log_config"]


def log_config() -> dict:
    """uvicorn's logging, and the service's own: the access log is one JSON line per request
    (logger ``engine.service.access``, on standard error, in place of uvicorn's access log),
    and the errors of :mod:`.problems` (logger ``engine.service``)."""
    from uvicorn.config import LOGGING_CONFIG

    out = copy.deepcopy(LOGGING_CONFIG)
    out["formatters"]["bare"] = {"format": "%(message)s"}
    out["handlers"]["service"] = {"class": "logging.StreamHandler", "formatter": "bare",
                                  "stream": "ext://sys.stderr"}
    out["loggers"]["engine.service"] = {"handlers": ["service"], "level": "INFO", "propagate": False}
    return out


def problem_bytes(kind: str, detail: str) -> bytes:
    status, title, _ = PROBLEMS[kind]
    return (json.dumps({"type": f"/problems/{kind}", "title": title, "status": status,
                        "detail": detail}) + "\n").encode("utf-8")


class ServiceH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a time limit on the request head and problem+json 400s."""

    head_seconds: float | None = None  # None: from the environment (each worker reads it)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit: float = (limits_from_env().header_seconds if self.head_seconds is None
                                   else self.head_seconds)
        self._head_timer: asyncio.TimerHandle | None = None

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self._head_limit, self._head_timeout)

    def _head_timeout(self) -> None:
        self._head_timer = None
        # IDLE: the request head is not complete (SEND_BODY and after: a request is under way)
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:  # nothing answered on this cycle: say why
            self._send_problem(408, "timeout-head",
                               f"no complete request head within {self._head_limit:g} s")
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()  # the next request's head on a kept-alive connection

    def _send_problem(self, status: int, kind: str, detail: str) -> None:
        body = problem_bytes(kind, detail)
        headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        try:
            reason = http.HTTPStatus(status).phrase.encode()
            self.transport.write(self.conn.send(h11.Response(status_code=status, headers=headers,
                                                             reason=reason)))
            self.transport.write(self.conn.send(h11.Data(data=body)))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:  # h11 cannot answer in this state: only close
            pass

    def send_400_response(self, msg: str) -> None:
        self._send_problem(400, "invalid-request", msg)
        self.transport.close()
