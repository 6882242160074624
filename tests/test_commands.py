"""The planning commands (issue #4): deadlines (+ iCalendar), whatif, state, batch, --lang fr,
report. Every command runs on every shipped scenario; the dates asserted are checked by hand in
the comments."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from decimal import Decimal

import attrs
import icalendar
import pytest

import engine
from engine.answers import batch
from engine import cli
from engine.answers.deadlines import deadlines, to_ics
from engine.present.report import report
from engine.answers.whatif import whatif
from tests.sweeps import every_scenario

ROOT = pathlib.Path(__file__).parent.parent
SCEN = ROOT / "scenarios"
SCENARIOS = sorted(SCEN.glob("*.yaml"))
PDC = str(SCEN / "pas-de-calais.yaml")
D = dt.date.fromisoformat
SVG = "{http://www.w3.org/2000/svg}"


def main(capsys, *args):
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as e:  # argparse
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def load(path):
    s = engine.load_scenario(str(path))
    return s, engine.replay(s)


def bare(**over):
    """A scenario without events (a dict, as an embedding service would give it)."""
    doc = {"scenario": 1, "convention": "cdg62-demat", "name": "Test", "start": "2026-01-01",
           "member": {"agents": 5200}, "consultations": {2024: 235}, "events": []}
    doc.update(over)
    return engine.load_scenario(doc)


# ------------------------------------------------------------------ every command, every scenario

@pytest.mark.parametrize("path", every_scenario(SCENARIOS), ids=lambda p: p.stem)
def test_every_command_runs_on_every_scenario(path, tmp_path, capsys):
    s, t = load(path)
    mid = s.start + dt.timedelta(days=400)
    for lang in ("en", "fr"):
        for as_of in (s.start, mid, t.horizon):
            code, out, err = main(capsys, "deadlines", path, "--as-of", as_of, "--lang", lang,
                                  "--ics", tmp_path / "d.ics")
            assert code == 0 and err == "" and out.startswith(s.name)
            icalendar.Calendar.from_ical((tmp_path / "d.ics").read_bytes())
        for party in ("member", "cdg"):
            code, out, err = main(capsys, "whatif", path, "--notice", party, "--on", mid, "--lang", lang)
            assert code == 0 and err == "" and out.startswith(s.name)
        code, out, err = main(capsys, "state", path, "--on", mid, "--lang", lang)
        assert code == 0 and err == "" and out
        code, out, err = main(capsys, "report", path, "--html", tmp_path / "r.html", "--lang", lang)
        assert code == 0 and err == "" and (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
        code, out, err = main(capsys, "run", path, "--lang", lang)
        assert code == 0 and err == ""
    code, out, err = main(capsys, "batch", path)
    assert code == 0 and err == "" and len(out.splitlines()) == 2


# ------------------------------------------------------------------ deadlines

def test_pas_de_calais_deadlines_as_of_2027_06_01(capsys):
    s, t = load(PDC)
    d = deadlines(s, t, D("2027-06-01"))
    assert d.status == "renewal"
    assert d.term_ends == D("2028-12-31")        # 2026-01-01 + P3Y − 1 day
    assert d.renewal_on == D("2029-01-01")
    member, cdg = d.notice("member"), d.notice("cdg")
    assert member.notice_by == D("2028-10-31")   # 2028-10-31 + P2M = 2028-12-31; 11-01 + P2M = 2029-01-01
    assert cdg.notice_by == D("2028-06-30")      # 06-30 + P6M = 12-30 ≤ 12-31; 07-01 + P6M = 2029-01-01
    assert (member.period, cdg.period) == ("P2M", "P6M")
    assert not member.passed and not cdg.passed
    assert member.earliest_last_day == D("2027-08-01")  # notified on the as-of date: + P2M
    assert cdg.earliest_last_day == D("2027-12-01")
    assert (d.next_call, d.call_due) == (D("2028-01-01"), D("2028-01-31"))  # + P30D
    code, out, err = main(capsys, "deadlines", PDC, "--as-of", "2027-06-01")
    assert code == 0 and err == ""
    assert "2029-01-01" in out and "2028-10-31" in out and "2028-06-30" in out
    assert "Next contribution call: 2028-01-01, due by 2028-01-31." in out


def test_timeline_deadlines_method_is_the_pure_function():
    s, t = load(PDC)
    on = D("2027-06-01")
    assert t.deadlines(on) == deadlines(s, t, on)  # a replayed timeline knows its scenario
    assert t.deadlines(on, scenario=s) == deadlines(s, t, on)
    assert attrs.evolve(t, scenario=None) == t  # the scenario is not part of the value
    with pytest.raises(ValueError):
        attrs.evolve(t, scenario=None).deadlines(on)
    # Signed but not yet in force (issue 9): not an error, the first call is coming.
    d = deadlines(s, t, D("2025-12-31"))
    assert (d.status, d.start, d.next_call, d.call_due) == (
        "not_started", D("2026-01-01"), D("2026-01-01"), D("2026-01-31"))


def test_deadlines_passed_then_indefinite(capsys):
    s, t = load(PDC)
    d = deadlines(s, t, D("2028-11-15"))
    assert d.status == "renewal" and d.notice("member").passed and d.notice("cdg").passed
    assert d.notice("member").earliest_last_day == D("2029-01-15")  # too late for 2029-01-01
    assert d.next_call == D("2029-01-01")
    # after the initial term, indefinite renewal: no coming renewal, the earliest last day
    d = deadlines(s, t, D("2029-11-15"))
    assert d.status == "indefinite" and d.renewal_on is None
    assert d.notice("member").notice_by is None
    assert d.notice("member").earliest_last_day == D("2030-01-15")  # 2029-11-15 + P2M
    assert d.notice("cdg").earliest_last_day == D("2030-05-15")     # 2029-11-15 + P6M
    assert (d.next_call, d.call_due) == (D("2030-01-01"), D("2030-01-31"))
    code, out, _ = main(capsys, "deadlines", PDC, "--as-of", "2029-11-15")
    assert code == 0 and "No coming renewal" in out and "indefinite" in out


def test_deadlines_with_working_day_extension():
    # 2028-12-31 is a Sunday: a notice period ending on 2028-12-30 (Sat) or 31 (Sun) runs to
    # Tuesday 2029-01-02 (1 January is a holiday), after the renewal. The member's period must
    # end on Friday 2028-12-29: notified 2028-10-29; the cdg's: 2028-06-29.
    assert D("2028-12-31").weekday() == 6
    s = bare(overrides={"notice": {"extend_to_working_day": True}})
    d = deadlines(s, engine.replay(s), D("2027-06-01"))
    assert d.notice("member").notice_by == D("2028-10-29")
    assert d.notice("cdg").notice_by == D("2028-06-29")
    # notified on Tuesday 2027-06-01: + P2M = Sunday 2027-08-01 → Monday 2027-08-02
    assert d.notice("member").earliest_last_day == D("2027-08-02")


def test_deadlines_at_period_end_same_as_after_period():
    s = bare(overrides={"notice": {"effect": "at_period_end"}})
    d = deadlines(s, engine.replay(s), D("2027-06-01"))
    assert d.notice("member").notice_by == D("2028-10-31")
    assert d.notice("member").earliest_last_day == D("2028-12-31")  # moved to the term's end


def test_deadlines_periodic_renewals_and_cap():
    # yearly-capped: periods 2026-04-01..2027-03-31, ..2028-03-31, ..2029-03-31 (max 2 renewals)
    path = SCEN / "yearly-capped.yaml"
    s, t = load(path)
    d = deadlines(s, t, D("2026-06-01"))
    assert (d.term_ends, d.renewal_on) == (D("2027-03-31"), D("2027-04-01"))
    assert d.notice("member").notice_by == D("2026-12-31")  # + P3M = 2027-03-31
    assert d.notice("cdg").notice_by == D("2026-09-30")     # + P6M = 2027-03-30; 10-01 → 04-01
    d = deadlines(s, t, D("2027-06-01"))
    assert d.renewal_on == D("2028-04-01") and d.notice("member").notice_by == D("2027-12-31")
    # without the notice: in the last period (k = 2), no renewal is coming, it expires
    s2 = attrs.evolve(s, events=tuple(e for e in s.events if e.type != "notice"))
    d = deadlines(s2, engine.replay(s2), D("2028-06-01"))
    assert d.status == "expiry" and d.term_ends == D("2029-03-31")
    assert (d.next_call, d.call_due) == (D("2029-01-01"), D("2029-01-31"))


def test_deadlines_fixed_term_expiry(capsys):
    s, t = load(SCEN / "fixed-term.yaml")
    d = deadlines(s, t, D("2028-11-15"))
    assert d.status == "expiry" and d.term_ends == D("2029-04-14") and d.renewal_on is None
    assert d.notice("member").earliest_last_day == D("2029-01-15")
    assert d.notice("cdg").earliest_last_day is None  # 2029-05-15 is after the expiry
    assert deadlines(s, t, D("2029-02-01")).next_call is None  # 2030-01-01 is after the expiry
    code, out, _ = main(capsys, "deadlines", SCEN / "fixed-term.yaml", "--as-of", "2028-11-15")
    assert "expires after its last day 2029-04-14" in out


def test_deadlines_scheduled_and_terminated(capsys):
    path = SCEN / "member-notice.yaml"  # notified 2027-03-10, last day 2027-05-10
    s, t = load(path)
    assert deadlines(s, t, D("2027-03-09")).status == "renewal"
    d = deadlines(s, t, D("2027-04-01"))
    assert (d.status, d.termination_by, d.notified, d.last_day) == (
        "scheduled", "member", D("2027-03-10"), D("2027-05-10"))
    assert d.notices == () and d.next_call is None
    assert deadlines(s, t, D("2027-05-10")).status == "scheduled"
    assert deadlines(s, t, D("2027-05-11")).status == "terminated"
    code, out, _ = main(capsys, "deadlines", path, "--as-of", "2027-04-01")
    assert "termination is scheduled" in out and "2027-05-10" in out


def test_deadlines_beyond_the_horizon_replays_further():
    s, t = load(SCEN / "member-notice.yaml")  # horizon 2027-12-31
    assert deadlines(s, t, D("2031-01-01")).status == "terminated"
    s, t = load(PDC)  # horizon 2031-12-31
    d = deadlines(s, t, D("2033-03-01"))
    assert d.status == "indefinite" and d.next_call == D("2034-01-01")


def test_deadlines_errors_one_line_exit_2(tmp_path, capsys):
    code, out, err = main(capsys, "deadlines", PDC, "--as-of", "2025-01-01")
    assert code == 0 and "Not yet in force: the convention starts on 2026-01-01." in out and err == ""
    code, out, err = main(capsys, "deadlines", PDC, "--as-of", "2027-02-30")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    ics = tmp_path / "no" / "such" / "dir.ics"
    code, out, err = main(capsys, "deadlines", PDC, "--as-of", "2027-06-01", "--ics", ics)
    assert code == 2 and out == "" and "cannot write" in err and len(err.splitlines()) == 1
    assert not ics.exists()


# ------------------------------------------------------------------ iCalendar

def test_ics_events_and_alarms(tmp_path, capsys):
    out_file = tmp_path / "pdc.ics"
    code, _, err = main(capsys, "deadlines", PDC, "--as-of", "2027-06-01", "--ics", out_file)
    assert code == 0 and err == ""
    assert [p.name for p in tmp_path.iterdir()] == ["pdc.ics"]  # no temporary file left
    cal = icalendar.Calendar.from_ical(out_file.read_bytes())
    events = {str(e["categories"].cats[0]): e for e in cal.walk("VEVENT")}
    assert {k: e.decoded("dtstart") for k, e in events.items()} == {
        "notice-member": D("2028-10-31"), "notice-cdg": D("2028-06-30"),
        "renewal": D("2029-01-01"), "call": D("2028-01-01"), "payment-due": D("2028-01-31"),
        # the 2027 count is not known on 2027-06-01: the 2028 call would read a stand-in
        "declaration": D("2028-01-01")}
    for kind, e in events.items():
        start = e.decoded("dtstart")
        assert type(start) is dt.date  # all-day
        assert e.decoded("dtend") == start + dt.timedelta(days=1)
        assert e.decoded("dtstamp") == dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)
        alarms = e.walk("VALARM")
        if kind.startswith("notice-") or kind == "payment-due":
            assert sorted(a.decoded("trigger") for a in alarms) == [
                dt.timedelta(days=-90), dt.timedelta(days=-60), dt.timedelta(days=-30)]
            assert all(str(a["action"]) == "DISPLAY" for a in alarms)
        else:
            assert alarms == []
    uids = [str(e["uid"]) for e in events.values()]
    assert len(set(uids)) == len(uids)
    # deterministic: the same bytes again, and stable UIDs
    first = out_file.read_bytes()
    main(capsys, "deadlines", PDC, "--as-of", "2027-06-01", "--ics", out_file)
    assert out_file.read_bytes() == first


def test_ics_leaves_out_passed_deadlines_and_terminated():
    s, t = load(PDC)
    cal = icalendar.Calendar.from_ical(to_ics(deadlines(s, t, D("2028-11-15"))))
    kinds = sorted(str(e["categories"].cats[0]) for e in cal.walk("VEVENT"))
    assert kinds == ["call", "declaration", "payment-due", "renewal"]
    s, t = load(SCEN / "member-notice.yaml")
    # terminated with a credit (2027: -321.92): nothing is owed any more, the calendar is empty
    # (issue 15: an ended convention's calendar keeps only what is still owed)
    cal = icalendar.Calendar.from_ical(to_ics(deadlines(s, t, D("2027-06-01"))))
    assert cal.walk("VEVENT") == [] and str(cal["x-wr-calname"]) == "Ville de Calais"


# ------------------------------------------------------------------ whatif

def test_whatif_member_notice_on_pas_de_calais(capsys):
    s, _ = load(PDC)
    w = whatif(s, "member", D("2029-03-14"))
    assert w.outcome == "accepted" and w.year == 2029
    assert w.baseline.termination is None
    r = w.hypothesis.termination
    assert (r.by, r.notified, r.last_day) == ("member", D("2029-03-14"), D("2029-05-14"))  # + P2M
    base, hypo = w.contributions()
    assert str(base.due) == "1000.00"
    # 2029-01-01..2029-05-14 = 31 + 28 + 31 + 30 + 14 = 134 days; 1000 × 134/365 = 367.12
    assert hypo.covered_days == 134 and str(hypo.due) == "367.12"
    assert len(s.events) == len(load(PDC)[0].events)  # the scenario is untouched
    code, out, err = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2029-03-14")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert "baseline" in lines[2] and "what if" in lines[2]
    assert any(line.split()[:2] == ["last", "day"] and line.split()[2:] == ["none", "2029-05-14"]
               for line in lines)
    assert any(line.split() == ["2029", "due", "1000.00", "367.12"] for line in lines)


def test_whatif_notice_reaches_every_required_recipient():
    s, _ = load(PDC)
    hypo = whatif(s, "member", D("2027-03-01")).hypothesis
    # within the initial term, allowed: 2027-03-01 + P2M = 2027-05-01; no missing recipient
    assert hypo.termination.last_day == D("2027-05-01")
    assert not [d for d in hypo.diagnostics if d.code == "notice_missing_recipient"]


def test_whatif_superseded_and_after_termination():
    path = SCEN / "member-notice.yaml"
    s, _ = load(path)
    w = whatif(s, "cdg", D("2027-04-01"))  # + P6M = 2027-10-01, later than 2027-05-10
    assert w.outcome == "superseded" and w.hypothesis.termination.last_day == D("2027-05-10")
    assert whatif(s, "cdg", D("2027-06-01")).outcome == "no_effect"
    # accepted on 2027-03-01 (+ P6M = 2027-09-01), then displaced by the member's notice of
    # 2027-03-12, whose last day 2027-05-10 is earlier: in the end, superseded
    w = whatif(s, "cdg", D("2027-03-01"))
    assert w.outcome == "superseded" and w.hypothesis.termination.by == "member"


def test_whatif_last_day_after_the_horizon_extends_it():
    s, _ = load(SCEN / "mid-year-start.yaml")  # horizon 2029-12-31
    w = whatif(s, "cdg", D("2029-11-01"))  # + P6M = 2030-05-01
    assert w.hypothesis.termination.last_day == D("2030-05-01")
    assert w.year == 2030 and w.hypothesis.horizon == w.baseline.horizon == D("2030-12-31")


def test_whatif_errors(capsys):
    code, out, err = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2020-01-01")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    code, out, err = main(capsys, "whatif", PDC, "--notice", "archives", "--on", "2027-01-01")
    assert code == 2 and out == ""


# ------------------------------------------------------------------ state

def test_state_shows_the_notice_state(capsys):
    path = SCEN / "member-notice.yaml"
    _, out, _ = main(capsys, "state", path, "--on", "2027-01-01")
    assert "notified 2027-03-10 (after this date)" in out
    assert "2027: due 500.00, paid 0.00, balance 500.00" in out  # as known on that day
    _, out, _ = main(capsys, "state", path, "--on", "2027-04-01")
    assert out.splitlines()[0] == "on 2027-04-01: initial_term, current, notice"
    assert "notice given by member, notified 2027-03-10; last day 2027-05-10 (39 days left)" in out
    _, out, _ = main(capsys, "state", path, "--on", "2027-06-01")
    assert "terminated since 2027-05-11" in out
    _, out, _ = main(capsys, "state", PDC, "--on", "2029-06-01")
    assert "renewed" in out and "Termination: none" in out


# ------------------------------------------------------------------ --lang fr

def test_french_output(capsys):
    _, out, _ = main(capsys, "deadlines", PDC, "--as-of", "2027-06-01", "--lang", "fr")
    assert "échéances au 01/06/2027" in out and "31/10/2028" in out and "30/06/2028" in out
    assert "reconduction tacite le 01/01/2029" in out
    assert "Prochain appel de contribution : 01/01/2028, à payer au plus tard le 31/01/2028." in out
    _, out, _ = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2029-03-14", "--lang", "fr")
    # French typography (issue 9): a narrow no-break space in thousands, a no-break space before €
    assert "14/05/2029" in out and "367,12\u00a0€" in out and "1\u202f000,00\u00a0€" in out
    assert "référence" in out
    _, out, _ = main(capsys, "state", SCEN / "member-notice.yaml", "--on", "2027-04-01", "--lang", "fr")
    assert "Au 01/04/2027 : durée initiale, à jour, préavis" in out
    assert "dernier jour 10/05/2027" in out
    _, out, _ = main(capsys, "run", PDC, "--lang", "fr")
    assert "Périodes" in out and "1\u202f000,00\u00a0€" in out and "01/01/2026" in out


# ------------------------------------------------------------------ batch

def test_batch_rows_in_sorted_order_with_an_error_row(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: 1\nconvention: cdg62-demat\nname: x\nstart: 2026-02-30\n"
                   "member: {agents: 1}\nevents: []\n")
    code, out, err = main(capsys, "batch", SCEN, bad)
    assert code == 2 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    files = sorted([str(p) for p in SCENARIOS] + [str(bad)])
    assert [r["file"] for r in rows] == files
    bad_row = next(r for r in rows if r["file"] == str(bad))
    assert bad_row["status"] == "error" and bad_row["error"].startswith(f"{bad}:4: ")
    ok = {pathlib.Path(r["file"]).stem: r for r in rows if r["status"] == "ok"}
    assert len(ok) == len(SCENARIOS)
    pdc = ok["pas-de-calais"]  # default as-of: the horizon
    assert (pdc["as_of"], pdc["state"], pdc["standing"], pdc["year"], pdc["due"], pdc["paid"],
            pdc["balance"]) == ("2031-12-31", "renewed", "current", "2031", "1000.00", "1000.00", "0.00")
    calais = ok["member-notice"]
    assert (calais["state"], calais["termination_by"], calais["last_day"]) == (
        "terminated", "member", "2027-05-10")


def test_batch_as_of_is_what_was_known_that_day(capsys):
    # amendment.yaml: 2028 due 1200.00 (Avenant n°1), 1000.00 paid 2028-01-21, the rest on 02-18
    code, out, _ = main(capsys, "batch", SCEN / "amendment.yaml", "--as-of", "2028-02-10",
                        "--format", "json")
    assert code == 0
    (row,) = json.loads(out)
    assert row["standing"] == "in_default" and row["notice"] is False
    assert (row["due"], row["paid"], row["balance"]) == ("1200.00", "1000.00", "200.00")
    assert row["year"] == 2028 and row["error"] is None


def test_batch_json_and_processes_give_the_same_rows(tmp_path, capsys):
    bad = tmp_path / "zz-bad.yaml"
    bad.write_text("not: [a, scenario")
    _, one, _ = main(capsys, "batch", SCEN, bad, "--format", "json", "--as-of", "2027-06-01")
    code, four, _ = main(capsys, "batch", SCEN, bad, "--format", "json", "--as-of", "2027-06-01",
                         "--jobs", "4")
    assert code == 2 and one == four and four.endswith("]\n")
    rows = json.loads(four)
    assert [r["file"] for r in rows] == sorted([str(p) for p in SCENARIOS] + [str(bad)])
    assert [r["status"] for r in rows if r["file"] == str(bad)] == ["error"]
    assert list(rows[0]) == list(batch.COLUMNS)


def test_batch_usage_errors():
    r = subprocess.run([sys.executable, "-m", "engine.cli", "batch", str(SCEN), "--jobs", "0"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.splitlines()) == 1


# ------------------------------------------------------------------ report

class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self._table = None
        self._cell = None
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("class")
            self.rows[self._table] = []
        elif tag == "tr" and self._table:
            self.rows[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[self._table][-1].append(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _svg(page: str) -> ET.Element:
    return ET.fromstring(page[page.index("<svg"):page.index("</svg>") + len("</svg>")])


def test_report_bands_markers_and_table():
    s, t = load(SCEN / "non-payment.yaml")
    page = report(t, today=D("2026-06-15"))
    root = _svg(page)
    bands = root.findall(f"{SVG}rect[@class]")
    main_bands = [b for b in bands if b.get("class").startswith("band ")]
    assert [(b.get("data-from"), b.get("data-to"), b.get("data-state"), b.get("data-standing"))
            for b in main_bands] == [(p.start.isoformat(), p.end.isoformat() if p.end else "",
                                      p.state, p.standing) for p in t.periods]
    assert {b.get("class") for b in main_bands} == {"band state-initial_term", "band state-terminated"}
    defaults = [b for b in bands if b.get("class") == "standing in_default"]
    # late 2026 payment: in default 2026-02-01..02-11; 2027 never paid: from 2027-02-01 on
    # (split where the notice day 2027-03-15 and the termination begin)
    assert [(b.get("data-from"), b.get("data-to")) for b in defaults] == [
        ("2026-02-01", "2026-02-11"), ("2027-02-01", "2027-03-14"), ("2027-03-15", "2027-03-15"),
        ("2027-03-16", "")]
    xs = [float(b.get("x")) for b in main_bands]
    assert xs == sorted(xs)
    marks = {}
    for g in root.findall(f"{SVG}g"):
        cls = g.get("class").split()
        if "marker" in cls:
            marks.setdefault(cls[1], []).append(g.get("data-date"))
    assert marks == {"marker-call": ["2026-01-01", "2027-01-01"], "marker-payment": ["2026-02-12"],
                     "marker-notice": ["2027-03-15"], "marker-termination": ["2027-03-15"]}
    (today,) = [g for g in root.findall(f"{SVG}g") if g.get("class") == "today"]
    assert today.get("data-date") == "2026-06-15"
    p = _Tables()
    p.feed(page)
    contributions = p.rows["contributions"]
    assert contributions[0][0] == "year" and [r[0] for r in contributions[1:]] == ["2026", "2027"]
    assert contributions[1][5:8] == ["2000.00", "2000.00", "0.00"]
    # self-contained: no script, no external resource
    assert "script" not in p.tags and "link" not in p.tags
    assert "src=" not in page and "href=" not in page and "url(" not in page


def test_report_notice_band_and_no_today_out_of_range():
    s, t = load(SCEN / "cdg-notice.yaml")
    root = _svg(report(t, today=D("2035-01-01")))
    assert not [g for g in root.findall(f"{SVG}g") if g.get("class") == "today"]
    notice = [r for r in root.findall(f"{SVG}rect") if r.get("class") == "notice-band"]
    assert [(r.get("data-from"), r.get("data-to")) for r in notice] == [("2029-04-17", "2029-10-17")]
    assert report(t, today=None) == report(t, today=D("2035-01-01"))  # deterministic


def test_report_escapes_everything(tmp_path, capsys):
    s = bare(name='<script>alert("x")</script> & Cie')
    page = report(engine.replay(s))
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; Cie" in page
    _svg(page)  # still well-formed


def test_report_command_until_and_atomic_write(tmp_path, capsys):
    out_file = tmp_path / "r.html"
    code, out, err = main(capsys, "report", PDC, "--html", out_file, "--until", "2027-06-30")
    assert code == 0 and out == "" and err == ""
    root = _svg(out_file.read_text())
    assert [r.get("data-to") for r in root.findall(f"{SVG}rect") if r.get("class", "").startswith("band")] \
        == ["2027-06-30"]
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    code, out, err = main(capsys, "report", PDC, "--html", out_file, "--until", "2020-01-01")
    assert code == 2 and "before the start" in err
    code, out, err = main(capsys, "report", PDC, "--html", tmp_path / "missing" / "r.html")
    assert code == 2 and out == "" and len(err.splitlines()) == 1


def test_whatif_outcome_on_a_scenario_given_as_a_mapping():
    # Events loaded from a mapping all have line 0: the hypothetical notice must still be told
    # apart from the scenario's own notice.
    from engine.answers.whatif import whatif
    import engine
    doc = {"scenario": 1, "convention": "cdg62-demat", "name": "M", "start": D("2026-01-01"),
           "member": {"agents": 400}, "consultations": {2025: 100},
           "events": [{"date": D("2027-03-01"), "type": "notice", "by": "member",
                       "received": {"cdg": D("2027-03-01"), "archives": D("2027-03-01")}}]}
    # The same notice again: same last day, same N, processed later: it loses the ranking.
    w = whatif(engine.load_scenario(doc), "member", D("2027-03-01"))
    assert w.outcome == "superseded"
    assert w.hypothesis.termination.last_day == D("2027-05-01")


# ------------------------------------------------------------------ conventions of rules files v2

ASSURANCE = str(SCEN / "assurance-worked-example.yaml")
MEDECINE = str(SCEN / "medecine-worked-example.yaml")


def test_deadlines_of_an_exit_date_convention():
    """cdg62-assurance has no renewal but ends on 31 December with six months' notice: the next
    exit date a notice can still reach, and the last day to give it (Article 3: "au plus tard le
    30 juin")."""
    s, t = load(ASSURANCE)
    d = deadlines(s, t, D("2026-05-01"))
    assert (d.status, d.term_ends, d.exit_on) == ("expiry", D("2028-12-31"), D("2026-12-31"))
    assert [(n.party, n.notice_by, n.passed) for n in d.notices] == [
        ("member", D("2026-06-30"), False), ("cdg", D("2026-06-30"), False)]
    d = deadlines(s, t, D("2026-07-01"))  # too late for 2026: the next one
    assert d.exit_on == D("2027-12-31") and d.notice("member").notice_by == D("2027-06-30")
    assert deadlines(s, t, D("2028-07-01")).exit_on is None  # only the expiry is left
    cal = icalendar.Calendar.from_ical(to_ics(deadlines(s, t, D("2026-05-01"))))
    kinds = {str(e["categories"].cats[0]): e.decoded("dtstart") for e in cal.walk("VEVENT")}
    assert kinds["exit"] == D("2026-12-31") and kinds["notice-member"] == D("2026-06-30")


def test_year_figures_add_up_the_quarters(capsys):
    """state, whatif and batch show a quarterly convention's year, not its first quarter."""
    s, t = load(MEDECINE)
    total = t.year_total(2026)
    rows = [c for c in t.contributions if c.year == 2026]
    assert total.calls == len(rows) == 4
    assert total.due == sum(c.due for c in rows) == Decimal("412.50") + 3 * Decimal("825.00")
    code, out, _ = main(capsys, "state", MEDECINE, "--on", "2026-12-31")
    assert code == 0 and "2026: due 2887.50" in out
    row = batch.summarise(MEDECINE, D("2026-12-31"))
    assert (row["due"], row["year"]) == ("2887.50", 2026)


def test_member_key_refused_where_the_convention_has_no_current_values(tmp_path, capsys):
    text = pathlib.Path(MEDECINE).read_text(encoding="utf-8")
    bad = tmp_path / "m.yaml"
    bad.write_text(text.replace("start:", "member: {}\nstart:", 1), encoding="utf-8")
    code, out, err = main(capsys, "run", str(bad))
    assert code == 2 and out == "" and "member: this convention (cdg62-medecine) has no current" in err


def test_the_call_frequency_cannot_be_amended(tmp_path, capsys):
    bad = tmp_path / "a.yaml"
    bad.write_text(pathlib.Path(PDC).read_text(encoding="utf-8").replace(
        "events:\n", "events:\n  - {date: 2027-01-05, type: amendment, effective: 2027-04-01,\n"
        "     set: {contribution: {call: quarterly}}}\n", 1), encoding="utf-8")
    code, out, err = main(capsys, "run", str(bad))
    assert code == 2 and out == "" and "contribution.call: the call frequency cannot be amended" in err


def test_an_amended_grid_column_of_the_wrong_length_is_refused(tmp_path, capsys):
    bad = tmp_path / "g.yaml"
    bad.write_text(pathlib.Path(PDC).read_text(encoding="utf-8").replace(
        "events:\n", "events:\n  - {date: 2027-01-05, type: amendment, effective: 2027-04-01,\n"
        "     set: {contribution: {grid: {large: [\"1.00\", \"2.00\"]}}}}\n", 1), encoding="utf-8")
    code, out, err = main(capsys, "run", str(bad))
    assert code == 2 and out == ""
    assert "contribution.grid.large: expected 5 values" in err and err.count("\n") == 1


# ------------------------------------------------------------------ what cost trust (issue 9)

def test_ctrl_c_is_one_line_and_status_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt
    monkeypatch.setitem(cli.COMMANDS, "run", interrupted)
    code, out, err = main(capsys, "run", PDC)
    assert (code, out, err) == (130, "", "convention: interrupted\n")


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out == f"convention {engine.__version__}\n"


def test_a_path_without_yaml_is_a_missing_file_not_yaml_text(capsys):
    code, out, err = main(capsys, "run", "scenarios/pas-de-calais")
    assert (code, out, err) == (2, "", "scenarios/pas-de-calais:0: no such file\n")


def test_option_errors_name_the_option_not_file_line_0(capsys):
    code, out, err = main(capsys, "run", PDC, "--until", "2020-01-01")
    assert code == 2 and out == ""
    assert err == f"convention: --until 2020-01-01 is before the start 2026-01-01 of {PDC}\n"


def test_not_yet_in_force(capsys):
    code, out, _ = main(capsys, "state", SCEN / "mid-year-start.yaml", "--on", "2026-03-01")
    assert code == 0 and out == "2026-03-01: not yet in force (it starts on 2026-07-01)\n"
    code, out, _ = main(capsys, "deadlines", SCEN / "mid-year-start.yaml", "--as-of", "2026-03-01",
                        "--lang", "fr")
    assert code == 0 and "Pas encore en vigueur : la convention commence le 01/07/2026." in out
    assert "Prochain appel de contribution : 01/07/2026, à payer au plus tard le 31/07/2026." in out


def test_deadlines_of_a_terminated_convention_say_what_is_owed(capsys):
    # non-payment.yaml: the 2027 call, cut to its prorata by the immediate termination on
    # 2027-03-15, is still unpaid: its balance is what is owed
    s, t = load(SCEN / "non-payment.yaml")
    owed = sum(c.balance for c in t.contributions)
    assert owed > 0
    d = deadlines(s, t, D("2027-12-31"))
    assert d.status == "terminated" and d.balance == owed
    code, out, _ = main(capsys, "deadlines", SCEN / "non-payment.yaml", "--as-of", "2027-12-31")
    assert f"Still owed: {owed:.2f}." in out
    s, t = load(SCEN / "member-notice.yaml")  # paid 500.00, due 178.08 after the prorata
    assert deadlines(s, t, D("2028-01-01")).balance == Decimal("-321.92")


def test_a_stand_in_count_is_shown_under_its_own_year():
    """pas-de-calais 2026: the 2025 count is not known on 1 January; 2024's (235) stands in."""
    s, t = load(PDC)
    call = next(e for e in t.entries if e.kind == "contribution_called" and e.detail["year"] == 2026)
    assert (call.detail["basis_count"], call.detail["basis_year"], call.detail["basis_for"]) == (235, 2024, 2025)
    call = next(e for e in t.entries if e.kind == "contribution_called" and e.detail["year"] == 2027)
    # 2027: 2026's count comes on 2027-01-12, after the call; 2025's (learned in 2026) stands in
    assert (call.detail["basis_year"], call.detail["basis_for"]) == (2025, 2026)


def test_files_are_written_with_the_umask(tmp_path, capsys):
    import os
    old = os.umask(0o022)
    try:
        main(capsys, "deadlines", PDC, "--as-of", "2027-06-01", "--ics", tmp_path / "d.ics")
        main(capsys, "report", PDC, "--html", tmp_path / "r.html")
    finally:
        os.umask(old)
    for name in ("d.ics", "r.html"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.ics", "r.html"]  # nothing left over


def test_refund_on_default_chooses_the_reading(tmp_path):
    """non-payment.yaml: the CdG ends it at once for default on 2027-03-15. The text's reading
    (prorata for any incomplete year) cuts 2027 to its days; the other reading keeps it all due."""
    text = (SCEN / "non-payment.yaml").read_text(encoding="utf-8")
    s = engine.load_scenario(text, filename=str(SCEN / "non-payment.yaml"))
    t = engine.replay(s)
    c2027 = t.contribution(2027)
    assert c2027.covered_days < 365  # cut to the last day by default
    doc = engine.load_scenario(text.replace("expect:", "overrides: {contribution: {refund_on_default: false}}\nexpect:", 1),
                               filename=str(SCEN / "non-payment.yaml"))
    kept = engine.replay(doc).contribution(2027)
    assert kept.covered_days == 365 and kept.due == kept.annual
    assert t.termination.immediate and t.termination.last_day == engine.replay(doc).termination.last_day


def test_notice_deadline_with_the_period_amended_twice(tmp_path):
    """Found by the mutation run (issue 11): the period is P2M until 2028-10-31, P3M from
    2028-11-01, P1M from 2028-12-15. A member notice on 2028-10-31 (P2M that day) ends the
    convention on 2028-12-31, before the renewal of 2029-01-01: that is the last day to give it
    (it was 2028-09-30, the smallest guess). A replay confirms it, and the next day is too late."""
    text = pathlib.Path(PDC).read_text(encoding="utf-8").replace("events:\n", (
        "events:\n"
        "  - {date: 2028-05-01, type: amendment, effective: 2028-11-01, set: {notice: {member: P3M}}}\n"
        "  - {date: 2028-05-02, type: amendment, effective: 2028-12-15, set: {notice: {member: P1M}}}\n"), 1)
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    s = engine.load_scenario(path)
    d = deadlines(s, engine.replay(s), D("2028-06-01"))
    assert d.notice("member").notice_by == D("2028-10-31")
    for day, last in (("2028-10-31", D("2028-12-31")), ("2028-11-01", None)):
        hypo = engine.load_scenario(text.replace("events:\n", (
            f"events:\n  - {{date: {day}, type: notice, by: member, received: {{cdg: {day}, archives: {day}}}}}\n"), 1),
            filename=str(path))
        t = engine.replay(hypo).termination
        if last is None:
            assert t is None or t.last_day > D("2028-12-31")
        else:
            assert t.by == "member" and t.last_day == last
