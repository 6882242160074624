"""The readings a rules file owns (issue 14 item 2, engine/core/readings.py): when a notice ends (the
working-day extension, the effect, the postponement within the initial term), how many days
the call of a termination's last day keeps (the refund) and that a period after it keeps none,
which year's basis value a call reads and what stands in for it, which amendments the engine
cannot apply. Each test edits one rule of a copy of a
shipped rules file, in a temporary folder, and shows the answer change with no change to engine/
and no parameter override: the rule, not Python, takes the reading."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.conventions import rulesfile
from engine.answers.deadlines import deadlines

D = dt.date.fromisoformat


def shipped(rid: str) -> str:
    return Path(rulesfile.find(rid)).read_text(encoding="utf-8")


def edited(tmp_path: Path, rid: str, old: str, new: str) -> str:
    """A copy of a shipped rules file with ``old`` (found exactly once) replaced by ``new``. A rule
    the convention cites from the base (rules/base.yaml) is edited in a copy of the base, beside
    the convention's copy, which extends it by its path instead of `extends: base`."""
    text = shipped(rid)
    if text.count(old) != 1:
        base = Path(rulesfile.find_base("base")).read_text(encoding="utf-8")
        assert text.count(old) == 0 and base.count(old) == 1, f"{old!r} is not once in {rid} or its base"
        (tmp_path / f"{rid}-base.yaml").write_text(base.replace(old, new), encoding="utf-8")
        text, old, new = text, "extends: base\n", f"extends: {rid}-base.yaml\n"
    path = tmp_path / f"{rid}-copy.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return str(path)


def run(convention: str, body: str, horizon: str = "2028-12-31"):
    s = engine.load_scenario(f"scenario: 1\nconvention: {convention}\nname: x\n{body}\nhorizon: {horizon}\n")
    return s, engine.replay(s)


DEMAT = ("start: 2026-01-01\nmember: {agents: 1480}\nconsultations: {2025: 112}\nevents:\n"
         "  - {date: 2026-01-20, type: payment, amount: \"500.00\"}\n"
         "  - {date: 2027-01-20, type: payment, amount: \"500.00\"}\n")


def demat_notice(received: str, by: str = "member") -> str:
    to = "{cdg: %s, archives: %s}" % (received, received) if by == "member" else "{member: %s}" % received
    return DEMAT + f"  - {{date: {received}, type: notice, by: {by}, received: {to}}}\n"


def test_the_shipped_readings_are_rules_of_each_file():
    for rid in ("cdg62-demat", "cdg62-medecine", "cdg62-assurance"):
        rules = rulesfile.load(rulesfile.find(rid))
        taken = {rule.given.figure for rule in rules.rules.values() if rule.do.name == "take"}
        assert taken == {"working_day", "end_of_period", "exit_date", "initial_end", "days_to_last_day",
                         "year_before", "latest_before"}, rid


# ---------------------------------------------------------------------------- working day

def test_a_rules_file_extends_to_the_working_day_without_the_parameter(tmp_path):
    """N = 2027-03-15, N + P2M = 2027-05-15, a Saturday. The shipped file (extend_to_working_day
    false) keeps it; a copy whose working-day rule no longer asks for the parameter moves it to
    Tuesday 2027-05-18 (Monday 17 May 2027 is Whit Monday, a public holiday)."""
    _, base = run("cdg62-demat", demat_notice("2027-03-15"))
    assert base.termination.last_day == D("2027-05-15")
    path = edited(tmp_path, "cdg62-demat", "when: {t: notice_period, extend_to_working_day: true}",
                  "when: {t: notice_period}")
    _, tl = run(path, demat_notice("2027-03-15"))
    assert tl.termination.last_day == D("2027-05-18")
    # deadlines asks the same rules: a notice given on 2027-03-15 would end on that Tuesday
    s, quiet = run(path, DEMAT)
    d = deadlines(s, quiet, D("2027-03-15"))
    assert d.notice("member").earliest_last_day == D("2027-05-18")


