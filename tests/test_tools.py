"""The tools of tests/tools/ (bench, mutation runner, golden corpus) are apart from the tests:
pytest never collects them, and each still finds the repository and its own files from there."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tests" / "tools"


def _module(path: Path):
    """The tool imported as a module: its `main` stays behind `if __name__ == "__main__"`."""
    spec = importlib.util.spec_from_file_location(f"tool_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_pytest_does_not_recurse_into_the_tools():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "tools" in options["norecursedirs"]
    assert [p.name for p in TOOLS.rglob("*.py") if p.name.startswith("test_") or p.stem.endswith("_test")] == []


@pytest.mark.parametrize("tool, files", [
    ("bench/bench.py", ["PAS_DE_CALAIS"]),
    ("mutation/run.py", ["EQUIVALENT"]),
    ("golden/corpus.py", ["DOCS"]),
])
def test_each_tool_finds_the_repository_and_its_files(tool, files):
    path = TOOLS / tool
    assert '\nif __name__ == "__main__":\n' in path.read_text(encoding="utf-8")
    module = _module(path)
    assert Path(module.ROOT).resolve() == ROOT
    for name in files:
        assert Path(getattr(module, name)).is_file(), name
