"""Deprecated path: ``engine.catalogue_doc`` moved to ``engine.present.catalogue_doc`` (docs/api.md).

Kept so that code and commands written against the flat layout still run, importing it or
``python -m engine.catalogue_doc ...``; either warns and does what the new path does."""

import sys
import warnings

from .present.catalogue_doc import *  # noqa: F401,F403
from .present import catalogue_doc as _moved

warnings.warn("engine.catalogue_doc is deprecated: import engine.present.catalogue_doc "
              "(python -m engine.present.catalogue_doc)", DeprecationWarning, stacklevel=2)

if __name__ == "__main__":  # python -m engine.catalogue_doc: the page or the pages, as before
    # a warning raised under runpy is hidden by default: say it where a command's user reads
    sys.stderr.write("catalogue_doc: `python -m engine.catalogue_doc` is deprecated: "
                     "run `python -m engine.present.catalogue_doc`\n")
    sys.exit(_moved.main())
sys.modules[__name__] = _moved
