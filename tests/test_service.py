"""The HTTP service (engine/service/, docs/spec.md 9): every endpoint against the command line,
the register's promises (idempotency keys, If-Match, concurrent writers, a server killed with
SIGKILL), problem details with the CLI's message, the bounds, and a bounded schemathesis fuzz of
/openapi.json. Servers run on 127.0.0.1 only, on a free port, and are stopped by the test."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import glob
import http
import io
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from decimal import Decimal

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

with warnings.catch_warnings():  # Starlette would rather have httpx2 beside its TestClient
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from engine import cli, service
from engine.conventions import yamlnodes as Y
from engine.service import Limits, auth, create_app
from engine.service.store import Store
from tests.test_store import postgres_url  # noqa: F401 (a fixture: the PostgreSQL cluster)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.yaml")))
YAML = {"content-type": "application/yaml"}
JSON = {"content-type": "application/json"}


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def as_json_text(yaml_text: str) -> str:
    """A scenario file written as JSON (indented: the lines mean something), exact amounts."""
    def plain(x):
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, list):
            return [plain(v) for v in x]
        return str(x) if isinstance(x, Decimal) else x
    return json.dumps(plain(service.bodies.plain(Y.from_text(yaml_text))), indent=2, ensure_ascii=False) + "\n"


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def keyed(url: str, tenant: str = "calais", role: str = "member", **kw) -> tuple[TestClient, Store]:
    """A test client of a new application on ``url`` that sends a new key of ``tenant``."""
    store = Store(url, max_events=kw["limits"].events if "limits" in kw else 10_000)
    _, key = auth.add_key(store, tenant, role)
    return TestClient(create_app(store, **kw), headers=bearer(key)), store


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("service") / "register.db"
    c, _ = keyed(f"sqlite:///{db}")
    with c:
        yield c


def problem(r: httpx.Response, status: int, kind: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"} and body["status"] == status
    if kind is not None:
        assert body["type"] == f"/problems/{kind}"
    assert "\n" not in body["detail"]
    return body


def create(client, path: str) -> str:
    r = client.post("/v1/conventions", content=read(path), headers=YAML)
    assert r.status_code == 201, r.text
    return r.json()["id"]


# --------------------------------------------------------------------------- stateless


@pytest.mark.parametrize("path", SCENARIOS, ids=os.path.basename)
def test_replay_is_byte_for_byte_the_cli_for_every_scenario(client, path, tmp_path):
    code, expected, _ = run_cli("run", path, "--format", "json")
    assert code == 0
    r = client.post("/v1/replay", content=read(path).encode("utf-8"), headers=YAML)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content == expected.encode("utf-8")
    # The same scenario as JSON is the same as `convention run` of that JSON file.
    text = as_json_text(read(path))
    (tmp_path / "s.json").write_text(text, encoding="utf-8")
    code, expected_json, _ = run_cli("run", str(tmp_path / "s.json"), "--format", "json")
    r = client.post("/v1/replay", content=text.encode("utf-8"), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.content == expected_json.encode("utf-8")


def test_replay_until(client):
    path = os.path.join(ROOT, "scenarios", "pas-de-calais.yaml")
    _, expected, _ = run_cli("run", path, "--format", "json", "--until", "2027-06-30")
    r = client.post("/v1/replay?until=2027-06-30", content=read(path), headers=YAML)
    assert r.text == expected
    body = problem(client.post("/v1/replay?until=2020-01-01", content=read(path), headers=YAML), 422)
    assert "before the start" in body["detail"]
    problem(client.post("/v1/replay?until=2027-13-01", content=read(path), headers=YAML), 400, "invalid-parameter")


def test_check(client):
    path = os.path.join(ROOT, "scenarios", "member-notice.yaml")
    r = client.post("/v1/check", content=read(path), headers=YAML)
    assert r.json() == {"passed": True, "checked": True, "failures": []}
    wrong = read(path).replace('balance: "-321.92"', 'balance: "-321.00"')
    r = client.post("/v1/check", content=wrong, headers=YAML)
    assert r.status_code == 200 and r.json()["passed"] is False
    assert len(r.json()["failures"]) == 1 and "-321.00" in r.json()["failures"][0]
    no_expect = read(path).split("expect:")[0]
    assert client.post("/v1/check", content=no_expect, headers=YAML).json() == \
        {"passed": True, "checked": False, "failures": []}


def test_rules(client):
    r = client.get("/v1/rules")
    ids = [x["id"] for x in r.json()["rules"]]
    assert ids == ["cdg62-assurance", "cdg62-demat", "cdg62-medecine"]
    assert all(x["title"] for x in r.json()["rules"])
    rf = client.get("/v1/rules/cdg62-demat").json()
    assert rf["id"] == "cdg62-demat" and [p["id"] for p in rf["parties"]] == ["member", "cdg"]
    notice = {p["name"]: p for p in rf["parameters"]}["notice.member"]
    assert notice["value"] == "P2M" and notice["article"] == "Article 5" and notice["clause"]
    rule = rf["rules"][0]
    assert set(rule) >= {"id", "article", "clause", "decides", "when", "do"}
    assert {i["name"] for i in rf["inputs"]} == {"consultations", "agents"}
    problem(client.get("/v1/rules/nope"), 404, "not-found")
    problem(client.get("/v1/rules/..%2Frules%2Fcdg62-demat.yaml"), 404)


# --------------------------------------------------------------------------- the register


def test_register_replays_its_document_as_the_cli_does(client, tmp_path):
    path = os.path.join(ROOT, "scenarios", "member-notice.yaml")
    r = client.post("/v1/conventions", content=read(path), headers=YAML)
    assert r.status_code == 201 and r.json()["version"] == 4
    cid = r.json()["id"]
    assert r.headers["etag"] == "4" and r.headers["location"] == f"/v1/conventions/{cid}"
    info = client.get(f"/v1/conventions/{cid}").json()
    assert (info["id"], info["version"], info["convention"], info["name"]) == (cid, 4, "cdg62-demat", "Ville de Calais")

    r = client.post(f"/v1/conventions/{cid}/events", json={"date": "2027-04-02", "type": "dispute", "step": "opened"})
    assert (r.status_code, r.json(), r.headers["etag"]) == (201, {"version": 5}, "5")

    doc = client.get(f"/v1/conventions/{cid}/scenario")
    assert doc.headers["etag"] == "5"
    lines = doc.text.splitlines()
    assert len(lines) == 5 and '"type": "dispute"' in lines[4]  # event N on line N
    (tmp_path / "doc.json").write_text(doc.text, encoding="utf-8")
    f = str(tmp_path / "doc.json")

    t = client.get(f"/v1/conventions/{cid}/timeline")
    assert t.headers["etag"] == "5" and t.text == run_cli("run", f, "--format", "json")[1]
    t = client.get(f"/v1/conventions/{cid}/timeline?until=2027-04-30")
    assert t.text == run_cli("run", f, "--format", "json", "--until", "2027-04-30")[1]

    for on in ("2025-06-01", "2027-04-01", "2027-06-01", "2031-01-01"):
        s = client.get(f"/v1/conventions/{cid}/state?on={on}&format=text")
        assert s.text == run_cli("state", f, "--on", on)[1]
        assert client.get(f"/v1/conventions/{cid}/state?on={on}&format=text&lang=fr").text == \
            run_cli("state", f, "--on", on, "--lang", "fr")[1]
    s = client.get(f"/v1/conventions/{cid}/state?on=2027-04-01").json()
    assert (s["state"], s["notice"], s["termination"]["last_day"], s["year"]["balance"]) == \
        ("initial_term", True, "2027-05-10", "0.00")
    assert client.get(f"/v1/conventions/{cid}/state?on=2025-01-01").json()["state"] == "not_started"

    for as_of in ("2026-06-01", "2027-04-01"):
        ics = tmp_path / "d.ics"
        code, text, _ = run_cli("deadlines", f, "--as-of", as_of, "--ics", str(ics))
        assert client.get(f"/v1/conventions/{cid}/deadlines?as_of={as_of}&format=text").text == text
        r = client.get(f"/v1/conventions/{cid}/deadlines.ics?as_of={as_of}")
        assert r.headers["content-type"].startswith("text/calendar")
        # the same calendar but for the UIDs: the register's id is the convention's identity
        # there, the file's name on the command line (docs/semantics.md)
        def uids(b: bytes) -> tuple[list, list]:
            lines = b.decode().split("\r\n")
            return ([x for x in lines if not x.startswith("UID:")], [x for x in lines if x.startswith("UID:")])
        (served, served_uids), (written, written_uids) = uids(r.content), uids(ics.read_bytes())
        assert served == written and len(served_uids) == len(written_uids) > 0
        assert not set(served_uids) & set(written_uids)
    d = client.get(f"/v1/conventions/{cid}/deadlines?as_of=2026-06-01").json()
    assert d["status"] == "renewal" and d["next_call"] == "2027-01-01"


def test_register_from_json_and_with_yaml_events(client, tmp_path):
    path = os.path.join(ROOT, "scenarios", "medecine-worked-example.yaml")
    text = as_json_text(read(path))
    cid = client.post("/v1/conventions", content=text, headers={"content-type": "application/json"}).json()["id"]
    n = client.get(f"/v1/conventions/{cid}").json()["version"]
    r = client.post(f"/v1/conventions/{cid}/events", headers=YAML,
                    content="date: 2026-05-01\ntype: payment\namount: 412.50\n")
    assert r.json() == {"version": n + 1}
    doc = client.get(f"/v1/conventions/{cid}/scenario").text
    assert doc.splitlines()[n] == '{"date": "2026-05-01", "type": "payment", "amount": 412.50}]}'
    (tmp_path / "doc.json").write_text(doc, encoding="utf-8")
    assert client.get(f"/v1/conventions/{cid}/timeline").text == \
        run_cli("run", str(tmp_path / "doc.json"), "--format", "json")[1]


def test_portfolio_deadlines_soonest_first(client):
    a = create(client, os.path.join(ROOT, "scenarios", "pas-de-calais.yaml"))
    b = create(client, os.path.join(ROOT, "scenarios", "medecine-worked-example.yaml"))
    r = client.get("/v1/deadlines?as_of=2026-03-01&before=2027-03-01")
    body = r.json()
    assert (body["as_of"], body["before"]) == ("2026-03-01", "2027-03-01")
    items = body["deadlines"]
    dates = [i["date"] for i in items]
    assert dates == sorted(dates) and all("2026-03-01" <= d < "2027-03-01" for d in dates)
    assert {a, b} <= {i["id"] for i in items}
    mine = [(i["date"], i["kind"]) for i in items if i["id"] == b]
    assert ("2026-04-01", "call") in mine and ("2026-05-01", "payment-due") in mine
    assert any(i["kind"] == "notice" and i["party"] for i in items)
    problem(client.get("/v1/deadlines?as_of=2026-03-01"), 400, "invalid-parameter")


def test_idempotency_key_and_if_match(client):
    cid = create(client, os.path.join(ROOT, "scenarios", "pas-de-calais.yaml"))
    v = client.get(f"/v1/conventions/{cid}").json()["version"]
    url = f"/v1/conventions/{cid}/events"
    ev = {"date": "2027-02-01", "type": "payment", "amount": "10.00"}
    first = client.post(url, json=ev, headers={"Idempotency-Key": "pay-1", "If-Match": str(v)})
    assert (first.status_code, first.json()) == (201, {"version": v + 1})
    again = client.post(url, json=ev, headers={"Idempotency-Key": "pay-1", "If-Match": str(v)})
    assert (again.status_code, again.content, again.headers["etag"]) == (201, first.content, str(v + 1))
    # the key is looked at before If-Match (stale now), and keys of an object in any order match
    again = client.post(url, json={"amount": "10.00", "type": "payment", "date": "2027-02-01"},
                        headers={"Idempotency-Key": "pay-1", "If-Match": "1"})
    assert (again.status_code, again.content) == (201, first.content)
    problem(client.post(url, json=dict(ev, amount="11.00"), headers={"Idempotency-Key": "pay-1"}), 422, "key-reused")
    stale = problem(client.post(url, json=ev, headers={"If-Match": str(v)}), 412, "stale-version")
    assert stale["version"] == v + 1
    assert client.post(url, json=ev, headers={"If-Match": f'"{v + 1}"'}).json() == {"version": v + 2}
    problem(client.post(url, json=ev, headers={"If-Match": "abc"}), 400, "invalid-parameter")
    problem(client.post(url, json=ev, headers={"Idempotency-Key": "x" * 256}), 400, "invalid-parameter")
    assert client.get(f"/v1/conventions/{cid}").json()["version"] == v + 2
    # creating with a key is idempotent too
    body = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml"))
    c1 = client.post("/v1/conventions", content=body, headers={**YAML, "Idempotency-Key": "new-1"})
    c2 = client.post("/v1/conventions", content=body, headers={**YAML, "Idempotency-Key": "new-1"})
    assert c1.status_code == c2.status_code == 201 and c1.json() == c2.json()


def test_unknown_ids_are_404(client):
    for path in ("", "/scenario", "/timeline", "/state", "/deadlines", "/deadlines.ics"):
        problem(client.get(f"/v1/conventions/nope{path}"), 404, "not-found")
    problem(client.post("/v1/conventions/nope/events", json={"date": "2027-01-01", "type": "payment",
                                                             "amount": "1.00"}), 404, "not-found")
    problem(client.get("/v2/nothing"), 404)
    r = client.put("/v1/rules")
    problem(r, 405)
    assert "GET" in r.headers["allow"]


# --------------------------------------------------------------------------- errors


BAD = """scenario: 1
convention: cdg62-demat
name: Ville
start: 2026-01-01
member: {agents: 10}
events:
  - {date: 2026-02-01, type: payment, amount: "abc"}
