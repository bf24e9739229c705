r"""A bound on a model's optimum from its LP relaxation, safe against the LP solver's round-off.

The LP relaxation is solved by OR-Tools' Glop (no HiGHS: see
:mod:`sitecircle.solving.choice` on two HiGHS libraries in one process). Its objective value is
not used as the bound; its row duals are. For a ``max`` model
:math:`\max c^\top v` s.t. :math:`l \le Av \le u`, :math:`\underline v \le v \le \overline v`, any
multipliers :math:`\lambda^+, \lambda^- \ge 0` (zero where the row bound is infinite) give

.. math::
    c^\top v \le \sum_r (\lambda^+_r u_r - \lambda^-_r l_r)
    + \sum_j \max(r_j \underline v_j, r_j \overline v_j), \qquad
    r = c - A^\top(\lambda^+ - \lambda^-),

for every feasible :math:`v` (weak duality of the Lagrangian relaxation over the box). The bound
is valid whatever the multipliers, so it is computed in float64 from Glop's duals by
:func:`sitecircle.engines.lp_dual.dual_bound` (:math:`\lambda^\pm` their positive and negative
parts; both sign conventions are tried, the smaller bound kept): an inexact LP solution makes it
weaker, never wrong. A ``min`` model is bounded as :math:`-\max(-c^\top v)`.

:func:`objective_step` gives the lattice of objective values when every variable with an
objective coefficient is integer (costs in multiples of 0.5, say), so that a plan within one
step of the bound is proven optimal.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import numpy as np
import scipy.sparse as sp

from sitecircle.engines.lp_dual import dual_bound
from sitecircle.model.linear import LinearModel

__all__ = ["lp_bound", "objective_step", "proves"]

#: Denominators tried for the objective step (coefficients in multiples of 1/k).
_DENOMINATORS = (1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50, 100, 1000)


def lp_bound(model: LinearModel, time_limit: float | None = None) -> float | None:
    """A valid bound on the model's optimum (offset included), or None when none is found.

    Upper bound for ``max`` models, lower bound for ``min``. None when OR-Tools is missing,
    Glop does not solve the LP (time limit, numerical trouble) or a column with an infinite
    bound makes the bound infinite.
    """
    if model.n_vars == 0 or importlib.util.find_spec("ortools") is None:
        return None
    mbh: Any = importlib.import_module("ortools.linear_solver.python.model_builder_helper")
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(
        model.col_lower.astype(np.float64), model.col_upper.astype(np.float64),
        model.c.astype(np.float64), model.row_lower.astype(np.float64),
        model.row_upper.astype(np.float64), sp.csr_matrix(model.A, dtype=np.float64))
    helper.set_maximize(model.sense == "max")
    solver = mbh.ModelSolverHelper("glop")
    if time_limit is not None:
        solver.set_time_limit_in_seconds(max(float(time_limit), 0.01))
    solver.solve(helper)
    if mbh.SolveStatus(solver.status()) != mbh.SolveStatus.OPTIMAL:
        return None
    return dual_bound(model, np.asarray(solver.dual_values(), dtype=np.float64))


def objective_step(model: LinearModel) -> float | None:
    """The step of the lattice of objective values, or None when there is none to rely on.

    When every variable with a nonzero objective coefficient is integer and every coefficient
    is a multiple of ``1/k`` for one of a few ``k``, every plan's objective is the offset plus a
    multiple of the returned step (the coefficients' greatest common divisor).
    """
    nz = model.c != 0.0
    if not nz.any() or not np.all(model.integrality[nz]):
        return None
    coef = np.abs(model.c[nz])
    for k in _DENOMINATORS:
        scaled = coef * k
        whole = np.round(scaled)
        if np.all(np.abs(scaled - whole) <= 1e-9 * np.maximum(1.0, scaled)) and whole.max() < 2**52:
            return float(np.gcd.reduce(whole.astype(np.int64))) / k
    return None


def proves(model: LinearModel, value: float, bound: float | None, gap: float = 0.0) -> bool:
    """Whether a plan of objective ``value`` is optimal (within ``gap``) given ``bound``.

    The plan is optimal when no better objective value fits between it and the bound: within
    round-off, within the relative ``gap``, or, on a lattice of values
    (:func:`objective_step`), when the next better lattice value lies beyond the bound.
    """
    if bound is None:
        return False
    room = bound - value if model.sense == "max" else value - bound
    scale = max(1.0, abs(value))
    if room <= 1e-9 * scale + gap * abs(value):
        return True
    step = objective_step(model)
    return step is not None and room < step * (1.0 - 1e-6) - 1e-9 * scale
