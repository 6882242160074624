"""Deprecated import path: ``engine.rulesfile`` moved to ``engine.conventions.rulesfile`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .conventions.rulesfile import *  # noqa: F401,F403
from .conventions import rulesfile as _moved

warnings.warn("engine.rulesfile is deprecated: import engine.conventions.rulesfile", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
