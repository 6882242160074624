"""Disputes and signed documents: steps recorded, the amicable attempt followed.

Which step opens or closes an amicable attempt, which court hears a referral and which
diagnostic a step gives are the rule's (``do: {dispute: {opens, closes, court, diagnostic}}``);
here they are only recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import DisputeStep, Signed

if TYPE_CHECKING:
    from .driver import Replay


def dispute(r: Replay, e: DisputeStep) -> None:
    court = r.args.court
    code = r.args.diagnostic
    if code:
        r.diag(r.today, code, {"line": e.line, "court": court or "", "step": e.step})
    if e.step == r.args.opens:
        r.amicable_attempt = True
    elif e.step == r.args.closes:
        r.amicable_attempt = False
    detail = {"step": e.step}
    if e.step == "referred" and court:
        detail["court"] = court
    r.entry("dispute_" + e.step, detail)


def signed(r: Replay, e: Signed) -> None:
    r.entry("signed", {"ref": e.ref})
