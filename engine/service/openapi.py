"""The service's routes, each declared once (:data:`OPERATIONS`), and the OpenAPI 3.1 document
generated from them and from the models of :mod:`.models`.

The application (:mod:`.app`) builds its Starlette routes from :data:`OPERATIONS`, by
``operation_id``; the document's paths, parameters, bodies and answers come from the same
declarations, and its schemas from the models. tests/test_service.py checks that the routes
and the document name the same operations, and validates real answers against the schemas.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs

from .. import __version__
from ..conventions import rulesfile
from . import models
from .problems import PROBLEM, PROBLEMS

__all__ = ["Param", "Answer", "Operation", "OPERATIONS", "openapi"]

_DATE = {"type": "string", "format": "date"}
_VERSION_HEADER = {"ETag": {"description": "the convention's version N", "schema": {"type": "string"}}}
_ERRORS = {400: "malformed body or parameter", 401: "no API key, or an unknown or revoked one",
           403: "not allowed for this key's role", 404: "unknown id (or another tenant's)",
           409: "too many events, or voided already",
           415: "a body that is not application/json or application/yaml",
           412: "stale If-Match", 413: "body over the limit", 422: "refused by the engine",
           503: "replay over the time limit, or the register busy or unavailable"}


@attrs.frozen
class Param:
    """A path, query or header parameter."""

    name: str
    where: str  # path | query | header
    description: str = ""
    required: bool = False
    schema: Any = attrs.field(factory=lambda: dict(_DATE))

    def to_dict(self) -> dict:
        out = {"name": self.name, "in": self.where, "required": self.required or self.where == "path"}
        if self.description:
            out["description"] = self.description
        out["schema"] = self.schema
        return out


@attrs.frozen
class Answer:
    """The success answer: a model as JSON, or other media types with their schemas."""

    description: str
    model: type | None = None  # application/json of this model
    status: int = 200
    etag: bool = False  # ETag: the convention's version
    media: tuple[tuple[str, dict], ...] = ()  # other (media type, schema) pairs

    def to_dict(self) -> dict:
        content = {}
        if self.model is not None:
            content["application/json"] = {"schema": _ref(self.model)}
        content.update({m: {"schema": s} for m, s in self.media})
        out: dict[str, Any] = {"description": self.description}
        if self.etag:
            out["headers"] = _VERSION_HEADER
        out["content"] = content
        return out


@attrs.frozen
class Operation:
    """One route: its method and path, what it reads and what it answers."""

    method: str
    path: str
    operation_id: str
    summary: str
    answer: Answer
    params: tuple[Param, ...] = ()
    body: type | None = None  # the request body's model (JSON or YAML)
    errors: tuple[int, ...] = ()
    # answered without an API key: the documents about the service and the probes (/healthz,
    # /readyz: a load balancer or an orchestrator asks them without a key)
    public: bool = False

    @property
    def statuses(self) -> tuple[int, ...]:
        """Its problem statuses: its own, 401 unless public, 415 when it reads a body."""
        more = ((401,) if not self.public else ()) + ((415,) if self.body is not None else ())
        return tuple(sorted(set(self.errors + more)))

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"operationId": self.operation_id, "summary": self.summary}
        if self.public:
            out["security"] = []
        if self.params:
            out["parameters"] = [p.to_dict() for p in self.params]
        if self.body is not None:
            out["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _ref(self.body)},
                "application/yaml": {"schema": _ref(self.body)}}}
        responses = {str(self.answer.status): self.answer.to_dict()}
        for code in self.statuses:
            responses[str(code)] = {"description": _ERRORS[code],
                                    "content": {PROBLEM: {"schema": _ref(models.Problem)}}}
        out["responses"] = responses
        return out


def _ref(model: type) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


_CID = Param("id", "path", "the id the register gave the convention", schema={"type": "string"})
_LANG = Param("lang", "query", "language of the texts", schema={"type": "string", "enum": ["en", "fr"]})
_FORMAT = Param("format", "query", "json (default) or the command line's text",
                schema={"type": "string", "enum": ["json", "text"]})
_UNTIL = Param("until", "query", "replay up to this day (replaces the horizon)")
_KEY = {"type": "string", "minLength": 1, "maxLength": 255}
_TEXT = ("text/plain", {"type": "string"})


def _text_or_json(model: type) -> Answer:
    return Answer("JSON, or the command line's text with format=text", model, etag=True, media=(_TEXT,))


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/openapi.json", "openapi", "This document",
              Answer("OpenAPI 3.1", media=(("application/json", {"type": "object"}),)), public=True),
    Operation("GET", "/problems/{kind}", "problemType", "What a problem type means",
              Answer("text", media=(_TEXT,)),
              params=(Param("kind", "path", schema={"type": "string", "enum": sorted(PROBLEMS)}),),
              errors=(404,), public=True),
    Operation("POST", "/v1/replay", "replay", "Replay a scenario: `convention run --format json`",
              Answer("the timeline", models.Timeline), params=(_UNTIL,), body=models.Scenario,
              errors=(400, 413, 422, 503)),
    Operation("POST", "/v1/check", "check", "Run a scenario's expect: block (`convention check`)",
              Answer("the expectations that failed", models.Check), body=models.Scenario,
              errors=(400, 413, 422, 503)),
    Operation("GET", "/v1/rules", "listRules", "The shipped rules files",
              Answer("ids and titles", models.RulesList)),
    Operation("GET", "/v1/rules/{id}", "getRules", "A shipped rules file: parties, inputs, parameters, rules",
              Answer("the rules file as JSON", models.RulesFile),
              params=(Param("id", "path", schema={"type": "string"}),), errors=(404,)),
    Operation("POST", "/v1/conventions", "createConvention",
              "Register a convention from a scenario (events optional), for the key's tenant",
              Answer("registered; version = events stored", models.Created, status=201, etag=True),
              params=(Param("Idempotency-Key", "header", "the same key of the same tenant again "
                            "answers as the first time and creates nothing", schema=_KEY),
                      Param("tenant", "query", "the tenant the convention belongs to (default: the "
                            "key's; another tenant needs a key that sees every tenant)",
                            schema={"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"})),
              body=models.Scenario, errors=(400, 403, 413, 422, 503)),
    Operation("GET", "/v1/conventions/{id}", "getConvention", "A registered convention",
              Answer("its id, version, creation, rules and name", models.Convention, etag=True),
              params=(_CID,), errors=(404,)),
    Operation("GET", "/v1/conventions/{id}/scenario", "getScenario",
              "The stored scenario as one JSON document (event N on line N): `convention run` of it "
              "prints the timeline",
              Answer("the register's document", models.Scenario, etag=True), params=(_CID,), errors=(404,)),
    Operation("POST", "/v1/conventions/{id}/events", "appendEvent", "Append one event",
              Answer("stored as version N", models.Version, status=201, etag=True),
              params=(_CID,
                      Param("Idempotency-Key", "header",
                            "the same key again answers as the first time and stores nothing", schema=_KEY),
                      Param("If-Match", "header", "the version the client last read (bare number)",
                            schema={"type": "string", "pattern": "^[0-9]{1,9}$"})),
              body=models.Event, errors=(400, 404, 409, 412, 413, 422, 503)),
    Operation("GET", "/v1/conventions/{id}/events", "listEvents",
              "Every stored event with its audit record (when it arrived, the tenant and name of "
              "the key that stored it) and its void, if any",
              Answer("the events in version order, voided ones included", models.Events, etag=True),
              params=(_CID,), errors=(404, 503)),
    Operation("POST", "/v1/conventions/{id}/events/{n}/void", "voidEvent",
              "Void an event (admin keys): recorded, never erased; the replay skips it",
              Answer("voided", models.Voided),
              params=(_CID, Param("n", "path", "the event's version", schema={"type": "string", "pattern": "^[0-9]{1,9}$"})),
              body=models.VoidRequest, errors=(400, 403, 404, 409, 413, 422, 503)),
    Operation("GET", "/v1/conventions/{id}/timeline", "getTimeline",
              "The replay of the stored scenario and events",
              Answer("byte for byte `convention run --format json`", models.Timeline, etag=True),
              params=(_CID, _UNTIL), errors=(400, 404, 422, 503)),
    Operation("GET", "/v1/conventions/{id}/state", "getState", "The state on a day (`convention state`)",
              _text_or_json(models.State),
              params=(_CID, Param("on", "query", "the day (default: today)"), _FORMAT, _LANG),
              errors=(400, 404, 503)),
    Operation("GET", "/v1/conventions/{id}/deadlines", "getDeadlines",
              "Coming renewal, notice deadlines, next call (`convention deadlines`)",
              _text_or_json(models.Deadlines),
              params=(_CID, Param("as_of", "query", "the day (default: today)"), _FORMAT, _LANG),
              errors=(400, 404, 503)),
    Operation("GET", "/v1/conventions/{id}/deadlines.ics", "getDeadlinesCalendar",
              "The deadlines as iCalendar (`convention deadlines --ics`)",
              Answer("RFC 5545", media=(("text/calendar", {"type": "string"}),)),
              params=(_CID, Param("as_of", "query", "the day (default: today)"), _LANG),
              errors=(400, 404, 503)),
    Operation("GET", "/v1/deadlines", "portfolioDeadlines",
              "Every registered convention's coming deadlines before a day, soonest first (of the "
              "conventions the key sees)",
              Answer("the deadlines", models.Portfolio),
              params=(Param("before", "query", "only the dates before this day", required=True),
                      Param("as_of", "query", "from this day (default: today)")),
              errors=(400, 503)),
    Operation("GET", "/healthz", "healthz", "Liveness: the process answers (no database asked)",
              Answer("up", models.Health), public=True),
    Operation("GET", "/readyz", "readyz", "Readiness: the register's database answers",
              Answer("ready", models.Health), errors=(503,), public=True),
    # behind a key (any role): what the service is asked and how often is not for every host of
    # the network; Prometheus sends the key (scrape_config `authorization:`)
    Operation("GET", "/metrics", "metrics", "Prometheus metrics of this worker process (any API key)",
              Answer("text exposition format 0.0.4",
                     media=(("text/plain; version=0.0.4", {"type": "string"}),))),
)


def _example_scenario(shipped: Sequence[str]) -> dict:
    """A scenario every reader can try: a shipped convention that needs no current values (the
    engine knows no convention by name: it is chosen from the rules files)."""
    for rid in shipped:
        rf = rulesfile.load(rulesfile.find(rid))
        if all(i.per_year for i in rf.inputs.values()):
            return {"scenario": 1, "convention": rid, "name": "Example", "start": "2026-01-01",
                    "events": [models.Event.EXAMPLE]}
    return {"scenario": 1, "convention": shipped[0], "name": "Example", "start": "2026-01-01"}


def schemas(shipped: Sequence[str]) -> dict:
    """The document's schemas: every model an operation names, and the models they name. What a
    model cannot know is added here: the shipped rules ids, the key of the current values."""
    roots = [m for op in OPERATIONS for m in (op.body, op.answer.model) if m is not None]
    out = models.components(models.Problem, *dict.fromkeys(roots))
    scenario = out["Scenario"]
    scenario["properties"]["convention"]["enum"] = list(shipped)
    scenario["properties"][rulesfile.CURRENT] = {"type": "object"}
    scenario["example"] = _example_scenario(shipped)
    return out


def openapi() -> dict:
    """The OpenAPI 3.1 document of the service."""
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = op.to_dict()
    return {
        "openapi": "3.1.0",
        "info": {"title": "convention-engine", "version": __version__,
                 "description": "The engine as a service: replay scenarios, and a register of live "
                                "conventions stored as an append-only event log. Errors are RFC 9457 "
                                "problem details (application/problem+json)."},
        "paths": paths,
        "components": {"schemas": schemas(rulesfile.shipped_ids()),
                       "securitySchemes": {"apiKey": {
                           "type": "http", "scheme": "bearer",
                           "description": "an API key made by `convention keys add` (docs/service.md): "
                                          "its tenant and role decide what it sees"}}},
        "security": [{"apiKey": []}],
    }
