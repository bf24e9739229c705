"""sitecircle's own engines: the heuristic (greedy, interchange, Lagrangian bound) and Benders.

Stage 4 of the pipeline, beside the solver backends; they read a
:class:`~sitecircle.model.LinearModel` and need no solver library but HiGHS.
"""

from sitecircle.engines.benders import benders_solve
from sitecircle.engines.heuristic import heuristic_solve

__all__ = ["benders_solve", "heuristic_solve"]
