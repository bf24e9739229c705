"""Nested budget sweeps: one investment order whose every plan contains the previous one.

A plain budget sweep solves every budget on its own, so its plans need not nest (budget 130 may
open 33 facilities and budget 140 32 others): they cannot be read as an order of investment.
:func:`nested_sweep` solves ONE phased model (FORMAT.md "Phases") instead: the budgets
``b_1 < b_2 < … < b_T`` in increasing order are its phases, each with ``budget_to_date`` ``b_t``
(what is spent by the end of phase ``t``; no per-phase budget) and weight 1::

    max  Σ_t value(facilities opened in phases 1..t)
    s.t. Σ_{s<=t} cost_s <= b_t                       for every t
         a facility opens in one phase and stays open

so the plan at budget ``b_t`` (everything opened by the end of phase ``t``) contains the plan at
``b_{t-1}``. It also solves each budget alone (:func:`sitecircle.sweep`, the free plans) and
reports per budget the nested plan's value and cost beside the free plan's value, and the price
of nesting ``free − nested`` (absolute and as a share of the free value). The free value bounds
the nested one from above: the nested plan at ``b_t`` is one of the plans the free solve at
``b_t`` could choose.

The table (:meth:`NestedResult.rows`, CSV and JSON) has one row per (instance, budget):

``instance``, ``budget``
    Instance name and the budget (to date).
``status``
    Status of the nested (phased) solve, the same on every row of an instance.
``objective``, ``cost``, ``new_facilities``, ``complete_share``
    The nested plan at this budget: its objective value (``phases[t].value``), what it has spent
    to date, how many new facilities it has, and the population share with the complete basket.
``added``, ``added_facilities``
    What this step adds to the previous one: the count and ``site:category`` pairs
    (``"; "``-separated).
``free_status``, ``free_objective``, ``free_cost``, ``free_new_facilities``, ``free_complete_share``
    The free (independent) plan at this budget.
``price_of_nesting``, ``price_of_nesting_share``
    ``free_objective − objective`` and that difference over ``free_objective``.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitecircle.errors import OptionsError
from sitecircle.files import atomic_path
from sitecircle.formatting import number
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import Phase
from sitecircle.instance.read import as_instance
from sitecircle.scenarios.result import SweepPoint, SweepResult
from sitecircle.scenarios.series import sweep
from sitecircle.scenarios.table import json_row, table_csv, write_table
from sitecircle.solution import Solution
from sitecircle.solution_status import ExitCode
from sitecircle.solving.pipeline import solve

__all__ = ["NESTED_COLUMNS", "NestedResult", "nested_sweep", "phase_id", "phased_by_budgets"]

NESTED_COLUMNS = ("instance", "budget", "status", "objective", "cost", "new_facilities",
                  "complete_share", "added", "free_status", "free_objective", "free_cost",
                  "free_new_facilities", "free_complete_share", "price_of_nesting",
                  "price_of_nesting_share", "added_facilities")


def phase_id(budget: float) -> str:
    """The id of a budget's phase: ``"200"``, ``"1234567"``, ``"99.5"`` (exact, never rounded)."""
    b = float(budget)
    return str(int(b)) if b.is_integer() else repr(b)


def phased_by_budgets(instance: Instance, budgets: Sequence[float]) -> Instance:
    """The instance as a phased plan whose phases are the budgets, cumulative.

    Parameters
    ----------
    instance
        The base instance (``max_coverage``, ``max_complete`` or ``max_min_share``, no phases).
    budgets
        Distinct budgets in increasing order: phase ``t`` has id :func:`phase_id` of ``b_t``,
        ``budget_to_date`` ``b_t``, no per-phase budget, weight 1.

    Returns
    -------
    Instance
        A copy with ``objective.phases`` set and ``objective.budget`` the largest budget.
    """
    phases = tuple(Phase(id=phase_id(b), budget_to_date=float(b), weight=1.0) for b in budgets)
    objective = dataclasses.replace(instance.objective, phases=phases,
                                    budget=float(budgets[-1]))
    return dataclasses.replace(instance, objective=objective)


def _check(base: Instance) -> None:
    if base.objective.type == "min_cost":
        msg = (f"--nested: instance {base.name!r} minimises cost; a nested sweep ranks budgets "
               "of a max objective (max_coverage, max_complete, max_min_share)")
        raise OptionsError(msg)
    if base.objective.phases:
        msg = (f"--nested: instance {base.name!r} already has objective.phases; a nested sweep "
               "makes its own phases from --budgets (drop objective.phases)")
        raise OptionsError(msg)


