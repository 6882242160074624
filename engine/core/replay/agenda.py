"""The agenda: what the replay does next, in the order of docs/spec.md 5.12.

Items are ordered by date, then by the phase of the day, then by the order they were scheduled
in. Kept apart from what the items do so that the order can be read in one place: a newcomer
asking "why did this run before that" reads the phases below and nothing else.

The agenda is a frozen value of the replay's state: scheduling an item gives a new agenda. It
holds few items at a time (the next call, the next period end, a day's check, the scenario's
events still to come), so a sorted tuple rebuilt on each change costs less than it reads.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

import attrs

from ..frozen import evolve as _evolve

# Phases of a day (docs/spec.md 5.12): (a) terminations take effect, (b) periods end, (c) inputs
# and amendments, (d) calls, (e) the standing is checked, (f) other events, (g) last-day work.
PH_START = 0
PH_TERMINATE, PH_PERIOD_END, PH_C, PH_CALL, PH_CHECK, PH_F, PH_G = 1, 2, 3, 4, 5, 6, 7

Item = tuple[dt.date, int, int, str, Any]  # (day, phase, sequence, kind, payload)


@attrs.frozen(slots=False)  # made anew on each change: engine/core/frozen.py
class Agenda:
    """The dated items still to run, up to the horizon (later ones are never scheduled)."""

    horizon: dt.date
    items: tuple[Item, ...] = ()  # in the order they run
    scheduled: int = 0  # items scheduled so far: the next one's sequence
    checks: frozenset[dt.date] = frozenset()  # the days that have a phase (e) check

    def push(self, day: dt.date, phase: int, kind: str, payload: Any = None) -> Agenda:
        if day > self.horizon:
            return self
        items = list(self.items)
        # Items compare as tuples: (day, phase, sequence) never ties, so neither the kind nor
        # the payload is ever compared.
        bisect.insort(items, (day, phase, self.scheduled, kind, payload))
        scheduled = self.scheduled + 1
        if day in self.checks:
            return _evolve(self, items=tuple(items), scheduled=scheduled)
        # Phase (e) runs on every day the replay visits (docs/spec.md 5.12).
        bisect.insort(items, (day, PH_CHECK, scheduled, "check", None))
        return _evolve(self, items=tuple(items), scheduled=scheduled + 1, checks=self.checks | {day})

    def ensure_check(self, day: dt.date) -> Agenda:
        """A phase (e) check on ``day`` (a due date's next day), unless it has one."""
        if day in self.checks or day > self.horizon:
            return self
        items = list(self.items)
        bisect.insort(items, (day, PH_CHECK, self.scheduled, "check", None))
        return _evolve(self, items=tuple(items), scheduled=self.scheduled + 1,
                       checks=self.checks | {day})

    def without(self, item: Item) -> Agenda:
        """The agenda without ``item``, its next one."""
        if self.items[0] is not item:
            raise ValueError("only the next item of the agenda can be taken off it")
        return _evolve(self, items=self.items[1:])

    def __bool__(self) -> bool:
        return bool(self.items)
