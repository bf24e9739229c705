"""Solve status shared by backends and results."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Outcome of a solve.

    ``optimal``: proven optimal at the requested gap. ``feasible``: a verified solution whose
    optimality was not proven (see its bound and gap). ``infeasible``: no solution exists.
    ``no_solution``: none was found within the limits.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"

    @property
    def has_solution(self) -> bool:
        """True for ``optimal`` and ``feasible``."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def exit_code(self) -> int:
        """Exit code of the command line for this status (FORMAT.md)."""
        return {Status.OPTIMAL: 0, Status.FEASIBLE: 0, Status.INFEASIBLE: 3,
                Status.NO_SOLUTION: 4}[self]
