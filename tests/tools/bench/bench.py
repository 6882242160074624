"""Performance benchmark of convention-engine (issue #5). Run by hand, never collected by pytest.

    python tests/tools/bench/bench.py              # full run: 10,000 conventions, 100,000 for memory
    python tests/tools/bench/bench.py --quick      # small run, to check that everything works
    python tests/tools/bench/bench.py --count 2000 --seed 7
    python tests/tools/bench/bench.py --profile 500   # only the cProfile breakdown, on 500 conventions

What it measures, in one run (see docs/performance.md for the figures on the reference machine):
  1. the rules engine's ceiling: a trivial 10-rule durable_rules ruleset (JSON definitions, a Host
     whose ``_run`` does nothing, one post at a time, unique ``seq``, a fresh sid per convention
     and ``delete_state`` after), fed exactly as many events, grouped by sid the same way, as the
     engine posted in step 2;
  2. the engine's own rate on N generated ten-year cdg62-demat conventions (loaded before timing;
     only the replays are timed), with every post counted by wrapping
     ``engine.core.rulecore.Decider.decide``; then the same for N cdg62-medecine conventions (four years
     of quarterly calls) and N cdg62-assurance conventions (up to the fixed end, 2028-12-31);
  3. ``convention batch --jobs 1/2`` on the same conventions written as YAML files, or, when
     that command does not exist yet, a ProcessPoolExecutor of 1 and 2 workers over the files;
  4. latency of one in-process replay of scenarios/pas-de-calais.yaml and of one
     ``Session.apply`` + ``timeline()``;
  5. peak RSS of a fresh process replaying 10,000 and 100,000 conventions one at a time;
  6. wall time of ``convention run scenarios/pas-de-calais.yaml`` beside ``python -c "import engine"``;
  7. a cProfile breakdown of load + replay (durable_rules' post vs the driver vs the loader);
  8. with ``--service``, only the HTTP service: requests/s and latency of ``POST /v1/replay`` and
     of an event appended + the timeline read, with 1 and 2 uvicorn workers.

Nothing here is part of CI's pass/fail: the targets are printed as met / not met.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import cProfile
import datetime as dt
import io
import json
import multiprocessing
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PAS_DE_CALAIS = os.path.join(ROOT, "scenarios", "pas-de-calais.yaml")

# Targets (issue #5).
T_CEILING_RATIO = 2.0  # engine time within 2x the ceiling's time for the same posted events
T_RATE = 500.0  # ten-year conventions per second on one core
T_SCALE = 1.8  # two processes: 1.8x the one-core target
T_MEMORY_MB = 200.0  # peak RSS with 100,000 conventions replayed
T_CLI_S = 0.5  # `convention run` wall time

GRID_LARGE = [Decimal("250.00"), Decimal("500.00"), Decimal("1000.00"), Decimal("2000.00"), Decimal("4000.00")]
BAND_MAX = [49, 150, 250, 350]
AGENTS_MAX_SMALL = 350
CENT = Decimal("0.01")


# ----------------------------------------------------------------------------- generated scenarios


def _plus_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _annual(agents: int, count: int | None) -> Decimal:
    """Roughly what the cdg62-demat grid asks (a payer's guess, not the engine's figure)."""
    if agents <= AGENTS_MAX_SMALL:
        return Decimal("0.00")
    band = 1
    if count is not None:
        band = 1 + sum(1 for m in BAND_MAX if count > m)
    return GRID_LARGE[band - 1]


def generate(rng: random.Random, i: int) -> dict:
    """One ten-year convention as a scenario mapping (what ``yaml.safe_load`` would return)."""
    r = rng.random()
    if r < 0.25:  # a month end, 29 February included when the year has one
        start = _month_end(rng.randint(2020, 2030), rng.randint(1, 12))
    elif r < 0.40:
        start = dt.date(rng.randint(2020, 2030), 1, 1)
    else:
        start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, (dt.date(2030, 12, 31) - dt.date(2020, 1, 1)).days))
    horizon = _plus_years(start, 10)
    agents = rng.randint(10, 6000)
    count = rng.randint(0, 500)
    consultations = {}
    for y in range(start.year - rng.randint(1, 3), start.year):
        count = max(0, count + rng.randint(-40, 40))
        consultations[y] = count

    events: list[dict] = []
    # A notice now and then; nothing is paid once the notice has run its longest period (6 months).
    notice_day = None
    if rng.random() < 0.15:
        notice_day = start + dt.timedelta(days=rng.randint(30, (horizon - start).days - 30))
        by = rng.choice(("member", "cdg"))
        if by == "member":
            a = notice_day - dt.timedelta(days=rng.randint(0, 6))
            b = notice_day - dt.timedelta(days=rng.randint(0, 6))
            received = {"cdg": a, "archives": b}
        else:
            received = {"member": notice_day - dt.timedelta(days=rng.randint(0, 6))}
        notice = {"date": notice_day, "type": "notice", "by": by, "received": received}
        if rng.random() < 0.5:
            notice["sent"] = min(received.values()) - dt.timedelta(days=rng.randint(1, 4))
        if by == "cdg" and rng.random() < 0.5:
            notice["reason"] = "non_payment"
        events.append(notice)
    stop = horizon if notice_day is None else min(horizon, notice_day + dt.timedelta(days=183))

    known = count  # the latest count the member knows of
    for year in range(start.year, horizon.year + 1):
        call = start if year == start.year else dt.date(year, 1, 1)
        if call > stop:
            break
        # The previous year's count, learned in January (some years only).
        if year > start.year and rng.random() < 0.6:
            known = max(0, known + rng.randint(-40, 40))
            day = dt.date(year, 1, rng.randint(5, 28))
            if day <= stop:
                events.append({"date": day, "type": "consultations", "year": year - 1, "count": known})
        amount = _annual(agents, known)
        if year == start.year:
            days = (dt.date(year, 12, 31) - start).days + 1
            amount = (amount * days / (366 if year % 4 == 0 else 365)).quantize(CENT, ROUND_HALF_UP)
        if amount <= 0:
            continue
        p = rng.random()
        if p < 0.08:  # missing
            continue
        if p < 0.18:  # late
            day = call + dt.timedelta(days=rng.randint(31, 150))
        elif p < 0.26:  # partial, on time
            day = call + dt.timedelta(days=rng.randint(1, 29))
            amount = (amount / 2).quantize(CENT, ROUND_HALF_UP)
        else:
            day = call + dt.timedelta(days=rng.randint(1, 29))
        if day <= stop:
            events.append({"date": day, "type": "payment", "amount": f"{amount:.2f}"})
    events.sort(key=lambda e: e["date"])
    return {
        "scenario": 1,
        "convention": "cdg62-demat",
        "name": f"Generated convention {i}",
        "start": start,
        "horizon": horizon,
        "member": {"agents": agents},
        "consultations": consultations,
        "events": events,
    }


def generate_many(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [generate(rng, i) for i in range(n)]


def _payments(rng: random.Random, calls: list[tuple[dt.date, Decimal]], stop: dt.date) -> list[dict]:
    """A payer's habits for each call: mostly on time, some late, partial or missing."""
    out = []
    for call, amount in calls:
        p = rng.random()
        if amount <= 0 or p < 0.06:
            continue
        day = call + dt.timedelta(days=rng.randint(31, 120) if p < 0.15 else rng.randint(1, 29))
        if p >= 0.15 and p < 0.22:
            amount = (amount / 2).quantize(CENT, ROUND_HALF_UP)
        if day <= stop and amount > 0:
            out.append({"date": day, "type": "payment", "amount": f"{amount:.2f}"})
    return out


