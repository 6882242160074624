"""The `expect:` block (docs/scenario-format.md, "The expect: block"): the standing and the declared
states of a period, the entries and the diagnostics counted or dated, and a failure named by the
FILE:LINE of the expectation that does not hold."""

from __future__ import annotations

import datetime as dt
import pathlib
import textwrap
from collections.abc import Mapping

import attrs
import pytest

import engine
from engine import cli
from engine.answers import expect
from engine.conventions import loader, rulesfile
from engine.core.timeline import Period
from engine.errors import ScenarioError

D = dt.date
ROOT = pathlib.Path(__file__).resolve().parent.parent

# cdg62-demat, 500.00 called on 2026-01-01, due 2026-01-31, paid on 2026-02-10: in default from
# 2026-02-01 (payment_overdue) to 2026-02-10 (default_cured). The 2027 call is banded on the
# 2025 count, the 2026 one never arriving (volume_estimated on 2027-01-01), and paid on time.
# Expectations from line 11.
HEAD = """\
scenario: 1
convention: cdg62-demat
name: Commune de Test
start: 2026-01-01
horizon: 2027-06-30
member: {agents: 400}
consultations: {2025: 120}
events: [{date: 2026-02-10, type: payment, amount: "500.00"},
         {date: 2027-01-20, type: payment, amount: "500.00"}]
expect:
"""


def load(text: str, name: str = "t.yaml"):
    return engine.load_scenario(HEAD + textwrap.indent(textwrap.dedent(text), "  "), filename=name)


def problems(text: str) -> list[str]:
    s = load(text)
    return expect.check(engine.replay(s), s)


def error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as e:
        load(text)
    return e.value


# ---------------------------------------------------------------------------- what holds passes

def test_standing_entries_and_counts_that_hold_pass():
    assert problems("""\
      states:
        2026-01-31: {state: initial_term, standing: current, notice: false}
        2026-02-01: {standing: in_default}
        2026-02-09: {state: initial_term, standing: in_default}
        2026-02-10: {standing: current}
        2027-01-01: initial_term
      entries:
        payment_overdue: [2026-02-01]
        default_cured: [2026-02-10]
        contribution_called: [2027-01-01, 2026-01-01]
        started: 1
        termination_scheduled: 0
      diagnostics:
        volume_estimated: [2027-01-01]
        notice_superseded: 0
    """) == []
    assert problems("entries: [payment_overdue, default_cured]\ndiagnostics: [volume_estimated]\n") == []


def test_the_three_shipped_conventions_check_standing_entries_and_counts():
    """One scenario of each convention uses every new key (its figures worked in its comments)."""
    for name in ("non-payment", "medecine-non-payment", "assurance-non-payment"):
        s = engine.load_scenario(str(ROOT / "scenarios" / f"{name}.yaml"))
        assert {"entries", "diagnostics", "states"} <= set(s.expect), name
        assert any(isinstance(v, Mapping) for v in s.expect["states"].values())
        assert isinstance(s.expect["diagnostics"], Mapping)
        assert expect.check(engine.replay(s), s) == [], name


# ---------------------------------------------------------------------------- what fails, where

def test_a_wrong_standing_names_its_line():
    assert problems("""\
      states:
        2026-02-01: {state: initial_term, standing: current}
        2026-02-10: {standing: in_default, notice: true}
    """) == ["t.yaml:12: states.2026-02-01.standing: expected current, got in_default",
             "t.yaml:13: states.2026-02-10.standing: expected in_default, got current",
             "t.yaml:13: states.2026-02-10.notice: expected true, got false"]


def test_wrong_entries_name_their_line():
    assert problems("""\
      entries:
        payment_overdue: [2026-02-02]
        default_cured: 2
        termination_scheduled: 1
        started: 0
        contribution_called: [2026-01-01]
    """) == [
        "t.yaml:12: entries.payment_overdue: expected on 2026-02-02, got on 2026-02-01",
        "t.yaml:13: entries.default_cured: expected 2 times, got once (2026-02-10)",
        "t.yaml:14: entries.termination_scheduled: expected once, got never",
        "t.yaml:15: entries.started: expected never, got once (2026-01-01)",
        # listed once, made twice: the dates are the exact list, as often as each happens
        "t.yaml:16: entries.contribution_called: expected on 2026-01-01, got on 2026-01-01, 2027-01-01",
    ]


def test_a_date_listed_twice_expects_two_occurrences():
    assert problems("entries: {payment_overdue: [2026-02-01, 2026-02-01]}\n") == [
        "t.yaml:11: entries.payment_overdue: expected on 2026-02-01, 2026-02-01, got on 2026-02-01"]


def test_wrong_diagnostics_name_their_line():
    assert problems("""\
      diagnostics:
        volume_estimated: 2
        volume_unknown: [2027-01-01]
    """) == ["t.yaml:12: diagnostics.volume_estimated: expected 2 times, got once (2027-01-01)",
             "t.yaml:13: diagnostics.volume_unknown: expected on 2027-01-01, got never"]
    assert problems("diagnostics:\n  - volume_estimated\n  - volume_unknown\n") == [
        "t.yaml:13: diagnostics.volume_unknown: expected at least once, got never "
        "(the codes: volume_estimated)"]
    assert problems("entries: [notice_superseded]\n") == [
        "t.yaml:11: entries.notice_superseded: expected at least once, got never (the codes: "
        "contribution_called, default_cured, payment_overdue, payment_received, started)"]


