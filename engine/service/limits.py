"""What one request may cost, and how ``convention serve`` hands the limits to its workers."""

from __future__ import annotations

import os
from typing import Any, Mapping

import attrs

from . import store as store_mod

MiB = 1024 * 1024

# What one value of a body may be, checked while the body is parsed and before anything is
# built from it (a number's exact digits, a date, a duration): a literal is refused by its text.
NUMBER_CHARS = 40  # characters of a number literal (digits, sign, point, exponent)
NUMBER_EXPONENT = 30  # |adjusted exponent| of a number: 1E+31 and 1E-31 are refused
STRING_CHARS = 10_000  # characters of one string (a name, a reason, a date, a duration)
DURATION_YEARS = 100  # the span of a duration (P100Y, P1200M...): the engine's own bound


@attrs.frozen
class Limits:
    """What one request may cost."""

    body: int = MiB  # bytes of a request body
    events: int = store_mod.MAX_EVENTS  # events per convention
    replay_seconds: float = 10.0  # one replay (timeline, state, deadlines, check)
    portfolio_seconds: float = 60.0  # GET /v1/deadlines: every convention's deadlines
    header_seconds: float = 30.0  # a connection's time to send a complete request head


ENV = {"db": "CONVENTION_DB", "body": "CONVENTION_MAX_BODY", "events": "CONVENTION_MAX_EVENTS",
       "replay_seconds": "CONVENTION_REPLAY_SECONDS",
       "header_seconds": "CONVENTION_HEADER_SECONDS"}


def limits_from_env(env: Mapping[str, str] = os.environ) -> Limits:
    kw: dict[str, Any] = {}
    if env.get(ENV["body"]):
        kw["body"] = int(env[ENV["body"]])
    if env.get(ENV["events"]):
        kw["events"] = int(env[ENV["events"]])
    if env.get(ENV["replay_seconds"]):
        kw["replay_seconds"] = float(env[ENV["replay_seconds"]])
    if env.get(ENV["header_seconds"]):
        kw["header_seconds"] = float(env[ENV["header_seconds"]])
    return Limits(**kw)