"""


def test_errors_are_problem_details_with_the_cli_message(client, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    code, _, err = run_cli("run", str(tmp_path / "bad.yaml"))
    assert code == 2 and err.startswith(f"{tmp_path / 'bad.yaml'}:7: ")
    cli_message = err.strip().replace(str(tmp_path / "bad.yaml"), "<request>")
    for endpoint in ("/v1/replay", "/v1/check", "/v1/conventions"):
        body = problem(client.post(endpoint, content=BAD, headers=YAML), 422, "invalid-scenario")
        assert body["detail"] == cli_message and body["line"] == 7 and body["instance"] == endpoint
    # JSON: the body's lines, as `convention run` of the same JSON file says
    text = as_json_text(BAD)
    (tmp_path / "bad.json").write_text(text, encoding="utf-8")
    _, _, err = run_cli("run", str(tmp_path / "bad.json"))
    body = problem(client.post("/v1/replay", content=text, headers=JSON), 422, "invalid-scenario")
    assert body["detail"] == err.strip().replace(str(tmp_path / "bad.json"), "<request>")
    # an event: the engine's message names the event (its would-be version) and the field
    cid = create(client, os.path.join(ROOT, "scenarios", "fixed-term.yaml"))
    n = client.get(f"/v1/conventions/{cid}").json()["version"]
    body = problem(client.post(f"/v1/conventions/{cid}/events", json={"date": "2027-01-01", "type": "payment",
                                                                     "amount": "abc"}), 422)
    assert body["detail"] == (f'<request>:0: event {n + 1} (payment): amount: expected an amount such as '
                              '"1000.00", got the text "abc"')
    body = problem(client.post(f"/v1/conventions/{cid}/events", json={"date": "2027-01-01", "type": "consultations",
                                                                     "year": 2026, "count": 3, "x": 1}), 422)
    assert "unknown key 'x'" in body["detail"]


def test_unreadable_bodies_are_400(client):
    body = problem(client.post("/v1/replay", content="scenario: 1\n", headers=JSON), 400, "invalid-body")
    assert body["detail"].startswith("<request>:1: the body is not JSON")
    body = problem(client.post("/v1/replay", content="a: [1,\nb: {", headers=YAML), 400, "invalid-body")
    assert "YAML syntax error" in body["detail"]
    problem(client.post("/v1/replay", content=b"scenario: \xff\n", headers=YAML), 400, "invalid-body")
    problem(client.post("/v1/replay", content=b'{"a": "\xff"}', headers=JSON), 400, "invalid-body")
    problem(client.post("/v1/replay", content="", headers=JSON), 400, "invalid-body")
    problem(client.post("/v1/replay", content="[1, 2]", headers=JSON), 422, "invalid-scenario")


def test_nothing_in_a_request_reads_a_file_or_runs_code(client, tmp_path):
    marker = tmp_path / "ran"
    tagged = BAD.replace('"abc"', f'!!python/object/apply:os.system ["touch {marker}"]')
    body = problem(client.post("/v1/replay", content=tagged, headers=YAML), 422, "invalid-scenario")
    assert "YAML tags are not allowed" in body["detail"] and not marker.exists()
    aliased = "scenario: 1\nconvention: cdg62-demat\nname: &n x\nstart: *n\n"
    assert "anchors and aliases" in problem(client.post("/v1/replay", content=aliased, headers=YAML), 422)["detail"]
    rules_path = os.path.join(ROOT, "rules", "cdg62-demat.yaml")
    for ref in (rules_path, "../rules/cdg62-demat.yaml", "rules/cdg62-demat.yaml", "/etc/passwd"):
        yaml_body = BAD.replace("convention: cdg62-demat", f"convention: {ref}")
        body = problem(client.post("/v1/conventions", content=yaml_body, headers=YAML), 422, "rules-not-served")
        assert body["detail"].startswith("<request>:2: convention: the service reads only the shipped rules")
        problem(client.post("/v1/replay", content=json.dumps({"scenario": 1, "convention": ref, "name": "x",
                                                               "start": "2026-01-01"}), headers=JSON),
                422, "rules-not-served")
    # a body that names a file is text, never a path
    for text in ("scenarios/member-notice.yaml", rules_path):
        body = problem(client.post("/v1/replay", content=text, headers=YAML), 422, "invalid-scenario")
        assert "single value" in body["detail"]
    body = problem(client.post("/v1/replay", content=json.dumps(rules_path), headers=JSON), 422, "invalid-scenario")


def test_bounds(tmp_path):
    c, _ = keyed(f"sqlite:///{tmp_path / 'r.db'}", limits=Limits(body=4096, events=3))
    fixed = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml"))
    with c:
        big = fixed + "#" * 5000 + "\n"
        body = problem(c.post("/v1/replay", content=big, headers=YAML), 413, "too-large")
        assert "4096" in body["detail"]

        def chunks():  # no Content-Length: counted while read
            yield big[:3000].encode()
            yield big[3000:].encode()
        problem(c.post("/v1/replay", content=chunks(), headers=YAML), 413, "too-large")

        head = fixed.split("events:")[0]
        four = head + "events:\n" + "".join(f"  - {{date: 2026-02-0{i}, type: payment, amount: '1.00'}}\n"
                                            for i in range(1, 5))
        body = problem(c.post("/v1/conventions", content=four, headers=YAML), 422, "invalid-scenario")
        assert "more than the 3" in body["detail"]
        cid = c.post("/v1/conventions", content=head, headers=YAML).json()["id"]
        for i in range(3):
            assert c.post(f"/v1/conventions/{cid}/events",
                          json={"date": "2026-02-01", "type": "payment", "amount": "1.00"}).status_code == 201
        problem(c.post(f"/v1/conventions/{cid}/events",
                       json={"date": "2026-02-01", "type": "payment", "amount": "1.00"}), 409, "too-many-events")
    slow, _ = keyed(f"sqlite:///{tmp_path / 'r.db'}", limits=Limits(replay_seconds=1e-6))
    with slow as c:
        r = c.post("/v1/replay", content=fixed, headers=YAML)
        assert "took longer" in problem(r, 503, "timeout")["detail"] and r.headers["retry-after"]
        problem(c.get(f"/v1/conventions/{cid}/timeline"), 503, "timeout")


def test_openapi_describes_every_route(client):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    routes = {(r.path, m.lower()) for r in client.app.routes for m in r.methods if m != "HEAD"}
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert routes == documented
    for p, ops in doc["paths"].items():
        for m, op in ops.items():
            assert op["responses"] and op["operationId"]
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in answer["content"]
    assert client.get("/problems/stale-version").status_code == 200


# --------------------------------------------------------------------------- access, tenants, forgery, audit


@pytest.fixture(scope="module")
def tenants(tmp_path_factory):
    """One application and a key of each kind: members of two tenants, the CdG, a revoked one."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('tenants') / 'register.db'}")
    keys = {}
    for name, tenant, role in (("calais", "calais", "member"), ("lievin", "lievin", "member"),
                               ("cdg", "cdg62", "cdg"), ("revoked", "calais", "member")):
        keys[name] = auth.add_key(store, tenant, role, name)[1]
    store.revoke_key("revoked")
    with TestClient(create_app(store)) as c:
        yield c, keys


