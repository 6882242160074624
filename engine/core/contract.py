"""The contract between the rules files and the replay, declared once.

Two kinds of thing cross the border between Python and a rules file:

- **decision events**, which the replay posts to durable_rules (:mod:`engine.core.rulecore`): each is a
  frozen class below, with its name ``t`` and its fields, typed. Python computes the figures (dates
  as day numbers, money as cents, parameters as they are) and builds the event as an instance of
  its class, so a missing or misspelled field fails where the event is built; the rules compare
  the fields and choose;
- **consequences**, which a rule's ``do`` names and the engine carries out: each is a
  :class:`Consequence` value below, with its arguments and the decision events it can carry out.

The rules-file loader (:mod:`engine.conventions.rulesfile`) checks every ``when`` and ``do`` against these
declarations; the replay dispatches consequences through a registry checked complete against
them (:func:`handlers`); docs/flow.md and docs/rules-format.md describe them. Nothing else in
engine/ spells a decision field or a consequence name.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterable, Mapping, TypeVar

import attrs

# ----------------------------------------------------------------------------- field kinds

# What a posted field holds (for the docs and the loader): a day number (date.toordinal(), the
# day number of 9999-12-31 for "no such day"), cents, a whole number, a name, true/false.
DAY, CENTS, COUNT, NAME, FLAG = "day", "cents", "count", "name", "flag"
FAR_DAY = 3652059  # date.max.toordinal(): how "no such day" is posted, later than any day

_TYPES: dict[str, type] = {DAY: int, CENTS: int, COUNT: int, NAME: str, FLAG: bool}


def _field(kind: str, optional: bool = False) -> Any:
    check: Any = attrs.validators.instance_of(_TYPES[kind])
    return attrs.field(metadata={"kind": kind},
                       validator=attrs.validators.optional(check) if optional else check)


def day() -> Any:
    return _field(DAY)


def cents() -> Any:
    return _field(CENTS)


def count() -> Any:
    return _field(COUNT)


def name() -> Any:
    return _field(NAME)


def flag() -> Any:
    return _field(FLAG)


# ----------------------------------------------------------------------------- decision events


@attrs.frozen
class Decision:
    """A decision event. ``t`` names it in the rules files; :meth:`posted` is what durable_rules
    receives (a field that is None is not posted)."""

    t: ClassVar[str]

    def posted(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t}
        for key in _FIELD_NAMES[type(self)]:
            v = getattr(self, key)
            if v is not None:
                out[key] = v
        return out


@attrs.frozen
class Start(Decision):
    """Phase 0 of the start day."""

    t: ClassVar[str] = "start"


@attrs.frozen
class Terminate(Decision):
    """The day after the ruling last day (or at once when it is already past)."""

    t: ClassVar[str] = "terminate"
    by: str = name()


@attrs.frozen
class PeriodEnd(Decision):
    """The day after period ``k`` ends (0: the initial term)."""

    t: ClassVar[str] = "period_end"
    k: int = count()
    renewal: str = name()
    max_renewals: int = count()  # 1,000,000,000 when there is no limit


@attrs.frozen
class CallDue(Decision):
    """A calendar period's call (its first day, or the start day)."""

    t: ClassVar[str] = "call"
    # the period begins after the last day known on the call date (the ruling notice's, or the
    # expiry's): it would cover no day
    after_last_day: bool = flag()


@attrs.frozen
class Standing(Decision):
    """The standing may change: something overdue while current, or nothing while in default."""

    t: ClassVar[str] = "standing"
    overdue: int = cents()
    standing: str = name()
    # posted by the day's payment-default check (phase (e), after the day's calls), not by a
    # payment or a correction: the rules say which of them may start a default
    daily_check: bool = flag()


@attrs.frozen
class Payment(Decision):
    t: ClassVar[str] = "payment"
    terminated: bool = flag()


@attrs.frozen
class Amendment(Decision):
    t: ClassVar[str] = "amendment"
    terminated: bool = flag()
    # what the amendment sets: the term (`term.*`, which the engine leaves out: the term is fixed
    # at the start, docs/spec.md 5.9), and anything else; the rules say what to make of it
    sets_term: bool = flag()
    sets_other: bool = flag()


@attrs.frozen
class Signed(Decision):
    t: ClassVar[str] = "signed"
    terminated: bool = flag()


@attrs.frozen
class Dispute(Decision):
    t: ClassVar[str] = "dispute"
    terminated: bool = flag()
    step: str = name()
    amicable_open: bool = flag()