def test_without_the_working_day_rule_the_parameter_changes_nothing(tmp_path):
    path = edited(tmp_path, "cdg62-demat", "when: {t: notice_period, extend_to_working_day: true}",
                  "when: {t: notice_period, extend_to_working_day: true, by: cdg}")
    _, tl = run(path, "overrides: {notice: {extend_to_working_day: true}}\n" + demat_notice("2027-03-15"))
    assert tl.termination.last_day == D("2027-05-15")  # the member's notice: no rule extends it
    _, shipped_tl = run("cdg62-demat", "overrides: {notice: {extend_to_working_day: true}}\n"
                        + demat_notice("2027-03-15"))
    assert shipped_tl.termination.last_day == D("2027-05-18")


# ---------------------------------------------------------------------------- effect

MEDECINE = ("start: 2026-03-01\npayroll: {2025: \"900000.00\"}\nevents:\n"
            "  - {date: 2026-05-04, type: notice, by: member, received: {cdg: 2026-05-04}}\n")


def test_a_rules_file_without_the_period_end_rule_ends_a_notice_after_its_period(tmp_path):
    """cdg62-medecine (effect at_period_end): N = 2026-05-04 + P3M = 2026-08-04, the period ends
    2027-02-28. A copy whose effect rule takes the day as it is ends the notice on 2026-08-04."""
    _, base = run("cdg62-medecine", MEDECINE, "2027-06-30")
    assert base.termination.last_day == D("2027-02-28")
    path = edited(tmp_path, "cdg62-medecine", "do: {take: {figure: end_of_period}}",
                  "do: {take: {figure: day}}")
    _, tl = run(path, MEDECINE, "2027-06-30")
    assert tl.termination.last_day == D("2026-08-04")


def test_a_rules_file_moves_the_exit_date(tmp_path):
    """cdg62-assurance (at_exit_date, 12-31): N = 2026-06-30, N + P6M = 2026-12-30, exit
    2026-12-31. A copy whose exit-date rule keeps the day as it is ends on 2026-12-30."""
    body = ("start: 2026-01-01\ninsured_base: {2025: \"750000.00\"}\nevents:\n"
            "  - {date: 2026-07-03, type: notice, by: member, received: {cdg: 2026-06-30}}\n")
    _, base = run("cdg62-assurance", body, "2027-06-30")
    assert base.termination.last_day == D("2026-12-31")
    path = edited(tmp_path, "cdg62-assurance", "do: {take: {figure: exit_date}}",
                  "do: {take: {figure: day}}")
    _, tl = run(path, body, "2027-06-30")
    assert tl.termination.last_day == D("2026-12-30")


# ---------------------------------------------------------------------------- postponement

def test_a_rules_file_postpones_a_notice_to_the_initial_terms_end(tmp_path):
    """cdg62-demat allows a notice inside the initial term (2027-05-10 stands). A copy whose
    postponement rule no longer asks for `within_initial_term: postponed` moves it to the initial
    term's last day, 2028-12-31."""
    _, base = run("cdg62-demat", demat_notice("2027-03-10"), "2029-06-30")
    assert base.termination.last_day == D("2027-05-10")
    path = edited(tmp_path, "cdg62-demat",
                  "when: {t: notice_term, within_initial_term: postponed, day: {lt: {field: initial_end}}}",
                  "when: {t: notice_term, day: {lt: {field: initial_end}}}")
    _, tl = run(path, demat_notice("2027-03-10"), "2029-06-30")
    assert tl.termination.last_day == D("2028-12-31")


# ---------------------------------------------------------------------------- refund

def test_a_rules_file_without_the_prorata_rule_keeps_the_whole_year_due(tmp_path):
    """The shipped file cuts 2027 to 130 days (500.00 → 178.08) on the last day 2027-05-10; a
    copy whose prorata rule asks for `refund_unused: false` keeps the year whole."""
    _, base = run("cdg62-demat", demat_notice("2027-03-10"), "2027-12-31")
    assert (base.contribution(2027).covered_days, base.contribution(2027).due) == (130, Decimal("178.08"))
    path = edited(tmp_path, "cdg62-demat",
                  "      t: last_day_call\n      expiry: false\n      refund_unused: true\n",
                  "      t: last_day_call\n      expiry: false\n      refund_unused: false\n")
    _, tl = run(path, demat_notice("2027-03-10"), "2027-12-31")
    assert (tl.contribution(2027).covered_days, tl.contribution(2027).due) == (365, Decimal("500.00"))
    assert not [e for e in tl.entries if e.kind == "contribution_adjusted"]


