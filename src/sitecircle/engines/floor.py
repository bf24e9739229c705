r"""A floor under the Lagrangian bound: how far any multipliers could bring it down.

The subgradient of :func:`sitecircle.engines.bounds.lagrangian` (``max_*`` models) stops at a
bound above the model's optimum; part of that gap is the LP relaxation's own and no choice of
multipliers removes it. :class:`LagrangianFloor` measures that part from the subproblem
solutions the subgradient computes anyway: their running average :math:`\bar x` (an exponential
moving average, weight :data:`ALPHA` on the newest) is a fractional plan, and

.. math:: F(\bar x) = \text{offset} + \sum_g v_g \min\big(1, \min_{r \in g} (A\bar x)_r\big)

is the objective of the point :math:`(\bar x, y)`, :math:`y_g = \min(1, \min_{r\in g}(A\bar
x)_r)`, of the LP relaxation (cover rows :math:`y_g \le (Ax)_r`, limits, boxes).

**Why it is a floor.** Let :math:`\bar x \in [0,1]^n` meet every limit row in LP form
:math:`\sum_j a_{kj}\bar x_j + \sum_s f_{ks}\bar u_s \le b_k` with :math:`\bar u_s = \max_{j \in
s} \bar x_j` (the least open level the links :math:`x_j \le u_s` allow; the running average of
the subproblem's ``u`` is never below it). For any multipliers :math:`\lambda \ge 0`

.. math:: L(\lambda) \;\ge\; \text{offset} + \sum_g (v_g - \textstyle\sum_{r\in g}\lambda_r) y_g
          + \sum_j p_j \bar x_j \;=\; F(\bar x) + \sum_r \lambda_r\big((A\bar x)_r - y_{g(r)}\big)
          \;\ge\; F(\bar x),

the first step because the Lagrangian maximises over :math:`y \in [0,1]` and over a relaxation
of the limits that contains their LP region (sorting for count limits with integral right-hand
sides, whose polytopes are integral; the LP knapsack with open costs spread or kept, each
containing the LP points), the last because :math:`y_{g(r)} \le (A\bar x)_r`. So no bound the
subgradient can reach is below :math:`F(\bar x)`, and neither is the LP relaxation (without the
implied rows the engines ignore). The floor does not rely on the average being built right: it
checks the limits explicitly and shrinks :math:`\bar x` by the largest factor in ``(0, 1]``
that meets them (rows with non-negative coefficients; count limits at the integer part of their
right-hand side, as the sorting relaxations use them), so round-off cannot make it invalid.
The reported value is lowered by a float-error allowance. Only ``max_*`` models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.structure import Structure, row_sums

_F = NDArray[np.float64]
_I = NDArray[np.int64]
#: Weight of the newest subproblem solution in the running average.
ALPHA = 0.05
#: The floor of the average is evaluated every this many solutions (it costs a pass over rows).
EVERY = 4


class LagrangianFloor:
    """Running average of the subproblem solutions and the best floor seen (module docstring).

    Parameters
    ----------
    st
        The decoded ``max_*`` model.

    Attributes
    ----------
    value
        The best floor so far (``-inf`` before the first average).
    """

    def __init__(self, st: Structure) -> None:
        if st.kind != "max":
            msg = "the Lagrangian floor is for max_* models"
            raise ValueError(msg)
        self.st = st
        self.x_avg: _F | None = None
        self.covered_avg: _F | None = None
        self.value = -np.inf
        self.count = 0
        eps = 2.3e-16 * (st.n_rows + st.n_x + 10)
        self._allowance = eps * (1.0 + abs(st.model.offset) + float(np.abs(st.group_value).sum()))

    def add(self, cols: _I, frac: _F, covered: NDArray[Any]) -> float:
        """Average in one subproblem solution; return the floor of the new average.

        Parameters
        ----------
        cols, frac
            Columns the subproblem takes and their fractions.
        covered
            :math:`(Ax)_r` of that solution (one value per cover row).

        Returns
        -------
        float
            The floor of the current average (``-inf`` if it fails the limits even scaled, or
            when it is not evaluated: every :data:`EVERY` solutions).
        """
        if self.x_avg is None or self.covered_avg is None:
            self.x_avg = np.zeros(self.st.n_x)
            self.x_avg[cols] = frac
            self.covered_avg = covered.astype(np.float64)
        else:  # (1 - ALPHA) * average + ALPHA * newest, in place
            self.x_avg *= 1.0 - ALPHA
            np.add.at(self.x_avg, cols, ALPHA * np.asarray(frac, dtype=np.float64))
            self.covered_avg *= 1.0 - ALPHA
            self.covered_avg += ALPHA * covered
        self.count += 1
        if (self.count - 1) % EVERY:
            return -np.inf
        now = objective(self.st, self.x_avg, self.covered_avg) - self._allowance
        self.value = max(self.value, now)
        return now

    def offer(self, x: _F) -> float:
        """Raise the floor with any fractional plan (an LP solver's point, say); its floor.

        Parameters
        ----------
        x
            One value per ``x`` column (shrunk into the limits when it breaks them).

        Returns
        -------
        float
            The floor of ``x`` (``-inf`` when no positive factor makes it feasible).
        """
        x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
        cols = np.flatnonzero(x > 0)
        covered = row_sums(self.st, cols, x[cols])
        now = objective(self.st, x, covered) - self._allowance
        self.value = max(self.value, now)
        return now


def _shrink(st: Structure, x: _F) -> float:
    """Largest factor in ``[0, 1]`` that makes ``x`` (and its least ``u``) meet every limit."""
    if np.any(x < 0):
        return 0.0
    factor = 1.0 / max(1.0, float(x.max(initial=0.0)))
    u = np.zeros(st.n_u)
    has = st.u_of_col >= 0
    if st.n_u:
        np.maximum.at(u, st.u_of_col[has], x[has])
    for side in st.sides:
        inside = side.row_x >= 0
        used = np.bincount(side.row_x[inside], weights=side.coef_x[inside] * x[inside],
                           minlength=len(side.upper))
        if len(side.upper) == 1 and st.n_u:
            used[0] += float(side.coef_u @ u)
        upper = np.floor(side.upper + 1e-9) if side.unit else side.upper
        over = used > upper
        if np.any(over):
            factor = min(factor, float(np.min(upper[over] / used[over])))
    return max(factor, 0.0)


def objective(st: Structure, x: _F, covered: _F) -> float:
    r""":math:`F(\bar x)` of the module docstring, after shrinking ``x`` into the limits.

    Parameters
    ----------
    st
        The decoded ``max_*`` model.
    x
        A fractional plan (one value per ``x`` column).
    covered
        :math:`(Ax)_r` for every cover row.

    Returns
    -------
    float
        The objective of the LP point built from ``x`` (a lower bound on the LP relaxation and on
        every Lagrangian bound), or ``-inf`` when no positive factor makes ``x`` feasible.
    """
    factor = _shrink(st, x)
    if factor <= 0.0:
        return -np.inf
    level = np.minimum(1.0, factor * covered)
    per_group = np.full(st.n_groups, np.inf)
    if st.singleton:
        per_group[st.row_group] = level
    else:
        np.minimum.at(per_group, st.row_group, level)
    per_group = np.where(np.isfinite(per_group), per_group, 0.0)
    return st.model.offset + float(st.group_value @ np.clip(per_group, 0.0, 1.0))
