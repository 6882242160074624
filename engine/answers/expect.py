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


def failures(timeline: Timeline, expect: Mapping) -> list[str]:
    """Each way the timeline differs from the expectations, as a readable line (empty: all hold)."""
    out: list[str] = []
    if "termination" in expect:
        want = expect["termination"]
        got = timeline.termination
        if want is None:
            if got is not None:
                out.append(f"termination: expected none, got {got.by} with last day {got.last_day}")
        elif got is None:
            out.append("termination: expected one, got none")
        else:
            for key, value in want.items():
                actual = getattr(got, key)
                if not _same(value, actual):
                    out.append(f"termination.{key}: expected {_show(value)}, got {_show(actual)}")
    for key, want in (expect.get("contributions") or {}).items():
        name = _show(key)
        c = timeline.contribution(key if isinstance(key, dt.date) else int(key))
        if c is None:
            out.append(f"contributions.{name}: expected a call, got none")
            continue
        if not isinstance(key, dt.date) and not c.yearly:
            out.append(f"contributions.{name}: calls are made by period: key each by its first day "
                       f"(such as {_show(c.first)})")
            continue
        for field, value in want.items():
            actual = c.get(field) if field in c.keys or field in ("from", "to") else None
            if field not in c.keys:
                out.append(f"contributions.{name}.{field}: this row has no {field} "
                           f"(it has {', '.join(c.keys)})")
            elif not _same(value, actual):
                out.append(f"contributions.{name}.{field}: expected {_show(value)}, got {_show(actual)}")
    for day, want in (expect.get("states") or {}).items():
        p = timeline.period_on(day)
        if p is None:
            out.append(f"states.{_show(day)}: outside the timeline ({timeline.start} to {timeline.horizon})")
            continue
        if isinstance(want, Mapping):
            for key, value in want.items():
                actual = getattr(p, key)
                if not _same(value, actual):
                    out.append(f"states.{_show(day)}.{key}: expected {_show(value)}, got {_show(actual)}")
        elif want != p.state:
            out.append(f"states.{_show(day)}: expected {want}, got {p.state}")
    codes = {d.code for d in timeline.diagnostics}
    for code in expect.get("diagnostics") or ():
        if code not in codes:
            out.append(f"diagnostics: expected {code}, got {', '.join(sorted(codes)) or 'none'}")
    return out
