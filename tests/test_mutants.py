"""Pins: behaviours that a mutation of the engine or of a rules file changed without any other test
noticing (issue 11, and the runs of tests/tools/mutation/run.py that docs/testing.md reports).

Each test names, in its docstring, the mutant it kills; every expected value is worked out by hand
from docs/spec.md or the rules file, never copied from the engine's output.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import example, given
from hypothesis import strategies as st

import engine
from engine.core import dates
from engine.conventions import rulesfile
from engine.answers.deadlines import deadlines
from engine.errors import ScenarioError
from engine.core.ledger import Call, Ledger

D = dt.date.fromisoformat
M = Decimal
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers


def scenario(*events: str, convention: str = "cdg62-demat", start: str = "2026-01-01",
             horizon: str | None = None, member: str | None = "{agents: 100}",
             inputs: str | None = None, overrides: str | None = None) -> str:
    """Scenario text; ``events``, ``member``, ``inputs`` and ``overrides`` are YAML flow text."""
    lines = ["scenario: 1", f"convention: {convention}", "name: Pins", f"start: {start}"]
    if horizon:
        lines.append(f"horizon: {horizon}")
    if member:
        lines.append(f"member: {member}")
    if inputs:
        lines.append(inputs)
    if overrides:
        lines.append(f"overrides: {overrides}")
    if events:
        lines.append("events:")
        lines += [f"  - {e}" for e in events]
    return "\n".join(lines) + "\n"


def run(*events: str, **kw) -> engine.Timeline:
    return engine.replay(engine.load_scenario(scenario(*events, **kw)))


def notice(date: str, by: str, **received: str) -> str:
    rec = ", ".join(f"{k}: {v}" for k, v in received.items())
    return f"{{date: {date}, type: notice, by: {by}, received: {{{rec}}}}}"


def member_notice(date: str) -> str:
    """A cdg62-demat member notice received by both recipients on ``date``."""
    return notice(date, "member", cdg=date, archives=date)


def dispute(date: str, step: str) -> str:
    return f"{{date: {date}, type: dispute, step: {step}}}"


def entries(t, kind: str):
    return [e for e in t.entries if e.kind == kind]


def diags(t, code: str):
    return [d for d in t.diagnostics if d.code == code]


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """The 1-based line of the first ``needle`` (after the first ``after``, if given)."""
    lines = text.splitlines()
    i = 0
    if after is not None:
        i = next(n for n, x in enumerate(lines) if after in x) + 1
    return next(n for n in range(i, len(lines)) if needle in lines[n]) + 1


# =========================================================================== issue 11


def test_a_count_given_twice_shows_the_one_it_replaces():
    """1. `previous` on a consultations entry (replay/charges.record: `if previous is not None`)."""
    t = run("{date: 2026-03-01, type: consultations, year: 2025, count: 120}",
            "{date: 2026-04-01, type: consultations, year: 2025, count: 200}",
            "{date: 2026-05-01, type: consultations, year: 2024, count: 10}",
            inputs="consultations: {2024: 60}")
    assert [(e.date, dict(e.detail)) for e in entries(t, "consultations_recorded")] == [
        (D("2026-03-01"), {"year": 2025, "count": 120}),  # first count of 2025: nothing replaced
        (D("2026-04-01"), {"year": 2025, "count": 200, "previous": 120}),
        (D("2026-05-01"), {"year": 2024, "count": 10, "previous": 60}),  # the scenario's count
    ]


def test_a_reduction_is_taken_from_the_latest_amount_first():
    """2. Ledger.change_due takes a decrease from the newest charge first (the mutant: oldest
    first, `reverse=False`); what is overdue on a day follows."""
    c = Call(D("2026-01-01"), D("2026-12-31"), D("2026-01-01"), 365, 365, {}, None, due=M("1000.00"))
    ledger = Ledger().add(c, D("2026-01-31"))

    def change(due, due_date):
        return ledger.change_due(ledger.calls[c.first], due, due_date)

    ledger = change(M("1500.00"), D("2026-07-31"))  # +500, due later: a second charge
    charges = lambda: [(x.due_date, x.amount) for x in ledger.calls[c.first].charges]  # noqa: E731
    assert charges() == [(D("2026-01-31"), M("1000.00")), (D("2026-07-31"), M("500.00"))]
    ledger = change(M("1200.00"), D("2026-09-30"))  # -300: from July's 500
    assert charges() == [(D("2026-01-31"), M("1000.00")), (D("2026-07-31"), M("200.00"))]
    ledger = change(M("700.00"), D("2026-10-31"))  # -500: July's 200, then 300 of January's
    assert charges() == [(D("2026-01-31"), M("700.00")), (D("2026-07-31"), M("0.00"))]
    assert ledger.calls[c.first].due == M("700.00")
    ledger = ledger.receive(M("100.00"))
    assert ledger.overdue(D("2026-02-01")) == M("600.00")  # 700 due in January, 100 paid
    assert ledger.overdue(D("2026-01-31")) == M("0.00")  # nothing is overdue on its due date


@pytest.mark.parametrize("convention, rule", [("cdg62-demat", "art6"), ("cdg62-medecine", "art8")])
def test_a_second_referral_needs_its_own_amicable_attempt(convention, rule):
    """3. After a referral, the next referral without a new `opened` is flagged (the mutant:
    `amicable_attempt` not reset by a referral)."""
    member = "{agents: 100}" if convention == "cdg62-demat" else None
    t = run(dispute("2027-02-01", "opened"), dispute("2027-03-01", "referred"),
            dispute("2027-06-01", "referred"), dispute("2027-09-01", "opened"),
            dispute("2027-10-01", "referred"), convention=convention, member=member)
    assert [(e.date, e.rule) for e in entries(t, "dispute_referred")] == [
        (D("2027-03-01"), f"{rule}.dispute"), (D("2027-06-01"), f"{rule}.amicable_step_skipped"),
        (D("2027-10-01"), f"{rule}.dispute")]
    assert [d.date for d in diags(t, "amicable_step_skipped")] == [D("2027-06-01")]


def test_opened_settled_then_referred_had_its_amicable_attempt():
    """3. opened -> settled -> referred: the attempt was made, the referral is not flagged (the
    mutant: a settlement closing the attempt, `elif e.step != "referred"`)."""
    t = run(dispute("2027-02-01", "opened"), dispute("2027-03-01", "settled"),
            dispute("2027-04-01", "referred"))
    assert [e.kind for e in t.entries if e.kind.startswith("dispute_")] == [
        "dispute_opened", "dispute_settled", "dispute_referred"]
    assert [e.rule for e in entries(t, "dispute_referred")] == ["art6.dispute"]
    assert diags(t, "amicable_step_skipped") == []


# 4. `within_initial_term: refused` refuses a last day strictly before the initial term's last
# day (`lt`); a last day on it is accepted (the mutant: `lte`), one day earlier is refused.
REFUSED = "{notice: {within_initial_term: refused}}"


@pytest.mark.parametrize("day, refused", [("2028-10-31", False), ("2028-10-30", True)])
def test_demat_refused_within_initial_term_boundary(day, refused):
    # initial term 2026-01-01 + P3Y - 1 day = 2028-12-31; 2028-10-31 + P2M = 2028-12-31
    t = run(member_notice(day), horizon="2029-12-31", overrides=REFUSED)
    assert bool(entries(t, "notice_refused")) is refused
    if refused:
        assert t.termination is None  # renewed on 2029-01-01, indefinitely
        assert [d.code for d in t.diagnostics if d.code.startswith("notice")] == ["notice_refused"]
    else:
        assert (t.termination.by, t.termination.last_day) == ("member", D("2028-12-31"))


@pytest.mark.parametrize("day, refused", [("2026-09-30", True), ("2026-10-01", False)])
def test_medecine_refused_within_initial_term_boundary(day, refused):
    # initial term 2026-01-01 + P1Y - 1 = 2026-12-31. With effect after_period the last day is
    # N + P3M: 2026-09-30 -> 2026-12-30, refused; 2026-10-01 -> 2027-01-01, accepted.
    t = run(notice(day, "member", cdg=day), convention="cdg62-medecine", member=None,
            horizon="2027-12-31",
            overrides="{notice: {within_initial_term: refused, effect: after_period}}")
    if refused:
        assert [e.date for e in entries(t, "notice_refused")] == [D(day)]
        assert t.termination.by == "expiry"  # the last renewal's end, 2029-12-31
    else:
        assert entries(t, "notice_refused") == []
        assert (t.termination.by, t.termination.last_day) == ("member", D("2027-01-01"))


def test_medecine_at_period_end_on_the_initial_terms_last_day_is_not_refused():
    # at_period_end (the file's effect): 2026-09-30 + P3M = 2026-12-30 -> the period's end,
    # 2026-12-31, the initial term's last day itself: not before it, so not refused.
    t = run(notice("2026-09-30", "member", cdg="2026-09-30"), convention="cdg62-medecine",
            member=None, horizon="2027-12-31", overrides=REFUSED)
    assert entries(t, "notice_refused") == []
    assert (t.termination.by, t.termination.last_day) == ("member", D("2026-12-31"))


@pytest.mark.parametrize("day, accepted", [("2028-06-30", True), ("2027-06-30", False)])
def test_assurance_refused_within_initial_term_boundary(day, accepted):
    # ends_on 2028-12-31 is the initial term's last day; at_exit_date: the first 31 December on or
    # after N + P6M. 2028-06-30 + P6M = 2028-12-30 -> 2028-12-31, on the initial term's last day.
    t = run(notice(day, "member", cdg=day), convention="cdg62-assurance", member=None,
            start="2026-01-01", overrides=REFUSED)
    if accepted:
        assert entries(t, "notice_refused") == []
        assert (t.termination.by, t.termination.last_day) == ("member", D("2028-12-31"))
    else:
        assert [e.date for e in entries(t, "notice_refused")] == [D(day)]
        assert t.termination.by == "expiry"


def test_a_notice_after_the_expiry_says_so():
    """5. The message of a notice that ends after the expiry (replay/term.supersede:
    `because == "after_expiry"`; the mutant gives the ranking message)."""
    t = run(member_notice("2028-12-01"), overrides="{term: {renewal: none}}")
    # 2028-12-01 + P2M = 2029-02-01 > 2028-12-31, the expiry's last day; the notice is event 1.
    [d] = diags(t, "notice_superseded")
    line = 8  # scenario, convention, name, start, member, overrides, events, then the notice
    assert d.message == f"notice by member (line {line}) has no effect: its last day is after the expiry"
    assert d.message_fr == (f"la dénonciation par la collectivité (ligne {line}) est sans effet : son "
                            "dernier jour tombe après l'échéance de la convention")
    [e] = entries(t, "notice_superseded")
    assert "ruling_last_day" not in e.detail  # nothing rules yet: the expiry is not a notice


def test_a_notice_after_a_ruling_notice_gives_the_ranking_message():
    """5. The other branch: superseded by a notice that ends earlier."""
    t = run(member_notice("2027-01-10"), notice("2027-02-01", "cdg", member="2027-02-01"))
    [d] = diags(t, "notice_superseded")
    assert d.message == "notice by cdg (line 8) has no effect: an earlier termination rules"
    [e] = entries(t, "notice_superseded")
    assert e.detail["ruling_last_day"] == D("2027-03-10")


@pytest.mark.parametrize("text, ok", [
    ("P1000M", True), ("P10000D", True), ("10000 days", True), ("P10Y100M10000D", True),
    ("P10001Y", False), ("P1Y10001D", False), ("P10001M", False), ("10001 years", False),
    ("P1430W", True), ("P10001W", False),
    # and at most 100 years in all (dates.MAX_YEARS), so that no date overflows
    ("P100Y", True), ("100 years", True), ("P99Y12M", True), ("P1200M", True), ("P100Y1D", False),
    ("P101Y", False), ("P1201M", False), ("P10000Y", False), ("P99Y11M31D", True),
    ("P99Y11M32D", False), ("P5217W", True), ("P5218W", False),
])
def test_the_longest_duration(text, ok):
    """6. At most 10,000 of each unit (dates._MAX_PART, `>`) and 100 years in all
    (dates.MAX_YEARS): the mutants move the limits."""
    if ok:
        dates.parse_duration(text)
    else:
        with pytest.raises(dates.DurationError, match="too long"):
            dates.parse_duration(text)


def test_latest_notification_with_months_and_days():
    """7. 2024-03-01 with P1M7D: 2024-01-23 + 1 month = 2024-02-23, + 7 days = 2024-03-01."""
    p = dates.parse_duration("P1M7D")
    assert dates.latest_notification(D("2024-03-01"), p) == D("2024-01-23")
    # 31 Mar - P1M3D: 28 Feb + 1 month = 28 Mar + 3 = 31 Mar; 29 Feb 2027 does not exist.
    assert dates.latest_notification(D("2027-03-31"), dates.parse_duration("P1M3D")) == D("2027-02-28")


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.integers(0, 3), st.integers(0, 30), st.integers(0, 60))
@example(dt.date(2024, 3, 1), 0, 1, 7)
@example(dt.date(2027, 3, 31), 0, 1, 3)
@example(dt.date(2028, 2, 29), 1, 0, 0)
def test_latest_notification_is_the_latest_that_fits(last, years, months, days):
    """7. N + P <= L < (N + 1 day) + P, for periods mixing years, months and days."""
    p = relativedelta(years=years, months=months, days=days)
    n = dates.latest_notification(last, p)
    assert n + p <= last < n + dates.ONE_DAY + p


def test_a_rules_file_with_an_invalid_parameter_value(tmp_path):
    """8. RulesError naming `parameters.notice.member` and its line."""
    text = (ROOT / "rules" / "cdg62-demat.yaml").read_text(encoding="utf-8")
    bad = text.replace("      value: P2M\n", "      value: two months\n", 1)
    assert bad != text
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(rulesfile.RulesError) as info:
        rulesfile.load(str(path))
    e = info.value
    assert e.message.startswith("parameters.notice.member: expected a duration such as P3Y")
    assert "'two months'" in e.message
    assert e.line == line_of(bad, "    member:", after="  notice:")


@pytest.mark.parametrize("overrides, message", [
    ("{notice: {recipients: {member: []}}}", "overrides: notice.recipients: expected a non-empty list "
                                            "of recipients for member"),
    ("{term: {max_renewals: -1}}", "overrides: term.max_renewals: expected a whole number >= 0, got -1"),
    ("{term: {max_renewals: true}}", "overrides: term.max_renewals: expected a whole number >= 0, got True"),
])
def test_overrides_refused(overrides, message):
    """9. An empty recipients list and a negative max_renewals are refused at load."""
    with pytest.raises(ScenarioError) as info:
        engine.load_scenario(scenario(overrides=overrides))
    assert info.value.message == message
    assert info.value.line == 6


def test_max_renewals_zero_is_accepted():
    """9. The boundary: `max_renewals: 0` is a count (periodic, no renewal: expires at the term)."""
    t = run(horizon="2029-12-31",
            overrides="{term: {renewal: periodic, renewal_period: P1Y, max_renewals: 0}}")
    assert entries(t, "renewed") == []
    assert (t.termination.by, t.termination.last_day) == ("expiry", D("2028-12-31"))


def test_deadlines_to_dict():
    """10. Deadlines.to_dict(), field by field."""
    s = engine.load_scenario(scenario())
    d = deadlines(s, engine.replay(s), D("2028-06-01"))
    # initial term ends 2028-12-31: member P2M -> notified by 2028-10-31; cdg P6M -> 2028-06-30;
    # a notice on 2028-06-01 ends 2028-08-01 (member) or 2028-12-01 (cdg).
    assert d.to_dict() == {
        "name": "Pins", "as_of": "2028-06-01", "status": "renewal", "term_ends": "2028-12-31",
        "renewal_on": "2029-01-01",
        "notices": [
            {"party": "member", "period": "P2M", "notice_by": "2028-10-31", "passed": False,
             "earliest_last_day": "2028-08-01"},
            {"party": "cdg", "period": "P6M", "notice_by": "2028-06-30", "passed": False,
             "earliest_last_day": "2028-12-01"}],
        "next_call": "2029-01-01", "call_due": "2029-01-31", "termination_by": None,
        "notified": None, "last_day": None, "exit_on": None, "start": None, "balance": None,
        "overdue": [], "at_once": []}


def test_deadlines_to_dict_once_terminated():
    """10. A terminated convention: its last day and what it still owes, as text."""
    s = engine.load_scenario(scenario(member_notice("2026-03-01"), member="{agents: 1000}",
                                      inputs="consultations: {2025: 200}"))
    d = deadlines(s, engine.replay(s), D("2026-06-01"))
    # last day 2026-05-01; 2026 called 1000.00 (band 3, large), prorated to 121 / 365 days:
    # 1000 x 121 / 365 = 331.506... -> 331.51 owed, nothing paid.
    assert d.to_dict() == {
        "name": "Pins", "as_of": "2026-06-01", "status": "terminated", "term_ends": None,
        "renewal_on": None, "notices": [], "next_call": None, "call_due": None,
        "termination_by": "member", "notified": "2026-03-01", "last_day": "2026-05-01",
        "exit_on": None, "start": None, "balance": "331.51",
        # the 2026 call, due 2026-01-31, cut to 331.51 at the last day: overdue since then;
        # ended, no notice can end it at once any more
        "overdue": [{"year": 2026, "period": "2026-01-01", "due_date": "2026-01-31",
                     "amount": "331.51"}],
        "at_once": []}


# =========================================================================== survivors of run.py
# Mutants that survived the fast subset in tests/tools/mutation/run.py (docs/testing.md lists them with
# the run's figures); each test names its mutant by file:line and the change.

DEMAT = (ROOT / "rules" / "cdg62-demat.yaml").read_text(encoding="utf-8")


def broken_rules(tmp_path, old: str, new: str, text: str = DEMAT) -> rulesfile.RulesError:
    """Load a copy of a rules file with ``old`` replaced by ``new``; return the error."""
    assert text.count(old) == 1, old
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(rulesfile.RulesError) as info:
        rulesfile.load(str(path))
    return info.value


def test_year_days():
    """dates.py `year_days`: 12 -> 13 and 31 -> 30 in ``date(year, 12, 31)``, 366 -> 365."""
    assert [dates.year_days(y) for y in (2027, 2028, 2100, 2000)] == [365, 366, 365, 366]


@pytest.mark.parametrize("convention, rule", [("cdg62-assurance", "art2.amendment_term"),
                                              ("cdg62-medecine", "art4.amendment_term")])
def test_an_amendment_of_the_term_is_ineffective(convention, rule):
    """rules: `amendment_term` before `amendment` (the swap records it as a plain amendment)."""
    t = run('{date: 2026-06-01, type: amendment, ref: A1, effective: 2027-01-01, '
            'set: {term: {renewal: indefinite}, notice: {member: P4M}}}',
            convention=convention, member=None, horizon="2027-12-31")
    [r] = entries(t, "amendment_recorded")
    assert (r.date, r.rule) == (D("2026-06-01"), rule)
    assert [d.date for d in diags(t, "amendment_ineffective")] == [D("2026-06-01")]


def test_a_do_with_two_consequences_is_refused(tmp_path):
    """rulesfile.py `_do`: ``v.kind == "map" and len(v.value) == 1`` (and -> or)."""
    e = broken_rules(tmp_path, "    when: {t: agents}\n    do: record\n",
                     "    when: {t: agents}\n    do: {record: {}, call: {}}\n")
    assert e.message == ("rules.annex1.agents: do: expected a consequence, or "
                         "{consequence: {arguments}}")


@pytest.mark.parametrize("t, do", [("payment", "record"), ("consultations", "call")])
def test_a_do_that_cannot_carry_out_the_decision_is_refused(tmp_path, t, do):
    """rulesfile.py `_rules`: ``not ("input" in fits and t in input_types)`` (and -> or): `record`
    carries out an input's decision only, `call` no input's."""
    e = broken_rules(tmp_path, "    when: {t: agents}\n    do: record\n",
                     f"    when: {{t: {t}}}\n    do: {do}\n")
    assert e.message.startswith(f"rules.annex1.agents: do: {do} cannot carry out a {t!r} decision")


@pytest.mark.parametrize("name", ["was_band", "t", "seq", "refund"])
def test_a_row_figure_named_as_a_posted_field_is_refused(tmp_path, name):
    """rulesfile.py `_amount`: ``key in DECISIONS["adjust"] or key.startswith("was_") or key in
    ("t", "sid", "seq")`` (each or -> and)."""
    text = DEMAT.replace("    band: {bracket:", f"    {name}: {{bracket:").replace(
        "{figure: band}", f"{{figure: {name}}}").replace("row: {band: count,", f"row: {{{name}: count,")
    text = text.replace("previous: [band]", f"previous: [{name}]")
    e = broken_rules(tmp_path, "row: {", "row: {", text=text)
    assert e.message == (f"amount.row: {name!r} is a field the engine posts itself; "
                         "name the figure otherwise")


@pytest.mark.parametrize("offset, found", [(65536 - 13, True), (65536 - 12, False)])
def test_a_rules_file_is_recognised_by_its_first_64_kib(tmp_path, offset, found):
    """rulesfile.py `is_rules_file` reads 65536 bytes (-> 65535): a `rules_format:` line that
    ends on the last byte read counts, one a byte later does not."""
    head = "#" * (offset - 1) + "\n"
    path = tmp_path / "r.yaml"
    path.write_text(head + "rules_format: 2\n", encoding="utf-8")
    assert len(head.encode()) == offset
    assert rulesfile.is_rules_file(str(path)) is found


@pytest.mark.parametrize("amount, text", [
    ("1234567.89", "1\u202f234\u202f567,89\u00a0€"), ("999.00", "999,00\u00a0€"),
    ("1000.00", "1\u202f000,00\u00a0€"), ("-12345.5", "-12\u202f345,50\u00a0€"),
    ("0.005", "0,01\u00a0€"), ("-0.001", "0,00\u00a0€"),
])
def test_french_amounts(amount, text):
    """money.py `amount_text`: groups of three (``whole[-3:]``, ``whole[:-3]``: 3 -> 4 or 2)."""
    from engine.core.money import amount_text
    assert amount_text(M(amount), "fr") == text


def test_a_decrease_below_one_unit_is_taken_from_the_charges():
    """ledger.py `change_due`: ``elif diff < 0`` (0 -> -1: a decrease of less than 1.00 kept)."""
    c = Call(D("2026-01-01"), D("2026-12-31"), D("2026-01-01"), 365, 365, {}, None, due=M("10.00"))
    ledger = Ledger().add(c, D("2026-01-31"))
    ledger = ledger.change_due(ledger.calls[c.first], M("9.50"), D("2026-03-31"))
    assert [(x.due_date, x.amount) for x in ledger.calls[c.first].charges] == [(D("2026-01-31"), M("9.50"))]
    ledger = ledger.allocate()
    assert ledger.overdue(D("2026-02-01")) == M("9.50")


def test_the_calendar_of_a_convention_not_yet_in_force_holds_its_start_only():
    """deadlines.py `calendar_events`: ``d.status in (...) and d.next_call is not None`` (and ->
    or: a call and its due date added before the start)."""
    from engine.answers.deadlines import calendar_events
    s = engine.load_scenario(scenario(start="2027-03-01"))
    d = deadlines(s, engine.replay(s), D("2026-06-01"))
    assert (d.status, d.next_call) == ("not_started", D("2027-03-01"))
    assert calendar_events(d) == [("start", D("2027-03-01"))]


@pytest.mark.parametrize("text, parts", [
    ("2 months", (0, 2, 0)), ("3 years", (3, 0, 0)), ("1 year", (1, 0, 0)), ("2 weeks", (0, 0, 14)),
    ("30 days", (0, 0, 30)), ("1 day", (0, 0, 1)), ("P1Y2M3W4D", (1, 2, 25)),
])
def test_durations_in_words_have_only_their_unit(text, parts):
    """dates.py `parse_duration`: the other units of a duration in words start at 0 (-> -1)."""
    d = dates.parse_duration(text)
    assert (d.years, d.months, d.days) == parts


@pytest.mark.parametrize("value, ok", [(10**9, True), (10**9 + 1, False), (0, True), (-1, False)])
def test_the_largest_count(value, ok):
    """params.py `_count`: at most 10**9 (``10**9``: 10 -> 11 or 9)."""
    from engine.core import params
    if ok:
        assert params.TYPES["count"](value) == value
    else:
        with pytest.raises(ValueError):
            params.TYPES["count"](value)


@pytest.mark.parametrize("value", [0.0033, True, "-0.1", "1e-3"])
def test_a_rate_is_never_a_float(value):
    """params.py `_rate`: ``isinstance(v, bool) or isinstance(v, float)`` (or -> and)."""
    from engine.core import params
    with pytest.raises(ValueError, match="expected a rate"):
        params.TYPES["rate"](value)
    assert params.TYPES["rate"]("0.0033") == M("0.0033")


def _formula(expr, **params):
    from engine.core import formula
    env = formula.Env({k: ("list" if isinstance(v, tuple) else "number") for k, v in params.items()},
                      set(), set())
    f, _ = formula.compile_formula(expr, env)
    return f(formula.Context(params, {}, {}, {}))


@pytest.mark.parametrize("at, want", [(0, "10"), (-3, "10"), (1, "10"), (2, "20"), (3, "30"),
                                      (4, "30"), (99, "30")])
def test_item_is_one_based_and_clamped(at, want):
    """formula.py `item`: ``max(1, min(at, len))`` (1 -> 0: item 0 would be the last one)."""
    values = (M("10"), M("20"), M("30"))
    assert _formula({"item": {"param": "grid"}, "at": at}, grid=values) == M(want)


def test_a_call_covering_no_day_is_free_even_without_prorata():
    """formula.py `call_amounts`: ``if covered <= 0`` (<= -> <): with prorata none, a call
    after a last day learned late is brought down to 0.00, not to a share of the year."""
    from engine.core import formula
    ctx = formula.Context({}, {}, {}, {})
    _, annual, due = formula.call_amounts((("annual", lambda c: M("1000.00")),), ctx, 0, 365, 1, False)
    assert (annual, due) == (M("1000.00"), M("0.00"))
    # The same through a replay: the 2027 call (1000.00, no prorata) is made before the member's
    # notice, received on 2026-10-01, is learned on 2027-02-01: its last day, 2026-12-01, is
    # before the call's year, which then covers no day.
    n = "2026-10-01"
    t = run(f"{{date: 2027-02-01, type: notice, by: member, received: {{cdg: {n}, archives: {n}}}}}",
            member="{agents: 1000}", inputs="consultations: {2025: 200, 2026: 200}",
            overrides="{contribution: {prorata: none}}")
    assert t.termination.last_day == D("2026-12-01")
    c = t.contribution(2027)
    assert (c.covered_days, c.due) == (0, M("0.00"))
    assert t.contribution(2026).due == M("1000.00")  # no prorata: the whole year


@pytest.mark.parametrize("convention, received", [
    ("cdg62-demat", {"cdg": "2027-03-01", "archives": "2027-03-01"}),
    ("cdg62-medecine", {"cdg": "2027-03-01"}), ("cdg62-assurance", {"cdg": "2027-03-01"})])
def test_missing_recipient_void_needs_a_missing_recipient(convention, received):
    """rules: ``missing: {gt: 0}, missing_recipient: void`` (gt -> gte: every notice void)."""
    member = "{agents: 100}" if convention == "cdg62-demat" else None
    t = run(notice("2027-03-01", "member", **received), convention=convention, member=member,
            overrides="{notice: {missing_recipient: void}}")
    assert [e.date for e in entries(t, "termination_scheduled")] == [D("2027-03-01")]
    assert t.termination.by == "member"


def test_a_when_that_is_not_a_mapping_is_refused(tmp_path):
    """conditions.py `compile_when`: ``not isinstance(when, Mapping) or not when`` (or -> and:
    a list reaches `.items()`)."""
    e = broken_rules(tmp_path, "    when: {t: agents}\n", "    when: [t, agents]\n")
    assert e.message == "rules.annex1.agents: when: `when` must map event fields to values"
    e = broken_rules(tmp_path, "    when: {t: agents}\n", "    when: {t: agents, any: [[t, x]]}\n")
    assert e.message == "rules.annex1.agents: when: `when` must map event fields to values"


def test_deadlines_once_renewed_indefinitely():
    """deadlines.py `deadlines`: the exit-date search runs for `at_exit_date` only (== -> !=:
    cdg62-demat has no exit date); calendar.py `can_renew_after` is not asked (indefinite)."""
    s = engine.load_scenario(scenario())
    d = deadlines(s, engine.replay(s), D("2029-06-01"))
    assert d.to_dict() == {
        "name": "Pins", "as_of": "2029-06-01", "status": "indefinite", "term_ends": None,
        "renewal_on": None,
        "notices": [
            {"party": "member", "period": "P2M", "notice_by": None, "passed": False,
             "earliest_last_day": "2029-08-01"},
            {"party": "cdg", "period": "P6M", "notice_by": None, "passed": False,
             "earliest_last_day": "2029-12-01"}],
        "next_call": "2030-01-01", "call_due": "2030-01-31", "termination_by": None,
        "notified": None, "last_day": None, "exit_on": None, "start": None, "balance": None,
        "overdue": [], "at_once": []}


def test_deadlines_without_renewal_are_an_expiry():
    """calendar.py `can_renew_after`: ``self.renewal == "periodic" and (...)`` (and -> or: a
    convention without renewal would show a renewal to avoid)."""
    s = engine.load_scenario(scenario(overrides="{term: {renewal: none}}"))
    d = deadlines(s, engine.replay(s), D("2028-06-01"))
    assert (d.status, d.term_ends, d.renewal_on) == ("expiry", D("2028-12-31"), None)
    assert [n.notice_by for n in d.notices] == [None, None]
    s = engine.load_scenario(scenario(overrides="{term: {renewal: periodic, renewal_period: P1Y, "
                                                "max_renewals: 1}}"))
    t = engine.replay(s)
    assert deadlines(s, t, D("2028-06-01")).status == "renewal"  # period 0 is followed by 1
    d = deadlines(s, t, D("2029-06-01"))  # period 1, the last one
    assert (d.status, d.term_ends) == ("expiry", D("2029-12-31"))


def test_deadlines_notice_of_a_party():
    """deadlines.py `Deadlines.notice`: ``if n.party == party`` (== -> !=)."""
    s = engine.load_scenario(scenario())
    d = deadlines(s, engine.replay(s), D("2028-06-01"))
    assert (d.notice("member").party, d.notice("member").period) == ("member", "P2M")
    assert (d.notice("cdg").party, d.notice("cdg").period) == ("cdg", "P6M")
    assert d.notice("archives") is None


MEDECINE = (ROOT / "rules" / "cdg62-medecine.yaml").read_text(encoding="utf-8")


def test_dated_values_are_read_in_date_order_whatever_their_values(tmp_path):
    """rulesfile.py `_parameters`: dated values sorted by date (``p[0]`` -> ``p[1]``, by value:
    the shipped rates happen to rise with their dates)."""
    old = '        2024-01-01: "0.0033"\n        2027-01-01: "0.0036"\n'
    assert MEDECINE.count(old) == 1
    path = tmp_path / "falling.yaml"
    path.write_text(MEDECINE.replace(old, '        2027-01-01: "0.0030"\n        2024-01-01: "0.0040"\n'),
                    encoding="utf-8")
    t = run(convention=str(path), member=None, start="2026-01-01", horizon="2027-12-31",
            inputs="payroll: {2025: 100000.00, 2026: 100000.00}")
    rate = lambda first: dict((n, v) for n, _, v in t.contribution(D(first)).figures)["rate"]  # noqa: E731
    assert (rate("2026-10-01"), rate("2027-01-01")) == (M("0.0040"), M("0.0030"))


# cdg62-demat cites the base's expiry rule; the copy overrides it with the mutant's condition.
DEMAT_EXPIRY = DEMAT[DEMAT.index("  art5.expiry:\n"):DEMAT.index("  art5.tacit_renewal:\n")]
EXPIRY_K0 = """  art5.expiry:
    overrides: expiry
    article: Article 5
    when:
      t: period_end
      any:
        - {renewal: none, k: 0}
        - {renewal: periodic, k: {gte: {field: max_renewals}}}
    do: expire
