"""Rules files (`rules/<id>.yaml`, shipped inside the wheel as the package ``engine.rules``).

A rules file is a whole convention: its parties and who receives their notices, the inputs a
scenario gives, the parameters with their articles and quoted clauses, the amount of a call as a
formula, the messages in English and French, and the catalogue of rules whose `when` chooses
between outcomes. docs/rules-format.md describes the format. Everything is checked here, when
the file is loaded; a mistake is a :class:`RulesError` naming the file and the line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib.resources
import json
import os
import pathlib
import re
from typing import AbstractSet, Any, Iterator, Mapping, NoReturn

import attrs

from ..core import conditions, contract, formula
from ..core import params
from . import yamlnodes as Y
from ..errors import ScenarioError
from ..core.events import freeze, thaw
from ..present import i18n
from ..present.i18n import ENGINE_MESSAGES

FORMAT = 2
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
LANGS = ("en", "fr")


class RulesError(ScenarioError):
    """A rules file that cannot be used: ``FILE:LINE: what is wrong``."""


# --------------------------------------------------------------------------- what the engine posts

# The built-in scenario events; a rules file adds one event type per input.
BUILTIN_EVENTS = ("payment", "amendment", "notice", "dispute", "signed")
DISPUTE_STEPS = contract.DISPUTE_STEPS

# The decision events and the consequences are declared once, in engine/core/contract.py; this module
# checks each rule's `when` and `do` against them (see `_rules` and `_do`).

# Names a rules file cannot give: the engine's own words where the same name would mean two things.
RESERVED_PARTIES = frozenset({"expiry"})  # `termination.by` of an expiry
# The scenario's key for current values (docs/spec.md 4 and 8.1): a word of the scenario format, whatever
# the convention calls its parties.
CURRENT = "member"
SCENARIO_KEYS = frozenset({"scenario", "convention", "name", "start", "horizon", CURRENT,
                           "overrides", "events", "expect"})
ROW_KEYS = frozenset({"year", "from", "to", "annual", "covered_days", "year_days", "period_days",
                      "due", "paid", "balance", "called_on"})

# What the message of each of the engine's own diagnostics may name (those a `do` names: the
# consequence's `placeholders`, engine/core/contract.py).
PLACEHOLDERS: dict[str, frozenset] = {
    "event_beyond_horizon": frozenset({"type", "date", "horizon"}),
    "event_after_termination": frozenset({"type", "date", "line"}),
    "notice_missing_recipient": frozenset({"by", "line", "missing"}),
    "notice_before_start": frozenset({"by", "line", "start"}),
    "payment_for_uncalled_year": frozenset({"line", "year", "amount"}),
    "payment_before_start": frozenset({"amount", "date", "line", "start"}),
    "notice_superseded": frozenset({"by", "line"}),
    "notice_after_expiry": frozenset({"by", "line"}),
    "notice_displaced": frozenset({"by", "notified", "line"}),
    "notice_refused": frozenset({"by", "line", "last_day", "initial_end"}),
    "amendment_ineffective": frozenset({"ref", "line"}),
}

# --------------------------------------------------------------------------- values


@attrs.frozen
class Label:
    en: str
    fr: str

    def __call__(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@attrs.frozen
class Input:
    name: str
    per_year: bool  # per-year values (a mapping by year) or a current value
    type: str  # count | amount
    event: str  # the event type that brings one later
    field: str  # the event's value key: count | amount
    label: Label


@attrs.frozen
class Rule:
    id: str
    article: str
    do: contract.Consequence
    args: Mapping  # the `do`'s arguments as written
    given: Any = None  # the same, typed: an instance of the consequence's `args` class


@attrs.frozen
class Basis:
    input: str
    year_param: str  # the parameter saying previous_year | same_year
    estimated: str  # diagnostic codes
    unknown: str


@attrs.frozen
class Reading:
    """Values the text puts on a boundary: the other reading is the amount with the value + 1."""

    input: str
    values_param: str
    code: str
    message: str


@attrs.frozen
class Amount:
    """The amount of a call, as the rules file states it."""

    basis: Basis | None
    figures: tuple  # ((name, compiled formula), ...) in order; `annual` among them
    row: tuple  # ((name, type), ...): the figures shown in each contribution row
    detail: tuple  # ((key, compiled formula), ...): more facts in the call entry's detail
    correction_detail: tuple  # the keys of `detail` also shown in a correction's (when not null)
    previous: tuple  # figures whose former value a correction shows as previous_<name>
    readings: tuple  # Reading, ...


@attrs.frozen(eq=False)
class RulesFile:
    id: str
    path: str
    title: str
    source: str
    parties: Mapping  # id -> Label, in the file's order
    recipients: Mapping  # id -> Label: everyone who may receive a notice (parties first)
    inputs: Mapping  # name -> Input
    schema: params.Schema
    tree: Mapping  # the parameter values (dated values as params.Dated)
    sources: Mapping  # the parameter tree with value(s), article, clause and note
    amount: Amount
    amount_source: Mapping  # the `amount:` section as written, for the docs
    messages: Mapping  # id -> {lang: text}
    words: Mapping  # name -> Label: parties, recipients, inputs and the `labels:` section
    catalogue: Mapping  # rule id -> the rule as written (article, clause, decides, when, do)
    rules: Mapping  # rule id -> Rule
    definition: Mapping  # the durable_rules ruleset
    not_encoded: tuple
    # The reasons a notice may give (id -> Label): those of the `reasons:` section, then any
    # other a rule's `when` tests, in the file's order.
    reasons: Mapping = attrs.field(factory=dict)
    base: str = ""  # the id of the base it extends ("": none)
    origins: Mapping = attrs.field(factory=dict)  # rule id -> Origin, in priority order
    dropped: Mapping = attrs.field(factory=dict)  # base rule id -> {rule, article, clause, decides}

    def reason_of(self, text: str, lang: str = "en") -> str | None:
        """The reason ``text`` names: its id, or its label in English or in ``lang`` (case and
        surrounding spaces aside); None when it names none."""
        want = text.strip().casefold()
        for rid, lab in self.reasons.items():
            if want in (rid.casefold(), lab("en").casefold(), lab(lang).casefold()):
                return rid
        return None

    @property
    def event_types(self) -> tuple[str, ...]:
        """Every event type a scenario may give, in the order errors list them."""
        return ("payment",) + tuple(i.event for i in self.inputs.values()) + BUILTIN_EVENTS[1:]

    def input_of_event(self, event_type: str) -> Input | None:
        for i in self.inputs.values():
            if i.event == event_type:
                return i
        return None

    def message(self, key: str, lang: str = "en") -> str:
        m = self.messages.get(key) or ENGINE_MESSAGES[key]
        return m.get(lang) or m["en"]

    def wording(self, said: Any, lang: str) -> str:
        """A diagnostic the replay recorded as a fact (engine/core/replay/text.py ``Said``), worded
        in ``lang`` from this file's messages: the core records, the rules file words."""
        text = render_message(self.message(said.message, lang),
                              i18n.format_values(said.values, lang, self))
        return text.replace("  ", " ") if said.tidy else text

    def in_force(self, overrides: Any) -> params.InForce:
        """This file's parameters with a scenario's overrides (:func:`in_force`)."""
        return in_force(self, overrides)

    def label(self, who: str, lang: str = "en") -> str:
        """A name of this convention (a party, a recipient, an input, a figure or a value) in a
        language; the name itself when the file gives it no label."""
        lab = self.words.get(who)
        return who if lab is None else lab(lang)


