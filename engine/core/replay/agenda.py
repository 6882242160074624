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
    """The dated items still to run, up to the horizon (later ones are never scheduled).

    Phase (e), the standing's check, runs on every day the replay visits (docs/spec.md 5.12):
    the driver runs it between the day's items of phases (a)-(d) and the others (or when it
    leaves the day), so it is not an item; a day visited only for its check (the day after a due
    date) has a ``check`` item of its own, which does nothing else."""

    horizon: dt.date
    items: tuple[Item, ...] = ()  # in the order they run
    scheduled: int = 0  # items scheduled so far: the next one's sequence

    def push(self, day: dt.date, phase: int, kind: str, payload: Any = None) -> Agenda:
        if day > self.horizon:
            return self
        # Items compare as tuples: (day, phase, sequence) never ties, so neither the kind nor
        # the payload is ever compared.
        item = (day, phase, self.scheduled, kind, payload)
        items = self.items
        i = bisect.bisect_right(items, item)
        return _evolve(self, items=items[:i] + (item,) + items[i:], scheduled=self.scheduled + 1)

    def ensure_check(self, day: dt.date) -> Agenda:
        """A visit to ``day`` (a due date's next day) for its phase (e) check, unless an item
        already takes the replay there."""
        items = self.items
        i = bisect.bisect_left(items, (day,))
        if day > self.horizon or (i < len(items) and items[i][0] == day):
            return self
        return self.push(day, PH_CHECK, "check")

    def without(self, item: Item) -> Agenda:
        """The agenda without ``item``, its next one."""
        if self.items[0] is not item:
            raise ValueError("only the next item of the agenda can be taken off it")
        return _evolve(self, items=self.items[1:])

    def __bool__(self) -> bool:
        return bool(self.items)
