r"""A bound from any row duals of the LP relaxation, and the interior-point LP that gives them.

For a ``max`` model :math:`\max c^\top v` s.t. :math:`l \le Av \le u`,
:math:`\underline v \le v \le \overline v`, any multipliers :math:`\lambda^+, \lambda^- \ge 0`
(zero where the row bound is infinite) give

.. math::
    c^\top v \le \sum_r (\lambda^+_r u_r - \lambda^-_r l_r)
    + \sum_j \max(r_j \underline v_j, r_j \overline v_j), \qquad
    r = c - A^\top(\lambda^+ - \lambda^-),

for every feasible :math:`v` (weak duality of the Lagrangian relaxation over the box: the
relaxed rows contribute :math:`\lambda^{+\top}(u - Av) + \lambda^{-\top}(Av - l) \ge 0`).
:func:`dual_bound` evaluates it in float64 from a solver's duals (:math:`\lambda^\pm` their
positive and negative parts; both sign conventions are tried and the smaller bound kept), so an
inexact dual makes the bound weaker, never wrong; at an optimal dual it equals the LP optimum.
A ``min`` model is bounded as :math:`-\max(-c^\top v)`.

:func:`interior_lp` solves the relaxation with HiGHS' interior-point method without crossover
(on the 10,000 × 1,000 BDS MCLP: 1.3 s against 18 s for the dual simplex) and returns that
bound with the (interior, approximately feasible) primal point; the point only seeds the
rounding heuristic, the bound never relies on it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.highs import new_highs
from sitecircle.model.linear import LinearModel

_F = NDArray[np.float64]


def _box_bound(model: LinearModel, c: _F, y: _F) -> float:
    """The bound of ``max c v`` with multipliers from ``y`` (module docstring)."""
    up, lo = model.row_upper, model.row_lower
    lam_up = np.where(np.isfinite(up), np.maximum(y, 0.0), 0.0)
    lam_lo = np.where(np.isfinite(lo), np.maximum(-y, 0.0), 0.0)
    reduced = c - model.A.T @ (lam_up - lam_lo)
    rows = float(lam_up @ np.where(np.isfinite(up), up, 0.0)
                 - lam_lo @ np.where(np.isfinite(lo), lo, 0.0))
    with np.errstate(invalid="ignore"):
        cols = np.maximum(reduced * model.col_lower, reduced * model.col_upper)
    cols = np.where(reduced == 0.0, 0.0, cols)
    return rows + float(cols.sum())


def highs_lp(model: LinearModel) -> Any:
    """The model's LP relaxation as a ``highspy.HighsLp`` (column-wise matrix)."""
    import highspy  # noqa: PLC0415

    csc = model.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.n_vars, model.n_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = model.c, model.col_lower, model.col_upper
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.sense_ = highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    return lp


def dual_bound(model: LinearModel, duals: _F) -> float | None:
    """A valid bound on the model's optimum (offset included) from any row duals.

    Parameters
    ----------
    model
        The model.
    duals
        One value per row, in either sign convention.

    Returns
    -------
    float or None
        Upper bound (``max``) or lower bound (``min``); None when the duals are not finite or
        a column with an infinite bound makes the bound infinite.
    """
    if duals.shape != (model.n_rows,) or not np.all(np.isfinite(duals)):
        return None
    sign = 1.0 if model.sense == "max" else -1.0
    best = min(_box_bound(model, sign * model.c, s * duals) for s in (1.0, -1.0))
    return None if not math.isfinite(best) else sign * best + model.offset


def interior_lp(model: LinearModel, *, time_limit_s: float | None = None,
                ) -> tuple[float, _F] | None:
    """The LP relaxation by HiGHS' interior point: ``(dual_bound, primal point)`` or None.

    Parameters
    ----------
    model
        The model.
    time_limit_s
        HiGHS time limit in seconds; the duals of an unfinished run still give a (weaker)
        valid bound when HiGHS has them.

    Returns
    -------
    tuple or None
        :func:`dual_bound` of HiGHS' row duals (offset included, not rounded) and the column
        values; None when HiGHS returns no dual values.
    """
    if model.n_vars == 0:
        return model.offset, np.zeros(0)
    h = new_highs(solver="ipm", run_crossover="off")
    if time_limit_s is not None:
        h.setOptionValue("time_limit", max(float(time_limit_s), 0.01))
    h.passModel(highs_lp(model))
    h.run()
    solution = h.getSolution()
    if not solution.dual_valid:
        return None
    bound = dual_bound(model, np.asarray(solution.row_dual, dtype=np.float64))
    if bound is None:
        return None
    x = np.asarray(solution.col_value, dtype=np.float64)
    if len(x) != model.n_vars:
        x = np.zeros(model.n_vars)
    return bound, x
