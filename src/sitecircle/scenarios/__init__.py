"""Scenario series and many instances: budget, threshold and speed sweeps, serial or on Dask."""

from sitecircle.scenarios.result import SweepPoint, SweepResult
from sitecircle.scenarios.series import solve_many, sweep

__all__ = ["SweepPoint", "SweepResult", "solve_many", "sweep"]
