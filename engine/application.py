"""The application layer: what the command line, the service and an embedder ask of the engine.

Each use case takes scenarios (or paths) and dates and returns frozen values: the state of a
convention on a day, its coming deadlines, a register's coming deadlines across conventions
(the portfolio), the ``expect:`` blocks of scenario files, a what-if, a batch of summaries. None
prints, exits or knows HTTP: ``convention`` (engine/cli.py) formats these values for a terminal,
``convention serve`` (engine/service/) for HTTP, and neither asks the other.

Dates. ``state`` and ``deadlines`` show the legal situation with hindsight (the termination and
the state as the whole scenario decides them, replayed beyond its horizon when the day is after
it) and money as known on the day (a replay that stops there).
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from decimal import Decimal
from typing import Iterable, Sequence

import attrs

from .answers import batch as batch_mod
from .answers import expect as expect_mod
from .answers import whatif as whatif_mod
from .api import load_scenario, replay
from .answers.deadlines import (Arrears, Deadlines, Entry, arrears, entries, portfolio_ics,
                        through_next_period_end, working_day_before)
from .errors import ScenarioError
from .core.events import Scenario
from .core.money import fmt
from .conventions.rulesfile import is_rules_file
from .core.timeline import Period, Termination, Timeline, YearTotal
from .answers.whatif import WhatIf

__all__ = ["State", "state", "deadlines", "Registered", "Due", "Portfolio", "portfolio",
           "Schedule", "schedule",
           "Checked", "CheckReport", "check_scenario", "check", "whatif", "Batch", "batch"]


def _covering(s: Scenario, day: dt.date) -> Timeline:
    """The scenario's timeline, replayed beyond its horizon when ``day`` is after it."""
    t = replay(s)
    if day > t.horizon:
        t = replay(s, until=day)
    return t


# --------------------------------------------------------------------------- state


@attrs.frozen
class State:
    """A convention on a day: ``timeline`` with hindsight (its state and termination, replayed
    through the end of the period in course so that what the rules decide there is known, as
    :func:`deadlines` knows it), ``known`` replayed up to the day (the year's money as known
    then), ``arrears`` what is overdue that day and what that default allows. Before the start
    both timelines are the replay up to the start, and nothing is in force yet."""

    name: str
    on: dt.date
    start: dt.date
    timeline: Timeline
    known: Timeline
    arrears: Arrears | None = None

    @property
    def started(self) -> bool:
        return self.on >= self.start

    @property
    def period(self) -> Period | None:
        return self.timeline.period_on(self.on) if self.started else None

    @property
    def year(self) -> YearTotal | None:
        """The calendar year's calls as known on the day (None: none called, or not started)."""
        return self.known.year_total(self.on.year) if self.started else None

    @property
    def termination(self) -> Termination | None:
        return self.timeline.termination if self.started else None

    def to_dict(self) -> dict:
        """The JSON form (``GET /v1/conventions/{id}/state``): keys in this order, dates ISO,
        amounts as strings with two decimals."""
        p, c, r = self.period, self.year, self.termination
        return {"name": self.name, "on": self.on.isoformat(),
                "state": p.state if p is not None else "not_started",
                "standing": p.standing if p is not None else None,
                "notice": p.notice if p is not None else False,
                "start": self.start.isoformat(),
                "year": None if c is None else {"year": c.year, "due": fmt(c.due), "paid": fmt(c.paid),
                                                "balance": fmt(c.balance)},
                "termination": None if r is None else r.to_dict()}


def state(scenario: Scenario, on: dt.date) -> State:
    """The state of ``scenario`` on ``on`` (`convention state`)."""
    if on < scenario.start:  # signed, not yet in force
        t = replay(scenario, until=scenario.start)
        return State(scenario.name, on, scenario.start, t, t)
    return State(scenario.name, on, scenario.start,
                 _covering(scenario, through_next_period_end(scenario, on)),
                 replay(scenario, until=on), arrears(scenario, on))


# --------------------------------------------------------------------------- deadlines


def deadlines(scenario: Scenario, as_of: dt.date) -> Deadlines:
    """The coming renewal, notice deadlines and next call on ``as_of`` (`convention deadlines`),
    with the termination known with hindsight."""
    return _covering(scenario, max(as_of, scenario.start)).deadlines(as_of)


@attrs.frozen
class Registered:
    """A convention of a register: its id there, its scenario and its version (events held)."""

    id: str
    scenario: Scenario
    version: int


