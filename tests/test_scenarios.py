"""The shipped scenarios' expect: blocks, with figures computed by hand, hold."""

import pathlib

import pytest

import engine
from engine.answers import expect

SCENARIOS = sorted((pathlib.Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


def test_there_are_scenarios_for_every_situation():
    names = {p.stem for p in SCENARIOS}
    assert {"pas-de-calais", "commune-small", "member-notice", "cdg-notice", "non-payment",
            "amendment", "mid-year-start", "fixed-term", "yearly-capped"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_expectations_hold(path):
    s = engine.load_scenario(str(path))
    assert s.expect, "every shipped scenario carries an expect: block"
    assert expect.failures(engine.replay(s), s.expect) == []


def test_a_wrong_expectation_is_reported():
    s = engine.load_scenario(str(SCENARIOS[0]))
    t = engine.replay(s)
    wrong = {"contributions": {t.contributions[0].year: {"due": "1.23"}},
             "states": {t.start: "terminated"}, "diagnostics": ["no_such_code"]}
    problems = expect.failures(t, wrong)
    assert len(problems) == 3
    assert "expected 1.23" in problems[0]