def test_a_rules_file_refuses_the_refund_to_one_party_only(tmp_path):
    """A copy whose prorata rule applies to the cdg's notices only: the member's notice keeps 2027
    whole, a cdg notice still cuts it (N = 2027-03-10 + P6M = 2027-09-10: 253 days)."""
    path = edited(tmp_path, "cdg62-demat",
                  "      t: last_day_call\n      expiry: false\n",
                  "      t: last_day_call\n      by: cdg\n      expiry: false\n")
    _, member = run(path, demat_notice("2027-03-10"), "2027-12-31")
    assert member.contribution(2027).covered_days == 365
    _, cdg = run(path, demat_notice("2027-03-10", by="cdg"), "2027-12-31")
    assert (cdg.termination.last_day, cdg.contribution(2027).covered_days) == (D("2027-09-10"), 253)


# ---------------------------------------------------------------------------- loading

@pytest.mark.parametrize("do, words", [
    ("{take: {figure: raw}}", ("'raw' is not a figure of the 'notice_period' decision",
                               "period_ends, working_day")),
    ("take", ("name the figure it takes",)),
])
def test_a_take_that_names_no_figure_of_its_decision_is_refused(tmp_path, do, words):
    path = edited(tmp_path, "cdg62-demat", "do: {take: {figure: working_day}}", f"do: {do}")
    with pytest.raises(rulesfile.RulesError) as e:
        rulesfile.load(path)
    assert e.value.line > 0
    for w in words:
        assert w in e.value.message, e.value.message


def test_take_carries_out_no_other_decision(tmp_path):
    path = edited(tmp_path, "cdg62-demat", "when: {t: notice_period, extend_to_working_day: true}",
                  "when: {t: notice, by: member}")
    with pytest.raises(rulesfile.RulesError) as e:
        rulesfile.load(path)
    assert "take cannot carry out a 'notice' decision" in e.value.message


# ---------------------------------------------------------------------------- standing

def test_a_rules_file_says_when_a_default_may_start(tmp_path):
    """The standing is posted whenever something overdue disagrees with it, with `daily_check`
    saying whether the day's phase (e) check posts it. The shipped rule starts a default only
    there: the 2026 call (500.00, due 2026-01-31) unpaid is a default on 2026-02-01. A copy whose
    rule wants `daily_check: false` starts it only when money that does not cover it arrives
    (2026-03-02)."""
    body = ("start: 2026-01-01\nmember: {agents: 1480}\nconsultations: {2025: 112}\nevents:\n"
            "  - {date: 2026-03-02, type: payment, amount: \"100.00\"}\n")
    _, base = run("cdg62-demat", body, "2026-12-31")
    assert [e.date for e in base.entries if e.kind == "payment_overdue"] == [D("2026-02-01")]
    path = edited(tmp_path, "cdg62-demat", "standing: current, daily_check: true}",
                  "standing: current, daily_check: false}")
    _, tl = run(path, body, "2026-12-31")
    assert [e.date for e in tl.entries if e.kind == "payment_overdue"] == [D("2026-03-02")]


# ---------------------------------------------------------------------------- amicable attempt

def test_a_rules_file_says_which_steps_open_and_close_an_amicable_attempt(tmp_path):
    """cdg62-demat: opened, referred, referred again: the second referral comes without its own
    attempt (amicable_step_skipped). A copy whose dispute rule no longer closes the attempt on a
    referral flags nothing."""
    body = (DEMAT + "  - {date: 2027-02-01, type: dispute, step: opened}\n"
            "  - {date: 2027-03-01, type: dispute, step: referred}\n"
            "  - {date: 2027-04-01, type: dispute, step: referred}\n")
    _, base = run("cdg62-demat", body)
    assert [d.date for d in base.diagnostics if d.code == "amicable_step_skipped"] == [D("2027-04-01")]
    path = edited(tmp_path, "cdg62-demat", "opens: opened, closes: referred}}", "opens: opened}}")
    _, tl = run(path, body)
    assert not [d for d in tl.diagnostics if d.code == "amicable_step_skipped"]