@attrs.frozen
class InputGiven(Decision):
    """An input's event (the rules file names its type): posted with ``t`` = that type."""

    t: ClassVar[str] = "input"  # the name the consequences' `fits` use for any input's event
    event: str = attrs.field(validator=attrs.validators.instance_of(str))  # posted as `t`
    terminated: bool = flag()
    year: int | None = _field(COUNT, optional=True)  # per-year inputs only

    def posted(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.event, "terminated": self.terminated}
        if self.year is not None:
            out["year"] = self.year
        return out


@attrs.frozen
class NoticeReceived(Decision):
    """A notice's receipts, before its last day is examined."""

    t: ClassVar[str] = "notice_received"
    terminated: bool = flag()
    by: str = name()
    reason: str = name()
    counted: int = count()
    missing: int = count()
    missing_recipient: str = name()
    standing_at_n: str = name()


@attrs.frozen
class Notice(Decision):
    """A notice with its notification date and last day, beside the ruling one's."""

    t: ClassVar[str] = "notice"
    by: str = name()
    reason: str = name()
    n: int = day()
    last_day: int = day()
    initial_end: int = day()
    final_end: int = day()
    ruling_last_day: int = day()
    ruling_n: int = day()
    standing_at_n: str = name()
    immediate_on_default: bool = flag()
    within_initial_term: str = name()


@attrs.frozen
class Displaced(Decision):
    """The ruling notice, displaced by one that ends earlier."""

    t: ClassVar[str] = "displaced"
    by: str = name()


@attrs.frozen
class Adjust(Decision):
    """A call whose due changes, with each row figure and its former value (``was_<figure>``;
    amounts in cents): the rules file names the figures, so they are posted from a mapping."""

    t: ClassVar[str] = "adjust"
    refund: bool = flag()
    beyond_last_day: bool = flag()
    figures: Mapping[str, Any] = attrs.field(factory=dict)  # not a field of its own: flattened

    def posted(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t, "refund": self.refund,
                               "beyond_last_day": self.beyond_last_day}
        out.update(self.figures)
        return out


@attrs.frozen
class LastDay(Decision):
    """The last day of a notice's termination (or the day a past one is learned)."""

    t: ClassVar[str] = "last_day"
    by: str = name()


# -- readings: events whose answer is one of their figures (engine/core/readings.py), which the rule
# that fires names with `do: {take: {figure: ...}}`; no rule leaves the figure as it stands.


def candidate(kind: str, optional: bool = False) -> Any:
    """A figure a reading's rule may take (``optional``: None when there is no such figure; it
    is then not posted, and taking it gives none)."""
    check: Any = attrs.validators.instance_of(_TYPES[kind])
    return attrs.field(metadata={"kind": kind, "candidate": True},
                       validator=attrs.validators.optional(check) if optional else check)


@attrs.frozen
class NoticePeriod(Decision):
    """A notice's period has run: which day it ends on, before its effect."""

    t: ClassVar[str] = "notice_period"
    by: str = name()
    n: int = day()
    period_ends: int = candidate(DAY)  # N + P (the party's period in force on N)
    working_day: int = candidate(DAY)  # the first working day on or after N + P
    extend_to_working_day: bool = flag()


@attrs.frozen
class NoticeEffect(Decision):
    """The effect of a notice whose period ends on ``day``."""

    t: ClassVar[str] = "notice_effect"
    by: str = name()
    n: int = day()
    day: int = candidate(DAY)  # the last day so far
    # the end of the first period that ends on or after `day` (indefinite renewal: the initial
    # term's end if on or after `day`, else `day`); no such day: none
    end_of_period: int = candidate(DAY)
    exit_date: int = candidate(DAY)  # the first exit date on or after `day` (none: no exit_dates)
    effect: str = name()


@attrs.frozen
class NoticeTerm(Decision):
    """A notice's last day beside the initial term's."""

    t: ClassVar[str] = "notice_term"
    by: str = name()
    n: int = day()
    day: int = candidate(DAY)  # the last day so far
    initial_end: int = candidate(DAY)
    within_initial_term: str = name()


@attrs.frozen
class LastDayCall(Decision):
    """The call of the period that holds a termination's last day, once the last day has come (or
    is learned): how many days it keeps."""

    t: ClassVar[str] = "last_day_call"
    by: str = name()  # a party, or `expiry`
    expiry: bool = flag()  # the convention ends at its term
    immediate: bool = flag()
    covered_days: int = candidate(COUNT)  # the days it covers as it stands
    days_to_last_day: int = candidate(COUNT)  # from its first covered day to the last day
    refund_unused: bool = flag()
    refund_on_default: bool = flag()
    prorata: str = name()
    # the period begins after the last day (a call made before the last day was known):
    # `days_to_last_day` is then 0
    after_last_day: bool = flag()


