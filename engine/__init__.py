"""convention-engine: replay dated events of an administrative convention through its rules.

>>> import engine
>>> s = engine.load_scenario("scenarios/pas-de-calais.yaml")      # doctest: +SKIP
>>> engine.replay(s).state_on(datetime.date(2029, 6, 1))           # doctest: +SKIP
"""

from .api import Session, load_scenario, replay
from .errors import ScenarioError
from .core.timeline import Contribution, Diagnostic, Entry, Period, Termination, Timeline

__version__ = "0.1.0"
__all__ = ["load_scenario", "replay", "Session", "ScenarioError", "Timeline", "Period",
           "Termination", "Contribution", "Entry", "Diagnostic"]