def generate_medecine(rng: random.Random, i: int) -> dict:
    """One cdg62-medecine convention over its whole life (a year renewed three times: four
    years of quarterly calls), payroll declared each spring, now and then a notice."""
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 4 * 365))
    horizon = _plus_years(start, 4)
    payroll = Decimal(rng.randint(20_000, 3_000_000))
    known = {y: f"{payroll * Decimal(1 + (y - start.year) / 50):.2f}" for y in range(start.year - 2, start.year)}
    events: list[dict] = []
    stop = horizon
    if rng.random() < 0.2:
        day = start + dt.timedelta(days=rng.randint(60, 3 * 365))
        by = rng.choice(("member", "cdg"))
        events.append({"date": day, "type": "notice", "by": by,
                       "received": {"cdg" if by == "member" else "member": day - dt.timedelta(days=rng.randint(0, 5))}})
        stop = min(stop, day + dt.timedelta(days=460))
    for year in range(start.year, horizon.year + 1):
        day = dt.date(year, 3, rng.randint(1, 31))
        if start < day <= stop and rng.random() < 0.85:
            events.append({"date": day, "type": "payroll", "year": year - 1,
                           "amount": f"{payroll * Decimal(1 + (year - 1 - start.year) / 50):.2f}"})
    rate = Decimal("0.0036")
    quarter = max(Decimal("160.00"), (payroll * rate).quantize(CENT)) / 4
    calls, day = [], start
    while day <= stop:
        calls.append((day, quarter.quantize(CENT)))
        first_month = (day.month - 1) // 3 * 3 + 1
        day = dt.date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
    events += _payments(rng, calls, stop)
    events.sort(key=lambda e: e["date"])
    return {"scenario": 1, "convention": "cdg62-medecine", "name": f"Generated medecine {i}",
            "start": start, "horizon": horizon, "payroll": known, "events": events}


