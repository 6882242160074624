"""Disputes and signed documents: steps recorded, the amicable attempt followed.

Which step opens or closes an amicable attempt, which court hears a referral and which
diagnostic a step gives are the rule's (``do: {dispute: {opens, closes, court, diagnostic}}``);
here they are only recorded.
"""

from __future__ import annotations

from ..events import DisputeStep, Signed
from .state import Decided, State, diag, entry, evolve


def dispute(s: State, d: Decided) -> State:
    e: DisputeStep = d.payload
    court = d.args.court
    code = d.args.diagnostic
    if code:
        s = diag(s, code, {"line": e.line, "court": court or "", "step": e.step})
    if e.step == d.args.opens:
        s = evolve(s, amicable_attempt=True)
    elif e.step == d.args.closes:
        s = evolve(s, amicable_attempt=False)
    detail = {"step": e.step}
    if e.step == "referred" and court:
        detail["court"] = court
    return entry(s, d.rule, "dispute_" + e.step, detail)


def signed(s: State, d: Decided) -> State:
    e: Signed = d.payload
    return entry(s, d.rule, "signed", {"ref": e.ref})