@dataclass(frozen=True)
class NestedResult:
    """A nested budget sweep: per instance the phased solution, the free sweep, and the rows.

    Parameters
    ----------
    budgets
        The budgets, distinct and increasing.
    nested
        Per instance, the phased solution.
    free
        The free (independent) budget sweep of every instance.
    """

    budgets: tuple[float, ...]
    nested: tuple[Solution, ...]
    free: SweepResult

    def rows(self) -> list[dict[str, Any]]:
        """One row per (instance, budget) with every column of :data:`NESTED_COLUMNS`."""
        out = []
        per = len(self.budgets)
        for n, solution in enumerate(self.nested):
            free = self.free.points[n * per:(n + 1) * per]
            out += _rows(solution, free, self.budgets)
        return out

    @property
    def exit_code(self) -> ExitCode:
        """The worst of the nested solves' and the free sweep's exit codes."""
        codes = [s.status.exit_code for s in self.nested]
        return max([*codes, self.free.exit_code], default=ExitCode.OK)

    def to_csv(self) -> str:
        """The table as CSV text."""
        return table_csv(NESTED_COLUMNS, self.rows())

    def to_json(self) -> dict[str, Any]:
        """``format`` (``sitecircle.nested_sweep/1``), ``budgets``, ``columns`` and ``rows``."""
        return {"format": "sitecircle.nested_sweep/1", "budgets": list(self.budgets),
                "columns": list(NESTED_COLUMNS), "rows": [json_row(r) for r in self.rows()]}

    def write(self, path: str | Path) -> Path:
        """Write the table as CSV (``.csv``) or JSON (``.json``), atomically."""
        return write_table(path, self.to_csv, self.to_json)

    def format_table(self) -> str:
        """The table for a terminal, then what each step adds."""
        return format_nested(self.rows())

    def plot(self, path: str | Path) -> Path:
        """Draw the nested and the free objective against the budget to a PNG."""
        return _plot(self.rows(), Path(path))


def _added(solution: Solution, pid: str) -> list[str]:
    return [f"{o['site']}:{o['category']}" for o in solution.open if str(o.get("phase")) == pid]


def _rows(solution: Solution, free: Sequence[SweepPoint],
          budgets: Sequence[float]) -> list[dict[str, Any]]:
    """The rows of one instance: the phased solution's phases beside the free points."""
    has = solution.status.has_solution
    records = {str(p["id"]): p for p in (solution.phases or [])} if has else {}
    rows = []
    spent, count = 0.0, 0
    for budget, point in zip(budgets, free, strict=True):
        pid = phase_id(budget)
        rec = records.get(pid)
        added = _added(solution, pid) if rec is not None else []
        if rec is not None:
            spent += float(rec.get("cost") or 0.0)
            count += len(added)
        value = None if rec is None else rec.get("value")
        complete = None if rec is None else (rec.get("complete") or {}).get("share")
        price = (None if value is None or point.objective is None
                 else float(point.objective) - float(value))
        share = (None if price is None or not point.objective
                 else price / float(point.objective))
        rows.append({
            "instance": solution.instance, "budget": float(budget),
            "status": solution.status.value,
            "objective": None if value is None else float(value),
            "cost": spent if rec is not None else None,
            "new_facilities": count if rec is not None else None,
            "complete_share": None if complete is None else float(complete),
            "added": len(added) if rec is not None else None,
            "free_status": point.status, "free_objective": point.objective,
            "free_cost": point.cost, "free_new_facilities": point.new_facilities,
            "free_complete_share": point.complete_share,
            "price_of_nesting": price, "price_of_nesting_share": share,
            "added_facilities": "; ".join(added),
        })
    return rows


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.2%}"