def leaves(tree: Mapping, prefix: str = ""):
    """(dotted name, node) for each parameter of a rules file's tree (leaves hold value(s))."""
    for key, node in tree.items():
        if isinstance(node, Mapping) and ("value" in node or "values" in node):
            yield prefix + key, node
        elif isinstance(node, Mapping):
            yield from leaves(node, prefix + key + ".")


def render_message(text: str, values: Mapping[str, Any]) -> str:
    """``{name}`` replaced by its value: plain substitution, nothing else is evaluated."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


# --------------------------------------------------------------------------- finding files


def _head(path: str) -> list[bytes] | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(65536).splitlines()
    except OSError:
        return None


def is_rules_file(path: str, *, bases: bool = True) -> bool:
    """Whether a YAML file is a rules file (a `rules_format:` key at the top), so that a folder
    holding a convention beside its scenarios can be checked or batched as a whole; with
    ``bases`` False, a base rules file (`kind: base`) is not counted."""
    head = _head(path)
    if head is None or not any(line.startswith(b"rules_format:") for line in head):
        return False
    return bases or not any(line.startswith(b"kind: " + BASE_KIND.encode()) for line in head)


@functools.lru_cache(maxsize=None)
def _shipped_root() -> Any:
    """The folder of the shipped rules files. Installed, it is the package ``engine.rules`` (the
    wheel puts rules/ there). From a checkout's root, Python imports ``engine`` from the working
    folder, which has no ``engine/rules`` (say after a non-editable ``pip install .``): the
    rules/ folder beside the package is then the one that goes with this code."""
    package = "engine.rules"  # shipped beside the engine package, not this sub-package
    try:
        return importlib.resources.files(package)
    except ModuleNotFoundError as e:
        beside = pathlib.Path(__file__).resolve().parents[2] / "rules"
        if e.name != package or not beside.is_dir():
            raise
        return beside


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the conventions, the bases) shipped in ``engine.rules``: the package does not change
    while the engine runs."""
    root = _shipped_root()
    conventions: list[str] = []
    bases: list[str] = []
    for p in sorted(root.iterdir(), key=lambda p: p.name):
        if p.name.endswith(".yaml"):
            (conventions if is_rules_file(str(p), bases=False) else bases).append(p.name[:-5])
    return tuple(conventions), tuple(bases)


def shipped_ids() -> tuple[str, ...]:
    """The ids of the conventions shipped with the engine (never a base)."""
    return _shipped()[0]


def shipped_bases() -> tuple[str, ...]:
    """The ids of the base rules files shipped with the engine (`kind: base`)."""
    return _shipped()[1]


class UnknownConvention(ValueError):
    pass


def find(ref: str, base_dir: str | None = None) -> str:
    """The path of a rules id shipped with the engine, or of a rules file given by path."""
    if ref in shipped_ids():
        return str(_shipped_root().joinpath(f"{ref}.yaml"))
    candidates = [ref] if os.path.isabs(ref) else [os.path.join(base_dir or ".", ref), ref]
    for c in candidates:
        if (c.endswith(".yaml") or c.endswith(".yml")) and os.path.isfile(c):
            return os.path.abspath(c)
    if ref in shipped_bases():
        raise UnknownConvention(f"{ref!r} is the base rules file the conventions extend, not a "
                                f"convention (shipped rules: {', '.join(shipped_ids())})")
    raise UnknownConvention(
        f"unknown convention {ref!r} (shipped rules: {', '.join(shipped_ids())}; or a path to a rules file)"
    )


# --------------------------------------------------------------------------- reading


