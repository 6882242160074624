"""The timeline a replay returns (docs/spec.md 6): frozen values and their JSON form."""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any, Callable, Mapping

import attrs

from .ledger import Owed
from .money import fmt

FORMAT = "convention-timeline/1"
ONE_DAY = dt.timedelta(days=1)


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def plain_detail(value: Any) -> Any:
    """JSON-ready form of a detail value: dates as ISO strings, amounts with two decimals."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, Mapping):
        return {str(k): plain_detail(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [plain_detail(v) for v in value]
    return value


@attrs.frozen
class Period:
    start: dt.date
    end: dt.date | None  # inclusive; None: terminated, open-ended
    state: str  # initial_term | renewed | terminated
    standing: str  # current | in_default
    notice: bool

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def to_dict(self) -> dict:
        return {"from": _iso(self.start), "to": _iso(self.end), "state": self.state,
                "standing": self.standing, "notice": self.notice}


def periods(start: dt.date, horizon: dt.date, initial_end: dt.date, last_day: dt.date | None,
            notice_from: dt.date | None, standing: Any) -> list[Period]:
    """Maximal runs of equal (state, standing, notice) from the start to the horizon (docs/spec.md 6).

    State and notice are the legal situation with hindsight: terminated after ``last_day``, a
    notice running from ``notice_from`` (the first accepted notification) to ``last_day``;
    the standing is the one recorded at the end of each day (``standing.at_end_of``,
    ``standing.changes``)."""
    cuts = {start, initial_end + ONE_DAY}
    if last_day is not None:
        cuts.add(last_day + ONE_DAY)
        if notice_from is not None:
            cuts.add(notice_from)
    changes = standing.changes
    cuts.update(d for d, _ in changes)
    days = sorted(d for d in cuts if start <= d <= horizon)

    runs: list[tuple[dt.date, tuple]] = []  # (first day, (state, standing, notice))
    recorded, k = "current", 0  # the standing at the end of the day (standing.at_end_of)
    for day in days:  # in order: the standing's changes are read once, in order too
        while k < len(changes) and changes[k][0] <= day:
            recorded = changes[k][1]
            k += 1
        if last_day is not None and day > last_day:
            state = "terminated"
        elif day <= initial_end:
            state = "initial_term"
        else:
            state = "renewed"
        notice = False
        if notice_from is not None:
            # a running notice has its last day: notice_from is given only with a ruling
            # (term.periods_of), and a ruling always has a last day
            assert last_day is not None
            notice = notice_from <= day <= last_day
        key = (state, recorded, notice)
        if not runs or runs[-1][1] != key:
            runs.append((day, key))
    out = [Period(first, runs[i + 1][0] - ONE_DAY if i + 1 < len(runs) else horizon, *key)
           for i, (first, key) in enumerate(runs)]
    if out and out[-1].state == "terminated":
        out[-1] = attrs.evolve(out[-1], end=None)
    return out


@attrs.frozen
class Termination:
    by: str  # a party of the rules file, or expiry
    notified: dt.date | None
    last_day: dt.date
    immediate: bool
    rule: str

    def to_dict(self) -> dict:
        return {"by": self.by, "notified": _iso(self.notified), "last_day": _iso(self.last_day),
                "immediate": self.immediate, "rule": self.rule}


def figure_value(value: Any, typ: str) -> Any:
    """A row figure in JSON: counts and years as numbers, amounts with two decimals, rates as
    written (``"0.0607"``), names as text; null when unknown."""
    if value is None:
        return None
    if typ in ("count", "year"):
        return int(value)
    if typ == "amount":
        return fmt(Decimal(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


@attrs.frozen
class Contribution:
    """One called calendar period (a year, a quarter, a month). The figures its rules file lists
    read as attributes too (``c.base`` for a figure named ``base``)."""

    year: int  # the calendar year of the period
    first: dt.date  # the period called, whatever part of it is covered
    last: dt.date
    figures: tuple  # ((name, type, value), ...) in the rules file's order
    annual: Decimal
    covered_days: int
    period_days: int
    yearly: bool  # a calendar year is called (its row says year_days, else period_days)
    due: Decimal
    paid: Decimal
    called_on: dt.date

    @property
    def balance(self) -> Decimal:
        return self.due - self.paid

    @property
    def year_days(self) -> int:
        return self.period_days

    def __getattr__(self, name: str) -> Any:
        for key, _, value in object.__getattribute__(self, "figures"):
            if key == name:
                return value
        raise AttributeError(name)

    def get(self, key: str) -> Any:
        """A row key as `expect:` and the JSON name it (``from``, ``to``, a figure...)."""
        if key == "from":
            return self.first
        if key == "to":
            return self.last
        return getattr(self, key)

    @property
    def keys(self) -> tuple[str, ...]:
        return (("year", "from", "to") + tuple(k for k, _, _ in self.figures)
                + ("annual", "covered_days", "year_days" if self.yearly else "period_days",
                   "due", "paid", "balance", "called_on"))

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"year": self.year, "from": _iso(self.first), "to": _iso(self.last)}
        for key, typ, value in self.figures:
            out[key] = figure_value(value, typ)
        out["annual"] = fmt(self.annual)
        out["covered_days"] = self.covered_days
        out["year_days" if self.yearly else "period_days"] = self.period_days
        out.update(due=fmt(self.due), paid=fmt(self.paid), balance=fmt(self.balance),
                   called_on=_iso(self.called_on))
        return out


@attrs.frozen
class YearTotal:
    """What a calendar year's calls add up to (one call a year, or its quarters or months)."""

    year: int
    due: Decimal
    paid: Decimal
    calls: int

    @property
    def balance(self) -> Decimal:
        return self.due - self.paid


