"""The engine against an independent, naive day-by-day model of the SPEC (tests/model/naive.py)."""

import json

from hypothesis import given

import engine
from tests.model.naive import simulate
from tests.strategies import scenarios


def comparable(d: dict) -> dict:
    return {
        "periods": d["periods"],
        "termination": None if d["termination"] is None else {
            k: d["termination"][k] for k in ("by", "notified", "last_day", "immediate")},
        "unallocated": d["unallocated"],
        "contributions": d["contributions"],
        "entries": [(e["date"], e["kind"]) for e in d["entries"]],
        "diagnostics": sorted((x["date"], x["code"]) for x in d["diagnostics"]),
    }


def check(doc):
    timeline = engine.replay(engine.load_scenario(doc))
    got = comparable(json.loads(timeline.to_json()))
    want = comparable(json.loads(json.dumps(simulate(doc), default=str)))
    for key in want:
        assert got[key] == want[key], key


@given(scenarios())
def test_engine_agrees_with_the_naive_model(doc):
    check(doc)
