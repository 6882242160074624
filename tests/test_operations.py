"""Every operation of the formula language (engine/core/formula.py) and every consequence of the
decision contract (engine/core/contract.py) is exercised by a test that fails when it is broken.

- Each operation has a case computed by hand, chosen so that a neighbouring operation or a
  slip gives another value (``min`` of three values whose least is in the middle, ``round`` on a
  half cent, a bound equal to the value...). The list of operations is read from the compiler's
  own error message, so an operation added without a case fails here.
- Each consequence has a scenario in which a rule naming it fires, with an `expect:` block worked
  out by hand. The test checks that the expectations hold, that the consequence was carried out,
  and that they no longer hold when its handler does nothing (the consequence "broken").

tests/tools/mutation/run.py runs this file with the fast subset (docs/testing.md).
"""

from __future__ import annotations

import re
import textwrap
from decimal import Decimal

import pytest

import engine
from engine.answers import expect
from engine.core import contract as C
from engine.core import formula
from engine.core.readings import Readings
from engine.core.replay import driver

M = Decimal

# ============================================================================ the formula language

PARAMS = {"rate": M("0.0033"), "floor": M("160.00"), "grid": (M("250.00"), M("500.00"), M("1000.00")),
          "bounds": (49, 150, 250, 350), "column": "large"}
KINDS = {"rate": "number", "floor": "number", "grid": "list", "bounds": "list", "column": "name"}


def run(expr, basis=M("1000000.00"), basis_year=2025, agents=400, figures=None):
    env = formula.Env(KINDS, {"payroll"}, {"agents"})
    for name, (kind, _) in (figures or {}).items():
        env.figure_kinds[name] = kind
    f, kind = formula.compile_formula(expr, env)
    ctx = formula.Context(PARAMS, {"payroll": basis}, {"payroll": basis_year}, {"agents": agents})
    for name, (_, value) in (figures or {}).items():
        ctx.figures[name] = value
    return f(ctx), kind


def operations() -> list[str]:
    """The operations the compiler knows, as its error for an unknown one lists them."""
    with pytest.raises(formula.FormulaError) as e:
        formula.compile_formula({"no_such_operation": 1}, formula.Env({}, set(), set()))
    listed = re.search(r"\(([a-z_, ]+)\)$", e.value.message)
    assert listed, e.value.message
    return [op.strip() for op in listed.group(1).split(",")]


