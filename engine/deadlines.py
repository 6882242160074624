"""Deprecated import path: ``engine.deadlines`` moved to ``engine.answers.deadlines`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .answers.deadlines import *  # noqa: F401,F403
from .answers import deadlines as _moved

warnings.warn("engine.deadlines is deprecated: import engine.answers.deadlines", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
