"""`convention deadlines DIR`: a portfolio schedule (issue 15): every scenario file of a folder
in date order, as a table, CSV (French under --lang fr) and one calendar; deadlines that say the
letter must be *received*, and the working day before a weekend or a public holiday; calendars
whose UIDs do not collide when two conventions share a name."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib
import shutil
import subprocess
import sys

import icalendar

import engine
from engine import application
from engine.core import dates
from engine.answers.deadlines import entries, to_ics, working_day_before
from tests.test_commands import main  # the command run in-process, as the other command tests do

ROOT = pathlib.Path(__file__).parent.parent
SCEN = ROOT / "scenarios"
D = dt.date.fromisoformat


def folder(tmp_path, *names, rules=False, bad=False) -> pathlib.Path:
    d = tmp_path / "portfolio"
    d.mkdir()
    for n in names:
        shutil.copy(SCEN / n, d / n)
    if rules:  # a rules file in the folder is skipped, as batch skips it
        shutil.copy(ROOT / "rules" / "cdg62-demat.yaml", d / "my-rules.yaml")
    if bad:
        (d / "broken.yaml").write_text("scenario: 1\nconvention: cdg62-demat\nname: [\n")
    return d


# ------------------------------------------------------------------ the command


def test_folder_in_date_order_rules_skipped_bad_file_one_line(tmp_path, capsys):
    d = folder(tmp_path, "pas-de-calais.yaml", "medecine-expiry.yaml", "non-payment.yaml",
               rules=True, bad=True)
    code, out, err = main(capsys, "deadlines", d, "--as-of", "2027-02-01", "--before", "2027-03-01")
    assert code == 2  # as batch: an invalid file makes the exit 2, the others are still listed
    assert len(err.splitlines()) == 1 and err.startswith(str(d / "broken.yaml") + ":")
    assert "my-rules" not in out + err
    lines = out.splitlines()
    assert lines[0] == "Deadlines from 2027-02-01 to 2027-02-28"
    rows = [ln for ln in lines[4:] if ln.strip()]
    days = [D(r.split()[0]) for r in rows]
    assert days == sorted(days) and all(D("2027-02-01") <= x < D("2027-03-01") for x in days)
    # an overdue payment of the non-payment scenario, with what it allows
    assert any("Communauté d'agglomération de Lens-Liévin (cdg62-demat)" in r and
               "Overdue: 2000.00 due since 2027-01-31" in r and "may end the convention at once" in r
               for r in rows)
    # a notice deadline on a Sunday: received by, and the working day before
    notice = [r for r in rows if "(cdg62-medecine)" in r and "Notice by the member" in r]
    assert len(notice) == 1 and notice[0].startswith("2027-02-14")
    assert ("the registered letter must be received by the CdG62 on 2027-02-14 at the latest; "
            "2027-02-14 is a Sunday: the letter must arrive by 2027-02-12, the working day before") in notice[0]


def test_member_notice_needs_both_recipients(tmp_path, capsys):
    d = folder(tmp_path, "pas-de-calais.yaml")
    code, out, err = main(capsys, "deadlines", d, "--as-of", "2028-06-01")
    assert code == 0 and err == ""
    row = next(r for r in out.splitlines() if "Notice by the member" in r)
    assert row.startswith("2028-10-31") and "Département du Pas-de-Calais (cdg62-demat)" in row
    assert "must be received by the CdG62 and the archives on 2028-10-31 at the latest" in row
    sch = application.schedule([str(d)], D("2028-06-01"))
    due = next(x for x in sch.portfolio.deadlines if x.kind == "notice" and x.party == "member")
    assert due.recipients == ("cdg", "archives") and due.working_day is None  # a Tuesday
    assert due.id == "pas-de-calais.yaml"


def test_before_bounds_the_window_and_must_be_after_as_of(tmp_path, capsys):
    d = folder(tmp_path, "pas-de-calais.yaml", "medecine-expiry.yaml")
    everything = application.schedule([str(d)], D("2026-06-01")).portfolio.deadlines
    window = application.schedule([str(d)], D("2026-06-01"), D("2027-01-31")).portfolio.deadlines
    assert window == tuple(x for x in everything if x.date < D("2027-01-31"))
    assert 0 < len(window) < len(everything)
    code, out, err = main(capsys, "deadlines", d, "--as-of", "2026-06-01", "--before", "2026-06-01")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    # --before and --format are for a folder; one file keeps its own report
    code, out, err = main(capsys, "deadlines", SCEN / "pas-de-calais.yaml", "--as-of", "2026-06-01",
                          "--before", "2027-01-01")
    assert code == 2 and out == "" and "--before" in err
    code, out, err = main(capsys, "deadlines", SCEN / "pas-de-calais.yaml", "--as-of", "2026-06-01")
    assert code == 0 and out.startswith("Département du Pas-de-Calais — deadlines on 2026-06-01")


def test_service_portfolio_and_folder_share_the_application_layer(tmp_path):
    d = folder(tmp_path, "pas-de-calais.yaml", "non-payment.yaml")
    sch = application.schedule([str(d)], D("2027-02-01"), D("2029-01-01"))
    held = [application.Registered(p.name, engine.load_scenario(str(p)), 0)
            for p in sorted(d.glob("*.yaml"))]
    assert application.portfolio(held, D("2027-02-01"), D("2029-01-01")) == sch.portfolio
    kinds = {x.kind for x in sch.portfolio.deadlines}
    assert {"notice", "payment-due", "overdue", "declaration", "call"} <= kinds
    overdue = next(x for x in sch.portfolio.deadlines if x.kind == "overdue")
    assert overdue.to_dict()["amount"] == "2000.00" and overdue.to_dict()["since"] == "2027-01-31"
    pay = next(x for x in sch.portfolio.deadlines if x.kind == "payment-due")
    assert pay.amount is not None and pay.amount > 0


# ------------------------------------------------------------------ CSV


def test_csv_plain_and_french(tmp_path, capsys):
    d = folder(tmp_path, "non-payment.yaml", "medecine-expiry.yaml")
    code, out, _ = main(capsys, "deadlines", d, "--as-of", "2027-02-01", "--before", "2027-03-01",
                        "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    od = next(r for r in rows if r["kind"] == "overdue")
    assert (od["date"], od["amount"], od["since"], od["rules"], od["file"]) == \
        ("2027-02-01", "2000.00", "2027-01-31", "cdg62-demat", "non-payment.yaml")
    nt = next(r for r in rows if r["kind"] == "notice" and r["party"] == "member")
    assert (nt["date"], nt["working_day"], nt["recipients"]) == ("2027-02-14", "2027-02-12", "CdG62")
    assert "must be received" in nt["what"]
    code, out, _ = main(capsys, "deadlines", d, "--as-of", "2027-02-01", "--before", "2027-03-01",
                        "--format", "csv", "--lang", "fr")
    assert code == 0 and out.startswith("\ufeffDate;Nature;")
    rows = list(csv.DictReader(io.StringIO(out[1:]), delimiter=";"))
    od = next(r for r in rows if r["Nature"] == "impayé")
    assert (od["Date"], od["Montant"], od["Dû depuis"]) == ("01/02/2027", "2000,00", "31/01/2027")
    nt = next(r for r in rows if r["Nature"] == "dénonciation" and r["Partie"] == "la collectivité")
    assert nt["Jour ouvré"] == "12/02/2027"
    assert ("la lettre recommandée doit être reçue par le CdG62 au plus tard le 14/02/2027 ; "
            "le 14/02/2027 est un dimanche : la lettre doit arriver au plus tard le 12/02/2027") in nt["À faire"]


# ------------------------------------------------------------------ working days


def test_working_day_before_weekends_and_french_public_holidays():
    assert working_day_before(D("2028-10-31")) is None  # a Tuesday
    assert working_day_before(D("2027-02-14")) == D("2027-02-12")  # Sunday -> Friday
    assert working_day_before(D("2026-07-14")) == D("2026-07-13")  # 14 juillet, a Tuesday
    assert working_day_before(D("2026-05-25")) == D("2026-05-22")  # Whit Monday, then a weekend
    assert working_day_before(D("2027-01-01")) == D("2026-12-31")
    assert dates.previous_working_day(D("2026-12-31")) == D("2026-12-31")


def test_single_file_text_says_received_and_the_working_day(capsys):
    code, out, _ = main(capsys, "deadlines", SCEN / "medecine-expiry.yaml", "--as-of", "2027-02-01")
    assert code == 0 and "letter received by" in out
    assert ("Notice by the member: the registered letter must be received by the CdG62 on "
            "2027-02-14 at the latest; 2027-02-14 is a Sunday: the letter must arrive by "
            "2027-02-12, the working day before.") in out


# ------------------------------------------------------------------ calendars


def _events(data: bytes):
    return icalendar.Calendar.from_ical(data).walk("VEVENT")


def test_two_conventions_with_one_name_merge_without_uid_collisions(tmp_path, capsys):
    d = folder(tmp_path, "pas-de-calais.yaml")
    shutil.copy(d / "pas-de-calais.yaml", d / "pas-de-calais-copy.yaml")  # the same name twice
    ics = tmp_path / "all.ics"
    code, _, err = main(capsys, "deadlines", d, "--as-of", "2027-06-01", "--ics", ics)
    assert code == 0 and err == ""
    events = _events(ics.read_bytes())
    uids = [str(e["uid"]) for e in events]
    assert len(events) == 2 * 6 and len(set(uids)) == len(uids)
    # the two files' own calendars merged: still no collision, and the same UIDs as the portfolio's
    singles = []
    for name in ("pas-de-calais.yaml", "pas-de-calais-copy.yaml"):
        main(capsys, "deadlines", d / name, "--as-of", "2027-06-01", "--ics", tmp_path / f"{name}.ics")
        singles += [str(e["uid"]) for e in _events((tmp_path / f"{name}.ics").read_bytes())]
    assert sorted(singles) == sorted(uids)
    for e in events:
        assert "Département du Pas-de-Calais (cdg62-demat)" in str(e["summary"])
        assert "Convention: Département du Pas-de-Calais (rules cdg62-demat)" in str(e["description"])
        kind = str(e["categories"].cats[0])
        triggers = sorted(a.decoded("trigger") for a in e.walk("VALARM"))
        if kind.startswith("notice-") or kind == "payment-due":
            assert triggers == [dt.timedelta(days=-90), dt.timedelta(days=-60), dt.timedelta(days=-30)]
        else:
            assert triggers == []
        if kind == "notice-member":
            assert ("the registered letter must be received by the CdG62 and the archives on "
                    "2028-10-31 at the latest") in str(e["description"])
    # the same bytes from another process (UIDs do not depend on hashing or the run)
    again = tmp_path / "again.ics"
    subprocess.run([sys.executable, "-m", "engine.cli", "deadlines", str(d), "--as-of", "2027-06-01",
                    "--ics", str(again)], check=True, capture_output=True, cwd=tmp_path)
    assert again.read_bytes() == ics.read_bytes()


def test_uids_differ_by_rules_id_and_identity():
    s = engine.load_scenario(str(SCEN / "pas-de-calais.yaml"))
    d = application.deadlines(s, D("2027-06-01"))
    a = [str(e["uid"]) for e in _events(to_ics(d, identity="a.yaml"))]
    b = [str(e["uid"]) for e in _events(to_ics(d, identity="b.yaml"))]
    assert a == [str(e["uid"]) for e in _events(to_ics(d, identity="a.yaml"))]
    assert not set(a) & set(b)


def test_an_ended_convention_keeps_only_what_is_owed(tmp_path, capsys):
    s = engine.load_scenario(str(SCEN / "non-payment.yaml"))
    d = application.deadlines(s, D("2030-06-01"))
    assert d.status == "terminated"
    assert [(e.kind, e.date) for e in entries(d)] == [("overdue", D("2030-06-01"))]
    (e,) = _events(to_ics(d))
    assert "Overdue: 405.48 due since 2027-01-31" in str(e["summary"])
    # the French calendar says received too
    fr = _events(to_ics(application.deadlines(engine.load_scenario(str(SCEN / "pas-de-calais.yaml")),
                                              D("2027-06-01")), lang="fr"))
    desc = next(str(e["description"]) for e in fr if str(e["categories"].cats[0]) == "notice-member")
    assert ("Dénonciation par la collectivité : la lettre recommandée doit être reçue par le CdG62 "
            "et les Archives départementales au plus tard le 31/10/2028") in desc


def test_csv_neutralises_a_name_that_would_start_a_formula(tmp_path, capsys):
    d = tmp_path / "p"
    d.mkdir()
    text = (SCEN / "pas-de-calais.yaml").read_text(encoding="utf-8")
    (d / "f.yaml").write_text(text.replace("name: Département du Pas-de-Calais", "name: =1+1"),
                              encoding="utf-8")
    code, out, _ = main(capsys, "deadlines", d, "--as-of", "2027-06-01", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and {r["name"] for r in rows} == {"'=1+1"}
    assert all(not r["amount"].startswith("'") for r in rows)