def as_(keys: dict, who: str, **headers: str) -> dict:
    return {**bearer(keys[who]), **headers}


def test_every_request_needs_a_valid_key(tenants):
    c, keys = tenants
    fixed = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")).split("events:")[0]
    cid = c.post("/v1/conventions", content=fixed, headers=as_(keys, "calais", **YAML)).json()["id"]
    requests = [("GET", "/v1/rules", None), ("GET", "/v1/rules/cdg62-demat", None),
                ("POST", "/v1/replay", fixed), ("POST", "/v1/check", fixed), ("POST", "/v1/conventions", fixed),
                ("GET", f"/v1/conventions/{cid}", None), ("GET", f"/v1/conventions/{cid}/timeline", None),
                ("GET", f"/v1/conventions/{cid}/events", None),
                ("POST", f"/v1/conventions/{cid}/events", '{"date": "2027-01-01", "type": "payment", "amount": "1.00"}'),
                ("GET", "/v1/deadlines?before=2030-01-01", None)]
    unknown = auth.new_key()
    for method, url, body in requests:
        for headers, error in (({}, None), ({"Authorization": f"Bearer {unknown}"}, "invalid_token"),
                               (bearer(keys["revoked"]), "invalid_token"),
                               ({"Authorization": f"Basic {keys['calais']}"}, "invalid_request"),
                               ({"Authorization": "Bearer"}, "invalid_request"),
                               ({"Authorization": "Bearer " + "x" * 5000}, "invalid_token")):
            r = c.request(method, url, content=body, headers={**headers, **YAML})
            problem(r, 401, "unauthorized")
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert (f'error="{error}"' in r.headers["www-authenticate"]) == (error is not None)
    # a revoked key says nothing a never-valid key would not
    assert c.get("/v1/rules", headers=bearer(keys["revoked"])).json() == \
        dict(c.get("/v1/rules", headers={"Authorization": f"Bearer {unknown}"}).json())
    # nothing was stored by any of them
    assert c.get(f"/v1/conventions/{cid}", headers=as_(keys, "calais")).json()["version"] == 0
    # the documents about the service are public
    assert c.get("/openapi.json").status_code == 200
    assert c.get("/problems/unauthorized").status_code == 200


