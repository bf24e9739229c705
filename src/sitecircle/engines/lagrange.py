r"""The budget subproblem of the Lagrangian bound with site open costs kept exact.

:func:`sitecircle.engines.bounds.lagrangian` relaxes the cover rows; what is left on ``x`` and
``u`` (for a model whose only limit is a budget) is

.. math:: \Phi(p) = \max \Big\{ \sum_j p_j x_j \;:\; \sum_j c_j x_j + \sum_s f_s u_s \le B,\;
          x_j \le u_{s(j)},\; 0 \le x, u \le 1 \Big\}.

Spreading :math:`f_s` over the site's columns (the older relaxation in ``bounds._max_x``) gives an
upper bound of the LP :math:`\Phi`; here :math:`\Phi` itself is bounded through its own
Lagrangian in the budget price :math:`\mu \ge 0` (weak duality, so *every* :math:`\mu` gives a
valid upper bound):

.. math:: g(\mu) = \mu B + \sum_{j \notin \text{site}} (p_j - \mu c_j)^+
          + \sum_s \Big(\sum_{j \in s} (p_j - \mu c_j)^+ - \mu f_s\Big)^+ \;\ge\; \Phi(p).

The inner maximum over ``x <= u`` is exact per site (open a site when its positive reduced
profits pay its open cost), so :math:`\min_\mu g(\mu) = \Phi(p)` (LP duality) and the full
Lagrangian dual equals the LP relaxation of the model. :math:`g` is convex and piecewise linear
with slope :math:`B - \text{cost}(\mu)`, the cost of what the inner maximum takes, which falls as
:math:`\mu` grows: :func:`linked_knapsack` bisects on the sign of the slope and returns the
smaller of :math:`g` at the two ends of the final bracket. Never above the spread relaxation:
:math:`\sum_j (a_j - f/n)^+ \ge \sum_j a_j^+ - f` for every site.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.structure import Structure

_F = NDArray[np.float64]
_I = NDArray[np.int64]
#: Bisection steps on the budget price (the bracket shrinks by ``2**-BISECTIONS``).
BISECTIONS = 48


def linked_fits(st: Structure) -> bool:
    """True when the budget is the only limit and some ``x`` columns share a site's open cost."""
    return st.budget >= 0 and len(st.sides) == 1 and st.n_u > 0


class LinkedKnapsack:
    """:math:`\\min_\\mu g(\\mu)` for the budget-only ``max_*`` model (module docstring).

    Parameters
    ----------
    st
        The decoded model (``linked_fits(st)`` must hold).
    """

    def __init__(self, st: Structure) -> None:
        side = st.sides[st.budget]
        self.cost = side.coef_x.astype(np.float64)
        self.site = st.u_of_col.astype(np.int64)
        self.has = self.site >= 0
        self.n_u = st.n_u
        self.open_cost = side.coef_u.astype(np.float64)
        self.capacity = float(side.upper[0])

    def _take(self, p: _F, mu: float) -> tuple[float, float, NDArray[np.bool_]]:
        """``g(mu)``, the cost of the inner maximiser and the columns it takes."""
        a = p - mu * self.cost
        pos = a > 0
        per_site = np.bincount(self.site[self.has & pos], weights=a[self.has & pos],
                               minlength=self.n_u) - mu * self.open_cost
        opened = per_site > 0
        take = pos & (~self.has | opened[np.where(self.has, self.site, 0)])
        free = pos & ~self.has
        value = mu * self.capacity + float(a[free].sum()) + float(per_site[opened].sum())
        used = float(self.cost[take].sum()) + float(self.open_cost[opened].sum())
        return value, used, take

    def solve(self, p: _F) -> tuple[float, _I, _F]:
        """Upper bound of :math:`\\Phi(p)`; the support and fractions of a near-maximiser.

        Parameters
        ----------
        p
            Lagrangian profit of every ``x`` column.

        Returns
        -------
        tuple
            ``min(g(mu_lo), g(mu_hi))`` (valid for any bracket), the columns of the mix of the
            two inner maximisers that spends exactly the budget, and their fractions (the
            subgradient of the outer dual).
        """
        v0, used0, take0 = self._take(p, 0.0)
        if used0 <= self.capacity:
            cols = np.flatnonzero(take0)
            return v0, cols, np.ones(len(cols))
        pp = np.maximum(p, 0.0)
        ratio = np.zeros(1)
        paid = self.cost > 0
        if paid.any():
            ratio = np.append(ratio, pp[paid] / self.cost[paid])
        if self.n_u:
            site_p = np.bincount(self.site[self.has], weights=pp[self.has], minlength=self.n_u)
            fixed = self.open_cost > 0
            if fixed.any():
                ratio = np.append(ratio, site_p[fixed] / self.open_cost[fixed])
        lo, hi = 0.0, float(ratio.max()) * (1.0 + 1e-12) + 1e-300
        v_lo, used_lo, take_lo = v0, used0, take0
        v_hi, used_hi, take_hi = self._take(p, hi)
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            if not lo < mid < hi:
                break
            v, used, take = self._take(p, mid)
            if used > self.capacity:
                lo, v_lo, used_lo, take_lo = mid, v, used, take
            else:
                hi, v_hi, used_hi, take_hi = mid, v, used, take
        value = min(v_lo, v_hi)
        theta = (self.capacity - used_hi) / max(used_lo - used_hi, 1e-300)
        theta = min(max(theta, 0.0), 1.0)
        frac = theta * take_lo.astype(np.float64) + (1.0 - theta) * take_hi
        cols = np.flatnonzero(frac > 0)
        return value, cols, frac[cols]
