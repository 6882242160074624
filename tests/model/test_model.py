"""Tests of the naive reference model itself, on small examples checked by hand."""
from __future__ import annotations

import datetime as dt
import pathlib
import sys

import pytest
from hypothesis import given

# `python -m pytest` puts the repository root on sys.path; a bare `pytest` does not.
_ROOT = str(pathlib.Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.model.naive import simulate  # noqa: E402
from tests.strategies import all_scenarios, assurance_scenarios, medecine_scenarios, scenarios  # noqa: E402

# The naive model's own tests, most over drawn scenarios: long, and the engine is not in them.
pytestmark = pytest.mark.slow

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


# ----------------------------------------------------------------------------- docs/spec.md 4

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
        "year": 2026, "from": "2026-01-01", "to": "2026-12-31", "band": 3, "column": "large",
        "annual": "1000.00", "covered_days": 365,
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
        "year": 2029, "from": "2029-01-01", "to": "2029-12-31", "band": 3, "column": "large",
        "annual": "1200.00", "covered_days": 134,
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


# ----------------------------------------------------------------------------- cdg62-medecine (docs/spec.md 8.2)


def med(start, payroll=None, events=(), overrides=None, horizon=None):
    d = {"scenario": 1, "convention": "cdg62-medecine", "name": "M", "start": D.fromisoformat(start),
         "events": list(events)}
    if payroll is not None:
        d["payroll"] = payroll
    if overrides:
        d["overrides"] = overrides
    if horizon:
        d["horizon"] = D.fromisoformat(horizon)
    return d


def ass(start, base=None, events=(), overrides=None, horizon=None):
    d = {"scenario": 1, "convention": "cdg62-assurance", "name": "A", "start": D.fromisoformat(start),
         "events": list(events)}
    if base is not None:
        d["insured_base"] = base
    if overrides:
        d["overrides"] = overrides
    if horizon:
        d["horizon"] = D.fromisoformat(horizon)
    return d


def call(out, first):
    (rec,) = [c for c in out["contributions"] if c["from"] == first]
    return rec


def notice(date, by, received, **kw):
    to = "cdg" if by == "member" else "member"
    return ev(date, "notice", by=by, received={to: D.fromisoformat(received)}, **kw)


def test_medecine_worked_example():
    out = simulate(med("2026-02-15", {2025: "1000000.00"}, horizon="2026-06-30", events=[
        ev("2026-03-17", "payment", amount="412.50"),
        ev("2026-05-01", "payment", amount="825.00"),
    ]))
    # annual = max(round(0.0033 x 1 000 000.00), 160.00) = 3300.00; Q1 2026 = 01-01..03-31 = 90 days,
    # covered 02-15..03-31 = 14 + 31 = 45: 3300 x 45 / (4 x 90) = 412.50, called on the start day,
    # due 02-15 + 30 days = 03-17 (paid that day: on time). The row's key is the quarter's first day.
    assert out["contributions"] == [
        {"year": 2026, "from": "2026-01-01", "to": "2026-03-31", "base": "1000000.00", "base_year": 2025,
         "rate": "0.0033", "annual": "3300.00", "covered_days": 45, "period_days": 90, "due": "412.50",
         "paid": "412.50", "balance": "0.00", "called_on": "2026-02-15"},
        # Q2 = 30 + 31 + 30 = 91 days: 3300 x 91 / 364 = 825.00, due 04-01 + 30 = 05-01
        {"year": 2026, "from": "2026-04-01", "to": "2026-06-30", "base": "1000000.00", "base_year": 2025,
         "rate": "0.0033", "annual": "3300.00", "covered_days": 91, "period_days": 91, "due": "825.00",
         "paid": "825.00", "balance": "0.00", "called_on": "2026-04-01"},
    ]
    assert list(out["contributions"][0]) == ["year", "from", "to", "base", "base_year", "rate", "annual",
                                             "covered_days", "period_days", "due", "paid", "balance", "called_on"]
    assert kinds(out) == ["started", "contribution_called", "payment_received", "contribution_called",
                          "payment_received"]
    assert out["diagnostics"] == []
    # 4 periods of 1 year, 3 renewals at most: the expiry is known from the start
    # (2026-02-15 + 4 years - 1 day), shown although after the horizon
    assert out["termination"] == {"by": "expiry", "notified": None, "last_day": "2030-02-14", "immediate": False}
    assert out["periods"] == [{"from": "2026-02-15", "to": "2026-06-30", "state": "initial_term",
                               "standing": "current", "notice": False}]


def test_medecine_minimum_rate_by_call_date_and_corrections():
    out = simulate(med("2026-10-01", horizon="2027-06-30", events=[
        ev("2027-02-10", "payroll", year=2025, amount="100000.00"),
        ev("2027-03-20", "payroll", year=2026, amount="100000.00"),
        ev("2027-05-01", "payroll", year=2023, amount="9000000.00"),
    ]))
    # no payroll at all: the minimum, 160.00 / 4 = 40.00 a full quarter (Q4 2026: 92 days; Q1 2027: 90)
    assert codes(out, "2026-10-01") == ["basis_unknown"] and codes(out, "2027-01-01") == ["basis_unknown"]
    # 2025 arrives: Q4 2026 (basis 2025, rate of its call date 0.0033): 330.00 x 92/368 = 82.50.
    # Q1 2027 (basis 2026) had no stand-in: an earlier year's value changes nothing.
    assert kinds(out, "2027-02-10") == ["payroll_recorded", "contribution_adjusted"]
    assert (call(out, "2026-10-01")["annual"], call(out, "2026-10-01")["due"]) == ("330.00", "82.50")
    # 2026 arrives: Q1 2027 is called after 2027-01-01, rate 0.0036: 360.00 x 90/360 = 90.00
    assert kinds(out, "2027-03-20") == ["payroll_recorded", "contribution_adjusted"]
    assert call(out, "2027-01-01") == {
        "year": 2027, "from": "2027-01-01", "to": "2027-03-31", "base": "100000.00", "base_year": 2026,
        "rate": "0.0036", "annual": "360.00", "covered_days": 90, "period_days": 90, "due": "90.00",
        "paid": "0.00", "balance": "90.00", "called_on": "2027-01-01"}
    # Q2 2027: basis 2026 known on the call: 360.00 x 91/364 = 90.00, no diagnostic
    assert (call(out, "2027-04-01")["due"], codes(out, "2027-04-01")) == ("90.00", [])
    # a year nobody reads
    assert kinds(out, "2027-05-01") == ["payroll_recorded"]
    # the minimum wins over 0.0033 x 10 000.00 = 33.00; a zero minimum by override
    out = simulate(med("2026-01-01", {2025: "10000.00"}, horizon="2026-03-31"))
    assert (out["contributions"][0]["annual"], out["contributions"][0]["due"]) == ("160.00", "40.00")
    out = simulate(med("2026-01-01", {2025: "10000.00"}, horizon="2026-03-31",
                       overrides={"contribution": {"minimum": "0.00"}}))
    # 33.00 x 90/360 = 8.25
    assert (out["contributions"][0]["annual"], out["contributions"][0]["due"]) == ("33.00", "8.25")


def test_medecine_stand_in_and_its_revision():
    out = simulate(med("2026-01-01", {2023: "50000.00", 2024: "1000000.00"}, horizon="2026-09-30", events=[
        ev("2026-02-01", "payroll", year=2024, amount="2000000.00"),   # revises the stand-in
        ev("2026-03-01", "payroll", year=2025, amount="1200000.00"),   # the basis year's own value
    ]))
    # basis 2025 unknown on 2026-01-01: the latest earlier year, 2024, stands in
    assert codes(out, "2026-01-01") == ["basis_estimated"]
    # 2024 revised: 0.0033 x 2 000 000 = 6600.00, Q1 6600 x 90/360 = 1650.00 (was 825.00);
    # 2025 arrives: 3960.00 -> 990.00
    assert kinds(out, "2026-02-01") == ["payroll_recorded", "contribution_adjusted", "payment_overdue"]
    assert kinds(out, "2026-03-01") == ["payroll_recorded", "contribution_adjusted"]
    assert (call(out, "2026-01-01")["base"], call(out, "2026-01-01")["base_year"],
            call(out, "2026-01-01")["due"]) == ("1200000.00", 2025, "990.00")
    assert codes(out, "2026-04-01") == [] and call(out, "2026-07-01")["due"] == "990.00"


def test_medecine_renewals_used_up_expiry_and_late_payroll():
    out = simulate(med("2026-02-15", {2025: "1000000.00"}, horizon="2030-12-31", events=[
        ev("2030-03-01", "payroll", year=2029, amount="2000000.00"),
        notice("2030-03-01", "member", "2030-03-01"),
    ]))
    assert [e["date"] for e in out["entries"] if e["kind"] == "renewed"] == ["2027-02-15", "2028-02-15", "2029-02-15"]
    assert kinds(out, "2030-02-15") == ["expired"]
    assert out["termination"] == {"by": "expiry", "notified": None, "last_day": "2030-02-14", "immediate": False}
    # Q1 2026 .. Q1 2030: 17 calls; nothing after the expiry
    assert [c["from"] for c in out["contributions"]][-2:] == ["2029-10-01", "2030-01-01"]
    assert len(out["contributions"]) == 17
    # Q1 2030 knows the expiry on its call: 01-01..02-14 = 45 days; basis 2029 unknown, stand-in
    # 2025, rate of 2030: 3600.00 x 45/360 = 450.00
    assert codes(out, "2030-01-01") == ["basis_estimated"]
    # 2029's own payroll arrives after the expiry: still corrects it, 7200.00 x 45/360 = 900.00;
    # the notice after the expiry has no effect
    assert kinds(out, "2030-03-01") == ["payroll_recorded", "contribution_adjusted"]
    assert codes(out, "2030-03-01") == ["event_after_termination"]
    assert {k: call(out, "2030-01-01")[k] for k in ("base_year", "rate", "annual", "covered_days", "due")} == {
        "base_year": 2029, "rate": "0.0036", "annual": "7200.00", "covered_days": 45, "due": "900.00"}
    assert [(p["from"], p["to"], p["state"]) for p in out["periods"]] == [
        ("2026-02-15", "2026-03-17", "initial_term"), ("2026-03-18", "2027-02-14", "initial_term"),
        ("2027-02-15", "2030-02-14", "renewed"), ("2030-02-15", None, "terminated")]


def test_medecine_notice_against_the_final_expiry():
    # the last period ends 2030-02-14: 2029-11-14 + P3M = 2030-02-14 is in time
    out = simulate(med("2026-02-15", {2025: "1000000.00"}, events=[notice("2029-11-14", "member", "2029-11-14")]))
    assert out["termination"] == {"by": "member", "notified": "2029-11-14", "last_day": "2030-02-14",
                                  "immediate": False}
    assert kinds(out, "2030-02-15") == ["terminated"]
    # one day later, the end after it does not exist (renewals used up): superseded, the expiry rules
    out = simulate(med("2026-02-15", {2025: "1000000.00"}, events=[notice("2029-11-15", "member", "2029-11-15")]))
    assert kinds(out, "2029-11-15") == ["notice_superseded"] and codes(out, "2029-11-15") == ["notice_superseded"]
    assert out["termination"]["by"] == "expiry" and kinds(out, "2030-02-15") == ["expired"]


def test_medecine_in_time_with_a_period_ending_28_february():
    # start 2026-03-01: the initial term ends 2027-02-28; 2026-11-30 + P3M = 2027-02-28 (clamped): in time
    out = simulate(med("2026-03-01", {2025: "1000000.00"}, events=[notice("2026-11-30", "cdg", "2026-11-30")]))
    assert out["termination"] == {"by": "cdg", "notified": "2026-11-30", "last_day": "2027-02-28", "immediate": False}
    assert "renewed" not in kinds(out) and "documents_available" not in kinds(out)
    # Q1 2027 is called knowing the last day: 01-01..02-28 = 59 days of 90; no Q2 2027
    assert (call(out, "2027-01-01")["covered_days"], out["contributions"][-1]["from"]) == (59, "2027-01-01")
    # 2026-12-01 + P3M = 2027-03-01: the next end, 2026-03-01 + 2 years - 1 day = 2028-02-29
    out = simulate(med("2026-03-01", {2025: "1000000.00"}, events=[notice("2026-12-01", "member", "2026-12-01")]))
    assert out["termination"]["last_day"] == "2028-02-29"
    assert [e["date"] for e in out["entries"] if e["kind"] == "renewed"] == ["2027-03-01"]


def test_medecine_refund_on_the_last_day():
    pay = [ev("2026-02-20", "payment", amount="412.50"), ev("2026-04-10", "payment", amount="825.00"),
           ev("2026-07-10", "payment", amount="825.00"), ev("2026-10-10", "payment", amount="825.00"),
           ev("2027-01-20", "payment", amount="900.00")]
    # N = 2026-11-10, + P3M = 2027-02-10 <= 2027-02-14: last day 2027-02-14, learned 2027-01-20,
    # after the Q1 2027 call (stand-in 2025, rate 0.0036: 3600.00 x 90/360 = 900.00)
    late = ev("2027-01-20", "notice", by="member", received={"cdg": D(2026, 11, 10)})
    out = simulate(med("2026-02-15", {2025: "1000000.00"}, events=pay + [late]))
    assert out["termination"]["last_day"] == "2027-02-14"
    # on the last day Q1 2027 is cut to 01-01..02-14 = 45 days: 450.00, the 900.00 paid leaves a credit
    assert kinds(out, "2027-02-14") == ["contribution_adjusted"]
    assert {k: call(out, "2027-01-01")[k] for k in ("covered_days", "due", "paid", "balance")} == {
        "covered_days": 45, "due": "450.00", "paid": "900.00", "balance": "-450.00"}
    assert out["contributions"][-1]["from"] == "2027-01-01"
    # learned after the last day (2027-05-01): Q2 2027 (called 04-01, 900.00) drops to 0 that day
    late = ev("2027-05-01", "notice", by="member", received={"cdg": D(2026, 11, 10)})
    out = simulate(med("2026-02-15", {2025: "1000000.00"}, events=pay + [late]))
    assert kinds(out, "2027-05-01") == ["termination_scheduled", "terminated", "contribution_adjusted",
                                        "contribution_adjusted"]
    assert (call(out, "2027-01-01")["due"], call(out, "2027-04-01")["covered_days"],
            call(out, "2027-04-01")["due"], call(out, "2027-04-01")["balance"]) == ("450.00", 0, "0.00", "-450.00")
    assert state_on(out, "2027-02-15")[0] == "terminated"


def test_medecine_cdg_notice_for_non_payment_runs_its_course():
    # nothing paid: Q1 2026 (825.00) due 2026-01-31, in default from 02-01
    out = simulate(med("2026-01-01", {2025: "1000000.00"}, events=[
        notice("2026-03-02", "cdg", "2026-03-02", reason="non_payment")]))
    assert kinds(out, "2026-02-01") == ["payment_overdue"]
    # no immediate termination: 2026-06-02 -> the end of the initial term
    assert out["termination"] == {"by": "cdg", "notified": "2026-03-02", "last_day": "2026-12-31", "immediate": False}
    assert "documents_available" not in kinds(out) and codes(out) == []
    # not in default: no non_payment_unfounded either (cdg62-demat's Art. 5 alone)
    out = simulate(med("2026-01-01", {2025: "1000000.00"}, events=[
        ev("2026-01-10", "payment", amount="825.00"),
        notice("2026-03-02", "cdg", "2026-03-02", reason="non_payment")]))
    assert codes(out) == [] and out["termination"]["last_day"] == "2026-12-31"


def test_medecine_amendment_of_minimum_learned_late_and_term_part_ineffective():
    out = simulate(med("2026-01-01", {2025: "10000.00"}, horizon="2026-06-30", events=[
        ev("2026-02-01", "amendment", effective=D(2026, 1, 1),
           set={"contribution": {"minimum": "200.00"}, "term": {"max_renewals": 1}})]))
    assert codes(out, "2026-02-01") == ["amendment_ineffective"]
    # Q1 corrected 40.00 -> 200 x 90/360 = 50.00; Q1's 40.00 was due 01-31: overdue in phase (e)
    assert kinds(out, "2026-02-01") == ["amendment_recorded", "contribution_adjusted", "payment_overdue"]
    assert call(out, "2026-01-01")["due"] == "50.00" and call(out, "2026-04-01")["annual"] == "200.00"
    assert out["termination"]["last_day"] == "2029-12-31"


# ----------------------------------------------------------------------------- cdg62-assurance (docs/spec.md 8.2)


def test_assurance_worked_example_and_the_increase_due_30_days_after():
    events = [
        ev("2026-04-20", "payment", amount="18293.15"),
        notice("2026-05-01", "member", "2026-05-01"),          # last day 2026-12-31: no 2027 call
        ev("2027-03-15", "insured_base", year=2026, amount="420000.00"),
    ]
    d = ass("2026-04-01", {2025: "400000.00"}, events=events, horizon="2027-06-30")
    # provisional: 400 000.00 x (0.0595 + 0.0012) x 275/365 = 24280 x 275/365 = 18293.150... -> 18293.15
    before = simulate(d, until=D(2027, 3, 14))
    assert before["contributions"] == [
        {"year": 2026, "from": "2026-01-01", "to": "2026-12-31", "base": "400000.00", "base_year": 2025,
         "rate": "0.0607", "annual": "24280.00", "covered_days": 275, "year_days": 365, "due": "18293.15",
         "paid": "18293.15", "balance": "0.00", "called_on": "2026-04-01"}]
    assert codes(before, "2026-04-01") == ["basis_estimated"]
    out = simulate(d)
    # 420 000.00 x 0.0607 = 25494.00; x 275/365 = 19207.808... -> 19207.81 (rate of the call date),
    # learned after the termination (2027-01-01): still regularised, no event_after_termination
    assert call(out, "2026-01-01") == {
        "year": 2026, "from": "2026-01-01", "to": "2026-12-31", "base": "420000.00", "base_year": 2026,
        "rate": "0.0607", "annual": "25494.00", "covered_days": 275, "year_days": 365, "due": "19207.81",
        "paid": "18293.15", "balance": "914.66", "called_on": "2026-04-01"}
    assert kinds(out, "2027-03-15") == ["insured_base_recorded", "contribution_adjusted"]
    # the increase 914.66 is due 2027-03-15 + 30 days = 2027-04-14: overdue from 04-15
    assert [e for e in out["entries"] if e["kind"] == "payment_overdue"] == [
        {"date": "2027-04-15", "kind": "payment_overdue"}]
    assert kinds(out, "2027-01-01") == ["terminated"]
    assert out["termination"] == {"by": "member", "notified": "2026-05-01", "last_day": "2026-12-31",
                                  "immediate": False}
    assert codes(out) == ["basis_estimated"]


def test_assurance_increase_is_due_on_its_own_date():
    out = simulate(ass("2026-04-01", {2025: "400000.00"}, horizon="2027-06-30", events=[
        ev("2026-04-20", "payment", amount="18293.15"),
        ev("2027-01-20", "payment", amount="26080.00"),
        ev("2027-03-15", "insured_base", year=2026, amount="420000.00"),
    ]))
    # 2027: base 2027 unknown, 2026 not yet known on 2027-01-01: stand-in 2025 at 0.0640 + 0.0012:
    # 400 000 x 0.0652 = 26080.00; 2026 arriving later changes nothing for 2027
    assert {k: call(out, "2027-01-01")[k] for k in ("base", "base_year", "rate", "due")} == {
        "base": "400000.00", "base_year": 2025, "rate": "0.0652", "due": "26080.00"}
    # docs/spec.md 5.5: money goes in due-date order, so the 2027 money stays on the 2027 call (due
    # 2027-01-31); the 914.66 increase of 2026 is due 2027-03-15 + P30D = 2027-04-14, unpaid:
    # overdue from 2027-04-15 only
    assert kinds(out, "2027-03-15") == ["insured_base_recorded", "contribution_adjusted"]
    assert [e["date"] for e in out["entries"] if e["kind"] == "payment_overdue"] == ["2027-04-15"]
    assert (call(out, "2026-01-01")["balance"], call(out, "2027-01-01")["balance"]) == ("914.66", "0.00")


def test_assurance_no_basis_rounding_once_and_the_expiry():
    out = simulate(ass("2026-04-01", horizon="2029-03-31", events=[
        ev("2026-06-01", "insured_base", year=2025, amount="55555.55"),
        ev("2027-02-01", "insured_base", year=2026, amount="55555.55"),
    ]))
    # no base at all on the call: 0.00 everywhere
    assert codes(out, "2026-04-01") == ["basis_unknown"]
    # an earlier year's base arriving later changes nothing
    assert kinds(out, "2026-06-01") == ["insured_base_recorded"]
    # the year's own base: 55 555.55 x 0.0607 = 3372.221885; annual 3372.22;
    # due rounded once: 3372.221885 x 275/365 = 2540.7151... -> 2540.72 (3372.22 x 275/365 would be 2540.71)
    # (and the unpaid 2027 call, due 2027-01-31, is overdue that day)
    assert kinds(out, "2027-02-01") == ["insured_base_recorded", "contribution_adjusted", "payment_overdue"]
    assert {k: call(out, "2026-01-01")[k] for k in ("base", "base_year", "annual", "due")} == {
        "base": "55555.55", "base_year": 2026, "annual": "3372.22", "due": "2540.72"}
    # 2027 on 2027-01-01: the latest earlier base known is 2025's
    assert codes(out, "2027-01-01") == ["basis_estimated"]
    assert {k: call(out, "2027-01-01")[k] for k in ("base_year", "rate", "annual", "due")} == {
        "base_year": 2025, "rate": "0.0652", "annual": "3622.22", "due": "3622.22"}
    # fixed end 2028-12-31: the only period, then expired; nothing called for 2029
    assert [c["year"] for c in out["contributions"]] == [2026, 2027, 2028]
    assert kinds(out, "2029-01-01") == ["expired"]
    assert state_on(out, "2028-12-31")[0] == "initial_term" and state_on(out, "2029-01-01")[0] == "terminated"
    assert "renewed" not in [p["state"] for p in out["periods"]]
    assert out["termination"] == {"by": "expiry", "notified": None, "last_day": "2028-12-31", "immediate": False}


def test_assurance_exit_date_30_june_or_1_july():
    base = {2025: "400000.00"}
    # 2026-06-30 + P6M = 2026-12-30 -> 31 December 2026
    out = simulate(ass("2026-01-01", base, events=[notice("2026-06-30", "member", "2026-06-30")]))
    assert out["termination"] == {"by": "member", "notified": "2026-06-30", "last_day": "2026-12-31",
                                  "immediate": False}
    assert [c["year"] for c in out["contributions"]] == [2026] and kinds(out, "2027-01-01") == ["terminated"]
    # 2026-07-01 + P6M = 2027-01-01 -> 31 December 2027
    out = simulate(ass("2026-01-01", base, events=[notice("2026-07-01", "member", "2026-07-01")]))
    assert out["termination"]["last_day"] == "2027-12-31"
    assert [c["year"] for c in out["contributions"]] == [2026, 2027] and kinds(out, "2028-01-01") == ["terminated"]
    # a cdg notice on 2028-06-30 ends with the term (accepted, by cdg); one on 2028-07-01 would end
    # 2029-12-31, after the expiry: superseded
    out = simulate(ass("2026-01-01", base, events=[notice("2028-06-30", "cdg", "2028-06-30")]))
    assert out["termination"] == {"by": "cdg", "notified": "2028-06-30", "last_day": "2028-12-31", "immediate": False}
    assert kinds(out, "2029-01-01") == ["terminated"] and "documents_available" not in kinds(out)
    out = simulate(ass("2026-01-01", base, events=[notice("2028-07-01", "cdg", "2028-07-01")]))
    assert kinds(out, "2028-07-01") == ["notice_superseded"] and out["termination"]["by"] == "expiry"
    # within the (only) term, `refused` refuses any exit before 2028-12-31
    out = simulate(ass("2026-01-01", base, events=[notice("2026-06-30", "member", "2026-06-30")],
                       overrides={"notice": {"within_initial_term": "refused"}}))
    assert kinds(out, "2026-06-30") == ["notice_refused"] and out["termination"]["by"] == "expiry"


def test_assurance_notice_ranking_and_before_start():
    out = simulate(ass("2026-04-01", {2025: "400000.00"}, horizon="2028-06-30", events=[
        # N before the start counts from the start: 2026-04-01 + P6M = 2026-10-01 -> 2026-12-31
        ev("2026-04-03", "notice", by="cdg", received={"member": D(2026, 3, 20)}),
        notice("2026-05-01", "member", "2026-05-01"),         # same last day, later N: loses
        notice("2026-09-01", "member", "2026-08-01"),         # 2027-12-31: loses
    ]))
    assert codes(out, "2026-04-03") == ["notice_before_start"]
    assert out["termination"] == {"by": "cdg", "notified": "2026-04-01", "last_day": "2026-12-31", "immediate": False}
    assert kinds(out, "2026-05-01") == ["notice_superseded"] and kinds(out, "2026-09-01") == ["notice_superseded"]
    assert state_on(out, "2026-04-01") == ("initial_term", "current", True)
    assert state_on(out, "2027-01-01")[0] == "terminated"


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


ROW_KEYS = {
    "cdg62-demat": ["year", "from", "to", "band", "column", "annual", "covered_days", "year_days", "due",
                    "paid", "balance", "called_on"],
    "cdg62-medecine": ["year", "from", "to", "base", "base_year", "rate", "annual", "covered_days",
                       "period_days", "due", "paid", "balance", "called_on"],
    "cdg62-assurance": ["year", "from", "to", "base", "base_year", "rate", "annual", "covered_days",
                        "year_days", "due", "paid", "balance", "called_on"],
}
NEW_KINDS = {"started", "renewed", "expired", "contribution_called", "contribution_adjusted",
             "payment_received", "payment_overdue", "default_cured", "termination_scheduled", "terminated",
             "notice_superseded", "notice_refused", "amendment_recorded", "payroll_recorded",
             "insured_base_recorded", "signed", "dispute_opened", "dispute_settled", "dispute_referred"}
NEW_CODES = {"basis_estimated", "basis_unknown", "notice_superseded", "notice_refused",
             "notice_missing_recipient", "notice_before_start", "event_after_termination",
             "event_beyond_horizon", "amendment_ineffective", "amicable_step_skipped",
             "payment_for_uncalled_year"}


@given(all_scenarios())
def test_all_conventions_rows_and_periods(d):
    out = simulate(d)
    periods = out["periods"]
    assert periods[0]["from"] == out["start"]
    for a, b in zip(periods, periods[1:]):
        assert D.fromisoformat(a["to"]) + dt.timedelta(days=1) == D.fromisoformat(b["from"])
    froms = [c["from"] for c in out["contributions"]]
    assert froms == sorted(set(froms))
    for c in out["contributions"]:
        assert list(c) == ROW_KEYS[d["convention"]]
        assert c["from"] <= c["called_on"] <= c["to"] and c["year"] == int(c["from"][:4])
        assert 0 <= c["covered_days"] <= c.get("period_days", c.get("year_days"))
    if d["convention"] != "cdg62-demat":
        assert {e["kind"] for e in out["entries"]} <= NEW_KINDS
        assert {x["code"] for x in out["diagnostics"]} <= NEW_CODES


@given(medecine_scenarios())
def test_medecine_calls_are_quarters_at_a_known_rate(d):
    out = simulate(d)
    for c in out["contributions"]:
        first = D.fromisoformat(c["from"])
        assert first.day == 1 and first.month in (1, 4, 7, 10)
        assert c["rate"] in ("0.0033", "0.0036", "0.0041")


@given(assurance_scenarios())
def test_assurance_calls_stop_with_the_term(d):
    out = simulate(d)
    assert all(c["year"] <= 2028 and c["from"][5:] == "01-01" for c in out["contributions"])
    assert out["termination"] is not None and out["termination"]["last_day"] <= "2028-12-31"
