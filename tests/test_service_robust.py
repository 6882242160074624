"""The service under abuse (issue 17 items 5 to 8): values bounded while a body is parsed,
duplicate keys, appends that would poison a convention, voiding, replays stopped at their time
limit, the portfolio going on past a broken convention, the database down, If-Match, slow
request heads, uvicorn's own 400s, health, readiness, metrics and request ids."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import warnings

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from engine import api
from engine.core import timebox
from engine.service import Limits, auth, bodies, create_app, limits as limits_mod
from engine.service.store import Store

from test_service import JSON, ROOT, YAML, _free_port, problem, read, run_cli, serving

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HEAD = read(os.path.join(ROOT, "scenarios", "fixed-term.yaml")).split("events:")[0]
AMENDMENT = read(os.path.join(ROOT, "scenarios", "amendment.yaml"))


@pytest.fixture()
def client(tmp_path):
    """The service with keys, every request sent with an admin key (named ``ops-admin``); a
    member key of the same tenant in ``client.member``."""
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    admin = auth.add_key(store, "ops", "admin", "ops-admin")[1]
    with TestClient(create_app(store), headers={"Authorization": f"Bearer {admin}"}) as c:
        c.member = auth.add_key(store, "ops", "member", "ops-member")[1]
        yield c


def _convention(c, text: str = HEAD) -> str:
    r = c.post("/v1/conventions", content=text, headers=YAML)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _version(c, cid: str) -> int:
    return c.get(f"/v1/conventions/{cid}").json()["version"]


# --------------------------------------------------------------------------- bounded parsing


def test_the_62_byte_amount_is_refused_at_once_and_nothing_is_stored(client):
    cid = _convention(client)
    body = b'{"date":"2026-02-01","type":"payment","amount":1E+999999999}'
    assert len(body) == 60  # the 62 bytes, without its two spaces
    started = time.monotonic()
    detail = problem(client.post(f"/v1/conventions/{cid}/events", content=body, headers=JSON), 422, "invalid-scenario")["detail"]
    assert time.monotonic() - started < 2
    assert "out of range" in detail
    assert _version(client, cid) == 0
    # the same number in a YAML body, in a scenario, and in the stateless replay
    yaml_event = b"{date: 2026-02-01, type: payment, amount: 1E+999999999}"
    problem(client.post(f"/v1/conventions/{cid}/events", content=yaml_event, headers=YAML), 422)
    problem(client.post("/v1/replay", content=HEAD + "events:\n  - " + yaml_event.decode() + "\n",
                        headers=YAML), 422)
    assert _version(client, cid) == 0


@pytest.mark.parametrize("literal", ["1E+999999999", "1e-999999999", "9" * 41, "0." + "1" * 40, "1" * 5000])
def test_number_literals_are_bounded_by_their_text(literal):
    with pytest.raises(Exception) as e:
        bodies.read_document(('{"amount": ' + literal + "}").encode(), False)
    assert "invalid-scenario" == e.value.kind
    # within the bounds: read exactly
    assert str(bodies.read_document(b'{"amount": 1234.50}', False).value["amount"]) == "1234.50"


def test_an_amount_of_a_megabyte_is_refused_and_reads_still_answer(client):
    cid = _convention(client)
    big = b'{"date":"2026-02-01","type":"payment","amount":' + b"9" * (1024 * 1024 - 100) + b"}"
    for _ in range(6):
        problem(client.post(f"/v1/conventions/{cid}/events", content=big, headers=JSON), 422, "invalid-scenario")
    assert client.get(f"/v1/conventions/{cid}/timeline").status_code == 200
    assert client.get("/v1/deadlines?before=2030-01-01").status_code == 200


def test_strings_and_durations_are_bounded():
    with pytest.raises(Exception) as e:
        bodies.read_document(json.dumps({"name": "x" * (limits_mod.STRING_CHARS + 1)}).encode(), False)
    assert "more than the limit" in e.value.detail
    with pytest.raises(Exception) as e:
        bodies.read_document(b'{"set": {"payment_term": "P9000Y"}}', False)
    assert "P9000Y" in e.value.detail and "longer than 100 years" in e.value.detail
    with pytest.raises(Exception) as e:  # in YAML too
        bodies.read_document(b"set: {payment_term: P9000Y}", True)
    assert "longer than 100 years" in e.value.detail
    assert bodies.read_document(b'{"t": "P30D"}', False).value == {"t": "P30D"}


def test_a_scenario_file_with_a_huge_amount_is_one_line_exit_2(tmp_path):
    for amount in ("1E+999999999", '"1E+999999999"', "1" * 5000):
        path = tmp_path / "huge.yaml"
        path.write_text(HEAD + f"events:\n  - {{date: 2026-02-01, type: payment, amount: {amount}}}\n")
        started = time.monotonic()
        code, out, err = run_cli("run", str(path))
        assert time.monotonic() - started < 5
        assert (code, out) == (2, "") and err.count("\n") == 1 and err.startswith(str(path) + ":"), err


def test_an_exact_decimal_with_a_huge_exponent_is_refused_by_the_loader():
    """An embedder handing a Decimal to load_event: refused before its digits are written out."""
    from decimal import Decimal

    from engine.errors import ScenarioError
    from engine.conventions.loader import load_event
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="too large"):
        load_event({"date": "2026-02-01", "type": "payment", "amount": Decimal("1E+999999999")},
                       rules="cdg62-demat")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("route", ["create", "append", "replay"])
def test_duplicate_keys_are_refused_everywhere(client, route):
    cid = _convention(client)
    event = '{"date": "2026-02-01", "type": "payment", "amount": "1.00", "amount": "2.00"}'
    if route == "append":
        r = client.post(f"/v1/conventions/{cid}/events", content=event, headers=JSON)
    else:
        scenario = json.dumps(bodies.read_document(HEAD.encode(), True).value)
        text = scenario[:-1] + ', "events": [' + event + "]}"
        r = client.post("/v1/conventions" if route == "create" else "/v1/replay", content=text,
                        headers=JSON)
    assert "duplicate key 'amount'" in problem(r, 422, "invalid-scenario")["detail"]
    assert _version(client, cid) == 0


# --------------------------------------------------------------------------- poison-proof appends


def test_the_p9000y_amendment_is_refused_and_nothing_is_stored(client, monkeypatch):
    """The issue's P9000Y amendment (accepted with 201 before, then every read 500): refused,
    by the body's bounds and, past them, by the engine's reader."""
    cid = _convention(client, AMENDMENT)
    before = _version(client, cid)
    poison = {"date": "2026-06-01", "type": "amendment", "ref": "Avenant 9", "effective": "2026-07-01",
              "set": {"contribution": {"payment_term": "P9000Y"}}}
    problem(client.post(f"/v1/conventions/{cid}/events", json=poison), 422, "invalid-scenario")
    monkeypatch.setattr(limits_mod, "DURATION_YEARS", 100_000)
    problem(client.post(f"/v1/conventions/{cid}/events", json=poison), 422, "invalid-scenario")
    assert _version(client, cid) == before
    for read_path in ("timeline", "state", "deadlines", "deadlines.ics"):
        assert client.get(f"/v1/conventions/{cid}/{read_path}").status_code == 200


def test_an_append_that_breaks_a_read_is_refused_and_nothing_is_stored(client, monkeypatch):
    """An event the reader accepts but with which a read would fail (as `year 11027 is out of
    range` did): the replay before commit refuses it with the engine's message."""
    from decimal import Decimal

    from engine import application

    cid = _convention(client, AMENDMENT)
    before = _version(client, cid)
    timeline = client.get(f"/v1/conventions/{cid}/timeline").content
    real = application.deadlines

    def failing(s, as_of):  # a read that breaks on one amount, as a far date broke them
        if any(getattr(e, "amount", None) == Decimal("666.00") for e in s.events):
            raise OverflowError("date value out of range")
        return real(s, as_of)

    monkeypatch.setattr(application, "deadlines", failing)
    r = client.post(f"/v1/conventions/{cid}/events", json={"date": "2026-06-01", "type": "payment",
                                                            "amount": "666.00"})
    detail = problem(r, 422, "invalid-scenario")["detail"]
    assert detail == ("<request>:0: with this event the convention no longer replays: "
                      "OverflowError: date value out of range"), detail
    assert _version(client, cid) == before
    assert client.get(f"/v1/conventions/{cid}/timeline").content == timeline
    assert client.get(f"/v1/conventions/{cid}/deadlines").status_code == 200
    ok = client.post(f"/v1/conventions/{cid}/events", json={"date": "2026-06-01", "type": "payment",
                                                             "amount": "667.00"})
    assert ok.status_code == 201 and ok.json() == {"version": before + 1}


