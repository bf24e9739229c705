r"""Restricted sub-MIP for the plain MCLP: fix what the elite solutions agree on, solve the rest.

The swap-array search (:mod:`sitecircle.engines.swap`) keeps a pool of its best distinct local
optima. Columns open in every elite solution are fixed open (set :math:`O`), a set :math:`F` of
columns is left free (the columns some but not all elite solutions open, plus the closed columns
with the best swap profit against the incumbent), and every other column is fixed closed. With
:math:`N(j)` the cover rows of column :math:`j`, :math:`w_r` the demand of row :math:`r` and
:math:`R` the rows no column of :math:`O` covers but some column of :math:`F` does, the
restricted problem is again an MCLP, far smaller:

.. math::

    \max \sum_{r \in R} w_r y_r \quad\text{s.t.}\quad
    y_r \le \sum_{j \in F \cap N(r)} x_j \;(r \in R), \qquad
    \sum_{j \in F} x_j \le p - |O|, \qquad x \in \{0,1\}^F,\; y \in [0,1]^R .

Rows with the same free columns are merged (weights summed, :func:`~sitecircle.model.linear.
unique_rows`). SciPy's HiGHS MIP (:func:`scipy.optimize.milp`, loaded on first use; not
``highspy``, see :mod:`sitecircle.solving.choice`) solves it within a short time limit; it takes
no starting solution, so the caller compares its plan with the incumbent and keeps the better
one (:func:`restricted_mip` never returns a plan worse than the one it was given: it returns
None instead).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.engines.structure import Structure, gather
from sitecircle.model.linear import unique_rows

_F = NDArray[np.float64]
_I = NDArray[np.int64]
_B = NDArray[np.bool_]


def free_columns(elite: list[_B], profit: _F, extra: int) -> tuple[_B, _B]:
    """The columns to fix open and to leave free, from an elite pool.

    Parameters
    ----------
    elite
        Open-column masks of the elite solutions (at least one; the first is the incumbent).
    profit
        A score of every column (higher: more promising to open), e.g. the best swap profit
        against the incumbent; the ``extra`` best columns no elite solution opens are freed too.
    extra
        How many such columns to free.

    Returns
    -------
    tuple of ndarray
        ``fixed_open`` (open in every elite solution) and ``free`` (the rest of the union of the
        elite solutions, plus the ``extra`` best others by ``profit``).
    """
    stack = np.vstack(elite)
    fixed_open: _B = np.all(stack, axis=0)
    union: _B = np.any(stack, axis=0)
    free: _B = union & ~fixed_open
    outside = np.flatnonzero(~union)
    if extra > 0 and len(outside):
        k = min(extra, len(outside))
        best = outside[np.argpartition(-profit[outside], k - 1)[:k]]
        free[best] = True
    return fixed_open, free


def restricted_mip(st: Structure, w: _F, p: int, fixed_open: _B, free: _B, incumbent: float,
                   time_limit: float) -> _B | None:
    """Solve the restricted MCLP (module docstring); the plan when it beats ``incumbent``.

    Parameters
    ----------
    st
        The decoded plain MCLP.
    w
        Demand of every cover row.
    p
        The count limit.
    fixed_open, free
        Column masks: fixed open, free (every other column stays closed).
    incumbent
        Covered demand of the plan to beat.
    time_limit
        Seconds for the MIP solver.

    Returns
    -------
    ndarray of bool or None
        The open columns of a plan with at most ``p`` columns covering more than
        ``incumbent``, or None (no better plan found in time).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415 - first use

    opened = np.flatnonzero(fixed_open)
    room = p - len(opened)
    free_cols = np.flatnonzero(free & ~fixed_open)
    if room <= 0 or len(free_cols) == 0 or time_limit <= 0:
        return None
    covered = np.zeros(st.n_rows, bool)
    covered[gather(st.col_ptr, st.col_rows, opened)[1]] = True
    base = float(w[covered].sum())
    seg, rows = gather(st.col_ptr, st.col_rows, free_cols)
    keep = ~covered[rows]
    seg, rows = seg[keep], rows[keep]
    if len(rows) == 0:
        return None
    row_ids, row_of = np.unique(rows, return_inverse=True)
    pattern = sp.csr_array((np.ones(len(rows)), (row_of, seg)),
                           shape=(len(row_ids), len(free_cols)))
    first, group = unique_rows(pattern)
    weight = np.bincount(group, weights=w[row_ids], minlength=len(first))
    a = sp.csr_array(pattern[first])
    n_f, n_r = len(free_cols), len(first)
    # Columns: x (n_f, binary), then y (n_r, continuous in [0, 1]); rows: y - A x <= 0, sum x.
    cover = sp.hstack([-a, sp.identity(n_r, format="csr")], format="csr")
    count = sp.csr_array(np.concatenate([np.ones(n_f), np.zeros(n_r)])[None, :])
    constraints = [LinearConstraint(cover, -np.inf, 0.0),
                   LinearConstraint(count, -np.inf, float(room))]
    c = np.concatenate([np.zeros(n_f), -weight])
    integrality = np.concatenate([np.ones(n_f), np.zeros(n_r)])
    res = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0.0, 1.0),
               options={"time_limit": max(float(time_limit), 0.05), "disp": False})
    if res.x is None:
        return None
    x = res.x[:n_f] > 0.5
    if np.count_nonzero(x) > room:  # a bug guard: never return an infeasible plan
        return None
    plan = fixed_open.copy()
    plan[free_cols[x]] = True
    value = base + float(weight[(a @ x.astype(np.float64)) > 0.5].sum())
    if value <= incumbent + 1e-9 * max(1.0, abs(incumbent)):
        return None
    return plan
