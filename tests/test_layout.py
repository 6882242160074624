"""The layout shows the architecture (issue 14 item 7): engine/core (the fold, the contract, the
durable_rules adapter and the mechanics), engine/conventions (rules files, parameters, the
scenario loader), engine/answers (deadlines, what-if, batch, expect), engine/present (tables,
report, words), engine/service (HTTP), and at the top the faces: api, application, cli, errors.
The flat module paths that docs/api.md used to give still import, with a DeprecationWarning."""

import ast
import importlib
import pathlib
import sys
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MOVED = {
    "loader": "engine.conventions.loader", "rulesfile": "engine.conventions.rulesfile",
    "deadlines": "engine.answers.deadlines", "whatif": "engine.answers.whatif",
    "batch": "engine.answers.batch", "report": "engine.present.report",
    "timeline": "engine.core.timeline", "events": "engine.core.events",
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_still_imports_and_warns(old):
    sys.modules.pop(f"engine.{old}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"engine.{old}")
    assert module is importlib.import_module(MOVED[old])
    assert any(issubclass(w.category, DeprecationWarning) and MOVED[old] in str(w.message) for w in caught)


def test_the_old_documented_names_are_the_new_ones():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from engine.loader import load_event
        from engine.deadlines import deadlines
    from engine.answers.deadlines import deadlines as new_deadlines
    from engine.conventions.loader import load_event as new_load_event
    assert load_event is new_load_event and deadlines is new_deadlines


def test_the_top_of_the_package_holds_only_faces_and_shims():
    top = {p.stem for p in (ROOT / "engine").glob("*.py")}
    assert top == {"__init__", "api", "application", "cli", "errors", "store"} | set(MOVED)
    packages = {p.name for p in (ROOT / "engine").iterdir() if (p / "__init__.py").exists()}
    assert packages == {"core", "conventions", "answers", "present", "service"}


def test_the_mechanics_import_nothing_above_them():
    """core's mechanics (calendar, ledger, formula, dates, money, params, the contract, the
    durable_rules adapter...) are the bottom floor: they never import conventions, answers,
    present, service or the faces. The fold (core/replay) and the timeline are the known
    exceptions, written down in docs/flow.md: the fold reads the loaded rules file
    (conventions.rulesfile) and words its diagnostics on first read (present.i18n); the
    timeline's deadlines() method imports answers.deadlines lazily."""
    above = ("conventions", "answers", "present", "service", "application", "cli")
    core = ROOT / "engine" / "core"
    checked = 0
    for path in sorted(core.glob("*.py")):
        if path.stem == "timeline":
            continue
        checked += 1
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = ("engine." if node.level else "") + (node.module or "")
                if node.level == 1:  # from .x import y: inside core
                    continue
                first = target.split(".")[1] if target.startswith("engine.") and "." in target else ""
                assert first not in above, f"{path.relative_to(ROOT)}:{node.lineno} imports {target}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not any(alias.name.startswith(f"engine.{w}") for w in above), \
                        f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}"
    assert checked >= 12
