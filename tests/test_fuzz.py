"""Fuzzed input (issue #3, item 7): the loader returns a Scenario that replays, or raises
ScenarioError on one line `<string>:LINE: message`; nothing else, never a traceback (docs/spec.md 7)."""
from __future__ import annotations

import copy
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import engine
from tests.strategies import malformed_documents, scenarios

# Hundreds of drawn documents, some through the command line: long (left to CI by the fast loop).
pytestmark = pytest.mark.slow

_base = settings()
FUZZ = settings(max_examples=max(20, _base.max_examples // 2))
CLI = settings(max_examples=4, deadline=None)

ERROR = re.compile(r"^<string>:\d+: \S")
# The loader's last resort turns an unexpected exception into a ScenarioError at line 0: that is a
# crash the validation did not foresee, so the fuzz test treats it as a failure too.
CATCH_ALL = re.compile(r"^[^:]*:0: cannot read the (scenario|event): [A-Za-z]+(Error|Exception)\b")


def _looks_like_path(text: str) -> bool:
    """`load_scenario(str)` reads a path when the string names one, or is one line that cannot be
    a scenario's text (no `key: value`, no `{` or `[`) (engine API, docs/api.md); such texts are
    reported under their own name, not `<string>`."""
    line = text.strip()
    return "\n" not in text and len(text) <= 4096 and (
        os.path.exists(text) or line.lower().endswith((".yaml", ".yml", ".json"))
        or (bool(line) and line.isprintable() and not line.startswith(("{", "[")) and ": " not in line
            and not line.endswith(":")))


def load_or_fail_cleanly(text: str):
    try:
        scenario = engine.load_scenario(text)
    except engine.ScenarioError as e:
        msg = str(e)
        assert "\n" not in msg and "\r" not in msg, f"error on several lines: {msg!r}"
        if not _looks_like_path(text):
            assert ERROR.match(msg), f"error does not start with <string>:LINE: {msg!r}"
        assert not CATCH_ALL.match(msg), f"unforeseen exception turned into an error: {msg!r}"
        assert "Traceback" not in msg
        return None
    engine.replay(scenario)  # a scenario the loader accepts replays without exception
    return scenario


@given(malformed_documents())
@FUZZ
def test_malformed_documents(text):
    load_or_fail_cleanly(text)


# ----------------------------------------------------------------------------- random trees

KEYS = ["scenario", "convention", "name", "start", "horizon", "member", "consultations", "overrides",
        "events", "expect", "agents", "date", "type", "amount", "year", "count", "by", "received",
        "sent", "reason", "step", "effective", "set", "ref", "presented", "delivered", "unclaimed",
        "term", "notice", "contribution", "grid", "large", "small", "initial", "renewal", "member",
        "cdg", "archives", "termination", "contributions", "states", "last_day", "due", "band"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=12),
    st.dates(min_value=dt.date(1, 1, 1)), st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["P3Y", "P0D", "-P1D", "P2M", "1000.00", "0.001", "1e9", "2026-02-30", "member",
                     "cdg", "payment", "notice", "opened", "cdg62-demat", "indefinite", "none", "~"]),
)
trees = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(1990, 2040),
                                                     st.text(max_size=6)), kids, max_size=5)),
    max_leaves=25,
)


def dump(tree) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


@given(trees)
@FUZZ
def test_random_yaml_trees(tree):
    load_or_fail_cleanly(dump(tree))


@st.composite
def grafted(draw):
    """A valid document with one subtree (at any depth) replaced by a random tree."""
    doc = copy.deepcopy(draw(scenarios()))  # some parts are shared constants (PROFILES)
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:  # an empty mapping or list: graft into it
            if isinstance(node, dict):
                node["extra"] = draw(trees)
            else:
                node.append(draw(trees))
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if not isinstance(child, (dict, list)) or draw(st.integers(0, 2)) == 0:
            node[key] = draw(trees)
            break
        node = child
    return dump(doc)


@given(grafted())
@FUZZ
def test_valid_documents_with_a_random_graft(text):
    load_or_fail_cleanly(text)


# ----------------------------------------------------------------------------- command line

@given(malformed_documents())
@CLI
def test_cli_rejects_bad_files_on_one_line(text):
    try:
        engine.load_scenario(text)
    except engine.ScenarioError:
        pass
    else:
        assume(False)
    assume(not _looks_like_path(text))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bad.yaml")
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        r = subprocess.run([sys.executable, "-m", "engine.cli", "run", path], capture_output=True,
                           text=True, cwd=d, timeout=60)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert re.match(re.escape(path) + r":\d+: \S", lines[0]), lines[0]