"""


def test_an_expiry_after_the_horizon_is_asked_with_the_last_periods_number(tmp_path):
    """calendar.py `Term.last_period`: 0 without renewal (0 -> 1). The timeline shows an expiry
    after its horizon by asking the rules as at the end of that period, k included."""
    path = tmp_path / "k.yaml"
    assert DEMAT.count(DEMAT_EXPIRY) == 1
    path.write_text(DEMAT.replace(DEMAT_EXPIRY, EXPIRY_K0), encoding="utf-8")
    t = run(convention=str(path), horizon="2027-12-31", overrides="{term: {renewal: none}}")
    assert (t.termination.by, t.termination.last_day) == ("expiry", D("2028-12-31"))


def test_a_reading_of_a_per_year_input_other_than_the_basis_is_refused(tmp_path):
    """rulesfile.py `_amount`: ``basis is None or basis.input != inp`` (or -> and)."""
    text = DEMAT.replace("  agents:\n    current: count\n",
                         "  surface:\n    per_year: count\n    event: surface\n"
                         "    label: {en: surface, fr: surface}\n  agents:\n    current: count\n", 1)
    e = broken_rules(tmp_path, "    - input: agents\n", "    - input: surface\n", text=text)
    assert e.message == "amount.readings: input: 'surface' is not the basis or a current input"


def test_the_exit_date_search_reaches_fifty_exit_dates():
    """deadlines.py `deadlines`: ``for _ in range(50)`` (50 -> 49). With a 49-year notice, the
    first exit date a notice given on 2030-06-01 can reach is the 50th: 2030-06-01 + P49Y =
    2079-06-01 -> 31 December 2079; the latest notice for it is 2030-12-31 + P49Y = 2079-12-31."""
    s = engine.load_scenario(scenario(
        convention="cdg62-assurance", member=None,
        overrides="{term: {ends_on: null, initial: P1Y, renewal: indefinite}, "
                  "notice: {member: P49Y, cdg: P49Y}}"))
    d = deadlines(s, engine.replay(s), D("2030-06-01"))
    assert (d.status, d.exit_on) == ("indefinite", D("2079-12-31"))
    assert [n.notice_by for n in d.notices] == [D("2030-12-31"), D("2030-12-31")]


def test_notice_deadlines_have_reminders_90_60_and_30_days_before():
    """deadlines.py `ALARM_DAYS = (90, 60, 30)` (each +- 1), on notice deadlines and payment
    due dates."""
    from engine.answers.deadlines import to_ics
    s = engine.load_scenario(scenario())
    ics = to_ics(deadlines(s, engine.replay(s), D("2028-06-01"))).decode()
    triggers = [x for x in ics.splitlines() if x.startswith("TRIGGER")]
    # cdg, member, and the payment due date of the 2029 call
    assert triggers == ["TRIGGER:-P90D", "TRIGGER:-P60D", "TRIGGER:-P30D"] * 3


def test_the_notice_deadline_steps_back_over_extensions():
    """deadlines.py `latest_notice`: ``last is not None and last <= last_allowed`` (and -> or:
    the first day tried would be kept). With working days: 2028-10-31 + P2M = Sunday 2028-12-31,
    moved to Tuesday 2029-01-02 (1 January is a holiday): too late; 2028-10-30 + P2M = Saturday
    2028-12-30, also moved; 2028-10-29 + P2M = Friday 2028-12-29: in time."""
    s = engine.load_scenario(scenario(overrides="{notice: {extend_to_working_day: true}}"))
    d = deadlines(s, engine.replay(s), D("2028-06-01"))
    assert d.notice("member").notice_by == D("2028-10-29")
    assert d.notice("cdg").notice_by == D("2028-06-29")  # + P6M = Friday 2028-12-29


def test_medecine_allows_a_notice_within_the_first_year_when_its_effect_is_overridden():
    """rules/cdg62-medecine.yaml `within_initial_term: allowed` (-> postponed or refused): the
    value matters once an override gives the notice its period alone. 2026-03-01 + P3M =
    2026-06-01, inside the first year (which ends 2026-12-31), is the last day."""
    t = run(notice("2026-03-01", "member", cdg="2026-03-01"), convention="cdg62-medecine",
            member=None, overrides="{notice: {effect: after_period}}")
    assert (t.termination.by, t.termination.last_day) == ("member", D("2026-06-01"))
    assert entries(t, "notice_refused") == []


@pytest.mark.parametrize("first, last, n", [("2026-01-01", "2026-12-31", 365), ("2026-03-01", "2026-03-01", 1),
                                            ("2026-03-02", "2026-03-01", 0), ("2026-03-10", "2026-03-01", 0)])
def test_days_between_is_never_negative(first, last, n):
    """dates.py `days_between`: ``max(0, ...)`` (0 -> -1 or 1), both days included."""
    assert dates.days_between(D(first), D(last)) == n


def test_deadlines_on_the_notification_day_show_the_scheduled_termination():
    """deadlines.py `deadlines`: ``t.notified <= as_of`` (<= -> <); deadlines.py `to_ics`: the
    last day's summary names the party (``d.termination_by or ""``: or -> and)."""
    from engine.answers.deadlines import to_ics
    s = engine.load_scenario(scenario(member_notice("2027-03-01")))
    d = deadlines(s, engine.replay(s), D("2027-03-01"))
    assert (d.status, d.termination_by, d.notified, d.last_day) == (
        "scheduled", "member", D("2027-03-01"), D("2027-05-01"))
    ics = to_ics(d).decode().replace("\r\n ", "")  # unfolded (RFC 5545 folds at 75 octets)
    assert "SUMMARY:Last day of the convention (notice by the member) — Pins" in ics
    assert "SUMMARY:Dernier jour de la convention (dénonciation par la collectivité) — Pins" in (
        to_ics(d, "fr").decode().replace("\r\n ", ""))