@attrs.frozen
class BasisYear(Decision):
    """A call of calendar ``year`` reads its basis input (the amount's `basis`) for one year:
    which."""

    t: ClassVar[str] = "basis_year"
    year: int = candidate(COUNT)  # the call's calendar year
    year_before: int = candidate(COUNT)  # the year before it
    choice: str = name()  # the value of the basis's `year` parameter on the call date


@attrs.frozen
class StandIn(Decision):
    """A call whose basis year's value is not known on the call date: which known year's value
    stands in for it (fixed at the call)."""

    t: ClassVar[str] = "stand_in"
    basis_year: int = count()
    latest_before: int | None = candidate(COUNT, optional=True)  # the latest earlier year known
    latest_known: int | None = candidate(COUNT, optional=True)  # the latest year known at all


def candidates(cls: type[Decision]) -> tuple[str, ...]:
    """The figures a reading's rule may take (none: not a reading)."""
    return tuple(a.name for a in attrs.fields(cls) if a.metadata.get("candidate"))


DECISIONS: tuple[type[Decision], ...] = (
    Start, Terminate, PeriodEnd, CallDue, Standing, Payment, Amendment, Signed, Dispute,
    NoticeReceived, Notice, Displaced, Adjust, LastDay,
    NoticePeriod, NoticeEffect, NoticeTerm, LastDayCall, BasisYear, StandIn)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(a.name for a in attrs.fields(cls)) for cls in DECISIONS + (InputGiven,)}


def fields_of(cls: type[Decision]) -> tuple[str, ...]:
    """The fields a decision event posts besides ``t`` (an input's: ``terminated``, ``year``;
    an adjustment's: also each row figure and its ``was_`` twin, which the rules file names)."""
    return tuple(n for n in _FIELD_NAMES[cls] if n != "figures" and n != "event")


def kind_of(cls: type[Decision], field: str) -> str:
    return attrs.fields_dict(cls)[field].metadata["kind"]


BY_NAME: dict[str, type[Decision]] = {cls.t: cls for cls in DECISIONS}
INPUT_FIELDS = fields_of(InputGiven)
# Every field some decision event carries (a row figure and its `was_` twin come on top).
ALL_FIELDS: frozenset[str] = frozenset(
    f for cls in DECISIONS + (InputGiven,) for f in fields_of(cls)) | {"t"}

# ----------------------------------------------------------------------------- consequences

# The kinds of a consequence's argument: a message of the file (or the engine's), a name, free
# text, true/false, a candidate figure of the event, or one of a tuple of values. Every argument
# may be left out.
DIAGNOSTIC, TEXT, BOOL = "diagnostic", "text", "bool"
FIGURE = "figure"  # a candidate field of the decision event (see `candidates`)


def _arg(kind: Any, default: Any = None) -> Any:
    return attrs.field(default=default, metadata={"kind": kind})


@attrs.frozen
class NoArgs:
    """The arguments of a consequence that takes none."""


@attrs.frozen
class DiagnosticArgs:
    diagnostic: str | None = _arg(DIAGNOSTIC)  # a diagnostic to add (a message of the file)


@attrs.frozen
class SupersedeArgs:
    because: str | None = _arg(("after_expiry", "ranking"))

    @property
    def after_expiry(self) -> bool:
        return self.because == "after_expiry"


@attrs.frozen
class AdjustArgs:
    show_last_day: bool = _arg(BOOL, True)  # the correction's detail names the last day


@attrs.frozen
class NoteArgs:
    kind: str | None = _arg(NAME)  # the kind of the entry recorded


@attrs.frozen
class TakeArgs:
    figure: str | None = _arg(FIGURE)  # the candidate figure of the reading's event to take


# The steps of a dispute a scenario gives (engine/conventions/loader.py reads them).
DISPUTE_STEPS = ("opened", "settled", "referred")


@attrs.frozen
class DisputeArgs:
    court: str | None = _arg(TEXT)
    diagnostic: str | None = _arg(DIAGNOSTIC)
    # the step that opens an amicable attempt, and the one that ends it (each referral to the
    # court comes after its own attempt): the dispute events' `amicable_open` follows them
    opens: str | None = _arg(DISPUTE_STEPS)
    closes: str | None = _arg(DISPUTE_STEPS)


