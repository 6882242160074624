"""Voiding an event: who may, and what a void request says.

A void is a correction of the register that never erases: the event stays stored, a row records
who voided it, when and why, and every replay skips it (its line of the register's document is
left empty). It is for an administrator only. :func:`void_actor` is the one place that
decides: it answers the name recorded as ``by`` (the API key's name), or raises
``Problem("forbidden", ...)`` for a key of another role than ``admin`` (:mod:`.auth`). A server
run with ``--no-auth`` takes every caller as the anonymous administrator (``by: "anonymous"``).
"""

from __future__ import annotations

from typing import Any, Mapping

from starlette.requests import Request

from . import auth
from .bodies import REQUEST
from .problems import Problem

__all__ = ["void_actor", "void_reason", "REASON_CHARS"]

REASON_CHARS = 1000


def void_actor(request: Request) -> str:
    """Who voids (recorded as ``by``), or :class:`Problem` ``forbidden``: the authorization hook
    of ``POST /v1/conventions/{id}/events/{n}/void``: an admin key only, recorded by its name."""
    who = auth.caller(request)
    if not who.manages:
        raise Problem("forbidden", f"a key of role {who.role} may not void an event: voiding is for "
                                   f"a key of role {auth.ADMIN}")
    return who.name


def void_reason(value: Any) -> str:
    """The body of a void: ``{"reason": "..."}``, a reason of 1 to 1000 characters."""
    if not isinstance(value, Mapping) or set(value) != {"reason"}:
        raise Problem("invalid-scenario", f'{REQUEST}:1: expected {{"reason": "why the event is voided"}}', line=1)
    reason = value["reason"]
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_CHARS:
        raise Problem("invalid-scenario", f"{REQUEST}:1: reason: expected a text of 1 to {REASON_CHARS} "
                                          "characters", line=1)
    return reason.strip()
