"""Solve status shared by backends and results, and the exit codes of the command line."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """Exit codes of every ``sitecircle`` command (FORMAT.md): the one definition.

    ``OK`` (0) a solution was found (optimal or feasible) or the command succeeded;
    ``INTERNAL`` (1) an internal error, or a backend answer that failed verification;
    ``INVALID`` (2) an invalid command line or input (every problem is listed);
    ``INFEASIBLE`` (3) no solution exists; ``NO_SOLUTION`` (4) none within the limits.
    """

    OK = 0
    INTERNAL = 1
    INVALID = 2
    INFEASIBLE = 3
    NO_SOLUTION = 4


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
    def exit_code(self) -> ExitCode:
        """Exit code of the command line for this status (FORMAT.md)."""
        return {Status.OPTIMAL: ExitCode.OK, Status.FEASIBLE: ExitCode.OK,
                Status.INFEASIBLE: ExitCode.INFEASIBLE,
                Status.NO_SOLUTION: ExitCode.NO_SOLUTION}[self]