# (operation, formula, keyword arguments of `run`, value, kind): worked by hand
CASES = [
    ("param", {"param": "rate"}, {}, M("0.0033"), "number"),
    ("param", {"param": "column"}, {}, "large", "name"),
    ("basis", {"basis": "payroll"}, {}, M("1000000.00"), "number"),
    ("basis", {"basis": "payroll"}, {"basis": None}, None, "number"),  # no basis known
    ("basis_year", {"basis_year": "payroll"}, {}, 2025, "number"),
    ("current", {"current": "agents"}, {}, 400, "number"),
    ("figure", {"figure": "base"}, {"figures": {"base": ("number", M("12.50"))}}, M("12.50"), "number"),
    # 1 + 2.50 + nothing (an unknown basis counts as zero) = 3.50
    ("sum", {"sum": [1, "2.50", {"basis": "payroll"}]}, {"basis": None}, M("3.50"), "number"),
    # 0.0033 × 1 000 000.00 = 3300.000000; a null basis makes it 0
    ("mul", {"mul": [{"param": "rate"}, {"basis": "payroll"}]}, {}, M("3300.00"), "number"),
    ("mul", {"mul": [{"param": "rate"}, {"basis": "payroll"}]}, {"basis": None}, M("0"), "number"),
    # the largest and the least of three, neither first nor last
    ("max", {"max": ["3", "5", "4"]}, {}, M("5"), "number"),
    ("min", {"min": ["5", "3", "4"]}, {}, M("3"), "number"),
    # medecine's annual amount: max(round(0.0033 × 40 000.00), 160.00) = max(132.00, 160.00)
    ("max", {"max": [{"round": {"mul": [{"param": "rate"}, {"basis": "payroll"}]}}, {"param": "floor"}]},
     {"basis": M("40000.00")}, M("160.00"), "number"),
    ("min", {"min": [{"mul": [{"param": "rate"}, {"basis": "payroll"}]}, {"param": "floor"}]},
     {"basis": M("40000.00")}, M("132.00"), "number"),
    # half-up at the half cent: 0.125 -> 0.13 (half-even would give 0.12), 2.344 -> 2.34
    ("round", {"round": "0.125"}, {}, M("0.13"), "number"),
    ("round", {"round": "2.344"}, {}, M("2.34"), "number"),
    ("round", {"round": {"basis": "payroll"}}, {"basis": None}, M("0.00"), "number"),
    # bounds are inclusive upper bounds: 150 is in band 2, 151 in band 3, above 350 in band 5
    ("bracket", {"bracket": 150, "bounds": {"param": "bounds"}}, {}, 2, "number"),
    ("bracket", {"bracket": 151, "bounds": {"param": "bounds"}}, {}, 3, "number"),
    ("bracket", {"bracket": 0, "bounds": {"param": "bounds"}}, {}, 1, "number"),
    ("bracket", {"bracket": {"current": "agents"}, "bounds": {"param": "bounds"}}, {}, 5, "number"),
    # up to the limit (included): the first name; above it: the second
    ("threshold", {"threshold": 350, "upto": 350, "names": ["small", "large"]}, {}, "small", "name"),
    ("threshold", {"threshold": {"current": "agents"}, "upto": 350, "names": ["small", "large"]}, {},
     "large", "name"),
    ("select", {"select": {"threshold": {"current": "agents"}, "upto": 350, "names": ["small", "large"]},
                "cases": {"small": 0, "large": {"param": "floor"}}}, {}, M("160.00"), "number"),
    ("select", {"select": {"threshold": {"current": "agents"}, "upto": 350, "names": ["small", "large"]},
                "cases": {"small": 0, "large": {"param": "floor"}}}, {"agents": 350}, M("0"), "number"),
    # 1-based; past the end, the last item; before the start, the first
    ("item", {"item": {"param": "grid"}, "at": 2}, {}, M("500.00"), "number"),
    ("item", {"item": {"param": "grid"}, "at": 9}, {}, M("1000.00"), "number"),
    ("item", {"item": {"param": "grid"}, "at": 0}, {}, M("250.00"), "number"),
    ("default", {"default": {"basis": "payroll"}, "or": 7}, {}, M("1000000.00"), "number"),
    ("default", {"default": {"basis": "payroll"}, "or": 7}, {"basis": None}, M("7"), "number"),
]


