"""What an operator watches: a request id on every answer, one JSON log line per request,
Prometheus metrics (``/metrics``), liveness (``/healthz``) and readiness (``/readyz``).

The middleware is plain ASGI, outside Starlette's exception handling, so that it sees every
answer, the problems included: the request id is taken from ``X-Request-Id`` when it is sane
(1 to 128 of ``A-Z a-z 0-9 . _ : -``), else made, and echoed in the answer's ``X-Request-Id``.
Metrics are counted per application (each uvicorn worker has its own: Prometheus scrapes
one process per target, see docs/service.md).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any, Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.routing import Match

__all__ = ["Metrics", "RequestIds", "request_id", "ACCESS"]

ACCESS = logging.getLogger("engine.service.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """The service's Prometheus metrics, in a registry of its own (an application each)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("convention_http_requests", "HTTP requests answered, by route and status",
                                ("method", "route", "status"), registry=self.registry)
        self.latency = Histogram("convention_http_request_seconds", "Time to answer a request, by route",
                                 ("method", "route"), buckets=_LATENCY, registry=self.registry)
        self.replays = Counter("convention_replays", "Replays run by the service, by outcome "
                               "(ok, refused, timeout, error)", ("outcome",), registry=self.registry)
        self.replay_seconds = Histogram("convention_replay_seconds", "Time of one replay (or portfolio)",
                                        buckets=_LATENCY, registry=self.registry)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def request_id(scope: dict) -> str:
    """The request id of a request (set by :class:`RequestIds`)."""
    return scope.get("state", {}).get("request_id", "")


def _route(app: Any, scope: dict) -> str:
    """The route's template (``/v1/conventions/{id}``), never the raw path: one metric per route,
    not per id."""
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route.path
    return "unmatched"


class RequestIds:
    """ASGI middleware: the request id, the access log line and the request metrics."""

    def __init__(self, app: Callable[..., Awaitable[None]], metrics: Metrics, router: Any):
        self.app = app
        self.metrics = metrics
        self.router = router

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1").strip()
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500
        raw = rid.encode("ascii")

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [(b"x-request-id", raw)] + headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(self.router, scope)
            method = scope.get("method", "")
            caller = scope["state"].get("caller")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
            ACCESS.info(json.dumps({
                "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "request_id": rid,
                "method": method, "path": scope.get("path", ""), "route": route, "status": status,
                "ms": round(seconds * 1000, 1),
                "client": (scope.get("client") or ("", 0))[0],
                # who asked (set by engine/service/auth.py's guard): the key's tenant and name,
                # never the key
                "tenant": getattr(caller, "tenant", None), "key": getattr(caller, "name", None)},
                ensure_ascii=False))
