"""The base rules file (rules/base.yaml) and the conventions that extend it (docs/rules-format.md,
"`extends`: the base, overrides and priority").

What this file proves:

- no rule is copied between the files of rules/: a rule's `when` and `do` appear in one file;
- each shipped convention's merged catalogue: its rule ids in priority order, where each comes
  from (cited, overridden or dropped base rules, rules of its own);
- the base is not a convention: not listed, not loadable as one, skipped in a folder;
- mistakes are refused at their line: an override, citation or drop of a rule the base does not
  have, a rule that silently shadows a base rule, two overrides, a placement in a circle;
- an override changes the decision: a copy of cdg62-demat that overrides a base rule replays
  differently from the shipped file;
- a rules file of one's own extends the shipped base (by id) or a base of its own (by path).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine
from engine import cli
from engine.conventions import rulesfile
from engine.core.events import thaw

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
DEMAT = (RULES / "cdg62-demat.yaml").read_text(encoding="utf-8")
BASE = (RULES / "base.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    [n] = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return n


def copy_of_demat(tmp_path: Path, old: str, new: str, name: str = "mine.yaml") -> tuple[Path, str]:
    assert DEMAT.count(old) == 1, old
    text = DEMAT.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, text


def refused(path: Path) -> rulesfile.RulesError:
    with pytest.raises(rulesfile.RulesError) as info:
        rulesfile.load(str(path))
    return info.value


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ============================================================================ no copies


def test_no_rule_body_appears_in_two_files_of_rules():
    """A rule's `when` and `do` (its body) are written in one file of rules/ only: what the
    conventions share is in base.yaml, and a convention cites it instead of copying it."""
    seen: dict[str, list[str]] = {}
    files = sorted(RULES.glob("*.yaml"))
    assert [f.name for f in files] == ["base.yaml", "cdg62-assurance.yaml", "cdg62-demat.yaml",
                                       "cdg62-medecine.yaml"]
    for f in files:
        for rid, rule in yaml.safe_load(f.read_text(encoding="utf-8"))["rules"].items():
            if "do" in rule:
                body = json.dumps([rule["when"], rule["do"]], sort_keys=True, default=str)
                seen.setdefault(body, []).append(f"{f.name}:{rid}")
    copied = {b: where for b, where in seen.items() if len({w.split(':')[0] for w in where}) > 1}
    assert not copied, "rules copied between files:\n" + "\n".join(map(str, copied.values()))
    assert len(seen) > 30  # the bodies were read: the base's 30 and the conventions' own


def test_the_duplicate_check_would_see_a_copy(tmp_path):
    """The check above is not vacuous: the base's `payment` copied into a convention's text is
    the same body."""
    base = yaml.safe_load(BASE)["rules"]["payment"]
    own = yaml.safe_load("x: {article: A, when: {t: payment}, do: payment}")["x"]
    assert json.dumps([own["when"], own["do"]], sort_keys=True) == \
        json.dumps([base["when"], base["do"]], sort_keys=True)


# ============================================================================ the merged catalogues


def origins(rid: str) -> list[tuple[str, str, str | None]]:
    rf = rulesfile.load(rulesfile.find(rid))
    assert list(rf.origins) == list(rf.catalogue) == list(rf.rules)
    return [(r, o.kind, o.base_rule) for r, o in rf.origins.items()]


def test_demat_merged_catalogue():
    assert origins("cdg62-demat") == [
        ("art5.start", "cites", "start"),
        ("art5.termination", "cites", "termination"),
        ("art5.expiry", "cites", "expiry"),
        ("art5.tacit_renewal", "cites", "renewal"),
        ("art5.periodic_renewal", "cites", "renewal"),
        ("art5.event_after_termination", "overrides", "event_after_termination"),
        ("art5.amendment_term", "cites", "amendment_term"),
        ("art5.amendment", "cites", "amendment"),
        ("art4.call", "cites", "call"),
        ("annex1.basis_previous_year", "cites", "basis_previous_year"),
        ("annex1.stand_in", "cites", "stand_in"),
        ("art5.payment_default", "cites", "payment_default"),
        ("art5.default_cured", "cites", "default_cured"),
        ("art4.payment", "cites", "payment"),
        ("art5.notice_missing_recipient", "cites", "notice_missing_recipient"),
        ("art5.non_payment_unfounded", "own", None),  # after: notice_missing_recipient
        ("art5.immediate_on_default", "own", None),  # before: notice_after_expiry
        ("art5.notice_after_expiry", "cites", "notice_after_expiry"),
        ("art5.within_initial_term", "cites", "within_initial_term"),
        ("art5.notice_ranking", "cites", "notice_ranking"),
        ("art5.member_notice", "cites", "notice"),
        ("art5.cdg_notice", "cites", "notice"),
        ("art5.working_day", "cites", "working_day"),
        ("art5.effect_at_period_end", "cites", "effect_at_period_end"),
        ("art5.effect_at_exit_date", "cites", "effect_at_exit_date"),
        ("art5.postponement", "cites", "postponement"),
        ("annex1.band_correction", "cites", "correction"),
        ("art4.late_fact", "cites", "late_fact"),
        ("art4.refund_unused", "cites", "refund_unused"),
        ("art4.nothing_after_last_day", "cites", "nothing_after_last_day"),
        ("art4.prorata_at_last_day", "cites", "prorata_at_last_day"),
        ("art6.amicable_step_skipped", "cites", "amicable_step_skipped"),
        ("art6.dispute", "cites", "dispute"),
        ("signatures.signed", "cites", "signed"),
        ("annex1.agents", "own", None),  # no placement: after every other rule
        ("annex1.volume", "own", None),
        ("art5.documents_available", "own", None),
    ]
    rf = rulesfile.load(rulesfile.find("cdg62-demat"))
    assert rf.base == "base" and rf.dropped == {}
    # A citation keeps the base's `when` and `do`, with its own narrowing and article.
    assert thaw(rf.catalogue["art5.member_notice"]["when"]) == {"t": "notice", "by": "member"}
    assert thaw(rf.catalogue["art5.tacit_renewal"]["when"]) == {
        "all": [{"t": "period_end", "renewal": {"any": ["periodic", "indefinite"]}},
                {"renewal": "indefinite"}]}
    assert rf.rules["art4.payment"].article == "Article 4"
    assert rf.catalogue["art5.expiry"]["decides"].startswith("With renewal none")  # the base's


def test_medecine_and_assurance_merged_catalogues():
    medecine = origins("cdg62-medecine")
    assert [k for _, k, _ in medecine].count("own") == 1  # art3.payroll
    assert ("art5.regularisation", "cites", "correction") in medecine
    assert ("art4.event_after_termination", "cites", "event_after_termination") in medecine
    assert medecine[-1] == ("art3.payroll", "own", None)
    assurance = origins("cdg62-assurance")
    assert "amicable_step_skipped" not in {b for _, _, b in assurance}
    assert [r for r, _, _ in assurance][-3:] == ["art6.dispute", "art4.signed", "art4.insured_base"]
    rf = rulesfile.load(rulesfile.find("cdg62-assurance"))
    assert thaw(rf.dropped) == {"amicable_step_skipped": {
        "rule": "art6.no_amicable_step", "article": "Article 6",
        "clause": "Les litiges relatifs à l'exécution de la présente convention relèvent du "
                  "Tribunal administratif de Lille.",
        "decides": "No amicable attempt is required before the court, so none is missing."}}


def test_every_base_rule_is_cited_or_dropped_by_each_shipped_convention():
    """So that every entry of a shipped timeline names an article of the convention's text."""
    base = rulesfile.load_base(rulesfile.find_base("base"))
    for rid in rulesfile.shipped_ids():
        rf = rulesfile.load(rulesfile.find(rid))
        used = {o.base_rule for o in rf.origins.values() if o.kind != "own"} | set(rf.dropped)
        assert used == set(base.order), rid
        assert all(o.kind != "base" for o in rf.origins.values()), rid


