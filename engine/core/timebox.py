"""A time limit that a replay obeys from inside: the driver checks it between agenda items, so
that a server's timeout stops the work instead of leaving it running in a thread no one waits
for. Without a limit set (the command line, embedders) the check costs one attribute read."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

__all__ = ["ReplayTimeout", "limit", "check"]

_local = threading.local()


class ReplayTimeout(Exception):
    """The replay ran past the time limit of its thread."""

    def __init__(self, seconds: float):
        super().__init__(f"the replay took longer than {seconds:g} s")
        self.seconds = seconds


@contextlib.contextmanager
def limit(seconds: float | None) -> Iterator[None]:
    """Replays run by this thread within the block stop with :class:`ReplayTimeout` once
    ``seconds`` have passed (a limit already set and sooner is kept)."""
    before = getattr(_local, "at", None)
    if seconds is not None:
        at = time.monotonic() + seconds
        _local.at = (at, seconds) if before is None or at < before[0] else before
    try:
        yield
    finally:
        _local.at = before


def check() -> None:
    """Raise :class:`ReplayTimeout` when this thread's limit has passed."""
    at = getattr(_local, "at", None)
    if at is not None and time.monotonic() > at[0]:
        raise ReplayTimeout(at[1])
