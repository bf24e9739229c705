"""The backend registry, in probe order: the first available backend is the default.

Adding a backend touches four places: its module in this wing, the line in :data:`REGISTRY`, its
dependency in ``pyproject.toml`` and a line in the README.
"""


from __future__ import annotations

from sitecircle.backends.base import Backend, Feature
from sitecircle.backends.ortools import OrtoolsBackend
from sitecircle.backends.own_engines import OwnEnginesBackend
from sitecircle.backends.pulp import PulpBackend
from sitecircle.errors import BackendUnavailableError

REGISTRY: dict[str, type[Backend]] = {
    OrtoolsBackend.name: OrtoolsBackend,
    PulpBackend.name: PulpBackend,
    OwnEnginesBackend.name: OwnEnginesBackend,
}
#: Engines any backend name accepts: they run on sitecircle's own backend.
OWN_ENGINES: tuple[str, ...] = tuple(OwnEnginesBackend.engines)


def _proves_by_default(cls: type[Backend]) -> bool:
    return Feature.PROVES_OPTIMALITY in cls.engines[cls.default_engine]


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
        A registered name, a :class:`Backend` instance, or None for the first available backend
        whose default engine proves optimality (never the heuristic by surprise).

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
        names = [n for n in available_backends() if _proves_by_default(REGISTRY[n])]
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


def backend_for(chosen: Backend, engine: str | None) -> Backend:
    """The backend that runs ``engine``: ``chosen``, or sitecircle's own for its engines.

    ``--engine heuristic`` and ``--engine benders`` work with any backend named (or none): the
    own engines need no solver backend.

    Parameters
    ----------
    chosen
        The backend the caller chose (or the default).
    engine
        The engine asked for, or None for the backend's default.

    Returns
    -------
    Backend
        ``chosen`` when it has the engine (or no engine is named), else the own-engines backend
        when the engine is one of :data:`OWN_ENGINES`, else ``chosen`` (whose
        :meth:`~Backend.check` then names the engines it has).
    """
    if engine is None or engine in chosen.engines or engine not in OWN_ENGINES:
        return chosen
    return OwnEnginesBackend()
