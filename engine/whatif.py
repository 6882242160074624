"""Deprecated import path: ``engine.whatif`` moved to ``engine.answers.whatif`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .answers.whatif import *  # noqa: F401,F403
from .answers import whatif as _moved

warnings.warn("engine.whatif is deprecated: import engine.answers.whatif", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
