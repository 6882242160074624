"""convention-engine: replay dated events of an administrative convention through its rules."""

__version__ = "0.1.0"
