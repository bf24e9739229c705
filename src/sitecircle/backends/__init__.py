"""Solver backends: thin translators of the one model to OR-Tools and PuLP, behind one interface."""

from sitecircle.backends.base import Backend, BackendResult, Feature, SolveOptions
from sitecircle.backends.registry import (
    REGISTRY,
    available_backends,
    get_backend,
    registered_backends,
)

__all__ = ["REGISTRY", "Backend", "BackendResult", "Feature", "SolveOptions",
           "available_backends", "get_backend", "registered_backends"]