def test_a_key_revoked_is_refused_from_the_next_request(tmp_path):
    c, store = keyed(f"sqlite:///{tmp_path / 'r.db'}", "calais", "member")
    with c:
        assert c.get("/v1/rules").status_code == 200
        store.revoke_key(store.list_keys()[0].name)
        problem(c.get("/v1/rules"), 401, "unauthorized")


def test_a_member_sees_and_writes_only_its_tenants_conventions(tenants):
    c, keys = tenants
    text = read(os.path.join(ROOT, "scenarios", "member-notice.yaml"))
    mine = c.post("/v1/conventions", content=text, headers=as_(keys, "calais", **YAML)).json()["id"]
    theirs = c.post("/v1/conventions", content=text, headers=as_(keys, "lievin", **YAML)).json()["id"]
    ev = {"date": "2027-04-02", "type": "dispute", "step": "opened"}
    for path in ("", "/scenario", "/timeline", "/state", "/deadlines", "/deadlines.ics", "/events"):
        assert c.get(f"/v1/conventions/{mine}{path}", headers=as_(keys, "calais")).status_code == 200
        # another tenant's id is answered as an unknown one, word for word (but the id and path)
        other = problem(c.get(f"/v1/conventions/{theirs}{path}", headers=as_(keys, "calais")), 404, "not-found")
        unknown = problem(c.get(f"/v1/conventions/{'0' * 32}{path}", headers=as_(keys, "calais")), 404)
        assert {k: v.replace(theirs, "0" * 32) for k, v in other.items() if k != "status"} == \
            {k: v for k, v in unknown.items() if k != "status"}
    # appending to another tenant's convention: 404 before anything else is looked at
    for body in (ev, {"date": "2027-04-02", "type": "payment", "amount": "abc"}):
        for headers in ({}, {"If-Match": "1"}, {"Idempotency-Key": "k"}):
            r = c.post(f"/v1/conventions/{theirs}/events", json=body, headers=as_(keys, "calais", **headers))
            assert problem(r, 404, "not-found")["detail"] == f"no convention {theirs!r}"
    assert c.get(f"/v1/conventions/{theirs}", headers=as_(keys, "lievin")).json()["version"] == 4
    # the CdG's key sees and writes both
    for cid in (mine, theirs):
        assert c.get(f"/v1/conventions/{cid}/timeline", headers=as_(keys, "cdg")).status_code == 200
    assert c.post(f"/v1/conventions/{theirs}/events", json=ev, headers=as_(keys, "cdg")).json() == {"version": 5}
    # the portfolio is filtered the same way
    ids = {who: {d["id"] for d in c.get("/v1/deadlines?as_of=2026-01-01&before=2031-01-01",
                                         headers=as_(keys, who)).json()["deadlines"]}
           for who in ("calais", "lievin", "cdg")}
    assert mine in ids["calais"] and theirs not in ids["calais"]
    assert theirs in ids["lievin"] and mine not in ids["lievin"]
    assert {mine, theirs} <= ids["cdg"]


