"""Deprecated import path: the register's store is :mod:`engine.service.store`. ``engine.store``
is that very module (one set of classes and exceptions), kept for code written before the move."""

import sys

from .service import store

sys.modules[__name__] = store