@pytest.mark.parametrize("value", ["", "   ", 5, None])
def test_text_parameters_are_text(value):
    """params.py `_text`: ``not isinstance(v, str) or not v.strip()`` (or -> and)."""
    from engine.core import params
    with pytest.raises(ValueError, match="expected text"):
        params.TYPES["text"](value)


def test_a_refused_notice_is_refused_before_it_is_ranked():
    """rules/cdg62-demat.yaml: `art5.within_initial_term` before `art5.notice_ranking`. The cdg
    ends the convention at once for non-payment on 2026-03-01 (the 2026 call, due 2026-01-31, is
    unpaid); the member's notice the same day would end on 2026-05-01, after that last day and
    inside the initial term: refused (within_initial_term refused), not superseded."""
    n = "2026-03-01"
    t = run(f"{{date: {n}, type: notice, by: cdg, reason: non_payment, received: {{member: {n}}}}}",
            member_notice(n), member="{agents: 1000}", inputs="consultations: {2025: 200}",
            overrides=REFUSED)
    assert (t.termination.by, t.termination.last_day, t.termination.immediate) == (
        "cdg", D("2026-03-01"), True)
    [r] = entries(t, "notice_refused")
    assert (r.date, r.detail["by"]) == (D(n), "member")
    assert entries(t, "notice_superseded") == []