def test_creation_for_a_named_tenant(tenants):
    c, keys = tenants
    text = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml"))
    r = c.post("/v1/conventions?tenant=lievin", content=text, headers=as_(keys, "cdg", **YAML))
    cid = r.json()["id"]
    assert c.get(f"/v1/conventions/{cid}", headers=as_(keys, "lievin")).json()["tenant"] == "lievin"
    problem(c.get(f"/v1/conventions/{cid}", headers=as_(keys, "calais")), 404)
    events = c.get(f"/v1/conventions/{cid}/events", headers=as_(keys, "lievin")).json()["events"]
    assert events and all((e["tenant"], e["key"]) == ("lievin", "cdg") for e in events)
    # a member key names its own tenant or none; another is 403 and nothing is stored
    problem(c.post("/v1/conventions?tenant=lievin", content=text, headers=as_(keys, "calais", **YAML)),
            403, "forbidden")
    assert c.post("/v1/conventions?tenant=calais", content=text,
                  headers=as_(keys, "calais", **YAML)).status_code == 201
    problem(c.post("/v1/conventions?tenant=a%20b", content=text, headers=as_(keys, "cdg", **YAML)),
            400, "invalid-parameter")


def test_idempotency_keys_are_each_tenants_own(tenants):
    c, keys = tenants
    text = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml"))
    other = text.replace("name:", "name: Autre", 1) if "name:" in text else text
    a = c.post("/v1/conventions", content=text, headers=as_(keys, "calais", **YAML, **{"Idempotency-Key": "create-1"}))
    # another tenant's same key, even with another body: a creation of its own, no 422, no replay
    b = c.post("/v1/conventions", content=other, headers=as_(keys, "lievin", **YAML, **{"Idempotency-Key": "create-1"}))
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]
    assert "idempotent-replayed" not in b.headers
    again = c.post("/v1/conventions", content=text, headers=as_(keys, "calais", **YAML, **{"Idempotency-Key": "create-1"}))
    assert again.json() == a.json() and again.headers["idempotent-replayed"] == "true"
    problem(c.post("/v1/conventions", content=other, headers=as_(keys, "calais", **YAML, **{"Idempotency-Key": "create-1"})),
            422, "key-reused")
    problem(c.get(f"/v1/conventions/{a.json()['id']}", headers=as_(keys, "lievin")), 404)


FORGERIES = ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
             "multipart/form-data; boundary=x", None, "application/json; charset=latin-1",
             "application/jsonp", "text/yaml", "application/json, text/plain"]


@pytest.mark.parametrize("ctype", FORGERIES, ids=str)
def test_bodies_a_web_form_can_send_are_refused(tenants, ctype):
    c, keys = tenants
    cid = c.post("/v1/conventions", content=read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")).split("events:")[0],
                 headers=as_(keys, "calais", **YAML)).json()["id"]
    ev = '{"date": "2027-01-01", "type": "payment", "amount": "1.00"}'
    headers = as_(keys, "calais") if ctype is None else as_(keys, "calais", **{"content-type": ctype})
    for url in ("/v1/replay", "/v1/check", "/v1/conventions", f"/v1/conventions/{cid}/events"):
        body = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")) if "events" not in url else ev
        r = c.post(url, content=body, headers=headers)
        problem(r, 415, "unsupported-media-type")
        assert r.headers["accept-post"] == "application/json, application/yaml"
    assert c.get(f"/v1/conventions/{cid}", headers=as_(keys, "calais")).json()["version"] == 0


@pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8",
                                   "Application/JSON;charset=UTF-8", "application/yaml; charset=utf-8"])
def test_json_and_yaml_bodies_are_read(tenants, ctype):
    c, keys = tenants
    r = c.post("/v1/check", content='{"scenario": 1}', headers=as_(keys, "calais", **{"content-type": ctype}))
    problem(r, 422, "invalid-scenario")  # read, then refused by the engine


