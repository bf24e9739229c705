"""Solving a separable model component by component.

When no ``budget``, ``max_new`` or ``target`` row couples them, the connected components of a
model (:func:`sitecircle.model.reduce.components`) are independent problems: the optimum of the
whole is
the sum of the components' optima. Solving them apart keeps each search small — a branch and
bound over two independent cities has to close both gaps at once — and lets them run in parallel.
Small components are grouped into parts of at least :data:`PART_NONZEROS` nonzeros so a province
of many tiny components does not pay a solver start per component.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.backends import BackendResult, SolveOptions
from sitecircle.model.linear import LinearModel
from sitecircle.model.reduce import components, separable, submodel
from sitecircle.solution_status import Status

#: Components are grouped until a part has at least this many nonzeros.
PART_NONZEROS = 20_000

_I = NDArray[np.int64]
Solver = Callable[[LinearModel, SolveOptions], BackendResult]
Mapper = Callable[[Callable[[Any], BackendResult], Sequence[Any]], list[BackendResult]]


def parts(model: LinearModel) -> list[tuple[_I, _I]]:
    """Rows and columns of each independent part, or one part when the model is not separable.

    Parameters
    ----------
    model
        A reduced model.

    Returns
    -------
    list of (rows, cols)
        Sorted row and variable indices of every part; a single part means "do not split".
    """
    whole = [(np.arange(model.n_rows, dtype=np.int64), np.arange(model.n_vars, dtype=np.int64))]
    if model.n_vars == 0 or not separable(model):
        return whole
    count, col_label, row_label = components(model)
    if count < 2:
        return whole
    nnz_per_col = np.bincount(model.A.indices, minlength=model.n_vars)
    weight = np.bincount(col_label, weights=nnz_per_col, minlength=count)
    # Consecutive components whose nonzeros before them fall in the same multiple of
    # PART_NONZEROS form one part (numbered 0, 1, ... without gaps).
    before = np.cumsum(weight) - weight
    _, group = np.unique(before // PART_NONZEROS, return_inverse=True)
    n_parts = int(group.max()) + 1
    if n_parts < 2:
        return whole
    col_part = group[col_label]
    row_part = group[row_label]
    return [(np.flatnonzero(row_part == p), np.flatnonzero(col_part == p))
            for p in range(n_parts)]


def _merge(model: LinearModel, pieces: list[tuple[_I, BackendResult]],
           seconds: float) -> BackendResult:
    statuses = [r.status for _, r in pieces]
    engine = pieces[0][1].engine
    native = f"{len(pieces)} independent parts: " + ", ".join(
        f"{s.value} {statuses.count(s)}" for s in Status if s in statuses)
    translate = sum(r.translate_seconds for _, r in pieces)
    extra = {"parts": len(pieces)}
    if Status.INFEASIBLE in statuses:
        return BackendResult(Status.INFEASIBLE, None, None, None, native, engine, seconds,
                             translate, extra)
    if any(not s.has_solution for s in statuses):
        return BackendResult(Status.NO_SOLUTION, None, None, None, native, engine, seconds,
                             translate, extra)
    values = np.zeros(model.n_vars)
    bound, bounds_known = model.offset, True
    for cols, result in pieces:
        assert result.values is not None
        values[cols] = result.values
        if result.bound is None:
            bounds_known = False
        else:
            bound += result.bound
    status = Status.OPTIMAL if all(s is Status.OPTIMAL for s in statuses) else Status.FEASIBLE
    return BackendResult(status, values, model.objective_value(values),
                         bound if bounds_known else None, native, engine, seconds, translate,
                         extra)


class _BeforeDeadline:
    """Runs a part with what is left of the shared deadline (picklable, for Dask workers)."""

    def __init__(self, solver: Solver) -> None:
        self.solver = solver

    def __call__(self, item: tuple[LinearModel, SolveOptions, float | None]) -> BackendResult:
        part, options, deadline = item
        if deadline is not None and options.time_limit_s is not None:
            left = max(min(options.time_limit_s, deadline - time.time()), 0.05)
            options = dataclasses.replace(options, time_limit_s=left)
        return self.solver(part, options)


def solve_parts(
    model: LinearModel, options: SolveOptions, solver: Solver,
    split: list[tuple[_I, _I]], mapper: Mapper | None = None,
) -> BackendResult:
    """Solve each part with ``solver`` and combine the answers into one result.

    Parameters
    ----------
    model
        The whole model.
    options
        Solve options; a time limit is shared among the parts in proportion to their nonzeros
        (serially, time a part leaves unused goes to the next ones).
    solver
        Solves one part.
    split
        The parts, from :func:`parts`.
    mapper
        Runs the parts (default: one after the other); given ``(function, items)`` it returns
        the results in order (see :mod:`sitecircle.parallel`).

    Returns
    -------
    BackendResult
        ``optimal`` when every part is; ``feasible`` when every part has a solution; else
        ``infeasible`` (any part infeasible) or ``no_solution``. Objective and bound are sums.
    """
    start = time.perf_counter()
    subs = [dataclasses.replace(submodel(model, rows, cols), offset=0.0)
            for rows, cols in split]
    weights = np.array([max(int(s.A.nnz), 1) for s in subs], dtype=np.float64)
    limit = options.time_limit_s
    hint = options.warm_start

    def part_options(cols: _I, part_limit: float | None) -> SolveOptions:
        # a warm start over the whole model, sliced to the part
        part_hint = None if hint is None else np.asarray(hint)[cols]
        return dataclasses.replace(options, time_limit_s=part_limit, warm_start=part_hint)

    if mapper is not None:
        # Parts run side by side: each gets its share of the limit times the parallelism, and
        # none may run past the deadline of the whole call.
        deadline = None if limit is None else time.time() + limit
        side_by_side = min(len(subs), os.cpu_count() or 1)
        items = []
        for sub, weight, (_, cols) in zip(subs, weights, split, strict=True):
            share = None if limit is None else min(
                limit, limit * side_by_side * weight / weights.sum())
            items.append((sub, part_options(cols, share), deadline))
        results = mapper(_BeforeDeadline(solver), items)
    else:
        results = []
        left_weight = weights.sum()
        for sub, weight, (_, cols) in zip(subs, weights, split, strict=True):
            part_limit = None
            if limit is not None:
                remaining = limit - (time.perf_counter() - start)
                part_limit = max(remaining * weight / left_weight, 0.05)
            left_weight -= weight
            results.append(solver(sub, part_options(cols, part_limit)))
    pieces = [(cols, r) for (_, cols), r in zip(split, results, strict=True)]
    merged = _merge(model, pieces, time.perf_counter() - start)
    heuristic = sum(1 for r in results if r.extra.get("heuristic"))
    return dataclasses.replace(merged, extra={**merged.extra, "heuristic_parts": heuristic})
