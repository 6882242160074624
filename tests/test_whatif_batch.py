"""whatif with a reason, its money and its JSON; batch as of a day, in French, on an empty folder.

The figures are computed by hand from the scenario files, in the comments."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pathlib
from decimal import Decimal

import pytest

import engine
from engine.answers import batch
from engine.conventions import rulesfile
from engine.core.events import PaymentReceived
from engine.answers.whatif import whatif
from tests.test_commands import main  # the command run in-process, as the other command tests do

ROOT = pathlib.Path(__file__).parent.parent
SCEN = ROOT / "scenarios"
SCENARIOS = sorted(SCEN.glob("*.yaml"))
PDC = str(SCEN / "pas-de-calais.yaml")
NON_PAYMENT = str(SCEN / "non-payment.yaml")
MID_YEAR = str(SCEN / "mid-year-start.yaml")
CALAIS = str(SCEN / "member-notice.yaml")
D = dt.date.fromisoformat


def load(path):
    return engine.load_scenario(str(path))


def cells(out: str) -> list[list[str]]:
    """A text table's rows, split on runs of two spaces or more (labels hold single spaces)."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines() if line.strip()]


# ============================================================================ whatif: the money


def test_whatif_leaves_out_payments_after_the_hypothetical_last_day(capsys):
    """The complaint: a member notice on 2026-03-01 showed "2026 paid 6000.00, balance -5668.49",
    the later years' payments poured onto the year cut short."""
    s = load(PDC)
    w = whatif(s, "member", D("2026-03-01"))
    assert w.outcome == "accepted" and w.year == 2026
    r = w.hypothesis.termination
    # 2026-03-01 + P2M = 2026-05-01, before the initial term's end 2028-12-31: allowed
    assert (r.by, r.notified, r.last_day, r.immediate) == ("member", D("2026-03-01"), D("2026-05-01"), False)
    # payments of 2027-01-21, 2028-01-20, 2029-01-18, 2030-01-17, 2031-01-23: 5 × 1000.00
    assert [e.date for e in w.dropped] == [D("2027-01-21"), D("2028-01-20"), D("2029-01-18"),
                                           D("2030-01-17"), D("2031-01-23")]
    assert w.dropped_total == Decimal("5000.00")
    base, hypo = w.year_totals()
    assert (base.due, base.paid, base.balance) == (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00"))
    # 2026-01-01..2026-05-01 = 31 + 28 + 31 + 30 + 1 = 121 days; 1000 × 121/365 = 331.506… → 331.51
    # paid: the 1000.00 of 2026-01-22 alone; balance 331.51 − 1000.00 = −668.49
    assert (hypo.due, hypo.paid, hypo.balance) == (Decimal("331.51"), Decimal("1000.00"), Decimal("-668.49"))
    # on the last day: due 331.51 (2026, the only call) − received 1000.00 → 668.49 to refund
    assert (w.settlement.owed, w.settlement.refund) == (Decimal("0.00"), Decimal("668.49"))
    assert not [e for e in w.hypothesis.entries if e.kind == "payment_received" and e.date > r.last_day]
    # the baseline keeps every payment
    assert sum(c.paid for c in w.baseline.contributions) == Decimal("6000.00")

    code, out, err = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2026-03-01")
    assert code == 0 and err == ""
    rows = cells(out)
    assert ["immediate", "-", "no"] in rows
    assert ["2026 paid", "1000.00", "1000.00"] in rows
    assert ["2026 balance", "0.00", "-668.49"] in rows
    assert ["owed on the last day", "0.00"] in rows
    assert ["to refund on the last day", "668.49"] in rows
    assert "6000.00" not in out and "5668.49" not in out
    assert out.rstrip().endswith("The hypothesis leaves out the scenario's 5 payments dated after "
                                 "its last day 2026-05-01 (5000.00 in all): they would not have been made.")
    code, out, err = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2026-03-01", "--lang", "fr")
    assert code == 0 and err == ""
    flat = out.replace("\u202f", " ").replace("\u00a0", " ")
    assert "à rembourser au dernier jour" in flat and "668,49 €" in flat
    assert "L'hypothèse écarte les 5 paiements du scénario" in flat and "5 000,00 € en tout" in flat
    assert "6 000,00" not in flat


def test_whatif_reason_non_payment_is_immediate_when_in_default(capsys):
    """The CdG's question: a notice for non-payment on 2027-02-15 (Lens-Liévin never pays 2027)."""
    s = load(NON_PAYMENT)
    # 2027 called 2027-01-01, due date + P30D = 2027-01-31, nothing paid: in default from 2027-02-01,
    # so on N = 2027-02-15 the notice takes effect at once (last day N)
    w = whatif(s, "cdg", D("2027-02-15"), reason="non_payment")
    assert w.outcome == "accepted" and w.reason == "non_payment"
    r = w.hypothesis.termination
    assert (r.by, r.notified, r.last_day, r.immediate) == ("cdg", D("2027-02-15"), D("2027-02-15"), True)
    base, hypo = w.year_totals()
    # baseline: the scenario's own notice, 2027-03-15, immediate: 31 + 28 + 15 = 74 days → 405.48
    assert (base.due, base.paid) == (Decimal("405.48"), Decimal("0.00"))
    # hypothesis: 2027-01-01..2027-02-15 = 31 + 15 = 46 days; 2000 × 46/365 = 252.054… → 252.05
    assert (hypo.due, hypo.paid, hypo.balance) == (Decimal("252.05"), Decimal("0.00"), Decimal("252.05"))
    # on the last day: 2026 2000.00 + 2027 252.05 = 2252.05 due, 2000.00 received (2026-02-12)
    assert (w.settlement.owed, w.settlement.refund) == (Decimal("252.05"), Decimal("0.00"))
    assert w.dropped == ()  # no payment after 2027-02-15

    # without the reason, a plain six-month notice: 2027-02-15 + P6M = 2027-08-15, later than the
    # scenario's own immediate termination of 2027-03-15, which rules
    plain = whatif(s, "cdg", D("2027-02-15"))
    assert plain.outcome == "superseded" and plain.reason is None
    assert plain.hypothesis.termination.last_day == D("2027-03-15")

    code, out, err = main(capsys, "whatif", NON_PAYMENT, "--notice", "cdg", "--on", "2027-02-15",
                          "--reason", "non_payment")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == ("Communauté d'agglomération de Lens-Liévin — what if: notice by "
                                   "the cdg on 2027-02-15 (reason: non_payment)")
    rows = cells(out)
    assert ["last day", "2027-03-15", "2027-02-15"] in rows
    assert ["immediate", "yes", "yes"] in rows
    assert ["2027 due", "405.48", "252.05"] in rows
    assert ["owed on the last day", "252.05"] in rows
    assert "leaves out" not in out  # nothing dropped, nothing said


def test_whatif_reason_non_payment_while_current_runs_its_period():
    """Pas-de-Calais pays 2027 on 2027-01-21: on 2027-06-01 it is not in default, so a notice for
    non-payment runs the normal P6M and the rules add non_payment_unfounded."""
    w = whatif(load(PDC), "cdg", D("2027-06-01"), reason="non_payment")
    r = w.hypothesis.termination
    assert w.outcome == "accepted"
    assert (r.last_day, r.immediate) == (D("2027-12-01"), False)  # 2027-06-01 + P6M
    assert [d.code for d in w.hypothesis.diagnostics if d.code == "non_payment_unfounded"] == [
        "non_payment_unfounded"]
    # 2027-01-01..2027-12-01 = 334 + 1 = 335 days; 1000 × 335/365 = 917.808… → 917.81
    _, hypo = w.year_totals()
    assert (hypo.due, hypo.paid) == (Decimal("917.81"), Decimal("1000.00"))
    assert len(w.dropped) == 4  # 2028 … 2031
    assert w.settlement.refund == Decimal("82.19")  # 1000.00 − 917.81


def test_whatif_json_shape(capsys):
    code, out, err = main(capsys, "whatif", NON_PAYMENT, "--notice", "cdg", "--on", "2027-02-15",
                          "--reason", "non_payment", "--format", "json")
    assert code == 0 and err == ""
    assert json.loads(out) == {
        "party": "cdg", "on": "2027-02-15", "reason": "non_payment", "outcome": "accepted",
        "year": 2027,
        "baseline": {"termination": {"by": "cdg", "notified": "2027-03-15", "last_day": "2027-03-15",
                                     "immediate": True},
                     "due": "405.48", "paid": "0.00", "balance": "405.48"},
        "hypothesis": {"termination": {"by": "cdg", "notified": "2027-02-15", "last_day": "2027-02-15",
                                       "immediate": True},
                       "due": "252.05", "paid": "0.00", "balance": "252.05"},
        "settlement": {"owed": "252.05", "refund": "0.00"},
        "payments_dropped": 0,
        # in default on 2027-02-15: the 2027 call (2000.00) was due on 2027-01-31
        "why": {"code": "in_default", "overdue": "2000.00", "overdue_since": "2027-01-31"},
    }
    # keys in the documented order, indent 2, a final newline; --lang does not translate JSON
    assert list(json.loads(out)) == ["party", "on", "reason", "outcome", "year", "baseline",
                                     "hypothesis", "settlement", "payments_dropped", "why"]
    assert out.startswith('{\n  "party": "cdg",\n') and out.endswith("}\n")
    _, again, _ = main(capsys, "whatif", NON_PAYMENT, "--notice", "cdg", "--on", "2027-02-15",
                       "--reason", "non_payment", "--format", "json", "--lang", "fr")
    assert again == out
    # no termination, no settlement; no reason: null; UTF-8 without escapes
    code, out, _ = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2029-03-14",
                        "--format", "json")
    doc = json.loads(out)
    assert doc["reason"] is None and doc["baseline"]["termination"] is None
    assert doc["payments_dropped"] == 2  # 2030-01-17 and 2031-01-23, after 2029-05-14
    # 2029: 1000 × 134/365 = 367.12 due, 1000.00 paid (2029-01-18) → 632.88 to refund
    assert doc["hypothesis"]["paid"] == "1000.00" and doc["settlement"] == {"owed": "0.00",
                                                                          "refund": "632.88"}
    # a reason the rules file does not define is refused; its French label is accepted
    code, out, _ = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2027-06-01",
                        "--reason", "impayé", "--format", "json")
    assert (code, out) == (2, "")
    _, out, _ = main(capsys, "whatif", PDC, "--notice", "member", "--on", "2027-06-01",
                     "--reason", "défaut de paiement", "--lang", "fr", "--format", "json")
    assert '"reason": "non_payment"' in out and "\\u" not in out
    # a notice that never ends the convention: no settlement
    s = engine.load_scenario({"scenario": 1, "convention": "cdg62-demat", "name": "T",
                              "start": "2026-01-01", "horizon": "2027-12-31",
                              "member": {"agents": 400}, "consultations": {2025: 100},
                              "overrides": {"notice": {"within_initial_term": "refused"}},
                              "events": []})
    w = whatif(s, "member", D("2026-06-01"))
    assert w.outcome == "refused" and w.settlement is None and w.to_dict()["settlement"] is None


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_whatif_settlement_is_every_due_less_the_money_received_by_the_last_day(path):
    s = load(path)
    for party in rulesfile.of_scenario(s).parties:
        w = whatif(s, party, s.start + dt.timedelta(days=400))
        r = w.hypothesis.termination
        if r is None:
            assert w.settlement is None
            continue
        received = sum((e.amount for e in s.events if isinstance(e, PaymentReceived)
                        and e.date <= r.last_day), Decimal(0))
        due = sum((c.due for c in w.hypothesis.contributions), Decimal(0))
        assert w.settlement.owed - w.settlement.refund == due - received
        assert min(w.settlement.owed, w.settlement.refund) == 0
        if w.outcome == "accepted":
            # nothing after the last day is left in the hypothesis, everything before it is
            assert all(e.date > r.last_day for e in w.dropped)
            kept = sum(c.paid for c in w.hypothesis.contributions) + w.hypothesis.unallocated
            assert kept == received
        else:
            assert w.dropped == ()