def test_cors_is_off_unless_origins_are_named(tmp_path):
    preflight = {"Origin": "https://intranet.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    c, _ = keyed(f"sqlite:///{tmp_path / 'r.db'}")
    with c:
        r = c.options("/v1/conventions", headers=preflight)
        assert r.status_code == 405 and "access-control-allow-origin" not in r.headers
        r = c.get("/v1/rules", headers={"Origin": "https://intranet.example"})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    c, _ = keyed(f"sqlite:///{tmp_path / 'r.db'}", cors_origins=["https://intranet.example"])
    with c:
        r = c.options("/v1/conventions", headers=preflight)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://intranet.example"
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        r = c.get("/v1/rules", headers={"Origin": "https://intranet.example"})
        assert r.headers["access-control-allow-origin"] == "https://intranet.example"
        assert "etag" in r.headers["access-control-expose-headers"].lower()
        # another origin is not allowed
        r = c.options("/v1/conventions", headers={**preflight, "Origin": "https://evil.example"})
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
        # a preflight is answered without a key, the request itself still needs one
        problem(c.get("/v1/rules", headers={"Origin": "https://intranet.example", "Authorization": ""}), 401)


def test_every_event_records_who_stored_it_and_when(tenants):
    c, keys = tenants
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    r = c.post("/v1/conventions?tenant=calais", content=read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")),
               headers=as_(keys, "cdg", **YAML))
    cid, n = r.json()["id"], r.json()["version"]
    c.post(f"/v1/conventions/{cid}/events", json={"date": "2027-01-01", "type": "payment", "amount": "1.10"},
           headers=as_(keys, "calais"))
    log = c.get(f"/v1/conventions/{cid}/events", headers=as_(keys, "calais"))
    assert log.headers["etag"] == str(n + 1)
    body = log.json()
    assert (body["id"], body["version"], len(body["events"])) == (cid, n + 1, n + 1)
    assert [e["version"] for e in body["events"]] == list(range(1, n + 2))
    assert {(e["tenant"], e["key"]) for e in body["events"][:n]} == {("calais", "cdg")}
    last = body["events"][-1]
    assert (last["tenant"], last["key"]) == ("calais", "calais")
    assert last["event"] == {"date": "2027-01-01", "type": "payment", "amount": "1.10"}
    assert '"amount": "1.10"' in log.text  # the event as stored
    after = dt.datetime.now(dt.timezone.utc)
    for e in body["events"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["received"])
        assert before <= dt.datetime.fromisoformat(e["received"].replace("Z", "+00:00")) <= after
    # the scenario and the timeline know nothing of it: dates of the convention are untouched
    doc = c.get(f"/v1/conventions/{cid}/scenario", headers=as_(keys, "calais")).text
    assert "calais" not in doc and '"key"' not in doc and '"tenant"' not in doc


def test_every_answer_carries_a_request_id_and_one_json_log_line(tenants, caplog):
    c, keys = tenants
    with caplog.at_level("INFO", logger="engine.service.access"):
        r = c.get("/v1/rules", headers=as_(keys, "calais", **{"X-Request-Id": "proxy-42"}))
        assert (r.status_code, r.headers["x-request-id"]) == (200, "proxy-42")
        r = c.get("/v1/rules")
        mine = r.headers["x-request-id"]
        assert r.status_code == 401 and re.fullmatch(r"[0-9a-f]{32}", mine)
        for bad in (b"x" * 129, b"two words", "caf\u00e9".encode("latin-1")):  # made anew, not echoed
            r = c.get("/v1/rules", headers={"X-Request-Id": bad})
            assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
        r = c.post("/v1/replay", content="x", headers=as_(keys, "calais", **{"content-type": "text/plain"}))
        assert r.status_code == 415 and r.headers["x-request-id"]
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "engine.service.access"]
    first = next(x for x in lines if x["request_id"] == "proxy-42")
    assert (first["method"], first["path"], first["status"], first["tenant"], first["key"]) == \
        ("GET", "/v1/rules", 200, "calais", "calais")
    assert next(x for x in lines if x["request_id"] == mine)["status"] == 401
    assert all(keys["calais"] not in rec.getMessage() for rec in caplog.records)


# --------------------------------------------------------------------------- docs/service.md

_CURL = re.compile(r"<!-- curl -->\s*\n```text\n(.*?)\n```", re.S)
CUT = "[…]"


def _curl(lines: list[str]) -> tuple[list[str], list[str]]:
    """The arguments of a `$ curl ...` command (which may go on over several lines) and the
    lines shown after it."""
    cmd, i = lines[0][len("$ "):], 1
    while True:
        try:
            return shlex.split(cmd), lines[i:]
        except ValueError:  # a quoted body goes on over the next line
            cmd += "\n" + lines[i]
            i += 1


def _request(client, args: list[str], ids: dict[str, str], key: str = "") -> tuple[httpx.Response, bool]:
    assert args[0] == "curl"
    method, headers, data, url, include = None, {}, None, None, False
    it = iter(args[1:])
    for a in it:
        if a == "-s":
            continue
        if a == "-i":
            include = True
        elif a == "-X":
            method = next(it)
        elif a == "-H":
            k, v = next(it).split(":", 1)
            headers[k.strip()] = v.strip().replace("$KEY", key)
        elif a in ("-d", "--data-binary"):
            data = next(it)
            if data.startswith("@"):
                data = read(os.path.join(ROOT, data[1:]))
            if a == "-d":
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")  # as curl does
        else:
            url = a
    for name, real in ids.items():
        url = url.replace(f"${name}", real)
    path = url.split("localhost:8000", 1)[1]
    method = method or ("POST" if data is not None else "GET")
    return client.request(method, path, headers=headers, content=data), include


def _shown(r: httpx.Response, include: bool) -> str:
    text = r.text.replace("\r\n", "\n")
    if not include:
        return text
    head = [f"HTTP/1.1 {r.status_code} {http.HTTPStatus(r.status_code).phrase}"]
    head += [f"{k.lower()}: {v}" for k, v in r.headers.multi_items()]
    return "\n".join(head) + "\n\n" + text


def test_the_service_page_shows_real_exchanges(tmp_path):
    """Every `<!-- curl -->` block of docs/service.md, in order, against a fresh register: each
    shown line is answered, in order (ids as the page shows them)."""
    page = read(os.path.join(ROOT, "docs", "service.md"))
    blocks = [m.group(1).split("\n") for m in _CURL.finditer(page)]
    assert len(blocks) >= 20
    page_id = re.search(r"`ID=([0-9a-f]{32})`", page).group(1)
    ids: dict[str, str] = {}  # $ID -> the id of this run
    shown_ids: dict[str, str] = {}  # an id of this run -> the id the page shows
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    _, key = auth.add_key(store, "calais", "member", "calais-app")  # as the page makes its $KEY
    with TestClient(create_app(store)) as client:
        for block in blocks:
            args, expected = _curl(block)
            r, include = _request(client, args, ids, key)
            text = _shown(r, include)
            if r.request.method == "POST" and r.url.path == "/v1/conventions" and r.status_code == 201:
                page_shows = re.search(r'"id": "([0-9a-f]{32})"', "\n".join(expected)).group(1)
                shown_ids[r.json()["id"]] = page_shows
                if page_shows == page_id:
                    ids["ID"] = r.json()["id"]
            for real, shown in shown_ids.items():
                text = text.replace(real, shown)
            actual = [line.rstrip() for line in text.split("\n")]
            pos = 0
            chunk: list[str] = []
            for line in expected + [CUT]:
                if line.strip() != CUT:
                    chunk.append(line.rstrip())
                    continue
                if chunk:
                    found = next((i + len(chunk) for i in range(pos, len(actual) - len(chunk) + 1)
                                  if actual[i:i + len(chunk)] == chunk), -1)
                    assert found >= 0, f"{block[0]}\nno longer answers:\n" + "\n".join(chunk) + \
                        "\n--- real answer ---\n" + text
                    pos = found
                chunk = []


