"""The backend registry, in probe order: the first available backend is the default.

Adding a backend touches four places: its module in this wing, the line in :data:`REGISTRY`, its
dependency in ``pyproject.toml`` and a line in the README.
"""


from __future__ import annotations

from sitecircle.backends.base import Backend
from sitecircle.backends.ortools import OrtoolsBackend
from sitecircle.backends.pulp import PulpBackend
from sitecircle.errors import BackendUnavailableError

REGISTRY: dict[str, type[Backend]] = {
    OrtoolsBackend.name: OrtoolsBackend,
    PulpBackend.name: PulpBackend,
}



def registered_backends() -> list[str]:
    """Names of every registered backend, in probe order."""
    return list(REGISTRY)


def available_backends() -> list[str]:
    """Names of the registered backends whose modules are installed."""
    return [name for name, cls in REGISTRY.items() if cls.is_available()]


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
        builtin = REGISTRY.get(backend.name)
        if builtin is not None and type(backend) is not builtin:
            msg = f"custom backend reuses the built-in name {backend.name!r}; rename it"
            raise BackendUnavailableError(msg)
        return backend
    if backend is None:
        names = available_backends()
        if not names:
            msg = ("no solver backend is installed; pip install ortools (or pulp) — "
                   f"registered: {', '.join(REGISTRY)}")
            raise BackendUnavailableError(msg)
        return REGISTRY[names[0]]()
    if backend not in REGISTRY:
        msg = (f"unknown backend {backend!r}; registered: {', '.join(REGISTRY)}; installed: "
               f"{', '.join(available_backends()) or 'none'}")
        raise BackendUnavailableError(msg)
    return REGISTRY[backend]()
