"""Results: :class:`Solution` and its ``sitecircle.solution/1`` form."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.errors import SolveError
from sitecircle.files import write_json_atomic
from sitecircle.solution_status import ExitCode, Status

SOLUTION_FORMAT = "sitecircle.solution/1"

__all__ = ["SOLUTION_FORMAT", "Solution", "Status", "Verified"]


@dataclass(frozen=True, eq=False)
class Verified:
    """What the solve's independent verifier computed, kept for the outputs (never written).

    The report and the GIS layers drawn right after a solve read these instead of running the
    verifier again (:func:`sitecircle.outputs.outcome.outcome_from`).

    Parameters
    ----------
    covered_before, covered_after
        ``(n_communities, n_categories)`` bool: covered by existing facilities only, and with
        the opened facilities too.
    """

    covered_before: NDArray[np.bool_]
    covered_after: NDArray[np.bool_]


@dataclass
class Solution:
    """The outcome of a solve, every number recomputed by the independent verifier.

    Parameters
    ----------
    instance
        Instance name.
    objective_type
        ``max_coverage``, ``max_complete``, ``min_cost`` or ``max_min_share``.
    status
        See :class:`Status`.
    objective
        Verified objective of :attr:`open`, or None without a solution.
    bound
        Best proven bound, or None.
    gap
        Relative gap ``|bound - objective| / |objective|`` (0 when both are 0), or None.
    cost
        Total cost of :attr:`open`, open costs included.
    open
        New facilities: ``{"site": id, "category": id}``.
    coverage, coverage_before
        Per category: ``covered``, ``total``, ``share`` after and before the new facilities.
    complete, complete_before
        Communities covered for every required category, after and before.
    communities
        Per community: ``{"id": id, "missing": [category ids not covered]}``.
    solver
        Backend, engine, versions, options, native status, timings and total ``seconds``.
    model
        Model sizes before and after the reductions.
    explanation
        Why the instance is infeasible, or other notes for the user; None when nothing to say.
    groups
        Equity and ``max_min_share``: before/after share per group (FORMAT.md, "Solution
        additions"); None otherwise.
    objectives
        Every objective stage, in order: ``type``, verified ``value``, ``bound``, ``status``
        (FORMAT.md, "Priorities"); None with a single stage.
    verified
        The verifier's coverage matrices of this solve (not part of the file; None for a
        solution read from a file).
    assignments, loads
        Capacitated categories only (FORMAT.md "Solution additions"): who is served where
        (``{"community", "facility", "category", "served"}``) and the load of every opened or
        existing facility (``{"facility", "category", "served", "capacity"}``); None without
        capacities.
    phases
        With ``objective.phases`` (FORMAT.md "Phases"): per phase ``id``, ``cost`` (spent in
        it), ``new`` (opened in it), ``value`` (the first objective's value at its end), and
        sitecircle's ``coverage`` and ``complete`` at its end; ``open`` entries then carry
        ``phase``. None otherwise.
    """

    instance: str
    objective_type: str
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    cost: float = 0.0
    open: list[dict[str, str]] = field(default_factory=list)
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    coverage_before: dict[str, dict[str, float]] = field(default_factory=dict)
    complete: dict[str, float] = field(default_factory=dict)
    complete_before: dict[str, float] = field(default_factory=dict)
    communities: list[dict[str, Any]] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)
    model: dict[str, int | float] = field(default_factory=dict)
    explanation: dict[str, Any] | None = None
    groups: list[dict[str, Any]] | None = None
    objectives: list[dict[str, Any]] | None = None
    verified: Verified | None = field(default=None, repr=False, compare=False)
    assignments: list[dict[str, Any]] | None = None
    loads: list[dict[str, Any]] | None = None
    phases: list[dict[str, Any]] | None = None

    @property
    def exit_code(self) -> ExitCode:
        """Exit code of ``sitecircle solve`` for this result."""
        return self.status.exit_code

    def raise_for_status(self) -> Solution:
        """Return self when a solution exists; raise :class:`SolveError` otherwise."""
        if not self.status.has_solution:
            reason = (self.explanation or {}).get("message", "")
            msg = f"no solution: {self.status.value}{'; ' + reason if reason else ''}"
            raise SolveError(msg)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The ``sitecircle.solution/1`` document (FORMAT.md), with sitecircle's extensions.

        Extensions beyond FORMAT.md: ``objective_type``, ``coverage_before``,
        ``complete_before``, ``model`` and ``explanation``.
        """
        out: dict[str, Any] = {
            "format": SOLUTION_FORMAT,
            "instance": self.instance,
            "objective_type": self.objective_type,
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "cost": self.cost,
            "open": self.open,
            "coverage": self.coverage,
            "coverage_before": self.coverage_before,
            "complete": self.complete,
            "complete_before": self.complete_before,
            "communities": self.communities,
            "solver": self.solver,
            "model": self.model,
        }
        if self.explanation is not None:
            out["explanation"] = self.explanation
        if self.groups is not None:
            out["groups"] = self.groups
        if self.objectives is not None:
            out["objectives"] = self.objectives
        if self.assignments is not None:
            out["assignments"] = self.assignments
        if self.loads is not None:
            out["loads"] = self.loads
        if self.phases is not None:
            out["phases"] = self.phases
        return copy.deepcopy(out)  # the caller may edit it; the Solution stays as it was


def write_solution(solution: Solution, path: str | Path) -> None:
    """Write a solution as ``sitecircle.solution/1`` JSON, atomically.

    Parameters
    ----------
    solution
        The solution.
    path
        Destination file; missing parent folders are created.
    """
    write_json_atomic(solution.to_dict(), path)

