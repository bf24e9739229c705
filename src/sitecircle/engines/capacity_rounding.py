r"""The heuristic of capacitated ``max_coverage`` models: LP relaxation, rounding, transportation.

1. Solve the LP relaxation of the model (HiGHS through :func:`scipy.optimize.linprog`). Its
   value is a valid upper bound.
2. Round: open the ``(site, category)`` columns in decreasing order of their LP value (ties: the
   larger objective share first), each one only when every row made of integer variables alone
   (``budget``, ``max_new``, ``max_categories``, ``link`` with its site opened too) still holds.
   Columns with an LP value of zero are tried last, so a slack budget is still spent.
3. With the integer variables fixed, the assignment is one LP (a transportation problem with the
   model's capacity, ``min_load`` and demand rows): the best service for the chosen sites. When
   ``min_load`` cannot be met, the opened column of smallest LP value among those with a
   ``min_load`` row is closed and the LP solved again.

When capacities bind, the LP relaxation is nearly integral (a facility's service is proportional
to its opening), so the gap to the bound is small; the gap is reported as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.model.linear import LinearModel, solve_lp

__all__ = ["RoundingResult", "capacitated_rounding"]

_F = NDArray[np.float64]

#: Row blocks made of integer variables only (checked while rounding).
_INTEGER_ROWS = ("budget", "max_new", "max_categories", "link")
#: Closing attempts when ``min_load`` makes the fixed assignment infeasible.
MAX_REPAIRS = 50


@dataclass(frozen=True)
class RoundingResult:
    """Values (None when nothing was found), their objective, the LP bound and a remark."""

    values: _F | None
    objective: float | None
    bound: float | None
    seconds: float
    message: str


def _lp(model: LinearModel, lower: _F, upper: _F, time_limit: float | None
        ) -> tuple[_F | None, float | None, bool]:
    """Solve the model's LP with the given column bounds: values, objective, proven optimal."""
    x, optimal = solve_lp(model, lower=lower, upper=upper, time_limit=time_limit)
    if x is None:
        return None, None, False
    return x, float(model.c @ x) + model.offset, optimal


def _round(model: LinearModel, relaxed: _F) -> _F:
    """Integer columns opened greedily in LP order while every integer-only row holds."""
    n = model.n_vars
    ints = np.flatnonzero(model.integrality)
    ox, su = model.blocks["open"], model.blocks["site_open"]
    rows = np.concatenate([np.arange(b.start, b.stop) for name, b in model.row_blocks.items()
                           if name in _INTEGER_ROWS] or [np.zeros(0, np.int64)])
    a = sp.csc_array(model.A[rows])
    upper = model.row_upper[rows]
    act = np.zeros(len(rows))
    values = np.zeros(n)
    site_col = np.full(model.n_vars, -1, dtype=np.int64)  # x column -> its u column, if any
    u_of_site = {int(s): su.start + i for i, s in enumerate(model.site_open_site)}
    for c in range(ox.start, ox.stop):
        site_col[c] = u_of_site.get(int(model.open_site[c - ox.start]), -1)
    order = np.lexsort((-np.abs(model.c[ox]), -relaxed[ox])) + ox.start
    ml = model.row_blocks.get("min_load")
    has_min_load = np.zeros(n, dtype=bool)
    if ml is not None:
        has_min_load[np.unique(model.A[np.arange(ml.start, ml.stop)].indices)] = True
    # Columns the LP left closed come last, and only those no min_load row could shut again.
    order = order[(relaxed[order] > 1e-6) | ~has_min_load[order]]
    for c in order:
        cols = [int(c)]
        u = int(site_col[c])
        if u >= 0 and values[u] < 0.5:
            cols.append(u)
        delta = np.zeros(len(rows))
        for col in cols:
            lo, hi = a.indptr[col], a.indptr[col + 1]
            delta[a.indices[lo:hi]] += a.data[lo:hi]
        if np.all(act + delta <= upper + 1e-9):
            act += delta
            values[cols] = 1.0
    values[ints] = np.round(values[ints])
    return values


def rounding_fits(model: LinearModel) -> bool:
    """True when the capacitated rounding heuristic can take ``model``: ``max_coverage`` only."""
    return model.sense == "max" and "complete" not in model.blocks


def capacitated_rounding(model: LinearModel, time_limit_s: float | None = None
                         ) -> RoundingResult:
    """Solve a capacitated ``max_coverage`` model heuristically, with the LP bound.

    Parameters
    ----------
    model
        A capacitated ``max_coverage`` model (:mod:`sitecircle.model.capacity`).
    time_limit_s
        Wall-clock limit; the relaxation gets 60 % of it, the assignment the rest.

    Returns
    -------
    RoundingResult
        The rounded solution with its best assignment, or None values when the relaxation
        did not finish in time.

    Raises
    ------
    NotImplementedError
        For a ``min_cost`` or ``max_complete`` model.
    """
    start = time.perf_counter()
    if not rounding_fits(model):
        msg = ("the heuristic handles capacities (categories[].capacity, min_load, "
               "sites[].capacity, existing[].capacity) for max_coverage only")
        raise NotImplementedError(msg)

    def left(share: float) -> float | None:
        if time_limit_s is None:
            return None
        return share * time_limit_s - (time.perf_counter() - start)

    relaxed, bound, proven = _lp(model, model.col_lower, model.col_upper, left(0.6))
    if relaxed is None:
        return RoundingResult(None, None, None, time.perf_counter() - start,
                              "the LP relaxation did not finish in time")
    if not proven:
        bound = None  # a relaxation stopped early bounds nothing
    fixed = _round(model, relaxed)
    ints = model.integrality
    closable = np.zeros(model.n_vars, dtype=bool)
    ml = model.row_blocks.get("min_load")
    if ml is not None:
        closable[np.unique(model.A[np.arange(ml.start, ml.stop)].indices)] = True
    closable &= ints
    for _ in range(MAX_REPAIRS):
        lower, upper = model.col_lower.copy(), model.col_upper.copy()
        lower[ints] = upper[ints] = fixed[ints]
        values, objective, ok = _lp(model, lower, upper, left(0.97))
        if ok and values is not None:
            values[ints] = fixed[ints]
            return RoundingResult(values, objective, bound, time.perf_counter() - start,
                                  "LP relaxation, rounding and a transportation LP")
        open_ml = np.flatnonzero(closable & (fixed > 0.5))
        if len(open_ml) == 0 or (left(0.97) is not None and (left(0.97) or 0) <= 0):
            break
        fixed[open_ml[np.argmin(relaxed[open_ml])]] = 0.0
    return RoundingResult(None, None, bound, time.perf_counter() - start,
                          "no assignment met every min_load after rounding")
