"""The agenda: what the replay does next, in the order of docs/spec.md 5.12.

Items are ordered by date, then by the phase of the day, then by the order they were scheduled
in (a heap). Kept apart from what the items do so that the order can be read in one place: a
newcomer asking "why did this run before that" reads the phases below and nothing else.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from typing import Any

# Phases of a day (docs/spec.md 5.12): (a) terminations take effect, (b) periods end, (c) inputs
# and amendments, (d) calls, (e) the standing is checked, (f) other events, (g) last-day work.
PH_START = 0
PH_TERMINATE, PH_PERIOD_END, PH_C, PH_CALL, PH_CHECK, PH_F, PH_G = 1, 2, 3, 4, 5, 6, 7

Item = tuple[dt.date, int, int, str, Any]  # (day, phase, sequence, kind, payload)


class Agenda:
    """The dated items still to run, up to the horizon (later ones are never scheduled)."""

    def __init__(self, horizon: dt.date):
        self.horizon = horizon
        self._heap: list[Item] = []
        self._order = itertools.count()
        self._checks: set[dt.date] = set()

    def push(self, day: dt.date, phase: int, kind: str, payload: Any = None) -> None:
        if day > self.horizon:
            return
        heapq.heappush(self._heap, (day, phase, next(self._order), kind, payload))
        self.ensure_check(day)

    def ensure_check(self, day: dt.date) -> None:
        """Phase (e) runs on every day the replay visits (docs/spec.md 5.12)."""
        if day not in self._checks and day <= self.horizon:
            self._checks.add(day)
            heapq.heappush(self._heap, (day, PH_CHECK, next(self._order), "check", None))

    def pop(self) -> Item:
        return heapq.heappop(self._heap)

    def __bool__(self) -> bool:
        return bool(self._heap)