@pytest.mark.parametrize("text, iso", [("P1M7D", "P1M7D"), ("P0D", "P0D"), ("P3Y", "P3Y"),
                                       ("P2W", "P14D"), ("P1Y6M", "P1Y6M"), ("30 days", "P30D"),
                                       ("P1Y2M3D", "P1Y2M3D")])
def test_format_duration(text, iso):
    """dates.py `format_duration`: ``if d.days or out == "P"`` (or -> and, == -> !=),
    ``if d.years`` / ``if d.months``."""
    assert dates.format_duration(dates.parse_duration(text)) == iso


@pytest.mark.parametrize("values", ["{}", '["0.0033"]'])
def test_dated_values_must_be_a_mapping_of_dates(tmp_path, values):
    """rulesfile.py `_parameters`: ``dv.kind != "map" or not dv.value`` (or -> and)."""
    e = broken_rules(tmp_path, '      values:\n        2024-01-01: "0.0033"\n        2027-01-01: "0.0036"\n',
                     f"      values: {values}\n", text=MEDECINE)
    assert e.message == "parameters.contribution.rate: values: expected a mapping DATE: value"


@pytest.mark.parametrize("value", [[], "250.00", None])
def test_amounts_are_a_non_empty_list(value):
    """params.py `_amounts`: ``not isinstance(v, (list, tuple)) or not v`` (or -> and)."""
    from engine.core import params
    with pytest.raises(ValueError, match="expected a list of amounts"):
        params.TYPES["amounts"](value)