# ---------------------------------------------------------------------------- basis year

BASIS = "start: 2026-01-01\nmember: {agents: 1480}\nconsultations: {2025: 112, 2026: 300}\n"


def test_a_rules_file_says_which_years_value_a_call_reads(tmp_path):
    """cdg62-demat's band_basis previous_year: the 2026 call reads 2025's 112 consultations (band
    2, 500.00). A copy whose basis rule takes the call's own year reads 2026's 300 (band 4,
    2000.00), with the parameter unchanged."""
    _, base = run("cdg62-demat", BASIS)
    c = base.contribution(2026)
    assert (c.band, c.due) == (2, Decimal("500.00"))
    assert base.entries[1].detail["basis_year"] == 2025
    path = edited(tmp_path, "cdg62-demat", "do: {take: {figure: year_before}}",
                  "do: {take: {figure: year}}")
    _, tl = run(path, BASIS)
    c = tl.contribution(2026)
    assert (c.band, c.due) == (4, Decimal("2000.00"))
    assert tl.entries[1].detail["basis_year"] == 2026


def test_without_the_basis_rule_the_parameter_changes_nothing(tmp_path):
    """A copy whose basis rule holds for `same_year` only: previous_year then reads the call's
    own year (the figure as it stands, no rule firing), as same_year does."""
    path = edited(tmp_path, "cdg62-demat", "when: {t: basis_year, choice: previous_year}",
                  "when: {t: basis_year, choice: same_year}")
    _, tl = run(path, BASIS)
    assert tl.contribution(2026).band == 4


# ---------------------------------------------------------------------------- stand-in

STAND_IN = "start: 2026-01-01\nmember: {agents: 1480}\nconsultations: {2023: 300, 2027: 40}\n"


def test_a_rules_file_says_which_known_year_stands_in(tmp_path):
    """2025's count (the 2026 call's basis) is not known; 2023's (300, band 4) and 2027's (40,
    band 1) are. The shipped rule takes the latest earlier year, 2023 (2000.00, volume_estimated
    naming 2023); a copy whose rule takes the latest year known stands 2027 in (250.00)."""
    _, base = run("cdg62-demat", STAND_IN)
    assert (base.contribution(2026).band, base.contribution(2026).due) == (4, Decimal("2000.00"))
    first = next(d for d in base.diagnostics if d.code == "volume_estimated")
    assert (first.values["stand_in"], first.values["basis_year"]) == (2023, 2025)
    path = edited(tmp_path, "cdg62-demat", "do: {take: {figure: latest_before}}",
                  "do: {take: {figure: latest_known}}")
    _, tl = run(path, STAND_IN)
    assert (tl.contribution(2026).band, tl.contribution(2026).due) == (1, Decimal("250.00"))
    first = next(d for d in tl.diagnostics if d.code == "volume_estimated")
    assert first.values["stand_in"] == 2027


def test_a_rules_file_without_a_stand_in_calls_on_no_basis(tmp_path):
    """A copy whose stand-in rule never holds: the 2026 call has no basis value (volume_unknown,
    band 1), although 2023's count is known."""
    path = edited(tmp_path, "cdg62-demat", "when: {t: stand_in}",
                  "when: {t: stand_in, latest_before: {gt: {field: basis_year}}}")
    _, tl = run(path, STAND_IN)
    assert tl.contribution(2026).band == 1
    assert [d.date for d in tl.diagnostics if d.code == "volume_unknown"][0] == D("2026-01-01")
    assert not [d for d in tl.diagnostics if d.code == "volume_estimated" and d.date.year == 2026]


# ---------------------------------------------------------------------------- amendments of the term

def amendment(set_: str) -> str:
    return DEMAT + f"  - {{date: 2027-02-01, type: amendment, ref: A1, effective: 2027-03-01, set: {set_}}}\n"


