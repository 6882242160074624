"""The OpenAPI document is generated from the route declarations and the models
(engine/service/openapi.py, engine/service/models.py): the application serves exactly the
operations it describes, and real answers fit the schemas, with no key a model does not declare."""

from __future__ import annotations

import copy
import os
import pathlib
import warnings

import jsonschema_rs
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from engine.service import auth, create_app, models, openapi
from engine.service.store import Store
from tests.sweeps import every_scenario

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = every_scenario(sorted(pathlib.Path(ROOT, "scenarios").glob("*.yaml")))
YAML = {"content-type": "application/yaml"}
DOC = openapi()


def _closed(schema):
    """The schema with every object closed unless its model says it is open: an answer's key
    that no model declares fails."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


def validator(name: str):
    schemas = _closed(copy.deepcopy(DOC["components"]["schemas"]))
    return jsonschema_rs.Draft202012Validator({**schemas[name], "components": {"schemas": schemas}})


def fits(name: str, value) -> None:
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator(name).iter_errors(value)]
    assert not errors, f"{name}: " + "; ".join(errors[:5])


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'register.db'}")
    key = auth.add_key(store, "calais", "admin")[1]  # an admin key: it may void
    with TestClient(create_app(store), headers={"Authorization": f"Bearer {key}"}) as c:
        c.member = auth.add_key(store, "calais", "member")[1]
        yield c


def test_the_application_serves_exactly_the_documented_operations(client):
    served = {(m, r.path) for r in client.app.routes for m in r.methods if m != "HEAD"}
    documented = {(m.upper(), p) for p, ops in DOC["paths"].items() for m in ops}
    assert served == documented
    assert len(documented) == 20  # 15, then the events, a void, health, readiness, metrics


def test_the_document_declares_the_keys_and_what_they_refuse():
    assert DOC["components"]["securitySchemes"]["apiKey"] == {
        **DOC["components"]["securitySchemes"]["apiKey"], "type": "http", "scheme": "bearer"}
    assert DOC["security"] == [{"apiKey": []}]
    public = set()
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if op.get("security") == []:
                public.add(op["operationId"])
                assert "401" not in op["responses"]
            else:
                assert "401" in op["responses"], op["operationId"]
            assert ("415" in op["responses"]) == ("requestBody" in op), op["operationId"]
            if "{id}" in path:
                assert "404" in op["responses"]
    assert public == {"openapi", "problemType", "healthz", "readyz"}  # /metrics needs a key
    create = DOC["paths"]["/v1/conventions"]["post"]
    assert "403" in create["responses"] and "tenant" in {p["name"] for p in create["parameters"]}


def test_every_schema_is_a_model_and_every_ref_resolves():
    names = set(DOC["components"]["schemas"])
    assert names == set(models.components(*models.MODELS))
    refs = set()

    def walk(x):
        if isinstance(x, dict):
            if "$ref" in x:
                refs.add(x["$ref"].rsplit("/", 1)[1])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(DOC)
    assert refs <= names


def test_a_model_gives_its_schema():
    s = models.schema_of(models.Period)
    assert s["required"] == ["from", "to", "state", "standing", "notice"]
    assert s["properties"]["to"] == {"type": ["string", "null"], "format": "date", "example": "2027-06-01"}
    assert s["properties"]["state"] == {"type": "string", "enum": ["initial_term", "renewed", "terminated"]}
    p = models.schema_of(models.Problem)
    assert "line" not in p["required"] and p["properties"]["line"]["type"] == "integer"
    assert models.schema_of(models.Scenario)["properties"]["scenario"] == {"type": "integer", "enum": [1]}


def test_a_wrong_answer_does_not_fit():
    with pytest.raises(AssertionError, match="Additional properties"):
        fits("Check", {"passed": True, "checked": True, "failures": [], "extra": 1})
    with pytest.raises(AssertionError):
        fits("State", {"name": "x", "on": "2026-01-01", "state": "gone", "standing": None, "notice": False,
                       "year": None, "termination": None})


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_answer_about_a_scenario_fits_its_schema(client, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    r = client.post("/v1/replay", content=text, headers=YAML)
    fits("Timeline", r.json())
    fits("Check", client.post("/v1/check", content=text, headers=YAML).json())
    r = client.post("/v1/conventions", content=text, headers=YAML)
    assert r.status_code == 201
    fits("Created", r.json())
    cid = r.json()["id"]
    fits("Convention", client.get(f"/v1/conventions/{cid}").json())
    fits("Events", client.get(f"/v1/conventions/{cid}/events").json())
    fits("Scenario", client.get(f"/v1/conventions/{cid}/scenario").json())
    fits("Timeline", client.get(f"/v1/conventions/{cid}/timeline").json())
    start = client.get(f"/v1/conventions/{cid}/timeline").json()["start"]
    y = int(start[:4])
    for day in (f"{y - 1}-06-01", start, f"{y + 1}-06-01", f"{y + 4}-03-01"):
        fits("State", client.get(f"/v1/conventions/{cid}/state?on={day}").json())
        fits("Deadlines", client.get(f"/v1/conventions/{cid}/deadlines?as_of={day}").json())
    r = client.post(f"/v1/conventions/{cid}/events", json={"date": start, "type": "payment", "amount": "1.00"})
    fits("Version", r.json())


def test_the_register_and_the_rules_answers_fit(client):
    fits("RulesList", client.get("/v1/rules").json())
    for rule in client.get("/v1/rules").json()["rules"]:
        fits("RulesFile", client.get(f"/v1/rules/{rule['id']}").json())
    r = client.get("/v1/deadlines?as_of=2026-01-01&before=2031-01-01")
    fits("Portfolio", r.json())
    assert r.json()["deadlines"]
    for answer in (client.get("/v1/conventions/nope"), client.get("/v1/rules/nope"),
                   client.post("/v1/replay", content="{", headers={"content-type": "application/json"}),
                   client.post("/v1/replay", content="{", headers={"content-type": "text/plain"}),
                   client.get("/v1/rules", headers={"Authorization": "Bearer nope"})):
        fits("Problem", answer.json())


def test_the_events_a_void_and_the_operations_answers_fit(client):
    with open(pathlib.Path(ROOT, "scenarios", "amendment.yaml"), encoding="utf-8") as f:
        cid = client.post("/v1/conventions", content=f.read(), headers=YAML).json()["id"]
    start = client.get(f"/v1/conventions/{cid}/timeline").json()["start"]
    v = client.post(f"/v1/conventions/{cid}/events", json={"date": start, "type": "payment", "amount": "1.00"})
    fits("Voided", client.post(f"/v1/conventions/{cid}/events/{v.json()['version']}/void",
                               json={"reason": "a test"}).json())
    events = client.get(f"/v1/conventions/{cid}/events").json()
    fits("Events", events)
    assert events["events"][-1]["voided"] is not None
    fits("Health", client.get("/healthz").json())
    fits("Health", client.get("/readyz").json())
    fits("Problem", client.post(f"/v1/conventions/{cid}/events/1/void", json={}).json())
    forbidden = client.post(f"/v1/conventions/{cid}/events/1/void", json={"reason": "a test"},
                            headers={"Authorization": f"Bearer {client.member}"})
    assert forbidden.status_code == 403
    fits("Problem", forbidden.json())
