"""The replay: a fold over an agenda of dated events, decisions taken by durable_rules.

The driver owns simulated time. It keeps an agenda (a heap ordered by date, phase of the day and
sequence) of the scenario's events and of the events rules schedule (term ends, calls, due dates,
last days). For each one it computes the figures a decision needs (dates as dates, amounts as
Decimal), posts a flat decision event to the rules engine (:mod:`engine.rulecore`), and carries
out the consequence named by the rule that fired (its `do` in the rules file). Consequences
record timeline entries and schedule what follows; they never choose between outcomes: that is
what the rules do.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
from decimal import Decimal
from typing import Any, Callable

import attrs

from . import dates, money, params as P, rulesfile
from .events import (
    PHASE_C,
    AgentsCounted,
    AmendmentSigned,
    ConsultationsCounted,
    DisputeStep,
    Event,
    NoticeReceived,
    PaymentReceived,
    Scenario,
    Signed,
    thaw,
)
from .errors import ScenarioError
from .rulecore import CATCH_ALL, Decider
from .timeline import Contribution, Diagnostic, Entry, Period, Termination, Timeline

# Phases of a day (SPEC 5.12).
PH_TERMINATE, PH_PERIOD_END, PH_C, PH_CALL, PH_CHECK, PH_F, PH_G = 1, 2, 3, 4, 5, 6, 7
FAR = dt.date.max


def default_horizon(s: Scenario, initial: Any) -> dt.date:
    """31 December of the year after the later of the last event and the initial term's end."""
    last = dates.term_end(s.start, initial)
    for e in s.events:
        last = max(last, e.date)
    return dt.date(last.year + 1, 12, 31)


@attrs.define
class _Charge:
    due_date: dt.date
    amount: Decimal
    covered: Decimal = money.ZERO


@attrs.define
class _Year:
    year: int
    called_on: dt.date
    covered_days: int
    year_days: int
    agents: int
    stand_in: int | None
    read_from: tuple = (None, None)  # (year, count) of the consultations the band was read from
    band: int = 1
    column: str = "small"
    annual: Decimal = money.ZERO
    due: Decimal = money.ZERO
    paid: Decimal = money.ZERO
    charges: list[_Charge] = attrs.Factory(list)


@attrs.define
class _Ruling:
    """The termination that rules (a notice, or the expiry)."""

    by: str
    notified: dt.date | None
    last_day: dt.date
    immediate: bool
    rule: str
    generation: int
    refund_point: bool = False  # the last day's prorata has been applied (or is due now)


@attrs.frozen
class _Figures:
    band: int
    column: str
    annual: Decimal
    due: Decimal
    basis: str  # known | estimated | unknown
    count: int | None
    stand_in: int | None
    source: int | None  # the year whose count the band was read from


_BASES: dict[tuple, tuple] = {}


def _base_params(rules: rulesfile.RulesFile, overrides: Any) -> tuple[dict, P.Params]:
    """The rules file's parameters with the scenario's overrides: computed once per pair."""
    key = (rules.path, json.dumps(thaw(overrides), sort_keys=True, default=str))
    hit = _BASES.get(key)
    if hit is None:
        tree = P.deep_merge(thaw(rules.tree), thaw(overrides))
        hit = (tree, P.Params.from_tree(tree))
        if len(_BASES) > 256:  # many distinct overrides: keep the cache small
            _BASES.clear()
        _BASES[key] = hit
    return hit


