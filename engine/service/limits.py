"""What one request may cost, and how ``convention serve`` hands the limits to its workers."""

from __future__ import annotations

import os
from typing import Any, Mapping

import attrs

from . import store as store_mod

MiB = 1024 * 1024


@attrs.frozen
class Limits:
    """What one request may cost."""

    body: int = MiB  # bytes of a request body
    events: int = store_mod.MAX_EVENTS  # events per convention
    replay_seconds: float = 10.0  # one replay (timeline, state, deadlines, check)
    portfolio_seconds: float = 60.0  # GET /v1/deadlines: every convention's deadlines


ENV = {"db": "CONVENTION_DB", "body": "CONVENTION_MAX_BODY", "events": "CONVENTION_MAX_EVENTS",
       "replay_seconds": "CONVENTION_REPLAY_SECONDS"}


def limits_from_env(env: Mapping[str, str] = os.environ) -> Limits:
    kw: dict[str, Any] = {}
    if env.get(ENV["body"]):
        kw["body"] = int(env[ENV["body"]])
    if env.get(ENV["events"]):
        kw["events"] = int(env[ENV["events"]])
    if env.get(ENV["replay_seconds"]):
        kw["replay_seconds"] = float(env[ENV["replay_seconds"]])
    return Limits(**kw)
