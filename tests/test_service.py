"""The HTTP service (engine/service/, docs/spec.md 9): every endpoint against the command line,
the register's promises (idempotency keys, If-Match, concurrent writers, a server killed with
SIGKILL), problem details with the CLI's message, the bounds, and a bounded schemathesis fuzz of
/openapi.json. Servers run on 127.0.0.1 only, on a free port, and are stopped by the test."""

from __future__ import annotations

import concurrent.futures
import contextlib
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
from engine.service import Limits, create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.yaml")))
YAML = {"content-type": "application/yaml"}


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


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("service") / "register.db"
    with TestClient(create_app(f"sqlite:///{db}")) as c:
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
    body = problem(client.post("/v1/replay", content=text), 422, "invalid-scenario")
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
    body = problem(client.post("/v1/replay", content="scenario: 1\n"), 400, "invalid-body")
    assert body["detail"].startswith("<request>:1: the body is not JSON")
    body = problem(client.post("/v1/replay", content="a: [1,\nb: {", headers=YAML), 400, "invalid-body")
    assert "YAML syntax error" in body["detail"]
    problem(client.post("/v1/replay", content=b"scenario: \xff\n", headers=YAML), 400, "invalid-body")
    problem(client.post("/v1/replay", content=b'{"a": "\xff"}'), 400, "invalid-body")
    problem(client.post("/v1/replay", content=""), 400, "invalid-body")
    problem(client.post("/v1/replay", content="[1, 2]"), 422, "invalid-scenario")


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
                                                               "start": "2026-01-01"})), 422, "rules-not-served")
    # a body that names a file is text, never a path
    for text in ("scenarios/member-notice.yaml", rules_path):
        body = problem(client.post("/v1/replay", content=text, headers=YAML), 422, "invalid-scenario")
        assert "single value" in body["detail"]
    body = problem(client.post("/v1/replay", content=json.dumps(rules_path)), 422, "invalid-scenario")


def test_bounds(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'r.db'}", limits=Limits(body=4096, events=3))
    fixed = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml"))
    with TestClient(app) as c:
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
    slow = create_app(f"sqlite:///{tmp_path / 'r.db'}", limits=Limits(replay_seconds=1e-6))
    with TestClient(slow) as c:
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


def _request(client, args: list[str], ids: dict[str, str]) -> tuple[httpx.Response, bool]:
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
            headers[k.strip()] = v.strip()
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
    with TestClient(create_app(f"sqlite:///{tmp_path / 'r.db'}")) as client:
        for block in blocks:
            args, expected = _curl(block)
            r, include = _request(client, args, ids)
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
    return create_app(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'register.db'}")


fuzzed = schemathesis.openapi.from_dict(service.openapi())


@pytest.mark.slow
@fuzzed.parametrize()
@settings(max_examples=50, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck),
          database=None)
def test_fuzz_openapi(case, fuzz_app):
    """No 5xx, and every answer as the document says (status, content type, schema, headers).
    A scenario the schema allows may still be one the engine refuses (422): that check is off."""
    assert fuzz_app.state.store is not None
    case.call_and_validate(app=fuzz_app, excluded_checks=[schemathesis.checks.positive_data_acceptance])


# --------------------------------------------------------------------------- real servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(db: str, workers: int = 1, log=None):
    """`convention serve` in a process group of its own on 127.0.0.1 and a free port; killed
    (the whole group) when the block ends."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--db", db, "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v1/rules", timeout=2).status_code == 200:
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


def _stored_amounts(base: str, cid: str) -> list[str]:
    doc = httpx.get(f"{base}/v1/conventions/{cid}/scenario", timeout=30).text
    return [e["amount"] for e in json.loads(doc)["events"]]


@pytest.mark.slow
def test_eight_writers_on_two_workers_store_every_event_once(tmp_path):
    fixed = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")).split("events:")[0]
    with serving(f"sqlite:///{tmp_path / 'r.db'}", workers=2) as (base, _):
        cid = httpx.post(f"{base}/v1/conventions", content=fixed, headers=YAML, timeout=30).json()["id"]

        def writer(w: int) -> dict:
            got = {}
            with httpx.Client(base_url=base, timeout=30) as http:
                for i in range(50):
                    n = 1000 * (w + 1) + i
                    answers = [http.post(f"/v1/conventions/{cid}/events", json=_payment(n),
                                         headers={"Idempotency-Key": f"w{w}-{i}"}) for _ in range(2)]
                    assert [a.status_code for a in answers] == [201, 201]
                    assert answers[0].json() == answers[1].json()  # the retry answered as the first
                    got[f"{n}.00"] = answers[0].json()["version"]
            return got

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = [f.result(timeout=180) for f in [pool.submit(writer, w) for w in range(8)]]
        acked = {k: v for r in results for k, v in r.items()}
        assert sorted(acked.values()) == list(range(1, 401))
        stored = _stored_amounts(base, cid)
        assert len(stored) == 400 and all(stored[v - 1] == amount for amount, v in acked.items())
        r = httpx.post(f"{base}/v1/conventions/{cid}/events", json=_payment(1), headers={"If-Match": "399"})
        assert r.status_code == 412 and r.headers["etag"] == "400"
        assert httpx.get(f"{base}/v1/conventions/{cid}/timeline", timeout=30).headers["etag"] == "400"


@pytest.mark.slow
def test_a_server_killed_mid_writes_gives_back_every_acknowledged_event(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    fixed = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")).split("events:")[0]
    acked: dict[str, int] = {}  # key -> version answered
    sent: dict[str, int] = {}  # key -> amount of every event sent
    lock = threading.Lock()
    halt = threading.Event()
    with serving(db, workers=2) as (base, proc):
        cid = httpx.post(f"{base}/v1/conventions", content=fixed, headers=YAML, timeout=30).json()["id"]

        def writer(w: int) -> None:
            with httpx.Client(base_url=base, timeout=10) as http:
                for i in range(10_000):
                    if halt.is_set():
                        return
                    key, n = f"w{w}-{i}", 100_000 * (w + 1) + i
                    with lock:
                        sent[key] = n
                    try:
                        r = http.post(f"/v1/conventions/{cid}/events", json=_payment(n),
                                      headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        return  # the server is gone
                    if r.status_code == 201:
                        with lock:
                            acked[key] = r.json()["version"]

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
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
    assert len(acked) >= 150
    with serving(db) as (base, _):
        stored = _stored_amounts(base, cid)
        for key, version in acked.items():
            assert stored[version - 1] == f"{sent[key]}.00"
        # Every key sent again: the acknowledged ones and those cut off are stored once in all.
        with httpx.Client(base_url=base, timeout=30) as http:
            for key, n in sent.items():
                r = http.post(f"/v1/conventions/{cid}/events", json=_payment(n), headers={"Idempotency-Key": key})
                assert r.status_code == 201
                if key in acked:
                    assert r.json()["version"] == acked[key]
        stored = _stored_amounts(base, cid)
        assert sorted(stored) == sorted(f"{n}.00" for n in sent.values())