# ============================================================================ batch: as of a day


def test_batch_as_of_before_the_start_knows_nothing(capsys):
    """mid-year-start starts 2026-07-01 (call 504.11 on that day, paid 2026-07-21): on 2026-03-01
    nothing has happened yet."""
    code, out, err = main(capsys, "batch", MID_YEAR, "--as-of", "2026-03-01", "--format", "json")
    assert code == 0 and err == ""
    (row,) = json.loads(out)
    assert {k: row[k] for k in ("as_of", "state", "standing", "notice", "termination_by", "last_day",
                                "year", "due", "paid", "balance")} == {
        "as_of": "2026-03-01", "state": "not_started", "standing": None, "notice": False,
        "termination_by": None, "last_day": None, "year": 2026, "due": None, "paid": None,
        "balance": None}
    code, out, _ = main(capsys, "batch", MID_YEAR, "--as-of", "2026-03-01")
    assert out.splitlines()[1].endswith(",2026-03-01,not_started,,false,,,2026,,,,")
    # the start day: called for 2026-07-01..12-31 = 184 days, 1000 × 184/365 = 504.11, unpaid
    # (due date 2026-07-31: current)
    row = batch.summarise(MID_YEAR, D("2026-07-01"))
    assert (row["state"], row["standing"], row["due"], row["paid"], row["balance"]) == (
        "initial_term", "current", "504.11", "0.00", "504.11")
    row = batch.summarise(MID_YEAR, D("2026-07-21"))  # the payment of that day
    assert (row["paid"], row["balance"]) == ("504.11", "0.00")


