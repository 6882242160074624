"""The golden corpus: the same scenarios replayed by two versions of the engine, compared byte for byte.

The corpus is a fixed list of scenario documents (``docs.json.gz`` beside this file: 3,000
generated for each of cdg62-demat, cdg62-medecine and cdg62-assurance by ``tests.strategies``,
plus every file of ``scenarios/``). It is written once (``make``) and kept, so that later changes
to the strategies never change what is compared. ``replay`` runs every document through the engine
of a given commit (a temporary git worktree) or of the working tree, and writes one line per
document: the timeline's JSON, or the error it raised. ``compare`` tells the documents whose lines
differ, after removing row keys a change is allowed to add (``--drop-key charge``).

    python tests/tools/golden/corpus.py check --ref ab42349            # replay at both, compare
    python tests/tools/golden/corpus.py replay --ref HEAD --out a.jsonl
    python tests/tools/golden/corpus.py compare a.jsonl b.jsonl [--drop-key charge]
    python tests/tools/golden/corpus.py make --count 3000              # rewrite docs.json.gz (rarely)

A tool, not a test: tests/test_golden.py replays a sample of the corpus at the working tree and
checks that the documents still load and replay; the full comparison against a commit is run by
whoever changes the engine, and its figures go in the issue's note.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from decimal import Decimal
from typing import Any, Iterable

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
DOCS = HERE / "docs.json.gz"


# ----------------------------------------------------------------------------- making the corpus

def _plain(v: Any) -> Any:
    """A generated document as JSON can hold it: dates as ISO strings, year keys as strings.
    Both engines read the same text, so the conversion changes nothing that is compared."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def generate(count: int) -> list[dict]:
    from hypothesis import HealthCheck, Phase, given, settings

    sys.path.insert(0, str(ROOT))
    from tests.strategies import assurance_scenarios, medecine_scenarios, scenarios

    out: list[dict] = []
    for strategy in (scenarios(), medecine_scenarios(), assurance_scenarios()):
        @settings(max_examples=count, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(doc: dict) -> None:
            out.append({"doc": _plain(doc)})

        collect()
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        out.append({"file": f"scenarios/{path.name}"})
    return out


def make(count: int) -> None:
    docs = generate(count)
    data = json.dumps(docs, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    with gzip.GzipFile(DOCS, "wb", mtime=0) as f:
        f.write(data)
    print(f"{DOCS.relative_to(ROOT)}: {len(docs)} documents")


def load_docs() -> list[dict]:
    with gzip.open(DOCS, "rb") as f:
        return json.loads(f.read())


# ----------------------------------------------------------------------------- replaying it

# Run inside the engine's checkout (working tree or a commit's worktree): one JSON line per document.
_REPLAYER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import engine
root, docs_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
docs = json.load(open(docs_path, encoding="utf-8"))
with open(out_path, "w", encoding="utf-8") as out:
    for d in docs:
        try:
            if "file" in d:
                s = engine.load_scenario(root + "/" + d["file"])
            else:
                s = engine.load_scenario(d["doc"])
            text = engine.replay(s).to_json()
        except Exception as exc:  # an error is an outcome too: compared like a timeline
            text = "error: " + type(exc).__name__ + ": " + str(exc).replace(root + "/", "")
        out.write(json.dumps(text, ensure_ascii=False) + "\n")
"""


def replay(ref: str | None, out: pathlib.Path) -> None:
    """Replay the corpus with the engine at ``ref`` (a commit) or the working tree (None)."""
    docs = load_docs()
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        docs_path = pathlib.Path(tmp) / "docs.json"
        docs_path.write_text(json.dumps(docs), encoding="utf-8")
        if ref is None:
            tree = ROOT
            _run(tree, docs_path, out)
            return
        tree = pathlib.Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), ref],
                       check=True)
        try:
            # The wheel ships rules/ as engine.rules; a checkout on sys.path needs the link so that
            # the commit's own rules files are read (not those of an editable install elsewhere).
            if (tree / "rules").is_dir() and not (tree / "engine" / "rules").exists():
                (tree / "engine" / "rules").symlink_to(tree / "rules")
            _run(tree, docs_path, out)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False)


def _run(tree: pathlib.Path, docs_path: pathlib.Path, out: pathlib.Path) -> None:
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "-c", _REPLAYER, str(tree), str(docs_path), str(out.resolve())],
                   check=True, env=env, cwd=str(tree))


# ----------------------------------------------------------------------------- comparing

def _dropped(text: str, keys: Iterable[str]) -> str:
    keys = set(keys)
    if not keys or text.startswith("error: "):
        return text
    data = json.loads(text)
    for row in data.get("contributions", []):
        for k in keys:
            row.pop(k, None)
    return json.dumps(data, ensure_ascii=False, indent=2)


def compare(a: pathlib.Path, b: pathlib.Path, drop: Iterable[str] = (), show: int = 3) -> int:
    """Print the documents whose lines differ; return how many."""
    docs = load_docs()
    la = a.read_text(encoding="utf-8").splitlines()
    lb = b.read_text(encoding="utf-8").splitlines()
    if len(la) != len(lb):
        print(f"different lengths: {len(la)} and {len(lb)}")
        return max(len(la), len(lb))
    differ = 0
    for i, (x, y) in enumerate(zip(la, lb)):
        tx, ty = _dropped(json.loads(x), drop), _dropped(json.loads(y), drop)
        if tx != ty:
            differ += 1
            if differ <= show:
                d = docs[i]
                print(f"document {i}: {d.get('file') or json.dumps(d['doc'], ensure_ascii=False)}")
                import difflib
                for line in list(difflib.unified_diff(tx.splitlines(), ty.splitlines(), lineterm="", n=1))[:40]:
                    print("   " + line)
    errors = sum(1 for x in la if json.loads(x).startswith("error: "))
    print(f"{len(la)} documents ({errors} refused by the engine), {differ} differ")
    return differ


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--count", type=int, default=3000)
    r = sub.add_parser("replay")
    r.add_argument("--ref", help="a commit; default: the working tree")
    r.add_argument("--out", type=pathlib.Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("a", type=pathlib.Path)
    c.add_argument("b", type=pathlib.Path)
    c.add_argument("--drop-key", action="append", default=[])
    k = sub.add_parser("check", help="replay at --ref and at the working tree, then compare")
    k.add_argument("--ref", required=True)
    k.add_argument("--drop-key", action="append", default=[])
    args = ap.parse_args(argv)
    if args.cmd == "make":
        make(args.count)
        return 0
    if args.cmd == "replay":
        replay(args.ref, args.out)
        return 0
    if args.cmd == "compare":
        return 1 if compare(args.a, args.b, args.drop_key) else 0
    with tempfile.TemporaryDirectory(prefix="golden-out-") as tmp:
        a, b = pathlib.Path(tmp) / "ref.jsonl", pathlib.Path(tmp) / "tree.jsonl"
        replay(args.ref, a)
        replay(None, b)
        return 1 if compare(a, b, args.drop_key) else 0


if __name__ == "__main__":
    sys.exit(main())
