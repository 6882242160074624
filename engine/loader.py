"""Deprecated import path: ``engine.loader`` moved to ``engine.conventions.loader`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .conventions.loader import *  # noqa: F401,F403
from .conventions import loader as _moved

warnings.warn("engine.loader is deprecated: import engine.conventions.loader", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