class _Reader:
    """Checks one rules file's node tree; every failure names the line."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, line: int, message: str) -> NoReturn:
        raise Y.ReadError(line, message)

    def mapping(self, v: Any, where: str) -> dict:
        if v is None or v.kind != "map":
            self.fail(0 if v is None else v.line, f"{where}: expected a mapping")
        for key, kline in v.key_lines.items():
            if not isinstance(key, str):
                self.fail(kline, f"{where}: key {key} must be a name")
        return v.value

    def name(self, key: Any, line: int, where: str) -> str:
        if not isinstance(key, str) or not _NAME.match(key):
            self.fail(line, f"{where}: {key!r} is not a name (lower case letters, digits, _)")
        return key

    def label(self, v: Any, where: str) -> Label:
        f = Y.read_fields(v, where, LANGS)
        return Label(Y.read_text(f["en"], f"{where}: en"), Y.read_text(f["fr"], f"{where}: fr"))

    def line_of(self, v: Any, path: tuple) -> int:
        return Y.path_line(v, tuple(path))


def _plain_tree(v: Any) -> Any:
    """Plain Python values of a node (dated values keep their date keys)."""
    if v.kind == "map":
        return {k: _plain_tree(x) for k, x in v.value.items()}
    if v.kind == "seq":
        return [_plain_tree(x) for x in v.value]
    return v.value


_KIND_OF_TYPE = {"amount": "number", "rate": "number", "count": "number", "amounts": "list",
                 "counts": "list", "bounds": "list", "text": "name", "choice": "name",
                 "bool": "bool", "duration": "duration", "date": "date"}


def _parameters(r: _Reader, pv: Any, parties: tuple, recipients: tuple):
    """(schema, value tree, sources tree, kinds of the declared parameters)."""
    declared: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    lengths: dict[str, tuple[str, int]] = {}
    length_lines: dict[str, int] = {}
    values: dict = {}
    lines: dict[str, int] = {}

    def walk(v: Any, prefix: tuple, out: dict) -> None:
        body = r.mapping(v, "parameters" + ("." + ".".join(prefix) if prefix else ""))
        for key, node in body.items():
            here = prefix + (key,)
            name = ".".join(here)
            kline = v.key_lines[key]
            if node.kind == "map" and ("value" in node.value or "values" in node.value):
                f = Y.read_fields(node, f"parameters.{name}", ("article",),
                              ("value", "values", "clause", "note", "type", "choices", "length"))
                if ("value" in f) == ("values" in f):
                    r.fail(node.line, f"parameters.{name}: give `value` or `values`, not both")
                Y.read_text(f["article"], f"parameters.{name}: article")
                lines[name] = kline
                if "type" in f:
                    t = Y.read_choice(f["type"], f"parameters.{name}: type", tuple(params.TYPES) + ("choice",))
                    if t == "choice":
                        if "choices" not in f or f["choices"].kind != "seq" or not f["choices"].value:
                            r.fail(f["type"].line, f"parameters.{name}: a choice needs `choices`")
                        opts = tuple(Y.read_text(c, f"parameters.{name}: choices") for c in f["choices"].value)
                        declared[name] = params.choice(*opts)
                    else:
                        declared[name] = params.TYPES[t]
                    kinds[name] = _KIND_OF_TYPE[t]
                if "length" in f:
                    g = Y.read_fields(f["length"], f"parameters.{name}: length", ("of",), ("plus",))
                    other = Y.read_text(g["of"], f"parameters.{name}: length: of")
                    plus = Y.read_int(g["plus"], f"parameters.{name}: length: plus") if "plus" in g else 0
                    lengths[name] = (other, plus)
                    length_lines[name] = f["length"].line
                if "values" in f:
                    dv = f["values"]
                    if dv.kind != "map" or not dv.value:
                        r.fail(dv.line, f"parameters.{name}: values: expected a mapping DATE: value")
                    pairs = []
                    for dkey, item in dv.value.items():
                        day = Y.read_date(Y.Node("scalar", dkey, dv.key_lines[dkey], str(dkey)),
                                      f"parameters.{name}: values")
                        pairs.append((day, _plain_tree(item)))
                    out[key] = params.Dated(tuple(sorted(pairs, key=lambda p: p[0])))
                else:
                    out[key] = _plain_tree(f["value"])
            elif node.kind == "map":
                out[key] = {}
                walk(node, here, out[key])
            else:
                r.fail(kline, f"parameters.{name}: a parameter needs `value` (or `values`) and `article`")

    walk(pv, (), values)
    try:
        for name, (other, _) in lengths.items():
            if kinds.get(name) != "list" or kinds.get(other) != "list":
                r.fail(length_lines[name], f"parameters.{name}: length: {name} and {other} must "
                                           "both be declared lists")
        schema = params.Schema(parties, recipients, declared, lengths)
        unknown = [n for n in lines if n not in schema.converters]
        if unknown:
            raise params.ParamError(tuple(unknown[0].split(".")),
                                    "is not a parameter the engine reads: declare its `type`")
        schema.convert(values)
    except params.ParamError as e:
        r.fail(r.line_of(pv, e.path), f"parameters.{e}")
    return schema, values, kinds


def _inputs(r: _Reader, iv: Any) -> dict[str, Input]:
    out: dict[str, Input] = {}
    if iv is None:
        return out
    body = r.mapping(iv, "inputs")
    events: set = set()
    for key, node in body.items():
        name = r.name(key, iv.key_lines[key], "inputs")
        where = f"inputs.{name}"
        if name in SCENARIO_KEYS:
            r.fail(iv.key_lines[key], f"{where}: {name!r} is already a key of the scenario format")
        f = Y.read_fields(node, where, ("event", "label"), ("per_year", "current"))
        if ("per_year" in f) == ("current" in f):
            r.fail(node.line, f"{where}: say `per_year: count|amount` or `current: count|amount`")
        per_year = "per_year" in f
        typ = Y.read_choice(f["per_year" if per_year else "current"],
                        f"{where}: {'per_year' if per_year else 'current'}", ("count", "amount"))
        ev = r.name(Y.read_text(f["event"], f"{where}: event"), f["event"].line, f"{where}: event")
        if ev in BUILTIN_EVENTS or ev in contract.BY_NAME or ev in events:
            r.fail(f["event"].line, f"{where}: event type {ev!r} is already taken")
        events.add(ev)
        out[name] = Input(name, per_year, typ, ev, typ if typ == "count" else "amount",
                          r.label(f["label"], f"{where}: label"))
    return out


def _messages(r: _Reader, mv: Any) -> tuple[dict, dict[str, int]]:
    out: dict = {}
    lines: dict[str, int] = {}
    if mv is None:
        return out, lines
    for key, node in r.mapping(mv, "messages").items():
        name = r.name(key, mv.key_lines[key], "messages")
        f = Y.read_fields(node, f"messages.{name}", LANGS)
        out[name] = {lang: Y.read_text(f[lang], f"messages.{name}: {lang}") for lang in LANGS}
        lines[name] = mv.key_lines[key]
    return out, lines


def _check_placeholders(r: _Reader, messages: Mapping, lines: Mapping, key: str,
                        allowed: AbstractSet[str], line: int) -> None:
    m = messages.get(key) or ENGINE_MESSAGES.get(key)
    if m is None:
        r.fail(line, f"no message {key!r} (add it under `messages:` in English and French)")
    for text in m.values():
        for ph in _PLACEHOLDER.findall(text):
            if ph not in allowed:
                r.fail(lines.get(key, line), f"messages.{key}: unknown placeholder {{{ph}}} "
                                             f"(known here: {', '.join(sorted(allowed))})")


def _names(r: _Reader, v: Any, where: str, known: Mapping, what: str) -> list[str]:
    """A list of names, each one of ``known``."""
    if v is None:
        return []
    if v.kind != "seq":
        r.fail(v.line, f"{where}: expected a list of names")
    out = []
    for item in v.value:
        name = Y.read_text(item, where)
        if name not in known:
            r.fail(item.line, f"{where}: {name!r} is not {what}")
        out.append(name)
    return out


def _amount(r: _Reader, av: Any, inputs: Mapping[str, Input], schema: params.Schema,
            kinds: Mapping[str, str], messages: Mapping, mlines: Mapping) -> Amount:
    f = Y.read_fields(av, "amount", ("figures", "row"), ("basis", "detail", "correction_detail", "previous", "readings"))
    basis = None
    if "basis" in f:
        bf = Y.read_fields(f["basis"], "amount.basis", ("input", "year", "estimated", "unknown"))
        inp = Y.read_text(bf["input"], "amount.basis: input")
        if inp not in inputs or not inputs[inp].per_year:
            r.fail(bf["input"].line, f"amount.basis: input: {inp!r} is not a per-year input")
        year = Y.read_text(bf["year"], "amount.basis: year")
        conv = schema.converters.get(year)
        if conv is None or set(getattr(conv, "choices", ())) - {"previous_year", "same_year"} or not getattr(conv, "choices", ()):
            r.fail(bf["year"].line, f"amount.basis: year: {year!r} must name a choice parameter "
                                    "of previous_year / same_year")
        basis = Basis(inp, year, r.name(Y.read_text(bf["estimated"], "amount.basis: estimated"),
                                        bf["estimated"].line, "amount.basis: estimated"),
                      r.name(Y.read_text(bf["unknown"], "amount.basis: unknown"),
                             bf["unknown"].line, "amount.basis: unknown"))
    env = formula.Env(kinds, {basis.input} if basis else set(),
                      {n for n, i in inputs.items() if not i.per_year})
    figures = []
    fv = f["figures"]
    for key, node in r.mapping(fv, "amount.figures").items():
        name = r.name(key, fv.key_lines[key], "amount.figures")
        try:
            compiled, kind = formula.compile_formula(_plain_tree(node), env)
        except formula.FormulaError as e:
            r.fail(r.line_of(node, e.path), f"amount.figures.{name}: {e.message}")
        env.figure_kinds[name] = kind
        names = getattr(compiled, "names", None)  # set by formula._named on a formula giving a name
        if names:
            env.figure_names[name] = names
        figures.append((name, compiled))
    if env.figure_kinds.get("annual") != "number":
        r.fail(fv.line, "amount.figures: needs `annual`, the annual amount (a number)")
    row = []
    rv = f["row"]
    for key, node in r.mapping(rv, "amount.row").items():
        if key in ROW_KEYS:
            r.fail(rv.key_lines[key], f"amount.row: {key!r} is already a key of every row "
                                      f"({', '.join(sorted(ROW_KEYS))}); name the figure otherwise")
        if key not in env.figure_kinds:
            r.fail(rv.key_lines[key], f"amount.row: {key!r} is not a figure")
        if key in contract.fields_of(contract.Adjust) or key.startswith("was_") or key in ("t", "sid", "seq"):
            r.fail(rv.key_lines[key], f"amount.row: {key!r} is a field the engine posts itself; "
                                      "name the figure otherwise")
        typ = Y.read_choice(node, f"amount.row.{key}", ("count", "amount", "rate", "year", "name"))
        kind = env.figure_kinds[key]
        if kind != ("name" if typ == "name" else "number"):
            r.fail(node.line, f"amount.row.{key}: the figure gives a {kind}, which is not shown as {typ}")
        row.append((key, typ))
    detail = []
    if "detail" in f:
        dv = f["detail"]
        for key, node in r.mapping(dv, "amount.detail").items():
            try:
                compiled, _ = formula.compile_formula(_plain_tree(node), env)
            except formula.FormulaError as e:
                r.fail(r.line_of(node, e.path), f"amount.detail.{key}: {e.message}")
            detail.append((key, compiled))
    correction_detail = _names(r, f.get("correction_detail"), "amount.correction_detail",
                               dict(detail), "a key of amount.detail")
    previous = _names(r, f.get("previous"), "amount.previous", dict(row), "a row figure")
    figure_names = {n for n, _ in figures}
    base_ph = {"year", "period", "value", "basis_year", "stand_in", "annual"} | figure_names
    if basis is not None:
        for code in (basis.estimated, basis.unknown):
            _check_placeholders(r, messages, mlines, code, base_ph, f["basis"].line)
    readings = []
    if "readings" in f:
        rv2 = f["readings"]
        if rv2.kind != "seq":
            r.fail(rv2.line, "amount.readings: expected a list")
        for item in rv2.value:
            g = Y.read_fields(item, "amount.readings", ("input", "values", "code", "message"))
            inp = Y.read_text(g["input"], "amount.readings: input")
            if inp not in inputs or (inputs[inp].per_year and (basis is None or basis.input != inp)):
                r.fail(g["input"].line, f"amount.readings: input: {inp!r} is not the basis or a current input")
            vals = Y.read_text(g["values"], "amount.readings: values")
            if kinds.get(vals) != "list":
                r.fail(g["values"].line, f"amount.readings: values: {vals!r} is not a list parameter")
            code = r.name(Y.read_text(g["code"], "amount.readings: code"), g["code"].line, "amount.readings: code")
            msg = r.name(Y.read_text(g["message"], "amount.readings: message"), g["message"].line,
                         "amount.readings: message")
            _check_placeholders(r, messages, mlines, msg,
                                base_ph | {f"other.{n}" for n in figure_names} | {"other.annual"}, item.line)
            readings.append(Reading(inp, vals, code, msg))
    return Amount(basis, tuple(figures), tuple(row), tuple(detail), tuple(correction_detail),
                  tuple(previous), tuple(readings))


def _rule_fields(inputs: Mapping[str, Input], row: tuple) -> tuple[frozenset, set, set]:
    """(the fields a `when` may test, the decisions `t` may name, the input event types)."""
    input_types = {i.event for i in inputs.values()}
    return _when_fields(row), set(contract.BY_NAME) | input_types, input_types


@attrs.frozen
class Origin:
    """Where a rule of a convention's catalogue comes from: written in the file (`own`), taken
    from the base as it is (`base`), a base rule grounded in one of the file's articles (`cites`),
    or a rule of the file that replaces a base rule (`overrides`). docs/rules-format.md,
    "Extending the base"."""

    kind: str  # own | base | cites | overrides
    base_rule: str | None = None  # the base rule's id (cites, overrides, base)


OWN = Origin("own")


@attrs.frozen(eq=False)
class _Draft:
    """One rule of a catalogue before it is compiled: where its parts were written."""

    id: str
    line: int
    where: str  # the path errors name (the base's, for a rule taken from it)
    text: Mapping  # article, clause, decides as the catalogue shows them
    when: Any  # the `when` node
    narrow: Any  # a citation's own `when` node, added to the base rule's (or None)
    do: Any  # the `do` node
    origin: Origin


def _own_draft(r: _Reader, rule_id: str, line: int, node: Any, optional: tuple = ()) -> tuple[_Draft, dict]:
    where = f"rules.{rule_id}"
    f = Y.read_fields(node, where, ("article", "when", "do"), ("clause", "decides") + optional)
    text = {"article": Y.read_text(f["article"], f"{where}: article")}
    for key in ("clause", "decides"):
        if key in f:
            text[key] = Y.read_text(f[key], f"{where}: {key}")
    return _Draft(rule_id, line, r.path, text, f["when"], None, f["do"], OWN), f


def _check_rule_id(r: _Reader, rule_id: Any, line: int) -> str:
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        r.fail(line, f"rules: {rule_id!r} is not a rule id (letters, digits, . _ -)")
    if rule_id.startswith("engine."):
        r.fail(line, f"rules: {rule_id!r}: ids beginning with engine. are the engine's own")
    return rule_id


def _compile(r: _Reader, drafts: list[_Draft], inputs: Mapping[str, Input], row: tuple,
             messages: Mapping, mlines: Mapping, parties: tuple[str, ...] | None) -> tuple[dict, dict, dict]:
    """The rules, catalogue and durable_rules ruleset of a catalogue in priority order: the
    rank of a rule in ``drafts`` is its `pri` (docs/rules-format.md). ``parties`` None: a base
    file, whose `by` values are checked in each convention that extends it."""
    fields, types, input_types = _rule_fields(inputs, row)
    definition: dict = {}
    rules: dict = {}
    catalogue: dict = {}
    for rank, d in enumerate(drafts, start=1):
        where = f"rules.{d.id}"
        tests: list = []
        tested: set = set()
        for part, path in ((d.when, d.where), (d.narrow, r.path)):
            if part is None:
                continue
            when = _plain_tree(part)
            with _written_in(r, path):
                try:
                    tests += conditions.compile_when(when, fields)
                except conditions.WhenError as e:
                    r.fail(r.line_of(part, e.path), f"{where}: when: {e.message}")
                for t in conditions.tested_values(when, "t"):
                    if t not in types:
                        r.fail(part.line, f"{where}: when: t: unknown decision {t!r} "
                                          f"(known: {', '.join(sorted(types))})")
                for who in conditions.tested_values(when, "by"):
                    if parties is not None and who not in parties:
                        r.fail(part.line, f"{where}: when: by: {who!r} is not a party "
                                          f"({', '.join(parties)})")
            tested |= conditions.tested_values(when, "t")
        with _written_in(r, d.where):
            do, args = _do(r, d.do, where, messages, mlines)
            if not tested:
                r.fail(d.when.line, f"{where}: when: name the decision it takes (t: ...)")
            fits = do.fit_names
            for t in sorted(tested):
                if t not in fits and not (contract.InputGiven in do.fits and t in input_types):
                    r.fail(d.do.line, f"{where}: do: {do} cannot carry out a {t!r} decision "
                                      f"(it carries out: {', '.join(fits)})")
            _check_figures(r, d.do.line, where, do, args, tested)
        rules[d.id] = Rule(d.id, d.text["article"], do, freeze(args), do.arguments(args))
        catalogue[d.id] = dict(d.text, when=_joined(d.when, d.narrow), do=_plain_tree(d.do))
        definition[d.id] = {"pri": rank, "all": [{"m": {"$and": tests}}], "run": d.id}
    return rules, catalogue, definition


@contextlib.contextmanager
def _written_in(r: _Reader, path: str) -> Iterator[None]:
    """Failures inside a node of another file (a rule taken from the base) name that file."""
    if path == r.path:
        yield
        return
    try:
        yield
    except Y.ReadError as e:
        raise RulesError(shown(path), e.line, f"{e.message} (extended by {shown(r.path)})") from None


def _joined(when: Any, narrow: Any) -> Any:
    """A citation's `when` as the catalogue shows it: the base rule's and the citation's, both
    to hold (one mapping when they test different keys)."""
    a = _plain_tree(when)
    if narrow is None:
        return a
    b = _plain_tree(narrow)
    return {**a, **b} if not set(a) & set(b) else {"all": [a, b]}


def _rules(r: _Reader, cv: Any, inputs: Mapping[str, Input], amount: Amount, messages: Mapping,
           mlines: Mapping, parties: tuple[str, ...]) -> tuple[dict, dict, dict]:
    """The catalogue of a file that extends no base: the file's order is the priority."""
    body = r.mapping(cv, "rules")
    if not body:
        r.fail(cv.line, "rules: the catalogue is empty")
    drafts = []
    for rule_id, node in body.items():
        line = cv.key_lines[rule_id]
        drafts.append(_own_draft(r, _check_rule_id(r, rule_id, line), line, node)[0])
    return _compile(r, drafts, inputs, amount.row, messages, mlines, parties)