def test_rules_command_and_pages_say_where_each_rule_comes_from(capsys):
    code, out, err = run_cli(["rules", "cdg62-assurance"], capsys)
    assert (code, err) == (0, "")
    assert "extends base" in out
    row = next(line for line in out.splitlines() if line.startswith("art3.member_notice"))
    assert "cites notice" in row
    assert re.search(r"art6\.no_amicable_step .*drops amicable_step_skipped", out)
    page = (ROOT / "docs" / "rules" / "cdg62-demat.md").read_text(encoding="utf-8")
    assert "| `art5.event_after_termination` | overrides `event_after_termination` |" in page
    assert "| `annex1.agents` | own |" in page


# ============================================================================ the base is not a convention


def test_the_base_is_not_a_convention(tmp_path, capsys):
    assert "base" not in rulesfile.shipped_ids() and rulesfile.shipped_bases() == ("base",)
    code, out, err = run_cli(["rules"], capsys)
    assert code == 0 and "base —" not in out and "cdg62-demat —" in out
    code, out, err = run_cli(["rules", "base"], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "'base' is the base rules file the conventions extend" in err
    # Given by its path, as a scenario's convention: refused at its `kind:` line.
    e = refused(RULES / "base.yaml")
    assert (e.line, e.message) == (line_of(BASE, "kind: base"),
                                   "kind: this is a base rules file, not a convention: a "
                                   "convention extends it (`extends: ID`)")
    # A folder holding a base beside a scenario: `check` skips the base like any rules file.
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "s.yaml").write_text((ROOT / "scenarios" / "cdg-notice.yaml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    assert not rulesfile.is_rules_file(str(tmp_path / "base.yaml"), bases=False)
    code, out, err = run_cli(["check", str(tmp_path)], capsys)
    assert (code, err) == (0, "") and out.count("ok ") == 1


# ============================================================================ mistakes, at their line


@pytest.mark.parametrize("old, new, needle, message", [
    ("    overrides: event_after_termination\n", "    overrides: event_after_terminaton\n",
     "overrides: event_after_terminaton",
     "rules.art5.event_after_termination: overrides: 'event_after_terminaton' is not a rule of "
     "the base 'base' (its rules: start, termination, expiry, renewal, event_after_termination, "
     "amendment_term, amendment, call, basis_previous_year, stand_in, payment_default, "
     "default_cured, payment, "
     "notice_missing_recipient, notice_after_expiry, within_initial_term, notice_ranking, notice, "
     "working_day, effect_at_period_end, effect_at_exit_date, postponement, correction, late_fact, "
     "refund_unused, nothing_after_last_day, prorata_at_last_day, amicable_step_skipped, dispute, "
     "signed)"),
    ("    cites: notice_ranking\n", "    cites: notice_rank\n", "cites: notice_rank",
     "rules.art5.notice_ranking: cites: 'notice_rank' is not a rule of the base 'base' (its rules: "),
    ("    cites: amicable_step_skipped\n", "    drops: amicable_step\n", "drops: amicable_step",
     "rules.art6.amicable_step_skipped: drops: 'amicable_step' is not a rule of the base 'base'"),
])
def test_a_base_rule_that_does_not_exist_is_refused_at_its_line(tmp_path, capsys, old, new, needle, message):
    path, text = copy_of_demat(tmp_path, old, new)
    e = refused(path)
    assert e.line == line_of(text, needle) and e.message.startswith(message)
    # Through the CLI: one line, FILE:LINE, exit 2, nothing on stdout.
    code, out, err = run_cli(["rules", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and f"mine.yaml:{e.line}: {message}" in err


def test_a_rule_named_like_a_base_rule_without_overriding_it_is_refused(tmp_path):
    """No silent shadowing: an own rule with a base rule's id must say `overrides:`."""
    path, text = copy_of_demat(tmp_path, "  annex1.volume:\n", "  payment:\n")
    e = refused(path)
    assert e.line == line_of(text, "  payment:")
    assert e.message == ("rules.payment: the base 'base' has a rule 'payment': say `overrides: "
                         "payment` to replace it, `cites: payment` to apply it, or give this rule "
                         "another id")
    # Saying it is enough: the rule then replaces the base's `payment` in its place.
    block = DEMAT[DEMAT.index("  art4.payment:\n"):DEMAT.index("  art5.notice_missing_recipient:\n")]
    path, _ = copy_of_demat(tmp_path, block, "  payment:\n    overrides: payment\n    article: Article 4\n"
                                             "    when: {t: payment}\n    do: payment\n", name="ok.yaml")
    rf = rulesfile.load(str(path))
    assert rf.origins["payment"] == rulesfile.Origin("overrides", "payment")
    assert list(rf.rules).index("payment") == 13


def test_a_base_rule_is_overridden_or_dropped_once_and_not_cited_as_well(tmp_path):
    path, text = copy_of_demat(tmp_path, "    cites: amicable_step_skipped\n",
                               "    overrides: dispute\n    when: {t: dispute}\n    do: {dispute: {court: X}}\n")
    e = refused(path)
    assert e.line == line_of(text, "    cites: dispute")
    assert e.message.startswith("rules.art6.dispute: cites: base rule 'dispute' is already "
                                "overridden by art6.amicable_step_skipped (line ")


def test_a_rule_placed_before_another_of_the_file(tmp_path):
    path, _ = copy_of_demat(tmp_path, "  annex1.volume:\n", "  annex1.volume:\n    before: annex1.agents\n")
    ids = list(rulesfile.load(str(path)).rules)
    assert ids.index("annex1.volume") == ids.index("annex1.agents") - 1
    assert ids[-3:] == ["annex1.volume", "annex1.agents", "art5.documents_available"]


def test_rules_placed_in_a_circle_are_refused(tmp_path):
    path, text = copy_of_demat(tmp_path, "  annex1.volume:\n", "  annex1.volume:\n    after: annex1.agents\n")
    text = text.replace("  annex1.agents:\n", "  annex1.agents:\n    after: annex1.volume\n")
    path.write_text(text, encoding="utf-8")
    e = refused(path)
    assert e.line == line_of(text, "after: annex1.volume")
    assert "placed relative to each other in a circle (annex1.agents, annex1.volume)" in e.message


def test_an_unknown_base_is_refused_at_extends(tmp_path):
    path, text = copy_of_demat(tmp_path, "extends: base\n", "extends: bsae\n")
    e = refused(path)
    assert (e.line, e.message) == (line_of(text, "extends: bsae"),
                                   "extends: unknown base 'bsae' (shipped: base; or a path to a "
                                   "base rules file beside this one)")


# ============================================================================ overriding changes the answer


SCENARIO = """\
scenario: 1
convention: {convention}
name: Pins
start: 2026-01-01
horizon: 2027-12-31
member: {{agents: 10}}
consultations: {{2025: 10}}
events:
  - {{date: 2026-06-01, type: notice, by: member, received: {{cdg: 2026-06-01, archives: 2026-06-01}}}}
"""

STRICT = """\
  art5.within_initial_term:
    overrides: within_initial_term
    article: Article 5
    decides: A notice whose last day falls inside the initial term is refused, whatever within_initial_term says.
    when: {t: notice, last_day: {lt: {field: initial_end}}}
    do: refuse_notice
"""


def test_an_override_changes_the_decision(tmp_path):
    """The member's notice of 2026-06-01 ends cdg62-demat on 2026-08-01 (a notice may end the
    initial term); a copy that overrides the base's `within_initial_term` to refuse it whatever
    the parameter says keeps the convention in force."""
    old = DEMAT[DEMAT.index("  art5.within_initial_term:\n"):DEMAT.index("  art5.notice_ranking:\n")]
    path, _ = copy_of_demat(tmp_path, old, STRICT)
    rf = rulesfile.load(str(path))
    assert rf.origins["art5.within_initial_term"] == rulesfile.Origin("overrides", "within_initial_term")
    shipped = tmp_path / "shipped.yaml"
    shipped.write_text(SCENARIO.format(convention="cdg62-demat"), encoding="utf-8")
    mine = tmp_path / "s.yaml"
    mine.write_text(SCENARIO.format(convention="mine.yaml"), encoding="utf-8")
    a = engine.replay(engine.load_scenario(str(shipped)))
    b = engine.replay(engine.load_scenario(str(mine)))
    assert (a.termination.last_day.isoformat(), a.termination.rule) == ("2026-08-01", "art5.member_notice")
    assert b.termination is None
    [refusal] = [e for e in b.entries if e.kind == "notice_refused"]
    assert (refusal.rule, refusal.article) == ("art5.within_initial_term", "Article 5")


# ============================================================================ one's own files


def test_an_uncited_base_rule_applies_under_its_base_id(tmp_path):
    old = DEMAT[DEMAT.index("  signatures.signed:\n"):]
    path, _ = copy_of_demat(tmp_path, old, "")
    rf = rulesfile.load(str(path))
    assert rf.origins["signed"] == rulesfile.Origin("base", "signed")
    ids = list(rf.rules)
    assert rf.rules["signed"].article == "base" and ids[ids.index("signed") - 1] == "art6.dispute"


def test_a_base_of_ones_own_by_path(tmp_path):
    """A rules file extends a base file beside it; a mistake in that base names the base's file."""
    text = BASE.replace("decides: Money received goes to the amounts owed", "decides: Money received pays the amounts owed")
    assert text != BASE
    (tmp_path / "house.yaml").write_text(text, encoding="utf-8")
    path, _ = copy_of_demat(tmp_path, "extends: base\n", "extends: house.yaml\n")
    rf = rulesfile.load(str(path))
    assert rf.catalogue["art4.payment"]["decides"].startswith("Money received pays the amounts owed")
    assert rf.catalogue["art5.payment_default"]["decides"].startswith(
        "An amount unpaid after its due date puts the member in payment default; it is examined once a day")
    (tmp_path / "broken.yaml").write_text(BASE.replace("    do: payment\n", "    do: pay\n"), encoding="utf-8")
    path, _ = copy_of_demat(tmp_path, "extends: base\n", "extends: broken.yaml\n", name="other.yaml")
    e = refused(path)
    assert e.file.endswith("broken.yaml") and e.line == line_of(BASE, "    do: payment")
    assert e.message.startswith("rules.payment: unknown consequence `do: pay`")


@pytest.mark.slow  # builds a wheel (~10 s)
def test_the_wheel_ships_the_base(tmp_path):
    """The wheel holds engine/rules/base.yaml, and from another folder a Python without the
    working tree (a fresh venv, the wheel unpacked, the dependencies of this one) lists
    cdg62-demat's merged catalogue: the shipped conventions find the shipped base."""
    import sysconfig
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w",
                    str(tmp_path)], check=True, capture_output=True, cwd=tmp_path)
    [wheel] = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert "engine/rules/base.yaml" in z.namelist()
        z.extractall(tmp_path / "site")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "v")], check=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), sysconfig.get_paths()["purelib"]])}
    out = subprocess.run([str(tmp_path / "v" / "bin" / "python"), "-c",
                          "import engine, engine.cli; print(engine.__file__); engine.cli.main(['rules', 'cdg62-demat'])"],
                         cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(str(tmp_path / "site"))
    assert re.search(r"art5\.member_notice +cites notice", out.stdout)


def test_a_convention_is_not_a_base(tmp_path):
    (tmp_path / "other.yaml").write_text((RULES / "cdg62-medecine.yaml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    path, text = copy_of_demat(tmp_path, "extends: base\n", "extends: other.yaml\n")
    e = refused(path)
    assert (e.line, e.message) == (line_of(text, "extends: other.yaml"),
                                   "extends: 'other.yaml' is a convention, not a base rules file (`kind: base`)")