# --------------------------------------------------------------------------- fuzz


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """The application and a member key: every case is sent with it."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'register.db'}")
    FUZZED_APP.app = create_app(store)
    yield FUZZED_APP.app, auth.add_key(store, "fuzz", "member")[1]
    FUZZED_APP.app = None


class _Deferred:
    """An ASGI application that is the fuzz fixture's, once the fixture has made it: the document
    is bound to it when the module is collected, so that the checks' own requests (such as
    ignored_auth's, without the key) reach the application too."""

    app = None

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


FUZZED_APP = _Deferred()
fuzzed = schemathesis.openapi.from_dict(service.openapi())
fuzzed.app = FUZZED_APP


@pytest.mark.slow
@fuzzed.parametrize()
@settings(max_examples=50, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck),
          database=None)
def test_fuzz_openapi(case, fuzz_app):
    """No 5xx, and every answer as the document says (status, content type, schema, headers),
    with a member key; an operation that needs a key refuses a request without one or with a
    wrong one (ignored_auth). A scenario the schema allows may still be one the engine refuses
    (422): that check is off."""
    headers = dict(case.headers or {})
    if any(k.lower() == "authorization" for k in headers):  # the generated key: the real one instead
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        case.headers = {**headers, **bearer(fuzz_app[1])}
    # else a case without a key (a negative one): it must be refused, as it is sent
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])