@attrs.frozen(cache_hash=True)  # looked up in the replay's handler table for every decision
class Consequence:
    """What a rule's ``do`` may name: the class of its arguments (their kinds in its fields'
    metadata), the decision events it can carry out (:class:`InputGiven`: any input's event),
    and, for an argument of kind ``diagnostic``, the placeholders its message may use."""

    name: str
    fits: tuple[type[Decision], ...]
    args: type = NoArgs
    placeholders: frozenset[str] = frozenset()

    @property
    def arg_kinds(self) -> dict[str, Any]:
        """Each argument's kind, in the order the class declares them."""
        return {a.name: a.metadata["kind"] for a in attrs.fields(self.args)}

    @property
    def fit_names(self) -> tuple[str, ...]:
        return tuple(cls.t for cls in self.fits)

    def arguments(self, given: Mapping[str, Any]) -> Any:
        """The typed arguments of a rule's ``do`` (checked by the loader first)."""
        return self.args(**given)

    def __str__(self) -> str:
        return self.name


STARTED = Consequence("started", (Start,))
TERMINATED = Consequence("terminated", (Terminate,))
EXPIRE = Consequence("expire", (PeriodEnd,))
RENEW = Consequence("renew", (PeriodEnd,))
AFTER_TERMINATION = Consequence(
    "after_termination", (Payment, Amendment, Signed, Dispute, NoticeReceived, InputGiven))
RECORD = Consequence("record", (InputGiven,))
AMEND = Consequence("amend", (Amendment,), DiagnosticArgs, frozenset({"ref", "line"}))
CALL = Consequence("call", (CallDue,))
OVERDUE = Consequence("overdue", (Standing,))
CURED = Consequence("cured", (Standing,))
PAYMENT = Consequence("payment", (Payment,))
NOTICE_VOID = Consequence("notice_void", (NoticeReceived,))
DIAGNOSE = Consequence("diagnose", (NoticeReceived, Notice), DiagnosticArgs,
                       frozenset({"by", "line", "reason"}))
TERMINATE_NOW = Consequence("terminate_now", (Notice,))
SUPERSEDE = Consequence("supersede", (Notice, Displaced), SupersedeArgs)
REFUSE_NOTICE = Consequence("refuse_notice", (Notice,))
SCHEDULE_TERMINATION = Consequence("schedule_termination", (Notice,))
ADJUST = Consequence("adjust", (Adjust,), AdjustArgs)
NOTE = Consequence("note", (LastDay,), NoteArgs)
DISPUTE = Consequence("dispute", (Dispute,), DisputeArgs, frozenset({"line", "court", "step"}))
SIGNED = Consequence("signed", (Signed,))
TAKE = Consequence("take", (NoticePeriod, NoticeEffect, NoticeTerm, LastDayCall, BasisYear, StandIn),
                   TakeArgs)

CONSEQUENCES: tuple[Consequence, ...] = (
    STARTED, TERMINATED, EXPIRE, RENEW, AFTER_TERMINATION, RECORD, AMEND, CALL, OVERDUE, CURED,
    PAYMENT, NOTICE_VOID, DIAGNOSE, TERMINATE_NOW, SUPERSEDE, REFUSE_NOTICE, SCHEDULE_TERMINATION,
    ADJUST, NOTE, DISPUTE, SIGNED, TAKE)
# The consequences the replay carries out; `take` answers a reading (engine/core/readings.py).
EFFECTS: tuple[Consequence, ...] = tuple(c for c in CONSEQUENCES if c is not TAKE)
CONSEQUENCE_BY_NAME: dict[str, Consequence] = {c.name: c for c in CONSEQUENCES}

# The consequences that end the convention (a notice that takes effect).
ENDS_CONVENTION = frozenset({SCHEDULE_TERMINATION, TERMINATE_NOW})
# The consequences after which a notice goes no further (no `notice` decision follows).
STOPS_NOTICE = frozenset({AFTER_TERMINATION, NOTICE_VOID})

H = TypeVar("H")


def handlers(table: Mapping[Consequence, H], among: Iterable[Consequence] = CONSEQUENCES
             ) -> dict[Consequence, H]:
    """``table``, checked to carry out every consequence of ``among`` and nothing else (called at
    import by whoever carries them out, so that a consequence without a handler fails at once)."""
    want, have = set(among), set(table)
    if want != have:
        missing = sorted(c.name for c in want - have)
        extra = sorted(c.name for c in have - want)
        raise TypeError(f"consequence handlers: missing {missing}, unknown {extra}")
    return dict(table)


Handler = Callable[[Any, Any], None]
