"""Deprecated import path: ``engine.timeline`` moved to ``engine.core.timeline`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .core.timeline import *  # noqa: F401,F403
from .core import timeline as _moved

warnings.warn("engine.timeline is deprecated: import engine.core.timeline", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
