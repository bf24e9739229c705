"""Registry of solver backends, in probe order: the first available one is the default.

Adding a backend touches four places: its file here, the line in :data:`_REGISTRY`, its
dependency in ``pyproject.toml`` and a line in the README.
"""

from __future__ import annotations

from sitecircle.backends.base import Backend, BackendResult, Feature, SolveOptions
from sitecircle.backends.ortools import OrtoolsBackend
from sitecircle.backends.pulp import PulpBackend
from sitecircle.errors import BackendUnavailableError

_REGISTRY: dict[str, type[Backend]] = {
    OrtoolsBackend.name: OrtoolsBackend,
    PulpBackend.name: PulpBackend,
}

__all__ = ["Backend", "BackendResult", "Feature", "SolveOptions", "available_backends",
           "get_backend", "registered_backends"]


def registered_backends() -> list[str]:
    """Names of every registered backend, in probe order."""
    return list(_REGISTRY)


def available_backends() -> list[str]:
    """Names of the registered backends whose modules are installed."""
    return [name for name, cls in _REGISTRY.items() if cls.is_available()]


def get_backend(backend: str | Backend | None = None) -> Backend:
    """Return a backend instance by name (or the default), or check a user-supplied one.

    Parameters
    ----------
    backend
        A registered name, a :class:`Backend` instance, or None for the first available.

    Returns
    -------
    Backend
        The backend.

    Raises
    ------
    BackendUnavailableError
        Unknown name, nothing installed, or a custom backend reusing a built-in name.
    """
    if isinstance(backend, Backend):
        builtin = _REGISTRY.get(backend.name)
        if builtin is not None and type(backend) is not builtin:
            msg = f"custom backend reuses the built-in name {backend.name!r}; rename it"
            raise BackendUnavailableError(msg)
        return backend
    if backend is None:
        names = available_backends()
        if not names:
            msg = ("no solver backend is installed; pip install ortools (or pulp) — "
                   f"registered: {', '.join(_REGISTRY)}")
            raise BackendUnavailableError(msg)
        return _REGISTRY[names[0]]()
    if backend not in _REGISTRY:
        msg = (f"unknown backend {backend!r}; registered: {', '.join(_REGISTRY)}; installed: "
               f"{', '.join(available_backends()) or 'none'}")
        raise BackendUnavailableError(msg)
    return _REGISTRY[backend]()