def test_the_earlier_keys_name_their_line_too():
    assert problems("""\
      termination: {by: member}
      contributions:
        2026: {due: "499.00",
               paid: "500.00"}
        2028: {due: "1.00"}
      states: {2026-01-01: renewed, 2030-01-01: initial_term}
    """) == ["t.yaml:11: termination: expected one, got none",
             "t.yaml:13: contributions.2026.due: expected 499.00, got 500.00",
             "t.yaml:15: contributions.2028: expected a call, got none",
             "t.yaml:16: states.2026-01-01: expected renewed, got initial_term",
             "t.yaml:16: states.2030-01-01: outside the timeline (2026-01-01 to 2027-06-30)"]


def test_check_prints_file_and_line(tmp_path, capsys):
    path = tmp_path / "wrong.yaml"
    path.write_text(HEAD + "  states: {2026-02-05: {standing: current}}\n", encoding="utf-8")
    assert cli.main(["check", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"FAIL {path}",
        f"  {path}:11: states.2026-02-05.standing: expected current, got in_default",
        "0 passed, 1 failed"]


def test_without_a_source_the_lines_are_left_out():
    """The Python function called with expectations alone (no file) says what, not where."""
    s = load("states: {2026-02-05: {standing: current}}\n")
    assert expect.failures(engine.replay(s), s.expect) == [
        "states.2026-02-05.standing: expected current, got in_default"]


# ---------------------------------------------------------------------------- what loads

def test_the_forms_as_loaded():
    s = load("""\
      states:
        2026-02-01: {standing: in_default, notice: false}
        2026-03-01: renewed
      entries: {payment_overdue: [2027-01-01, 2026-02-01], started: 1}
      diagnostics: [volume_estimated]
    """)
    assert s.expect["states"] == {D(2026, 2, 1): {"standing": "in_default", "notice": False},
                                  D(2026, 3, 1): "renewed"}
    # dates kept sorted: the order they are written in does not matter
    assert s.expect["entries"] == {"payment_overdue": (D(2026, 2, 1), D(2027, 1, 1)), "started": 1}
    assert s.expect["diagnostics"] == ("volume_estimated",)
    assert s.expect_lines["states.2026-02-01.notice"] == 12
    assert s.expect_lines["entries.started"] == 14


def test_the_lines_are_not_part_of_the_value():
    a, b = load("states: {2026-02-01: renewed}\n"), load("\nstates: {2026-02-01: renewed}\n")
    assert a.expect_lines != b.expect_lines and a == b


@pytest.mark.parametrize("text, line, message", [
    ("states: {2026-02-01: {standing: late}}\n", 11,
     'expect: states 2026-02-01: standing: unknown value "late" (expected one of current, in_default)'),
    ("states: {2026-02-01: {suspended: true}}\n", 11,
     "expect: states 2026-02-01: unknown key 'suspended' (allowed: state, standing, notice)"),
    ("states: {2026-02-01: {notice: yes}}\n", 11,
     'expect: states 2026-02-01: notice: expected true or false, got the text "yes"'),
    ("states: {2026-02-01: {}}\n", 11,
     "expect: states 2026-02-01: expected at least one of state, standing, notice"),
    ("entries: {payment_overdue: -1}\n", 11, "expect: entries payment_overdue"),
    ("entries: {payment_overdue: two}\n", 11,
     'expect: entries payment_overdue: expected a number of times (0, 1, 2...) or a list of dates, '
     'got the text "two"'),
    ("entries: {payment_overdue: [2026-02-30]}\n", 11, "invalid date 2026-02-30"),
    ("entries: {Payment Overdue: 1}\n", 11,
     'expect: entries: "Payment Overdue" is not a code such as payment_overdue'),
    ("entries: payment_overdue\n", 11,
     "expect: entries: expected a list of codes, or a mapping CODE: number of times or CODE: "
     '[DATE, ...], got the text "payment_overdue"'),
    ("diagnostics: {volume_estimated: 1.5}\n", 11, "expect: diagnostics volume_estimated: expected a number"),
    ("diagnostics:\n  - Volume\n", 12, 'expect: diagnostics: "Volume" is not a code'),
])
def test_bad_expectations_are_refused_at_their_line(text, line, message):
    e = error(text)
    assert (e.file, e.line) == ("t.yaml", line)
    assert message in e.message, e.message


# ---------------------------------------------------------------------------- declared states

@attrs.frozen
class _Suspendable(Period):
    """A period as an engine with a declared state reports it (docs/spec.md 10.1: periods carry
    `suspended: true|false`)."""

    suspended: bool = False

    def to_dict(self) -> dict:
        return {**super().to_dict(), "suspended": self.suspended}


def test_a_declared_state_plugs_in(monkeypatch):
    """A rules file that declares states (`states`, the v3 format) makes each a true/false key of
    `expect: states`, checked against what the periods report under that name."""
    with pytest.raises(ScenarioError):
        load("states: {2026-02-05: {suspended: true}}\n")
    monkeypatch.setattr(rulesfile.RulesFile, "states", ("suspended",), raising=False)
    assert loader.period_keys(rulesfile.load(rulesfile.find("cdg62-demat"))) == \
        ("state", "standing", "notice", "suspended")
    s = load("states: {2026-02-05: {standing: in_default, suspended: true}, 2026-03-01: {suspended: true}}\n")
    t = engine.replay(s)
    marked = tuple(_Suspendable(**attrs.asdict(p, recurse=False), suspended=p.standing == "in_default")
                   for p in t.periods)
    assert expect.check(attrs.evolve(t, periods=marked), s) == [
        "t.yaml:11: states.2026-03-01.suspended: expected true, got false"]
    # an engine that does not report the state yet: the check fails, it never passes silently
    assert expect.check(t, s) == ["t.yaml:11: states.2026-02-05.suspended: expected true, got null",
                                  "t.yaml:11: states.2026-03-01.suspended: expected true, got null"]