def test_batch_as_of_shows_no_notice_learned_later():
    # member-notice: the notice arrives on 2027-03-12 (notified 2027-03-10, last day 2027-05-10)
    row = batch.summarise(CALAIS, D("2027-03-11"))
    assert (row["notice"], row["termination_by"], row["last_day"]) == (False, None, None)
    row = batch.summarise(CALAIS, D("2027-03-12"))
    assert (row["notice"], row["termination_by"], row["last_day"]) == (True, "member", "2027-05-10")
    # 2027 called for the whole year (500.00), paid 2027-01-26; not yet reduced to 178.08
    assert (row["due"], row["paid"]) == ("500.00", "500.00")


# ============================================================================ batch: in French


def fr_amount(text: str) -> Decimal:
    """A French number as a spreadsheet reads it, without `locale`: "1 000,00" or "1000,00"."""
    for space in (" ", "\u00a0", "\u202f"):
        text = text.replace(space, "")
    return Decimal(text.replace(",", "."))


def read_fr(out: str) -> list[dict]:
    assert out.startswith("\ufeff") and out.encode("utf-8").startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(out[1:]), delimiter=";"))
    head = rows[0]
    assert all(len(r) == len(head) for r in rows)
    return [dict(zip(head, r)) for r in rows[1:]]


