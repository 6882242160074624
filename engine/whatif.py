"""What if a party gave notice on a date? The scenario replayed with one more notice, beside the
baseline (docs/spec.md 7, `convention whatif`). Pure: scenarios in, timelines out.

The hypothesis is the scenario plus that notice (with its reason, if any: the rules decide what
the reason changes, e.g. an immediate termination). When the notice is the one that ends the
convention (outcome ``accepted``), the scenario's payments dated after the hypothetical last day
are left out of the hypothesis: they would not have been made, and kept they would read as money
paid for the year cut short. What the termination leaves owed or to refund on the last day is
:attr:`WhatIf.settlement`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import attrs

from . import rulesfile
from .deadlines import Knowledge
from .events import NoticeReceived, PaymentReceived, Receipt, Scenario
from .money import ZERO, fmt
from .replay import replay
from .timeline import Contribution, Termination, Timeline, YearTotal

OUTCOMES = ("accepted", "superseded", "refused", "void", "no_effect")
HYPOTHESIS_LINE = -1


@attrs.frozen
class Settlement:
    """What the termination leaves on its last day: every call's due (as the hypothesis ends, with
    hindsight) against all the money received up to and including the last day. One of the two
    is zero."""

    owed: Decimal  # still to be paid to the party that calls the contributions
    refund: Decimal  # received beyond what is due: to be refunded

    @classmethod
    def of(cls, t: Timeline, received: Decimal) -> "Settlement":
        due = sum((c.due for c in t.contributions), Decimal(0))
        rest = due - received
        return cls(max(rest, ZERO), max(-rest, ZERO))


@attrs.frozen
class WhatIf:
    party: str
    on: dt.date
    year: int  # the year compared: the year of the hypothetical (else baseline) last day, else of `on`
    outcome: str  # accepted | superseded | refused | void | no_effect (see OUTCOMES)
    baseline: Timeline
    hypothesis: Timeline
    reason: str | None = None  # the hypothetical notice's reason (None: none given)
    # The scenario's payments left out of the hypothesis (dated after its last day; outcome accepted).
    dropped: tuple[PaymentReceived, ...] = ()
    # Owed or to refund on the hypothesis's last day (None: the hypothesis does not end).
    settlement: Settlement | None = None

    def contributions(self) -> tuple[Contribution | None, Contribution | None]:
        """The compared year's (first) call, in the baseline and in the hypothesis."""
        return self.baseline.contribution(self.year), self.hypothesis.contribution(self.year)

    def year_totals(self) -> tuple[YearTotal | None, YearTotal | None]:
        """The compared year's calls added up (quarters, months), baseline and hypothesis."""
        return self.baseline.year_total(self.year), self.hypothesis.year_total(self.year)

    @property
    def dropped_total(self) -> Decimal:
        return sum((e.amount for e in self.dropped), Decimal(0))

    def to_dict(self) -> dict:
        """The JSON form (docs/cli.md, `whatif --format json`): keys in this order, dates ISO,
        amounts as strings with two decimals, null when absent."""
        base, hypo = self.year_totals()
        s = self.settlement
        return {
            "party": self.party,
            "on": self.on.isoformat(),
            "reason": self.reason,
            "outcome": self.outcome,
            "year": self.year,
            "baseline": _side(self.baseline.termination, base),
            "hypothesis": _side(self.hypothesis.termination, hypo),
            "settlement": None if s is None else {"owed": fmt(s.owed), "refund": fmt(s.refund)},
            "payments_dropped": len(self.dropped),
        }

    def to_json(self) -> str:
        """Deterministic to the byte, as the timeline: UTF-8 unescaped, indent 2, final newline."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _side(r: Termination | None, c: YearTotal | None) -> dict:
    return {
        "termination": None if r is None else {
            "by": r.by, "notified": None if r.notified is None else r.notified.isoformat(),
            "last_day": r.last_day.isoformat(), "immediate": r.immediate},
        "due": None if c is None else fmt(c.due),
        "paid": None if c is None else fmt(c.paid),
        "balance": None if c is None else fmt(c.balance),
    }


def with_notice(scenario: Scenario, party: str, on: dt.date, reason: str | None = None) -> Scenario:
    """``scenario`` plus a notice by ``party`` (for ``reason``, if given) received by all its
    required recipients on ``on`` (the recipients in force on ``on``, with the amendments known
    by then)."""
    recipients = Knowledge(scenario, on).params_on(on).recipients[party]
    seq = max((e.seq for e in scenario.events), default=-1) + 1
    # line -1 marks the hypothetical notice (a scenario given as a mapping has line 0 everywhere)
    notice = NoticeReceived(date=on, line=HYPOTHESIS_LINE, seq=seq, by=party, reason=reason,
                            received=tuple((r, Receipt(delivered=on)) for r in recipients))
    return attrs.evolve(scenario, events=scenario.events + (notice,))


def _outcome(t: Timeline, party: str, on: dt.date) -> str:
    """What became of the added notice, in the end (a notice accepted when processed and
    displaced later by an earlier-ending one is ``superseded``)."""
    r = t.termination
    if r is not None and r.by == party and r.notified == on and any(
            e.kind == "termination_scheduled" and e.detail.get("line") == HYPOTHESIS_LINE and e.date == on
            for e in t.entries):
        return "accepted"
    kinds = {"termination_scheduled": "superseded", "notice_superseded": "superseded",
             "notice_refused": "refused"}
    for e in t.entries:
        if e.date == on and e.kind in kinds and e.detail.get("line") == HYPOTHESIS_LINE \
                and e.detail.get("by") == party and e.detail.get("notified") is not None:
            return kinds[e.kind]
    if any(d.date == on and d.code == "event_after_termination" and f"line {HYPOTHESIS_LINE})" in d.message
           for d in t.diagnostics):
        return "no_effect"
    return "void"


def _received_by(scenario: Scenario, day: dt.date) -> Decimal:
    return sum((e.amount for e in scenario.events
                if isinstance(e, PaymentReceived) and e.date <= day), Decimal(0))


def whatif(scenario: Scenario, party: str, on: dt.date, reason: str | None = None) -> WhatIf:
    """Replay the baseline and the hypothesis over the same horizon, long enough to see the
    hypothetical last day's year. ``reason`` is the hypothetical notice's reason (free text, as
    in a scenario: the rules decide its effect). Raises ``ValueError`` for an unknown party or
    when ``on`` is before the start."""
    parties = tuple(rulesfile.of_scenario(scenario).parties)
    if party not in parties:
        raise ValueError(f"unknown party {party!r} (expected {' or '.join(parties)})")
    if on < scenario.start:
        raise ValueError(f"notice date {on} is before the start {scenario.start}")
    reason = reason or None
    hypo_s = with_notice(scenario, party, on, reason)
    base = replay(scenario)
    until = max(base.horizon, on)
    hypo = replay(hypo_s, until=until)
    if hypo.termination is not None and hypo.termination.last_day.year > until.year:
        until = dt.date(hypo.termination.last_day.year, 12, 31)
        hypo = replay(hypo_s, until=until)
    if until != base.horizon:
        base = replay(scenario, until=until)
    outcome = _outcome(hypo, party, on)
    dropped: tuple[PaymentReceived, ...] = ()
    if outcome == "accepted":
        # Payments after the hypothetical last day would not have been made. Nothing on or before
        # the last day depends on them, so the termination and the outcome stay the same.
        last_day = hypo.termination.last_day
        dropped = tuple(e for e in scenario.events if isinstance(e, PaymentReceived) and e.date > last_day)
        if dropped:
            gone = {id(e) for e in dropped}
            hypo_s = attrs.evolve(hypo_s, events=tuple(e for e in hypo_s.events if id(e) not in gone))
            hypo = replay(hypo_s, until=until)
            outcome = _outcome(hypo, party, on)
    r = hypo.termination
    settlement = None if r is None else Settlement.of(hypo, _received_by(hypo_s, r.last_day))
    last = r or base.termination
    year = last.last_day.year if last is not None else on.year
    return WhatIf(party, on, year, outcome, base, hypo, reason=reason, dropped=dropped,
                  settlement=settlement)
