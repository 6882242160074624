"""The replay: a fold over an agenda of dated events, decisions taken by durable_rules.

The package is laid out by mechanic, so that a newcomer can find where a consequence is carried
out by its name in the rules file:

- ``agenda``: the order of the items (date, phase of the day, sequence; docs/spec.md 5.12);
- ``driver``: simulated time, the decision each item asks, and the table from each consequence
  of engine/core/contract.py to the function that carries it out;
- ``term``: start, renewal, expiry, notices and the termination that rules;
- ``charges``: inputs and amendments, calls, adjustments, payments (the ledger's money);
- ``standing``: current or in default;
- ``disputes``: dispute steps and signed documents;
- ``text``: diagnostics as facts during the replay, as words in the timeline.

Consequences record timeline entries and schedule what follows; they never choose between
outcomes, and no rule id or convention word appears here: the rules file names them all.
"""

from .driver import HANDLERS, Replay, default_horizon, replay

_HANDLERS = HANDLERS  # its name before the package (engine/core/replay.py)

__all__ = ["replay", "Replay", "default_horizon", "HANDLERS"]
