"""The backend interface: a backend translates a :class:`~sitecircle.model.linear.LinearModel`.

A backend reads the model's arrays, builds its native model in bulk, solves it, and maps the
native status to :class:`~sitecircle.solution_status.Status`. It never changes the model.
"""

from __future__ import annotations

import abc
import importlib.util
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.result import EngineResult
from sitecircle.errors import BackendCapabilityError, BackendUnavailableError, OptionsError
from sitecircle.model.linear import LinearModel


class Feature(StrEnum):
    """What a backend engine can do."""

    INTEGER = "integer"
    PROVES_OPTIMALITY = "proves_optimality"
    WARM_START = "warm_start"


#: The solve options by the names users give them (:func:`sitecircle.solve` keywords, profile
#: keys, ``--time-limit`` etc. on the command line) → the :class:`SolveOptions` field. The one
#: list: the command line, profiles, ``solve`` and ``sweep`` all check through
#: :func:`option_problems`.
OPTION_FIELDS: dict[str, str] = {
    "engine": "engine", "time_limit": "time_limit_s", "gap": "mip_gap", "threads": "threads",
    "seed": "seed", "backend_options": "backend_options",
}


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def option_problems(
    values: Mapping[str, Any], spell: Callable[[str], str] = str
) -> list[str]:
    """What is wrong with solve options given by their user names (:data:`OPTION_FIELDS`).

    Parameters
    ----------
    values
        Options by user name; names not in :data:`OPTION_FIELDS` and None values are skipped.
    spell
        How a name is written in the messages (the command line: ``--time-limit``).

    Returns
    -------
    list of str
        One message per bad option, naming it and saying what it must be.
    """
    problems = []
    for name, value in values.items():
        if value is None or name not in OPTION_FIELDS:
            continue
        flag = spell(name)
        if name == "engine" and not isinstance(value, str):
            problems.append(f"{flag} must be an engine name, got {value!r}")
        elif name == "time_limit" and not (_is_real(value) and math.isfinite(value) and value > 0):
            problems.append(f"{flag} must be a positive number of seconds, got {value!r}")
        elif name == "gap" and not (_is_real(value) and 0 <= value < 1):
            problems.append(f"{flag} must be a relative gap in [0, 1), got {value!r}")
        elif name == "threads" and not (_is_whole(value) and value >= 1):
            problems.append(f"{flag} must be a whole number >= 1, got {value!r}")
        elif name == "seed" and not (_is_whole(value) and 0 <= value < 2**31):
            problems.append(f"{flag} must be a whole number in [0, 2**31), got {value!r}")
        elif name == "backend_options" and not isinstance(value, dict):
            problems.append(f"{flag} must be a mapping, got {type(value).__name__}")
    return problems


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend honours; checked when made (:class:`OptionsError`).

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
        Solver threads (``None``: the engine's default; the ``sitecircle`` heuristic: search
        processes, see :mod:`sitecircle.backends.own_engines`).
    seed
        Random seed, for repeatable runs.
    verbose
        Let the solver print its log; otherwise the solver's own output is discarded.
    backend_options
        Passed unchanged to the engine (see each backend's documentation).
    warm_start
        A feasible variable vector the engine may start from (a solution hint), or None. Only
        engines with :attr:`Feature.WARM_START` take one; :meth:`Backend.check` refuses it for
        the others (:class:`BackendCapabilityError`).
    cutoff
        An objective value the caller already holds a feasible plan for (its own plan, kept
        aside), or None. An engine may then discard every plan that is not strictly better
        (OR-Tools' ``highs`` on a ``min`` model: HiGHS' ``objective_bound``); when nothing
        better exists it answers ``infeasible``, and the caller's plan is optimal. Engines
        without such a parameter ignore it.

    Raises
    ------
    OptionsError
        Every bad option, by its user name (``time_limit``, ``gap``, ...).
    """

    engine: str | None = None
    time_limit_s: float | None = None
    mip_gap: float = 0.0
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    backend_options: dict[str, Any] = field(default_factory=dict)
    warm_start: NDArray[np.float64] | None = None
    cutoff: float | None = None

    def __post_init__(self) -> None:
        problems = option_problems({name: getattr(self, attr)
                                    for name, attr in OPTION_FIELDS.items()})
        if self.warm_start is not None and np.ndim(self.warm_start) != 1:
            problems.append("warm_start must be a vector of variable values")
        if self.cutoff is not None and not (_is_real(self.cutoff) and math.isfinite(self.cutoff)):
            problems.append(f"cutoff must be a finite number, got {self.cutoff!r}")
        if problems:
            raise OptionsError("; ".join(problems))


#: The engines' one result type (:mod:`sitecircle.engines.result`), under the name the backends
#: use: the same class.
BackendResult = EngineResult

#: Without a time limit, an engine that cannot prove optimality stops after this many seconds
#: (:meth:`Backend.default_time_limit`): measured, CP-SAT ran 11 minutes on the demo and still
#: left a 1.9 % gap.
UNPROVING_TIME_LIMIT_S = 300.0


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
        """Check availability, engine name and capabilities; return the engine to use.

        Raises
        ------
        BackendUnavailableError
            When the backend is not installed or the engine is unknown.
        BackendCapabilityError
            When the options ask for something the engine cannot do (a warm start for an
            engine without :attr:`Feature.WARM_START`).
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
        if options.warm_start is not None and not self.takes(engine, Feature.WARM_START):
            msg = (f"engine {self.name}/{engine} takes no warm start; leave warm_start unset "
                   "for it")
            raise BackendCapabilityError(msg)
        return engine

    def takes(self, engine: str | None, feature: Feature) -> bool:
        """True when ``engine`` (None: the default engine) has ``feature``."""
        return feature in self.engines.get(engine or self.default_engine, frozenset())

    def default_time_limit(self, engine: str | None) -> float | None:
        """The limit an engine gets when the caller gives none (None: it may run to the end).

        An engine that cannot prove optimality (no :attr:`Feature.PROVES_OPTIMALITY`) may search
        for hours: it gets :data:`UNPROVING_TIME_LIMIT_S`. A backend whose engines stop by
        themselves overrides this.
        """
        return None if self.takes(engine, Feature.PROVES_OPTIMALITY) else UNPROVING_TIME_LIMIT_S

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