@pytest.mark.parametrize("op, expr, given, value, kind", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_operation_computes_its_value(op, expr, given, value, kind):
    got, got_kind = run(expr, **given)
    assert (got, got_kind) == (value, kind)
    if isinstance(value, Decimal):  # the same number, and a number (not a rounded text)
        assert isinstance(got, Decimal)


def test_every_operation_has_a_case():
    ops = operations()
    assert len(ops) >= 15 and "min" in ops
    assert set(ops) == {c[0] for c in CASES}


def test_a_constant_is_read_exactly():
    assert run("0.1")[0] == M("0.1") and run(160)[0] == M("160")


@pytest.mark.parametrize("expr, where, message", [
    ({"min": [1]}, ("min",), "`min` takes a list of at least two formulas"),
    ({"max": 1}, ("max",), "`max` takes a list of at least two formulas"),
    ({"sum": [1, {"param": "column"}]}, ("sum", 1), "expected a number, this gives a name"),
    ({"min": [1, 2], "of": 3}, ("of",), "`min` takes min"),
    ({"min": [1, 2], "of": 3, "at": 4}, ("at",), "`min` takes min"),   # the first unknown key, sorted
    ({"round": {"param": "grid"}}, ("round",), "expected a number, this gives a list"),
    ({"bracket": 3}, (), "`bracket` needs `bounds`"),
    ({"bracket": 3, "bounds": 4}, ("bounds",), "expected a list, this gives a number"),
    ({"threshold": 3, "upto": 4, "names": ["a"]}, ("names",), "`names` takes two names"),
    ({"threshold": 3, "upto": 4, "names": ["a", ""]}, ("names",), "`names` takes two names"),
    ({"threshold": 3, "upto": 4, "names": ["a", 2]}, ("names",), "`names` takes two names"),
    ({"select": {"param": "column"}, "cases": ["large"]}, ("cases",), "`cases` maps each name to a formula"),
    ({"select": {"param": "column"}, "cases": {}}, ("cases",), "`cases` maps each name to a formula"),
    ({"select": {"param": "rate"}, "cases": {"a": 1}}, ("select",), "expected a name, this gives a number"),
    ({"select": {"threshold": 1, "upto": 2, "names": ["a", "b"]}, "cases": {"a": 1}}, ("cases",),
     "no case for 'b'"),
    ({"select": {"param": "column"}, "cases": {"a": 1, "b": "x"}}, ("cases", "b"),
     "expected a number or a formula"),
    ({"item": {"param": "rate"}, "at": 1}, ("item",), "expected a list, this gives a number"),
    ({"default": {"basis": "payroll"}, "or": {"param": "column"}}, ("or",), "expected a number, this gives a name"),
    ({"param": "nope"}, ("param",), "unknown parameter 'nope'"),
    ({"basis": "agents"}, ("basis",), "'agents' is not the input the basis is read from"),
    ({"basis_year": "agents"}, ("basis_year",), "'agents' is not the input the basis is read from"),
    ({"current": "payroll"}, ("current",), "unknown current input 'payroll'"),
    ({"figure": "later"}, ("figure",), "unknown figure 'later'"),
    (True, (), "expected a formula, got True"),
    ("ten", (), "expected a number or a formula, got 'ten'"),
])
def test_each_operation_refuses_what_it_cannot_compute(expr, where, message):
    with pytest.raises(formula.FormulaError) as e:
        run(expr)
    assert e.value.path == where and message in e.value.message, (e.value.path, e.value.message)


# ============================================================================ the consequences


def test_a_rule_tests_only_the_fields_a_decision_posts():
    """An input's event posts its type as `t` (not a field `event`); an adjustment posts its row
    figures flat (not a field `figures`): neither name is a field a `when` may test."""
    assert C.fields_of(C.InputGiven) == ("terminated", "year")
    assert C.fields_of(C.Adjust) == ("refund", "beyond_last_day")
    assert "event" not in C.ALL_FIELDS and "figures" not in C.ALL_FIELDS and "t" in C.ALL_FIELDS

# cdg62-demat, 400 agents (column `large`), the 2025 count 120 (band 2: 500.00 a year), called
# on 1 January, due 30 days later (2026-01-31). A member's notice is owed to the cdg and the
# archives, P2M; a cdg notice to the member, P6M. The initial term ends 2028-12-31.
HEAD = """\
scenario: 1
convention: cdg62-demat
name: Commune de Test
start: 2026-01-01
member: {agents: 400}
consultations: {2025: 120}
"""
# two events the scenarios share, written `- PAID` and `- MEMBER_NOTICE` in their lists
SHARED = {
    "PAID": '{date: 2026-01-20, type: payment, amount: "500.00"}',   # the 2026 call, on time
    "MEMBER_NOTICE": "{date: 2026-03-10, type: notice, by: member, received: {cdg: 2026-03-10, archives: 2026-03-10}}",
}

# consequence name -> the rest of the scenario (horizon, overrides, events, expect), by hand
SCENARIOS = {
    "started": """
        horizon: 2026-12-31
        events: []
        expect:
          entries: {started: [2026-01-01]}
        """,
    "call": """
        horizon: 2026-12-31
        events: []
        expect:
          entries: {contribution_called: [2026-01-01]}
          contributions: {2026: {band: 2, due: "500.00", called_on: 2026-01-01}}  # 500.00 × 365/365
        """,
    "payment": """
        horizon: 2026-12-31
        events:
          - PAID
        expect:
          entries: {payment_received: [2026-01-20]}
          contributions: {2026: {paid: "500.00", balance: "0.00"}}
          states: {2026-02-01: {standing: current}}
        """,
    "overdue": """
        horizon: 2026-12-31
        events: []
        expect:
          entries: {payment_overdue: [2026-02-01]}     # the day after the due date 2026-01-31
          states: {2026-01-31: {standing: current}, 2026-02-01: {standing: in_default}}
        """,
    "cured": """
        horizon: 2026-12-31
        events:
          - {date: 2026-02-10, type: payment, amount: "500.00"}
        expect:
          entries: {payment_overdue: [2026-02-01], default_cured: [2026-02-10]}
          states: {2026-02-09: {standing: in_default}, 2026-02-10: {standing: current}}
        """,
    "record": """
        horizon: 2026-12-31
        events:
          - {date: 2026-03-01, type: consultations, year: 2024, count: 10}   # not the 2026 basis
        expect:
          entries: {consultations_recorded: [2026-03-01], contribution_adjusted: 0}
        """,
    "adjust": """
        horizon: 2026-12-31
        events:
          - {date: 2026-03-01, type: consultations, year: 2025, count: 200}  # band 3: 1000.00
        expect:
          entries: {contribution_adjusted: [2026-03-01]}
          contributions: {2026: {band: 3, due: "1000.00"}}
        """,
    "amend": """
        horizon: 2027-12-31
        events:
          - {date: 2026-06-01, type: amendment, effective: 2027-01-01, set: {contribution: {payment_term: P45D}}}
        expect:
          entries: {amendment_recorded: [2026-06-01], payment_overdue: [2026-02-01]}
          # 2027 due 2027-01-01 + P45D = 2027-02-15: overdue from 2027-02-16, not 2027-02-01
          states: {2027-02-15: {standing: in_default}}
        """,
    "signed": """
        horizon: 2026-12-31
        events:
          - {date: 2026-01-05, type: signed, ref: Convention}
        expect:
          entries: {signed: [2026-01-05]}
        """,
    "dispute": """
        horizon: 2026-12-31
        events:
          - {date: 2026-04-01, type: dispute, step: referred}
        expect:
          entries: {dispute_referred: [2026-04-01]}
          diagnostics: {amicable_step_skipped: [2026-04-01]}
        """,
    "schedule_termination": """
        horizon: 2026-12-31
        events:
          - PAID
          - MEMBER_NOTICE
        expect:
          termination: {by: member, notified: 2026-03-10, last_day: 2026-05-10}   # N + P2M
          entries: {termination_scheduled: [2026-03-10]}
        """,
    "terminated": """
        horizon: 2026-12-31
        events:
          - PAID
          - MEMBER_NOTICE
        expect:
          entries: {terminated: [2026-05-11]}
        """,
    "note": """
        horizon: 2026-12-31
        events:
          - PAID
          - {date: 2026-03-10, type: notice, by: cdg, received: {member: 2026-03-10}}
        expect:
          termination: {by: cdg, last_day: 2026-09-10}       # N + P6M
          entries: {documents_available: [2026-09-10]}
        """,
    "terminate_now": """
        horizon: 2026-12-31
        events:
          - {date: 2026-03-10, type: notice, by: cdg, reason: non_payment, received: {member: 2026-03-10}}
        expect:
          termination: {by: cdg, last_day: 2026-03-10, immediate: true}   # in default since 2026-02-01
        """,
    "diagnose": """
        horizon: 2026-12-31
        events:
          - PAID
          - {date: 2026-03-10, type: notice, by: cdg, reason: non_payment, received: {member: 2026-03-10}}
        expect:
          termination: {by: cdg, last_day: 2026-09-10, immediate: false}
          diagnostics: {non_payment_unfounded: [2026-03-10]}
        """,
    "refuse_notice": """
        horizon: 2026-12-31
        overrides: {notice: {within_initial_term: refused}}
        events:
          - PAID
          - MEMBER_NOTICE
        expect:
          termination: null            # 2026-05-10 is before the initial term's end, 2028-12-31
          diagnostics: {notice_refused: [2026-03-10]}
        """,
    "supersede": """
        horizon: 2026-12-31
        events:
          - PAID
          - MEMBER_NOTICE
          - {date: 2026-03-20, type: notice, by: cdg, received: {member: 2026-03-20}}
        expect:
          termination: {by: member, last_day: 2026-05-10}    # before the cdg's 2026-09-20
          diagnostics: {notice_superseded: [2026-03-20]}
        """,
    "notice_void": """
        horizon: 2026-12-31
        overrides: {notice: {missing_recipient: void}}
        events:
          - PAID
          - {date: 2026-03-10, type: notice, by: member, received: {cdg: 2026-03-10}}   # not the archives
        expect:
          termination: null
          entries: {termination_scheduled: 0}
          diagnostics: {notice_missing_recipient: [2026-03-10]}
        """,
    "renew": """
        horizon: 2029-06-30
        events: []
        expect:
          entries: {renewed: [2029-01-01]}
          states: {2028-12-31: initial_term, 2029-01-01: renewed}
        """,
    "expire": """
        horizon: 2029-06-30
        overrides: {term: {renewal: none}}
        events: []
        expect:
          termination: {by: expiry, last_day: 2028-12-31}
          entries: {expired: [2029-01-01], renewed: 0}
        """,
    "after_termination": """
        horizon: 2026-12-31
        events:
          - PAID
          - MEMBER_NOTICE
          - {date: 2026-06-01, type: signed}
        expect:
          diagnostics: {event_after_termination: [2026-06-01]}
          entries: {signed: 0}
        """,
    "take": """
        horizon: 2026-12-31
        overrides: {notice: {extend_to_working_day: true}}
        events:
          - PAID
          - {date: 2026-03-09, type: notice, by: member, received: {cdg: 2026-03-09, archives: 2026-03-09}}
        expect:
          # N + P2M = Saturday 2026-05-09: the next working day is Monday 2026-05-11
          termination: {by: member, last_day: 2026-05-11}
        """,
}


def scenario(name: str):
    body = textwrap.dedent(SCENARIOS[name]).strip("\n") + "\n"
    for key, event in SHARED.items():
        body = body.replace(f"- {key}\n", f"- {event}\n")
    return engine.load_scenario(HEAD + body, filename=f"{name}.yaml")


def test_every_consequence_has_a_scenario():
    assert set(SCENARIOS) == {c.name for c in C.CONSEQUENCES}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_consequence_does_what_its_scenario_expects(name):
    s = scenario(name)
    assert expect.check(engine.replay(s), s) == []


def _carried_out(name: str, monkeypatch) -> int:
    """How many times the consequence was carried out in its scenario."""
    calls = []
    if name == "take":
        real = Readings.take

        def counted(self, decision):
            got = real(self, decision)
            calls.append(got)
            return got
        monkeypatch.setattr(Readings, "take", counted)
    else:
        c = C.CONSEQUENCE_BY_NAME[name]
        real_handler = driver.HANDLERS[c]

        def handler(s, d):
            calls.append(d)
            return real_handler(s, d)
        monkeypatch.setitem(driver.HANDLERS, c, handler)
    engine.replay(scenario(name))
    return sum(1 for x in calls if x is not None)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_consequence_is_carried_out_in_its_scenario(name, monkeypatch):
    assert _carried_out(name, monkeypatch) >= 1


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_scenario_fails_when_its_consequence_does_nothing(name, monkeypatch):
    """The consequence broken: its handler leaves the state as it is (`take`: no rule's figure
    is taken, each reading's figure stands). The expectations no longer hold, or the replay
    stops on an error: either way a test fails."""
    if name == "take":
        monkeypatch.setattr(Readings, "take", lambda self, decision: None)
    else:
        monkeypatch.setitem(driver.HANDLERS, C.CONSEQUENCE_BY_NAME[name], lambda s, d: s)
    s = scenario(name)
    try:
        t = engine.replay(s)
    except Exception:
        return
    assert expect.check(t, s) != []
