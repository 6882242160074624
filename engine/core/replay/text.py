"""Diagnostics as facts during the replay, as text once it is over.

The replay records what it has to say as a :class:`Said`: the day, the level, the code, the key
of the message in the rules file and the values the message may name. Words for people (English
and French, from the rules file's messages and engine/present/i18n.py's way of writing each
value) are made by the loaded rules file (``RulesFile.wording``, engine/conventions/rulesfile.py)
when a renderer first reads a diagnostic's message (the JSON, a table, a report): the loop never
formats text, a replay whose messages no one reads never words them, a program can read the
values without parsing a sentence a rules file may reword, and the core imports nothing above it.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Mapping

import attrs

from ..timeline import Diagnostic


@attrs.frozen
class Said:
    """A diagnostic as the replay records it: no text yet."""

    date: dt.date
    level: str  # warning | info
    code: str
    values: Mapping[str, Any]
    message: str  # the key of its message in the rules file (the code unless told)
    tidy: bool = False  # collapse a double space left by an empty value ("amendment  (line 3)")


def render(said: Said, rules: Any) -> Diagnostic:
    """The diagnostic, worded in a language when its message is first read (the JSON, a table,
    a report) by ``rules.wording(said, lang)``: the loaded rules file's messages."""
    return Diagnostic(said.date, said.level, said.code, values=said.values,
                      wording=functools.partial(rules.wording, said))
