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

from . import hypothesis
from ..conventions import rulesfile
from ..core.events import PaymentReceived, Scenario
from .hypothesis import HYPOTHESIS_LINE, OUTCOMES, with_notice  # noqa: F401 (public names)
from ..core.money import ZERO, fmt
from ..core.replay import replay
from ..core.timeline import Contribution, Termination, Timeline, YearTotal


class UnknownReason(ValueError):
    """A reason the rules file does not define; ``accepted`` lists those it does."""

    def __init__(self, reason: str, accepted: tuple[str, ...]):
        self.reason, self.accepted = reason, accepted
        super().__init__(f"unknown reason {reason!r} (accepted: {', '.join(accepted) or 'none'})")


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
    why: Why | None = None  # why the notice is, or is not, immediate

    def _why_dict(self) -> dict | None:
        w = self.why
        return None if w is None else {"code": w.code, "overdue": fmt(w.overdue),
                                       "overdue_since": None if w.since is None else w.since.isoformat()}

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
            "why": self._why_dict(),
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


def _outcome(t: Timeline, party: str, on: dt.date) -> str:
    """What became of the added notice, in the end, read from the entries the replay recorded
    for it (:func:`engine.answers.hypothesis.fate`)."""
    return hypothesis.fate(t, party, on).outcome


@attrs.frozen
class Why:
    """Why the hypothetical notice does or does not end the convention at once, from what the
    replays show: ``code`` is one of

    - ``in_default``: it ends it at once: the notice's reason and the payment default on its
      day (amounts ``overdue`` since ``since``) give that right;
    - ``not_in_default``: a notice for that reason by that party ends it at once when there is
      a payment default, and there is none on that day;
    - ``no_such_right``: the convention gives that party no right to end it at once for that
      reason, in default or not (the same notice on a day of default would not either);
    - ``no_reason``: given without a reason, it runs its notice period;
    - ``no_effect``: the notice ends nothing (refused, void, or after the end).
    """

    code: str
    overdue: Decimal = ZERO
    since: dt.date | None = None


def _why(scenario: Scenario, party: str, on: dt.date, reason: str | None,
         fate: hypothesis.Fate) -> Why:
    if fate.outcome not in ("accepted", "superseded"):
        return Why("no_effect")
    owed = replay(hypothesis.known_on(scenario, on), until=on).overdue(on)
    total = sum((o.amount for o in owed), ZERO)
    since = owed[0].due_date if owed else None
    if fate.immediate:
        return Why("in_default", total, since)
    if reason is None:
        return Why("no_reason", total, since)
    if owed:  # in default on that day, and still not at once: the convention gives no such right
        return Why("no_such_right", total, since)
    at_once = _at_once_in_default(scenario, party, on, reason)
    if at_once is None:  # no default can be made up (nothing is ever due): the parameter says
        at_once = bool(rulesfile.in_force(rulesfile.of_scenario(scenario), scenario.overrides)
                       .with_amendments(e for e in scenario.events
                                        if e.type == "amendment" and e.date <= on)
                       .on(on).notice("immediate_on_default"))
    return Why("not_in_default" if at_once else "no_such_right")


def _at_once_in_default(scenario: Scenario, party: str, on: dt.date, reason: str) -> bool | None:
    """Would the same notice end the convention at once if nothing had been paid (a default on
    ``on`` whenever anything was due before it)? The replay of that hypothesis answers; None
    when nothing was due before ``on``, so that no default can be supposed."""
    known = hypothesis.known_on(scenario, on)
    unpaid = attrs.evolve(known, events=tuple(e for e in known.events
                                              if not isinstance(e, PaymentReceived)))
    t = replay(with_notice(unpaid, party, on, reason), until=on)
    if not t.overdue(on):
        return None
    return hypothesis.fate(t, party, on).immediate


def _received_by(scenario: Scenario, day: dt.date) -> Decimal:
    return sum((e.amount for e in scenario.events
                if isinstance(e, PaymentReceived) and e.date <= day), Decimal(0))


def whatif(scenario: Scenario, party: str, on: dt.date, reason: str | None = None,
           lang: str = "en") -> WhatIf:
    """Replay the baseline and the hypothesis over the same horizon, long enough to see the
    hypothetical last day's year. ``reason`` is the hypothetical notice's reason: one the rules
    file defines (its id, or its label in English or in ``lang``; the rules decide its effect).
    Raises ``ValueError`` for an unknown party or when ``on`` is before the start, and
    :class:`UnknownReason` for a reason the rules file does not define."""
    rules = rulesfile.of_scenario(scenario)
    parties = tuple(rules.parties)
    if party not in parties:
        raise ValueError(f"unknown party {party!r} (expected {' or '.join(parties)})")
    if on < scenario.start:
        raise ValueError(f"notice date {on} is before the start {scenario.start}")
    if reason:
        rid = rules.reason_of(reason, lang)
        if rid is None:
            accepted = tuple(dict.fromkeys(x for r, lab in rules.reasons.items()
                                           for x in (r, lab("en"), lab(lang))))
            raise UnknownReason(reason, accepted)
        reason = rid
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
    fate = hypothesis.fate(hypo, party, on)
    outcome = fate.outcome
    dropped: tuple[PaymentReceived, ...] = ()
    if outcome == "accepted":
        # Payments after the hypothetical last day would not have been made. Nothing on or before
        # the last day depends on them, so the termination and the outcome stay the same.
        # (hypothesis.fate says "accepted" only when the timeline has this notice's termination)
        assert hypo.termination is not None
        last_day = hypo.termination.last_day
        dropped = tuple(e for e in scenario.events if isinstance(e, PaymentReceived) and e.date > last_day)
        if dropped:
            gone = {id(e) for e in dropped}
            hypo_s = attrs.evolve(hypo_s, events=tuple(e for e in hypo_s.events if id(e) not in gone))
            hypo = replay(hypo_s, until=until)
            fate = hypothesis.fate(hypo, party, on)
            outcome = fate.outcome
    r = hypo.termination
    settlement = None if r is None else Settlement.of(hypo, _received_by(hypo_s, r.last_day))
    last = r or base.termination
    year = last.last_day.year if last is not None else on.year
    why = _why(scenario, party, on, reason, fate)
    return WhatIf(party, on, year, outcome, base, hypo, reason=reason, dropped=dropped,
                  settlement=settlement, why=why)
