#!/usr/bin/env python
"""Sampled mutation testing of the engine and of the shipped rules files (docs/testing.md).

    .venv/bin/python tests/tools/mutation/run.py --seed 1 --count 60 [--module engine/core/replay.py]
                                           [--timeout 120] [--budget 1800] [--json out.json]

Every mutant is one small change a mistaken edit could make:

- Python modules: a comparison moved across its boundary (``<`` to ``<=``, ``<=`` to ``<``,
  ``>`` to ``>=``, ``>=`` to ``>``, ``==`` to ``!=``, ``!=`` to ``==``), ``and`` swapped with
  ``or``, an integer constant plus or minus one, ``ROUND_HALF_UP`` made ``ROUND_HALF_EVEN``, a
  name a comparison tests renamed (``op in ("sum", "min")`` to ``op in ("sum", "min_renamed")``:
  an operation, a kind or a choice the code dispatches on);
- rules files: ``true`` swapped with ``false`` (a parameter, a `when`, a `do` argument), ``lt``
  with ``lte`` and ``gt`` with ``gte`` in a `when`, two adjacent rules that can fire on the same
  decision swapped (priority is the file's order), a parameter value changed (a number or a
  duration's number plus or minus one, the last decimal of an amount or a rate, a date or a
  month-day moved by one day, a choice replaced by each other choice).

All mutants of the chosen files are listed, then ``--count`` of them are drawn with ``--seed``.
The repository is copied once to a temporary folder; each mutant is written into the copy, the
fast subset of the tests (SUBSET below, ``-x``, Hypothesis profile ``dev`` with the seed) runs
there with ``PYTHONPATH`` on the copy, and the file is restored. A ``sitecustomize.py`` in the
copy makes ``engine`` and ``engine.rules`` (the package the wheel builds from ``rules/``) import
from the copy, never from the editable install; the run checks it before anything else
(``--dry-run`` shows it and the mutants drawn, and runs nothing).

A mutant is **killed** when a test fails (or pytest stops with an error), **timeout** when the
tests take longer than ``--timeout`` seconds (counted as detected), **survived** when they pass.
Survivors listed in tests/tools/mutation/equivalent.txt (``ID | reason``) are counted as equivalent:
the score is detected / (run - equivalent). Nothing in the repository is written (``--json``
writes where it is told).

This is not part of `.ci/run`: a mutant takes about 7 s on one core, a draw of 60 about seven
minutes.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PY_MODULES = tuple(f"engine/{m}.py" for m in (
    "core/replay/agenda", "core/replay/driver", "core/replay/term", "core/replay/charges",
    "core/replay/standing", "core/replay/disputes", "core/calendar", "core/ledger", "core/formula",
    "core/conditions", "core/params", "core/contract", "core/readings", "conventions/rulesfile",
    "answers/deadlines", "core/dates", "core/money"))
RULES_FILES = ("rules/base.yaml", "rules/cdg62-demat.yaml", "rules/cdg62-medecine.yaml",
               "rules/cdg62-assurance.yaml")
DEFAULT_FILES = PY_MODULES + RULES_FILES

# The fast subset, in the order it runs (-x stops at the first failure).
SUBSET = ("tests/test_operations.py", "tests/test_decisions.py", "tests/test_scenarios.py",
          "tests/test_regressions.py", "tests/test_mutants.py", "tests/test_generality.py",
          "tests/test_differential.py")
K = "not generated"  # test_generality's drawn rules files are slow and find little here

EQUIVALENT = Path(__file__).with_name("equivalent.txt")

IGNORE = shutil.ignore_patterns(".git", ".venv*", ".hypothesis", ".pytest_cache", "__pycache__",
                                "*.egg-info", ".mypy_cache", ".ruff_cache", "*.pyc", "build", "dist")

SITECUSTOMIZE = '''\
"""Written by tests/tools/mutation/run.py: `engine` and `engine.rules` come from this copy."""
import importlib.util as _u
import os as _os
import sys as _sys

_ROOT = _os.path.dirname(_os.path.abspath(__file__))
_WHERE = {"engine": _os.path.join(_ROOT, "engine"), "engine.rules": _os.path.join(_ROOT, "rules")}


class _CopyFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        folder = _WHERE.get(name)
        if folder is None:
            return None
        return _u.spec_from_file_location(name, _os.path.join(folder, "__init__.py"),
                                          submodule_search_locations=[folder])


_sys.meta_path.insert(0, _CopyFinder)
'''


# ============================================================================ mutants


@dataclasses.dataclass(frozen=True)
class Mutant:
    path: str  # relative to the repository
    line: int
    col: int
    kind: str
    before: str
    after: str
    start: int  # character offsets of the replaced text in the file
    end: int
    replacement: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.before} -> {self.after}"

    def apply(self, text: str) -> str:
        return text[:self.start] + self.replacement + text[self.end:]


def _offsets(text: str) -> list[int]:
    out, pos = [0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        out.append(pos)
    return out


FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}


def python_mutants(rel: str, text: str) -> list[Mutant]:
    starts = _offsets(text)
    lines = text.splitlines()
    out: list[Mutant] = []

    def add(tok: tokenize.TokenInfo, kind: str, after: str, replacement: str | None = None) -> None:
        (row, col), (erow, ecol) = tok.start, tok.end
        out.append(Mutant(rel, row, col + 1, kind, tok.string, after, starts[row - 1] + col,
                          starts[erow - 1] + ecol, after if replacement is None else replacement))

    # the names a comparison tests (`op == "min"`, `op in ("sum", "min")`): an operation, a
    # kind or a choice the code dispatches on, renamed as a slip of the pen would
    named: set[tuple[int, int]] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                items = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
                for x in items:
                    if isinstance(x, ast.Constant) and isinstance(x.value, str) and x.value.isidentifier():
                        # ast columns count UTF-8 bytes, tokenize's characters
                        col = len(lines[x.lineno - 1].encode("utf-8")[:x.col_offset].decode("utf-8"))
                        named.add((x.lineno, col))
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        line = lines[tok.start[0] - 1] if tok.start[0] <= len(lines) else ""
        if "pragma: no cover" in line:
            continue
        if tok.type == tokenize.OP and tok.string in FLIP:
            add(tok, "comparison", FLIP[tok.string])
        elif tok.type == tokenize.NAME and tok.string in ("and", "or"):
            add(tok, "boolean", "or" if tok.string == "and" else "and")
        elif tok.type == tokenize.NAME and tok.string == "ROUND_HALF_UP":
            if not line.lstrip().startswith(("from ", "import ")):
                # decimal's rounding modes are their own names as strings: no import needed
                add(tok, "rounding", "ROUND_HALF_EVEN", '"ROUND_HALF_EVEN"')
        elif tok.type == tokenize.STRING and tok.start in named:
            quote = tok.string[-1]
            add(tok, "name", f"{tok.string[:-1]}_renamed{quote}")
        elif tok.type == tokenize.NUMBER:
            try:
                v = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                continue
            if isinstance(v, int) and not isinstance(v, bool):
                for w in (v + 1, v - 1):
                    add(tok, "number", str(w), f"({w})" if w < 0 else str(w))
    return out


# -- rules files

_KEY = re.compile(r"^(\s*)(- )?([A-Za-z0-9_.\-]+|\"[^\"]*\"):(?=\s|$)")
_BOOL = re.compile(r"\b(true|false)\b")
_WHEN_OP = re.compile(r"\b(lte|lt|gte|gt):")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_MONTH_DAY = re.compile(r"\"(\d\d)-(\d\d)\"")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
_DURATION = re.compile(r"\bP(?:\d+[YMWD])+\b")


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _unquoted_spans(s: str) -> list[tuple[int, int]]:
    """Spans of ``s`` outside quoted strings."""
    spans, start, quote = [], 0, None
    for i, ch in enumerate(s):
        if quote:
            if ch == quote:
                quote = None
                start = i + 1
        elif ch in "\"'":
            spans.append((start, i))
            quote = ch
    if quote is None:
        spans.append((start, len(s)))
    return spans


def _choices() -> dict[str, tuple[str, ...]]:
    """The choices of the mechanics parameters (engine/core/params.py), by parameter path."""
    sys.path.insert(0, str(ROOT))
    try:
        from engine.core import params
    finally:
        sys.path.pop(0)
    return {path: conv.choices for path, (conv, _) in params._mechanics(()).items()
            if hasattr(conv, "choices")}


def _tested_t(when) -> set:
    out: set = set()
    if not isinstance(when, dict):
        return out
    for key, value in when.items():
        if key in ("any", "all") and isinstance(value, list):
            for v in value:
                out |= _tested_t(v)
        elif key == "t":
            if isinstance(value, dict):
                out |= set(value.get("any", ())) | ({value["eq"]} if "eq" in value else set())
            else:
                out.add(value)
    return out


def _exclusive(w1, w2) -> bool:
    """Whether two `when`s can never hold together: one field equal to two different constants."""
    if not isinstance(w1, dict) or not isinstance(w2, dict):
        return False
    return any(k != "t" and k in w2 and not isinstance(v, (dict, list))
               and not isinstance(w2[k], (dict, list)) and v != w2[k] for k, v in w1.items())


def _shift_date(text: str, days: int) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()


def _number_variants(tok: str) -> list[str]:
    if "." in tok:
        places = len(tok.split(".")[1])
        unit = 10 ** -places
        value = float(tok)
        out = []
        for w in (value + unit, value - unit):
            if w >= 0:
                out.append(f"{w:.{places}f}")
        return out
    v = int(tok)
    return [str(w) for w in (v + 1, v - 1) if w >= 0]


def rules_mutants(rel: str, text: str, choices: dict[str, tuple[str, ...]]) -> list[Mutant]:
    import yaml

    starts = _offsets(text)
    lines = text.splitlines()
    out: list[Mutant] = []
    stack: list[tuple[int, str]] = []
    declared_choices: dict[str, tuple[str, ...]] = {}
    doc = yaml.safe_load(text)

    def walk_choices(node, prefix):
        for k, v in (node or {}).items():
            if isinstance(v, dict) and ("value" in v or "values" in v):
                if v.get("type") == "choice":
                    declared_choices[prefix + k] = tuple(v.get("choices", ()))
            elif isinstance(v, dict):
                walk_choices(v, prefix + k + ".")
    walk_choices(doc.get("parameters"), "")

    def add(row: int, col: int, kind: str, before: str, after: str) -> None:
        off = starts[row - 1] + col
        out.append(Mutant(rel, row, col + 1, kind, before, after, off, off + len(before), after))

    def value_mutants(row: int, base: int, value: str, param: str, kind: str = "parameter") -> None:
        """Mutants of a parameter's value text starting at column ``base``."""
        stripped = value.strip()
        col = base + (len(value) - len(value.lstrip()))
        if stripped in ("true", "false"):
            add(row, col, kind, stripped, "false" if stripped == "true" else "true")
            return
        opts = choices.get(param) or declared_choices.get(param)
        if opts and stripped in opts:
            for o in opts:
                if o != stripped:
                    add(row, col, kind, stripped, o)
            return
        taken: list[tuple[int, int]] = []
        for m in _DATE.finditer(value):
            taken.append(m.span())
            for d in (1, -1):
                add(row, base + m.start(), kind, m.group(0), _shift_date(m.group(0), d))
        for m in _MONTH_DAY.finditer(value):
            taken.append(m.span())
            for d in (1, -1):
                day = dt.date(2027, int(m.group(1)), int(m.group(2))) + dt.timedelta(days=d)
                add(row, base + m.start(), kind, m.group(0), f'"{day:%m-%d}"')
        for m in _DURATION.finditer(value):
            taken.append(m.span())
            for n in re.finditer(r"\d+", m.group(0)):
                for w in _number_variants(n.group(0)):
                    add(row, base + m.start() + n.start(), kind, n.group(0), w)
        for m in _NUMBER.finditer(value):
            if any(a <= m.start() < b for a, b in taken):
                continue
            for w in _number_variants(m.group(0)):
                add(row, base + m.start(), kind, m.group(0), w)

    rule_starts: list[tuple[int, str]] = []  # (line index, rule id)
    for i, raw in enumerate(lines):
        row = i + 1
        line = _strip_comment(raw)
        if not line.strip():
            continue
        m = _KEY.match(line)
        if m:
            indent = len(m.group(1)) + (2 if m.group(2) else 0)
            key = m.group(3).strip('"')
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, key))
            path = [k for _, k in stack]
            rest_col = m.end()
            rest = line[rest_col:]
        else:
            indent = len(line) - len(line.lstrip())
            path = [k for ind, k in stack if ind < indent]
            rest_col, rest = 0, line
        if not path:
            continue
        section = path[0]
        if section == "parameters":
            if path[-1] == "value" and m:
                value_mutants(row, rest_col, rest, ".".join(path[1:-1]))
            elif len(path) >= 2 and path[-2] == "values" and m:
                param = ".".join(path[1:-2])
                value_mutants(row, rest_col, rest, param)
                key_text = m.group(3)
                if _DATE.fullmatch(key_text):
                    col = len(m.group(1)) + (2 if m.group(2) else 0)
                    for d in (1, -1):
                        add(row, col, "parameter", key_text, _shift_date(key_text, d))
        elif section == "rules":
            if len(path) == 2 and m and indent == 2:
                rule_starts.append((i, path[1]))
            region = path[2] if len(path) >= 3 else None
            if region in ("when", "do"):
                for a, b in _unquoted_spans(rest):
                    seg = rest[a:b]
                    for bm in _BOOL.finditer(seg):
                        add(row, rest_col + a + bm.start(), "rules-bool", bm.group(1),
                            "false" if bm.group(1) == "true" else "true")
                    if region == "when":
                        for om in _WHEN_OP.finditer(seg):
                            op = om.group(1)
                            after = {"lt": "lte", "lte": "lt", "gt": "gte", "gte": "gt"}[op]
                            add(row, rest_col + a + om.start(), "when-op", op, after)

    # Adjacent rules that can fire on the same decision, swapped.
    whens = {rid: (node or {}).get("when") for rid, node in (doc.get("rules") or {}).items()}
    ts = {rid: _tested_t(w) for rid, w in whens.items()}
    bounds = [starts[i] for i, _ in rule_starts] + [len(text)]
    for j in range(len(rule_starts) - 1):
        (i1, r1), (_, r2) = rule_starts[j], rule_starts[j + 1]
        if not (ts.get(r1, set()) & ts.get(r2, set())) or _exclusive(whens.get(r1), whens.get(r2)):
            continue  # never compete for the same decision: the swap is equivalent by construction
        a, b, c = bounds[j], bounds[j + 1], bounds[j + 2]
        first, second = text[a:b], text[b:c]
        if not second.endswith("\n"):
            second += "\n"
            first = first.rstrip("\n")
        out.append(Mutant(rel, i1 + 1, 1, "rule-order", f"{r1} before {r2}", f"{r2} before {r1}",
                          a, c, second + first))
    return out