def _check_figures(r: _Reader, line: int, where: str, do: contract.Consequence, args: Mapping,
                   tested: Any) -> None:
    """A `do` argument naming a figure to take names one that each decision it takes offers."""
    for key, kind in do.arg_kinds.items():
        if kind != contract.FIGURE:
            continue
        if key not in args:
            r.fail(line, f"{where}: do: {do}: name the {key} it takes")
        for t in sorted(tested):
            offered = contract.candidates(contract.BY_NAME[t])
            if args[key] not in offered:
                r.fail(line, f"{where}: do: {do}: {key}: {args[key]!r} is not a figure of the "
                             f"{t!r} decision (it offers: {', '.join(offered)})")


def _when_fields(row: tuple) -> frozenset[str]:
    """The fields a `when` may test: those of the decision events (engine/core/contract.py), and each
    row figure with its `was_` twin (posted with an adjustment). A name that is a decision event's
    and no field is not a field, even if a row figure takes it."""
    fields = set(contract.ALL_FIELDS)
    for name, _ in row:
        fields |= {name, "was_" + name}
    return frozenset(fields - (set(contract.BY_NAME) - contract.ALL_FIELDS) | {"t"})


def _do(r: _Reader, v: Any, where: str, messages: Mapping, mlines: Mapping
        ) -> tuple[contract.Consequence, dict[str, str | bool]]:
    args: dict[str, str | bool] = {}
    if v.kind == "scalar" and isinstance(v.value, str):
        name, av = v.value, None
    elif v.kind == "map" and len(v.value) == 1:
        name = next(iter(v.value))
        av = v.value[name]
    else:
        r.fail(v.line, f"{where}: do: expected a consequence, or {{consequence: {{arguments}}}}")
    if name not in contract.CONSEQUENCE_BY_NAME:
        r.fail(v.line, f"{where}: unknown consequence `do: {name}` "
                       f"(known: {', '.join(sorted(contract.CONSEQUENCE_BY_NAME))})")
    consequence = contract.CONSEQUENCE_BY_NAME[name]
    spec = consequence.arg_kinds
    if av is not None:
        if av.kind == "scalar" and av.value is None:
            av = Y.Node("map", {}, av.line)
        given = Y.read_fields(av, f"{where}: do: {name}", (), tuple(spec))
        for key, x in given.items():
            kind = spec[key]
            what = f"{where}: do: {name}: {key}"
            if isinstance(kind, tuple):
                args[key] = Y.read_choice(x, what, kind)
            elif kind == contract.BOOL:
                args[key] = Y.read_bool(x, what)
            elif kind == contract.TEXT:
                args[key] = Y.read_text(x, what)
            else:
                args[key] = named = r.name(Y.read_text(x, what), x.line, what)
                if kind == contract.DIAGNOSTIC:
                    _check_placeholders(r, messages, mlines, named, consequence.placeholders,
                                        x.line)
    return consequence, args


