"""``evolve`` for the replay's hot values: ``attrs.evolve`` without the constructor.

The replay's state, agenda and ledger are frozen values that change a few hundred times per
convention (engine/core/replay/). ``attrs.evolve`` runs the whole constructor each time (every field
read and set again, through the frozen class's guard); these classes have no validator or
converter to run, so a copy of the instance's ``__dict__`` with the changes is the same value,
several times cheaper. Only for classes declared ``@attrs.frozen(slots=False)``. A misspelled
field is not refused here (checking costs as much as the copy): tests/test_fold.py checks that
every value of every state a replay goes through has exactly its class's fields.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def evolve(obj: T, **changes: Any) -> T:
    """``attrs.evolve(obj, **changes)`` for a frozen attrs class with a ``__dict__``."""
    new = object.__new__(obj.__class__)
    d = new.__dict__
    d.update(obj.__dict__)
    d.update(changes)
    return new