@attrs.frozen
class Due:
    """One dated deadline of one convention in a portfolio.

    ``party``: the party who would give notice (kind notice). ``recipients``: who must have
    *received* that notice's registered letter by ``date`` (kind notice). ``working_day``: when
    ``date`` is a Saturday, Sunday or French public holiday, the working day before it, by which
    the letter must in practice arrive (kind notice). ``amount``: the call's amount (kind
    payment-due) or the amount overdue since ``since`` (kind overdue). ``input`` and ``year``:
    the value a declaration must bring before the call of ``date`` (kind declaration)."""

    date: dt.date
    kind: str  # start | notice | renewal | exit | expiry | call | payment-due | declaration | last-day | overdue
    party: str | None
    id: str
    name: str
    convention: str
    status: str  # the convention's Deadlines.status
    version: int
    recipients: tuple[str, ...] = ()
    working_day: dt.date | None = None
    amount: Decimal | None = None
    since: dt.date | None = None
    input: str | None = None
    year: int | None = None

    def to_dict(self) -> dict:
        return {"date": self.date.isoformat(), "kind": self.kind, "party": self.party, "id": self.id,
                "name": self.name, "convention": self.convention, "status": self.status,
                "version": self.version, "recipients": list(self.recipients),
                "working_day": None if self.working_day is None else self.working_day.isoformat(),
                "amount": None if self.amount is None else fmt(self.amount),
                "since": None if self.since is None else self.since.isoformat(),
                "input": self.input, "year": self.year}


@attrs.frozen
class Portfolio:
    """Every convention's dated deadlines with ``as_of <= date < before``, soonest first (then
    kind, party, id)."""

    as_of: dt.date
    before: dt.date
    deadlines: tuple[Due, ...]

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "before": self.before.isoformat(),
                "deadlines": [d.to_dict() for d in self.deadlines]}


def _dues(c: Registered, d: Deadlines, as_of: dt.date, before: dt.date) -> list[tuple[Due, Entry]]:
    out = []
    for e in entries(d):
        if not as_of <= e.date < before:
            continue
        extra: dict = {}
        if e.party is not None:
            extra = {"recipients": d.recipients_of(e.party), "working_day": working_day_before(e.date)}
        elif e.overdue is not None:
            extra = {"amount": e.overdue.amount, "since": e.overdue.due_date}
        elif e.kind == "payment-due":
            extra = {"amount": d.call_amount}
        elif e.kind == "declaration" and d.declaration is not None:
            extra = {"input": d.declaration[0], "year": d.declaration[1]}
        out.append((Due(e.date, "notice" if e.party else e.kind, e.party, c.id, c.scenario.name,
                        c.scenario.convention, d.status, c.version, **extra), e))
    return out


def _order(item: tuple[Due, Entry]):
    i = item[0]
    return (i.date, i.kind, i.party or "", i.id)


def portfolio(conventions: Iterable[Registered], as_of: dt.date, before: dt.date) -> Portfolio:
    """The coming deadlines of many conventions (``GET /v1/deadlines``, ``convention deadlines
    DIR``): the dated entries of each one's :func:`deadlines` (those of its calendar file: notice
    deadlines not yet passed, renewal, exit date, expiry, next call, its payment date and the
    declaration it lacks, overdue amounts, a scheduled last day, the start)."""
    items: list[tuple[Due, Entry]] = []
    for c in conventions:
        items.extend(_dues(c, deadlines(c.scenario, as_of), as_of, before))
    items.sort(key=_order)
    return Portfolio(as_of, before, tuple(i for i, _ in items))


@attrs.frozen
class Schedule:
    """The portfolio of a folder of scenario files (``convention deadlines DIR``): ``portfolio``
    its deadlines; ``entries`` the same, each with its convention's :class:`Deadlines` and the
    entry it comes from (for the words of a table or a calendar); ``errors`` one line
    ``FILE:LINE: message`` for each file that could not be read (the others are still listed).
    Each convention's id is its file's path relative to the folder given."""

    portfolio: Portfolio
    entries: tuple[tuple[Due, Deadlines, Entry], ...]
    conventions: tuple[tuple[str, Deadlines], ...]
    errors: tuple[str, ...]

    def to_ics(self, lang: str = "en") -> bytes:
        """One calendar for the whole portfolio (UIDs unique per convention and deadline)."""
        p = self.portfolio
        return portfolio_ics(self.conventions, p.as_of, p.before, "convention-engine", lang)


