"""The `convention` command: a thin shell over the public API.

Every command builds its whole output as a string before printing it, so that an error never
leaves half an output behind; errors are caught here, at the edge, and printed as one line.
Exit status: 0 success, 1 a check failed, 2 invalid input or usage, 3 an internal error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import Sequence

from . import expect as expect_mod
from . import render
from .api import load_scenario, replay
from .errors import ScenarioError
from .rulesfile import RulesError


class UsageError(Exception):
    pass


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as every other invalid input
        self.exit(2, f"convention: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="convention", description="Replay the dated events of an administrative convention.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="replay a scenario and print its timeline")
    run.add_argument("file")
    run.add_argument("--format", choices=("table", "json", "csv"), default="table")
    run.add_argument("--until", type=_date_arg, help="replay up to this day (replaces the horizon)")
    run.add_argument("--lang", choices=("en", "fr"), default="en")

    check = sub.add_parser("check", help="verify the expect: blocks of scenario files")
    check.add_argument("paths", nargs="+")

    rules = sub.add_parser("rules", help="list the rules catalogue of a convention")
    rules.add_argument("id", nargs="?")

    state = sub.add_parser("state", help="the state of a convention on a date")
    state.add_argument("file")
    state.add_argument("--on", type=_date_arg, required=True)
    state.add_argument("--lang", choices=("en", "fr"), default="en")
    return p


def cmd_run(args) -> str:
    s = load_scenario(args.file)
    if args.until is not None and args.until < s.start:
        raise ScenarioError(args.file, 0, f"--until {args.until} is before the start {s.start}")
    t = replay(s, until=args.until)
    if args.format == "json":
        return t.to_json()
    if args.format == "csv":
        return render.entries_csv(t)
    return render.table(t, lang=args.lang)


def _scenario_files(paths: Sequence[str]) -> list[str]:
    out = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith((".yaml", ".yml")))
        else:
            out.append(path)
    return out


def cmd_check(args) -> tuple[str, int]:
    lines = []
    passed = failed = 0
    for path in _scenario_files(args.paths):
        try:
            s = load_scenario(path)
        except ScenarioError as e:
            failed += 1
            lines.append(f"FAIL {path}: {e}")
            continue
        if not s.expect:
            lines.append(f"skip {path}: no expect: block")
            continue
        problems = expect_mod.failures(replay(s), s.expect)
        if problems:
            failed += 1
            lines.append(f"FAIL {path}")
            lines.extend(f"  {p}" for p in problems)
        else:
            passed += 1
            lines.append(f"ok   {path}")
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines) + "\n", 1 if failed else 0


def cmd_rules(args) -> str:
    return render.catalogue(args.id)


def cmd_state(args) -> str:
    s = load_scenario(args.file)
    if args.on < s.start:
        raise ScenarioError(args.file, 0, f"--on {args.on} is before the start {s.start}")
    t = replay(s)
    if args.on > t.horizon:
        t = replay(s, until=args.on)
    return render.state(t, args.on, lang=args.lang)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = {"run": cmd_run, "check": cmd_check, "rules": cmd_rules, "state": cmd_state}[args.command](args)
    except ScenarioError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    except (RulesError, UsageError) as e:
        sys.stderr.write(f"convention: {e}\n")
        return 2
    except Exception as e:  # a bug of ours: still one line, never a traceback
        sys.stderr.write(f"convention: internal error: {type(e).__name__}: {e}\n")
        return 3
    code = 0
    if isinstance(result, tuple):
        result, code = result
    sys.stdout.write(result)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
