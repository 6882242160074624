"""How the modules of engine/ depend on each other: no module uses another's private name
(``from .x import _y``, ``X._y`` on an imported module), and no import circle among the imports
made when a module loads. A module's own private names, ``self._y`` and ``cls._y`` are its own
business."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"


def _modules() -> dict[str, pathlib.Path]:
    """Dotted name -> file, for every module of the engine package."""
    out = {}
    for path in sorted(ENGINE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package(name: str, path: pathlib.Path) -> str:
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def _absolute(name: str, path: pathlib.Path, node: ast.ImportFrom) -> str:
    """The module an ``from ... import`` names, as a dotted name."""
    if not node.level:
        return node.module or ""
    base = _package(name, path).split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _shown(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def private_uses(name: str, path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()  # local names bound to another module of engine/
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(name, path, node)
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{_shown(path)}:{node.lineno}: from {source} import {alias.name}")
                if f"{source}.{alias.name}" in MODULES:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("engine"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in modules):
            found.append(f"{_shown(path)}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    found = [hit for name, path in MODULES.items() for hit in private_uses(name, path)]
    assert not found, "private names used across modules (make them public):\n" + "\n".join(found)


def test_the_check_finds_a_private_use(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from .conventions import yamlnodes as Y\nfrom .cli import _timeline\n\nY._text(1)\nself._x = 1\n")
    assert [hit.split(": ", 1)[1] for hit in private_uses("engine.bad", bad)] == \
        ["from engine.cli import _timeline", "Y._text"]


def _imports(name: str, path: pathlib.Path, *, inside_functions: bool = True) -> set[str]:
    """The engine modules ``name`` imports: all of them, or only those imported when it loads."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in (ast.walk(tree) if inside_functions else tree.body):
        targets = []
        if isinstance(node, ast.ImportFrom):
            source = _absolute(name, path, node)
            targets = [f"{source}.{a.name}" for a in node.names] + [source]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def circles(graph: dict[str, set[str]]) -> list[str]:
    """Every circle of the graph found by a depth-first walk. A package and its own submodules
    are not a circle (a package imports its submodules to export them)."""
    found: list[str] = []
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            found.append(" -> ".join(stack[stack.index(node):] + [node]))
            return
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            if not (nxt.startswith(node + ".") or node.startswith(nxt + ".")):
                visit(nxt, stack + [node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])
    return found


def test_no_import_circle():
    # The imports made when a module loads. An import inside a function may close a circle
    # (Timeline.deadlines() imports engine.answers.deadlines, which imports the timeline): a convenience
    # kept for the public API, not a dependency of the module's own code.
    graph = {name: _imports(name, path, inside_functions=False) for name, path in MODULES.items()}
    found = circles(graph)
    assert not found, "import circles:\n" + "\n".join(found)


def test_the_circle_check_finds_a_circle():
    assert circles({"e.a": {"e.b"}, "e.b": {"e.c"}, "e.c": {"e.a"}}) == ["e.a -> e.b -> e.c -> e.a"]
    assert circles({"e.p": {"e.p.x"}, "e.p.x": {"e.p"}}) == []


def test_the_service_and_the_commands_ask_the_application_layer_not_each_other():
    service = {n for n, p in MODULES.items() if n.startswith("engine.service")}
    for name in service:
        assert "engine.cli" not in _imports(name, MODULES[name]), name
    # `convention serve` starts the service: the one import of it the command line makes, inside
    # that command; no answer of the command line comes from the service.
    assert not any(m.startswith("engine.service") and m != "engine.service.store"
                   for m in _imports("engine.cli", MODULES["engine.cli"], inside_functions=False))
    assert "engine.cli" not in _imports("engine.application", MODULES["engine.application"])