def test_the_replay_before_commit_runs_in_the_write_transaction(tmp_path):
    """The check sees the events committed before it, the new one last, and what it raises
    leaves nothing stored."""
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    cid, _, _ = store.create({"scenario": 1}, [{"n": 1}])
    seen = []

    def refuse(header, texts):
        seen.append((header, texts))
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.append(cid, {"n": 2}, check=refuse)
    assert seen == [({"scenario": 1}, ('{"n": 1}', '{"n": 2}'))] and store.version(cid) == 1
    assert store.append(cid, {"n": 2}, check=lambda h, t: None).version == 2


# --------------------------------------------------------------------------- isolation


def test_the_portfolio_reports_a_convention_that_cannot_be_replayed_and_goes_on(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    with TestClient(create_app(db, authenticate=False)) as c:
        good = _convention(c, AMENDMENT)
        bad = _convention(c, AMENDMENT)
    # a poisoned row from before the check (or written by hand): stored without the check
    Store(db).append(bad, {"date": "2026-06-01", "type": "amendment", "ref": "x", "effective": "2026-07-01",
                           "set": {"contribution": {"payment_term": "P9000Y"}}})
    with TestClient(create_app(db, authenticate=False)) as c:
        r = c.get("/v1/deadlines?as_of=2026-01-01&before=2030-01-01")
        assert r.status_code == 200, r.text
        out = r.json()
        assert [e["id"] for e in out["errors"]] == [bad] and "payment_term" in out["errors"][0]["error"]
        assert {d["id"] for d in out["deadlines"]} == {good}


def test_a_replay_stops_at_its_limit_from_inside():
    s = api.load_scenario(os.path.join(ROOT, "scenarios", "pas-de-calais.yaml"))
    with timebox.limit(0.0):
        with pytest.raises(timebox.ReplayTimeout):
            api.replay(s)
    api.replay(s)  # the limit is gone with its block
    # the sooner of two nested limits holds
    with timebox.limit(100), timebox.limit(0.0), pytest.raises(timebox.ReplayTimeout):
        api.replay(s)


def test_a_timed_out_replay_no_longer_runs(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'r.db'}", limits=Limits(replay_seconds=0.001),
                     authenticate=False)
    scenario = read(os.path.join(ROOT, "scenarios", "pas-de-calais.yaml"))
    with TestClient(app) as c:
        before = threading.active_count()
        problem(c.post("/v1/replay", content=scenario, headers=YAML), 503, "timeout")
        # the thread stopped itself at the limit: counted as a timeout, no thread left running
        deadline = time.monotonic() + 5
        while "outcome=\"timeout\"} 1.0" not in c.get("/metrics").text:
            assert time.monotonic() < deadline, "the replay did not stop"
            time.sleep(0.02)
        assert threading.active_count() <= before + 1