def test_a_rules_file_without_rules(tmp_path):
    """rulesfile.py `_read`: ``root.kind == "map" and "rules" not in root.value`` (== -> !=)."""
    cut = DEMAT.index("\nrules:\n")
    path = tmp_path / "norules.yaml"
    path.write_text(DEMAT[:cut + 1], encoding="utf-8")
    with pytest.raises(rulesfile.RulesError) as info:
        rulesfile.load(str(path))
    assert (info.value.line, info.value.message) == (5, "a rules file needs its `rules:` catalogue")  # its first key


def test_a_replay_until_before_the_start():
    """replay.py `Replay.__init__`: the horizon before the start, no line (0 -> -1)."""
    s = engine.load_scenario(scenario())
    with pytest.raises(ScenarioError) as info:
        engine.replay(s, D("2025-12-31"))
    assert (info.value.line, info.value.message) == (
        0, "the horizon 2025-12-31 is before the start 2026-01-01")


def test_no_earliest_last_day_after_the_expiry():
    """deadlines.py `notice_outcome`: ``rule == CATCH_ALL or ... not in _EFFECTIVE`` (or -> and):
    a notice after the expiry has no effect, so no last day. Without renewal, on 2028-12-01 a
    member notice would end 2029-02-01, a cdg one 2029-06-01: both after 2028-12-31."""
    s = engine.load_scenario(scenario(overrides="{term: {renewal: none}}"))
    d = deadlines(s, engine.replay(s), D("2028-12-01"))
    assert d.status == "expiry"
    assert [(n.party, n.earliest_last_day) for n in d.notices] == [("member", None), ("cdg", None)]
    d = deadlines(s, engine.replay(s), D("2028-10-31"))
    assert [(n.party, n.earliest_last_day) for n in d.notices] == [("member", D("2028-12-31")),
                                                                   ("cdg", None)]


