"""The one adapter around durable_rules. Nothing else in the engine knows how it is called.

Facts measured about durable_rules 2.0.28 shape this module:
- a Host of our own whose ``_run`` does nothing starts no timer thread; it compiles the rulesets,
  and each event is posted to the ruleset's C handle directly (see :meth:`Decider.decide`);
- rulesets are JSON definitions, registered once per Host (a name can never be redefined), and
  ``register_rulesets`` mutates what it is given, so it gets a fresh copy;
- conditions test only the posted event's own fields (joins across events crash the C core);
- every replay uses a fresh ``sid`` and deletes it afterwards (at most 1,024 live sids);
- the C core has no locks: one Host per thread.

Each rule of a rules file becomes one durable_rules rule (engine.conventions.rulesfile compiles its `when`
with engine.core.conditions) whose priority is its rank in the file, so the first matching rule fires;
a catch-all rule of lowest priority consumes anything else, so that no event lingers in rule
memory.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from typing import Any, Mapping

import durable.engine
import durable_rules_engine

CATCH_ALL = "engine.no_rule"


class RuleCoreError(RuntimeError):
    pass


class _SyncHost(durable.engine.Host):
    """A Host without background threads, used to compile and hold the rulesets."""

    def _run(self) -> None:  # no timer threads: time is simulated by the replay
        pass

    def get_action(self, action_name: str):
        # Actions are never run through the Host (see Decider.decide); one parameter only,
        # as durable_rules passes a completion callback to two-argument actions.
        def action(c):
            pass

        return action


def ruleset_definition(rules: Mapping[str, Any]) -> dict:
    """The durable_rules JSON definition of a rules file's compiled rules, with the catch-all."""
    out = json.loads(json.dumps(rules, default=_plain))
    out[CATCH_ALL] = {"pri": 1_000_000, "all": [{"m": {"$ex": {"t": 1}}}], "run": CATCH_ALL}
    return out


def _plain(x: Any) -> Any:
    if isinstance(x, Mapping):
        return dict(x)
    if isinstance(x, tuple):
        return list(x)
    raise TypeError(type(x).__name__)


def _no_default(o: Any) -> Any:
    raise TypeError(f"{type(o).__name__} is not posted to the rules")


# json.dumps makes a new C encoder on every call; a decision event is posted thirty-odd times
# per replay, so one encoder is made once (the same bytes as json.dumps with its defaults).
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_encoder is not None:
    _encoder = _c_encoder(None, _no_default, json.encoder.encode_basestring_ascii, None, ": ",
                          ", ", False, False, True)

    def _json(message: dict) -> str:
        return "".join(_encoder(message, 0))
else:  # a Python without the C accelerator

    def _json(message: dict) -> str:
        return json.dumps(message)


_definitions: dict[int, tuple] = {}
_definitions_lock = threading.Lock()


def _definition(rules: Mapping[str, Any]) -> tuple[dict, str]:
    """The definition and a key naming it, computed once per rules object.

    Rules files are loaded once and cached (engine.conventions.rulesfile), so the object is the same for
    every replay; the cache keeps it alive, so its id cannot be reused.
    """
    hit = _definitions.get(id(rules))
    if hit is None or hit[0] is not rules:
        definition = ruleset_definition(rules)
        key = json.dumps(definition, sort_keys=True)
        hit = (rules, definition, key)
        with _definitions_lock:
            _definitions[id(rules)] = hit
    return hit[1], hit[2]


class _ThreadCore(threading.local):
    def __init__(self) -> None:
        self.host: _SyncHost | None = None
        self.names: dict[str, str] = {}


_local = _ThreadCore()
_sids = itertools.count(1)
_names = itertools.count(1)


class Decider:
    """Posts decision events for one replay to this thread's Host and says which rule fired."""

    def __init__(self, rules: Mapping[str, Any]):
        if _local.host is None:
            _local.host = _SyncHost()
        self._host = _local.host
        definition, key = _definition(rules)
        name = _local.names.get(key)
        if name is None:
            name = f"convention{next(_names)}"
            self._host.register_rulesets({name: copy.deepcopy(definition)})
            _local.names[key] = name
        self._ruleset = name
        self._handle = self._host.get_ruleset(name)._handle
        self._sid = f"r{next(_sids)}"
        self._seq = 0

    def decide(self, message: dict) -> str:
        """Post one event; return the id of the rule that fired (CATCH_ALL when none).

        This is what ``Host.post`` does for one event, without its Python closure machinery:
        assert the event in the C core, take the one action it schedules (its key is the name
        of the rule that fired) and complete it. The session state is never changed by our
        rules, so the JSON round trip of the state that ``Host.post`` makes around each action
        is skipped; it cost three quarters of a post (docs/performance.md).
        """
        self._seq += 1
        message["sid"] = self._sid  # the message is the caller's own (Decision.posted())
        message["seq"] = self._seq
        result = durable_rules_engine.assert_event(self._handle, _json(message))
        if result[0] != 0:
            raise RuleCoreError(f"durable_rules refused {message} (code {result[0]})")
        state_handle = result[1]
        action = durable_rules_engine.start_action_for_state(self._handle, state_handle)
        if not action:
            raise RuleCoreError(f"no rule fired for {message}")
        fired = action[1]  # '{"<rule id>": {...the event...}}'; rule ids hold no quote
        rule = fired[2:fired.index('"', 2)]
        if durable_rules_engine.complete_and_start_action(self._handle, state_handle):
            raise RuleCoreError(f"more than one rule fired for {message}")
        return rule

    def close(self) -> None:
        try:
            self._host.delete_state(self._ruleset, self._sid)
        except Exception:  # a sid that never received an event has no state to delete
            pass
