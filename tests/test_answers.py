"""deadlines, state and whatif ask the engine (issue 14 item 3, issue 15): they answer what a
replay decides, read outcomes from structured entries, accept only the reasons a rules file
defines, and show what is overdue and what that default allows."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
from decimal import Decimal

import icalendar
import pytest
import yaml

import engine
from engine.conventions import rulesfile
from engine.answers.deadlines import arrears, calendar_events, deadlines, to_ics
from engine.present.i18n import ENGINE_MESSAGES
from engine.answers.whatif import UnknownReason, whatif
from tests.test_commands import main

ROOT = pathlib.Path(__file__).parent.parent
SCEN = ROOT / "scenarios"
DEMAT = (ROOT / "rules" / "cdg62-demat.yaml").read_text(encoding="utf-8")
D = dt.date.fromisoformat


def plain(text: str) -> str:
    """French amounts use narrow and non-breaking spaces: compare them as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _scenario_with(tmp_path: pathlib.Path, rules_text: str, scenario: str, name: str = "s.yaml",
                   rules_name: str = "demat.yaml", extra: str = "") -> pathlib.Path:
    """A shipped cdg62-demat scenario run on a copy of its rules file (``rules_text``)."""
    (tmp_path / rules_name).write_text(rules_text, encoding="utf-8")
    text = (SCEN / scenario).read_text(encoding="utf-8")
    text = text.replace("convention: cdg62-demat", f"convention: {rules_name}", 1)
    text = text.split("\nexpect:")[0] + "\n"
    if extra:
        text = text.replace("\nevents:\n", f"\n{extra}\nevents:\n", 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ============================================================ 1. deadlines ask the replay

# A user's copy of cdg62-demat whose expiry rule also fires for `renewal: indefinite`: it
# overrides the base's `expiry` (rules/base.yaml), which cdg62-demat cites as art5.expiry.
_CITED_EXPIRY = DEMAT[DEMAT.index("  art5.expiry:\n"):DEMAT.index("  art5.tacit_renewal:\n")]
EXPIRES = DEMAT.replace(_CITED_EXPIRY, """\
  art5.expiry:
    overrides: expiry
    article: Article 5
    when:
      t: period_end
      any:
        - {renewal: none}
        - {renewal: indefinite}
        - {renewal: periodic, k: {gte: {field: max_renewals}}}
    do: expire
""", 1)


def test_the_copy_really_changes_the_expiry_rule():
    assert EXPIRES != DEMAT


def test_indefinite_expires_copy_same_end_in_run_state_and_deadlines(tmp_path, capsys):
    path = _scenario_with(tmp_path, EXPIRES, "pas-de-calais.yaml")
    s = engine.load_scenario(path)
    t = engine.replay(s)
    assert (t.termination.by, t.termination.last_day) == ("expiry", D("2028-12-31"))
    code, out, _ = main(capsys, "run", path, "--format", "json")
    assert code == 0 and json.loads(out)["termination"]["last_day"] == "2028-12-31"
    code, out, _ = main(capsys, "state", path, "--on", "2028-06-01")
    assert code == 0 and "expires after its last day 2028-12-31" in out

    d = deadlines(s, t, D("2028-06-01"))
    assert (d.status, d.term_ends, d.renewal_on) == ("expiry", D("2028-12-31"), None)
    assert all(n.notice_by is None for n in d.notices)  # no renewal to avoid
    assert d.next_call is None  # 2029-01-01 is after the end
    # a notice given on 2028-06-01 still ends it earlier; one whose last day is after the end, not
    assert [n.earliest_last_day for n in d.notices] == [D("2028-08-01"), D("2028-12-01")]
    late = deadlines(s, t, D("2028-12-15"))
    assert [n.earliest_last_day for n in late.notices] == [None, None]
    # nothing is announced after the end: no renewal, no notice deadline, no call
    for dd in (d, late):
        events = calendar_events(dd)
        assert events and all(day <= D("2028-12-31") for _, day in events)
        assert {k for k, _ in events} == {"expiry"}
    code, out, _ = main(capsys, "deadlines", path, "--as-of", "2028-06-01", "--ics", tmp_path / "d.ics")
    assert code == 0
    assert "expires after its last day 2028-12-31" in out and "2029-01-01" not in out
    assert "renewal" not in out.lower() or "No coming renewal" in out
    cal = icalendar.Calendar.from_ical((tmp_path / "d.ics").read_bytes())
    assert [str(e["CATEGORIES"].cats[0]) for e in cal.walk("VEVENT")] == ["expiry"]


def test_the_same_scenario_on_the_shipped_rules_still_renews(tmp_path):
    path = _scenario_with(tmp_path, DEMAT, "pas-de-calais.yaml")
    s = engine.load_scenario(path)
    d = deadlines(s, engine.replay(s), D("2028-06-01"))
    assert (d.status, d.renewal_on) == ("renewal", D("2029-01-01"))
    assert d.notice("member").notice_by == D("2028-10-31")


def test_state_replays_through_the_period_end_beyond_a_short_horizon(tmp_path, capsys):
    """The horizon (2027-12-31) stops before the term's end: state and deadlines on 2028-06-01
    still see what the rules decide on 2029-01-01."""
    path = _scenario_with(tmp_path, EXPIRES, "pas-de-calais.yaml")
    path.write_text(path.read_text(encoding="utf-8").replace("horizon: 2031-12-31", "horizon: 2027-12-31"),
                    encoding="utf-8")
    code, out, _ = main(capsys, "state", path, "--on", "2028-06-01")
    assert code == 0 and "expires after its last day 2028-12-31" in out
    code, out, _ = main(capsys, "deadlines", path, "--as-of", "2028-06-01")
    assert code == 0 and "expires after its last day 2028-12-31" in out


def test_deadlines_know_only_what_is_known_on_the_day():
    """non-payment.yaml: 2026 is due on 2026-01-31 and paid on 2026-02-12. On 2026-02-05 the
    payment is not known: 2000.00 is overdue. On 2026-02-12 it is paid."""
    s = engine.load_scenario(SCEN / "non-payment.yaml")
    t = engine.replay(s)
    a = deadlines(s, t, D("2026-02-05")).arrears
    assert [(o.amount, o.due_date) for o in a.overdue] == [(Decimal("2000.00"), D("2026-01-31"))]
    assert deadlines(s, t, D("2026-02-12")).arrears.overdue == ()


# ============================================================ 2. whatif reads structured entries

CASES = (  # (scenario, extra scenario lines, party, on, reason, expected outcome)
    ("pas-de-calais.yaml", "", "member", "2026-03-01", None, "accepted"),
    ("non-payment.yaml", "", "member", "2027-02-15", None, "superseded"),
    ("non-payment.yaml", "", "cdg", "2027-02-15", "non_payment", "accepted"),
    ("non-payment.yaml", "", "cdg", "2027-06-01", None, "no_effect"),
    ("pas-de-calais.yaml", "overrides: {notice: {within_initial_term: refused}}", "member",
     "2026-03-01", None, "refused"),
)


def _reworded(text: str) -> str:
    """The rules file with every message, its own and the engine's, replaced by other words."""
    data = yaml.safe_load(text)
    codes = set(data.get("messages") or {}) | set(ENGINE_MESSAGES)
    data["messages"] = {c: {"en": f"Something else happened ({c}).", "fr": f"Autre chose ({c})."}
                        for c in sorted(codes)}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# A copy whose member notices no rule decides: the notice is void.
NO_MEMBER_RULE = re.sub(r"  art5\.member_notice:\n(    .*\n)+", "", DEMAT, count=1)


@pytest.mark.parametrize("reword", [False, True], ids=["as-shipped", "reworded"])
def test_rewording_every_message_changes_no_whatif_outcome(tmp_path, reword):
    assert NO_MEMBER_RULE != DEMAT
    seen = set()
    cases = [(DEMAT,) + c for c in CASES] + [(NO_MEMBER_RULE, "pas-de-calais.yaml", "", "member",
                                              "2026-03-01", None, "void")]
    for i, (rules_text, scen, extra, party, on, reason, expected) in enumerate(cases):
        text = _reworded(rules_text) if reword else rules_text
        path = _scenario_with(tmp_path, text, scen, name=f"s{i}.yaml", rules_name=f"r{i}.yaml", extra=extra)
        s = engine.load_scenario(path)
        if reword:
            assert "Something else happened" in rulesfile.of_scenario(s).message("event_after_termination")
        w = whatif(s, party, D(on), reason=reason)
        assert w.outcome == expected, (scen, party, on, reason)
        seen.add(w.outcome)
    assert seen == {"accepted", "superseded", "refused", "void", "no_effect"}


# ============================================================ 3. whatif --reason

def test_whatif_reason_must_be_one_the_rules_file_defines(capsys):
    path = str(SCEN / "non-payment.yaml")
    for bad in ("nonpayment", "défaut de paiement", "late"):
        code, out, err = main(capsys, "whatif", path, "--notice", "cdg", "--on", "2027-02-15", "--reason", bad)
        assert (code, out) == (2, "")
        assert err == (f"convention: --reason: unknown reason {bad!r} (accepted: non_payment, "
                       "non-payment)\n")
    # in French, the French label is accepted and listed beside the id (the English label is
    # still accepted, but a French message lists no English word)
    code, out, err = main(capsys, "whatif", path, "--notice", "cdg", "--on", "2027-02-15",
                          "--reason", "late", "--lang", "fr")
    assert code == 2 and "(valeurs acceptées : non_payment, défaut de paiement)" in err
    for good, lang in (("non_payment", "en"), ("non-payment", "en"), ("Défaut de paiement", "fr")):
        code, out, err = main(capsys, "whatif", path, "--notice", "cdg", "--on", "2027-02-15",
                              "--reason", good, "--lang", lang, "--format", "json")
        assert code == 0 and json.loads(out)["reason"] == "non_payment"
        assert json.loads(out)["hypothesis"]["termination"]["immediate"] is True
    with pytest.raises(UnknownReason):
        whatif(engine.load_scenario(path), "cdg", D("2027-02-15"), reason="nonpayment")


def test_reasons_tested_by_a_rule_are_defined_without_a_reasons_section(tmp_path):
    text = re.sub(r"\nreasons:\n(  .*\n)+", "\n", DEMAT, count=1)
    assert "\nreasons:" not in text
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    rf = rulesfile.load(str(tmp_path / "r.yaml"))
    assert list(rf.reasons) == ["non_payment"]


@pytest.mark.parametrize("scenario,party,on,reason,code,en,fr", [
    ("non-payment.yaml", "cdg", "2027-02-15", "non_payment", "in_default",
     "Immediate: non-payment is a ground to end it at once under this convention, and 2000.00 "
     "has been overdue since 2027-01-31.",
     "Immédiate : le défaut de paiement permet d'y mettre fin sans délai selon cette convention, "
     "et 2 000,00 € sont impayés depuis le 31/01/2027."),
    ("non-payment.yaml", "cdg", "2026-06-15", "non_payment", "not_in_default",
     "Not immediate: nothing is overdue on 2026-06-15, so non-payment gives no ground to end it "
     "at once; the notice runs its period.",
     "Pas immédiate : rien n'est impayé le 15/06/2026, le défaut de paiement ne permet donc pas "
     "d'y mettre fin sans délai ; le préavis court."),
    ("non-payment.yaml", "member", "2027-02-15", "non_payment", "no_such_right",
     "Not immediate: this convention gives the member no right to end it at once for "
     "non-payment; the notice runs its period.",
     "Pas immédiate : cette convention ne donne pas à la collectivité le droit d'y mettre fin "
     "sans délai pour défaut de paiement ; le préavis court."),
    ("medecine-non-payment.yaml", "cdg", "2026-06-15", "non_payment", "no_such_right", None, None),
    ("pas-de-calais.yaml", "cdg", "2027-06-01", None, "no_reason",
     "Not immediate: a notice given without a reason runs its period.",
     "Pas immédiate : une dénonciation sans motif suit son préavis."),
])
def test_whatif_says_why_a_notice_is_or_is_not_immediate(capsys, scenario, party, on, reason, code,
                                                         en, fr):
    w = whatif(engine.load_scenario(SCEN / scenario), party, D(on), reason=reason)
    assert w.why.code == code
    for lang, text in (("en", en), ("fr", fr)):
        args = ["whatif", SCEN / scenario, "--notice", party, "--on", on, "--lang", lang]
        if reason:
            args += ["--reason", reason]
        rc, out, _ = main(capsys, *args)
        assert rc == 0
        if text is not None:
            assert "\n" + text + "\n" in plain(out)


def test_medecine_in_default_gives_no_right_to_end_at_once():
    """medecine-non-payment.yaml is in default on 2027-03-01 (1080.00 due on 2027-01-31), and
    Article 6 gives no right to end it at once: the notice runs its course."""
    s = engine.load_scenario(SCEN / "medecine-non-payment.yaml")
    w = whatif(s, "cdg", D("2027-03-01"), reason="non_payment")
    assert w.why.code == "no_such_right" and w.why.overdue > 0
    assert not w.hypothesis.termination.immediate


# ============================================================ 4. payment defaults in sight

def test_deadlines_show_a_payment_default_and_what_it_allows(tmp_path, capsys):
    path = SCEN / "non-payment.yaml"
    code, out, _ = main(capsys, "deadlines", path, "--as-of", "2027-03-01")
    assert code == 0
    assert ("Overdue on 2027-03-01:\n  2000.00 due since 2027-01-31 (call of 2027-01-01)\n"
            "The CdG62 may end the convention at once (notice for non-payment).\n") in out
    code, out, _ = main(capsys, "deadlines", path, "--as-of", "2027-03-01", "--lang", "fr")
    out = plain(out)
    assert ("Impayés au 01/03/2027 :\n  2 000,00 € dus depuis le 31/01/2027 (appel du 01/01/2027)\n"
            "Le CdG62 peut mettre fin à la convention sans délai (dénonciation pour défaut de "
            "paiement).\n") in out
    s = engine.load_scenario(path)
    d = deadlines(s, engine.replay(s), D("2027-03-01"))
    assert d.to_dict()["overdue"] == [{"year": 2027, "period": "2027-01-01", "due_date": "2027-01-31",
                                       "amount": "2000.00"}]
    assert d.to_dict()["at_once"] == [{"party": "cdg", "reason": "non_payment"}]
    # the calendar has the overdue amount on the as-of date
    main(capsys, "deadlines", path, "--as-of", "2027-03-01", "--ics", tmp_path / "d.ics")
    cal = icalendar.Calendar.from_ical((tmp_path / "d.ics").read_bytes())
    [ev] = [e for e in cal.walk("VEVENT") if str(e["CATEGORIES"].cats[0]) == "overdue"]
    assert ev.decoded("dtstart") == D("2027-03-01")
    assert str(ev["SUMMARY"]).startswith("Overdue: 2000.00 due since 2027-01-31 (call of 2027-01-01); "
                                         "the CdG62 may end the convention at once (non-payment)")


def test_medecine_default_gives_no_such_right(capsys):
    s = engine.load_scenario(SCEN / "medecine-non-payment.yaml")
    a = arrears(s, D("2027-03-01"))
    assert a.overdue and a.at_once == ()
    code, out, _ = main(capsys, "deadlines", SCEN / "medecine-non-payment.yaml", "--as-of", "2027-03-01")
    assert "This convention gives no right to end it at once for this default." in out
    code, out, _ = main(capsys, "deadlines", SCEN / "medecine-non-payment.yaml", "--as-of", "2027-03-01",
                        "--lang", "fr")
    assert "Cette convention ne donne pas le droit d'y mettre fin sans délai pour ce défaut." in out


def test_state_and_report_show_every_overdue_amount(tmp_path, capsys):
    path = SCEN / "non-payment.yaml"
    code, out, _ = main(capsys, "state", path, "--on", "2027-03-01")
    assert code == 0 and "  2000.00 due since 2027-01-31 (call of 2027-01-01)" in out
    assert "The CdG62 may end the convention at once (notice for non-payment)." in out
    code, out, _ = main(capsys, "state", path, "--on", "2026-06-01")
    assert "Overdue" not in out  # 2026 paid on 2026-02-12
    code, _, _ = main(capsys, "report", path, "--html", tmp_path / "r.html", "--until", "2027-03-01")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert ('<li data-due-date="2027-01-31">2000.00 due since 2027-01-31 (call of 2027-01-01)</li>'
            in html)
    code, _, _ = main(capsys, "report", path, "--html", tmp_path / "r.html", "--lang", "fr")
    html = plain((tmp_path / "r.html").read_text(encoding="utf-8"))
    # terminated on 2027-03-15: the 2027 call cut to 405.48 is still owed at the horizon
    assert "405,48 € dus depuis le 31/01/2027" in html
    assert "La convention est terminée : le défaut ne permet plus de dénonciation." in html


def test_every_overdue_amount_is_listed_with_its_own_due_date():
    """Nothing paid over two years: both calls are overdue, each since its own due date."""
    s = engine.load_scenario(SCEN / "non-payment.yaml")
    s = engine.load_scenario({**yaml.safe_load((SCEN / "non-payment.yaml").read_text(encoding="utf-8")),
                              "events": [], "expect": None})
    a = arrears(s, D("2027-03-01"))
    assert [(o.year, o.due_date, o.amount) for o in a.overdue] == [
        (2026, D("2026-01-31"), Decimal("2000.00")), (2027, D("2027-01-31"), Decimal("2000.00"))]
    ics = to_ics(deadlines(s, engine.replay(s), D("2027-03-01"))).decode()
    assert ics.count("CATEGORIES:overdue") == 2
