"""Questions put to the engine as hypotheses: the scenario as known on a day, plus one notice
that was not given, replayed; and what the replay made of that notice, read from its structured
entries (kinds, rule ids, detail fields), never from a message's words.

`whatif` and `deadlines` ask their questions this way, so that they answer what the rules decide
(docs/spec.md section 7) rather than working the decision out again beside them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ..conventions import rulesfile
from ..core.events import NoticeReceived, Receipt, Scenario

# The line of the hypothetical notice: no line of a file (a scenario given as a mapping has line 0).
HYPOTHESIS_LINE = -1

OUTCOMES = ("accepted", "superseded", "refused", "void", "no_effect")


def known_on(scenario: Scenario, day: dt.date) -> Scenario:
    """``scenario`` as known on ``day``: its events dated on or before it (a fact learned later,
    such as a payment, a count or an amendment signed after ``day``, is not known)."""
    return attrs.evolve(scenario, events=tuple(e for e in scenario.events if e.date <= day))


def with_notice(scenario: Scenario, party: str, on: dt.date, reason: str | None = None) -> Scenario:
    """``scenario`` plus a notice by ``party`` (for ``reason``, if given) received by all its
    required recipients on ``on`` (the recipients in force on ``on``, with the amendments signed
    by then)."""
    rules = rulesfile.of_scenario(scenario)
    p = rulesfile.in_force(rules, scenario.overrides).with_amendments(
        e for e in scenario.events if e.type == "amendment" and e.date <= on)
    recipients = p.on(on).recipients[party]
    seq = max((e.seq for e in scenario.events), default=-1) + 1
    notice = NoticeReceived(date=on, line=HYPOTHESIS_LINE, seq=seq, by=party, reason=reason,
                            received=tuple((r, Receipt(delivered=on)) for r in recipients))
    return attrs.evolve(scenario, events=scenario.events + (notice,))


@attrs.frozen
class Fate:
    """What became of the hypothetical notice in a replay.

    ``outcome``: ``accepted`` (it is the termination that rules at the end of the replay),
    ``superseded`` (accepted, or ranked, and displaced by an earlier end), ``refused``,
    ``no_effect`` (the convention had already ended), ``void`` (no rule gave it any effect).
    ``last_day``: the last day the rules gave it (None: none was recorded); ``immediate``: it
    ended the convention at once; ``rule``: the rule that decided it (None: none recorded)."""

    outcome: str
    last_day: dt.date | None = None
    immediate: bool = False
    rule: str | None = None


_KINDS = {"termination_scheduled": "superseded", "notice_superseded": "superseded",
          "notice_refused": "refused"}


def fate(t: Any, party: str, on: dt.date) -> Fate:
    """The :class:`Fate` of the hypothetical notice by ``party`` given on ``on`` in timeline ``t``
    (a notice accepted when processed and displaced later by an earlier-ending one is
    ``superseded``)."""
    first = None
    for e in t.entries:
        if (e.date == on and e.kind in _KINDS and e.detail.get("line") == HYPOTHESIS_LINE
                and e.detail.get("by") == party and e.detail.get("notified") is not None):
            first = e
            break
    r = t.termination
    if first is not None:
        last = first.detail.get("last_day")
        immediate = bool(first.detail.get("immediate", False))
        if (first.kind == "termination_scheduled" and r is not None and r.by == party
                and r.notified == first.detail.get("notified")):
            return Fate("accepted", last, immediate, first.rule)
        return Fate(_KINDS[first.kind], last, immediate, first.rule)
    if any(d.date == on and d.code == "event_after_termination"
           and d.values.get("line") == HYPOTHESIS_LINE for d in t.diagnostics):
        return Fate("no_effect")
    return Fate("void")
