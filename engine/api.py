"""The embedding API: load a scenario, replay it, query the timeline, or keep a live session.

Every call is independent: a replay builds its own state and its own rules-engine session, so
independent conventions replay in the same process, in threads, without sharing anything.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any, Mapping

import attrs

from .core.events import Event, Scenario
from .conventions.loader import load_event as _load_event
from .conventions.loader import load_scenario as _load
from .core.replay import replay as _replay
from .conventions.rulesfile import of_scenario as rules_of
from .core.timeline import Timeline
from .answers.deadlines import deadlines as _deadlines

__all__ = ["load_scenario", "replay", "Session"]


def load_scenario(source: str | bytes | os.PathLike | Mapping[str, Any], *, filename: str | None = None) -> Scenario:
    """A scenario from a file path, YAML/JSON text, or a mapping; raises :class:`ScenarioError`."""
    return _load(source, filename=filename)


def replay(scenario: Scenario, until: dt.date | None = None) -> Timeline:
    """Replay ``scenario`` up to ``until`` (default: its horizon) and return its :class:`Timeline`,
    which can answer :meth:`~Timeline.deadlines` and be :meth:`~Timeline.extended` (the core's
    replay knows no answer: this face gives them)."""
    return attrs.evolve(_replay(scenario, until), replayer=replay, deadliner=_deadlines)


class Session:
    """A live convention: apply events one at a time, ask for the timeline at any moment.

    Each :meth:`apply` adds a fact; :meth:`timeline` replays everything known so far. As in a
    scenario file, facts may come in any date order: they are replayed by date, and facts of the
    same date in the order they were applied. A session may be shared between threads.
    """

    def __init__(self, scenario: Scenario):
        self._scenario = scenario
        self._lock = threading.Lock()  # one session may be shared by a service's threads

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    def apply(self, event: Event | Mapping[str, Any]) -> Event:
        """Add one fact: an :class:`~engine.core.events.Event`, or a mapping written as in a scenario
        file (``{"date": "2027-01-20", "type": "payment", "amount": "1000.00"}``). An invalid
        mapping raises :class:`ScenarioError` and leaves the session unchanged."""
        with self._lock:
            seq = len(self._scenario.events)
            if isinstance(event, Mapping):
                event = _load_event(event, rules=rules_of(self._scenario), seq=seq,
                                    filename="<session>", overrides=self._scenario.overrides)
            else:
                event = attrs.evolve(event, seq=seq)
            self._scenario = attrs.evolve(self._scenario, events=self._scenario.events + (event,))
            return event

    def timeline(self, until: dt.date | None = None) -> Timeline:
        return replay(self._scenario, until)