def schedule(paths: Sequence[str], as_of: dt.date, before: dt.date = dt.date.max) -> Schedule:
    """:func:`portfolio` over scenario files and folders walked as :func:`batch` walks them
    (rules files skipped; sorted), each file's id its path relative to the folder given."""
    items: list[tuple[Due, Deadlines, Entry]] = []
    conventions: list[tuple[str, Deadlines]] = []
    errors: list[str] = []
    for root in paths:
        for path in batch_mod.scenario_files([root]):
            ident = (os.path.relpath(path, root) if os.path.isdir(root) else os.path.basename(path))
            ident = ident.replace(os.sep, "/")
            try:
                s = load_scenario(pathlib.Path(path), filename=path)
            except ScenarioError as e:
                errors.append(str(e))
                continue
            d = deadlines(s, as_of)
            conventions.append((ident, d))
            items.extend((due, d, e) for due, e in _dues(Registered(ident, s, 0), d, as_of, before))
    items.sort(key=lambda i: _order((i[0], i[2])))
    return Schedule(Portfolio(as_of, before, tuple(i[0] for i in items)), tuple(items),
                    tuple(conventions), tuple(errors))


# --------------------------------------------------------------------------- check


@attrs.frozen
class Checked:
    """One scenario's ``expect:`` block: ``ok``, ``fail`` (with ``failures``), ``skip`` (no
    block), or ``invalid`` (``error``: the file's one-line ``FILE:LINE: message``)."""

    path: str
    status: str
    failures: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict:
        """The JSON form (``POST /v1/check``) of a scenario that loaded."""
        return {"passed": self.status != "fail", "checked": self.status != "skip",
                "failures": list(self.failures)}


@attrs.frozen
class CheckReport:
    """The files checked, in the order given (folders walked in name order)."""

    files: tuple[Checked, ...]

    @property
    def passed(self) -> int:
        return sum(c.status == "ok" for c in self.files)

    @property
    def failed(self) -> int:
        return sum(c.status in ("fail", "invalid") for c in self.files)

    @property
    def invalid(self) -> tuple[Checked, ...]:
        return tuple(c for c in self.files if c.status == "invalid")


def check_scenario(scenario: Scenario, path: str = "") -> Checked:
    """Replay ``scenario`` and compare it with its ``expect:`` block."""
    if not scenario.expect:
        return Checked(path, "skip")
    problems = expect_mod.check(replay(scenario), scenario)
    return Checked(path, "fail" if problems else "ok", tuple(problems))


def scenario_files(paths: Sequence[str]) -> list[str]:
    """Files as given, and the *.yaml / *.yml files under folders (walked in name order) that
    are not rules files."""
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                out.extend(p for p in (os.path.join(root, f) for f in sorted(files)
                                       if f.endswith((".yaml", ".yml")))
                           if not is_rules_file(p))
        else:
            out.append(path)
    return out


def check(paths: Sequence[str]) -> CheckReport:
    """The ``expect:`` blocks of scenario files and folders (`convention check`); an invalid file
    is a ``Checked`` of status ``invalid``, and the others are still checked."""
    out: list[Checked] = []
    for path in scenario_files(paths):
        try:
            s = load_scenario(pathlib.Path(path), filename=path)  # a file, never YAML text
        except ScenarioError as e:
            out.append(Checked(path, "invalid", error=str(e)))
            continue
        out.append(check_scenario(s, path))
    return CheckReport(tuple(out))


# --------------------------------------------------------------------------- what if, batch


def whatif(scenario: Scenario, party: str, on: dt.date, reason: str | None = None,
           lang: str = "en") -> WhatIf:
    """The scenario replayed with a notice by ``party`` received on ``on``, beside the baseline
    (`convention whatif`; :func:`engine.answers.whatif.whatif`: ``reason`` one the rules file defines,
    by its id or its label in English or ``lang``; raises ``UnknownReason`` otherwise)."""
    return whatif_mod.whatif(scenario, party, on, reason=reason, lang=lang)


@attrs.frozen
class Batch:
    """One summary row per scenario file (`convention batch`): the rows of :mod:`engine.answers.batch`,
    in the order of the sorted file list."""

    rows: tuple[dict, ...]

    @property
    def ok(self) -> bool:
        return all(r["status"] == "ok" for r in self.rows)

    def to_csv(self, lang: str = "en") -> str:
        return batch_mod.to_csv(self.rows, lang=lang)

    def to_json(self) -> str:
        return batch_mod.to_json(self.rows)


def batch(paths: Sequence[str], as_of: dt.date | None = None, jobs: int = 1, lang: str = "en") -> Batch:
    """Summarise scenario files and folders, ``jobs`` processes at a time; an invalid file is an
    error row. ``lang`` names the words the rows keep for a French CSV."""
    return Batch(tuple(batch_mod.run(paths, as_of=as_of, jobs=jobs, lang=lang)))
