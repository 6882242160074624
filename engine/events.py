"""Deprecated import path: ``engine.events`` moved to ``engine.core.events`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .core.events import *  # noqa: F401,F403
from .core import events as _moved

warnings.warn("engine.events is deprecated: import engine.core.events", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
