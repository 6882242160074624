"""Tests of the naive reference model itself, on small examples checked by hand."""
from __future__ import annotations

import datetime as dt
import pathlib
import sys

from hypothesis import given

# `python -m pytest` puts the repository root on sys.path; a bare `pytest` does not.
_ROOT = str(pathlib.Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.model.naive import simulate  # noqa: E402
from tests.strategies import scenarios  # noqa: E402

D = dt.date


def doc(start="2026-01-01", agents=5200, consultations=None, events=(), overrides=None, horizon=None):
    d = {"scenario": 1, "convention": "cdg62-demat", "name": "T", "start": D.fromisoformat(start),
         "member": {"agents": agents}, "consultations": consultations or {}, "events": list(events)}
    if overrides:
        d["overrides"] = overrides
    if horizon:
        d["horizon"] = D.fromisoformat(horizon)
    return d


def ev(date, type_, **kw):
    return {"date": D.fromisoformat(date), "type": type_, **kw}


def year(out, y):
    (rec,) = [c for c in out["contributions"] if c["year"] == y]
    return rec


def kinds(out, date=None):
    return [e["kind"] for e in out["entries"] if date is None or e["date"] == date]


def codes(out, date=None):
    return [x["code"] for x in out["diagnostics"] if date is None or x["date"] == date]


def state_on(out, day):
    for p in out["periods"]:
        if p["from"] <= day and (p["to"] is None or day <= p["to"]):
            return p["state"], p["standing"], p["notice"]
    raise AssertionError(day)


def member_notice(date, cdg, archives):
    return ev(date, "notice", by="member", received={"cdg": D.fromisoformat(cdg),
                                                      "archives": D.fromisoformat(archives)})


# ----------------------------------------------------------------------------- SPEC section 4

SPEC_EXAMPLE = {
    "scenario": 1, "convention": "cdg62-demat", "name": "Département du Pas-de-Calais",
    "start": D(2026, 1, 1), "horizon": D(2031, 12, 31), "member": {"agents": 5200},
    "consultations": {2022: 283, 2023: 252, 2024: 235},
    "overrides": {"notice": {"extend_to_working_day": True}},
    "events": [
        ev("2026-01-20", "payment", amount="1000.00"),
        ev("2027-01-12", "consultations", year=2026, count=198),
        ev("2027-01-20", "payment", amount="1000.00"),
        ev("2027-05-01", "agents", count=340),
        ev("2027-06-01", "amendment", ref="Avenant n°1", effective=D(2028, 1, 1),
           set={"contribution": {"grid": {"large": ["250.00", "500.00", "1200.00", "2000.00", "4000.00"]}}}),
        member_notice("2029-03-14", cdg="2029-03-12", archives="2029-03-14"),
        ev("2029-09-01", "dispute", step="opened"),
    ],
}


def test_spec_example():
    out = simulate(SPEC_EXAMPLE)
    # 2026: basis 2025 unknown on 2026-01-01, stand-in 2024: 235 -> band 3 (151-250), 5200 agents ->
    # large: 1000.00 x 365/365 = 1000.00, paid 2026-01-20.
    assert year(out, 2026) == {
        "year": 2026, "band": 3, "column": "large", "annual": "1000.00", "covered_days": 365,
        "year_days": 365, "due": "1000.00", "paid": "1000.00", "balance": "0.00", "called_on": "2026-01-01"}
    # 2027: stand-in 2024 (235) on the call; 2026: 198 arrives 2027-01-12, still band 3.
    assert (year(out, 2027)["band"], year(out, 2027)["due"], year(out, 2027)["balance"]) == (3, "1000.00", "0.00")
    # 2028: 340 agents on the call date -> small column: 0.00 (the amendment only changes `large`).
    assert (year(out, 2028)["column"], year(out, 2028)["due"], year(out, 2028)["year_days"]) == ("small", "0.00", 366)
    # 2029: N = 2029-03-14 (last recipient); + P2M = 2029-05-14, a Thursday, not a holiday in 2029
    # (Ascension is 2029-05-10); 2029 cut to 2029-01-01..05-14 = 31+28+31+30+14 = 134 days (due 0.00).
    assert year(out, 2029)["covered_days"] == 134 and year(out, 2029)["due"] == "0.00"
    assert [c["year"] for c in out["contributions"]] == [2026, 2027, 2028, 2029]
    assert out["termination"] == {"by": "member", "notified": "2029-03-14", "last_day": "2029-05-14",
                                  "immediate": False}
    assert out["periods"] == [
        {"from": "2026-01-01", "to": "2028-12-31", "state": "initial_term", "standing": "current", "notice": False},
        {"from": "2029-01-01", "to": "2029-03-13", "state": "renewed", "standing": "current", "notice": False},
        {"from": "2029-03-14", "to": "2029-05-14", "state": "renewed", "standing": "current", "notice": True},
        {"from": "2029-05-15", "to": None, "state": "terminated", "standing": "current", "notice": False},
    ]
    assert [(e["date"], e["kind"]) for e in out["entries"]] == [
        ("2026-01-01", "started"), ("2026-01-01", "contribution_called"),
        ("2026-01-20", "payment_received"),
        ("2027-01-01", "contribution_called"), ("2027-01-12", "consultations_recorded"),
        ("2027-01-20", "payment_received"), ("2027-05-01", "agents_recorded"),
        ("2027-06-01", "amendment_recorded"),
        ("2028-01-01", "contribution_called"),
        ("2029-01-01", "renewed"), ("2029-01-01", "contribution_called"),
        ("2029-03-14", "termination_scheduled"),
        ("2029-05-15", "terminated"),
        ("2029-09-01", "dispute_opened"),
    ]
    # every call is on a stand-in count: 2026, 2027 (2024), 2028, 2029 (2026)
    assert out["diagnostics"] == [{"date": f"{y}-01-01", "code": "volume_estimated"} for y in range(2026, 2030)]
    assert out["unallocated"] == "0.00"


def test_spec_example_large_all_along_last_day_prorata():
    d = dict(SPEC_EXAMPLE)
    d["events"] = [e for e in SPEC_EXAMPLE["events"] if e["type"] not in ("agents",)] + [
        ev("2028-01-20", "payment", amount="1200.00"), ev("2029-01-20", "payment", amount="1200.00")]
    out = simulate(d)
    # 2028: the amendment (learned 2027-06-01, effective 2028-01-01) applies to the 2028 call:
    # band 3 large = 1200.00, 366/366.
    assert (year(out, 2028)["annual"], year(out, 2028)["due"]) == ("1200.00", "1200.00")
    # 2029: called 1200.00 (365 days), cut on the last day to 1200 x 134/365 = 440.5479 -> 440.55;
    # all money 1000+1000+1200+1200 = 4400 goes oldest first, the rest stays on 2029:
    # paid 1200.00, balance 440.55 - 1200.00 = -759.45 (a credit).
    assert year(out, 2029) == {
        "year": 2029, "band": 3, "column": "large", "annual": "1200.00", "covered_days": 134,
        "year_days": 365, "due": "440.55", "paid": "1200.00", "balance": "-759.45", "called_on": "2029-01-01"}
    assert kinds(out, "2029-05-14") == ["contribution_adjusted"]


# ----------------------------------------------------------------------------- prorata, money


def test_mid_year_start_prorata_and_default_cured_same_day():
    out = simulate(doc(start="2026-07-01", consultations={2025: 200}, horizon="2027-12-31", events=[
        ev("2026-07-15", "payment", amount="504.11"),
        ev("2027-02-01", "payment", amount=1000),
    ]))
    # 2026-07-01..12-31 = 31+31+30+31+30+31 = 184 days: 1000 x 184/365 = 504.1096 -> 504.11
    assert (year(out, 2026)["covered_days"], year(out, 2026)["due"], year(out, 2026)["balance"]) == (184, "504.11", "0.00")
    assert codes(out, "2026-07-01") == []  # basis 2025 known on the start day
    # 2027: basis 2026 unknown -> stand-in 2025 (200, band 3): 1000.00, due date 2027-01-31;
    # uncovered on 2027-02-01 (phase e), the payment that day cures it (phase f).
    assert codes(out, "2027-01-01") == ["volume_estimated"]
    assert kinds(out, "2027-02-01") == ["payment_overdue", "payment_received", "default_cured"]
    assert all(p["standing"] == "current" for p in out["periods"])


def test_payment_on_due_date_is_on_time_and_money_before_start_is_allocated():
    out = simulate(doc(start="2026-03-01", consultations={2025: 10}, horizon="2026-12-31", events=[
        ev("2026-02-01", "payment", amount="100.00"),
        ev("2026-03-31", "payment", amount="106.85"),
    ]))
    # band 1 large 250.00 x 306/365 (2026-03-01..12-31 = 31+30+31+30+31+31+30+31+30+31) = 209.589 -> 209.59
    assert (year(out, 2026)["covered_days"], year(out, 2026)["due"]) == (306, "209.59")
    # due date 2026-03-01 + P30D = 2026-03-31: 100.00 + 106.85 = 206.85 < 209.59, so the 2026-04-01
    # check finds 2.74 uncovered
    assert year(out, 2026)["balance"] == "2.74"
    assert kinds(out, "2026-04-01") == ["payment_overdue"]
    assert state_on(out, "2026-03-31")[1] == "current" and state_on(out, "2026-04-01")[1] == "in_default"
    assert out["unallocated"] == "0.00"
    assert kinds(out, "2026-02-01") == ["payment_received"]


def test_band_correction_up_then_down_and_ambiguous_boundary():
    out = simulate(doc(horizon="2026-12-31", events=[
        ev("2026-01-15", "payment", amount="250.00"),
        ev("2026-03-01", "consultations", year=2025, count=150),
        ev("2026-03-31", "payment", amount="250.00"),
        ev("2026-06-01", "consultations", year=2025, count=40),
    ]))
    # no count at all on 2026-01-01: band 1, 250.00, volume_unknown
    assert codes(out, "2026-01-01") == ["volume_unknown"]
    # 2025: 150 -> band 2 (500.00), the other reading band 3 (1000.00) differs: ambiguous_boundary;
    # +250.00 due 2026-03-01 + P30D = 2026-03-31, paid that day: on time.
    assert kinds(out, "2026-03-01") == ["consultations_recorded", "contribution_adjusted"]
    assert codes(out, "2026-03-01") == ["ambiguous_boundary"]
    assert "payment_overdue" not in kinds(out)
    # revised to 40 -> band 1: 250.00, paid 500.00: credit 250.00
    assert year(out, 2026)["band"] == 1
    assert (year(out, 2026)["due"], year(out, 2026)["paid"], year(out, 2026)["balance"]) == ("250.00", "500.00", "-250.00")


def test_agents_on_350_is_small_and_ambiguous():
    out = simulate(doc(agents=350, consultations={2025: 100}, horizon="2026-12-31"))
    # 350 agents -> small (0.00); the large reading would be band 2 = 500.00: ambiguous_boundary
    assert (year(out, 2026)["column"], year(out, 2026)["due"]) == ("small", "0.00")
    assert codes(out) == ["ambiguous_boundary"]
    # on the all-zero small column a count on 150 is not ambiguous
    out = simulate(doc(agents=10, consultations={2025: 150}, horizon="2026-12-31"))
    assert codes(out) == []


def test_late_amendment_corrects_call_and_term_part_is_ineffective():
    large = ["250.00", "500.00", "1200.00", "2000.00", "4000.00"]
    out = simulate(doc(consultations={2025: 200}, horizon="2029-12-31", events=[
        ev("2026-02-01", "amendment", effective=D(2026, 1, 1),
           set={"term": {"initial": "P1Y"}, "contribution": {"grid": {"large": large}}}),
    ]))
    assert codes(out, "2026-02-01") == ["amendment_ineffective"]
    # phase (c) then phase (e): the unpaid 2026 call was due 2026-01-31
    assert kinds(out, "2026-02-01") == ["amendment_recorded", "contribution_adjusted", "payment_overdue"]
    assert year(out, 2026)["due"] == "1200.00"
    # the initial term is still P3Y: renewed on 2029-01-01
    assert ("2029-01-01", "renewed") in [(e["date"], e["kind"]) for e in out["entries"]]


# ----------------------------------------------------------------------------- term and renewal


def test_periodic_renewal_with_cap_from_29_february():
    out = simulate(doc(start="2028-02-29", consultations={2027: 100}, horizon="2032-12-31", overrides={
        "term": {"initial": "P1Y", "renewal": "periodic", "renewal_period": "P1Y", "max_renewals": 3}}))
    # period k ends on 2028-02-29 + (k+1) years - 1 day, the durations added first:
    # k=0: 2029-02-28 - 1 = 2029-02-27; k=1: 2030-02-27; k=2: 2031-02-27; k=3: 2032-02-29 - 1 = 2032-02-28
    assert [e["date"] for e in out["entries"] if e["kind"] == "renewed"] == ["2029-02-28", "2030-02-28", "2031-02-28"]
    assert kinds(out, "2032-02-29") == ["expired"]
    assert out["termination"] == {"by": "expiry", "notified": None, "last_day": "2032-02-28", "immediate": False}
    # 2028: 2028-02-29..12-31 = 366 - 59 = 307 days, band 2 large: 500 x 307/366 = 419.3989 -> 419.40
    assert (year(out, 2028)["covered_days"], year(out, 2028)["due"]) == (307, "419.40")
    # 2032: the expiry is known on the call: 2032-01-01..02-28 = 59 days: 500 x 59/366 = 80.601 -> 80.60
    assert (year(out, 2032)["covered_days"], year(out, 2032)["due"]) == (59, "80.60")
    assert [c["year"] for c in out["contributions"]] == [2028, 2029, 2030, 2031, 2032]
    assert state_on(out, "2029-02-27")[0] == "initial_term"
    assert state_on(out, "2029-02-28")[0] == "renewed"
    assert out["periods"][-1]["to"] is None and out["periods"][-1]["state"] == "terminated"


def test_renewal_none_expires_and_later_notice_is_superseded():
    out = simulate(doc(consultations={2025: 10}, overrides={"term": {"renewal": "none"}}, events=[
        member_notice("2028-11-15", "2028-11-15", "2028-11-15")]))
    # N + P2M = 2029-01-15, after the expiry (last day 2028-12-31)
    assert kinds(out, "2028-11-15") == ["notice_superseded"]
    assert kinds(out, "2029-01-01") == ["expired"]
    assert out["termination"]["by"] == "expiry"
    assert out["horizon"] == "2029-12-31"  # later of last event and initial term end is 2028 -> 2029-12-31


# ----------------------------------------------------------------------------- notices


def test_member_notice_at_period_end_indefinite():
    out = simulate(doc(consultations={2025: 10}, overrides={"notice": {"effect": "at_period_end"}}, events=[
        member_notice("2026-06-10", "2026-06-09", "2026-06-10")]))
    # N = 2026-06-10 + P2M = 2026-08-10 -> end of the initial term 2028-12-31
    assert out["termination"]["last_day"] == "2028-12-31"
    assert kinds(out, "2029-01-01") == ["terminated"]  # no renewal
    assert "renewed" not in kinds(out)
    # the 2028 call already knows the last day (whole year anyway); nothing called for 2029
    assert [c["year"] for c in out["contributions"]] == [2026, 2027, 2028]
    assert state_on(out, "2026-06-09")[2] is False and state_on(out, "2026-06-10")[2] is True


def test_notice_at_period_end_periodic():
    out = simulate(doc(consultations={2025: 10}, horizon="2031-12-31", events=[
        member_notice("2029-11-15", "2029-11-15", "2029-11-15")], overrides={
        "term": {"renewal": "periodic", "renewal_period": "P1Y"}, "notice": {"effect": "at_period_end"}}))
    # periods end 2028-12-31, 2029-12-31, 2030-12-31; N + P2M = 2030-01-15 -> 2030-12-31
    assert out["termination"]["last_day"] == "2030-12-31"
    assert [e["date"] for e in out["entries"] if e["kind"] == "renewed"] == ["2029-01-01", "2030-01-01"]


def test_extend_to_working_day_over_whit_monday():
    out = simulate(doc(consultations={2025: 10}, overrides={"notice": {"extend_to_working_day": True}},
                       events=[member_notice("2026-03-23", "2026-03-20", "2026-03-23")]))
    # 2026-03-23 + P2M = 2026-05-23 (Sat) -> Sun 24 -> Whit Monday 25 -> Tuesday 2026-05-26
    assert out["termination"]["last_day"] == "2026-05-26"
    out = simulate(doc(consultations={2025: 10}, overrides={"notice": {"extend_to_working_day": True}},
                       events=[member_notice("2026-03-14", "2026-03-14", "2026-03-14")]))
    # 2026-05-14 is Ascension Thursday -> Friday 2026-05-15
    assert out["termination"]["last_day"] == "2026-05-15"


def test_within_initial_term_modes_and_notice_before_start():
    notice = ev("2026-01-05", "notice", by="member",
                received={"cdg": D(2025, 12, 20), "archives": D(2025, 12, 22)})
    out = simulate(doc(consultations={2025: 10}, events=[notice]))
    # N = 2025-12-22 is before the start: counts from 2026-01-01; + P2M = 2026-03-01 (allowed)
    assert codes(out, "2026-01-05") == ["notice_before_start"]
    assert out["termination"] == {"by": "member", "notified": "2026-01-01", "last_day": "2026-03-01",
                                  "immediate": False}
    # 2026 cut to 2026-01-01..03-01 = 60 days: 250 x 60/365 = 41.0958 -> 41.10
    assert (year(out, 2026)["covered_days"], year(out, 2026)["due"]) == (60, "41.10")
    out = simulate(doc(consultations={2025: 10}, events=[notice],
                       overrides={"notice": {"within_initial_term": "postponed"}}))
    assert out["termination"]["last_day"] == "2028-12-31"
    out = simulate(doc(consultations={2025: 10}, events=[notice],
                       overrides={"notice": {"within_initial_term": "refused"}}))
    assert out["termination"] is None
    assert kinds(out, "2026-01-05") == ["notice_refused"]
    assert codes(out, "2026-01-05") == ["notice_before_start", "notice_refused"]


def test_recipients_missing_unclaimed_and_runs_from():
    base = dict(consultations={2025: 10}, horizon="2026-12-31")
    only_cdg = ev("2026-04-10", "notice", by="member", received={"cdg": D(2026, 4, 10)})
    out = simulate(doc(events=[only_cdg], **base))
    assert codes(out) == ["notice_missing_recipient"]
    assert out["termination"]["last_day"] == "2026-06-10"
    out = simulate(doc(events=[only_cdg], overrides={"notice": {"missing_recipient": "void"}}, **base))
    assert out["termination"] is None and codes(out) == ["notice_missing_recipient"]
    unclaimed = ev("2026-04-20", "notice", by="member", received={
        "cdg": {"presented": D(2026, 4, 1), "delivered": D(2026, 4, 3)},
        "archives": {"presented": D(2026, 4, 2), "unclaimed": True}})
    out = simulate(doc(events=[unclaimed], **base))
    # delivered 04-03 and first presentation 04-02: last recipient 04-03 -> last day 06-03
    assert out["termination"]["notified"] == "2026-04-03" and out["termination"]["last_day"] == "2026-06-03"
    out = simulate(doc(events=[unclaimed], overrides={"notice": {"runs_from": "first_recipient"}}, **base))
    assert out["termination"]["notified"] == "2026-04-02"
    out = simulate(doc(events=[unclaimed], overrides={"notice": {"unclaimed": "never"}}, **base))
    assert codes(out) == ["notice_missing_recipient"] and out["termination"]["notified"] == "2026-04-03"


def test_immediate_termination_for_non_payment():
    out = simulate(doc(consultations={2025: 300}, events=[
        ev("2026-03-02", "notice", by="cdg", reason="non_payment", received={"member": D(2026, 3, 2)}),
        ev("2026-04-01", "payment", amount="334.25"),
        ev("2026-05-01", "agents", count=10),
    ]))
    # band 4 large: 2000.00 due 2026-01-31, unpaid: payment_overdue on 2026-02-01
    assert kinds(out, "2026-02-01") == ["payment_overdue"]
    # in default at N = 2026-03-02: immediate, last day N; 2026 cut to 31+28+2 = 61 days:
    # 2000 x 61/365 = 334.2466 -> 334.25; documents_available (cdg termination)
    assert out["termination"] == {"by": "cdg", "notified": "2026-03-02", "last_day": "2026-03-02", "immediate": True}
    assert kinds(out, "2026-03-02") == ["termination_scheduled", "contribution_adjusted", "documents_available"]
    assert kinds(out, "2026-03-03") == ["terminated"]
    assert kinds(out, "2026-04-01") == ["payment_received", "default_cured"]
    assert codes(out, "2026-05-01") == ["event_after_termination"]
    assert (year(out, 2026)["due"], year(out, 2026)["balance"]) == ("334.25", "0.00")
    assert out["periods"] == [
        {"from": "2026-01-01", "to": "2026-01-31", "state": "initial_term", "standing": "current", "notice": False},
        {"from": "2026-02-01", "to": "2026-03-01", "state": "initial_term", "standing": "in_default", "notice": False},
        {"from": "2026-03-02", "to": "2026-03-02", "state": "initial_term", "standing": "in_default", "notice": True},
        {"from": "2026-03-03", "to": "2026-03-31", "state": "terminated", "standing": "in_default", "notice": False},
        {"from": "2026-04-01", "to": None, "state": "terminated", "standing": "current", "notice": False},
    ]


def test_non_payment_unfounded_runs_normal_period():
    out = simulate(doc(consultations={2025: 10}, events=[
        ev("2026-01-10", "payment", amount="250.00"),
        ev("2026-03-02", "notice", by="cdg", reason="non_payment", received={"member": D(2026, 3, 2)}),
    ]))
    # not in default: + P6M = 2026-09-02; 2026 cut to 245 days (31+28+31+30+31+30+31+31+2):
    # 250 x 245/365 = 167.808 -> 167.81
    assert codes(out) == ["non_payment_unfounded"]
    assert out["termination"]["last_day"] == "2026-09-02" and out["termination"]["immediate"] is False
    assert kinds(out, "2026-09-02") == ["contribution_adjusted", "documents_available"]
    assert (year(out, 2026)["covered_days"], year(out, 2026)["due"], year(out, 2026)["balance"]) == (245, "167.81", "-82.19")


def test_superseded_notice_ranking():
    out = simulate(doc(consultations={2025: 10}, horizon="2030-12-31", events=[
        ev("2029-01-10", "payment", amount="250.00"),
        ev("2029-02-01", "notice", by="cdg", received={"member": D(2029, 2, 1)}),       # last day 2029-08-01
        member_notice("2029-03-01", "2029-03-01", "2029-03-01"),                         # last day 2029-05-01
        member_notice("2029-03-05", "2029-03-05", "2029-03-05"),                         # 2029-05-05: loses
    ]))
    assert kinds(out, "2029-02-01") == ["termination_scheduled"]
    assert kinds(out, "2029-03-01") == ["termination_scheduled", "notice_superseded"]
    assert kinds(out, "2029-03-05") == ["notice_superseded"]
    assert out["termination"] == {"by": "member", "notified": "2029-03-01", "last_day": "2029-05-01", "immediate": False}
    # hindsight: a termination is scheduled from the first accepted notice's N (2029-02-01)
    assert state_on(out, "2029-01-31")[2] is False and state_on(out, "2029-02-01")[2] is True
    assert "documents_available" not in kinds(out)


def test_notice_learned_after_its_last_day():
    out = simulate(doc(consultations={2025: 200}, events=[
        member_notice("2029-04-01", "2029-01-10", "2029-01-12"),
        ev("2029-04-01", "payment", amount="3194.52"),
    ]))
    # N = 2029-01-12, last day 2029-03-12, learned 2029-04-01: terminated that day; the renewal of
    # 2029-01-01 already happened; 2029 cut to 31+28+12 = 71 days: 1000 x 71/365 = 194.52
    assert kinds(out, "2029-04-01") == ["termination_scheduled", "terminated", "payment_received",
                                        "contribution_adjusted", "default_cured"]
    assert kinds(out, "2029-01-01") == ["renewed", "contribution_called"]
    assert year(out, 2029)["due"] == "194.52"
    assert state_on(out, "2029-01-11")[2] is False
    assert state_on(out, "2029-01-12") == ("renewed", "in_default", True)
    assert state_on(out, "2029-03-13")[0] == "terminated"


# ----------------------------------------------------------------------------- disputes, horizon


def test_disputes_and_beyond_horizon():
    out = simulate(doc(consultations={2025: 10}, horizon="2026-12-31", events=[
        ev("2026-01-10", "payment", amount="250"),
        ev("2026-02-01", "dispute", step="referred"),
        ev("2026-03-01", "dispute", step="opened"),
        ev("2026-04-01", "dispute", step="referred"),
        ev("2027-01-05", "signed"),
    ]))
    assert out["diagnostics"] == [{"date": "2026-02-01", "code": "amicable_step_skipped"},
                                  {"date": "2027-01-05", "code": "event_beyond_horizon"}]
    assert out["periods"] == [{"from": "2026-01-01", "to": "2026-12-31", "state": "initial_term",
                               "standing": "current", "notice": False}]


def test_until_replaces_horizon():
    out = simulate(SPEC_EXAMPLE, until=D(2027, 6, 30))
    assert out["periods"][-1]["to"] == "2027-06-30"
    assert codes(out).count("event_beyond_horizon") == 2  # the notice and the dispute; amendment is 2027-06-01


# ----------------------------------------------------------------------------- property


@given(scenarios())
def test_simulate_never_raises_and_periods_tile_start_to_horizon(d):
    out = simulate(d)
    periods = out["periods"]
    assert periods[0]["from"] == out["start"]
    for a, b in zip(periods, periods[1:]):
        assert a["to"] is not None
        assert D.fromisoformat(a["to"]) + dt.timedelta(days=1) == D.fromisoformat(b["from"])
        assert (a["state"], a["standing"], a["notice"]) != (b["state"], b["standing"], b["notice"])
    last = periods[-1]
    if last["to"] is None:
        assert last["state"] == "terminated"
    else:
        assert last["to"] == out["horizon"]
    for c in out["contributions"]:
        for k in ("annual", "due", "paid", "balance"):
            assert c[k] != "-0.00"
    assert out["unallocated"] != "-0.00"