def all_mutants(files: list[str], root: Path) -> list[Mutant]:
    choices = None
    out: list[Mutant] = []
    for rel in files:
        text = (root / rel).read_text(encoding="utf-8")
        if rel.endswith(".py"):
            out += python_mutants(rel, text)
        else:
            if choices is None:
                choices = _choices()
            out += rules_mutants(rel, text, choices)
    return out


def read_equivalent(path: Path = EQUIVALENT) -> dict[str, str]:
    """``ID | reason`` lines (``#`` comments and blank lines ignored)."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        mid, _, reason = line.partition(" | ")
        out[mid.strip()] = reason.strip()
    return out


# ============================================================================ running


def make_copy() -> Path:
    base = Path(tempfile.mkdtemp(prefix="mutation-"))
    repo = base / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORE, symlinks=True)
    (repo / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return repo


def env_for(repo: Path, seed: int) -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1", HYPOTHESIS_PROFILE="dev",
               PYTHONHASHSEED=str(seed))
    return env


def check_imports(repo: Path, env: dict) -> str:
    code = ("import sys, engine, engine.rules, engine.core.replay, engine.conventions.rulesfile as r; "
            "print(engine.__file__); print(list(engine.rules.__path__)[0]); "
            "print(sys.modules['engine.core.replay'].__file__); print(r.find('cdg62-demat'))")
    p = subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"the copy does not import: {p.stderr}")
    paths = p.stdout.split()
    inside = all(Path(x).resolve().is_relative_to(repo.resolve()) for x in paths)
    if not inside:
        raise SystemExit("the copy imports an engine outside itself:\n" + p.stdout)
    return p.stdout


def pytest_command(seed: int, deselect: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           f"--hypothesis-seed={seed}", *SUBSET, "-k", K]
    for d in deselect:
        cmd += ["--deselect", d]
    return cmd


def run_tests(repo: Path, env: dict, cmd: list[str], timeout: float) -> tuple[str, str, float]:
    """(status, first failure, seconds): killed | survived | timeout."""
    shutil.rmtree(repo / ".hypothesis", ignore_errors=True)  # no example carried over
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "timeout", "", time.monotonic() - t0
    except BaseException:  # interrupted: leave no test process behind
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    secs = time.monotonic() - t0
    if proc.returncode == 0:
        return "survived", "", secs
    first = ""
    for line in out.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            first = line.split(" - ")[0]
            break
    if not first:
        tail = [x for x in out.splitlines() if x.strip()]
        first = tail[-1][:120] if tail else f"exit {proc.returncode}"
    return "killed", first, secs


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def table(results: list[dict], equivalent: dict[str, str]) -> str:
    rows = {}
    for r in results:
        m = rows.setdefault(r["path"], {"run": 0, "killed": 0, "timeout": 0, "survived": 0,
                                        "equivalent": 0})
        m["run"] += 1
        if r["status"] == "survived" and r["id"] in equivalent:
            m["equivalent"] += 1
        else:
            m[r["status"]] += 1
    total = {k: sum(v[k] for v in rows.values()) for k in ("run", "killed", "timeout", "survived",
                                                             "equivalent")}
    out = [f"{'file':34} {'run':>5} {'killed':>7} {'timeout':>8} {'equiv.':>7} {'survived':>9} {'score':>7}"]
    for path, v in sorted(rows.items()) + [("total", total)]:
        live = v["run"] - v["equivalent"]
        score = f"{100 * (v['killed'] + v['timeout']) / live:.1f}%" if live else "-"
        out.append(f"{path:34} {v['run']:5} {v['killed']:7} {v['timeout']:8} {v['equivalent']:7} "
                   f"{v['survived']:9} {score:>7}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="draws the mutants (and Hypothesis' seed)")
    ap.add_argument("--count", type=int, default=60, help="mutants to run (0: all of them)")
    ap.add_argument("--module", action="append", default=[],
                    help="a file to mutate (repeatable; default: the decision-bearing modules "
                         "and the three rules files)")
    ap.add_argument("--kind", action="append", default=[], help="only mutants of this kind")
    ap.add_argument("--id", action="append", default=[], help="run this mutant (repeatable)")
    ap.add_argument("--rerun", metavar="JSON",
                    help="rerun the survivors of an earlier --json (but those judged equivalent); "
                         "with --json, write its results with the rerun ones replaced")
    ap.add_argument("--timeout", type=float, default=0,
                    help="seconds per mutant (default: four times the run without mutant, at least 30)")
    ap.add_argument("--budget", type=float, default=0,
                    help="start no new mutant after this many seconds (0: no limit)")
    ap.add_argument("--deselect", action="append", default=[],
                    help="a test to leave out (when it fails without any mutant)")
    ap.add_argument("--json", metavar="FILE", help="write every result to FILE (after each mutant)")
    ap.add_argument("--resume", metavar="JSON",
                    help="take the results of an earlier --json as done; run the rest of the draw")
    ap.add_argument("--list", action="store_true", help="count the mutants of each file and stop")
    ap.add_argument("--dry-run", action="store_true",
                    help="copy, check which engine the copy imports, list the mutants drawn")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy")
    a = ap.parse_args(argv)

    files = a.module or list(DEFAULT_FILES)
    for f in files:
        if not (ROOT / f).is_file():
            ap.error(f"no such file: {f}")
    pool = all_mutants(files, ROOT)
    if a.kind:
        pool = [m for m in pool if m.kind in a.kind]
    if a.list:
        counts: dict[str, dict[str, int]] = {}
        for m in pool:
            counts.setdefault(m.path, {}).setdefault(m.kind, 0)
            counts[m.path][m.kind] += 1
        for path, kinds in counts.items():
            print(f"{path:34} {sum(kinds.values()):5}  " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        print(f"{'total':34} {len(pool):5}")
        return 0

    by_id = {m.id: m for m in pool}
    equivalent = read_equivalent()
    earlier: list[dict] = []  # --rerun: the earlier results, the rerun ones replaced at the end
    if a.id or a.rerun:
        wanted = list(a.id)
        if a.rerun:
            earlier = json.loads(Path(a.rerun).read_text())["results"]
            wanted += [r["id"] for r in earlier
                       if r["status"] == "survived" and r["id"] not in equivalent]
        missing = [w for w in wanted if w not in by_id]
        if missing:
            ap.error("no such mutant (has the file changed?): " + "; ".join(missing))
        chosen = [by_id[w] for w in dict.fromkeys(wanted)]
    else:
        rng = random.Random(a.seed)
        chosen = rng.sample(pool, len(pool) if a.count <= 0 else min(a.count, len(pool)))
    stale = [e for e in equivalent if e.split(":")[0] in files and e not in by_id]
    if stale:
        print(f"note: {len(stale)} entries of {EQUIVALENT.name} match no mutant of the current files",
              file=sys.stderr)

    repo = make_copy()
    try:
        env = env_for(repo, a.seed)
        where = check_imports(repo, env)
        print(f"copy: {repo}\nimports (engine, engine.rules, engine.core.replay, cdg62-demat):\n{where}")
        cmd = pytest_command(a.seed, a.deselect)
        if a.dry_run:
            print(f"pool: {len(pool)} mutants; drawn: {len(chosen)}")
            for m in chosen:
                print(f"  [{m.kind}] {m.id}")
            print("tests: " + " ".join(cmd[1:]))
            return 0
        signal.signal(signal.SIGTERM, _interrupt)
        status, first, secs = run_tests(repo, env, cmd, max(a.timeout, 600))
        if status != "survived":
            print(f"the tests fail without any mutant ({first}); fix them or --deselect them")
            return 2
        timeout = a.timeout or max(30.0, 4 * secs)
        results: list[dict] = []
        if a.resume:
            done = {r["id"]: r for r in json.loads(Path(a.resume).read_text())["results"]}
            results = [done[m.id] for m in chosen if m.id in done]
            chosen = [m for m in chosen if m.id not in done]
        print(f"baseline: the subset passes in {secs:.1f}s; {len(chosen)} mutants to run"
              f"{f' ({len(results)} done before)' if results else ''}, timeout {timeout:.0f}s")

        def merged() -> list[dict]:
            new = {r["id"]: r for r in results}
            return [new.get(r["id"], r) for r in earlier] if earlier else results

        def save() -> None:
            if a.json:
                Path(a.json).write_text(json.dumps({"seed": a.seed, "files": files,
                                                    "results": merged()}, indent=1), encoding="utf-8")
        t_start = time.monotonic()
        try:
            for i, m in enumerate(chosen, start=1):
                if a.budget and time.monotonic() - t_start > a.budget:
                    print(f"budget of {a.budget:.0f}s spent: {len(chosen) - i + 1} mutants not run")
                    break
                target = repo / m.path
                original = target.read_text(encoding="utf-8")
                target.write_text(m.apply(original), encoding="utf-8")
                try:
                    status, first, secs = run_tests(repo, env, cmd, timeout)
                finally:
                    target.write_text(original, encoding="utf-8")
                note = " (equivalent)" if status == "survived" and m.id in equivalent else ""
                print(f"[{i}/{len(chosen)}] {status:8} {secs:5.1f}s  {m.id}{note}"
                      + (f"  <- {first}" if first else ""), flush=True)
                results.append(dict(dataclasses.asdict(m), id=m.id, status=status, by=first,
                                    seconds=round(secs, 1)))
                save()
        except KeyboardInterrupt:
            print("interrupted")
        print()
        if earlier:
            print("the earlier results, with the mutants rerun:")
        print(table(merged(), equivalent))
        survivors = [r for r in merged() if r["status"] == "survived"]
        if survivors:
            print("\nsurvivors:")
            for r in survivors:
                why = equivalent.get(r["id"])
                print(f"  {r['id']}" + (f"   [equivalent: {why}]" if why else ""))
        save()
        return 0
    finally:
        if a.keep:
            print(f"kept: {repo}")
        else:
            shutil.rmtree(repo.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