def generate_assurance(rng: random.Random, i: int) -> dict:
    """One cdg62-assurance convention from its start to a year after the fixed end (2028-12-31):
    the year's base declared in the spring (the call is provisional until then), sometimes a
    notice for the next 31 December."""
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 5 * 365 - 1))
    horizon = dt.date(2029, 12, 31)
    base = Decimal(rng.randint(50_000, 5_000_000))
    known = {start.year - 1: f"{base:.2f}"}
    events: list[dict] = []
    stop = horizon
    if rng.random() < 0.2:
        day = start + dt.timedelta(days=rng.randint(30, max(31, (dt.date(2028, 12, 31) - start).days)))
        by = rng.choice(("member", "cdg"))
        events.append({"date": day, "type": "notice", "by": by,
                       "received": {"cdg" if by == "member" else "member": day - dt.timedelta(days=rng.randint(0, 5))}})
        stop = min(stop, dt.date(day.year + 1, 12, 31))
    calls = []
    for year in range(start.year, 2029):
        call = start if year == start.year else dt.date(year, 1, 1)
        base = (base * Decimal("1.02")).quantize(CENT)
        day = dt.date(year + 1, 3, rng.randint(1, 31))
        if rng.random() < 0.9 and day <= stop:
            events.append({"date": day, "type": "insured_base", "year": year, "amount": f"{base:.2f}"})
        calls.append((call, (base * Decimal("0.0652")).quantize(CENT)))
    events += _payments(rng, calls, stop)
    events.sort(key=lambda e: e["date"])
    return {"scenario": 1, "convention": "cdg62-assurance", "name": f"Generated assurance {i}",
            "start": start, "horizon": horizon, "insured_base": known, "events": events}


# ----------------------------------------------------------------------------- helpers


