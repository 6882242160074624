"""Every decision of docs/spec.md 5 (and the interpretations of section 3), one focused scenario each.

Each test writes a small scenario inline and replays it through the public API. Every expected
figure is computed by hand from docs/spec.md (the arithmetic is in the comments), never copied from
what the engine prints.

Conventions of this file:
- Default start 2026-01-01 (a Thursday): the initial term P3Y covers 2026-01-01 .. 2028-12-31
  (2026-01-01 + P3Y - 1 day), the tacit renewal happens on 2029-01-01.
- Default member: 100 agents -> column `small`, every due is 0.00, so term/notice tests are never
  disturbed by a payment default. Money tests use LARGE: 1000 agents (column `large`) and a 2025
  count of 200 consultations (band 3: 151..250) -> annual 1000.00.
- Default payment term P30D: a call on 2026-01-01 is due 2026-01-31, overdue from 2026-02-01.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

import engine

D = dt.date.fromisoformat
M = Decimal

LARGE = {"agents": 1000, "consultations": {2025: 200}}


# --------------------------------------------------------------------------- helpers


def scenario(*events: str, start: str = "2026-01-01", horizon: str | None = None, agents: int = 100,
             consultations: dict | None = None, overrides: str | None = None,
             name: str = "Commune de Test") -> str:
    """Scenario text; ``events`` and ``overrides`` are YAML flow mappings."""
    lines = ["scenario: 1", "convention: cdg62-demat", f"name: {name}", f"start: {start}"]
    if horizon:
        lines.append(f"horizon: {horizon}")
    lines.append(f"member: {{agents: {agents}}}")
    if consultations:
        lines.append("consultations: {" + ", ".join(f"{y}: {c}" for y, c in consultations.items()) + "}")
    if overrides:
        lines.append(f"overrides: {overrides}")
    if events:
        lines.append("events:")
        lines += [f"  - {e}" for e in events]
    return "\n".join(lines) + "\n"


def run(*events: str, until: str | None = None, **kw) -> engine.Timeline:
    s = engine.load_scenario(scenario(*events, **kw))
    return engine.replay(s, None if until is None else D(until))


def pay(date: str, amount: str) -> str:
    return f'{{date: {date}, type: payment, amount: "{amount}"}}'


def notice(date: str, by: str, reason: str | None = None, **received: str) -> str:
    rec = ", ".join(f"{k}: {v}" for k, v in received.items())
    extra = f", reason: {reason}" if reason else ""
    return f"{{date: {date}, type: notice, by: {by}, received: {{{rec}}}{extra}}}"


def member_notice(date: str, cdg: str | None = None, archives: str | None = None) -> str:
    """A member notice received by both recipients on ``date`` unless told otherwise."""
    return notice(date, "member", cdg=cdg or date, archives=archives or date)


def cdg_notice(date: str, member: str | None = None, reason: str | None = None) -> str:
    return notice(date, "cdg", reason=reason, member=member or date)


def count(date: str, year: int, n: int) -> str:
    return f"{{date: {date}, type: consultations, year: {year}, count: {n}}}"


def agents(date: str, n: int) -> str:
    return f"{{date: {date}, type: agents, count: {n}}}"


def amendment(date: str, effective: str, set_: str, ref: str = "Avenant") -> str:
    return f'{{date: {date}, type: amendment, ref: "{ref}", effective: {effective}, set: {set_}}}'


def grid_large(band3: str) -> str:
    """An amendment/override `set` changing band 3 of the large column."""
    return f'{{contribution: {{grid: {{large: ["250.00", "500.00", "{band3}", "2000.00", "4000.00"]}}}}}}'


def entries(t, kind: str, date: str | None = None):
    return [e for e in t.entries if e.kind == kind and (date is None or e.date == D(date))]


def kinds_on(t, date: str) -> list[str]:
    return [e.kind for e in t.entries if e.date == D(date)]


def codes(t) -> list[str]:
    return [d.code for d in t.diagnostics]


def diags(t, code: str):
    return [d for d in t.diagnostics if d.code == code]


def contrib(t, year: int):
    c = [c for c in t.contributions if c.year == year]
    assert len(c) == 1, f"expected one contribution for {year}, got {t.contributions}"
    return c[0]


def periods(t) -> list[tuple]:
    return [(p.start.isoformat(), None if p.end is None else p.end.isoformat(), p.state, p.standing,
             p.notice) for p in t.periods]


def term(t) -> tuple:
    x = t.termination
    return (x.by, None if x.notified is None else x.notified.isoformat(), x.last_day.isoformat(),
            x.immediate, x.rule)


def total_paid(t) -> Decimal:
    return sum((c.paid for c in t.contributions), M("0"))


# =========================================================================== 5.1 term and renewal


def test_started_on_start_day_and_one_tacit_renewal_for_indefinite():
    t = run(horizon="2030-12-31")
    [s] = entries(t, "started")
    assert (s.date, s.rule, s.article) == (D("2026-01-01"), "art5.start", "Article 5")
    # Initial term: 2026-01-01 + P3Y - 1 day = 2028-12-31; renewed the next day, once only.
    ren = entries(t, "renewed")
    assert [e.date for e in ren] == [D("2029-01-01")]
    assert ren[0].rule == "art5.tacit_renewal"
    assert t.termination is None
    assert periods(t) == [
        ("2026-01-01", "2028-12-31", "initial_term", "current", False),
        ("2029-01-01", "2030-12-31", "renewed", "current", False),
    ]


def test_periodic_renewals_are_numbered_up_to_max_then_expired():
    t = run(horizon="2031-12-31",
            overrides="{term: {renewal: periodic, renewal_period: P1Y, max_renewals: 2}}")
    # Period 0 ends 2028-12-31; period 1 ends 2026-01-01 + P4Y - 1 = 2029-12-31;
    # period 2 ends 2026-01-01 + P5Y - 1 = 2030-12-31, the last one (max_renewals 2).
    ren = entries(t, "renewed")
    assert [e.date for e in ren] == [D("2029-01-01"), D("2030-01-01")]
    assert [e.detail.get("renewal") for e in ren] == [1, 2]
    assert {e.rule for e in ren} == {"art5.periodic_renewal"}
    [x] = entries(t, "expired")
    assert (x.date, x.rule) == (D("2031-01-01"), "art5.expiry")
    assert term(t) == ("expiry", None, "2030-12-31", False, "art5.expiry")
    assert t.state_on(D("2030-12-31")) == "renewed"
    assert t.state_on(D("2031-01-01")) == "terminated"
    assert t.periods[-1].end is None
    # No year after the last day is called: 2026..2030 only.
    assert [c.year for c in t.contributions] == [2026, 2027, 2028, 2029, 2030]


def test_periodic_without_limit_renews_every_period():
    t = run(horizon="2034-12-31", overrides="{term: {renewal: periodic, renewal_period: P2Y}}")
    # Periods end 2028-12-31, 2030-12-31 (P5Y), 2032-12-31 (P7Y), 2034-12-31 (P9Y).
    assert [e.date for e in entries(t, "renewed")] == [D("2029-01-01"), D("2031-01-01"), D("2033-01-01")]
    assert [e.detail.get("renewal") for e in entries(t, "renewed")] == [1, 2, 3]
    assert entries(t, "expired") == [] and t.termination is None


def test_renewal_none_expires_the_day_after_the_initial_term():
    t = run(horizon="2029-12-31", overrides="{term: {renewal: none}}")
    assert entries(t, "renewed") == []
    assert [e.date for e in entries(t, "expired")] == [D("2029-01-01")]
    assert term(t)[:4] == ("expiry", None, "2028-12-31", False)
    assert json.loads(t.to_json())["termination"] == {
        "by": "expiry", "notified": None, "last_day": "2028-12-31", "immediate": False,
        "rule": t.termination.rule}
    assert periods(t) == [
        ("2026-01-01", "2028-12-31", "initial_term", "current", False),
        ("2029-01-01", None, "terminated", "current", False),
    ]


def test_month_end_start_is_clamped_once_not_period_by_period():
    t = run(start="2028-02-29", horizon="2032-12-31",
            overrides="{term: {initial: P1Y, renewal: periodic, renewal_period: P1Y, max_renewals: 3}}")
    # Period k ends 2028-02-29 + (1+k)Y - 1 day:
    #   k=0: 2029-02-28 - 1 = 2029-02-27 ; k=1: 2030-02-28 - 1 = 2030-02-27
    #   k=2: 2031-02-28 - 1 = 2031-02-27 ; k=3: 2032-02-29 - 1 = 2032-02-28 (leap year: no clamp)
    # Clamping period by period would have given 2032-02-27 for k=3.
    assert [e.date for e in entries(t, "renewed")] == [D("2029-02-28"), D("2030-02-28"), D("2031-02-28")]
    assert t.state_on(D("2029-02-27")) == "initial_term"
    assert t.state_on(D("2029-02-28")) == "renewed"
    assert [e.date for e in entries(t, "expired")] == [D("2032-02-29")]
    assert t.termination.last_day == D("2032-02-28")
    assert t.state_on(D("2032-02-28")) == "renewed"


# =========================================================================== 5.2 notices


def test_member_notice_runs_from_last_recipient():
    t = run(member_notice("2029-03-14", cdg="2029-03-12", archives="2029-03-14"), horizon="2030-12-31")
    # N = max(2029-03-12, 2029-03-14) = 2029-03-14; last day N + P2M = 2029-05-14.
    assert term(t) == ("member", "2029-03-14", "2029-05-14", False, "art5.member_notice")
    [s] = entries(t, "termination_scheduled")
    assert (s.date, s.rule) == (D("2029-03-14"), "art5.member_notice")
    [x] = entries(t, "terminated")
    assert (x.date, x.rule) == (D("2029-05-15"), "art5.termination")
    assert periods(t) == [  # the docs/spec.md 6 example
        ("2026-01-01", "2028-12-31", "initial_term", "current", False),
        ("2029-01-01", "2029-03-13", "renewed", "current", False),
        ("2029-03-14", "2029-05-14", "renewed", "current", True),
        ("2029-05-15", None, "terminated", "current", False),
    ]


def test_member_notice_runs_from_first_recipient():
    t = run(member_notice("2029-03-14", cdg="2029-03-12", archives="2029-03-14"),
            overrides="{notice: {runs_from: first_recipient}}")
    # N = min(...) = 2029-03-12; last day 2029-05-12.
    assert term(t)[1:3] == ("2029-03-12", "2029-05-12")
    assert t.state_on(D("2029-05-13")) == "terminated"


def test_missing_recipient_warn_counts_from_the_receipts_there_are():
    t = run(notice("2029-03-14", "member", cdg="2029-03-12"))
    # archives missing: warning, N from the cdg receipt = 2029-03-12; last day 2029-05-12.
    [d] = diags(t, "notice_missing_recipient")
    assert d.date == D("2029-03-14") and "archives" in d.message
    assert term(t)[:3] == ("member", "2029-03-12", "2029-05-12")


def test_missing_recipient_void_has_no_effect():
    t = run(notice("2029-03-14", "member", cdg="2029-03-12"), horizon="2030-12-31",
            overrides="{notice: {missing_recipient: void}}")
    assert diags(t, "notice_missing_recipient")
    assert t.termination is None
    assert entries(t, "termination_scheduled") == []
    assert t.state_on(D("2030-12-31")) == "renewed"
    assert not any(p.notice for p in t.periods)


UNCLAIMED_ARCHIVES = notice("2029-03-20", "member", cdg="2029-03-05",
                            archives="{presented: 2029-03-10, unclaimed: true}")


def test_unclaimed_letter_counts_from_first_presentation():
    t = run(UNCLAIMED_ARCHIVES)
    # N = max(cdg 2029-03-05, archives presented 2029-03-10) = 2029-03-10; + P2M = 2029-05-10.
    assert term(t)[1:3] == ("2029-03-10", "2029-05-10")
    assert "notice_missing_recipient" not in codes(t)


def test_unclaimed_never_is_a_missing_recipient():
    t = run(UNCLAIMED_ARCHIVES, overrides="{notice: {unclaimed: never}}")
    # archives never notified: warn, N from cdg = 2029-03-05; + P2M = 2029-05-05.
    assert "notice_missing_recipient" in codes(t)
    assert term(t)[1:3] == ("2029-03-05", "2029-05-05")


def test_unclaimed_never_with_no_other_receipt_notifies_nobody():
    t = run(notice("2029-03-20", "cdg", member="{presented: 2029-03-01, unclaimed: true}"),
            overrides="{notice: {unclaimed: never}}")
    assert t.termination is None
    assert entries(t, "termination_scheduled") == []


def test_delivered_registered_letter_counts_from_delivery():
    t = run(notice("2029-03-08", "cdg", member="{presented: 2029-03-01, delivered: 2029-03-08}"))
    # N = delivered 2029-03-08 (not presented); + P6M = 2029-09-08.
    assert term(t)[:3] == ("cdg", "2029-03-08", "2029-09-08")
    assert [e.date for e in entries(t, "terminated")] == [D("2029-09-09")]


def test_notice_before_start_counts_from_the_start():
    t = run(member_notice("2026-01-05", cdg="2025-12-20", archives="2025-12-22"))
    # N = 2025-12-22 < start: counts from 2026-01-01; + P2M = 2026-03-01 (within the initial
    # term, allowed by default).
    assert "notice_before_start" in codes(t)
    assert term(t)[1:3] == ("2026-01-01", "2026-03-01")
    assert periods(t) == [
        ("2026-01-01", "2026-03-01", "initial_term", "current", True),
        ("2026-03-02", None, "terminated", "current", False),
    ]


def test_last_day_on_a_weekend_stays_without_extension():
    t = run(member_notice("2029-04-16"))
    # 2029-04-16 + P2M = 2029-06-16, a Saturday; extend_to_working_day false by default.
    assert t.termination.last_day == D("2029-06-16")


def test_extend_to_working_day_over_a_weekend():
    t = run(member_notice("2029-04-16"), overrides="{notice: {extend_to_working_day: true}}")
    # 2029-06-16 Saturday -> 06-17 Sunday -> 2029-06-18 Monday (no holiday).
    assert t.termination.last_day == D("2029-06-18")
    assert t.termination.notified == D("2029-04-16")


@pytest.mark.parametrize("n, raw, extended", [
    # Whit Monday 2027: Easter 2027-03-28 + 50 days = Monday 2027-05-17 -> Tuesday 2027-05-18.
    ("2027-03-17", "2027-05-17", "2027-05-18"),
    # 8 May 2027 (Victoire 1945) is a Saturday, then Sunday 9 -> Monday 2027-05-10.
    ("2027-03-08", "2027-05-08", "2027-05-10"),
    # 14 July 2027 is a Wednesday (holiday) -> Thursday 2027-07-15.
    ("2027-05-14", "2027-07-14", "2027-07-15"),
])
def test_extend_to_working_day_over_a_french_public_holiday(n, raw, extended):
    off = run(member_notice(n))
    on = run(member_notice(n), overrides="{notice: {extend_to_working_day: true}}")
    assert off.termination.last_day == D(raw)
    assert on.termination.last_day == D(extended)


PERIODIC_AT_END = "{term: {renewal: periodic, renewal_period: P1Y}, notice: {effect: at_period_end}}"


@pytest.mark.parametrize("n, last", [
    ("2029-03-14", "2029-12-31"),  # N + P2M = 2029-05-14 -> period 1 ends 2029-12-31
    ("2029-10-31", "2029-12-31"),  # N + P2M = 2029-12-31, exactly a period end
    ("2029-11-15", "2030-12-31"),  # N + P2M = 2030-01-15 -> period 2 ends 2030-12-31
])
def test_effect_at_period_end_periodic(n, last):
    t = run(member_notice(n), horizon="2031-12-31", overrides=PERIODIC_AT_END)
    assert t.termination.last_day == D(last)
    nxt = (D(last) + dt.timedelta(days=1)).isoformat()
    assert [e.date for e in entries(t, "terminated")] == [D(nxt)]
    assert D(nxt) not in [e.date for e in entries(t, "renewed")]


@pytest.mark.parametrize("n, last", [
    ("2027-03-14", "2028-12-31"),  # 2027-05-14 <= initial term's last day: moved to 2028-12-31
    ("2028-11-15", "2029-01-15"),  # 2029-01-15 > 2028-12-31: unchanged
    ("2029-03-14", "2029-05-14"),  # after the initial term: after_period applies, unchanged
])
def test_effect_at_period_end_indefinite(n, last):
    t = run(member_notice(n), overrides="{notice: {effect: at_period_end}}")
    assert t.termination.last_day == D(last)


def test_at_period_end_on_initial_term_prevents_the_renewal():
    t = run(member_notice("2027-03-14"), overrides="{notice: {effect: at_period_end}}")
    assert entries(t, "renewed") == []
    assert [e.date for e in entries(t, "terminated")] == [D("2029-01-01")]


def test_within_initial_term_allowed_ends_inside_the_initial_term():
    t = run(member_notice("2027-03-14"))
    # 2027-03-14 + P2M = 2027-05-14 < 2028-12-31, allowed: it ends then.
    assert t.termination.last_day == D("2027-05-14")
    assert t.state_on(D("2027-05-15")) == "terminated"


def test_within_initial_term_postponed_to_the_initial_terms_last_day():
    t = run(member_notice("2027-03-14"), overrides="{notice: {within_initial_term: postponed}}")
    assert term(t)[1:3] == ("2027-03-14", "2028-12-31")
    # terminated on 2029-01-01 in phase (a): no tacit renewal (phase b) that day.
    assert [e.date for e in entries(t, "terminated")] == [D("2029-01-01")]
    assert entries(t, "renewed") == []
    assert t.state_on(D("2029-01-01")) == "terminated"


def test_within_initial_term_refused():
    t = run(member_notice("2027-03-14"), horizon="2029-12-31",
            overrides="{notice: {within_initial_term: refused}}")
    [r] = entries(t, "notice_refused")
    assert r.date == D("2027-03-14")
    assert "notice_refused" in codes(t)
    assert t.termination is None
    assert entries(t, "termination_scheduled") == []
    assert [e.date for e in entries(t, "renewed")] == [D("2029-01-01")]


def test_within_initial_term_refused_does_not_touch_a_last_day_after_the_initial_term():
    t = run(member_notice("2028-11-15"), overrides="{notice: {within_initial_term: refused}}")
    # 2028-11-15 + P2M = 2029-01-15 >= 2028-12-31: accepted.
    assert t.termination.last_day == D("2029-01-15")
    assert entries(t, "notice_refused") == []


def test_last_day_after_the_expiry_is_superseded():
    t = run(member_notice("2028-12-01"), overrides="{term: {renewal: none}}")
    # 2028-12-01 + P2M = 2029-02-01 > expiry's last day 2028-12-31: no effect.
    [s] = entries(t, "notice_superseded")
    assert s.date == D("2028-12-01")
    assert "notice_superseded" in codes(t)
    assert entries(t, "termination_scheduled") == []
    assert term(t)[:3] == ("expiry", None, "2028-12-31")


def test_last_day_on_the_expiry_day_is_not_after_it():
    t = run(member_notice("2028-10-31"), overrides="{term: {renewal: none}}")
    # 2028-10-31 + P2M = 2028-12-31, not after the expiry: accepted.
    assert entries(t, "notice_superseded") == []
    assert term(t)[:3] == ("member", "2028-10-31", "2028-12-31")


def test_two_notices_newcomer_with_earlier_last_day_displaces_the_ruling_one():
    t = run(cdg_notice("2029-03-01"), member_notice("2029-04-01"), horizon="2030-12-31")
    # cdg: 2029-03-01 + P6M = 2029-09-01; member: 2029-04-01 + P2M = 2029-06-01, earlier: rules.
    assert term(t)[:3] == ("member", "2029-04-01", "2029-06-01")
    [s] = entries(t, "notice_superseded")
    assert s.date == D("2029-04-01") and s.detail.get("by") == "cdg"
    assert [e.date for e in entries(t, "terminated")] == [D("2029-06-02")]
    assert entries(t, "documents_available") == []  # the cdg notice no longer rules


def test_two_notices_newcomer_with_later_last_day_is_superseded():
    t = run(member_notice("2029-03-01"), cdg_notice("2029-03-10"), horizon="2030-12-31")
    # member: 2029-05-01 rules; cdg: 2029-03-10 + P6M = 2029-09-10, later: the newcomer loses.
    assert term(t)[:3] == ("member", "2029-03-01", "2029-05-01")
    [s] = entries(t, "notice_superseded")
    assert s.date == D("2029-03-10") and s.detail.get("by") == "cdg"
    assert len(entries(t, "termination_scheduled")) == 1


def test_equal_last_days_rank_by_notification_date():
    # member N 2029-07-01 + P2M = 2029-09-01; cdg N 2029-03-01 + P6M = 2029-09-01, learned later
    # (2029-07-05): same last day, the earlier notification (cdg) rules.
    t = run(member_notice("2029-07-01"), cdg_notice("2029-07-05", member="2029-03-01"),
            horizon="2030-12-31")
    assert term(t)[:3] == ("cdg", "2029-03-01", "2029-09-01")
    [s] = entries(t, "notice_superseded")
    assert s.date == D("2029-07-05") and s.detail.get("by") == "member"
    assert [e.date for e in entries(t, "documents_available")] == [D("2029-09-01")]
    # hindsight: notice: true from the cdg notice's N
    assert t.period_on(D("2029-03-01")).notice is True
    assert t.period_on(D("2029-02-28")).notice is False


def test_equal_last_day_and_notification_rank_by_processing_order():
    t = run(member_notice("2029-03-14", cdg="2029-03-14", archives="2029-03-14"),
            member_notice("2029-03-15", cdg="2029-03-14", archives="2029-03-14"))
    # Both: N 2029-03-14, last day 2029-05-14; the first processed rules.
    assert term(t)[1:3] == ("2029-03-14", "2029-05-14")
    assert [e.date for e in entries(t, "termination_scheduled")] == [D("2029-03-14")]
    assert [e.date for e in entries(t, "notice_superseded")] == [D("2029-03-15")]


def test_notice_uses_the_parameters_in_force_on_its_notification_date():
    amend = amendment("2029-01-10", "2029-03-01", "{notice: {member: P3M}}")
    t = run(amend, member_notice("2029-03-14"))
    # N 2029-03-14 >= effective 2029-03-01: P3M -> 2029-06-14.
    assert t.termination.last_day == D("2029-06-14")
    t = run(amend, member_notice("2029-02-14"))
    # N 2029-02-14 < effective: P2M -> 2029-04-14.
    assert t.termination.last_day == D("2029-04-14")


# =========================================================================== 5.3 immediate termination


def test_immediate_termination_in_default():
    # 2026 due 1000.00 on 2026-01-31, unpaid: in default from 2026-02-01.
    # N 2026-03-07 (a Saturday): extension, effect and within_initial_term do not apply.
    t = run(cdg_notice("2026-03-07", reason="non_payment"), **LARGE,
            overrides="{notice: {extend_to_working_day: true, within_initial_term: refused}}")
    assert term(t) == ("cdg", "2026-03-07", "2026-03-07", True, "art5.immediate_on_default")
    [s] = entries(t, "termination_scheduled")
    assert s.rule == "art5.immediate_on_default" and s.detail.get("immediate") is True
    assert [e.date for e in entries(t, "documents_available")] == [D("2026-03-07")]
    assert [e.date for e in entries(t, "terminated")] == [D("2026-03-08")]
    # refund_unused: covered 2026-01-01..2026-03-07 = 31 + 28 + 7 = 66 days;
    # 1000 x 66 / 365 = 180.8219.. -> 180.82
    c = contrib(t, 2026)
    assert (c.covered_days, c.due, c.paid, c.balance) == (66, M("180.82"), M("0.00"), M("180.82"))
    assert entries(t, "notice_refused") == []
    assert periods(t) == [
        ("2026-01-01", "2026-01-31", "initial_term", "current", False),
        ("2026-02-01", "2026-03-06", "initial_term", "in_default", False),
        ("2026-03-07", "2026-03-07", "initial_term", "in_default", True),
        ("2026-03-08", None, "terminated", "in_default", False),
    ]


def test_non_payment_unfounded_when_not_in_default():
    t = run(pay("2026-01-20", "1000.00"), cdg_notice("2026-03-07", reason="non_payment"), **LARGE)
    # Paid on time: not in default; normal period: 2026-03-07 + P6M = 2026-09-07.
    assert "non_payment_unfounded" in codes(t)
    assert term(t) == ("cdg", "2026-03-07", "2026-09-07", False, "art5.cdg_notice")  # the diagnostic comes from art5.non_payment_unfounded


def test_cdg_notice_without_reason_in_default_runs_its_normal_period():
    t = run(cdg_notice("2026-03-07"), **LARGE)
    assert term(t) == ("cdg", "2026-03-07", "2026-09-07", False, "art5.cdg_notice")
    assert "non_payment_unfounded" not in codes(t)


def test_immediate_on_default_false_runs_the_normal_period():
    t = run(cdg_notice("2026-03-07", reason="non_payment"), **LARGE,
            overrides="{notice: {immediate_on_default: false}}")
    assert term(t)[2:4] == ("2026-09-07", False)
    assert "non_payment_unfounded" not in codes(t)  # the member is in default


def test_standing_at_n_is_the_end_of_day_n_for_a_notice_learned_later_current():
    # N 2026-01-31 is the due date: not yet in default at the end of that day.
    t = run(cdg_notice("2026-02-10", member="2026-01-31", reason="non_payment"), **LARGE)
    assert "non_payment_unfounded" in codes(t)
    assert term(t)[2:4] == ("2026-07-31", False)  # 2026-01-31 + P6M


def test_standing_at_n_is_the_end_of_day_n_for_a_notice_learned_later_in_default():
    # N 2026-02-01: in default at the end of that day -> immediate, last day 2026-02-01, which is
    # already past when learned on 2026-02-10: terminated that day, legal dates in detail.
    t = run(cdg_notice("2026-02-10", member="2026-02-01", reason="non_payment"), **LARGE)
    assert term(t) == ("cdg", "2026-02-01", "2026-02-01", True, "art5.immediate_on_default")
    [x] = entries(t, "terminated")
    assert x.date == D("2026-02-10") and x.detail.get("last_day") == D("2026-02-01")
    assert t.state_on(D("2026-02-02")) == "terminated"


def test_standing_at_n_counts_a_payment_that_cured_on_day_n():
    t = run(pay("2026-02-01", "1000.00"),
            cdg_notice("2026-02-10", member="2026-02-01", reason="non_payment"), **LARGE)
    # overdue on 2026-02-01 (phase e), cured by the payment that day: current at the end of N.
    assert "non_payment_unfounded" in codes(t)
    assert term(t)[2:4] == ("2026-08-01", False)


@pytest.mark.parametrize("order, immediate", [("pay_first", False), ("notice_first", True)])
def test_notice_processed_on_n_sees_the_standing_at_that_moment(order, immediate):
    p, n = pay("2026-03-07", "1000.00"), cdg_notice("2026-03-07", reason="non_payment")
    evs = (p, n) if order == "pay_first" else (n, p)
    t = run(*evs, **LARGE)
    assert t.termination.immediate is immediate
    assert t.termination.last_day == (D("2026-03-07") if immediate else D("2026-09-07"))


# =========================================================================== 5.4 contributions


def test_mid_year_start_called_on_the_start_day_prorated():
    t = run(start="2026-07-01", horizon="2026-12-31", **LARGE)
    # covered 2026-07-01..12-31 = 31+31+30+31+30+31 = 184 days; 1000 x 184/365 = 504.1095.. -> 504.11
    c = contrib(t, 2026)
    assert (c.band, c.column, c.annual) == (3, "large", M("1000.00"))
    assert (c.covered_days, c.year_days, c.due, c.called_on) == (184, 365, M("504.11"), D("2026-07-01"))
    [e] = entries(t, "contribution_called")
    assert (e.date, e.rule, e.article) == (D("2026-07-01"), "art4.call", "Article 4")
    # due date 2026-07-01 + P30D = 2026-07-31: overdue from 2026-08-01.
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-08-01")]


def test_prorata_rounds_half_up():
    t = run(start="2028-07-02", horizon="2028-12-31", overrides=grid_large("1000.01"), **LARGE)
    # covered 2028-07-02..12-31 = 30+31+30+31+30+31 = 183 of 366 days;
    # 1000.01 x 183/366 = 500.005 exactly -> half-up 500.01 (half-even would give 500.00).
    c = contrib(t, 2028)
    assert (c.covered_days, c.year_days, c.annual, c.due) == (183, 366, M("1000.01"), M("500.01"))


def test_leap_year_has_366_days():
    t = run(start="2028-03-01", horizon="2028-12-31", agents=1000, consultations={2027: 200})
    # covered 2028-03-01..12-31 = 366 - 31 - 29 = 306; 1000 x 306/366 = 836.0655.. -> 836.07
    c = contrib(t, 2028)
    assert (c.covered_days, c.year_days, c.due) == (306, 366, M("836.07"))


def test_full_leap_year_owes_the_annual_amount():
    t = run(start="2027-01-01", horizon="2028-12-31", agents=1000,
            consultations={2026: 200, 2027: 200})
    assert (contrib(t, 2028).covered_days, contrib(t, 2028).due) == (366, M("1000.00"))


def test_prorata_none_full_annual_and_no_refund():
    t = run(member_notice("2027-02-10"), start="2026-07-01", horizon="2027-12-31",
            overrides="{contribution: {prorata: none}}", **LARGE)
    # 2026 covers 184 days but owes the full 1000.00; the notice ends it on 2027-04-10
    # (2027-02-10 + P2M) and refund_unused has no effect: 2027 stays 1000.00.
    assert t.termination.last_day == D("2027-04-10")
    assert (contrib(t, 2026).covered_days, contrib(t, 2026).due) == (184, M("1000.00"))
    assert contrib(t, 2027).due == M("1000.00")
    assert entries(t, "contribution_adjusted") == []


def test_payment_term_sets_the_due_date():
    t = run(horizon="2026-12-31", overrides="{contribution: {payment_term: P15D}}", **LARGE)
    # due date 2026-01-01 + 15 days = 2026-01-16: overdue from 2026-01-17.
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-01-17")]


def test_increase_of_a_due_is_a_separate_amount_due_after_the_adjustment():
    t = run(pay("2026-01-20", "1000.00"), count("2026-03-01", 2025, 300),
            horizon="2026-12-31", agents=1000, consultations={2024: 200})
    # Call: 2025 unknown, stand-in 2024 = 200 -> band 3, 1000.00, paid on 2026-01-20.
    # 2026-03-01: 2025 = 300 -> band 4, 2000.00; +1000.00 due 2026-03-01 + 30 = 2026-03-31.
    [a] = entries(t, "contribution_adjusted")
    assert (a.date, a.rule) == (D("2026-03-01"), "annex1.band_correction")
    c = contrib(t, 2026)
    assert (c.band, c.annual, c.due, c.paid, c.balance) == (4, M("2000.00"), M("2000.00"),
                                                            M("1000.00"), M("1000.00"))
    # Not back-dated to 2026-01-31: first overdue the day after 2026-03-31.
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-04-01")]


def test_increase_paid_on_its_own_due_date_is_on_time():
    t = run(pay("2026-01-20", "1000.00"), count("2026-03-01", 2025, 300), pay("2026-03-31", "1000.00"),
            horizon="2026-12-31", agents=1000, consultations={2024: 200})
    assert entries(t, "payment_overdue") == []
    assert contrib(t, 2026).balance == M("0.00")


def test_decrease_lowers_what_is_owed_at_once_and_cures():
    t = run(pay("2026-01-20", "500.00"), count("2026-03-01", 2025, 100),
            horizon="2026-12-31", agents=1000, consultations={2024: 200})
    # 1000.00 due 2026-01-31, 500 paid: in default from 2026-02-01.
    # 2026-03-01: 2025 = 100 -> band 2, 500.00: everything overdue covered -> default_cured.
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-02-01")]
    assert [e.date for e in entries(t, "default_cured")] == [D("2026-03-01")]
    c = contrib(t, 2026)
    assert (c.band, c.due, c.paid, c.balance) == (2, M("500.00"), M("500.00"), M("0.00"))
    assert periods(t) == [
        ("2026-01-01", "2026-01-31", "initial_term", "current", False),
        ("2026-02-01", "2026-02-28", "initial_term", "in_default", False),
        ("2026-03-01", "2026-12-31", "initial_term", "current", False),
    ]


def test_call_covers_the_days_known_on_the_call_date():
    t = run(cdg_notice("2026-09-01"), **LARGE)
    # last day 2026-09-01 + P6M = 2027-03-01, known on 2027-01-01:
    # 2027 covers 31 + 28 + 1 = 60 days; 1000 x 60/365 = 164.3835.. -> 164.38 (rounded down)
    c = contrib(t, 2027)
    assert (c.covered_days, c.due, c.called_on) == (60, M("164.38"), D("2027-01-01"))
    assert entries(t, "contribution_adjusted") == []  # already right on the last day
    assert [c.year for c in t.contributions] == [2026, 2027]


# =========================================================================== 5.5 money


def test_allocation_oldest_first_with_partial_payments():
    t = run(pay("2026-01-10", "600.00"), pay("2027-01-10", "900.00"), horizon="2027-12-31",
            agents=1000, consultations={2025: 200, 2026: 200})
    # 1500 received: 2026 takes 1000, 2027 the remaining 500.
    a, b = contrib(t, 2026), contrib(t, 2027)
    assert (a.due, a.paid, a.balance) == (M("1000.00"), M("1000.00"), M("0.00"))
    assert (b.due, b.paid, b.balance) == (M("1000.00"), M("500.00"), M("500.00"))
    # 2026: 400 uncovered after 2026-01-31; the 2027-01-10 payment covers it; 2027: 500 after 01-31.
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-02-01"), D("2027-02-01")]
    assert [e.date for e in entries(t, "default_cured")] == [D("2027-01-10")]
    assert total_paid(t) + t.unallocated == M("1500.00")


def test_money_received_before_the_start_is_set_against_the_first_call():
    t = run(pay("2026-06-15", "300.00"), start="2026-07-01", until="2026-07-01", **LARGE)
    # received 300 before any call; the call of 2026-07-01 (504.11) takes it.
    assert [e.date for e in entries(t, "payment_received")] == [D("2026-06-15")]
    c = contrib(t, 2026)
    assert (c.due, c.paid, c.balance) == (M("504.11"), M("300.00"), M("204.11"))
    assert t.unallocated == M("0.00")
    assert total_paid(t) + t.unallocated == M("300.00")


def test_until_before_the_start_is_invalid_input():
    s = engine.load_scenario(scenario(pay("2026-06-15", "300.00"), start="2026-07-01", **LARGE))
    with pytest.raises(engine.ScenarioError, match="before the start"):
        engine.replay(s, D("2026-06-30"))


def test_overpayment_is_a_credit_on_the_latest_called_year():
    t = run(pay("2026-01-20", "1500.00"), horizon="2026-12-31", **LARGE)
    c = contrib(t, 2026)
    assert (c.due, c.paid, c.balance) == (M("1000.00"), M("1500.00"), M("-500.00"))
    assert total_paid(t) + t.unallocated == M("1500.00")


def test_credit_is_set_against_the_next_call():
    t = run(pay("2026-01-20", "1500.00"), horizon="2027-12-31", **LARGE)
    # 2027: stand-in 2025 = 200 -> band 3, 1000.00; 1500 = 1000 (2026) + 500 (2027).
    assert (contrib(t, 2026).paid, contrib(t, 2026).balance) == (M("1000.00"), M("0.00"))
    assert (contrib(t, 2027).paid, contrib(t, 2027).balance) == (M("500.00"), M("500.00"))


def test_payment_on_the_due_date_is_on_time():
    t = run(pay("2026-01-31", "1000.00"), horizon="2026-12-31", **LARGE)
    assert entries(t, "payment_overdue") == []
    assert {p.standing for p in t.periods} == {"current"}


def test_payment_the_day_after_cures_that_day():
    t = run(pay("2026-02-01", "1000.00"), horizon="2026-12-31", **LARGE)
    # phase (e) payment_overdue, then (f) the payment, then default_cured, all on 2026-02-01.
    assert kinds_on(t, "2026-02-01") == ["payment_overdue", "payment_received", "default_cured"]
    # standing at the end of each day: never in default.
    assert {p.standing for p in t.periods} == {"current"}


def test_default_cured_by_a_later_payment():
    t = run(pay("2026-02-10", "1000.00"), horizon="2026-12-31", **LARGE)
    [o] = entries(t, "payment_overdue")
    assert (o.date, o.rule) == (D("2026-02-01"), "art5.payment_default")
    [c] = entries(t, "default_cured")
    assert (c.date, c.rule) == (D("2026-02-10"), "art5.default_cured")
    assert periods(t) == [
        ("2026-01-01", "2026-01-31", "initial_term", "current", False),
        ("2026-02-01", "2026-02-09", "initial_term", "in_default", False),
        ("2026-02-10", "2026-12-31", "initial_term", "current", False),
    ]


def pay_for(date: str, amount: str, year: int) -> str:
    return f'{{date: {date}, type: payment, amount: "{amount}", for: {year}}}'


# Issue 15: 5,200 agents, 2024 count 235 (band 3, 1000.00); both calls paid on time; the 2025
# count (300, band 4) arrives on 2027-03-01 and raises 2026 to 2000.00, the 1000.00 increase due
# 2027-03-01 + P30D = 2027-03-31.
REPRO = dict(agents=5200, consultations={2024: 235}, horizon="2027-12-31")
REPRO_EVENTS = (pay("2026-01-22", "1000.00"), pay("2027-01-20", "1000.00"), count("2027-03-01", 2025, 300))


def test_an_increase_learned_late_is_due_on_its_own_date():
    t = run(*REPRO_EVENTS, **REPRO)
    # Due-date order: the 2027 money stays on the 2027 call (due 2027-01-31); the increase is
    # uncovered, but not due before 2027-03-31: the default starts on 2027-04-01, for 1000.00.
    assert (contrib(t, 2026).due, contrib(t, 2026).paid) == (M("2000.00"), M("1000.00"))
    assert (contrib(t, 2027).due, contrib(t, 2027).paid) == (M("1000.00"), M("1000.00"))
    [o] = entries(t, "payment_overdue")
    assert (o.date, o.detail["overdue"]) == (D("2027-04-01"), M("1000.00"))
    assert periods(t) == [
        ("2026-01-01", "2027-03-31", "initial_term", "current", False),
        ("2027-04-01", "2027-12-31", "initial_term", "in_default", False),
    ]


def test_the_ledger_lists_the_amounts_owed_with_their_due_dates():
    # Ledger.amounts(): what deadlines and the answers read (each amount, its due date, what the
    # money covers of it), in the order money goes to them.
    from engine.core.ledger import Owed
    from engine.core.replay import Replay

    r = Replay(engine.load_scenario(scenario(*REPRO_EVENTS, **REPRO)))
    r.run()
    ledger = r.state.ledger
    assert ledger.amounts() == (
        Owed(D("2026-01-01"), 2026, D("2026-01-31"), M("1000.00"), M("1000.00")),
        Owed(D("2027-01-01"), 2027, D("2027-01-31"), M("1000.00"), M("1000.00")),
        Owed(D("2026-01-01"), 2026, D("2027-03-31"), M("1000.00"), M("0.00")),
    )
    assert ledger.overdue(D("2027-03-31")) == M("0.00")
    assert ledger.overdue(D("2027-04-01")) == M("1000.00")
    assert not ledger.any_overdue(D("2027-03-31")) and ledger.any_overdue(D("2027-04-01"))


def test_no_immediate_termination_for_an_increase_not_yet_due():
    # The CdG's notice for non-payment on 2027-03-02 (issue 15's whatif): the member is current,
    # so the notice runs its normal period, N + P6M = 2027-09-02.
    t = run(*REPRO_EVENTS, cdg_notice("2027-03-02", reason="non_payment"), **REPRO)
    assert (t.termination.immediate, t.termination.last_day) == (False, D("2027-09-02"))
    assert [d.date for d in diags(t, "non_payment_unfounded")] == [D("2027-03-02")]


def test_the_reproducer_scenario_and_the_worked_example_are_never_in_default():
    for name in ("late-count-increase", "assurance-worked-example"):
        t = engine.replay(engine.load_scenario(f"scenarios/{name}.yaml"))
        assert entries(t, "payment_overdue") == [], name
        assert {p.standing for p in t.periods} == {"current"}, name


def test_equal_due_dates_go_to_the_older_year_first():
    # The 2025 count (300, band 4) learned on 2027-01-01 in phase (c), before the 2027 call:
    # 2026's 1000.00 increase is due 2027-01-01 + P30D = 2027-01-31, the day the 2027 call
    # (stand-in 2025: 300 -> band 4, 2000.00) is due. 1500.00 on 2027-01-15 covers the 2026
    # increase first (the older year), then 500.00 of 2027.
    t = run(pay("2026-01-10", "1000.00"), count("2027-01-01", 2025, 300), pay("2027-01-15", "1500.00"),
            agents=1000, consultations={2024: 200}, horizon="2027-12-31")
    assert (contrib(t, 2026).due, contrib(t, 2026).paid) == (M("2000.00"), M("2000.00"))
    assert (contrib(t, 2027).due, contrib(t, 2027).paid) == (M("2000.00"), M("500.00"))
    [o] = entries(t, "payment_overdue")
    assert (o.date, o.detail["overdue"]) == (D("2027-02-01"), M("1500.00"))


def test_a_payment_for_a_year_goes_to_that_year_first():
    # 2026 unpaid (in default from 2026-02-01); the 2027 mandate names 2027: it pays 2027's call,
    # not 2026's older one. Without `for`, the same money would go to 2026.
    named = run(pay_for("2027-01-20", "1000.00", 2027), horizon="2027-12-31", **LARGE)
    plain = run(pay("2027-01-20", "1000.00"), horizon="2027-12-31", **LARGE)
    assert [(c.year, c.paid) for c in named.contributions] == [(2026, M("0.00")), (2027, M("1000.00"))]
    assert [(c.year, c.paid) for c in plain.contributions] == [(2026, M("1000.00")), (2027, M("0.00"))]
    [p] = entries(named, "payment_received")
    assert dict(p.detail) == {"amount": M("1000.00"), "for": 2027}
    assert [dict(p.detail) for p in entries(plain, "payment_received")] == [{"amount": M("1000.00")}]
    assert diags(named, "payment_for_uncalled_year") == []


def test_what_is_left_of_a_payment_for_a_year_goes_by_due_date():
    # 1500.00 for 2027: 1000.00 to 2027's call, the 500.00 left to the earliest uncovered
    # amount, 2026's call (due 2026-01-31); 500.00 of 2026 is still overdue.
    t = run(pay_for("2027-01-20", "1500.00", 2027), horizon="2027-12-31", **LARGE)
    assert [(c.year, c.paid) for c in t.contributions] == [(2026, M("500.00")), (2027, M("1000.00"))]
    assert [e.detail["overdue"] for e in entries(t, "payment_overdue")] == [M("1000.00")]
    assert entries(t, "default_cured") == []


def test_a_payment_for_a_year_not_called_names_no_year():
    # 2027 is not called on 2026-06-01: the payment names no year and goes to 2026.
    t = run(pay_for("2026-06-01", "1000.00", 2027), horizon="2027-12-31", **LARGE)
    [d] = diags(t, "payment_for_uncalled_year")
    assert (d.date, d.level) == (D("2026-06-01"), "warning")
    assert d.message == ("payment of 1000.00 (line 9) is for 2027, a year not called on its date: "
                         "it is allocated as a payment that names no year")
    assert d.message_fr.startswith("le paiement de 1\u202f000,00\u00a0€ (ligne 9) est pour 2027, "
                                   "année non appelée à sa date")
    assert [dict(p.detail) for p in entries(t, "payment_received")] == [{"amount": M("1000.00")}]
    assert [(c.year, c.paid) for c in t.contributions] == [(2026, M("1000.00")), (2027, M("0.00"))]


def test_a_payment_for_a_year_before_any_call_is_unallocated_until_the_call():
    # Received before the start: no year is called yet, so it names none; the first call takes it.
    t = run(pay_for("2025-12-15", "300.00", 2026), horizon="2026-12-31", **LARGE)
    assert [d.date for d in diags(t, "payment_for_uncalled_year")] == [D("2025-12-15")]
    assert (contrib(t, 2026).paid, t.unallocated) == (M("300.00"), M("0.00"))


# =========================================================================== 5.6 termination


def test_termination_refund_unused_reduces_the_year_to_a_credit():
    t = run(pay("2026-01-20", "1000.00"), member_notice("2026-03-14"), **LARGE)
    # last day 2026-03-14 + P2M = 2026-05-14; covered 31+28+31+30+14 = 134 days;
    # 1000 x 134/365 = 367.1232.. -> 367.12; paid 1000 -> balance -632.88.
    [s] = entries(t, "termination_scheduled")
    assert s.date == D("2026-03-14")
    [a] = entries(t, "contribution_adjusted")
    assert (a.date, a.rule) == (D("2026-05-14"), "art4.refund_unused")
    assert [e.date for e in entries(t, "terminated")] == [D("2026-05-15")]
    c = contrib(t, 2026)
    assert (c.covered_days, c.due, c.paid, c.balance) == (134, M("367.12"), M("1000.00"), M("-632.88"))
    # No call after the last day (horizon 2029-12-31).
    assert t.horizon == D("2029-12-31")
    assert [c.year for c in t.contributions] == [2026]
    assert entries(t, "contribution_called", "2027-01-01") == []


def test_termination_refund_unused_false_keeps_the_year():
    t = run(pay("2026-01-20", "1000.00"), member_notice("2026-03-14"),
            overrides="{contribution: {refund_unused: false}}", **LARGE)
    c = contrib(t, 2026)
    assert (c.covered_days, c.due, c.balance) == (365, M("1000.00"), M("0.00"))
    assert entries(t, "contribution_adjusted") == []


def test_documents_available_only_for_a_cdg_termination():
    t = run(cdg_notice("2029-03-01"))
    [d] = entries(t, "documents_available")
    assert (d.date, d.rule, d.article) == (D("2029-09-01"), "art5.documents_available", "Article 5")
    t = run(member_notice("2029-03-01"))
    assert t.termination.by == "member" and entries(t, "documents_available") == []


def test_events_after_termination():
    t = run(member_notice("2026-03-14"),
            agents("2026-06-01", 50),
            cdg_notice("2026-06-02"),
            amendment("2026-06-03", "2026-07-01", grid_large("1200.00")),
            "{date: 2026-06-04, type: signed, ref: Avenant}",
            pay("2026-06-05", "367.12"),
            count("2026-06-06", 2026, 100),
            "{date: 2026-06-07, type: dispute, step: opened}",
            **LARGE)
    # terminated 2026-05-15; 2026 reduced to 367.12 (see the refund test).
    after = diags(t, "event_after_termination")
    assert sorted(d.date for d in after) == [D("2026-06-01"), D("2026-06-02"), D("2026-06-03"), D("2026-06-04")]
    assert term(t)[:3] == ("member", "2026-03-14", "2026-05-14")
    assert entries(t, "notice_superseded") == []
    # the payment is still allocated; the dispute step is recorded
    c = contrib(t, 2026)
    assert (c.due, c.paid, c.balance) == (M("367.12"), M("367.12"), M("0.00"))
    assert [e.date for e in entries(t, "dispute_opened")] == [D("2026-06-07")]
    assert [e.date for e in entries(t, "payment_received")] == [D("2026-06-05")]


# =========================================================================== 5.7 facts learned late


def test_notice_learned_late_runs_from_its_notification_date():
    t = run(member_notice("2029-04-20", cdg="2029-03-01", archives="2029-03-02"))
    # N = 2029-03-02; last day 2029-05-02; learned 2029-04-20.
    assert term(t)[1:3] == ("2029-03-02", "2029-05-02")
    assert [e.date for e in entries(t, "termination_scheduled")] == [D("2029-04-20")]
    assert periods(t) == [
        ("2026-01-01", "2028-12-31", "initial_term", "current", False),
        ("2029-01-01", "2029-03-01", "renewed", "current", False),
        ("2029-03-02", "2029-05-02", "renewed", "current", True),
        ("2029-05-03", None, "terminated", "current", False),
    ]
    assert [e.date for e in entries(t, "terminated")] == [D("2029-05-03")]


def test_notice_whose_last_day_is_past_when_learned():
    t = run(pay("2026-01-20", "1000.00"), pay("2027-01-20", "1000.00"), pay("2028-01-20", "1000.00"),
            pay("2029-01-20", "1000.00"),
            member_notice("2030-01-20", cdg="2029-03-01", archives="2029-03-02"), **LARGE)
    # N = 2029-03-02, last day 2029-05-02, learned 2030-01-20 (2030 already called 2030-01-01).
    assert term(t)[:3] == ("member", "2029-03-02", "2029-05-02")
    [x] = entries(t, "terminated")
    assert x.date == D("2030-01-20") and x.detail.get("last_day") == D("2029-05-02")
    [s] = entries(t, "termination_scheduled")
    assert s.date == D("2030-01-20") and s.detail.get("last_day") == D("2029-05-02")
    # hindsight: terminated from 2029-05-03.
    assert t.state_on(D("2029-05-02")) == "renewed" and t.state_on(D("2029-05-03")) == "terminated"
    assert t.periods[-1].end is None and t.periods[-1].start == D("2029-05-03")
    # 2029: Jan 1..May 2 = 31+28+31+30+2 = 122 days; 1000 x 122/365 = 334.2465.. -> 334.25.
    # 2030: after the last day -> covered 0, due 0.00, corrected on the learning date.
    adj = entries(t, "contribution_adjusted")
    assert {a.date for a in adj} == {D("2030-01-20")}
    assert "art4.late_fact" in {a.rule for a in adj}
    c29, c30 = contrib(t, 2029), contrib(t, 2030)
    assert (c29.covered_days, c29.due) == (122, M("334.25"))
    assert (c30.covered_days, c30.due, c30.called_on) == (0, M("0.00"), D("2030-01-01"))
    # 4000 received: 3 x 1000 + 334.25, the 665.75 left stays on the latest called year (2030).
    assert (c29.paid, c29.balance) == (M("334.25"), M("0.00"))
    assert (c30.paid, c30.balance) == (M("665.75"), M("-665.75"))
    assert total_paid(t) + t.unallocated == M("4000.00")
    assert [c.year for c in t.contributions] == [2026, 2027, 2028, 2029, 2030]


# =========================================================================== 5.8 / section 3 volumes


@pytest.mark.parametrize("n, band, annual, ambiguous", [
    (49, 1, "250.00", False),     # "Moins de 50"
    (50, 2, "500.00", False),     # "De 50 à 150"
    (150, 2, "500.00", True),     # 150: band 2 (cheaper) or band 3 (1000.00)
    (151, 3, "1000.00", False),
    (250, 3, "1000.00", True),    # 250: band 3 (cheaper) or band 4 (2000.00)
    (251, 4, "2000.00", False),
    (350, 4, "2000.00", False),   # 350 consultations: band 4, not ambiguous
    (351, 5, "4000.00", False),   # "Plus de 350"
])
def test_grid_bands_and_ambiguous_boundaries(n, band, annual, ambiguous):
    t = run(horizon="2026-12-31", agents=1000, consultations={2025: n})
    c = contrib(t, 2026)
    assert (c.band, c.column, c.annual, c.due) == (band, "large", M(annual), M(annual))
    amb = diags(t, "ambiguous_boundary")
    assert bool(amb) is ambiguous
    if ambiguous:
        other = {150: "1000.00", 250: "2000.00"}[n]
        assert other in amb[0].message  # names the other reading and its amount


def test_350_agents_read_as_small_with_ambiguous_boundary():
    t = run(horizon="2026-12-31", agents=350, consultations={2025: 200})
    c = contrib(t, 2026)
    assert (c.column, c.due) == ("small", M("0.00"))
    [d] = diags(t, "ambiguous_boundary")
    assert "1000.00" in d.message  # the large reading, band 3


def test_351_agents_are_large():
    t = run(horizon="2026-12-31", agents=351, consultations={2025: 200})
    assert (contrib(t, 2026).column, contrib(t, 2026).due) == ("large", M("1000.00"))
    assert "ambiguous_boundary" not in codes(t)


def test_no_ambiguous_boundary_on_the_all_zero_small_column():
    t = run(horizon="2026-12-31", agents=100, consultations={2025: 150})
    assert contrib(t, 2026).band == 2
    assert "ambiguous_boundary" not in codes(t)


def test_no_ambiguous_boundary_when_both_readings_cost_the_same():
    t = run(horizon="2026-12-31", agents=1000, consultations={2025: 150}, overrides=grid_large("500.00"))
    # band 2 and band 3 both 500.00
    assert contrib(t, 2026).due == M("500.00")
    assert "ambiguous_boundary" not in codes(t)


def test_previous_year_basis_known_needs_no_estimate():
    t = run(horizon="2026-12-31", **LARGE)
    assert contrib(t, 2026).band == 3
    assert "volume_estimated" not in codes(t) and "volume_unknown" not in codes(t)


def test_volume_estimated_from_the_latest_earlier_year_known():
    t = run(horizon="2026-12-31", agents=1000, consultations={2023: 400, 2024: 100})
    # basis 2025 unknown; latest earlier known: 2024 = 100 -> band 2, 500.00 (not 2023's band 5)
    c = contrib(t, 2026)
    assert (c.band, c.due) == (2, M("500.00"))
    [d] = diags(t, "volume_estimated")
    assert d.date == D("2026-01-01")


def test_volume_unknown_band_1_then_corrected_when_the_count_arrives():
    t = run(pay("2026-01-20", "250.00"), count("2026-02-01", 2025, 200), horizon="2026-12-31",
            agents=1000)
    # no count at all: band 1, 250.00; 2025 = 200 arrives 2026-02-01 -> band 3, 1000.00;
    # the +750.00 is due 2026-02-01 + 30 = 2026-03-03: overdue from 2026-03-04.
    assert "volume_unknown" in codes(t)
    [a] = entries(t, "contribution_adjusted")
    assert (a.date, a.rule) == (D("2026-02-01"), "annex1.band_correction")
    c = contrib(t, 2026)
    assert (c.band, c.due, c.paid, c.balance) == (3, M("1000.00"), M("250.00"), M("750.00"))
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-03-04")]


def test_same_year_basis_estimated_then_corrected():
    t = run(count("2027-01-10", 2026, 400), horizon="2027-12-31", agents=1000,
            consultations={2025: 200}, overrides="{contribution: {band_basis: same_year}}")
    # 2026: basis 2026 unknown on 2026-01-01, stand-in 2025 = 200 -> band 3 (volume_estimated);
    # 2026 = 400 arrives 2027-01-10 -> band 5, 4000.00, corrected that day.
    # 2027: basis 2027 unknown on 2027-01-01, stand-in still 2025 (2026 not known yet) -> band 3.
    assert len(diags(t, "volume_estimated")) == 2
    [a] = entries(t, "contribution_adjusted")
    assert a.date == D("2027-01-10")
    assert (contrib(t, 2026).band, contrib(t, 2026).due) == (5, M("4000.00"))
    assert (contrib(t, 2027).band, contrib(t, 2027).due) == (3, M("1000.00"))


def test_count_with_the_same_band_does_not_adjust():
    t = run(count("2026-03-01", 2025, 180), horizon="2026-12-31", agents=1000,
            consultations={2024: 200})
    assert entries(t, "contribution_adjusted") == []
    assert contrib(t, 2026).due == M("1000.00")


def test_count_event_replaces_a_count_given_in_the_file():
    t = run(count("2026-03-01", 2025, 300), horizon="2026-12-31", **LARGE)
    # 2025: 200 (file) -> band 3; revised to 300 on 2026-03-01 -> band 4, 2000.00.
    [a] = entries(t, "contribution_adjusted")
    assert a.date == D("2026-03-01")
    assert (contrib(t, 2026).band, contrib(t, 2026).due) == (4, M("2000.00"))


def test_basis_count_after_termination_still_corrects_the_year():
    t = run(member_notice("2026-03-14"), count("2026-09-01", 2025, 400), agents=1000,
            consultations={2024: 200})
    # reduced to 134 days on 2026-05-14 (367.12); 2025 = 400 -> band 5:
    # 4000 x 134/365 = 1468.4931.. -> 1468.49, on 2026-09-01, no event_after_termination.
    assert [a.date for a in entries(t, "contribution_adjusted")] == [D("2026-05-14"), D("2026-09-01")]
    c = contrib(t, 2026)
    assert (c.band, c.covered_days, c.due) == (5, 134, M("1468.49"))
    assert "event_after_termination" not in codes(t)


def test_counts_are_never_annualised():
    t = run(start="2026-07-01", horizon="2026-12-31", agents=1000, consultations={2026: 100},
            overrides="{contribution: {band_basis: same_year}}")
    # 100 consultations in half a year stay 100 -> band 2 (annualised ~198 would be band 3);
    # 500 x 184/365 = 252.0547.. -> 252.05
    c = contrib(t, 2026)
    assert (c.band, c.due) == (2, M("252.05"))


def test_agents_are_read_on_the_call_date():
    t = run(agents("2027-05-01", 100), horizon="2028-12-31", agents=1000,
            consultations={2025: 200, 2026: 200, 2027: 200})
    # 2027 called large on 2027-01-01 and unchanged; 2028 called small.
    assert (contrib(t, 2027).column, contrib(t, 2027).due) == ("large", M("1000.00"))
    assert (contrib(t, 2028).column, contrib(t, 2028).due) == ("small", M("0.00"))
    assert entries(t, "contribution_adjusted") == []


# =========================================================================== 5.9 amendments


def test_amendment_effective_in_the_future_changes_later_calls_only():
    t = run(amendment("2027-06-01", "2028-01-01", grid_large("1200.00")), horizon="2028-12-31",
            agents=1000, consultations={2025: 200, 2026: 200, 2027: 200})
    assert contrib(t, 2027).annual == M("1000.00")
    # 2028: 1200 x 366/366 = 1200.00
    assert (contrib(t, 2028).annual, contrib(t, 2028).due) == (M("1200.00"), M("1200.00"))
    assert entries(t, "contribution_adjusted") == []
    [r] = entries(t, "amendment_recorded")
    assert (r.date, r.rule) == (D("2027-06-01"), "art5.amendment")


def test_amendment_learned_after_its_effective_date_corrects_on_its_date():
    t = run(pay("2026-01-20", "1000.00"), pay("2027-01-20", "1000.00"),
            amendment("2027-03-01", "2027-01-01", grid_large("1200.00")),
            horizon="2027-12-31", agents=1000, consultations={2025: 200, 2026: 200})
    # 2027 called 1000.00 on 2027-01-01; corrected to 1200.00 on 2027-03-01; the +200.00 is due
    # 2027-03-31, overdue from 2027-04-01. 2026 (before the effective date) unchanged.
    [a] = entries(t, "contribution_adjusted")
    assert (a.date, a.rule) == (D("2027-03-01"), "art4.late_fact")
    assert contrib(t, 2026).due == M("1000.00")
    c = contrib(t, 2027)
    assert (c.annual, c.due, c.balance) == (M("1200.00"), M("1200.00"), M("200.00"))
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2027-04-01")]


def test_term_amendment_is_ineffective_and_the_rest_applies():
    set_ = ('{term: {renewal: none}, contribution: {grid: {large: '
            '["250.00", "500.00", "1200.00", "2000.00", "4000.00"]}}}')
    t = run(amendment("2026-06-01", "2027-01-01", set_), horizon="2029-12-31", **LARGE)
    assert [d.date for d in diags(t, "amendment_ineffective")] == [D("2026-06-01")]
    [r] = entries(t, "amendment_recorded")
    assert r.rule == "art5.amendment_term"
    assert contrib(t, 2027).annual == M("1200.00")
    assert [e.date for e in entries(t, "renewed")] == [D("2029-01-01")]
    assert entries(t, "expired") == [] and t.termination is None


def test_amendments_merge_in_order_of_effective_date():
    t = run(amendment("2026-03-01", "2027-06-01", grid_large("1500.00"), ref="A1"),
            amendment("2026-04-01", "2027-01-01", grid_large("1200.00"), ref="A2"),
            horizon="2028-12-31", agents=1000, consultations={2025: 200, 2026: 200, 2027: 200})
    # 2027-01-01: only A2 in force -> 1200.00; 2028-01-01: A2 then A1 (later effective) -> 1500.00
    assert contrib(t, 2027).annual == M("1200.00")
    assert contrib(t, 2028).annual == M("1500.00")


# =========================================================================== 5.10 disputes


def test_referred_before_opened_skips_the_amicable_step():
    t = run("{date: 2027-03-01, type: dispute, step: referred}")
    [e] = entries(t, "dispute_referred")
    assert (e.date, e.rule, e.article) == (D("2027-03-01"), "art6.amicable_step_skipped", "Article 6")
    assert "Lille" in json.dumps(e.detail, default=str)
    assert [d.date for d in diags(t, "amicable_step_skipped")] == [D("2027-03-01")]


def test_referred_after_opened_is_the_normal_path():
    t = run("{date: 2027-02-01, type: dispute, step: opened}",
            "{date: 2027-03-01, type: dispute, step: referred}")
    assert [e.rule for e in entries(t, "dispute_referred")] == ["art6.dispute"]
    assert entries(t, "dispute_opened")[0].date == D("2027-02-01")
    assert "amicable_step_skipped" not in codes(t)


# =========================================================================== 5.12 one day, in order


def test_terminated_before_the_call_of_the_same_day():
    t = run(member_notice("2026-10-31"), **LARGE)
    # 2026-10-31 + P2M = 2026-12-31: terminated 2027-01-01 in phase (a), so no 2027 call (d).
    assert kinds_on(t, "2027-01-01") == ["terminated"]
    assert [c.year for c in t.contributions] == [2026]


def test_terminated_before_the_renewal_of_the_same_day():
    t = run(member_notice("2028-10-31"))
    # 2028-12-31 is the initial term's last day: terminated 2029-01-01 (a) beats renewed (b).
    assert kinds_on(t, "2029-01-01") == ["terminated"]
    assert entries(t, "renewed") == []


def test_agents_event_before_the_call_of_the_same_day():
    t = run(pay("2027-01-01", "10.00"), agents("2027-01-01", 100), horizon="2027-12-31",
            agents=1000, consultations={2025: 200, 2026: 200})
    # phase (c) agents, (d) call, (f) payment, whatever the file order.
    assert kinds_on(t, "2027-01-01") == ["agents_recorded", "contribution_called", "payment_received"]
    assert (contrib(t, 2027).column, contrib(t, 2027).due) == ("small", M("0.00"))
    assert contrib(t, 2026).column == "large"


def test_consultations_event_before_the_call_of_the_same_day():
    t = run(count("2027-01-01", 2026, 400), horizon="2027-12-31", **LARGE)
    # 2027's basis (2026 = 400) is known at the call: band 5 directly, no estimate, no adjustment.
    c = contrib(t, 2027)
    assert (c.band, c.due) == (5, M("4000.00"))
    assert [d for d in diags(t, "volume_estimated") if d.date == D("2027-01-01")] == []
    assert entries(t, "contribution_adjusted") == []


def test_last_day_adjustment_and_documents_come_after_the_days_events():
    t = run(cdg_notice("2026-03-07"), pay("2026-09-07", "1000.00"), **LARGE)
    # last day 2026-09-07 (2026-03-07 + P6M): (f) payment, then (g) adjustment and documents.
    day = kinds_on(t, "2026-09-07")
    assert day.index("payment_received") < day.index("contribution_adjusted") < day.index("documents_available")
    assert day[-1] == "documents_available"
    # 2026-01-01..09-07 = 31+28+31+30+31+30+31+31+7 = 250 days; 1000 x 250/365 = 684.9315.. -> 684.93
    c = contrib(t, 2026)
    assert (c.covered_days, c.due, c.balance) == (250, M("684.93"), M("-315.07"))


# =========================================================================== horizon, periods, JSON


def test_events_after_the_horizon_are_ignored():
    t = run(pay("2026-01-20", "1000.00"), pay("2027-01-10", "1000.00"), horizon="2026-12-31", **LARGE)
    [d] = diags(t, "event_beyond_horizon")
    assert d.date == D("2027-01-10")
    assert [e.date for e in entries(t, "payment_received")] == [D("2026-01-20")]
    assert total_paid(t) + t.unallocated == M("1000.00")


def test_until_replaces_the_horizon():
    t = run(member_notice("2029-03-14"), until="2027-06-30")
    assert t.horizon == D("2027-06-30")
    assert periods(t) == [("2026-01-01", "2027-06-30", "initial_term", "current", False)]
    assert t.termination is None
    assert "event_beyond_horizon" in codes(t)


@pytest.mark.parametrize("events, horizon", [
    ((), "2029-12-31"),                               # initial term ends 2028-12-31 -> 31 Dec 2029
    ((pay("2031-05-01", "10.00"),), "2032-12-31"),    # last event 2031 -> 31 Dec 2032
])
def test_default_horizon(events, horizon):
    assert run(*events).horizon == D(horizon)


@pytest.mark.parametrize("events", [
    (),
    (member_notice("2029-04-20", cdg="2029-03-01", archives="2029-03-02"), pay("2026-02-10", "1000.00")),
    (cdg_notice("2026-03-07", reason="non_payment"),),
])
def test_periods_cover_start_to_horizon_without_gap(events):
    t = run(*events, **LARGE)
    ps = t.periods
    assert ps[0].start == t.start
    for a, b in zip(ps, ps[1:]):
        assert a.end + dt.timedelta(days=1) == b.start
        assert (a.state, a.standing, a.notice) != (b.state, b.standing, b.notice)  # maximal runs
    if t.termination is not None:
        assert ps[-1].end is None and ps[-1].state == "terminated"
    else:
        assert ps[-1].end == t.horizon
    assert all(p.end is not None for p in ps[:-1])


def test_json_is_deterministic_and_well_formed():
    t = run(pay("2026-01-20", "1500.00"), member_notice("2026-03-14"), count("2026-09-01", 2025, 150),
            name="Département du Pas-de-Calais", **LARGE)
    a = engine.replay(engine.load_scenario(scenario(
        pay("2026-01-20", "1500.00"), member_notice("2026-03-14"), count("2026-09-01", 2025, 150),
        name="Département du Pas-de-Calais", **LARGE))).to_json()
    text = t.to_json()
    assert text == t.to_json() == a
    assert text.endswith("}\n") and '\n  "format": "convention-timeline/1"' in text
    assert "Département" in text  # UTF-8 without escapes
    assert "-0.00" not in text
    doc = json.loads(text)
    assert list(doc) == ["format", "convention", "name", "start", "horizon", "periods", "termination",
                         "unallocated", "contributions", "entries", "diagnostics"]
    assert list(doc["periods"][0]) == ["from", "to", "state", "standing", "notice"]
    assert list(doc["termination"]) == ["by", "notified", "last_day", "immediate", "rule"]
    # docs/spec.md 8.3: `from` and `to`, the calendar period called, follow the year.
    assert list(doc["contributions"][0]) == ["year", "from", "to", "band", "column", "annual", "covered_days",
                                             "year_days", "due", "paid", "balance", "called_on"]
    assert list(doc["entries"][0]) == ["date", "kind", "rule", "article", "detail"]
    assert list(doc["diagnostics"][0]) == ["date", "level", "code", "message"]
    amount = re.compile(r"^-?\d+\.\d\d$")
    assert amount.match(doc["unallocated"])
    for c in doc["contributions"]:
        for k in ("annual", "due", "paid", "balance"):
            assert amount.match(c[k]), (k, c[k])
    for e in doc["entries"]:
        assert list(e["detail"]) == sorted(e["detail"])
    # 2026: 134 days; 2025 = 150 -> band 2 (500.00): 500 x 134/365 = 183.5616.. -> 183.56;
    # paid 1500 -> balance -1316.44
    c = doc["contributions"][0]
    assert (c["band"], c["due"], c["paid"], c["balance"]) == (2, "183.56", "1500.00", "-1316.44")


# =========================================================================== further edges


def test_known_expiry_limits_the_last_years_call():
    t = run(start="2026-07-01", overrides="{term: {renewal: none}}", **LARGE)
    # initial term 2026-07-01 + P3Y - 1 = 2029-06-30, known from the start (renewal none):
    # 2029 covers 31+28+31+30+31+30 = 181 days; 1000 x 181/365 = 495.8904.. -> 495.89
    c = contrib(t, 2029)
    assert (c.covered_days, c.due) == (181, M("495.89"))
    assert entries(t, "contribution_adjusted") == []
    assert [e.date for e in entries(t, "expired")] == [D("2029-07-01")]


def test_last_day_on_31_december_needs_no_refund():
    t = run(pay("2026-01-20", "1000.00"), member_notice("2026-10-31"), **LARGE)
    # last day 2026-12-31: 2026 keeps its 365 days.
    assert entries(t, "contribution_adjusted") == []
    assert (contrib(t, 2026).covered_days, contrib(t, 2026).balance) == (365, M("0.00"))


def test_extension_comes_before_at_period_end():
    t = run(member_notice("2028-10-31"), horizon="2030-12-31",
            overrides="{term: {renewal: periodic, renewal_period: P1Y}, "
                      "notice: {effect: at_period_end, extend_to_working_day: true}}")
    # 2028-10-31 + P2M = 2028-12-31 (Sunday) -> 2029-01-01 (New Year's Day) -> 2029-01-02;
    # then at_period_end: first period ending on or after 2029-01-02 is period 1, 2029-12-31.
    # (The other order would give 2028-12-31 -> 2029-01-02.)
    assert t.termination.last_day == D("2029-12-31")


def test_at_period_end_with_no_period_left_is_superseded():
    t = run(member_notice("2029-11-15"), horizon="2030-12-31",
            overrides="{term: {renewal: periodic, renewal_period: P1Y, max_renewals: 1}, "
                      "notice: {effect: at_period_end}}")
    # last period ends 2029-12-31; 2029-11-15 + P2M = 2030-01-15: no period ends on or after it.
    assert [e.date for e in entries(t, "notice_superseded")] == [D("2029-11-15")]
    assert term(t)[:3] == ("expiry", None, "2029-12-31")


def test_immediate_termination_displaces_a_running_member_notice():
    t = run(member_notice("2026-03-01"), cdg_notice("2026-03-07", reason="non_payment"), **LARGE)
    # member: last day 2026-05-01; cdg immediate (in default since 2026-02-01): 2026-03-07, earlier.
    assert term(t) == ("cdg", "2026-03-07", "2026-03-07", True, "art5.immediate_on_default")
    [s] = entries(t, "notice_superseded")
    assert s.date == D("2026-03-07") and s.detail.get("by") == "member"


def test_revised_stand_in_count_corrects_the_year():
    t = run(count("2026-03-01", 2024, 300), horizon="2026-12-31", agents=1000, consultations={2024: 200})
    # 2026: basis 2025 unknown, stand-in 2024 = 200 (band 3); revised to 300 -> band 4, 2000.00.
    [a] = entries(t, "contribution_adjusted")
    assert a.date == D("2026-03-01")
    assert (contrib(t, 2026).band, contrib(t, 2026).due) == (4, M("2000.00"))


def test_late_count_on_a_boundary_adds_ambiguous_boundary():
    t = run(count("2026-03-01", 2025, 250), horizon="2026-12-31", agents=1000, consultations={2024: 100})
    # stand-in 2024 = 100 -> band 2 (500.00); 2025 = 250 -> band 3 (1000.00), other reading 2000.00
    assert (contrib(t, 2026).band, contrib(t, 2026).due) == (3, M("1000.00"))
    amb = diags(t, "ambiguous_boundary")
    assert [d.date for d in amb] == [D("2026-03-01")] and "2000.00" in amb[0].message


def test_amounts_of_a_year_are_covered_in_due_date_order():
    t = run(count("2026-02-10", 2025, 300), pay("2026-02-15", "1000.00"), horizon="2026-12-31",
            agents=1000, consultations={2024: 200})
    # 1000.00 due 2026-01-31 (overdue from 02-01); +1000.00 on 2026-02-10 due 02-10 + 30 = 03-12.
    # The 02-15 payment covers the older amount first: cured; the increase overdue from 03-13.
    assert [e.date for e in entries(t, "payment_overdue")] == [D("2026-02-01"), D("2026-03-13")]
    assert [e.date for e in entries(t, "default_cured")] == [D("2026-02-15")]
    assert contrib(t, 2026).balance == M("1000.00")


def test_receipt_after_the_event_date_is_invalid_input():
    with pytest.raises(engine.ScenarioError):
        engine.load_scenario(scenario(member_notice("2029-03-14", cdg="2029-03-15")))
