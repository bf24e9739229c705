"""The result of a series of solves: one point per scenario, with the table and curve writers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitecircle.scenarios.table import format_table, json_row, plot_curve, table_csv, write_table
from sitecircle.solution import Solution
from sitecircle.solution_status import ExitCode, Status

COLUMNS = ("instance", "parameter", "value", "status", "objective", "covered_share",
           "complete_share", "gap", "new_facilities", "cost", "marginal_gain", "seconds", "error")


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the scenario, its solution (or error) and the table's numbers.

    Parameters
    ----------
    instance, parameter, value, status, objective, covered_share, complete_share, gap, \
new_facilities, cost, marginal_gain, seconds, error
        The table's columns (see :mod:`sitecircle.scenarios.series`).
    solution
        The full verified solution, or None when the point failed.
    """

    instance: str
    parameter: str | None
    value: float | None
    status: str
    objective: float | None
    covered_share: float | None
    complete_share: float | None
    gap: float | None
    new_facilities: int | None
    cost: float | None
    marginal_gain: float | None
    seconds: float | None
    error: str | None
    solution: Solution | None = None

    def row(self) -> dict[str, Any]:
        """The table row: every column of :data:`COLUMNS`."""
        return {c: getattr(self, c) for c in COLUMNS}


@dataclass(frozen=True)
class SweepResult:
    """All points of a sweep, in the order they were asked for.

    Parameters
    ----------
    parameter
        The swept parameter, or None (:func:`solve_many`-like run).
    objective_type
        Objective type of the (first) instance.
    points
        One per scenario.
    """

    parameter: str | None
    objective_type: str
    points: list[SweepPoint]

    def rows(self) -> list[dict[str, Any]]:
        """Table rows, one per point, with every column of :data:`COLUMNS`."""
        return [p.row() for p in self.points]

    @property
    def exit_code(self) -> ExitCode:
        """1 if a point failed, else 4 if one found no solution, else 3 if one is infeasible."""
        if any(p.status == "error" for p in self.points):
            return ExitCode.INTERNAL
        return max((Status(p.status).exit_code for p in self.points), default=ExitCode.OK)

    def to_csv(self) -> str:
        """The table as CSV text (empty fields for missing values)."""

        return table_csv(COLUMNS, self.rows())

    def to_json(self) -> dict[str, Any]:
        """The table as JSON: ``format`` (``sitecircle.sweep/1``), ``parameter``,
        ``objective_type``, ``columns`` and ``rows`` (one object per point)."""

        return {"format": "sitecircle.sweep/1", "parameter": self.parameter,
                "objective_type": self.objective_type, "columns": list(COLUMNS),
                "rows": [json_row(r) for r in self.rows()]}

    def write(self, path: str | Path) -> Path:
        """Write the table as CSV (``.csv``) or JSON (``.json``), atomically.

        Parameters
        ----------
        path
            Output file; its suffix picks the format.

        Returns
        -------
        Path
            The path written.

        Raises
        ------
        OptionsError
            The suffix is neither ``.csv`` nor ``.json``.
        """

        return write_table(path, self.to_csv, self.to_json)

    def format_table(self) -> str:
        """The table for a terminal: one line per point."""

        return format_table(self)

    def plot(self, path: str | Path) -> Path:
        """Draw the curve (share covered vs the parameter, and the marginal gain) to a PNG.

        Parameters
        ----------
        path
            Output ``.png`` file.

        Returns
        -------
        Path
            The path written.
        """

        return plot_curve(self, Path(path))