def test_demat_renewal_period_is_three_years():
    """rules/cdg62-demat.yaml `renewal_period: P3Y` (3 -> 2): it rules once an override makes
    the renewal periodic. Period 1 ends 2026-01-01 + P3Y + P3Y - 1 day = 2031-12-31."""
    t = run(horizon="2032-12-31", overrides="{term: {renewal: periodic, max_renewals: 1}}")
    assert [e.date for e in entries(t, "renewed")] == [D("2029-01-01")]
    assert (t.termination.by, t.termination.last_day) == ("expiry", D("2031-12-31"))


def test_a_default_on_the_horizon_day_is_recorded():
    """replay.py `_ensure_check`: ``day <= self.horizon`` (<= -> <): the 2026 call, due
    2026-01-31, is overdue on 2026-02-01, the horizon."""
    t = run(member="{agents: 1000}", inputs="consultations: {2025: 200}", horizon="2026-02-01")
    assert [(e.date, e.detail["overdue"]) for e in entries(t, "payment_overdue")] == [
        (D("2026-02-01"), M("1000.00"))]
    assert t.periods[-1].standing == "in_default"


def test_rules_see_money_in_cents(tmp_path):
    """replay.py `_cents`: ``* 100`` (100 -> 101 or 99). A rule that tests an exact overdue
    amount, 1000.00 = 100000 cents."""
    old = "    when: {t: standing, overdue: {gt: 0}, standing: current, daily_check: true}\n"
    path = tmp_path / "cents.yaml"
    path.write_text(DEMAT.replace(old, old.replace("{gt: 0}", "100000")), encoding="utf-8")
    t = run(convention=str(path), member="{agents: 1000}", inputs="consultations: {2025: 200}",
            horizon="2026-03-01")
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-02-01")]