def format_nested(rows: list[dict[str, Any]]) -> str:
    """The nested table for a terminal: per budget nested vs free, the price, then the steps.

    Parameters
    ----------
    rows
        :meth:`NestedResult.rows`.

    Returns
    -------
    str
        The table with a header, a note on the columns, and per step the facilities it adds.
    """
    several = len({r["instance"] for r in rows}) > 1
    header = (["instance"] if several else []) + [
        "budget", "status", "nested", "free", "price", "price %", "cost", "new", "added",
        "complete", "free complete"]
    cells = []
    for r in rows:
        cells.append(([r["instance"]] if several else []) + [
            number(r["budget"]), r["status"], number(r["objective"]),
            number(r["free_objective"]), number(r["price_of_nesting"]),
            _pct(r["price_of_nesting_share"]), number(r["cost"]),
            "—" if r["new_facilities"] is None else str(r["new_facilities"]),
            "—" if r["added"] is None else f"+{r['added']}",
            _pct(r["complete_share"]), _pct(r["free_complete_share"])])
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    left = {0, 1} if several else {1}
    lines = ["  ".join(c.ljust(w) if i in left else c.rjust(w)
                       for i, (c, w) in enumerate(zip(line, widths, strict=True)))
             for line in [header, *cells]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("nested: the objective of the nested plan (each budget's plan contains the "
                 "previous one); free: each budget solved alone; price = free − nested")
    for r in rows:
        if not r["added_facilities"]:
            continue
        who = f"{r['instance']} " if several else ""
        text = f"{who}budget {number(r['budget'])} adds {r['added']}: " + \
            r["added_facilities"].replace("; ", ", ")
        lines += textwrap.wrap(text, width=100, subsequent_indent="    ",
                               break_on_hyphens=False)
    return "\n".join(lines)


def _plot(rows: list[dict[str, Any]], path: Path) -> Path:
    """Nested and free objective against the budget, per instance."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(8, 5), dpi=120)
    axes = figure.add_subplot(1, 1, 1)
    for name in dict.fromkeys(r["instance"] for r in rows):
        mine = [r for r in rows if r["instance"] == name]
        for key, style, what in (("free_objective", "--", "free"), ("objective", "-", "nested")):
            points = [(r["budget"], r[key]) for r in mine if r[key] is not None]
            if points:
                axes.plot(*zip(*points, strict=True), style, marker="o",
                          label=f"{name}: {what}")
    axes.set_xlabel("budget (to date)")
    axes.set_ylabel("objective")
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize=7)
    axes.set_title("sitecircle nested sweep: nested vs free plans")
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def nested_sweep(
    instance: Instance | dict[str, Any] | str | Path | Sequence[Instance | str | Path],
    budgets: Sequence[float],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    **solve_options: Any,
) -> NestedResult:
    """Solve a nested budget sweep: one phased plan over the budgets, beside the free plans.

    Parameters
    ----------
    instance
        An instance (object, document or path) or several; each is swept on its own.
    budgets
        The budgets (any order, repeats dropped; >= 0).
    scheduler, workers, progress
        For the free sweep (:func:`sitecircle.sweep`); the nested solves run here, one per
        instance.
    **solve_options
        Passed to :func:`sitecircle.solve` (``backend``, ``engine``, ``time_limit``, ...): the
        same options for the free points and the nested solve.

    Returns
    -------
    NestedResult
        The nested solutions, the free sweep and the table.

    Raises
    ------
    OptionsError
        Bad budgets, a ``min_cost`` instance, an instance that already has phases, or bad
        solve options.
    InstanceError
        An instance is invalid.
    """
    items = [instance] if isinstance(instance, Instance | dict | str | Path) else list(instance)
    bases = [as_instance(item) for item in items]
    for base in bases:
        _check(base)
    free = sweep(bases, budgets=list(budgets), scheduler=scheduler, workers=workers,
                 progress=progress, **solve_options)  # checks the budgets and the options
    steps = tuple(sorted({float(b) for b in budgets}))
    free = _ordered(free, steps, len(bases))
    nested = []
    for base in bases:
        solution = solve(phased_by_budgets(base, steps), **solve_options)
        if progress is not None:
            progress(f"nested {base.name}: {solution.status.value}"
                     + ("" if solution.objective is None else f" {solution.objective:,.6g}"))
        nested.append(solution)
    return NestedResult(budgets=steps, nested=tuple(nested), free=free)


def _ordered(free: SweepResult, steps: tuple[float, ...], n_instances: int) -> SweepResult:
    """The free points in (instance, increasing budget) order, one per distinct budget."""
    per = len(free.points) // max(n_instances, 1)
    points = []
    for n in range(n_instances):
        mine = {p.value: p for p in free.points[n * per:(n + 1) * per]}
        points += [mine[b] for b in steps]
    return dataclasses.replace(free, points=points)


def solution_name(instance: str) -> str:
    """File name of an instance's nested solution in ``--out-dir``."""
    stem = re.sub(r"[^\w.-]+", "_", instance) or "instance"
    return f"{stem}-nested.json"

