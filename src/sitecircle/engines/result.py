"""The one result type of every engine: sitecircle's own and the solver backends' alike.

:func:`~sitecircle.engines.heuristic.heuristic_solve`, :func:`~sitecircle.engines.benders.
benders_solve` and every :class:`~sitecircle.backends.base.Backend` return an
:class:`EngineResult` (the backends know it as ``BackendResult``, the same class), so the pipeline
reads one shape whatever ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.solution_status import Status


@dataclass(frozen=True)
class EngineResult:
    """What an engine reports, in model space (the model's offset included).

    Parameters
    ----------
    status
        Mapped status.
    values
        Variable values, or None without a solution.
    objective
        Objective reported by the engine, or None.
    bound
        Best proven bound reported by the engine (upper when maximising, lower when
        minimising), or None.
    native_status
        The engine's own status text (for the own engines: what decided the status).
    engine
        Engine that ran.
    solve_seconds
        Wall time of the engine's solve call.
    translate_seconds
        Wall time spent building the native model (0 for the own engines, which read the model
        arrays directly).
    extra
        Engine-specific details: ``iterations`` and ``phase_log`` (heuristic), ``phases``
        (Benders), ``parts`` (a split model).
    """

    status: Status
    values: NDArray[np.float64] | None
    objective: float | None
    bound: float | None
    native_status: str
    engine: str
    solve_seconds: float
    translate_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """``|bound - objective| / |objective|`` (0 when both are 0; None when undefined)."""
        if self.objective is None or self.bound is None:
            return None
        diff = abs(self.bound - self.objective)
        if diff <= 1e-9 * max(1.0, abs(self.objective)):
            return 0.0
        return None if self.objective == 0 else diff / abs(self.objective)