# --------------------------------------------------------------------------- extending a base
#
# A base rules file (`kind: base`) holds the rules, messages and labels that conventions share;
# it is not a convention (no parties, parameters nor amount). A convention says `extends: ID`
# and, in its `rules:`, cites a base rule under its own id and article (`cites: RULE`), replaces
# one (`overrides: RULE`), drops one (`drops: RULE`) or adds its own (`before:`/`after:` a rule,
# else after all of them). The base's order is the priority of its rules; a convention's rules
# take the place of the base rule they cite or override. docs/rules-format.md, "Extending the
# base", says it for readers.

BASE_KIND = "base"
_VERBS = ("cites", "overrides", "drops")


@attrs.frozen(eq=False)
class BaseFile:
    id: str
    path: str
    title: str
    order: tuple  # its rule ids, in priority order
    drafts: Mapping  # rule id -> _Draft (article: the base's id, for a rule no convention cites)
    messages: Mapping  # id -> {lang: text}
    words: Mapping  # name -> Label: the `labels:` section


def find_base(ref: str, base_dir: str | None = None) -> str:
    """The path of a base shipped with the engine, or of a base rules file given by path."""
    if ref in shipped_bases():
        return str(_shipped_root().joinpath(f"{ref}.yaml"))
    candidates = [ref] if os.path.isabs(ref) else [os.path.join(base_dir or ".", ref)]
    for c in candidates:
        if (c.endswith(".yaml") or c.endswith(".yml")) and os.path.isfile(c):
            return os.path.abspath(c)
    raise UnknownConvention(f"unknown base {ref!r} (shipped: {', '.join(shipped_bases())}; "
                            "or a path to a base rules file beside this one)")