def test_a_rules_file_says_which_amendments_are_ineffective(tmp_path):
    """The engine posts what an amendment sets (`sets_term`, `sets_other`); the shipped rule flags
    any that sets the term. A copy whose rule flags only an amendment that sets nothing else
    leaves the one that also sets the payment term unflagged (its term part is still left out)."""
    both = amendment("{term: {initial: P5Y}, contribution: {payment_term: P60D}}")
    only = amendment("{term: {initial: P5Y}}")
    for body in (both, only):
        _, base = run("cdg62-demat", body)
        assert [d.code for d in base.diagnostics].count("amendment_ineffective") == 1
    path = edited(tmp_path, "cdg62-demat", "when: {t: amendment, sets_term: true}",
                  "when: {t: amendment, sets_term: true, sets_other: false}")
    _, tl = run(path, both)
    assert "amendment_ineffective" not in [d.code for d in tl.diagnostics]
    _, tl = run(path, only)
    assert [d.code for d in tl.diagnostics].count("amendment_ineffective") == 1


# ---------------------------------------------------------------------------- after the last day

LATE = ("overrides: {contribution: {refund_unused: false}}\n" + DEMAT
        + "  - {date: 2028-02-01, type: notice, by: member, received: {cdg: 2027-03-10, archives: 2027-03-10}}\n")


def test_a_rules_file_says_a_period_after_the_last_day_is_owed_nothing(tmp_path):
    """A member notice of 2027-03-10 (last day 2027-05-10) learned on 2028-02-01, after 2028 was
    called; refund_unused false, so 2027 stays whole. The shipped rule cuts 2028 to no days; a
    copy whose rule holds for the cdg's terminations only leaves it called in full."""
    _, base = run("cdg62-demat", LATE)
    assert base.termination.last_day == D("2027-05-10")
    assert [(c.year, c.covered_days) for c in base.contributions] == [(2026, 365), (2027, 365), (2028, 0)]
    path = edited(tmp_path, "cdg62-demat", "when: {t: last_day_call, after_last_day: true}",
                  "when: {t: last_day_call, after_last_day: true, by: cdg}")
    _, tl = run(path, LATE)
    assert [(c.year, c.covered_days) for c in tl.contributions] == [(2026, 365), (2027, 365), (2028, 366)]
    assert not [e for e in tl.entries if e.kind == "contribution_adjusted"]


def test_a_rules_file_says_no_period_after_the_last_day_is_called(tmp_path):
    """The `call` decision posts `after_last_day` (the period begins after the last day known on
    the call date). With the shipped rules the convention terminates the day after its last day,
    before that day's call; so take a copy of the base whose termination rule fires for the cdg's
    notices only: the member's notice (last day 2027-05-10) still stops the calls, by the `call`
    rule (`after_last_day: false`), and 2028 is not called. Edit that one rule (`when: {t: call}`)
    and 2028 is called, for the no days it covers."""
    base = Path(rulesfile.find_base("base")).read_text(encoding="utf-8")
    no_termination = base.replace("    when: {t: terminate}\n", "    when: {t: terminate, by: cdg}\n")
    assert no_termination != base

    def copy(folder: str, base_text: str) -> str:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "my-base.yaml").write_text(base_text, encoding="utf-8")
        path = tmp_path / folder / "cdg62-demat-copy.yaml"
        path.write_text(shipped("cdg62-demat").replace("extends: base\n", "extends: my-base.yaml\n"),
                        encoding="utf-8")
        return str(path)

    _, tl = run(copy("a", no_termination), demat_notice("2027-03-10"))
    assert not [e for e in tl.entries if e.kind == "terminated"]
    assert [(c.year, c.covered_days) for c in tl.contributions] == [(2026, 365), (2027, 130)]
    called = no_termination.replace("    when: {t: call, after_last_day: false}\n", "    when: {t: call}\n")
    assert called != no_termination
    _, tl = run(copy("b", called), demat_notice("2027-03-10"))
    assert [(c.year, c.covered_days, c.due) for c in tl.contributions] == [
        (2026, 365, Decimal("500.00")), (2027, 130, Decimal("178.08")), (2028, 0, Decimal("0.00"))]