def test_batch_french_csv_as_a_spreadsheet_reads_it(capsys):
    files = [SCEN / n for n in ("amendment.yaml", "member-notice.yaml", "non-payment.yaml",
                                "yearly-capped.yaml")]
    code, out, err = main(capsys, "batch", *files, "--lang", "fr")
    assert code == 0 and err == ""
    rows = read_fr(out)
    assert list(rows[0]) == ["fichier", "statut", "nom", "au", "état", "paiements", "préavis",
                             "fin par", "dernier jour", "année", "dû", "payé", "solde", "erreur"]
    by = {pathlib.Path(r["fichier"]).stem: r for r in rows}
    fr = rulesfile.of_scenario(load(CALAIS)).label

    calais = by["member-notice"]
    assert (calais["statut"], calais["nom"], calais["au"], calais["état"], calais["paiements"],
            calais["préavis"], calais["fin par"], calais["dernier jour"], calais["année"]) == (
        "ok", "Ville de Calais", "31/12/2027", "terminée", "à jour", "non", fr("member", "fr"),
        "10/05/2027", "2027")
    # 2027 reduced to 2027-01-01..05-10 = 130 days: 500 × 130/365 = 178.08; 500.00 paid → −321.92
    due, paid, balance = (fr_amount(calais[k]) for k in ("dû", "payé", "solde"))
    assert (due, paid, balance) == (Decimal("178.08"), Decimal("500.00"), Decimal("-321.92"))
    assert due - paid == balance

    lens = by["non-payment"]
    assert (lens["état"], lens["paiements"], lens["fin par"], lens["dernier jour"]) == (
        "terminée", "défaut de paiement", fr("cdg", "fr"), "15/03/2027")
    # 2027: 74 days, 2000 × 74/365 = 405.48, nothing paid
    assert [fr_amount(lens[k]) for k in ("dû", "payé", "solde")] == [
        Decimal("405.48"), Decimal("0.00"), Decimal("405.48")]

    boulonnais = by["amendment"]  # 2029: 1200.00 (Avenant n°1), paid
    assert (boulonnais["état"], boulonnais["préavis"], boulonnais["fin par"]) == ("reconduite", "non", "")
    assert fr_amount(boulonnais["dû"]) == Decimal("1200.00") == fr_amount("1 200,00")
    # a name with a comma needs no quotes, and reads back whole
    assert by["yearly-capped"]["nom"] == "Communauté d'agglomération de Béthune-Bruay, Artois-Lys Romane"
    for r in rows:
        for k in ("dû", "payé", "solde"):
            assert "." not in r[k]
        assert r["préavis"] in ("oui", "non")

    # before the start, in French; the same rows with processes; JSON is never translated
    _, out, _ = main(capsys, "batch", MID_YEAR, "--as-of", "2026-03-01", "--lang", "fr")
    (row,) = read_fr(out)
    assert (row["au"], row["état"], row["préavis"], row["année"], row["dû"]) == (
        "01/03/2026", "pas commencée", "non", "2026", "")
    _, one, _ = main(capsys, "batch", SCEN, "--lang", "fr")
    _, two, _ = main(capsys, "batch", SCEN, "--lang", "fr", "--jobs", "2")
    assert one == two
    _, en_json, _ = main(capsys, "batch", *files, "--format", "json")
    _, fr_json, _ = main(capsys, "batch", *files, "--format", "json", "--lang", "fr")
    assert fr_json == en_json and "_termination_by_label" not in fr_json


def test_batch_french_error_row(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("not: [a, scenario")
    code, out, _ = main(capsys, "batch", bad, "--lang", "fr")
    assert code == 2
    (row,) = read_fr(out)
    assert row["statut"] == "erreur" and row["erreur"].startswith(f"{bad}:")


# ============================================================================ batch: no file


def test_batch_empty_folder_is_an_error(tmp_path, capsys):
    code, out, err = main(capsys, "batch", tmp_path)
    assert (code, out) == (2, "")
    assert err == f"convention: no scenario files (*.yaml) in {tmp_path}\n"
    # a folder holding only a rules file has no scenario either
    (tmp_path / "rules.yaml").write_text("rules_format: 1\n")
    code, out, err = main(capsys, "batch", tmp_path, "--format", "json")
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