@pytest.mark.parametrize("annual, shown", [("[1, 2]", "[1, 2]"), ("{}", "{}")])
def test_a_formula_that_is_not_a_mapping_is_refused(tmp_path, annual, shown):
    """formula.py `compile_formula`: ``not isinstance(expr, Mapping) or not expr`` (or -> and)."""
    text = DEMAT.replace("  figures:\n    band:", f"  figures:\n    extra: {annual}\n    band:")
    e = broken_rules(tmp_path, "  figures:\n", "  figures:\n", text=text)
    assert e.message == ("amount.figures.extra: expected a formula such as {param: NAME}, "
                         f"got {shown}")


def test_terminated_from_is_shown_when_the_termination_is_learned_late():
    """replay.py `_terminated`: ``r.last_day + ONE_DAY != self.today`` (!= -> ==)."""
    late = "2026-10-01"
    t = run(f"{{date: 2027-02-01, type: notice, by: member, received: {{cdg: {late}, archives: {late}}}}}",
            member_notice("2027-03-01"))
    [e] = entries(t, "terminated")
    assert (e.date, dict(e.detail)) == (D("2027-02-01"), {
        "by": "member", "last_day": D("2026-12-01"), "terminated_from": D("2026-12-02")})
    t = run(member_notice("2027-03-01"))
    [e] = entries(t, "terminated")
    assert (e.date, dict(e.detail)) == (D("2027-05-02"), {"by": "member", "last_day": D("2027-05-01")})


