"""Scenario series and many instances: budget, threshold and speed sweeps, serial or on Dask;
nested budget plans."""

from sitecircle.scenarios.nested import NestedResult, nested_sweep
from sitecircle.scenarios.result import SweepPoint, SweepResult
from sitecircle.scenarios.series import solve_many, sweep

__all__ = ["NestedResult", "SweepPoint", "SweepResult", "nested_sweep", "solve_many", "sweep"]
