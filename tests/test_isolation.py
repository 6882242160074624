"""Independent conventions replay in threads without sharing state (docs/spec.md 7)."""

import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest

import engine

SCENARIOS = [engine.load_scenario(str(p)) for p in
             sorted((pathlib.Path(__file__).parent.parent / "scenarios").glob("*.yaml"))]


@pytest.mark.slow  # 1,800 replays on eight threads
def test_eight_threads_give_the_sequential_results():
    work = [SCENARIOS[i % len(SCENARIOS)] for i in range(200)]
    expected = [engine.replay(s).to_json() for s in work]

    def replay_all(_):
        return [engine.replay(s).to_json() for s in work]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(replay_all, range(8)))
    for r in results:
        assert r == expected


def test_sessions_are_independent():
    a = engine.Session(SCENARIOS[0])
    b = engine.Session(SCENARIOS[0])
    before = b.timeline().to_json()
    a.apply(next(e for e in SCENARIOS[0].events))
    assert b.timeline().to_json() == before


def test_one_session_shared_by_threads_keeps_every_fact():
    base = SCENARIOS[0]
    session = engine.Session(base)

    def pay(i):
        session.apply({"date": base.start.isoformat(), "type": "payment", "amount": "1.00"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(pay, range(400)))
    events = session.scenario.events
    assert len(events) == len(base.events) + 400
    assert sorted(e.seq for e in events[len(base.events):]) == list(range(len(base.events), len(events)))