@functools.lru_cache(maxsize=16)
def load_base(path: str) -> BaseFile:
    """Read and check a base rules file; cached, the result is immutable."""
    try:
        return _read_base(path, Y.read_file(path, shown(path)))
    except ScenarioError as e:
        raise RulesError(e.file, e.line, e.message) from None
    except Y.ReadError as e:
        raise RulesError(shown(path), e.line, e.message) from None


def _read_base(path: str, text: str) -> BaseFile:
    r = _Reader(path)
    root = Y.from_text(text)
    f = Y.read_fields(root, "base rules file", ("rules_format", "kind", "id", "title", "rules"),
                  ("labels", "messages"))
    fmt = f["rules_format"]
    if not (fmt.kind == "scalar" and fmt.value == FORMAT and type(fmt.value) is int):
        r.fail(fmt.line, f"rules_format: this engine reads rules files of format {FORMAT}")
    if Y.read_text(f["kind"], "kind") != BASE_KIND:
        r.fail(f["kind"].line, f"kind: a rules file says `kind: {BASE_KIND}` or no kind at all")
    bid = Y.read_text(f["id"], "id")
    messages, mlines = _messages(r, f.get("messages"))
    for code in ENGINE_MESSAGES:
        if code in messages:
            _check_placeholders(r, messages, mlines, code, PLACEHOLDERS[code], mlines[code])
    cv = f["rules"]
    body = r.mapping(cv, "rules")
    if not body:
        r.fail(cv.line, "rules: the catalogue is empty")
    drafts = {}
    for rule_id, node in body.items():
        line = cv.key_lines[rule_id]
        where = f"rules.{_check_rule_id(r, rule_id, line)}"
        g = Y.read_fields(node, where, ("when", "do"), ("decides",))
        shown_as = {"article": bid}
        if "decides" in g:
            shown_as["decides"] = Y.read_text(g["decides"], f"{where}: decides")
        drafts[rule_id] = _Draft(rule_id, line, path, shown_as, g["when"], None, g["do"],
                                 Origin("base", rule_id))
    # Checked once here with the fields every convention has; again in each convention, with its
    # parties, inputs and row figures.
    _compile(r, list(drafts.values()), {}, (), messages, mlines, None)
    words = {key: r.label(node, f"labels.{key}") for key, node in
             r.mapping(f["labels"], "labels").items()} if "labels" in f else {}
    return BaseFile(bid, path, Y.read_text(f["title"], "title"), tuple(drafts), freeze(drafts),
                    freeze(messages), freeze(words))


