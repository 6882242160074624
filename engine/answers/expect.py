"""The `expect:` block of a scenario (docs/spec.md 4): what `convention check` verifies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping

from ..core.money import fmt
from ..core.timeline import Timeline


def _show(v: Any) -> str:
    if isinstance(v, Decimal):
        return fmt(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Decimal) or isinstance(actual, Decimal):
        try:
            return Decimal(str(expected)) == Decimal(str(actual))
        except Exception:
            return False
    return expected == actual


def _codes(kind: str, want: Any, got: list[tuple[str, dt.date]]) -> list[tuple[str, str]]:
    """`expect: entries` or `diagnostics`: a list of codes (each at least once), or CODE: N (that
    many times) or CODE: [DATE...] (on exactly these dates, as often as each is listed)."""
    out: list[tuple[str, str]] = []
    if not isinstance(want, Mapping):
        present = {c for c, _ in got}
        for code in want:
            if code not in present:
                out.append((f"{kind}.{code}", f"expected at least once, got never (the codes: "
                                              f"{', '.join(sorted(present)) or 'none'})"))
        return out
    for code, expected in want.items():
        dates = sorted(d for c, d in got if c == code)
        name = f"{kind}.{code}"
        if isinstance(expected, int):
            if len(dates) != expected:
                out.append((name, f"expected {_times(expected)}, got {_times(len(dates))}"
                                  + (f" ({', '.join(map(_show, dates))})" if dates else "")))
        elif sorted(expected) != dates:
            out.append((name, f"expected {_on(expected)}, got {_on(dates)}"))
    return out


def _times(n: int) -> str:
    return "never" if n == 0 else "once" if n == 1 else f"{n} times"


def _on(days: Any) -> str:
    return f"on {', '.join(map(_show, days))}" if days else "never"


def _period_value(p: Any, key: str) -> Any:
    """A key of a period as its JSON form shows it: the engine's keys, and a state the rules file
    declares (whatever the engine that replays it reports under that name)."""
    shown = p.to_dict()
    return shown[key] if key in shown else getattr(p, key, None)


def _problems(timeline: Timeline, expect: Mapping) -> list[tuple[str, str]]:
    """Each way the timeline differs from the expectations: (the expectation's name, what is wrong)."""
    out: list[tuple[str, str]] = []
    if "termination" in expect:
        want = expect["termination"]
        got = timeline.termination
        if want is None:
            if got is not None:
                out.append(("termination", f"expected none, got {got.by} with last day {got.last_day}"))
        elif got is None:
            out.append(("termination", "expected one, got none"))
        else:
            for key, value in want.items():
                actual = getattr(got, key)
                if not _same(value, actual):
                    out.append((f"termination.{key}", f"expected {_show(value)}, got {_show(actual)}"))
    for key, want in (expect.get("contributions") or {}).items():
        name = _show(key)
        c = timeline.contribution(key if isinstance(key, dt.date) else int(key))
        if c is None:
            out.append((f"contributions.{name}", "expected a call, got none"))
            continue
        if not isinstance(key, dt.date) and not c.yearly:
            out.append((f"contributions.{name}", "calls are made by period: key each by its first day "
                                                 f"(such as {_show(c.first)})"))
            continue
        for field, value in want.items():
            actual = c.get(field) if field in c.keys or field in ("from", "to") else None
            if field not in c.keys:
                out.append((f"contributions.{name}.{field}",
                            f"this row has no {field} (it has {', '.join(c.keys)})"))
            elif not _same(value, actual):
                out.append((f"contributions.{name}.{field}", f"expected {_show(value)}, got {_show(actual)}"))
    for day, want in (expect.get("states") or {}).items():
        p = timeline.period_on(day)
        if p is None:
            out.append((f"states.{_show(day)}",
                        f"outside the timeline ({timeline.start} to {timeline.horizon})"))
            continue
        if isinstance(want, Mapping):
            for key, value in want.items():
                actual = _period_value(p, key)
                if not _same(value, actual):
                    out.append((f"states.{_show(day)}.{key}", f"expected {_show(value)}, got {_show(actual)}"))
        elif want != p.state:
            out.append((f"states.{_show(day)}", f"expected {want}, got {p.state}"))
    out += _codes("entries", expect.get("entries") or (), [(e.kind, e.date) for e in timeline.entries])
    out += _codes("diagnostics", expect.get("diagnostics") or (),
                  [(d.code, d.date) for d in timeline.diagnostics])
    return out


def failures(timeline: Timeline, expect: Mapping, *, lines: Mapping[str, int] | None = None,
             source: str | None = None) -> list[str]:
    """Each way the timeline differs from the expectations, as a readable line (empty: all hold).

    With ``source`` (the scenario's file), each line starts with ``FILE:LINE:``, the line of the
    expectation that failed (``lines``: by the name it is reported under; 0 when unknown)."""
    out = []
    for name, problem in _problems(timeline, expect):
        text = f"{name}: {problem}"
        if source is not None:
            line = (lines or {}).get(name, 0)
            text = f"{source}:{line}: {text}"
        out.append(text)
    return out


def check(timeline: Timeline, scenario: Any) -> list[str]:
    """The failures of a scenario's `expect:` block against its replay, each ``FILE:LINE: ...``."""
    return failures(timeline, scenario.expect, lines=scenario.expect_lines, source=scenario.source)