# --------------------------------------------------------------------------- real servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(db: str, workers: int = 1, log=None, extra: tuple[str, ...] = ()):
    """`convention serve` in a process group of its own on 127.0.0.1 and a free port; killed
    (the whole group) when the block ends."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--db", db, "--workers", str(workers), *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server did not start within 30 s"
            time.sleep(0.1)
        yield base, proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):  # workers left behind by a killed parent
        os.killpg(proc.pid, signal.SIGKILL)


def _payment(n: int) -> dict:
    return {"date": "2026-03-01", "type": "payment", "amount": f"{n}.00"}


def _stored_amounts(base: str, cid: str, key: str) -> list[str]:
    doc = httpx.get(f"{base}/v1/conventions/{cid}/scenario", headers=bearer(key), timeout=30).text
    return [e["amount"] for e in json.loads(doc)["events"]]


def _keys(db: str) -> dict[str, str]:
    """Keys of two member tenants and of the CdG, made as `convention keys add` makes them."""
    keys = {}
    for name, tenant, role in (("calais", "calais", "member"), ("lievin", "lievin", "member"),
                               ("cdg", "cdg62", "cdg")):
        code, out, _ = run_cli("keys", "add", "--db", db, "--tenant", tenant, "--role", role, "--name", name)
        assert code == 0
        keys[name] = out.strip()
    return keys


def _database(backend: str, tmp_path, request) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'r.db'}"
    url = request.getfixturevalue("postgres_url")
    # a fresh database of the cluster for each test: the register starts empty
    import sqlalchemy as sa

    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    admin = sa.create_engine(service.store.engine_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.replace("/postgres?", f"/{name}?")


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_writers_of_two_tenants_on_two_workers_store_every_event_once(backend, tmp_path, request):
    """One convention of calais written at once by 4 writers with calais's key and 4 with the
    CdG's; one of lievin by 4 writers with lievin's key, under the very same idempotency keys."""
    db = _database(backend, tmp_path, request)
    keys = _keys(db)
    fixed = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")).split("events:")[0]
    with serving(db, workers=2) as (base, _):
        cid = httpx.post(f"{base}/v1/conventions", content=fixed, headers={**YAML, **bearer(keys["calais"])},
                         timeout=30).json()["id"]
        other = httpx.post(f"{base}/v1/conventions", content=fixed, headers={**YAML, **bearer(keys["lievin"])},
                           timeout=30).json()["id"]

        def writer(w: int, who: str, convention: str, count: int) -> dict:
            got = {}
            with httpx.Client(base_url=base, timeout=60, headers=bearer(keys[who])) as http:
                for i in range(count):
                    n = 1000 * (w + 1) + i
                    answers = [http.post(f"/v1/conventions/{convention}/events", json=_payment(n),
                                         headers={"Idempotency-Key": f"w{w % 4}-{i}" if who == "lievin"
                                                  else f"w{w}-{i}"}) for _ in range(2)]
                    assert [a.status_code for a in answers] == [201, 201], answers[0].text
                    assert answers[0].json() == answers[1].json()  # the retry answered as the first
                    got[f"{n}.00"] = (answers[0].json()["version"], who)
            return got

        jobs = [(w, "calais" if w < 4 else "cdg", cid, 50) for w in range(8)]
        jobs += [(w, "lievin", other, 25) for w in range(8, 12)]
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            results = [f.result(timeout=300) for f in [pool.submit(writer, *job) for job in jobs]]
        acked = {k: v for r in results[:8] for k, v in r.items()}
        assert sorted(v for v, _ in acked.values()) == list(range(1, 401))
        stored = _stored_amounts(base, cid, keys["calais"])
        assert len(stored) == 400 and all(stored[v - 1] == amount for amount, (v, _) in acked.items())
        log = httpx.get(f"{base}/v1/conventions/{cid}/events", headers=bearer(keys["cdg"]), timeout=30).json()
        by_version = {e["version"]: e for e in log["events"]}
        for amount, (v, who) in acked.items():  # each event's audit names the key that wrote it
            assert (by_version[v]["key"], by_version[v]["event"]["amount"]) == (who, amount)
        assert {e["tenant"] for e in log["events"]} == {"calais", "cdg62"}
        theirs = {k: v for r in results[8:] for k, v in r.items()}
        assert sorted(v for v, _ in theirs.values()) == list(range(1, 101))
        assert sorted(_stored_amounts(base, other, keys["lievin"])) == sorted(theirs)
        r = httpx.post(f"{base}/v1/conventions/{cid}/events", json=_payment(1),
                       headers={"If-Match": "399", **bearer(keys["calais"])})
        assert r.status_code == 412 and r.headers["etag"] == "400"
        r = httpx.get(f"{base}/v1/conventions/{other}/timeline", headers=bearer(keys["calais"]), timeout=30)
        assert r.status_code == 404
        assert httpx.get(f"{base}/v1/conventions/{cid}/timeline", headers=bearer(keys["calais"]),
                         timeout=30).headers["etag"] == "400"


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_server_killed_mid_writes_gives_back_every_acknowledged_event(backend, tmp_path, request):
    """Writers of two tenants, each on its tenant's convention, and the server killed (SIGKILL)."""
    db = _database(backend, tmp_path, request)
    keys = _keys(db)
    fixed = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")).split("events:")[0]
    acked: dict[tuple, int] = {}  # (tenant, key) -> version answered
    sent: dict[tuple, int] = {}  # (tenant, key) -> amount of every event sent
    lock = threading.Lock()
    halt = threading.Event()
    with serving(db, workers=2) as (base, proc):
        cids = {who: httpx.post(f"{base}/v1/conventions", content=fixed,
                                headers={**YAML, **bearer(keys[who])}, timeout=30).json()["id"]
                for who in ("calais", "lievin")}

        def writer(w: int, who: str) -> None:
            with httpx.Client(base_url=base, timeout=10, headers=bearer(keys[who])) as http:
                for i in range(10_000):
                    if halt.is_set():
                        return
                    key, n = f"w{w}-{i}", 100_000 * (w + 1) + i
                    with lock:
                        sent[who, key] = n
                    try:
                        r = http.post(f"/v1/conventions/{cids[who]}/events", json=_payment(n),
                                      headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        return  # the server is gone
                    if r.status_code == 201:
                        with lock:
                            acked[who, key] = r.json()["version"]

        threads = [threading.Thread(target=writer, args=(w, who)) for w in range(2) for who in ("calais", "lievin")]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 150 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # parent and workers, in the middle of writes
        halt.set()
        for t in threads:
            t.join(timeout=30)
        proc.wait(timeout=15)
    assert len(acked) >= 150 and {who for who, _ in acked} == {"calais", "lievin"}
    with serving(db) as (base, _):
        stored = {who: _stored_amounts(base, cids[who], keys[who]) for who in cids}
        for (who, key), version in acked.items():
            assert stored[who][version - 1] == f"{sent[who, key]}.00"
        # Every key sent again: the acknowledged ones and those cut off are stored once in all.
        for (who, key), n in sent.items():
            r = httpx.post(f"{base}/v1/conventions/{cids[who]}/events", json=_payment(n), timeout=30,
                           headers={"Idempotency-Key": key, **bearer(keys[who])})
            assert r.status_code == 201
            if (who, key) in acked:
                assert r.json()["version"] == acked[who, key]
        for who in cids:
            assert sorted(_stored_amounts(base, cids[who], keys[who])) == \
                sorted(f"{n}.00" for (w, _), n in sent.items() if w == who)


def test_serve_refuses_an_open_address_without_keys_and_says_when_it_runs_without(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    code, out, err = run_cli("serve", "--host", "0.0.0.0", "--db", db)
    assert (code, out) == (2, "") and err.startswith("convention: --host 0.0.0.0: the register holds no API key")
    assert err.count("\n") == 1
    args = cli._parser().parse_args(["serve", "--db", db])
    assert cli._serving_auth(args, 0)[0] is False and "without authentication" in cli._serving_auth(args, 0)[1]
    assert cli._serving_auth(args, 1) == (True, "")
    args = cli._parser().parse_args(["serve", "--host", "0.0.0.0", "--no-auth", "--db", db])
    authenticate, warning = cli._serving_auth(args, 5)
    assert authenticate is False and warning.startswith("convention: warning: --no-auth")
    for host, loop in (("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.8.0.1", True),
                       ("0.0.0.0", False), ("10.0.0.1", False), ("::", False), ("example.org", False)):
        assert auth.is_loopback(host) is loop
    code, _, err = run_cli("serve", "--db", db, "--cors-origin", "intranet.example")
    assert code == 2 and "--cors-origin" in err


def test_the_keys_command_shows_a_key_once_and_never_again(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    code, key, err = run_cli("keys", "add", "--db", db, "--tenant", "calais", "--role", "member", "--name", "app")
    assert code == 0 and re.fullmatch(r"cvk_[A-Za-z0-9_-]{43}\n", key)
    assert err == "convention: key 'app' (tenant calais, role member) made; it is shown only this once\n"
    code, out, _ = run_cli("keys", "list", "--db", db)
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TENANT", "ROLE", "CREATED", "REVOKED"]
    assert lines[1].split()[1:4] == ["app", "calais", "member"] and lines[1].split()[-1] == "-"
    assert key.strip() not in out and auth.key_hash(key.strip()) not in out
    assert run_cli("keys", "revoke", "--db", db, "app")[0] == 0
    assert run_cli("keys", "list", "--db", db)[1].splitlines()[1].split()[-1] != "-"
    with TestClient(create_app(db)) as c:
        problem(c.get("/v1/rules", headers=bearer(key.strip())), 401)
    code, out, err = run_cli("keys", "revoke", "--db", db, "nope")
    assert (code, out) == (2, "") and err == "convention: no key named 'nope' (nor with that id)\n"
    with pytest.raises(SystemExit) as e:  # argparse's own: one line, exit 2
        run_cli("keys", "add", "--db", db, "--tenant", "calais", "--role", "root")
    assert e.value.code == 2
    code, out, err = run_cli("keys", "add", "--db", db, "--tenant", "../x", "--role", "cdg")
    assert code == 2 and out == "" and err.startswith("convention: invalid tenant '../x'")


@pytest.mark.slow
def test_a_served_register_with_keys_refuses_requests_without_one(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    keys = _keys(db)
    log = tmp_path / "log"
    with open(log, "w") as f, serving(db, log=f, extra=("--cors-origin", "https://intranet.example")) as (base, _):
        assert httpx.get(f"{base}/v1/rules", timeout=10).status_code == 401
        assert httpx.get(f"{base}/v1/rules", headers=bearer(keys["calais"]), timeout=10).status_code == 200
        r = httpx.options(f"{base}/v1/rules", timeout=10, headers={
            "Origin": "https://intranet.example", "Access-Control-Request-Method": "GET"})
        assert r.headers["access-control-allow-origin"] == "https://intranet.example"
    assert "warning" not in log.read_text()
    logged = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert [x["status"] for x in logged if x["path"] == "/v1/rules"][:2] == [401, 200]
    assert all(keys["calais"] not in line for line in log.read_text().splitlines())
    with open(log, "w") as f, serving(db, log=f, extra=("--no-auth",)) as (base, _):
        assert httpx.get(f"{base}/v1/rules", timeout=10).status_code == 200
    assert "convention: warning: --no-auth" in log.read_text()
