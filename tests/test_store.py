"""The register's store (engine/service/store.py): an append-only event log that loses nothing and
stores nothing twice, on SQLite and, where the machine has PostgreSQL's initdb, on a throwaway
PostgreSQL cluster started here (in a temporary folder, on a Unix socket only, stopped at the end).
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import store as S
from engine.conventions import yamlnodes as Y

# --------------------------------------------------------------------------- databases


def _initdb() -> str | None:
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        for v in sorted(os.listdir(base), reverse=True):
            if os.path.isfile(os.path.join(base, v, "bin", "initdb")):
                return os.path.join(base, v, "bin")
    return None


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL cluster of our own for this module: initdb in a temporary folder, a Unix
    socket there and no TCP listener, stopped and removed at the end."""
    url = os.environ.get("CONVENTION_TEST_POSTGRES")
    if url:
        yield url
        return
    bindir = _initdb()
    if bindir is None:
        pytest.skip("PostgreSQL (initdb) is not installed")
    folder = tempfile.mkdtemp(prefix="convention-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no postgres user to run the cluster")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(folder, "data")
    port = "5433"
    try:
        subprocess.run(as_user + [os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres",
                                  "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run(as_user + [os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(folder, "log"),
                                  "-w", "-t", "60", "-o", f"-k {folder} -c listen_addresses='' -p {port}", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a PostgreSQL cluster: {e}")
    try:
        yield f"postgresql://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run(as_user + [os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


# PostgreSQL starts a cluster of its own (initdb, a server): slow, left to CI by the fast loop.
POSTGRESQL = pytest.param("postgresql", marks=pytest.mark.slow)


@pytest.fixture(params=["sqlite", POSTGRESQL])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = S.Store(f"sqlite:///{tmp_path / 'register.db'}", max_events=20)
    else:
        s = S.Store(request.getfixturevalue("postgres_url"), max_events=20)
    yield s
    s.close()


HEADER = {"scenario": 1, "convention": "cdg62-demat", "name": "Ville de Calais", "start": "2026-01-01",
          "member": {"agents": 1480}, "consultations": {"2024": 118}}


def pay(i: int) -> dict:
    return {"date": "2026-02-01", "type": "payment", "amount": Decimal(f"{i}.10")}


# --------------------------------------------------------------------------- one writer


def test_create_and_read_back_as_received(store):
    header = dict(HEADER, name="Saint-Omer \u2028 «é» \U0001F600", overrides={"z": 1, "a": [Decimal("1000.10")]})
    cid, version, replayed = store.create(header, [pay(1), pay(2)])
    assert (version, replayed) == (2, False)
    got = store.read(cid)
    assert got.header == header and list(got.header) == list(header)  # values and key order
    assert got.events == (pay(1), pay(2))
    assert str(got.events[0]["amount"]) == "1.10"  # exact, never a float
    assert store.versions(cid) == [1, 2]
    assert cid in store.ids()


def test_append_versions_keys_and_if_match(store):
    cid, _, _ = store.create(HEADER)
    assert store.append(cid, pay(1)) == S.Appended(1, False)
    assert store.append(cid, pay(2), key="k-2", expected=1) == S.Appended(2, False)
    # the same key again: the first answer, nothing stored, whatever If-Match says (checked first)
    assert store.append(cid, pay(2), key="k-2", expected=0) == S.Appended(2, True)
    assert store.append(cid, {"type": "payment", "amount": Decimal("2.10"), "date": "2026-02-01"},
                        key="k-2") == S.Appended(2, True)  # the same mapping, keys in another order
    with pytest.raises(S.KeyReused):
        store.append(cid, pay(3), key="k-2")
    with pytest.raises(S.StaleVersion) as e:
        store.append(cid, pay(3), expected=1)
    assert (e.value.expected, e.value.current) == (1, 2)
    assert store.versions(cid) == [1, 2]
    # a key is scoped to its convention
    other, _, _ = store.create(HEADER)
    assert store.append(other, pay(9), key="k-2") == S.Appended(1, False)


def test_unknown_convention(store):
    with pytest.raises(S.NotFound):
        store.append("nope", pay(1))
    with pytest.raises(S.NotFound):
        store.read("nope")
    with pytest.raises(S.NotFound):
        store.version("nope")


def test_events_per_convention_are_bounded(store):
    with pytest.raises(S.TooManyEvents):
        store.create(HEADER, [pay(i) for i in range(21)])
    cid, _, _ = store.create(HEADER, [pay(i) for i in range(19)])
    assert store.append(cid, pay(19)).version == 20
    with pytest.raises(S.TooManyEvents):
        store.append(cid, pay(20))
    assert store.version(cid) == 20


def test_create_with_a_key_is_idempotent(store):
    a = store.create(HEADER, [pay(1)], key="create-1")
    b = store.create(HEADER, [pay(1)], key="create-1")
    assert a[:2] == b[:2] and (a[2], b[2]) == (False, True)
    with pytest.raises(S.KeyReused):
        store.create(dict(HEADER, name="other"), [pay(1)], key="create-1")


# --------------------------------------------------------------------------- many writers


def _writers(store, cid: str, writers: int, per_writer: int) -> dict[str, int]:
    """Each writer appends its events with a key, and sends every one of them twice (a client
    retrying after a lost answer); returns key -> the version each answer gave."""
    answers: dict[str, int] = {}
    lock = threading.Lock()

    def writer(w: int):
        for i in range(per_writer):
            key = f"w{w}-e{i}"
            ev = {"date": "2026-03-01", "type": "payment", "amount": f"{w}.{i:02d}"}
            first = store.append(cid, ev, key=key)
            again = store.append(cid, ev, key=key)
            assert again == S.Appended(first.version, True)
            with lock:
                answers[key] = first.version

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        for f in [pool.submit(writer, w) for w in range(writers)]:
            f.result(timeout=120)
    return answers


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", POSTGRESQL])
def test_eight_writers_fifty_events_each_stored_once(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'r.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store = S.Store(url)
    try:
        cid, _, _ = store.create(HEADER)
        answers = _writers(store, cid, 8, 50)
        got = store.read(cid)
        assert store.versions(cid) == list(range(1, 401))  # no gap, no duplicate
        assert sorted(answers.values()) == list(range(1, 401))
        for key, version in answers.items():
            w, i = key[1:].split("-e")
            assert got.events[version - 1]["amount"] == f"{w}.{int(i):02d}"
    finally:
        store.close()


def _process_writer(url: str, cid: str, w: int, n: int) -> dict:
    store = S.Store(url, create=False)
    out = {}
    for i in range(n):
        key = f"p{w}-e{i}"
        ev = {"date": "2026-03-01", "type": "payment", "amount": f"{w}.{i:02d}"}
        out[key] = store.append(cid, ev, key=key).version
        assert store.append(cid, ev, key=key).version == out[key]
    store.close()
    return out


@pytest.mark.slow
def test_processes_share_one_sqlite_file(tmp_path):
    """Two processes (as two uvicorn workers are) append to one SQLite file."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = S.Store(url)
    cid, _, _ = store.create(HEADER)
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(_process_writer, url, cid, w, 40) for w in range(2)]]
    versions = sorted(v for r in results for v in r.values())
    assert versions == list(range(1, 81)) == store.versions(cid)
    store.close()


def test_sqlite_is_in_wal_mode_with_full_sync(tmp_path):
    path = tmp_path / "r.db"
    store = S.Store(f"sqlite:///{path}")
    store.create(HEADER)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_urls():
    assert S.engine_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match="needs a file"):
        S.Store("sqlite://")
    with pytest.raises(ValueError, match="unsupported database"):
        S.Store("mysql://u@h/db")


# --------------------------------------------------------------------------- JSON


_scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=30)
            | st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=4), max_leaves=12)


def _from_engine(v: Y.Node):
    if v.kind == "map":
        return {k: _from_engine(x) for k, x in v.value.items()}
    if v.kind == "seq":
        return [_from_engine(x) for x in v.value]
    return v.value


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(_values)
def test_dumps_reads_back_as_written_by_json_and_by_the_engines_yaml_reader(value):
    text = S.dumps({"v": value})
    assert "\n" not in text  # one line: event N stays on line N of the register's document
    assert S.loads(text) == {"v": value}
    # The engine reads the register's document as YAML: the same values (an integral
    # Decimal reads back as such, a quoted text stays text, a date-like text is not a date).
    assert _from_engine(Y.from_text(text)) == {"v": value}


def test_body_hash_ignores_key_order_and_spacing():
    assert S.body_hash(json.loads('{"a": 1, "b": [1, 2]}')) == S.body_hash({"b": [1, 2], "a": 1})
    assert S.body_hash({"a": Decimal("1.10")}) != S.body_hash({"a": Decimal("1.1")})


# --------------------------------------------------------------------------- tenants, audit, keys


CALAIS, LIEVIN = S.Author("calais", "calais-app"), S.Author("lievin", "lievin-app")


def test_a_convention_is_its_tenants_and_invisible_to_another(store):
    cid, _, _ = store.create(HEADER, [pay(1)], by=CALAIS)
    assert store.tenant_of(cid) == "calais"
    assert store.read(cid, tenant="calais").events == (pay(1),)
    for read in (lambda: store.read(cid, tenant="lievin"), lambda: store.version(cid, tenant="lievin"),
                 lambda: store.header(cid, tenant="lievin"), lambda: store.event_texts(cid, tenant="lievin"),
                 lambda: store.history(cid, tenant="lievin"),
                 lambda: store.append(cid, pay(2), by=LIEVIN, tenant="lievin")):
        with pytest.raises(S.NotFound):
            read()
    assert store.versions(cid) == [1]  # the refused append stored nothing
    theirs, _, _ = store.create(HEADER, by=LIEVIN)
    assert store.ids(tenant="calais") == [cid] and store.ids(tenant="lievin") == [theirs]
    assert set(store.ids()) >= {cid, theirs}


def test_creation_keys_are_each_tenants_own(store):
    a = store.create(HEADER, key="k", by=CALAIS)
    b = store.create(dict(HEADER, name="other"), key="k", by=LIEVIN)  # no KeyReused: not the same key
    assert a[0] != b[0] and (a[2], b[2]) == (False, False)
    assert store.create(HEADER, key="k", by=CALAIS) == (a[0], 0, True)
    with pytest.raises(S.KeyReused):
        store.create(dict(HEADER, name="other"), key="k", by=CALAIS)


def test_every_event_records_who_stored_it_and_when(store):
    cid, _, _ = store.create(HEADER, [pay(1)], by=CALAIS)
    store.append(cid, pay(2), by=S.Author("calais", "cdg-desk"))
    rows = store.history(cid)
    assert [(r.version, r.tenant, r.key_name) for r in rows] == [(1, "calais", "calais-app"), (2, "calais", "cdg-desk")]
    assert S.loads(rows[1].body) == pay(2)
    for r in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r.received)


def test_keys_are_stored_as_hashes_and_revoked(store):
    from engine.service import auth

    record, key = auth.add_key(store, "calais", "member", "calais-app")
    assert key.startswith("cvk_") and len(key) >= 43 and key not in repr(store.list_keys())
    assert record.hash == auth.key_hash(key) and store.key_by_hash(record.hash) == record
    assert auth.authenticate(store, key) == auth.Caller("calais", "calais-app", "member")
    with pytest.raises(ValueError, match="already named"):
        auth.add_key(store, "lievin", "member", "calais-app")
    assert store.active_keys() == 1
    revoked = store.revoke_key(record.id)
    assert revoked.revoked is not None and store.revoke_key("calais-app").revoked == revoked.revoked
    assert store.active_keys() == 0
    with pytest.raises(S.UnknownKey):
        store.revoke_key("nope")
    with pytest.raises(auth.Problem) as e:
        auth.authenticate(store, key)
    assert e.value.status == 401
    assert auth.add_key(store, "calais", "cdg")[0].name.startswith("calais-cdg-")
    with pytest.raises(ValueError, match="invalid role"):
        auth.add_key(store, "calais", "root")


def test_a_register_made_before_tenants_is_refused_in_one_line(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE conventions (id VARCHAR(64) PRIMARY KEY, header TEXT NOT NULL, created VARCHAR(32) NOT NULL,
                                  idempotency_key VARCHAR(255) UNIQUE, body_hash VARCHAR(64) NOT NULL);
        CREATE TABLE events (convention_id VARCHAR(64), version INTEGER, body TEXT NOT NULL,
                             idempotency_key VARCHAR(255), body_hash VARCHAR(64) NOT NULL,
                             created VARCHAR(32) NOT NULL, PRIMARY KEY (convention_id, version));
    """)
    db.close()
    with pytest.raises(S.OldSchema) as e:
        S.Store(f"sqlite:///{path}")
    assert "\n" not in str(e.value) and "older engine" in str(e.value) and "conventions" in str(e.value)
    from engine import cli

    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()) as out:
        code = cli.main(["keys", "list", "--db", f"sqlite:///{path}"])
    assert code == 2 and out.getvalue() == "" and err.getvalue().count("\n") == 1
    assert err.getvalue().startswith(f"convention: --db sqlite:///{path}: the register was made by an older engine")
