"""A live `engine.Session` fed one event at a time (issue #3, item 5).

The machine keeps the document it has applied so far; after each step the session's timeline must
satisfy the invariants and equal a fresh replay of a scenario holding the same events.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import engine
from tests import invariants as inv
from tests.strategies import (agents_counts, amounts, consultation_counts, overrides, receipts,
                              start_dates)

# Many steps, each replayed twice: long (the fast loop, `-m "not slow"`, leaves it to CI).
pytestmark = pytest.mark.slow

# Each step replays twice (session and fresh): keep the run short so that CI stays fast.
_base = settings()
STATEFUL = settings(max_examples=max(5, _base.max_examples // 5), stateful_step_count=20,
                    deadline=None)

steps = st.integers(0, 200)  # days moved forward by a step (0: same day)


class SessionMachine(RuleBasedStateMachine):
    @initialize(start=start_dates(), agents=agents_counts(),
                counts=st.dictionaries(st.integers(-4, 0), consultation_counts(), max_size=3),
                over=st.one_of(st.none(), overrides()),
                horizon=st.one_of(st.none(), st.integers(0, 8 * 366)))
    def begin(self, start, agents, counts, over, horizon):
        self.doc = {"scenario": 1, "convention": "cdg62-demat", "name": "Session", "start": start,
                    "member": {"agents": agents}, "events": []}
        if counts:
            self.doc["consultations"] = {start.year + k: v for k, v in sorted(counts.items())}
        if over:
            self.doc["overrides"] = over
        if horizon is not None:
            self.doc["horizon"] = start + dt.timedelta(days=horizon)
        self.session = engine.Session(engine.load_scenario({**self.doc, "events": []}))
        self.today = start
        self.timeline = self.session.timeline()

    def _apply(self, ev: dict) -> None:
        self.session.apply(ev)
        self.doc["events"].append(ev)
        self.timeline = self.session.timeline()

    def _advance(self, days: int) -> dt.date:
        self.today += dt.timedelta(days=days)
        return self.today

    @rule(days=steps, amount=amounts())
    def payment(self, days, amount):
        self._apply({"date": self._advance(days), "type": "payment", "amount": amount})

    @rule(days=steps, back=st.integers(0, 3), count=consultation_counts())
    def consultations(self, days, back, count):
        day = self._advance(days)
        self._apply({"date": day, "type": "consultations", "year": day.year - back, "count": count})

    @rule(days=steps, count=agents_counts())
    def agents(self, days, count):
        self._apply({"date": self._advance(days), "type": "agents", "count": count})

    @rule(days=steps, by=st.sampled_from(["member", "cdg"]), data=st.data(),
          reason=st.sampled_from([None, "non_payment", "other"]))
    def notice(self, days, by, data, reason):
        day = self._advance(days)
        to = ["cdg", "archives"] if by == "member" else ["member"]
        received = {r: data.draw(receipts(day), label=f"receipt {r}") for r in to}
        ev = {"date": day, "type": "notice", "by": by, "received": received}
        if reason:
            ev["reason"] = reason
        self._apply(ev)

    @rule(days=steps, step=st.sampled_from(["opened", "settled", "referred"]))
    def dispute(self, days, step):
        self._apply({"date": self._advance(days), "type": "dispute", "step": step})

    @invariant()
    def timeline_holds(self):
        tl = self.timeline
        inv.check_periods_cover(tl)
        inv.check_states_monotone(tl)
        inv.check_money_conserved(self.doc, tl)
        inv.check_balance(tl)

    @invariant()
    def session_equals_fresh_replay(self):
        fresh = engine.replay(engine.load_scenario(self.doc))
        inv.check_same_timeline(self.timeline, fresh, f"session after {len(self.doc['events'])} events")


SessionMachine.TestCase.settings = STATEFUL
TestSession = SessionMachine.TestCase
