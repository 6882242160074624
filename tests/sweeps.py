"""Tests run over every shipped scenario: the fast loop (`pytest -m "not slow"`) keeps one
scenario per convention, CI runs them all."""

from __future__ import annotations

from pathlib import Path

import pytest

# One scenario of each shipped convention, each with calls, payments and a notice or an end.
FAST = ("pas-de-calais", "medecine-worked-example", "assurance-worked-example")


def every_scenario(paths: list[Path]) -> list:
    """``paths`` as pytest parameters, all but FAST's marked slow."""
    missing = set(FAST) - {p.stem for p in paths}
    assert not missing, f"scenarios/ lost {sorted(missing)}"
    return [p if p.stem in FAST else pytest.param(p, marks=pytest.mark.slow) for p in paths]