def median(xs):
    return statistics.median(xs)


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def loadavg() -> str:
    """Other processes on the machine skew wall times: the 1-minute load average says how much."""
    return f"[load {os.getloadavg()[0]:.2f}]"


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def tree_state() -> str:
    """The commit and the uncommitted engine/ and rules/ files the figures were taken with."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=ROOT).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "engine", "rules"], capture_output=True,
                               text=True, cwd=ROOT).stdout.split("\n")
    except OSError:
        return "unknown (no git)"
    files = [ln[3:] for ln in dirty if ln.strip()]
    return f"HEAD {head}" + (f", uncommitted: {', '.join(files)}" if files else ", clean")


def say(*parts) -> None:
    print(*parts, flush=True)


class PostCounter:
    """Counts posts by wrapping engine.core.rulecore.Decider.decide, in this process only."""

    def __init__(self) -> None:
        import engine.core.rulecore as rc

        self.rc = rc
        self.original = rc.Decider.decide
        self.posts = 0

    def __enter__(self):
        original = self.original
        counter = self

        def decide(self, message):
            counter.posts += 1
            return original(self, message)

        self.rc.Decider.decide = decide
        return self

    def __exit__(self, *exc):
        self.rc.Decider.decide = self.original


# ----------------------------------------------------------------------------- 1. ceiling


def ceiling(groups: list[int]) -> dict:
    """Post sum(groups) events to a trivial 10-rule ruleset, one sid per group (like a replay)."""
    import durable.engine

    fired: list[str] = []

    class Host(durable.engine.Host):
        def _run(self):  # no timer threads
            pass

        def get_action(self, action_name):
            def action(c):  # one argument: synchronous
                fired.append(action_name)

            return action

    rules = {}
    for k in range(9):
        rules[f"r{k}"] = {"pri": k + 1, "all": [{"m": {"$and": [{"t": f"k{k}"}, {"$gte": {"amount": 0}}]}}],
                          "run": f"r{k}"}
    rules["catch_all"] = {"pri": 100, "all": [{"m": {"$ex": {"t": 1}}}], "run": "catch_all"}
    host = Host()
    host.register_rulesets({"trivial": json.loads(json.dumps(rules))})
    kinds = [f"k{k}" for k in range(10)]  # k9 falls to the catch-all
    day0 = dt.date(2026, 1, 1).toordinal()
    # Messages built before timing, as the engine's are built by the driver (not the rules engine).
    total = sum(groups)
    base = [{"t": kinds[j % 10], "date": dt.date.fromordinal(day0 + j % 3650).isoformat(),
             "day": day0 + j % 3650, "amount": (j % 5000) * 1.0} for j in range(min(total, 50_000))]
    sid = 0
    j = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    for g in groups:
        sid += 1
        s = f"s{sid}"
        for seq in range(1, g + 1):
            m = dict(base[j % len(base)], sid=s, seq=seq)
            j += 1
            fired.clear()
            state = host.post("trivial", m)
            if "exception" in state or len(fired) != 1:
                raise RuntimeError(f"ceiling ruleset misbehaved: {state} {fired}")
        host.delete_state("trivial", s)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"events": total, "seconds": elapsed, "rate": total / elapsed, "cpu": cpu, "cpu_rate": total / cpu}


# ----------------------------------------------------------------------------- 2. engine rate


def engine_rate(mappings: list[dict]) -> dict:
    import engine

    t0 = time.perf_counter()
    scenarios = [engine.load_scenario(m) for m in mappings]
    load_s = time.perf_counter() - t0
    engine.replay(engine.load_scenario(PAS_DE_CALAIS))  # warm: rules file, ruleset registration
    groups = []
    entries = 0
    with PostCounter() as pc:
        c0 = time.process_time()
        t0 = time.perf_counter()
        for s in scenarios:
            before = pc.posts
            t = engine.replay(s)
            entries += len(t.entries)
            groups.append(pc.posts - before)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
    n = len(scenarios)
    return {"conventions": n, "seconds": elapsed, "rate": n / elapsed, "posts": pc.posts,
            "post_rate": pc.posts / elapsed, "groups": groups, "load_seconds": load_s,
            "load_rate": n / load_s, "entries": entries, "cpu": cpu, "cpu_rate": n / cpu}


# ----------------------------------------------------------------------------- 8. service


def service(workers: int, seconds: float, clients: int = 4) -> dict:
    """`convention serve --workers N` on 127.0.0.1 and a temporary SQLite file, driven by
    ``clients`` threads for ``seconds`` each: POST /v1/replay of pas-de-calais (YAML), then one
    event appended and the timeline read (a pair) on a registered convention of its own per client."""
    import socket
    import signal
    import threading

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="convention-serve-")
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--db", f"sqlite:///{folder}/r.db", "--workers", str(workers)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    body = open(PAS_DE_CALAIS, "rb").read()
    out = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v1/rules", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")

        def drive(action) -> tuple[int, list[float]]:
            lat: list[list[float]] = [[] for _ in range(clients)]
            stop_at = time.monotonic() + seconds

            def client(i: int) -> None:
                with httpx.Client(base_url=base, timeout=30) as c:
                    state = {}
                    while time.monotonic() < stop_at:
                        t0 = time.perf_counter()
                        action(c, state, i)
                        lat[i].append(time.perf_counter() - t0)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return sum(map(len, lat)), [x for xs in lat for x in xs]

        def replay_once(c, state, i):
            r = c.post("/v1/replay", content=body, headers={"Content-Type": "application/yaml"})
            assert r.status_code == 200, r.text

        def append_and_read(c, state, i):
            if "id" not in state:
                r = c.post("/v1/conventions", content=body, headers={"Content-Type": "application/yaml"})
                assert r.status_code == 201, r.text
                state["id"], state["n"] = r.json()["id"], 0
            state["n"] += 1
            day = dt.date(2026, 1, 2) + dt.timedelta(days=state["n"] % 2000)
            r = c.post(f"/v1/conventions/{state['id']}/events",
                       json={"date": day.isoformat(), "type": "payment", "amount": "1.00"})
            assert r.status_code == 201, r.text
            r = c.get(f"/v1/conventions/{state['id']}/timeline")
            assert r.status_code == 200, r.text

        for name, action in (("replay", replay_once), ("append+timeline", append_and_read)):
            n, lat = drive(action)
            out[name] = {"rate": n / seconds, "p50": median(lat) * 1000, "p95": p95(lat) * 1000}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        shutil.rmtree(folder, ignore_errors=True)
    return out


# ----------------------------------------------------------------------------- 3. batch


def _dump(mapping: dict, path: str) -> None:
    import yaml

    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(mapping, fh, sort_keys=False, allow_unicode=True)


def write_files(mappings: list[dict], folder: str) -> list[str]:
    paths = []
    for i, m in enumerate(mappings):
        p = os.path.join(folder, f"c{i:06d}.yaml")
        _dump(m, p)
        paths.append(p)
    return paths


def _worker_warm(_):
    import engine

    engine.replay(engine.load_scenario(PAS_DE_CALAIS))
    return os.getpid()


def _worker_chunk(paths: list[str]) -> int:
    import engine

    n = 0
    for p in paths:
        n += len(engine.replay(engine.load_scenario(p)).entries)
    return n


def batch_available() -> str | None:
    """How `convention batch` can be run here, or None."""
    try:
        import engine.answers.batch  # noqa: F401
    except ImportError:
        return None
    exe = shutil.which("convention", path=os.path.dirname(sys.executable)) or shutil.which("convention")
    if exe is None:
        return None
    r = subprocess.run([exe, "batch", "--help"], capture_output=True, text=True)
    return exe if r.returncode == 0 else None


def batch_command(folder: str, n: int, jobs: int, exe: str) -> dict:
    """`convention batch FOLDER --jobs N --format csv`: subprocess wall time, start-up included."""
    t0 = time.perf_counter()
    r = subprocess.run([exe, "batch", folder, "--jobs", str(jobs), "--format", "csv"],
                       capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - t0
    rows = r.stdout.splitlines()[1:]
    ok = sum(1 for row in rows if row.split(",")[1:2] == ["ok"])
    how = f"convention batch DIR --jobs {jobs} (exit {r.returncode}, {ok}/{n} rows ok, start-up included)"
    if r.returncode != 0:
        how += f" stderr: {r.stderr.strip()[:200]}"
    return {"jobs": jobs, "seconds": elapsed, "rate": n / elapsed, "how": how, "ok": ok}


def batch_pool(paths: list[str], jobs: int) -> dict:
    """Our own pool: load the YAML file + replay in warm spawned workers, chunks of paths."""
    n = len(paths)
    ctx = multiprocessing.get_context("spawn")
    chunk = max(1, min(100, n // (jobs * 8) or 1))
    chunks = [paths[i:i + chunk] for i in range(0, n, chunk)]
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        list(pool.map(_worker_warm, range(jobs)))  # start-up and first replay not timed
        t0 = time.perf_counter()
        total = sum(pool.map(_worker_chunk, chunks))
        elapsed = time.perf_counter() - t0
    how = f"ProcessPoolExecutor({jobs}), spawn, warm workers, chunks of {chunk}, load YAML file + replay"
    return {"jobs": jobs, "seconds": elapsed, "rate": n / elapsed, "how": how, "entries": total}


# ----------------------------------------------------------------------------- 4. latency


def latency(runs: int) -> dict:
    import engine
    from engine.core.events import PaymentReceived

    s = engine.load_scenario(PAS_DE_CALAIS)
    for _ in range(5):
        engine.replay(s)
    replay_ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        engine.replay(s)
        replay_ms.append((time.perf_counter() - t0) * 1000)
    ev = PaymentReceived(date=dt.date(2031, 6, 1), amount=Decimal("10.00"))
    session_ms = []
    for _ in range(runs):
        sess = engine.Session(s)
        t0 = time.perf_counter()
        sess.apply(ev)
        sess.timeline()
        session_ms.append((time.perf_counter() - t0) * 1000)
    load_ms = []
    for _ in range(min(runs, 50)):
        t0 = time.perf_counter()
        engine.load_scenario(PAS_DE_CALAIS)
        load_ms.append((time.perf_counter() - t0) * 1000)
    return {"runs": runs, "replay": (median(replay_ms), p95(replay_ms)),
            "session": (median(session_ms), p95(session_ms)), "load": (median(load_ms), p95(load_ms))}


# ----------------------------------------------------------------------------- 5. memory


def _vm_hwm_mb() -> float | None:
    """This process's own RSS high-water mark (Linux /proc), not inherited from its parent."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def memory_child(count: int, seed: int) -> None:
    """In a fresh process: generate and replay ``count`` conventions one at a time; print JSON.

    On Linux a new process's ru_maxrss starts at its parent's peak RSS (exec folds the old address
    space's high-water mark into it), so the parent runs this section first, while it is small,
    and the child also reports what it inherited and its own VmHWM.
    """
    inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import engine

    rng = random.Random(seed)
    marks = sorted({min(count, 100), count // 10, count // 2, count} - {0})
    out = {"count": count, "rss_mb": {}, "inherited_mb": inherited}
    t0 = time.perf_counter()
    for i in range(count):
        engine.replay(engine.load_scenario(generate(rng, i)))
        if i + 1 in marks:
            out["rss_mb"][i + 1] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["hwm_mb"] = _vm_hwm_mb()
    print(json.dumps(out))


def memory(counts: list[int], seed: int) -> list[dict]:
    """One fresh subprocess per count, run side by side (memory, not speed, is measured here)."""
    procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--_memory-child", str(c),
                               "--seed", str(seed)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
             for c in counts]
    results = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"memory child failed with exit {p.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


# ----------------------------------------------------------------------------- 6. CLI wall time


def cli_wall(runs: int = 5) -> dict:
    """Median wall times, in this environment as it is, and with a bytecode cache.

    When PYTHONDONTWRITEBYTECODE is set (as on the reference machine) and the package was never
    byte-compiled, every start compiles engine/*.py again; the "cached" figures use a
    PYTHONPYCACHEPREFIX in a temp folder (warmed once), which is what an installed package gets.
    """
    exe = shutil.which("convention", path=os.path.dirname(sys.executable)) or "convention"

    def wall(cmd, env=None):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env)
            times.append(time.perf_counter() - t0)
            if r.returncode != 0:
                raise RuntimeError(f"{cmd} failed: {r.stderr.decode()[:300]}")
        return median(times)

    py_pass = [sys.executable, "-c", "pass"]
    imp = [sys.executable, "-c", "import engine"]
    run = [exe, "run", "scenarios/pas-de-calais.yaml"]
    wall(py_pass)  # warm the page cache
    out = {"python": wall(py_pass), "import": wall(imp), "run": wall(run),
           "dontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE", "")}
    cache = tempfile.mkdtemp(prefix="convention-bench-pyc-")
    try:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(run, capture_output=True, cwd=ROOT, env=env)  # writes the cache
        out["import_cached"] = wall(imp, env)
        out["run_cached"] = wall(run, env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


# ----------------------------------------------------------------------------- 7. profile


def profile(mappings: list[dict], top: int = 25) -> str:
    """cProfile of load + replay; where the time goes (cProfile inflates Python-level calls)."""
    import engine

    engine.replay(engine.load_scenario(PAS_DE_CALAIS))
    pr = cProfile.Profile()
    pr.enable()
    for m in mappings:
        engine.replay(engine.load_scenario(m))
    pr.disable()
    st = pstats.Stats(pr)
    stats = st.stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = sum(v[2] for v in stats.values())

    def cum(file_end: str, name: str) -> float:
        return sum(v[3] for (f, _, n), v in stats.items() if f.endswith(file_end) and n == name)

    def tot(file_end: str, name: str | None = None) -> float:
        return sum(v[2] for (f, _, n), v in stats.items()
                   if f.endswith(file_end) and (name is None or n == name))

    def builtin(name: str) -> float:
        return sum(v[2] for (f, _, n), v in stats.items() if f == "~" and name in n)

    load = cum("engine/conventions/loader.py", "load_scenario")
    rep = cum("engine/core/replay/driver.py", "replay")
    decide = cum("engine/core/rulecore.py", "decide")
    post = cum("durable/engine.py", "post")  # Host.post (includes Ruleset.assert_event etc.)
    c_assert = builtin("assert_event")
    c_delete = builtin("delete_state")
    init_decider = cum("engine/core/rulecore.py", "__init__")
    close = cum("engine/core/rulecore.py", "close")
    timeline = cum("engine/core/replay/driver.py", "_timeline")
    replay_init = sum(v[3] for (f, _, n), v in stats.items() if f.endswith("engine/core/replay/driver.py") and n == "__init__")
    dumps_in_durable = 0.0
    loads_in_durable = 0.0
    for (f, _, n), v in stats.items():
        if f.endswith("json/__init__.py") and n in ("dumps", "loads"):
            for (cf_, _, cn), cv in v[4].items():
                if cf_.endswith("durable/engine.py"):
                    if n == "dumps":
                        dumps_in_durable += cv[3]
                    else:
                        loads_in_durable += cv[3]
    lines = []
    n = len(mappings)
    lines.append(f"cProfile of load_scenario(mapping) + replay on {n} generated conventions: "
                 f"{total:.2f} s profiled ({n / total:.0f} conventions/s under the profiler)")

    def row(label, secs):
        lines.append(f"  {label:<58} {secs:7.2f} s  {100 * secs / total:5.1f} %")

    row("loader: engine.load_scenario (cumulative)", load)
    row("replay: engine.core.replay (cumulative)", rep)
    row("  durable_rules Host.post (cumulative)", post)
    row("    C core assert_event (own time)", c_assert)
    row("    json.dumps called by durable (cumulative)", dumps_in_durable)
    row("    json.loads called by durable (cumulative)", loads_in_durable)
    row("  rulecore Decider.decide minus post (adapter)", decide - post)
    row("  rulecore Decider.__init__ (definition key, per replay)", init_decider)
    row("  rulecore Decider.close / delete_state", close)
    row("    C core delete_state (own time)", c_delete)
    row("  driver: replay minus decide, Decider init/close", rep - decide - init_decider - close)
    row("    of which Replay.__init__ (params, cumulative)", replay_init)
    row("    of which _timeline (result, cumulative)", timeline)
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(top)
    lines.append("")
    lines.append(f"top {top} functions by own time:")
    keep = False
    for ln in buf.getvalue().splitlines():
        if ln.strip().startswith("ncalls"):
            keep = True
        if keep and ln.strip():
            lines.append("  " + ln.replace(ROOT + "/", "").replace(sys.prefix + "/", ""))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=None, help="generated conventions (default 10,000; 300 with --quick)")
    ap.add_argument("--quick", action="store_true", help="a small run: fewer conventions, runs, and memory counts")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--profile", type=int, nargs="?", const=500, default=None,
                    help="only print the cProfile breakdown on this many conventions (default 500)")
    ap.add_argument("--no-profile", action="store_true", help="skip the profile section")
    ap.add_argument("--no-memory", action="store_true", help="skip the (long) peak-memory section")
    ap.add_argument("--service", type=float, nargs="?", const=20.0, default=None, metavar="SECONDS",
                    help="only the HTTP service: requests/s and latency with 1 and 2 uvicorn workers")
    ap.add_argument("--_memory-child", type=int, dest="memory_child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.memory_child is not None:
        memory_child(args.memory_child, args.seed)
        return 0
    sys.path.insert(0, ROOT)
    if args.service is not None:
        say(f"HTTP service, 4 client threads on this machine, {args.service:.0f} s a figure {loadavg()}")
        for workers in (1, 2):
            for name, f in service(workers, args.service).items():
                say(f"[service] {workers} worker(s), {name}: {f['rate']:.0f}/s, median {f['p50']:.1f} ms, "
                    f"p95 {f['p95']:.1f} ms {loadavg()}")
        return 0
    if args.profile is not None:
        say(profile(generate_many(args.profile, args.seed)))
        return 0

    n = args.count or (300 if args.quick else 10_000)
    mem_counts = [1_000, 10_000] if args.quick else [10_000, 100_000]
    runs = 30 if args.quick else 200
    started = time.perf_counter()

    say(f"convention-engine benchmark: {n} conventions, seed {args.seed}, "
        f"{'quick' if args.quick else 'full'} run")
    say(f"machine: nproc {os.cpu_count()}, Python {sys.version.split()[0]} ({sys.executable}), "
        f"durable_rules {_version('durable_rules')}, {loadavg()}")
    say(f"tree: {tree_state()}")
    say("")

    # 5. memory: first, while this process is small (a child's ru_maxrss starts at its parent's peak)
    mem = []
    if not args.no_memory:
        say(f"[memory] replaying {' and '.join(f'{x:,}' for x in mem_counts)} conventions in fresh processes ...")
        mem = memory(mem_counts, args.seed)
    for m in mem:
        marks = ", ".join(f"{int(k):,}: {v:.1f}" for k, v in m["rss_mb"].items())
        hwm = f"{m['hwm_mb']:.1f} MB" if m.get("hwm_mb") is not None else "n/a"
        say(f"[memory] {m['count']:,} conventions: ru_maxrss {m['peak_mb']:.1f} MB (after {marks} MB; "
            f"{m['inherited_mb']:.1f} MB inherited at start), own VmHWM {hwm}, "
            f"{m['seconds']:.0f} s, {m['count'] / m['seconds']:.0f} conventions/s incl. load")

    t0 = time.perf_counter()
    mappings = generate_many(n, args.seed)
    say(f"generated {n} scenario mappings in {time.perf_counter() - t0:.1f} s")

    # 2. engine (first, so that the ceiling gets the same number of posts grouped the same way)
    e = engine_rate(mappings)
    say(f"[engine] loaded {n} mappings in {e['load_seconds']:.2f} s ({e['load_rate']:.0f}/s, not timed below)")
    say(f"[engine] replayed {n} in {e['seconds']:.2f} s: {e['rate']:.0f} conventions/s, "
        f"{e['posts']} posts ({e['posts'] / n:.1f} per convention), {e['post_rate']:.0f} posts/s; "
        f"CPU {e['cpu']:.2f} s ({e['cpu_rate']:.0f} conventions/CPU-s) {loadavg()}")

    # 2b. the two conventions written as rules files only
    others = {}
    for label, gen in (("cdg62-medecine", generate_medecine), ("cdg62-assurance", generate_assurance)):
        rng = random.Random(args.seed)
        o = engine_rate([gen(rng, i) for i in range(n)])
        others[label] = o
        say(f"[engine] {label}: replayed {n} in {o['seconds']:.2f} s: {o['rate']:.0f} conventions/s, "
            f"{o['posts'] / n:.1f} posts and {o['entries'] / n:.1f} entries per convention {loadavg()}")

    # 1. ceiling
    c = ceiling(e["groups"])
    say(f"[ceiling] {c['events']} events to a trivial 10-rule ruleset in {c['seconds']:.2f} s: {c['rate']:.0f} events/s; "
        f"CPU {c['cpu']:.2f} s ({c['cpu_rate']:.0f} events/CPU-s) {loadavg()}")
    ratio = e["seconds"] / c["seconds"]
    cpu_ratio = e["cpu"] / c["cpu"]
    say(f"[engine/ceiling] time ratio for the same {e['posts']} posts: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU")

    # 3. batch
    folder = tempfile.mkdtemp(prefix="convention-bench-")
    try:
        t0 = time.perf_counter()
        paths = write_files(mappings, folder)
        say(f"[batch] wrote {n} YAML files to {folder} in {time.perf_counter() - t0:.1f} s")
        exe = batch_available()
        if exe is None:
            say("[batch] `convention batch` is NOT available (no engine.answers.batch or no `batch` subcommand): "
                "measuring with our own ProcessPoolExecutor instead")
        else:
            cmd = [batch_command(folder, n, j, exe) for j in (1, 2)]
            for b in cmd:
                say(f"[batch] {b['how']}: {b['seconds']:.2f} s, {b['rate']:.0f} conventions/s {loadavg()}")
        pool = [batch_pool(paths, j) for j in (1, 2)]
        for b in pool:
            say(f"[batch] {b['how']}: {b['seconds']:.2f} s, {b['rate']:.0f} conventions/s {loadavg()}")
        b1, b2 = cmd if exe is not None else pool
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    del mappings

    # 4. latency
    lat = latency(runs)
    say(f"[latency] pas-de-calais replay over {runs} runs: median {lat['replay'][0]:.2f} ms, p95 {lat['replay'][1]:.2f} ms")
    say(f"[latency] Session.apply + timeline(): median {lat['session'][0]:.2f} ms, p95 {lat['session'][1]:.2f} ms")
    say(f"[latency] load_scenario(pas-de-calais.yaml): median {lat['load'][0]:.2f} ms, p95 {lat['load'][1]:.2f} ms")

    # 6. CLI
    cli = cli_wall(5)
    say(f"[cli] median of 5 (PYTHONDONTWRITEBYTECODE={cli['dontwritebytecode']!r}): python -c pass {cli['python']:.3f} s, "
        f"python -c 'import engine' {cli['import']:.3f} s, convention run pas-de-calais.yaml {cli['run']:.3f} s")
    say(f"[cli] with a bytecode cache: python -c 'import engine' {cli['import_cached']:.3f} s, "
        f"convention run pas-de-calais.yaml {cli['run_cached']:.3f} s")

    # 7. profile
    prof = None
    if not args.no_profile:
        prof = profile(generate_many(min(500, n), args.seed + 1))

    label = "convention batch" if exe is not None else "batch (own pool, FALLBACK)"
    if mem:
        big, small = mem[-1], mem[0]
    else:
        big = small = {"count": 0, "peak_mb": float("nan")}
    growth = big["peak_mb"] - small["peak_mb"]
    rows = [
        ("durable_rules ceiling (trivial 10 rules)", f"{c['rate']:,.0f} events/s", "", ""),
        ("engine replay, one core", f"{e['rate']:,.0f} conventions/s", f">= {T_RATE:.0f}/s", met(e["rate"] >= T_RATE)),
        ("engine replay per CPU-second", f"{e['cpu_rate']:,.0f} conventions/CPU-s", f">= {T_RATE:.0f}/s",
         met(e["cpu_rate"] >= T_RATE)),
        ("engine posts", f"{e['post_rate']:,.0f} posts/s ({e['posts'] / n:.1f}/conv.)", "", ""),
    ] + [
        (f"engine replay, {label}", f"{o['rate']:,.0f} conventions/s ({o['posts'] / n:.1f} posts/conv.)", "", "")
        for label, o in others.items()
    ] + [
        ("engine time / ceiling time, same posts", f"{ratio:.2f}x (CPU {cpu_ratio:.2f}x)", f"<= {T_CEILING_RATIO:.0f}x",
         met(ratio <= T_CEILING_RATIO)),
        ("load_scenario(mapping)", f"{e['load_rate']:,.0f} conventions/s", "", ""),
        (f"{label}, 1 process", f"{b1['rate']:,.0f} conventions/s", f">= {T_RATE:.0f}/s", met(b1["rate"] >= T_RATE)),
        (f"{label}, 2 processes", f"{b2['rate']:,.0f} conventions/s", f">= {T_SCALE * T_RATE:.0f}/s",
         met(b2["rate"] >= T_SCALE * T_RATE)),
        (f"{label}, 2 vs 1 process", f"{b2['rate'] / b1['rate']:.2f}x", f">= {T_SCALE}x",
         met(b2["rate"] / b1["rate"] >= T_SCALE)),
        ("own pool, 1 process (load YAML + replay)", f"{pool[0]['rate']:,.0f} conventions/s", "", ""),
        ("own pool, 2 processes", f"{pool[1]['rate']:,.0f} conventions/s ({pool[1]['rate'] / pool[0]['rate']:.2f}x)",
         "", ""),
        ("replay pas-de-calais (median / p95)", f"{lat['replay'][0]:.2f} / {lat['replay'][1]:.2f} ms", "", ""),
        ("Session.apply + timeline (median / p95)", f"{lat['session'][0]:.2f} / {lat['session'][1]:.2f} ms", "", ""),
    ]
    if mem:
        rows += [
            (f"peak RSS, {small['count']:,} conventions", f"{small['peak_mb']:.1f} MB (VmHWM {small['hwm_mb']:.1f})", "", ""),
            (f"peak RSS, {big['count']:,} conventions", f"{big['peak_mb']:.1f} MB (VmHWM {big['hwm_mb']:.1f})",
             f"< {T_MEMORY_MB:.0f} MB" + ("" if big["count"] >= 100_000 else " (at 100,000)"),
             met(big["peak_mb"] < T_MEMORY_MB)),
            (f"RSS growth {small['count']:,} -> {big['count']:,}", f"{growth:+.1f} MB", "flat (< +5 MB)",
             met(growth < 5.0)),
        ]
    else:
        rows.append(("peak RSS", "skipped (--no-memory)", f"< {T_MEMORY_MB:.0f} MB", ""))
    rows += [
        ("python -c 'import engine'", f"{cli['import']:.3f} s", "", ""),
        ("convention run pas-de-calais.yaml", f"{cli['run']:.3f} s", f"< {T_CLI_S} s", met(cli["run"] < T_CLI_S)),
        ("  same, with a bytecode cache", f"{cli['run_cached']:.3f} s", f"< {T_CLI_S} s", met(cli["run_cached"] < T_CLI_S)),
    ]
    say("")
    say("summary")
    w = max(len(r[0]) for r in rows)
    for r in rows:
        say(f"  {r[0]:<{w}}  {r[1]:<34} {r[2]:<24} {r[3]}")
    say(f"  batch method: {b1['how']}; {b2['how']}")
    if prof:
        say("")
        say(prof)
    say("")
    say(f"total benchmark time {time.perf_counter() - started:.0f} s {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
