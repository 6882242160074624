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
    "catalogue_doc": "engine.present.catalogue_doc",
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


def test_the_old_catalogue_doc_command_still_runs(tmp_path):
    """`python -m engine.catalogue_doc` (the path before issue 14) still makes the page of a
    user's rules file, naming that file as its source, and says where the command moved."""
    import subprocess

    r = subprocess.run([sys.executable, "-m", "engine.catalogue_doc", "docs/examples/dpo-rules.yaml"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    assert "from docs/examples/dpo-rules.yaml." in r.stdout and "rules/dpo-rules.yaml" not in r.stdout
    assert "`convention rules docs/examples/dpo-rules.yaml`" in r.stdout
    assert r.stderr == ("catalogue_doc: `python -m engine.catalogue_doc` is deprecated: "
                        "run `python -m engine.present.catalogue_doc`\n")
    r = subprocess.run([sys.executable, "-m", "engine.catalogue_doc", "--write", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and (tmp_path / "rules" / "cdg62-demat.md").read_text(encoding="utf-8") == \
        (ROOT / "docs" / "rules" / "cdg62-demat.md").read_text(encoding="utf-8")


def test_the_top_of_the_package_holds_only_faces_and_shims():
    top = {p.stem for p in (ROOT / "engine").glob("*.py")}
    assert top == {"__init__", "api", "application", "cli", "errors", "store"} | set(MOVED)
    packages = {p.name for p in (ROOT / "engine").iterdir() if (p / "__init__.py").exists()}
    assert packages == {"core", "conventions", "answers", "present", "service"}


ABOVE_CORE = ("engine.conventions", "engine.present", "engine.answers", "engine.service",
              "engine.application", "engine.cli")


def _imported(module: str, path: pathlib.Path, node: ast.ImportFrom) -> list[str]:
    """The dotted names an ``from ... import`` brings in (``from ... import conventions`` names
    the package ``engine.conventions``)."""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = package[: len(package) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    return [source] + [f"{source}.{a.name}" for a in node.names]


def upward_imports(path: pathlib.Path) -> list[str]:
    """Every import of ``path`` (a module under engine/core) that names a floor above the core:
    at the top, inside a function (a lazy import) or under ``if TYPE_CHECKING``, as the AST has
    them all."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names = _imported(module, path, node)
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if any(name == up or name.startswith(up + ".") for up in ABOVE_CORE):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
                break
    return found


def test_the_core_imports_nothing_above_it():
    """engine/core (the mechanics, the contract, the durable_rules adapter, the fold and its
    timeline) is the bottom floor: no module of it imports conventions, present, answers, service,
    application or cli, not even lazily inside a function. What the fold needs from above comes
    from its caller: the loaded rules file with the scenario (its rules, parameters and the words
    of its messages), the deadlines from engine.replay."""
    paths = sorted((ROOT / "engine" / "core").rglob("*.py"))
    assert len(paths) >= 20
    found = [f for path in paths for f in upward_imports(path)]
    assert found == []


@pytest.mark.parametrize("source", [
    "from ...conventions import rulesfile\n",
    "def f():\n    from ...present.i18n import format_values\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from engine.answers import deadlines\n",
    "import engine.cli\n",
    "from ... import application\n",
])
def test_the_layout_check_finds_an_upward_import(tmp_path, source, monkeypatch):
    path = ROOT / "engine" / "core" / "replay" / "_probe.py"
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, encoding=None: source)
    assert len(upward_imports(path)) == 1