def test_the_stateless_routes_obey_the_event_limit(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'r.db'}", limits=Limits(events=3), authenticate=False)
    four = HEAD + "events:\n" + "".join(f"  - {{date: 2026-02-0{i}, type: payment, amount: '1.00'}}\n"
                                        for i in range(1, 5))
    with TestClient(app) as c:
        for route in ("/v1/replay", "/v1/check"):
            assert "more than the 3" in problem(c.post(route, content=four, headers=YAML), 422)["detail"]


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("value,status", [("²", 400), ("٣", 400), ("1²", 400), ("abc", 400), ("-1", 400),
                                          ("1 2", 400), ("0x1", 400), ("9999999999", 400), ("7", 412),
                                          ('"7"', 412), ('W/"0"', 201)])
def test_if_match_takes_ascii_digits_only(client, value, status):
    cid = _convention(client)
    r = client.post(f"/v1/conventions/{cid}/events", headers={"If-Match": value.encode("utf-8")},
                    json={"date": "2026-02-01", "type": "payment", "amount": "1.00"})
    if status == 201:
        assert r.status_code == 201, r.text
    else:
        problem(r, status, "invalid-parameter" if status == 400 else "stale-version")


def _database_down(url: str) -> None:
    app = create_app(Store(url, create=False), authenticate=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        for r in (c.get("/readyz"), c.get("/v1/conventions/abc"), c.get("/v1/deadlines?before=2030-01-01"),
                  c.post("/v1/conventions", content=HEAD, headers=YAML)):
            body = problem(r, 503, "unavailable")
            text = r.text.lower()
            for leak in ("127.0.0.1", "postgres", "psycopg", "connection", "port", "sqlalchemy"):
                assert leak not in text, r.text
            assert body["detail"] == "the register's database is unavailable" and r.headers["retry-after"]


def test_a_database_that_cannot_be_reached_is_503_without_internals():
    _database_down(f"postgresql://postgres:secret@127.0.0.1:{_free_port()}/register")


@pytest.mark.slow
def test_a_stopped_postgresql_is_503_without_internals(request):
    from test_store import _initdb  # the throwaway cluster of tests/test_store.py

    url = request.getfixturevalue("postgres_url")
    with TestClient(create_app(url, authenticate=False)) as c:
        assert c.get("/readyz").status_code == 200
        cid = _convention(c)
    if os.environ.get("CONVENTION_TEST_POSTGRES"):
        pytest.skip("a cluster of the environment is not ours to stop")
    folder = url.split("host=")[1].split("&")[0]
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(as_user + [os.path.join(_initdb(), "pg_ctl"), "-D", os.path.join(folder, "data"),
                              "-m", "fast", "-w", "stop"], check=True, capture_output=True, timeout=60)
    _database_down(url)
    assert cid


from test_store import postgres_url  # noqa: E402,F401  (the fixture, for the test above)


def _raw(port: int, data: bytes, wait: float = 10) -> tuple[bytes, float]:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        started = time.monotonic()
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got, time.monotonic() - started
            got += chunk


@pytest.mark.slow
def test_slow_heads_are_closed_and_the_servers_own_400_is_a_problem(tmp_path):
    os.environ["CONVENTION_HEADER_SECONDS"] = "1"
    try:
        with serving(f"sqlite:///{tmp_path / 'r.db'}") as (base, _):
            port = int(base.rsplit(":", 1)[1])
            got, seconds = _raw(port, b"GET /v1/rules HTTP/1.1\r\nHost: x\r\n")  # never ends its head
            assert 0.9 < seconds < 5, seconds
            head, _, body = got.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408 ") and b"application/problem+json" in head
            assert json.loads(body)["type"] == "/problems/timeout-head"
            got, _ = _raw(port, b"NOT HTTP AT ALL\r\n\r\n")
            head, _, body = got.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 ") and b"application/problem+json" in head
            assert json.loads(body)["type"] == "/problems/invalid-request"
            # a kept-alive connection: its next head has the same limit
            got, seconds = _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n")
            assert got.count(b"HTTP/1.1 200 OK") == 1 and b"HTTP/1.1 408 " in got and seconds < 5
            assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        del os.environ["CONVENTION_HEADER_SECONDS"]


# --------------------------------------------------------------------------- operations


def test_health_readiness_metrics_and_request_ids(client, caplog):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    with caplog.at_level(logging.INFO, logger="engine.service.access"):
        r = client.get("/v1/rules", headers={"X-Request-Id": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123"
        bad = client.get("/v1/conventions/nope", headers={"X-Request-Id": "no spaces allowed"})
        assert bad.status_code == 404 and len(bad.headers["x-request-id"]) == 32  # made anew
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "engine.service.access"]
    assert {"request_id": "abc-123", "method": "GET", "route": "/v1/rules", "status": 200,
            "tenant": "ops", "key": "ops-admin"}.items() <= lines[0].items()
    assert lines[1]["route"] == "/v1/conventions/{id}" and lines[1]["status"] == 404
    client.post("/v1/replay", content=HEAD, headers=YAML)
    # the probes answer without a key; the metrics need one (any role)
    nokey = {"Authorization": "Bearer nope"}
    assert client.get("/healthz", headers=nokey).status_code == client.get("/readyz", headers=nokey).status_code == 200
    problem(client.get("/metrics", headers=nokey), 401, "unauthorized")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {client.member}"}).status_code == 200
    m = client.get("/metrics")
    assert m.headers["content-type"].startswith("text/plain")
    text = m.text
    assert 'convention_http_requests_total{method="GET",route="/v1/rules",status="200"} 1.0' in text
    assert 'convention_http_requests_total{method="GET",route="/v1/conventions/{id}",status="404"} 1.0' in text
    assert 'convention_http_request_seconds_bucket{le="+Inf",method="GET",route="/v1/rules"} 1.0' in text
    assert 'convention_replays_total{outcome="ok"} 1.0' in text
    assert "convention_replay_seconds_count 1.0" in text


# --------------------------------------------------------------------------- voiding


def test_a_voided_event_is_kept_recorded_and_skipped_by_the_replay(client, tmp_path):
    cid = _convention(client, AMENDMENT)
    n = _version(client, cid)
    timeline = client.get(f"/v1/conventions/{cid}/timeline").content
    wrong = {"date": "2026-03-01", "type": "payment", "amount": "777.00"}
    assert client.post(f"/v1/conventions/{cid}/events", json=wrong).json() == {"version": n + 1}
    assert client.get(f"/v1/conventions/{cid}/timeline").content != timeline

    r = client.post(f"/v1/conventions/{cid}/events/{n + 1}/void", json={"reason": "entered twice"})
    assert r.status_code == 200, r.text
    voided = r.json()["voided"]
    assert voided["by"] == "ops-admin" and voided["reason"] == "entered twice" and voided["at"].endswith("Z")
    # the replay skips it: the timeline is the one before, and it equals `convention run` of
    # the register's document (the voided event's line left empty, the others on their lines)
    assert client.get(f"/v1/conventions/{cid}/timeline").content == timeline
    doc = client.get(f"/v1/conventions/{cid}/scenario").text
    assert doc.count("\n") == n + 1 and "777.00" not in doc
    path = tmp_path / "doc.json"
    path.write_text(doc)
    code, out, _ = run_cli("run", str(path), "--format", "json")
    assert code == 0 and out.encode() == timeline
    # kept, and visible with who, when and why
    history = client.get(f"/v1/conventions/{cid}/events").json()
    assert history["version"] == n + 1 and len(history["events"]) == n + 1
    assert history["events"][-1]["event"] == wrong and history["events"][-1]["voided"] == voided
    assert all(e["voided"] is None for e in history["events"][:-1])
    # once only; the version stays (a void is not an event)
    problem(client.post(f"/v1/conventions/{cid}/events/{n + 1}/void", json={"reason": "again"}), 409, "already-voided")
    assert _version(client, cid) == n + 1
    # an append after it takes the next version; its line is its version
    assert client.post(f"/v1/conventions/{cid}/events", json=wrong).json() == {"version": n + 2}
    doc = client.get(f"/v1/conventions/{cid}/scenario").text
    assert doc.split("\n")[n + 1].startswith('{"date": "2026-03-01"') and doc.split("\n")[n] == ""


def test_a_void_is_refused_when_it_would_break_the_replay_or_is_malformed(client, monkeypatch):
    cid = _convention(client, AMENDMENT)
    n = _version(client, cid)
    for bad, status in ((f"{n + 1}", 404), ("0", 400), ("²", 400), ("x", 400)):
        r = client.post(f"/v1/conventions/{cid}/events/{bad}/void", json={"reason": "r"})
        problem(r, status)
    problem(client.post(f"/v1/conventions/nope/events/1/void", json={"reason": "r"}), 404)
    for body in ({}, {"reason": ""}, {"reason": 3}, {"reason": "r", "by": "me"}, {"reason": "x" * 1001}):
        problem(client.post(f"/v1/conventions/{cid}/events/1/void", json=body), 422, "invalid-scenario")
    # a key other than an admin key may not void (the authorization hook): nothing voided
    member = {"Authorization": f"Bearer {client.member}"}
    body = problem(client.post(f"/v1/conventions/{cid}/events/1/void", json={"reason": "r"}, headers=member),
                   403, "forbidden")
    assert "role member" in body["detail"]
    assert all(e["voided"] is None for e in client.get(f"/v1/conventions/{cid}/events").json()["events"])
    # the hook is the one place that decides
    from engine.service import problems, voiding

    def nobody(request):
        raise problems.Problem("forbidden", "voiding an event is for an administrator")
    monkeypatch.setattr(voiding, "void_actor", nobody)
    problem(client.post(f"/v1/conventions/{cid}/events/1/void", json={"reason": "r"}), 403, "forbidden")
    assert all(e["voided"] is None for e in client.get(f"/v1/conventions/{cid}/events").json()["events"])


def test_a_void_that_would_break_the_replay_stores_nothing(tmp_path):
    """The void's check sees the convention without the event, in the write transaction."""
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    cid, _, _ = store.create({"scenario": 1}, [{"n": 1}, {"n": 2}])
    seen = []

    def refuse(header, texts):
        seen.append(texts)
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.void(cid, 1, by="a", reason="r", check=refuse)
    assert seen == [(None, '{"n": 2}')]
    assert [e.voided for e in store.history(cid)] == [None, None]
