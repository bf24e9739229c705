"""sitecircle: where to add facilities so every community has its 15-minute basket, for less.

The public API: :func:`read_instance`, :func:`solve`, :class:`Instance`, :class:`Solution`,
:class:`Status`, :func:`write_solution`, the model builder and the backend registry, and
:func:`sweep` / :func:`solve_many` for scenario series and many instances (serial or on Dask),
and :func:`nested_sweep` for an investment order over growing budgets.
"""

from sitecircle._version import __version__
from sitecircle.backends import available_backends, get_backend, registered_backends
from sitecircle.errors import (
    BackendCapabilityError,
    BackendUnavailableError,
    InstanceError,
    Problem,
    SitecircleError,
    SolveError,
)
from sitecircle.instance.data import Instance
from sitecircle.instance.read import read_instance
from sitecircle.model.build import build_model
from sitecircle.model.linear import LinearModel
from sitecircle.scenarios.nested import NestedResult, nested_sweep
from sitecircle.scenarios.result import SweepResult
from sitecircle.scenarios.series import solve_many, sweep
from sitecircle.solution import Solution, write_solution
from sitecircle.solution_status import Status
from sitecircle.solving.pipeline import solve
from sitecircle.travel.coverage import Coverage, coverage_from_instance
from sitecircle.verifier.check import Verification, verify

__all__ = [
    "BackendCapabilityError", "BackendUnavailableError", "Coverage", "Instance", "InstanceError",
    "LinearModel", "Problem", "SitecircleError", "Solution", "SolveError", "Status",
    "Verification", "__version__", "available_backends", "build_model", "coverage_from_instance",
    "get_backend", "read_instance", "registered_backends", "solve", "verify", "write_solution",
    "NestedResult", "SweepResult", "nested_sweep", "solve_many", "sweep",
]
