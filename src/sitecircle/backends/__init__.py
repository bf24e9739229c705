"""Solver backends: thin translators of the one model to OR-Tools and PuLP, and sitecircle's own
engines (heuristic, Benders), behind one interface."""

from sitecircle.backends.base import (
    OPTION_FIELDS,
    Backend,
    BackendResult,
    Feature,
    SolveOptions,
    option_problems,
)
from sitecircle.backends.own_engines import OwnEnginesBackend
from sitecircle.backends.registry import (
    OWN_ENGINES,
    REGISTRY,
    available_backends,
    backend_for,
    get_backend,
    registered_backends,
)

__all__ = ["OPTION_FIELDS", "OWN_ENGINES", "REGISTRY", "Backend", "BackendResult", "Feature",
           "OwnEnginesBackend", "SolveOptions", "available_backends", "backend_for",
           "get_backend", "option_problems", "registered_backends"]
