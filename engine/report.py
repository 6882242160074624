"""Deprecated import path: ``engine.report`` moved to ``engine.present.report`` (docs/api.md).

Kept so that code written against the flat layout still runs; importing it warns."""

import sys
import warnings

from .present.report import *  # noqa: F401,F403
from .present import report as _moved

warnings.warn("engine.report is deprecated: import engine.present.report", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