class Replay:
    """One replay of one scenario. Not shared between threads; use :func:`replay`."""

    def __init__(self, scenario: Scenario, until: dt.date | None = None):
        self.s = scenario
        self.rules = rulesfile.load(scenario.rules_path or rulesfile.find(scenario.convention))
        self.catalogue = self.rules.catalogue
        self.base_tree, self.base = _base_params(self.rules, scenario.overrides)
        self.start = scenario.start
        self.initial_end = dates.term_end(self.start, self.base.initial)
        self.horizon = until or scenario.horizon or default_horizon(scenario, self.base.initial)
        if self.horizon < self.start:
            raise ScenarioError(scenario.source, 0,
                                f"the horizon {self.horizon} is before the start {self.start}")
        # The last day of the last period when the convention cannot go on for ever.
        self.final_end = self._final_end()

        self.today = dt.date.min
        self._agenda: list = []
        self._order = itertools.count()
        self._checks: set[dt.date] = set()
        self.entries: list[Entry] = []
        self.diagnostics: list[Diagnostic] = []

        self.counts: dict[int, int] = dict(scenario.consultations)
        self.agents = scenario.agents
        self.amendments: list[AmendmentSigned] = []
        self._param_cache: dict[tuple, P.Params] = {}
        self.years: dict[int, _Year] = {}
        self.received = money.ZERO
        self.unallocated = money.ZERO
        self.standing = "current"
        self.standing_changes: list[tuple[dt.date, str]] = []
        self.ruling: _Ruling | None = None
        self.first_notified: dt.date | None = None
        self.terminated = False
        # An amicable attempt opened and not yet followed by a referral (Art. 6: each referral
        # to the court comes after its own attempt).
        self.amicable_attempt = False
        self._generation = 0
        self._actions: dict[str, Callable] = {
            "started": self._started, "terminated": self._terminated, "expire": self._expire,
            "renew": self._renew, "after_termination": self._after_termination,
            "record_agents": self._record_agents, "record_count": self._record_count,
            "amend": self._amend, "call": self._call, "overdue": self._overdue,
            "cured": self._cured, "payment": self._payment, "notice_void": self._notice_void,
            "terminate_now": self._terminate_now, "supersede_newcomer": self._supersede_newcomer,
            "refuse_notice": self._refuse_notice, "unfounded": self._unfounded,
            "schedule_termination": self._schedule_termination, "adjust": self._adjust,
            "documents": self._documents, "dispute": self._dispute, "signed": self._signed,
        }

    # ------------------------------------------------------------------ parameters

    def params_on(self, day: dt.date) -> P.Params:
        """Rules file, overrides, then the known amendments effective on ``day`` (SPEC 5.9)."""
        active = [a for a in self.amendments if a.effective <= day]
        if not active:
            return self.base
        active.sort(key=lambda a: (a.effective, a.date, a.seq))
        key = tuple(id(a) for a in active)
        p = self._param_cache.get(key)
        if p is None:
            trees = []
            for a in active:
                t = thaw(a.set)
                t.pop("term", None)  # amendments of term.* are not supported (SPEC 5.9)
                trees.append(t)
            tree = self.base_tree
            for t in trees:
                tree = P.deep_merge(tree, t)
            p = P.Params.from_tree(tree)
            self._param_cache[key] = p
        return p

    def _final_end(self) -> dt.date | None:
        b = self.base
        if b.renewal == "none":
            return self.initial_end
        if b.renewal == "periodic" and b.max_renewals is not None:
            return dates.period_end(self.start, b.initial, b.renewal_period, b.max_renewals)
        return None

    def period_ends(self):
        """Last days of the successive periods (0: the initial term)."""
        b = self.base
        yield self.initial_end
        if b.renewal != "periodic":
            return
        k = 1
        while b.max_renewals is None or k <= b.max_renewals:
            yield dates.period_end(self.start, b.initial, b.renewal_period, k)
            k += 1

    # ------------------------------------------------------------------ agenda

    def _push(self, day: dt.date, phase: int, kind: str, payload: Any = None) -> None:
        if day > self.horizon:
            return
        heapq.heappush(self._agenda, (day, phase, next(self._order), kind, payload))
        self._ensure_check(day)

    def _ensure_check(self, day: dt.date) -> None:
        """Phase (e) runs on every day the replay visits (SPEC 5.12)."""
        if day not in self._checks and day <= self.horizon:
            self._checks.add(day)
            heapq.heappush(self._agenda, (day, PH_CHECK, next(self._order), "check", None))

    def run(self) -> Timeline:
        self.decider = Decider(self.catalogue)
        try:
            return self._run()
        finally:
            self.decider.close()

    def _run(self) -> Timeline:
        for e in sorted(self.s.events, key=lambda e: (e.date, e.seq)):
            if e.date > self.horizon:
                self._diag(e.date, "event_beyond_horizon",
                           f"{e.type} event of {e.date} is after the horizon {self.horizon}: ignored",
                           level="info")
                continue
            self._push(e.date, PH_C if e.type in PHASE_C else PH_F, "event", e)
        self._push(self.start, 0, "start")
        while self._agenda:
            day, phase, _, kind, payload = heapq.heappop(self._agenda)
            if day != self.today:
                self._end_of_day()
                self.today = day
            getattr(self, "_item_" + kind)(payload)
        self._end_of_day()
        return self._timeline()

    def _end_of_day(self) -> None:
        if self.today == dt.date.min:
            return
        last = self.standing_changes[-1][1] if self.standing_changes else "current"
        if self.standing != last:
            self.standing_changes.append((self.today, self.standing))

    def _decide(self, t: str, ctx: Any = None, **fields: Any) -> None:
        rule = self.decider.decide(dict(fields, t=t))
        if rule == CATCH_ALL:
            return
        self._rule = rule
        self._actions[self.catalogue[rule]["do"]](ctx)

    # ------------------------------------------------------------------ records

    def _entry(self, kind: str, detail: dict | None = None, rule: str | None = None) -> None:
        rule = rule or self._rule
        self.entries.append(Entry(self.today, kind, rule, self.catalogue[rule]["article"], detail or {}))

    def _diag(self, day: dt.date, code: str, message: str, level: str = "warning") -> None:
        self.diagnostics.append(Diagnostic(day, level, code, message))

    # ------------------------------------------------------------------ agenda items

    def _item_start(self, _: Any) -> None:
        self._decide("start")

    def _item_terminate(self, generation: int) -> None:
        if self.ruling and self.ruling.generation == generation and not self.terminated:
            self._decide("terminate")

    def _item_period_end(self, k: int) -> None:
        if self.terminated:
            return
        self._decide("period_end", k, renewal=self.base.renewal, can_renew=self.can_renew_after(k))

    def can_renew_after(self, k: int) -> bool:
        """Whether period k (0: the initial term) may be followed by a tacit renewal."""
        b = self.base
        return b.renewal == "indefinite" or (
            b.renewal == "periodic" and (b.max_renewals is None or k < b.max_renewals))

    def _item_call(self, year: int) -> None:
        if self.terminated:
            return
        self._decide("call", year)

    def _item_check(self, _: Any) -> None:
        self._check_standing(overdue_check=True)

    def _item_event(self, e: Event) -> None:
        getattr(self, "_event_" + e.type)(e)

    def _item_refund(self, generation: int) -> None:
        if self.ruling and self.ruling.generation == generation:
            self.ruling.refund_point = True
            self._reconcile()

    def _item_documents(self, generation: int) -> None:
        if self.ruling and self.ruling.generation == generation:
            self._decide("documents", by=self.ruling.by)

    # ------------------------------------------------------------------ scenario events

    def _event_payment(self, e: PaymentReceived) -> None:
        self._decide("payment", e)

    def _event_consultations(self, e: ConsultationsCounted) -> None:
        self._decide("consultations", e)

    def _event_agents(self, e: AgentsCounted) -> None:
        self._decide("agents", e, after_termination=self.terminated)

    def _event_amendment(self, e: AmendmentSigned) -> None:
        self._decide("amendment", e, after_termination=self.terminated,
                     touches_term="term" in e.set)

    def _event_dispute(self, e: DisputeStep) -> None:
        self._decide("dispute", e, step=e.step, opened_before=self.amicable_attempt)

    def _event_signed(self, e: Signed) -> None:
        self._decide("signed", e, after_termination=self.terminated)

    def _event_notice(self, e: NoticeReceived) -> None:
        if self.terminated:
            self._decide("notice", e, after_termination=True)
            return
        n = self._notice_figures(e)
        f = n["fields"]
        if not f["void"]:
            self._decide("notice_reason", e, by=e.by, non_payment=f["non_payment"],
                         in_default_at_n=f["in_default_at_n"])
        self._decide("notice", (e, n), **f)

    def _notice_figures(self, e: NoticeReceived) -> dict:
        """Everything a notice decision needs: N, its last day, and the flags rules test."""
        at_event = self.params_on(e.date)
        required = at_event.recipients[e.by]
        given = dict(e.received)
        counted: dict[str, dt.date] = {}
        missing = []
        for r in required:
            rec = given.get(r)
            day = None
            if rec is not None:
                if rec.delivered is not None:
                    day = rec.delivered
                elif rec.unclaimed and at_event.unclaimed == "first_presentation":
                    day = rec.presented
            if day is None:
                missing.append(r)
            else:
                counted[r] = day
        void = not counted or (bool(missing) and at_event.missing_recipient == "void")
        out: dict[str, Any] = {"missing": missing, "counted": counted}
        fields: dict[str, Any] = {"by": e.by, "void": void,
                                  "non_payment": e.reason == "non_payment"}
        out["fields"] = fields
        if void:
            return out
        n = max(counted.values()) if at_event.runs_from == "last_recipient" else min(counted.values())
        out["before_start"] = n < self.start
        n = max(n, self.start)
        p = self.params_on(n)
        raw, last, refused, beyond = self.notice_last_day(e.by, n)
        key = (last or FAR, n)
        r = self.ruling
        fields.update(
            immediate_on_default=p.immediate_on_default,
            in_default_at_n=self._standing_at(n) == "in_default",
            beyond_expiry=beyond,
            refused=refused,
            loses=r is not None and key >= (r.last_day, r.notified),
            loses_immediate=r is not None and (n, n) >= (r.last_day, r.notified),
        )
        out.update(notified=n, last_day=last, raw_last_day=raw, period=p.notice_periods[e.by])
        return out

    def notice_last_day(self, by: str, n: dt.date) -> tuple:
        """The last day of a notice by ``by`` notified ``n``, in the order of SPEC 5.2.

        Returns ``(N + P, last day or None when no period ends late enough, refused, beyond the
        expiry)``; the parameters are those of N.
        """
        p = self.params_on(n)
        raw = last = dates.notice_last_day(n, p.notice_periods[by])
        if p.extend_to_working_day:
            last = dates.next_working_day(last)
        if p.effect == "at_period_end":
            last = self.at_period_end(last)
        refused = False
        if last is not None and last < self.initial_end:
            if p.within_initial_term == "postponed":
                last = self.initial_end
            elif p.within_initial_term == "refused":
                refused = True
        beyond = last is None or (self.final_end is not None and last > self.final_end)
        return raw, last, refused, beyond

    def at_period_end(self, day: dt.date) -> dt.date | None:
        """End of the first period that ends on or after ``day`` (None: none does)."""
        if self.base.renewal == "indefinite":
            return self.initial_end if self.initial_end >= day else day
        for end in self.period_ends():
            if end >= day:
                return end
        return None

    def _standing_at(self, day: dt.date) -> str:
        """Standing when processing a notice notified ``day``: now if today, else end of that day."""
        if day >= self.today:
            return self.standing
        return self._standing_end_of(day)

    def _standing_end_of(self, day: dt.date) -> str:
        """The standing recorded at the end of ``day`` (the last change on or before it)."""
        result = "current"
        for d, st in self.standing_changes:
            if d > day:
                break
            result = st
        return result

    # ------------------------------------------------------------------ consequences

    def _started(self, _: Any) -> None:
        self._entry("started", {"initial_term_ends": self.initial_end,
                                "renewal": self.base.renewal})
        self._push(self.start, PH_CALL, "call", self.start.year)
        self._push(self.initial_end + dates.ONE_DAY, PH_PERIOD_END, "period_end", 0)

    def _renew(self, k: int) -> None:
        b = self.base
        detail: dict[str, Any] = {"renewal": k + 1, "previous_period_ended": self.today - dates.ONE_DAY}
        if b.renewal == "periodic":
            end = dates.period_end(self.start, b.initial, b.renewal_period, k + 1)
            detail["period_ends"] = end
            self._push(end + dates.ONE_DAY, PH_PERIOD_END, "period_end", k + 1)
        else:
            detail["duration"] = "indeterminate"
        self._entry("renewed", detail)

    def _expire(self, k: int) -> None:
        last = self.today - dates.ONE_DAY
        self._generation += 1
        self.ruling = _Ruling("expiry", None, last, False, self._rule, self._generation, True)
        self.terminated = True
        self._entry("expired", {"last_day": last, "renewals": k})

    def _terminated(self, _: Any) -> None:
        r = self.ruling
        self.terminated = True
        detail = {"by": r.by, "last_day": r.last_day}
        if r.last_day + dates.ONE_DAY != self.today:
            detail["terminated_from"] = r.last_day + dates.ONE_DAY
        self._entry("terminated", detail)

    def _after_termination(self, e: Event) -> None:
        self._diag(self.today, "event_after_termination",
                   f"{e.type} event of {e.date} (line {e.line}) comes after the termination: no effect")

    def _record_agents(self, e: AgentsCounted) -> None:
        self.agents = e.count
        self._entry("agents_recorded", {"agents": e.count})

    def _record_count(self, e: ConsultationsCounted) -> None:
        previous = self.counts.get(e.year)
        self.counts[e.year] = e.count
        detail: dict[str, Any] = {"year": e.year, "count": e.count}
        if previous is not None:
            detail["previous"] = previous
        self._entry("consultations_recorded", detail)
        self._reconcile()

    def _amend(self, e: AmendmentSigned) -> None:
        self.amendments.append(e)
        self._entry("amendment_recorded", {"ref": e.ref, "effective": e.effective,
                                           "set": thaw(e.set)})
        if "term" in e.set:
            self._diag(self.today, "amendment_ineffective",
                       f"amendment {e.ref or ''} (line {e.line}) changes term.*, which this version "
                       "does not support: that part has no effect".replace("  ", " "))
        self._reconcile()

    # -- contributions

    def _known_end(self) -> dt.date:
        end = FAR
        if self.final_end is not None:
            end = self.final_end
        if self.ruling is not None:
            end = min(end, self.ruling.last_day)
        return end

    def _figures(self, y: _Year, covered: int, p: P.Params) -> _Figures:
        basis_year = y.year - 1 if p.band_basis == "previous_year" else y.year
        if basis_year in self.counts:
            count, basis, stand_in, source = self.counts[basis_year], "known", None, basis_year
        elif y.stand_in is not None and y.stand_in in self.counts:
            count, basis, stand_in, source = self.counts[y.stand_in], "estimated", y.stand_in, y.stand_in
        else:
            count, basis, stand_in, source = None, "unknown", None, None
        g = p.grid
        band = 1 if count is None else g.band(count)
        column = g.column(y.agents)
        annual = g.amount(column, band)
        if covered <= 0:
            due = money.ZERO
        elif p.prorata == "none":
            due = annual
        else:
            due = money.round_cent(annual * covered / y.year_days)
        return _Figures(band, column, annual, due, basis, count, stand_in, source)

    def _call(self, year: int) -> None:
        first = max(self.start, dt.date(year, 1, 1))
        last = min(dt.date(year, 12, 31), self._known_end())
        covered = dates.days_between(first, last)
        if covered <= 0:
            return
        p = self.params_on(self.today)
        basis_year = year - 1 if p.band_basis == "previous_year" else year
        stand_in = None
        if basis_year not in self.counts:
            earlier = [k for k in self.counts if k < basis_year]
            stand_in = max(earlier) if earlier else None
        y = _Year(year, self.today, covered, dates.year_days(year), self.agents, stand_in)
        f = self._figures(y, covered, p)
        y.band, y.column, y.annual, y.due = f.band, f.column, f.annual, f.due
        y.read_from = (f.source, f.count)
        due_date = self.today + p.payment_term
        y.charges.append(_Charge(due_date, f.due))
        self.years[year] = y
        self._entry("contribution_called", {
            "year": year, "band": f.band, "column": f.column, "annual": f.annual,
            "covered_days": covered, "year_days": y.year_days, "due": f.due,
            "due_date": due_date, "basis_year": basis_year,
            "basis_count": f.count, "agents": y.agents})
        self._volume_diagnostics(y, f, basis_year)
        self._boundary_diagnostics(y, f, p)
        self._ensure_check(due_date + dates.ONE_DAY)
        self._push(dt.date(year + 1, 1, 1), PH_CALL, "call", year + 1)
        self._allocate()

    def _volume_diagnostics(self, y: _Year, f: _Figures, basis_year: int) -> None:
        if f.basis == "estimated":
            self._diag(self.today, "volume_estimated",
                       f"{y.year}: the {basis_year} consultations count is not known; "
                       f"the {f.stand_in} count ({f.count}) stands in (band {f.band})")
        elif f.basis == "unknown":
            self._diag(self.today, "volume_unknown",
                       f"{y.year}: no consultations count is known; band 1 until one arrives")

    def _boundary_diagnostics(self, y: _Year, f: _Figures, p: P.Params) -> None:
        """Annex 1 puts 150 and 250 in two bands and 350 agents in neither column: the other
        reading of a listed count c is the band of c + 1 (of agents a, the column of a + 1)."""
        self._band_boundary(y, f, p)
        self._agents_boundary(y, f, p)

    def _band_boundary(self, y: _Year, f: _Figures, p: P.Params) -> None:
        g = p.grid
        if f.count is not None and f.count in g.ambiguous_consultations:
            band = g.band(f.count + 1)
            other = g.amount(f.column, band)
            if other != f.annual:
                self._diag(self.today, "ambiguous_boundary",
                           f"{y.year}: {f.count} consultations read as band {f.band} "
                           f"({money.fmt(f.annual)}); the other reading, band {band}, "
                           f"gives {money.fmt(other)}")

    def _agents_boundary(self, y: _Year, f: _Figures, p: P.Params) -> None:
        g = p.grid
        if y.agents in g.ambiguous_agents:
            column = g.column(y.agents + 1)
            other = g.amount(column, f.band)
            if other != f.annual:
                self._diag(self.today, "ambiguous_boundary",
                           f"{y.year}: {y.agents} agents read as column {f.column} "
                           f"({money.fmt(f.annual)}); the other reading, {column}, gives {money.fmt(other)}")

    def _target_covered(self, y: _Year) -> tuple[int, str | None]:
        """Covered days a year should now have, and why it changed (None: unchanged)."""
        r = self.ruling
        if r is None or r.by == "expiry" or not r.refund_point:
            return y.covered_days, None
        if y.year > r.last_day.year:
            return (0, "late_fact") if y.covered_days else (0, None)
        if y.year == r.last_day.year:
            p = self.params_on(r.last_day)
            if p.refund_unused and p.prorata == "days":
                first = max(self.start, dt.date(y.year, 1, 1))
                cov = dates.days_between(first, r.last_day)
                if cov < y.covered_days:
                    return cov, "refund"
        return y.covered_days, None

    def _reconcile(self) -> None:
        """Recompute every called year from its figures; adjust the ones that changed.

        Money is reallocated and the standing checked once all years are adjusted, so that a
        fact that changes several years never shows a default that exists only halfway through.
        """
        changed = False
        for year in sorted(self.years):
            y = self.years[year]
            covered, cause = self._target_covered(y)
            p = self.params_on(y.called_on)
            f = self._figures(y, covered, p)
            read_from = (f.source, f.count)
            recount = read_from != y.read_from
            if f.due == y.due:
                # Nothing owed changes (a free column, an equal amount): figures follow silently.
                y.band, y.column, y.annual, y.covered_days = f.band, f.column, f.annual, covered
            else:
                if cause is None:
                    cause = "band" if f.band != y.band else "late_fact"
                self._decide("adjust", (y, covered, f), cause=cause)
                changed = True
            y.read_from = read_from
            if recount:
                self._band_boundary(y, f, p)
        if changed:
            self._allocate()
            self._check_standing()

    def _adjust(self, ctx: tuple) -> None:
        y, covered, f = ctx
        before = y.due
        diff = f.due - before
        p = self.params_on(self.today)
        if diff > 0:
            due_date = self.today + p.payment_term
            y.charges.append(_Charge(due_date, diff))
            self._ensure_check(due_date + dates.ONE_DAY)
        elif diff < 0:
            cut = -diff
            for c in sorted(y.charges, key=lambda c: c.due_date, reverse=True):
                take = min(cut, c.amount)
                c.amount -= take
                cut -= take
                if not cut:
                    break
        detail = {"year": y.year, "from": before, "to": f.due, "band": f.band,
                  "column": f.column, "annual": f.annual, "covered_days": covered}
        if self.ruling is not None and self._rule != "annex1.band_correction":
            detail["last_day"] = self.ruling.last_day
        if f.band != y.band:
            detail["previous_band"] = y.band
        if f.count is not None:
            detail["basis_count"] = f.count
        y.band, y.column, y.annual, y.due, y.covered_days = f.band, f.column, f.annual, f.due, covered
        self._entry("contribution_adjusted", detail)

    # -- money

    def _allocate(self) -> None:
        """All money received goes to the called years oldest first; pure, recomputed each time.

        Years are called in order and a year's charges are added in due-date order (a call,
        then increases due later), so both are walked as stored.
        """
        remaining = self.received
        if not self.years:
            self.unallocated = remaining
            return
        self.unallocated = money.ZERO
        zero = money.ZERO
        y = None
        for y in self.years.values():
            paid = zero
            for c in y.charges:
                take = c.amount if remaining >= c.amount else remaining
                c.covered = take
                paid += take
                remaining -= take
            y.paid = paid
        y.paid += remaining

    def _overdue(self, _: Any) -> None:
        self.standing = "in_default"
        owed = self._overdue_amount()
        self._entry("payment_overdue", {"overdue": owed})

    def _cured(self, _: Any) -> None:
        self.standing = "current"
        self._entry("default_cured", {})

    def _overdue_amount(self) -> Decimal:
        return sum((c.amount - c.covered for y in self.years.values() for c in y.charges
                    if c.due_date < self.today and c.covered < c.amount), money.ZERO)

    def _any_overdue(self) -> bool:
        today = self.today
        for y in self.years.values():
            for c in y.charges:
                if c.due_date < today and c.covered < c.amount:
                    return True
        return False

    def _check_standing(self, overdue_check: bool = False) -> None:
        """Ask the rules about the standing when it may change: a default starts only in the
        day's phase (e) (``overdue_check``); a cure whenever money or a lower due covers all."""
        in_default = self.standing == "in_default"
        if not in_default and not overdue_check:
            return
        overdue = self._any_overdue()
        if overdue != in_default:
            self._decide("standing", overdue=overdue, in_default=self.standing == "in_default")

    def _payment(self, e: PaymentReceived) -> None:
        self.received += e.amount
        self._allocate()
        self._entry("payment_received", {"amount": e.amount})
        self._check_standing()

    # -- notices

    def _notice_diagnostics(self, e: NoticeReceived, n: dict) -> None:
        if n["missing"]:
            self._diag(self.today, "notice_missing_recipient",
                       f"notice by {e.by} (line {e.line}) has not reached: {', '.join(n['missing'])}")
        if n.get("before_start"):
            self._diag(self.today, "notice_before_start",
                       f"notice by {e.by} (line {e.line}) was notified before the start: it counts from {self.start}")

    def _unfounded(self, e: NoticeReceived) -> None:
        self._diag(self.today, "non_payment_unfounded",
                   f"notice by cdg for non-payment (line {e.line}): the member is not in payment "
                   "default, the notice runs its normal period")

    def _notice_void(self, ctx: tuple) -> None:
        e, n = ctx
        self._notice_diagnostics(e, n)

    def _notice_detail(self, e: NoticeReceived, n: dict) -> dict:
        return {"by": e.by, "notified": n["notified"], "last_day": n["last_day"],
                "line": e.line, "reason": e.reason}

    def _supersede_newcomer(self, ctx: tuple) -> None:
        e, n = ctx
        self._notice_diagnostics(e, n)
        detail = self._notice_detail(e, n)
        if self.ruling is not None and self._rule == "art5.notice_ranking":
            detail["ruling_last_day"] = self.ruling.last_day
        self._entry("notice_superseded", detail)
        self._diag(self.today, "notice_superseded",
                   f"notice by {e.by} (line {e.line}) has no effect: "
                   + ("its last day is after the expiry" if self._rule == "art5.notice_after_expiry"
                      else "an earlier termination rules"))

    def _refuse_notice(self, ctx: tuple) -> None:
        e, n = ctx
        self._notice_diagnostics(e, n)
        self._entry("notice_refused", dict(self._notice_detail(e, n), initial_term_ends=self.initial_end))
        self._diag(self.today, "notice_refused",
                   f"notice by {e.by} (line {e.line}) would end the convention on {n['last_day']}, "
                   f"within the initial term ending {self.initial_end}: refused")

    def _terminate_now(self, ctx: tuple) -> None:
        e, n = ctx
        n = dict(n, last_day=n["notified"])
        self._rule_termination(e, n, immediate=True)

    def _schedule_termination(self, ctx: tuple) -> None:
        e, n = ctx
        self._rule_termination(e, n, immediate=False)

    def _rule_termination(self, e: NoticeReceived, n: dict, immediate: bool) -> None:
        self._notice_diagnostics(e, n)
        rule = self._rule
        old = self.ruling
        self._generation += 1
        r = self.ruling = _Ruling(e.by, n["notified"], n["last_day"], immediate, rule, self._generation)
        # A termination is scheduled from the first accepted notice on, even if a later one
        # displaces it (SPEC 6: `notice`, a notice's termination is scheduled).
        self.first_notified = min(self.first_notified or FAR, r.notified)
        detail = dict(self._notice_detail(e, n), immediate=immediate)
        if not immediate and n["raw_last_day"] != r.last_day:
            detail["period_last_day"] = n["raw_last_day"]
        self._entry("termination_scheduled", detail, rule=rule)
        if old is not None:
            self._entry("notice_superseded", {"by": old.by, "notified": old.notified,
                                              "last_day": old.last_day,
                                              "ruling_last_day": r.last_day}, rule="art5.notice_ranking")
            self._diag(self.today, "notice_superseded",
                       f"the notice by {old.by} notified {old.notified} is superseded by the notice "
                       f"of line {e.line}, which ends the convention earlier")
        # The last day's work (phase g) happens on the last day, or today when it is already past
        # (SPEC 5.7: learned late, applied from its legal date, entries dated today).
        work_day = max(r.last_day, self.today)
        self._push(work_day, PH_G, "refund", r.generation)
        if r.by == "cdg":
            self._push(work_day, PH_G, "documents", r.generation)
        if r.last_day >= self.today:
            self._push(r.last_day + dates.ONE_DAY, PH_TERMINATE, "terminate", r.generation)
        else:
            self._decide("terminate")

    def _documents(self, _: Any) -> None:
        self._entry("documents_available", {"last_day": self.ruling.last_day})

    # -- disputes, signatures

    def _dispute(self, e: DisputeStep) -> None:
        if self._rule == "art6.amicable_step_skipped":
            self._diag(self.today, "amicable_step_skipped",
                       f"dispute referred to the Tribunal administratif de Lille (line {e.line}) "
                       "without an amicable attempt first (Article 6)")
        if e.step == "opened":
            self.amicable_attempt = True
        elif e.step == "referred":
            self.amicable_attempt = False
        detail = {"step": e.step}
        if e.step == "referred":
            detail["court"] = "Tribunal administratif de Lille"
        self._entry("dispute_" + e.step, detail)

    def _signed(self, e: Signed) -> None:
        self._entry("signed", {"ref": e.ref})

    # ------------------------------------------------------------------ result

    def _timeline(self) -> Timeline:
        return Timeline(
            convention=self.rules.id,
            name=self.s.name,
            start=self.start,
            horizon=self.horizon,
            periods=tuple(self._periods()),
            termination=self._termination(),
            unallocated=self.unallocated,
            contributions=tuple(
                Contribution(y.year, y.band, y.column, y.annual, y.covered_days, y.year_days,
                             y.due, y.paid, y.called_on)
                for y in (self.years[k] for k in sorted(self.years))),
            entries=tuple(self.entries),
            diagnostics=tuple(self.diagnostics),
            scenario=self.s,
        )

    def _termination(self) -> Termination | None:
        r = self.ruling
        if r is None:
            if self.final_end is None:
                return None
            # An expiry is known from the start: shown even when it falls after the horizon.
            return Termination("expiry", None, self.final_end, False, "art5.expiry")
        return Termination(r.by, r.notified, r.last_day, r.immediate, r.rule)

    def _periods(self) -> list[Period]:
        """Maximal runs of equal (state, standing, notice), with hindsight on state and notice."""
        r = self.ruling
        end_of_force = r.last_day if r is not None else None
        cuts = {self.start, self.initial_end + dates.ONE_DAY}
        if r is not None:
            cuts.add(r.last_day + dates.ONE_DAY)
            if self.first_notified is not None:
                cuts.add(self.first_notified)
        cuts.update(d for d, _ in self.standing_changes)
        days = sorted(d for d in cuts if self.start <= d <= self.horizon)
        notice_from = self.first_notified if r is not None and r.notified is not None else None

        def state_on(day: dt.date) -> tuple:
            if end_of_force is not None and day > end_of_force:
                state = "terminated"
            elif day <= self.initial_end:
                state = "initial_term"
            else:
                state = "renewed"
            notice = notice_from is not None and notice_from <= day <= end_of_force
            return state, self._standing_end_of(day), notice

        out: list[Period] = []
        for i, day in enumerate(days):
            key = state_on(day)
            if out and (out[-1].state, out[-1].standing, out[-1].notice) == key:
                continue
            if out:
                out[-1] = attrs.evolve(out[-1], end=day - dates.ONE_DAY)
            out.append(Period(day, self.horizon, *key))
        if out and out[-1].state == "terminated":
            out[-1] = attrs.evolve(out[-1], end=None)
        return out


def replay(scenario: Scenario, until: dt.date | None = None) -> Timeline:
    """Replay a scenario up to ``until`` (default: its horizon) and return its timeline."""
    return Replay(scenario, until).run()