def _extend(r: _Reader, base: BaseFile, cv: Any, messages: Mapping, mlines: Mapping) -> tuple[list, dict]:
    """The catalogue of a convention that extends ``base``, in priority order, and the base rules
    it drops (base id -> what the dropping entry says)."""
    body = r.mapping(cv, "rules")
    if not body:
        r.fail(cv.line, "rules: the catalogue is empty")
    cited: dict[str, list[_Draft]] = {}
    taken: dict[str, tuple[str, str, int]] = {}  # base id -> (verb, rule id, line)
    dropped: dict[str, dict] = {}
    placed: list[tuple[_Draft, str, str, int]] = []  # (rule, before|after|"", anchor, line)
    for rule_id, node in body.items():
        line = cv.key_lines[rule_id]
        where = f"rules.{_check_rule_id(r, rule_id, line)}"
        verbs = [v for v in _VERBS if node.kind == "map" and v in node.value]
        if len(verbs) > 1:
            r.fail(line, f"{where}: say one of {', '.join(_VERBS)}, not {' and '.join(verbs)}")
        if not verbs:
            if rule_id in base.drafts:
                r.fail(line, f"{where}: the base {base.id!r} has a rule {rule_id!r}: say "
                             f"`overrides: {rule_id}` to replace it, `cites: {rule_id}` to apply "
                             "it, or give this rule another id")
            d, g = _own_draft(r, rule_id, line, node, ("before", "after"))
            if "before" in g and "after" in g:
                r.fail(g["after"].line, f"{where}: say `before` or `after`, not both")
            how = "before" if "before" in g else "after" if "after" in g else ""
            anchor = Y.read_text(g[how], f"{where}: {how}") if how else ""
            placed.append((d, how, anchor, g[how].line if how else line))
            continue
        verb = verbs[0]
        tv = node.value[verb]
        target = Y.read_text(tv, f"{where}: {verb}")
        if target not in base.drafts:
            r.fail(tv.line, f"{where}: {verb}: {target!r} is not a rule of the base {base.id!r} "
                            f"(its rules: {', '.join(base.order)})")
        if rule_id in base.drafts and rule_id != target:
            r.fail(line, f"{where}: the base {base.id!r} has a rule {rule_id!r}; a rule that "
                         f"{verb} {target!r} needs another id")
        earlier = taken.get(target)
        if earlier is not None and not (verb == earlier[0] == "cites"):
            r.fail(tv.line, f"{where}: {verb}: base rule {target!r} is already "
                            f"{_PAST[earlier[0]]} by {earlier[1]} (line {earlier[2]})")
        if verb == "drops":
            g = Y.read_fields(node, where, ("drops", "article"), ("clause", "decides"))
            dropped[target] = {"rule": rule_id, **{k: Y.read_text(g[k], f"{where}: {k}")
                                                  for k in ("article", "clause", "decides") if k in g}}
        elif verb == "overrides":
            d, _ = _own_draft(r, rule_id, line, node, ("overrides",))
            cited[target] = [attrs.evolve(d, origin=Origin("overrides", target))]
        else:
            g = Y.read_fields(node, where, ("cites", "article"), ("clause", "decides", "when"))
            narrow = g.get("when")
            if earlier is not None and (narrow is None or cited[target][0].narrow is None):
                r.fail(tv.line, f"{where}: cites: base rule {target!r} is already cited by "
                                f"{earlier[1]} (line {earlier[2]}); each citation of one base "
                                "rule needs a `when` of its own, else the first takes every decision")
            b = base.drafts[target]
            text = {"article": Y.read_text(g["article"], f"{where}: article")}
            for key in ("clause", "decides"):
                if key in g:
                    text[key] = Y.read_text(g[key], f"{where}: {key}")
                elif key in b.text:
                    text[key] = b.text[key]
            cited.setdefault(target, []).append(
                _Draft(rule_id, line, b.where, text, b.when, narrow, b.do, Origin("cites", target)))
            _check_taken_messages(r, b, messages, mlines)
        taken.setdefault(target, (verb, rule_id, line))
    for target in base.order:
        if target not in taken:
            _check_taken_messages(r, base.drafts[target], messages, mlines)
    return _placed(r, base, cited, dropped, placed), dropped


_PAST = {"cites": "cited", "overrides": "overridden", "drops": "dropped"}


def _check_taken_messages(r: _Reader, b: _Draft, messages: Mapping, mlines: Mapping) -> None:
    """A message the convention rewords, named by a base rule's `do`: checked at the line
    where the convention writes it (the base's own texts are checked when the base is read)."""
    if b.do.kind == "map" and len(b.do.value) == 1:
        (name, av), = b.do.value.items()
        if av.kind == "map" and "diagnostic" in av.value:
            key = av.value["diagnostic"].value
            consequence = contract.CONSEQUENCE_BY_NAME.get(name)
            if key in mlines and consequence is not None:
                _check_placeholders(r, messages, mlines, key, consequence.placeholders, mlines[key])


def _placed(r: _Reader, base: BaseFile, cited: Mapping, dropped: Mapping, placed: list) -> list:
    """The merged catalogue in priority order: the base's order, each base rule replaced by the
    rules that cite or override it (none when dropped); a rule of the convention's own goes
    just before or after the rule it names (a base rule, or one of the file's), else after
    every other, in the order the file writes them."""
    known = set(base.order) | {d.id for ds in cited.values() for d in ds} | {d.id for d, *_ in placed}
    before: dict[str, list] = {}
    after: dict[str, list] = {}
    loose = []
    for d, how, anchor, line in placed:
        if not how:
            loose.append(d)
            continue
        if anchor not in known:
            r.fail(line, f"rules.{d.id}: {how}: {anchor!r} is not a rule of this catalogue "
                         f"nor of the base {base.id!r}")
        (before if how == "before" else after).setdefault(anchor, []).append(d)
    out: list[_Draft] = []

    def rule(d: _Draft) -> None:
        anchored = d.id not in base.drafts  # a base id anchors its place, below
        for x in before.get(d.id, ()) if anchored else ():
            rule(x)
        out.append(d)
        for x in after.get(d.id, ()) if anchored else ():
            rule(x)

    for b in base.order:
        for x in before.get(b, ()):
            rule(x)
        for d in cited.get(b, () if b in dropped else (base.drafts[b],)):
            rule(d)
        for x in after.get(b, ()):
            rule(x)
    for d in loose:
        rule(d)
    missing = [(d, line, how) for d, how, _, line in placed if d not in out]
    if missing:
        d, line, how = missing[0]
        r.fail(line, f"rules.{d.id}: {how}: the rules placed relative to each other in a circle "
                     f"({', '.join(x.id for x, _, _ in missing)}) have no place; anchor one to a base rule")
    return out


