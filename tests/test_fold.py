"""The replay as a fold (engine/core/replay/): a frozen state, one step per agenda item, each
consequence a function of its mechanic's module, diagnostics worded by the renderers."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import attrs
import pytest

import engine
from engine.core import contract as C

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "engine" / "core" / "replay"
driver = importlib.import_module("engine.core.replay.driver")
state = importlib.import_module("engine.core.replay.state")
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml"))


def _snapshot(s):
    """Everything of a state (its ledger too) written out as it is now: a later change in place
    of any dict or list it holds would show."""
    return repr({f.name: getattr(s, f.name) for f in attrs.fields(state.State) if f.name != "ctx"})


def _fields_exactly(value, where):
    """Every value evolved without its constructor (engine/core/frozen.py) has its class's fields."""
    assert set(vars(value)) == {f.name for f in attrs.fields(type(value))}, where


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_step_returns_a_new_state_and_never_changes_the_one_it_was_given(path):
    try:
        scenario = engine.load_scenario(str(path))
    except engine.ScenarioError:
        pytest.skip("a scenario file that shows an error")
    r = driver.Replay(scenario)
    seen = []
    t = r.run(lambda s: seen.append((s, _snapshot(s))))
    assert len(seen) > 3
    assert len({id(s) for s, _ in seen}) == len(seen)  # each step made a new state
    for s, then in seen:
        assert _snapshot(s) == then  # nothing a step returned changed afterwards
        _fields_exactly(s, "state")
        _fields_exactly(s.agenda, "agenda")
        _fields_exactly(s.ledger, "ledger")
        for c in s.ledger.calls.values():
            _fields_exactly(c, "call")
            for ch in c.charges:
                _fields_exactly(ch, "charge")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            s.today = None
    last = seen[-1][0]
    assert last.entries == t.entries and not last.agenda
    assert [d.code for d in t.diagnostics] == [x.code for x in last.said]


def test_every_evolve_of_the_state_names_its_fields():
    """``state.evolve`` skips the constructor (speed): a misspelled field would pass silently,
    so every call in the package is checked here against State's fields."""
    fields = {f.name for f in attrs.fields(state.State)}
    calls = 0
    for f in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "evolve":
                calls += 1
                names = {k.arg for k in node.keywords}
                assert None not in names and names <= fields, f"{f.name}:{node.lineno}: {names - fields}"
    assert calls >= 10


def test_each_consequence_is_a_function_of_its_mechanic():
    modules = {"engine.core.replay.term", "engine.core.replay.charges", "engine.core.replay.standing",
               "engine.core.replay.disputes"}
    assert set(driver.HANDLERS) == set(C.EFFECTS)
    for consequence, fn in driver.HANDLERS.items():
        assert fn.__module__ in modules, consequence.name
        assert fn.__name__ == consequence.name, (fn.__name__, consequence.name)


def test_diagnostics_are_facts_in_the_state_and_words_when_read():
    t = engine.replay(engine.load_scenario(str(ROOT / "scenarios" / "pas-de-calais.yaml")))
    d = t.diagnostics[0]
    assert "message" not in vars(d)  # not worded by the replay
    assert d.values["year"] == d.date.year and d.values["stand_in"] is not None
    text = d.message  # worded by whoever reads it: here, as the JSON would
    assert "message" in vars(d) and d.message is text
    assert text.startswith(f"{d.date.year}: ") and d.message_fr.startswith(f"{d.date.year} : ")
    assert d.to_dict()["message"] == text and d == attrs.evolve(d)