@attrs.frozen
class Entry:
    date: dt.date
    kind: str
    rule: str
    article: str
    detail: Mapping = attrs.field(factory=dict)

    def to_dict(self) -> dict:
        return {"date": _iso(self.date), "kind": self.kind, "rule": self.rule,
                "article": self.article, "detail": plain_detail(self.detail)}


@attrs.frozen
class Overdue:
    """An amount unpaid after its due date: ``amount`` has been due since ``due_date``."""

    year: int
    period: dt.date  # the first day of the called period
    due_date: dt.date
    amount: Decimal

    def to_dict(self) -> dict:
        return {"year": self.year, "period": _iso(self.period), "due_date": _iso(self.due_date),
                "amount": fmt(self.amount)}


@attrs.frozen(slots=False, eq=False)  # a __dict__ for the words once made (cached_property)
class Diagnostic:
    """A warning or an info of the replay. Its words (``message`` in English, as the JSON gives
    it; ``message_fr``) are given, or made by ``wording`` (a language -> the text) when first
    read: the replay records what it has to say and the renderers word it (docs/flow.md)."""

    date: dt.date
    level: str  # warning | info
    code: str
    _message: str = attrs.field(default="", alias="message", repr=False)
    # The same message in French, for `--lang fr`; not part of the value (equality, JSON).
    _message_fr: str = attrs.field(default="", alias="message_fr", repr=False)
    # The values the message was made from (``line``, ``by``, ``type``...): what a program reads
    # instead of the message's words, which a rules file may reword. Not part of the value.
    values: Mapping = attrs.field(factory=dict, repr=False)
    wording: Callable[[str], str] | None = attrs.field(default=None, repr=False, kw_only=True)

    @functools.cached_property
    def message(self) -> str:
        return self._message if self.wording is None else self.wording("en")

    @functools.cached_property
    def message_fr(self) -> str:
        return self._message_fr if self.wording is None else self.wording("fr")

    def _key(self) -> tuple:
        return (self.date, self.level, self.code, self.message)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Diagnostic(date={self.date!r}, level={self.level!r}, code={self.code!r}, "
                f"message={self.message!r})")

    def text(self, lang: str = "en") -> str:
        return self.message_fr if lang == "fr" and self.message_fr else self.message

    def to_dict(self) -> dict:
        return {"date": _iso(self.date), "level": self.level, "code": self.code,
                "message": self.message}