def test_only_a_referral_names_the_court():
    """replay.py `_dispute`: ``e.step == "referred" and court`` (and -> or)."""
    t = run(dispute("2027-02-01", "opened"), dispute("2027-03-01", "settled"),
            dispute("2027-04-01", "referred"))
    assert [dict(e.detail) for e in t.entries if e.kind.startswith("dispute_")] == [
        {"step": "opened"}, {"step": "settled"},
        {"step": "referred", "court": "Tribunal administratif de Lille"}]


def test_a_do_argument_must_be_a_mapping(tmp_path):
    """rulesfile.py `_do`: ``av.kind == "scalar" and av.value is None`` (and -> or: a scalar
    would be read as no arguments)."""
    e = broken_rules(tmp_path, "    do: {note: {kind: documents_available}}\n",
                     "    do: {note: documents_available}\n")
    assert e.message.startswith("rules.art5.documents_available: do: note")


@pytest.mark.parametrize("convention, first, second", [
    ("cdg62-medecine", "2026-02-01", "2026-03-01"), ("cdg62-assurance", "2026-02-01", "2026-04-01")])
def test_a_refused_notice_is_refused_before_it_is_ranked_after_an_amendment(convention, first, second):
    """rules: `within_initial_term` before `notice_ranking` (medecine, assurance). The member's
    notice is accepted; an amendment then refuses notices within the initial term; the cdg's
    notice, which ends no earlier, is refused, not superseded."""
    over = "{notice: {effect: after_period}}" if convention == "cdg62-medecine" else None
    t = run(notice(first, "member", cdg=first),
            "{date: 2026-02-10, type: amendment, ref: A1, effective: 2026-02-15, "
            "set: {notice: {within_initial_term: refused}}}",
            notice(second, "cdg", member=second), convention=convention, member=None, overrides=over)
    assert t.termination.by == "member"
    [r] = entries(t, "notice_refused")
    assert (r.date, r.detail["by"]) == (D(second), "cdg")
    assert entries(t, "notice_superseded") == []


def test_assurance_periodic_renewals_by_override_end_with_the_last_one():
    """rules/cdg62-assurance.yaml: `art2.expiry` before `art2.renewal` (swapped: renewed for
    ever). One renewal of a year after a first year: the last day is 2027-12-31."""
    t = run(convention="cdg62-assurance", member=None, horizon="2029-12-31",
            overrides="{term: {ends_on: null, initial: P1Y, renewal: periodic, "
                      "renewal_period: P1Y, max_renewals: 1}}")
    assert [e.date for e in entries(t, "renewed")] == [D("2027-01-01")]
    assert (t.termination.by, t.termination.last_day) == ("expiry", D("2027-12-31"))


def test_deadlines_on_the_last_day_still_show_it_scheduled():
    """deadlines.py `deadlines`: ``t.last_day < as_of`` (< -> <=): on its last day the
    convention is still in force."""
    s = engine.load_scenario(scenario(member_notice("2027-03-01")))
    t = engine.replay(s)
    assert deadlines(s, t, D("2027-05-01")).status == "scheduled"
    assert deadlines(s, t, D("2027-05-02")).status == "terminated"
