"""Deprecated import path: ``engine.batch`` moved to ``engine.answers.batch`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .answers.batch import *  # noqa: F401,F403
from .answers import batch as _moved

warnings.warn("engine.batch is deprecated: import engine.answers.batch", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
