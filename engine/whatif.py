"""What if a party gave notice on a date? The scenario replayed with one more notice, beside the
baseline (SPEC section 7, `convention whatif`). Pure: scenarios in, timelines out."""

from __future__ import annotations

import datetime as dt

import attrs

from . import rulesfile
from .deadlines import Knowledge
from .events import NoticeReceived, Receipt, Scenario
from .replay import replay
from .timeline import Contribution, Timeline, YearTotal

OUTCOMES = ("accepted", "superseded", "refused", "void", "no_effect")
HYPOTHESIS_LINE = -1


@attrs.frozen
class WhatIf:
    party: str
    on: dt.date
    year: int  # the year compared: the year of the hypothetical (else baseline) last day, else of `on`
    outcome: str  # accepted | superseded | refused | void | no_effect (see OUTCOMES)
    baseline: Timeline
    hypothesis: Timeline

    def contributions(self) -> tuple[Contribution | None, Contribution | None]:
        """The compared year's (first) call, in the baseline and in the hypothesis."""
        return self.baseline.contribution(self.year), self.hypothesis.contribution(self.year)

    def year_totals(self) -> tuple[YearTotal | None, YearTotal | None]:
        """The compared year's calls added up (quarters, months), baseline and hypothesis."""
        return self.baseline.year_total(self.year), self.hypothesis.year_total(self.year)


def with_notice(scenario: Scenario, party: str, on: dt.date) -> Scenario:
    """``scenario`` plus a notice by ``party`` received by all its required recipients on ``on``
    (the recipients in force on ``on``, with the amendments known by then)."""
    recipients = Knowledge(scenario, on).params_on(on).recipients[party]
    seq = max((e.seq for e in scenario.events), default=-1) + 1
    # line -1 marks the hypothetical notice (a scenario given as a mapping has line 0 everywhere)
    notice = NoticeReceived(date=on, line=HYPOTHESIS_LINE, seq=seq, by=party,
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


def whatif(scenario: Scenario, party: str, on: dt.date) -> WhatIf:
    """Replay the baseline and the hypothesis over the same horizon, long enough to see the
    hypothetical last day's year. Raises ``ValueError`` when ``on`` is before the start."""
    parties = tuple(rulesfile.of_scenario(scenario).parties)
    if party not in parties:
        raise ValueError(f"unknown party {party!r} (expected {' or '.join(parties)})")
    if on < scenario.start:
        raise ValueError(f"notice date {on} is before the start {scenario.start}")
    hypo_s = with_notice(scenario, party, on)
    base = replay(scenario)
    until = max(base.horizon, on)
    hypo = replay(hypo_s, until=until)
    if hypo.termination is not None and hypo.termination.last_day.year > until.year:
        until = dt.date(hypo.termination.last_day.year, 12, 31)
        hypo = replay(hypo_s, until=until)
    if until != base.horizon:
        base = replay(scenario, until=until)
    last = hypo.termination or base.termination
    year = last.last_day.year if last is not None else on.year
    return WhatIf(party, on, year, _outcome(hypo, party, on), base, hypo)
