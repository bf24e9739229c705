"""The backend interface: a backend translates a :class:`~sitecircle.model.linear.LinearModel`.

A backend reads the model's arrays, builds its native model in bulk, solves it, and maps the
native status to :class:`~sitecircle.solution_status.Status`. It never changes the model.
"""

from __future__ import annotations

import abc
import importlib.util
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from sitecircle.errors import BackendUnavailableError
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status


class Feature(StrEnum):
    """What a backend engine can do."""

    INTEGER = "integer"
    PROVES_OPTIMALITY = "proves_optimality"
    WARM_START = "warm_start"


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend honours.

    Parameters
    ----------
    engine
        Engine of the backend (``None``: the backend's default, which proves optimality).
    time_limit_s
        Wall-clock limit of the solver in seconds (``None``: no limit).
    mip_gap
        Relative gap at which the solver may stop and call the answer optimal. Default 0:
        an ``optimal`` answer is optimal.
    threads
        Solver threads (``None``: the engine's default).
    seed
        Random seed, for repeatable runs.
    verbose
        Let the solver print its log.
    backend_options
        Passed unchanged to the engine (see each backend's documentation).
    """

    engine: str | None = None
    time_limit_s: float | None = None
    mip_gap: float = 0.0
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    backend_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendResult:
    """What a backend reports, in model space (the model's offset included).

    Parameters
    ----------
    status
        Mapped status.
    values
        Variable values, or None without a solution.
    objective
        Objective reported by the engine, or None.
    bound
        Best proven bound reported by the engine, or None.
    native_status
        The engine's own status text.
    engine
        Engine that ran.
    solve_seconds
        Wall time of the engine's solve call.
    translate_seconds
        Wall time spent building the native model.
    """

    status: Status
    values: NDArray[np.float64] | None
    objective: float | None
    bound: float | None
    native_status: str
    engine: str
    solve_seconds: float
    translate_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


class Backend(abc.ABC):
    """A solver backend. Subclasses set the class attributes and implement :meth:`solve`."""

    name: ClassVar[str]
    required_modules: ClassVar[tuple[str, ...]]
    engines: ClassVar[dict[str, frozenset[Feature]]]
    default_engine: ClassVar[str]

    @classmethod
    def is_available(cls) -> bool:
        """True when every module the backend needs can be imported (nothing is imported)."""
        return all(importlib.util.find_spec(m) is not None for m in cls.required_modules)

    def check(self, options: SolveOptions) -> str:
        """Check availability and engine name; return the engine to use.

        Raises
        ------
        BackendUnavailableError
            When the backend is not installed or the engine is unknown.
        """
        if not self.is_available():
            msg = (f"backend {self.name!r} needs {', '.join(self.required_modules)}, which is "
                   "not installed; `pip install sitecircle` installs it, or use another backend")
            raise BackendUnavailableError(msg)
        engine = options.engine or self.default_engine
        if engine not in self.engines:
            msg = (f"backend {self.name!r} has no engine {engine!r}; "
                   f"engines: {', '.join(self.engines)}")
            raise BackendUnavailableError(msg)
        return engine

    @abc.abstractmethod
    def solve(self, model: LinearModel, options: SolveOptions) -> BackendResult:
        """Translate and solve the model.

        Parameters
        ----------
        model
            The model.
        options
            Solve options.

        Returns
        -------
        BackendResult
            Status, values, objective and bound.
        """

    def versions(self) -> dict[str, str]:
        """Versions of the modules behind the backend."""
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        out = {}
        for m in self.required_modules:
            try:
                out[m] = version(m)
            except PackageNotFoundError:
                out[m] = "not installed"
        return out
