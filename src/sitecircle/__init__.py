"""sitecircle: where to add facilities so every community has its 15-minute basket, for less.

The public API: :func:`read_instance`, :func:`solve`, :class:`Instance`, :class:`Solution`,
:class:`Status`, :func:`write_solution`, the model builder and the backend registry, and
:func:`sweep` / :func:`solve_many` for scenario series and many instances (serial or on Dask).
"""

from importlib.metadata import PackageNotFoundError, version

from sitecircle.api import solve
from sitecircle.backends import available_backends, get_backend, registered_backends
from sitecircle.coverage import Coverage, coverage_from_instance
from sitecircle.errors import (
    BackendCapabilityError,
    BackendUnavailableError,
    InstanceError,
    Problem,
    SitecircleError,
    SolveError,
)
from sitecircle.instance import Instance
from sitecircle.io import read_instance, write_solution
from sitecircle.model import LinearModel, build_model
from sitecircle.solution import Solution
from sitecircle.solution_status import Status
from sitecircle.sweep import SweepResult, solve_many, sweep
from sitecircle.verify import Verification, verify

try:
    __version__ = version("sitecircle")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "BackendCapabilityError", "BackendUnavailableError", "Coverage", "Instance", "InstanceError",
    "LinearModel", "Problem", "SitecircleError", "Solution", "SolveError", "Status",
    "Verification", "__version__", "available_backends", "build_model", "coverage_from_instance",
    "get_backend", "read_instance", "registered_backends", "solve", "verify", "write_solution",
    "SweepResult", "solve_many", "sweep",
]
