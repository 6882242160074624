"""The decision contract (engine/core/contract.py): declared once, built and dispatched through it."""
from __future__ import annotations

import ast
from pathlib import Path

import attrs
import pytest

from engine.core import contract as C
from engine.conventions import rulesfile

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"


def test_a_decision_event_with_a_missing_or_misspelled_field_cannot_be_built():
    with pytest.raises(TypeError):
        C.Terminate()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        C.Displaced(by="member", bye="cdg")  # type: ignore[call-arg]


def test_a_decision_field_of_the_wrong_type_cannot_be_built():
    with pytest.raises(TypeError):
        C.Standing(overdue="12.00", standing="current")  # money is posted in cents
    with pytest.raises(TypeError):
        C.Payment(terminated="no")


def test_posted_names_the_event_and_leaves_out_what_is_none():
    assert C.PeriodEnd(k=1, renewal="periodic", max_renewals=3).posted() == {
        "t": "period_end", "k": 1, "renewal": "periodic", "max_renewals": 3}
    assert C.InputGiven(event="agents", terminated=False, year=None).posted() == {
        "t": "agents", "terminated": False}
    assert C.Adjust(refund=True, beyond_last_day=False, figures={"band": 2, "was_band": 1}).posted() == {
        "t": "adjust", "refund": True, "beyond_last_day": False, "band": 2, "was_band": 1}


def test_every_consequence_fits_declared_decisions_and_has_a_handler():
    from engine.core.replay import HANDLERS
    assert set(HANDLERS) == set(C.EFFECTS) == set(C.CONSEQUENCES) - {C.TAKE}
    for c in C.CONSEQUENCES:
        assert c.fits and all(cls in C.DECISIONS or cls is C.InputGiven for cls in c.fits), c
        assert attrs.has(c.args)


def test_handlers_refuse_an_incomplete_table():
    with pytest.raises(TypeError, match="missing"):
        C.handlers({C.STARTED: None})


def test_the_loader_resolves_do_to_the_declared_consequence_and_typed_arguments():
    rules = rulesfile.load(rulesfile.find("cdg62-demat"))
    for rule in rules.rules.values():
        assert rule.do is C.CONSEQUENCE_BY_NAME[rule.do.name]
        assert isinstance(rule.given, rule.do.args)
    skipped = rules.rules["art6.amicable_step_skipped"]
    assert skipped.do is C.DISPUTE and skipped.given.diagnostic == "amicable_step_skipped"


def test_no_decision_event_or_consequence_is_spelled_outside_the_contract():
    """engine/ builds no decision event by hand (a dict with a `t` key, or `t=` passed to a
    call) and compares no rule's `do` with a string, except in the contract itself and the
    adapter's catch-all."""
    names = {c.name for c in C.CONSEQUENCES}
    bad = []
    for f in sorted(ENGINE.rglob("*.py")):
        if f.name in ("contract.py", "rulecore.py"):
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict) and any(
                    isinstance(k, ast.Constant) and k.value == "t" for k in node.keys):
                bad.append(f"{f.name}:{node.lineno}: a decision event built as a dict")
            if isinstance(node, ast.Call) and any(k.arg == "t" for k in node.keywords):
                bad.append(f"{f.name}:{node.lineno}: t= passed to a call")
            if isinstance(node, ast.Compare) and any(
                    isinstance(x, ast.Attribute) and x.attr == "do" for x in [node.left] + node.comparators):
                consts = [x for x in [node.left] + node.comparators
                          if isinstance(x, (ast.Constant, ast.Tuple, ast.Set))]
                if consts:
                    bad.append(f"{f.name}:{node.lineno}: a rule's do compared with a literal")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "decide" and \
                    node.args and isinstance(node.args[0], ast.Constant):
                bad.append(f"{f.name}:{node.lineno}: decide given a name")
        text = f.read_text(encoding="utf-8")
        for name in ("_EFFECTIVE", "CONSEQUENCE_ARGS", "FITS", "DECISIONS ="):
            assert name not in text, f"{f.name} still declares {name}"
    assert not bad, "\n".join(bad)
    assert names == set(C.CONSEQUENCE_BY_NAME)