@attrs.frozen
class Timeline:
    """What a replay returns. Query it; serialise it with :meth:`to_json`."""

    convention: str
    name: str
    start: dt.date
    horizon: dt.date
    periods: tuple[Period, ...]
    termination: Termination | None
    unallocated: Decimal
    contributions: tuple[Contribution, ...]
    entries: tuple[Entry, ...]
    diagnostics: tuple[Diagnostic, ...]
    # The scenario this timeline was replayed from, for queries that need its parameters
    # (:meth:`deadlines`); not part of the value (equality, repr, JSON).
    scenario: Any = attrs.field(default=None, eq=False, repr=False)
    replayer: Any = attrs.field(default=None, eq=False, repr=False)  # (scenario, until) -> Timeline
    # (scenario, timeline, as_of) -> the deadlines on as_of, given by whoever replayed (engine.replay
    # gives engine/answers/deadlines.py's), for :meth:`deadlines`: the core imports no answer.
    deadliner: Any = attrs.field(default=None, eq=False, repr=False)
    # The ledger's amounts and their due dates as they stand at the horizon (money received up to
    # it), for :meth:`overdue`; not part of the value (equality, repr, JSON).
    charges: tuple[Owed, ...] = attrs.field(default=(), eq=False, repr=False)

    def overdue(self, on: dt.date | None = None) -> tuple[Overdue, ...]:
        """The amounts unpaid after their due date on ``on`` (default: the horizon), as the
        money received up to the horizon covers them (replay up to ``on`` to know what was
        owed that day), oldest due date first."""
        on = self.horizon if on is None else on
        out = [Overdue(c.year, c.first, c.due_date, c.uncovered) for c in self.charges
               if c.due_date < on and c.uncovered > 0]
        return tuple(sorted(out, key=lambda o: (o.due_date, o.period)))

    def extended(self, until: dt.date, scenario: Any = None) -> "Timeline":
        """The same scenario replayed up to a later day (the replay that made this timeline
        is asked again: nothing here imports it)."""
        if self.replayer is None:
            raise ValueError("this timeline cannot be extended: replay its scenario")
        return self.replayer(scenario if scenario is not None else self.scenario, until)

    def deadlines(self, as_of: dt.date, scenario: Any = None):
        """The coming renewal, notice deadlines and next call on ``as_of``
        (:func:`engine.answers.deadlines.deadlines`, which ``engine.replay`` gives the timelines it
        makes). Needs the scenario: given here or remembered."""
        scenario = scenario if scenario is not None else self.scenario
        if scenario is None:
            raise ValueError("this timeline does not know its scenario: pass scenario=")
        if self.deadliner is None:
            raise ValueError("this timeline was not made by engine.replay: "
                             "call engine.answers.deadlines.deadlines(scenario, timeline, as_of)")
        return self.deadliner(scenario, self, as_of)

    def period_on(self, day: dt.date) -> Period | None:
        """The period that holds ``day``: None before the start, or after the horizon unless the
        convention is terminated by then (its last period is open-ended)."""
        for p in self.periods:
            if p.covers(day):
                return p
        return None

    def state_on(self, day: dt.date) -> str | None:
        p = self.period_on(day)
        return None if p is None else p.state

    def contribution(self, key: int | dt.date) -> Contribution | None:
        """The call of a year (an ``int``, for yearly calls: the first row of that year), or of
        the period that starts on a date."""
        for c in self.contributions:
            if (c.first == key) if isinstance(key, dt.date) else (c.year == key):
                return c
        return None

    def year_total(self, year: int) -> YearTotal | None:
        """The calls of a calendar year added up (None: none was called)."""
        rows = [c for c in self.contributions if c.year == year]
        if not rows:
            return None
        return YearTotal(year, sum((c.due for c in rows), Decimal(0)),
                         sum((c.paid for c in rows), Decimal(0)), len(rows))

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "convention": self.convention,
            "name": self.name,
            "start": _iso(self.start),
            "horizon": _iso(self.horizon),
            "periods": [p.to_dict() for p in self.periods],
            "termination": None if self.termination is None else self.termination.to_dict(),
            "unallocated": fmt(self.unallocated),
            "contributions": [c.to_dict() for c in self.contributions],
            "entries": [e.to_dict() for e in self.entries],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }

    def to_json(self) -> str:
        """Deterministic to the byte: keys in the order of docs/spec.md 6, UTF-8, indent 2, final newline."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
