"""The one error a user sees for bad input: ``FILE:LINE: what is wrong``, on a single line."""

from __future__ import annotations


def _one_line(text: object) -> str:
    return str(text).replace("\r\n", "\\n").replace("\r", "\\r").replace("\n", "\\n")


class ScenarioError(ValueError):
    """Invalid scenario input; ``str(e)`` is ``f"{file}:{line}: {message}"``.

    ``line`` is 1-based; 0 when no line applies (a mapping given in Python, an unreadable file).
    """

    def __init__(self, file: str, line: int, message: str):
        self.file = _one_line(file)
        self.line = int(line)
        self.message = _one_line(message)
        # args as the constructor takes them, so that the error pickles (threads, processes)
        super().__init__(self.file, self.line, self.message)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"
