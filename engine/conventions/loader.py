"""Read a scenario file (docs/spec.md 4) into a :class:`~engine.core.events.Scenario`.

Serialisation stays at this edge. The YAML is read as values that know their line
(:mod:`engine.conventions.yamlnodes`) and every field is checked against the scenario format and against the
convention's rules file: its inputs (the per-year maps at the top, the current values under
the format's key for them, ``CURRENT``, the event that brings each), its parties and notice recipients, its parameters (for
`overrides:` and amendments) and its contribution rows (for `expect:`). Anything else is refused
with ``FILE:LINE: what is wrong`` (:class:`~engine.errors.ScenarioError`), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Mapping, TypedDict

from ..core import params
from . import rulesfile
from ..errors import ScenarioError
from ..core.events import (
    AmendmentSigned,
    DisputeStep,
    Event,
    InputGiven,
    NoticeReceived,
    PaymentReceived,
    Receipt,
    Scenario,
    Signed,
)
from .yamlnodes import (
    CODE,
    MAX_BYTES,
    MAX_COUNT,
    MAX_DEPTH,
    describe,
    from_text,
    Node,
    path_line,
    read_amount,
    read_bool,
    read_choice,
    read_date,
    read_fields,
    read_file,
    read_int,
    read_optional_date,
    read_optional_text,
    read_plain,
    read_text,
    read_year,
    read_year_map,
    ReadError,
    short,
    wrap,
)

__all__ = ["load_scenario", "load_event", "ScenarioError", "MAX_BYTES", "MAX_DEPTH"]

DISPUTE_STEPS = rulesfile.DISPUTE_STEPS
STATES = ("initial_term", "renewed", "terminated")


def _parameters(v: Node, where: str, rules: rulesfile.RulesFile) -> dict:
    if v.kind != "map":
        raise ReadError(v.line, f"{where}: expected a mapping of parameters, got {describe(v)}")
    tree = read_plain(v, where)
    try:
        rules.schema.check_partial(tree)
    except params.ParamError as e:
        name = ".".join(map(str, e.path))
        raise ReadError(path_line(v, e.path), f"{where}: {name}: {e.message}" if name else f"{where}: {e.message}") from None
    return tree


def _input_value(v: Node, what: str, inp: rulesfile.Input) -> Any:
    if inp.type == "count":
        return read_int(v, what)
    return read_amount(v, what, allow_zero=True)


# --------------------------------------------------------------------------- events


_EVENT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "payment": (("amount",), ("for",)),
    "amendment": (("effective", "set"), ("ref",)),
    "notice": (("by", "received"), ("sent", "reason")),
    "dispute": (("step",), ()),
    "signed": ((), ("ref",)),
}


def _event_keys(kind: str, rules: rulesfile.RulesFile) -> tuple[tuple[str, ...], tuple[str, ...]]:
    inp = rules.input_of_event(kind)
    if inp is None:
        return _EVENT_KEYS[kind]
    return (("year", inp.field) if inp.per_year else (inp.field,)), ()


def _receipt(v: Node, where: str, event_date: dt.date) -> Receipt:
    if v.kind == "map":
        f = read_fields(v, where, ("presented",), ("delivered", "unclaimed"))
        presented = read_date(f["presented"], f"{where}: presented")
        unclaimed = read_bool(f["unclaimed"], f"{where}: unclaimed") if "unclaimed" in f else False
        if unclaimed and "delivered" in f:
            raise ReadError(f["delivered"].line, f"{where}: a letter is either delivered or unclaimed, not both")
        if not unclaimed and "delivered" not in f:
            raise ReadError(v.line, f"{where}: give `delivered: DATE` or `unclaimed: true` with `presented`")
        if presented > event_date:
            raise ReadError(f["presented"].line, f"{where}: receipt dated after the event (presented {presented}, event dated {event_date})")
        if unclaimed:
            return Receipt(presented=presented, unclaimed=True)
        delivered = read_date(f["delivered"], f"{where}: delivered")
        if delivered < presented:
            raise ReadError(f["delivered"].line, f"{where}: delivered {delivered} is before presented {presented}")
        if delivered > event_date:
            raise ReadError(f["delivered"].line, f"{where}: receipt dated after the event (delivered {delivered}, event dated {event_date})")
        return Receipt(delivered=delivered, presented=presented)
    if v.kind == "scalar" and v.value is None:
        raise ReadError(v.line, f"{where}: missing receipt date")
    delivered = read_date(v, where)
    if delivered > event_date:
        raise ReadError(v.line, f"{where}: receipt dated after the event (received {delivered}, event dated {event_date})")
    return Receipt(delivered=delivered)


class _Common(TypedDict):
    """The fields every event takes from its place in the file, passed on as ``**common``."""

    date: dt.date
    line: int
    seq: int


def _notice(f: dict, where: str, date: dt.date, common: _Common, rules: rulesfile.RulesFile) -> NoticeReceived:
    by = read_choice(f["by"], f"{where}: by", tuple(rules.parties))
    rv = f["received"]
    if rv.kind != "map":
        raise ReadError(rv.line, f"{where}: received: expected a mapping recipient: date, got {describe(rv)}")
    allowed = tuple(r for r in rules.recipients if r != by)
    received = []
    for key, item in rv.value.items():
        kline = rv.key_lines[key]
        if key == by:
            raise ReadError(kline, f"{where}: a notice by {by} is not received by {by} (recipients: {', '.join(allowed)})")
        if not isinstance(key, str) or key not in allowed:
            raise ReadError(kline, f"{where}: unknown recipient {str(key)!r} (expected one of {', '.join(allowed)})")
        received.append((key, _receipt(item, f"{where}: received by {key}", date)))
    if not received:
        raise ReadError(rv.line, f"{where}: received: give at least one recipient with its receipt date")
    sent = read_optional_date(f.get("sent"), f"{where}: sent")
    if sent is not None:
        first = min(d for _, r in received for d in (r.presented, r.delivered) if d is not None)
        if sent > first:
            raise ReadError(f["sent"].line, f"{where}: sent {sent} is after a receipt ({first})")
    return NoticeReceived(
        **common, by=by, received=tuple(received), sent=sent,
        reason=read_optional_text(f.get("reason"), f"{where}: reason"),
    )


def _event(v: Node, index: int, rules: rulesfile.RulesFile, base: Mapping | None = None) -> Event:
    """One event; ``base`` (the rules file's parameters with the overrides) checks that an
    amendment leaves a whole set of parameters that holds together."""
    where = f"event {index + 1}"
    types = rules.event_types
    if v.kind != "map":
        raise ReadError(v.line, f"{where}: expected a mapping with date and type, got {describe(v)}")
    tv = v.value.get("type")
    if tv is None:
        raise ReadError(v.line, f"{where}: missing 'type' (one of {', '.join(types)})")
    if tv.kind != "scalar" or not isinstance(tv.value, str) or tv.value not in types:
        known = ", ".join(types)
        if tv.kind == "scalar" and isinstance(tv.value, str):
            raise ReadError(tv.line, f'{where}: unknown event type "{short(tv.value)}" (known types: {known})')
        raise ReadError(tv.line, f"{where}: type: expected one of {known}, got {describe(tv)}")
    kind = tv.value
    where = f"{where} ({kind})"
    required, optional = _event_keys(kind, rules)
    f = read_fields(v, where, ("date", "type") + required, optional)
    date = read_date(f["date"], f"{where}: date")
    common: _Common = {"date": date, "line": v.line, "seq": index}
    inp = rules.input_of_event(kind)
    if inp is not None:
        year = read_year(f["year"], f"{where}: year") if inp.per_year else None
        value = _input_value(f[inp.field], f"{where}: {inp.field}", inp)
        return InputGiven(**common, type=kind, input=inp.name, value=value, field=inp.field, year=year)
    if kind == "payment":
        fv = f.get("for")
        for_year = None if fv is None or (fv.kind == "scalar" and fv.value is None) else read_year(fv, f"{where}: for")
        return PaymentReceived(**common, amount=read_amount(f["amount"], f"{where}: amount", allow_zero=False),
                               for_year=for_year)
    if kind == "amendment":
        effective = read_date(f["effective"], f"{where}: effective")
        tree = _parameters(f["set"], f"{where}: set", rules)
        if not tree:
            raise ReadError(f["set"].line, f"{where}: set: no parameter to change")
        if "call" in (tree.get("contribution") or {}):
            raise ReadError(path_line(f["set"], ("contribution", "call")),
                        f"{where}: set: contribution.call: the call frequency cannot be amended "
                        "(it is the rules file's, or the scenario's overrides')")
        if base is not None:  # the whole set of parameters must still hold together
            try:
                rules.schema.convert(params.deep_merge(base, {k: v for k, v in tree.items() if k != "term"}))
            except params.ParamError as e:
                raise ReadError(path_line(f["set"], e.path), f"{where}: set: {e}") from None
        return AmendmentSigned(
            **common, effective=effective, set=tree, ref=read_optional_text(f.get("ref"), f"{where}: ref")
        )
    if kind == "notice":
        return _notice(f, where, date, common, rules)
    if kind == "dispute":
        return DisputeStep(**common, step=read_choice(f["step"], f"{where}: step", DISPUTE_STEPS))
    return Signed(**common, ref=read_optional_text(f.get("ref"), f"{where}: ref"))


# --------------------------------------------------------------------------- expect

_ROW_READERS = {
    "count": lambda v, w: read_int(v, w, 0, MAX_COUNT),
    "year": lambda v, w: None if v.kind == "scalar" and v.value is None else read_year(v, w),
    "amount": lambda v, w: None if v.kind == "scalar" and v.value is None else read_amount(v, w, allow_zero=True),
    "rate": lambda v, w: _rate(v, w),
    "name": lambda v, w: read_text(v, w),
}


def _rate(v: Node, what: str) -> Any:
    try:
        return params.TYPES["rate"](v.value)
    except ValueError as e:
        raise ReadError(v.line, f"{what}: {e}") from None


def _contribution_key(key: Any, kline: int, where: str) -> int | dt.date:
    if isinstance(key, dt.date):
        return key
    if isinstance(key, str) and len(key) == 10:
        return read_date(Node("scalar", key, kline, key), where)
    return read_year(Node("scalar", key, kline, str(key)), where)


STANDINGS = ("current", "in_default")
# What `expect: states` may check of a period, beside its state: the keys of a period in the JSON
# timeline (docs/spec.md 6). A state a rules file declares (docs/spec.md 10, such as `suspended`)
# is a true/false key of its periods, checked the same way (see period_keys).
PERIOD_KEYS = ("state", "standing", "notice")


def period_keys(rules: rulesfile.RulesFile) -> tuple[str, ...]:
    """The keys `expect: states` accepts for a period of this convention: the engine's, then the
    states the rules file declares (none before the v3 format: the attribute is then absent)."""
    declared = getattr(rules, "states", None) or ()
    return PERIOD_KEYS + tuple(str(name) for name in declared if str(name) not in PERIOD_KEYS)


def _codes(v: Node, where: str, lines: dict[str, int]) -> Any:
    """`expect: entries` or `diagnostics`: a list of codes (each at least once), or by code
    `CODE: N` (exactly N times) or `CODE: [DATE, ...]` (exactly on these dates, a date listed
    once per occurrence)."""
    name = where.removeprefix("expect: ")
    if v.kind == "seq":
        codes = []
        for item in v.value:
            code = read_text(item, where)
            if not CODE.match(code):
                raise ReadError(item.line, f'{where}: "{short(code)}" is not a code such as payment_overdue')
            codes.append(code)
            lines.setdefault(f"{name}.{code}", item.line)
        return codes
    if v.kind != "map":
        raise ReadError(v.line, f"{where}: expected a list of codes, or a mapping CODE: number of "
                                f"times or CODE: [DATE, ...], got {describe(v)}")
    out: dict[str, Any] = {}
    for key, item in v.value.items():
        kline = v.key_lines[key]
        code = str(key)
        if not isinstance(key, str) or not CODE.match(code):
            raise ReadError(kline, f'{where}: "{short(code)}" is not a code such as payment_overdue')
        w = f"{where} {code}"
        if item.kind == "seq":
            out[code] = tuple(sorted(read_date(d, w) for d in item.value))
        elif item.kind == "scalar" and type(item.value) is int:
            out[code] = read_int(item, w, 0, MAX_COUNT)
        else:
            raise ReadError(item.line, f"{w}: expected a number of times (0, 1, 2...) or a list of "
                                       f"dates, got {describe(item)}")
        lines[f"{name}.{code}"] = kline
    return out


def _expect(v: Node, rules: rulesfile.RulesFile) -> tuple[dict, dict[str, int]]:
    """The expectations, and the line of each (by the name `failures` reports it under)."""
    f = read_fields(v, "expect", (), ("termination", "contributions", "states", "entries", "diagnostics"))
    out: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if "termination" in f:
        tv = f["termination"]
        lines["termination"] = tv.line
        if tv.kind == "scalar" and tv.value is None:
            out["termination"] = None
        else:
            w = "expect: termination"
            t = read_fields(tv, w, (), ("by", "notified", "last_day", "immediate"))
            term: dict[str, Any] = {}
            if "by" in t:
                term["by"] = read_choice(t["by"], f"{w}: by", tuple(rules.parties) + ("expiry",))
            if "notified" in t:
                term["notified"] = read_optional_date(t["notified"], f"{w}: notified")
            if "last_day" in t:
                term["last_day"] = read_date(t["last_day"], f"{w}: last_day")
            if "immediate" in t:
                term["immediate"] = read_bool(t["immediate"], f"{w}: immediate")
            for key in term:
                lines[f"termination.{key}"] = t[key].line
            out["termination"] = term
    if "contributions" in f:
        cv = f["contributions"]
        if cv.kind != "map":
            raise ReadError(cv.line, f"expect: contributions: expected a mapping by year or period, got {describe(cv)}")
        figures = dict(rules.amount.row)
        allowed = ("from", "to") + tuple(figures) + ("annual", "due", "paid", "balance",
                                                     "covered_days", "year_days", "period_days",
                                                     "called_on")
        rows: dict = {}
        for key, item in cv.value.items():
            kline = cv.key_lines[key]
            k = _contribution_key(key, kline, "expect: contributions")
            if k in rows:
                raise ReadError(kline, f"expect: contributions: {k} is given twice")
            w = f"expect: contributions {k}"
            c = read_fields(item, w, (), allowed)
            row: dict[str, Any] = {}
            lines[f"contributions.{k}"] = kline
            for name, x in c.items():
                what = f"{w}: {name}"
                lines[f"contributions.{k}.{name}"] = x.line
                if name in figures:
                    row[name] = _ROW_READERS[figures[name]](x, what)
                elif name in ("annual", "due", "paid"):
                    row[name] = read_amount(x, what, allow_zero=True)
                elif name == "balance":
                    row[name] = read_amount(x, what, allow_zero=True, allow_negative=True)
                elif name == "covered_days":
                    row[name] = read_int(x, what, 0, 366)
                elif name == "year_days":
                    row[name] = read_int(x, what, 365, 366)
                elif name == "period_days":
                    row[name] = read_int(x, what, 1, 366)
                else:
                    row[name] = read_date(x, what)
            rows[k] = row
        out["contributions"] = rows
    if "states" in f:
        sv = f["states"]
        if sv.kind != "map":
            raise ReadError(sv.line, f"expect: states: expected a mapping date: state, got {describe(sv)}")
        keys = period_keys(rules)
        states: dict[dt.date, Any] = {}
        for key, item in sv.value.items():
            kline = sv.key_lines[key]
            day = read_date(Node("scalar", key, kline, str(key)), "expect: states")
            if day in states:
                raise ReadError(kline, f"expect: states: {day} is given twice")
            w = f"expect: states {day}"
            lines[f"states.{day}"] = kline
            if item.kind != "map":  # the short form: the state alone
                states[day] = read_choice(item, w, STATES)
                continue
            p = read_fields(item, w, (), keys)
            if not p:
                raise ReadError(item.line, f"{w}: expected at least one of {', '.join(keys)}")
            period: dict[str, Any] = {}
            for name, x in p.items():
                lines[f"states.{day}.{name}"] = x.line
                if name == "state":
                    period[name] = read_choice(x, f"{w}: state", STATES)
                elif name == "standing":
                    period[name] = read_choice(x, f"{w}: standing", STANDINGS)
                else:
                    period[name] = read_bool(x, f"{w}: {name}")
            states[day] = period
        out["states"] = states
    for kind in ("entries", "diagnostics"):
        if kind in f:
            out[kind] = _codes(f[kind], f"expect: {kind}", lines)
    return out, lines


# --------------------------------------------------------------------------- scenario


CURRENT = rulesfile.CURRENT  # the key of the current values
_TOP_REQUIRED = ("scenario", "convention", "name", "start")
_TOP_OPTIONAL = ("horizon", CURRENT, "overrides", "events", "expect")


def _convention(v: Node, base_dir: str | None) -> tuple[str, str, rulesfile.RulesFile]:
    ref = read_text(v, "convention").strip()
    try:
        rules_path = rulesfile.find(ref, base_dir=base_dir)
        return ref, rules_path, rulesfile.load(rules_path)
    except (rulesfile.UnknownConvention, rulesfile.RulesError) as e:
        # A broken rules file is reported at the scenario's `convention:` line, with the rules
        # file's own FILE:LINE in the message.
        raise ReadError(v.line, f"convention: {e}") from None


def _scenario(root: Node, source: str, base_dir: str | None) -> Scenario:
    if root.kind != "map":
        raise ReadError(root.line, f"scenario file: expected a mapping, got {describe(root)}")
    cv = root.value.get("convention")
    if cv is None:
        read_fields(root, "scenario file", _TOP_REQUIRED, _TOP_OPTIONAL)  # names what is missing
    ref, rules_path, rules = _convention(cv, base_dir)
    per_year = tuple(i for i in rules.inputs.values() if i.per_year)
    current = tuple(i for i in rules.inputs.values() if not i.per_year)
    required = _TOP_REQUIRED + ((CURRENT,) if current else ())
    f = read_fields(root, "scenario file", required,
                tuple(k for k in _TOP_OPTIONAL if k not in required) + tuple(i.name for i in per_year))
    version = f["scenario"]
    if not (version.kind == "scalar" and version.value == 1 and type(version.value) is int):
        raise ReadError(version.line, f"scenario: format version must be 1, got {describe(version)}")
    name = read_text(f["name"], "name")
    start = read_date(f["start"], "start")
    horizon = read_optional_date(f.get("horizon"), "horizon")
    if horizon is not None and horizon < start:
        raise ReadError(f["horizon"].line, f"horizon {horizon} is before the start {start}")

    current_values: list[tuple[str, Any]] = []
    if CURRENT in f and not current:
        raise ReadError(f[CURRENT].line, f"{CURRENT}: this convention ({ref}) has no current values to give "
                                     f"(its inputs: {', '.join(i.name for i in per_year) or 'none'})")
    if CURRENT in f:
        names = tuple(i.name for i in current)
        given = read_fields(f[CURRENT], CURRENT, names)
        for i in current:
            current_values.append((i.name, _input_value(given[i.name], f"{CURRENT}: {i.name}", i)))

    inputs: list[tuple[str, tuple]] = []
    for i in per_year:
        values: list[tuple[int, Any]] = []
        iv = f.get(i.name)
        if iv is not None and not (iv.kind == "scalar" and iv.value is None):
            for year, item, _ in read_year_map(iv, i.name):
                values.append((year, _input_value(item, f"{i.name} {year}", i)))
        inputs.append((i.name, tuple(sorted(values))))

    overrides: dict = {}
    base = _thaw(rules.tree)
    ov = f.get("overrides")
    if ov is not None and not (ov.kind == "scalar" and ov.value is None):
        overrides = _parameters(ov, "overrides", rules)
        base = params.deep_merge(base, overrides)
    try:  # the whole set of parameters, converted once per rules file and overrides
        ends_on = rulesfile.in_force(rules, overrides).base_values["term.ends_on"]
    except params.ParamError as e:
        raise ReadError(path_line(ov, e.path) if ov is not None else f["convention"].line, f"overrides: {e}") from None
    if ends_on is not None and start > ends_on:
        raise ReadError(f["start"].line, f"start {start} is after the end of the term ({ends_on}, term.ends_on)")

    events: list[Event] = []
    ev = f.get("events")
    if ev is not None and not (ev.kind == "scalar" and ev.value is None):
        if ev.kind != "seq":
            raise ReadError(ev.line, f"events: expected a list of events (- date: ..., type: ...), got {describe(ev)}")
        events = [_event(item, i, rules, base) for i, item in enumerate(ev.value)]

    expect: dict = {}
    expect_lines: dict[str, int] = {}
    xv = f.get("expect")
    if xv is not None and not (xv.kind == "scalar" and xv.value is None):
        expect, expect_lines = _expect(xv, rules)

    return Scenario(
        convention=ref,
        name=name,
        start=start,
        horizon=horizon,
        inputs=tuple(inputs),
        current=tuple(current_values),
        overrides=overrides,
        events=tuple(events),
        expect=expect,
        expect_lines=expect_lines,
        source=source,
        rules_path=rules_path,
        rules=rules,
    )


def _thaw(m: Any) -> Any:
    from ..core.events import thaw

    return thaw(m)


def _is_path(text: str) -> bool:
    """An existing file or folder, one line ending in .yaml/.yml/.json (a missing file), or one
    line of printable text that cannot be a scenario (no `key: value`, no `{`): a missing file named
    without its extension is "no such file", not a document that is a single value."""
    if "\n" in text or len(text) > 4096:
        return False
    if os.path.isfile(text) or os.path.isdir(text):
        return True
    line = text.strip()
    if line.lower().endswith((".yaml", ".yml", ".json")):
        return True
    return (bool(line) and line.isprintable() and not line.startswith(("{", "[")) and ": " not in line
            and not line.endswith(":"))


def load_scenario(source: Any, *, filename: str | None = None) -> Scenario:
    """Load and check a scenario (docs/spec.md 4).

    ``source`` is the path of a file (``str`` or ``os.PathLike``), YAML or JSON text, or a mapping
    as ``yaml.safe_load`` would return. ``filename`` names the source in errors (default: the
    path, ``<string>`` or ``<mapping>``); a relative ``convention:`` path is looked up beside the
    file. Raises :class:`~engine.errors.ScenarioError` (``FILE:LINE: message``) and nothing else.
    """
    shown = filename or "<scenario>"
    try:
        base_dir: str | None = None
        if isinstance(source, Mapping):
            shown = filename or "<mapping>"
            root = wrap(source)
        elif isinstance(source, os.PathLike) or (isinstance(source, str) and _is_path(source)):
            path = os.fsdecode(os.fspath(source))
            shown = filename or path
            root = from_text(read_file(path, shown))
            base_dir = os.path.dirname(os.path.abspath(path))
        elif isinstance(source, (str, bytes)):
            shown = filename or "<string>"
            if len(source) > MAX_BYTES:
                raise ReadError(0, f"the scenario is larger than {MAX_BYTES // (1024 * 1024)} MB")
            if isinstance(source, bytes):
                try:
                    source = source.decode("utf-8")
                except UnicodeDecodeError as e:
                    line = source.count(b"\n", 0, e.start) + 1
                    raise ReadError(line, "the text is not UTF-8") from None
            if filename and not filename.startswith("<"):
                base_dir = os.path.dirname(os.path.abspath(filename))
            root = from_text(source)
        else:
            raise ReadError(0, f"cannot read a scenario from {type(source).__name__}: give a path, text or a mapping")
        return _scenario(root, shown, base_dir)
    except ScenarioError:
        raise
    except ReadError as e:
        raise ScenarioError(shown, e.line, e.message) from None
    except RecursionError:
        raise ScenarioError(shown, 0, "the scenario is nested too deeply") from None
    except ImportError:  # the installation is broken, not the file: an internal error
        raise
    except Exception as e:  # the promise is one line, never a traceback
        raise ScenarioError(shown, 0, f"cannot read the scenario: {type(e).__name__}: {e}") from None


def load_event(source: Mapping[str, Any], *, rules: rulesfile.RulesFile | str, seq: int = 0,
               filename: str = "<event>", overrides: Mapping | None = None) -> Event:
    """One event written as in a scenario's ``events:`` list (``{date, type, ...}``), checked
    against a convention's rules file (a :class:`~engine.conventions.rulesfile.RulesFile`, or its id) and
    the scenario's ``overrides``."""
    try:
        if isinstance(rules, str):
            rules = rulesfile.load(rulesfile.find(rules))
        base = params.deep_merge(_thaw(rules.tree), _thaw(overrides or {}))
        return _event(wrap(source), seq, rules, base)
    except ReadError as e:
        raise ScenarioError(filename, e.line, e.message) from None
    except ImportError:  # the installation is broken, not the event: an internal error
        raise
    except Exception as e:
        raise ScenarioError(filename, 0, f"cannot read the event: {type(e).__name__}: {e}") from None