def _read(path: str, text: str) -> RulesFile:
    r = _Reader(path)
    root = Y.from_text(text)
    if root.kind == "map" and "rules" not in root.value:
        r.fail(root.line, "a rules file needs its `rules:` catalogue")
    if root.kind == "map" and "kind" in root.value:
        r.fail(root.key_lines["kind"], "kind: this is a base rules file, not a convention: a "
                                       "convention extends it (`extends: ID`)")
    f = Y.read_fields(root, "rules file", ("rules_format", "id", "title", "parties", "parameters",
                                      "amount", "rules"),
                  ("source", "extends", "recipients", "inputs", "labels", "reasons", "messages",
                   "not_encoded"))
    fmt = f["rules_format"]
    if not (fmt.kind == "scalar" and fmt.value == FORMAT and type(fmt.value) is int):
        r.fail(fmt.line, f"rules_format: this engine reads rules files of format {FORMAT}")
    rid = Y.read_text(f["id"], "id")
    parties: dict[str, Label] = {}
    pv = f["parties"]
    for key, node in r.mapping(pv, "parties").items():
        name = r.name(key, pv.key_lines[key], "parties")
        if name in RESERVED_PARTIES:
            r.fail(pv.key_lines[key], f"parties: {name!r} is the engine's word for a convention "
                                      "that ends at its term; give the party another name")
        parties[name] = r.label(Y.read_fields(node, f"parties.{name}", ("label",))["label"],
                                f"parties.{name}: label")
    if len(parties) < 2:
        r.fail(pv.line, "parties: a convention has at least two parties")
    recipients = dict(parties)
    if "recipients" in f:
        rv = f["recipients"]
        for key, node in r.mapping(rv, "recipients").items():
            name = r.name(key, rv.key_lines[key], "recipients")
            if name in RESERVED_PARTIES:
                r.fail(rv.key_lines[key], f"recipients: {name!r} is a word of the engine's")
            if name in recipients:
                r.fail(rv.key_lines[key], f"recipients: {name!r} is already a party")
            recipients[name] = r.label(Y.read_fields(node, f"recipients.{name}", ("label",))["label"],
                                       f"recipients.{name}: label")
    taken = set(recipients)
    inputs = _inputs(r, f.get("inputs"))
    for name, i in inputs.items():
        if name in taken:
            r.fail(f["inputs"].key_lines[name], f"inputs: {name!r} is already a party or recipient")
    schema, values, kinds = _parameters(r, f["parameters"], tuple(parties), tuple(recipients))
    base = None
    if "extends" in f:
        ev = f["extends"]
        ref = Y.read_text(ev, "extends")
        try:
            base_path = find_base(ref, os.path.dirname(path))
        except UnknownConvention as e:
            r.fail(ev.line, f"extends: {e}")
        if is_rules_file(base_path, bases=False):
            r.fail(ev.line, f"extends: {ref!r} is a convention, not a base rules file (`kind: {BASE_KIND}`)")
        base = load_base(base_path)
    own_messages, mlines = _messages(r, f.get("messages"))
    messages = dict(base.messages if base else {}, **own_messages)
    for code in ENGINE_MESSAGES:
        if code in own_messages:  # a rewording of the engine's own message
            _check_placeholders(r, messages, mlines, code, PLACEHOLDERS[code], mlines[code])
    amount = _amount(r, f["amount"], inputs, schema, kinds, messages, mlines)
    dropped: dict = {}
    if base is None:
        rules, catalogue, definition = _rules(r, f["rules"], inputs, amount, messages, mlines,
                                              tuple(parties))
        origins = {rule_id: OWN for rule_id in rules}
    else:
        drafts, dropped = _extend(r, base, f["rules"], messages, mlines)
        rules, catalogue, definition = _compile(r, drafts, inputs, amount.row, messages, mlines,
                                                tuple(parties))
        origins = {d.id: d.origin for d in drafts}
    words: dict[str, Label] = dict(base.words if base else {})
    words.update(recipients)
    words.update((name, i.label) for name, i in inputs.items())
    if "labels" in f:
        lv = f["labels"]
        for key, node in r.mapping(lv, "labels").items():
            words[key] = r.label(node, f"labels.{key}")
    reasons: dict[str, Label] = {}
    if "reasons" in f:
        rv = f["reasons"]
        for key, node in r.mapping(rv, "reasons").items():
            name = r.name(key, rv.key_lines[key], "reasons")
            reasons[name] = r.label(Y.read_fields(node, f"reasons.{name}", ("label",))["label"],
                                    f"reasons.{name}: label")
            words[name] = reasons[name]
    for name in _tested_reasons(catalogue):
        reasons.setdefault(name, words.get(name) or Label(name, name))
    not_encoded = ()
    if "not_encoded" in f:
        not_encoded = freeze(_plain_tree(f["not_encoded"]))
    return RulesFile(
        id=rid, path=path, title=Y.read_text(f["title"], "title"),
        source=Y.read_text(f["source"], "source") if "source" in f else "",
        parties=freeze(parties), recipients=freeze(recipients), inputs=freeze(inputs),
        schema=schema, tree=freeze(values), sources=freeze(_plain_tree(f["parameters"])),
        amount=amount, amount_source=freeze(_plain_tree(f["amount"])), messages=freeze(messages), words=freeze(words), catalogue=freeze(catalogue),
        rules=freeze(rules), definition=freeze(definition), not_encoded=not_encoded,
        reasons=freeze(reasons), base=base.id if base else "", origins=freeze(origins),
        dropped=freeze(dropped),
    )


def _tested_reasons(catalogue: Mapping) -> list[str]:
    """The values a rule's `when` compares a notice's `reason` with, in the file's order."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, v in node.items():
                if key == "reason":
                    for x in (v.get("any", ()) if isinstance(v, Mapping) else (v,)):
                        if isinstance(x, str) and x and x not in out:
                            out.append(x)
                else:
                    walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    for rule in catalogue.values():
        walk(rule.get("when") if isinstance(rule, Mapping) else None)
    return out


def shown(path: str) -> str:
    """A rules file's path as errors name it: relative to the current folder when it is below
    it (so that messages read the same in any checkout), else as it is."""
    rel = os.path.relpath(path) if os.path.isabs(path) else path
    return path if rel.startswith("..") else rel


@functools.lru_cache(maxsize=64)
def load(path: str) -> RulesFile:
    """Read and check a rules file; cached, the result is immutable."""
    try:
        text = Y.read_file(path, shown(path))
        return _read(path, text)
    except ScenarioError as e:
        raise RulesError(e.file, e.line, e.message) from None
    except Y.ReadError as e:
        raise RulesError(shown(path), e.line, e.message) from None


def load_ref(ref: str, base_dir: str | None = None) -> RulesFile:
    return load(find(ref, base_dir))


def of_scenario(scenario: Any) -> RulesFile:
    """The rules file of a loaded scenario."""
    if getattr(scenario, "rules", None) is not None:
        return scenario.rules
    return load(scenario.rules_path or find(scenario.convention))


_IN_FORCE: dict[tuple, tuple] = {}


def in_force(rules: RulesFile, overrides: Any) -> params.InForce:
    """The rules file's parameters with a scenario's overrides, without amendments: computed
    once per pair and shared (:meth:`params.InForce.with_amendments` gives a replay its own)."""
    key = (rules.path, id(rules), json.dumps(thaw(overrides), sort_keys=True, default=str))
    hit = _IN_FORCE.get(key)
    if hit is None or hit[0] is not rules:  # the same object, not one born at a reused id
        hit = (rules, params.InForce.of(rules.schema, thaw(rules.tree), thaw(overrides)))
        if len(_IN_FORCE) > 256:  # many distinct overrides: keep the cache small
            _IN_FORCE.clear()
        _IN_FORCE[key] = hit
    return hit[1]
