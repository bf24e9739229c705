r"""LP-guided completion with ruin and recreate: plans for ``max_complete`` with basket rows.

With the basket rows of :mod:`sitecircle.model.complete_cuts` the LP relaxation says which
communities are worth completing (their :math:`z_g`) and with which columns (:math:`x_{jk}`).
:func:`complete_rounding` turns that into plans:

1. **Recreate.** Communities are taken by decreasing LP :math:`z_g` (perturbed at random after
   the first pass); each one missing a category is completed, category by category, with the
   reaching column of highest LP value (perturbed) that keeps every limit (budget with site
   open costs, ``max_new``, ``max_categories``); a community that cannot be completed within
   the limits is skipped, its columns not opened.
2. **Ruin.** Every column at one to three random sites of the best plan is closed and, in a
   third of the rounds, every open column that keeps no complete community complete (most
   expensive first); then recreate. The new plan replaces the best one when it is at least as
   good.

Stops at the deadline, after :data:`PATIENCE` rounds without a better plan, or when the plan
meets the LP bound. The plan is a full vector (``site_open`` set where a column of the site
is open, ``complete`` where every cover row of the group is covered) that meets every row of the
model (checked by the caller's engines, as any warm start).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.engines.structure import gather
from sitecircle.model.complete_cuts import lp_solution
from sitecircle.model.linear import LinearModel
from sitecircle.stopping import stop_requested

_F = NDArray[np.float64]
_I = NDArray[np.int64]

#: Rows whose activity the recreate step keeps within bounds (``cover`` and ``basket`` rows are
#: met by construction: ``z`` is set from the cover).
_SIDE_ROWS = ("budget", "max_new", "max_categories")


#: Ruin-and-recreate rounds without a better plan before stopping.
PATIENCE = 100


class Plan:
    """Open columns, side-row activity and cover counts of one plan."""

    def __init__(self, rounding: Rounding, x: NDArray[np.bool_]) -> None:
        self.r = rounding
        self.x = x.copy()
        self.site_used = np.bincount(rounding.site[self.x], minlength=rounding.n_sites) > 0
        self.act = rounding.side_x @ self.x.astype(np.float64)
        self.act += rounding.side_u @ self.site_used.astype(np.float64)
        self.count = rounding.cover @ self.x.astype(np.float64)

    def complete(self) -> NDArray[np.bool_]:
        done = np.ones(self.r.n_groups, dtype=bool)
        np.logical_and.at(done, self.r.group_of_row, self.count >= 1)
        return done

    def value(self) -> float:
        return float(self.r.value @ self.complete())

    def copy(self) -> Plan:
        out = Plan.__new__(Plan)
        out.r, out.x, out.site_used = self.r, self.x.copy(), self.site_used.copy()
        out.act, out.count = self.act.copy(), self.count.copy()
        return out

    def fits(self, cols: _I) -> NDArray[np.bool_]:
        """Which columns can open now (every side row stays within its upper bound)."""
        r = self.r
        row_x, data_x, own_x = _entries(r.side_x_csc, cols)
        row_u, data_u, own_u = _entries(r.side_u_csc, r.site[cols])
        fresh = ~self.site_used[r.site[cols]][own_u]  # the site's open cost is still to pay
        key = (np.concatenate([own_x, own_u[fresh]]) * len(r.hi)
               + np.concatenate([row_x, row_u[fresh]]))
        keys, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse, weights=np.concatenate([data_x, data_u[fresh]]))
        rows = keys % len(r.hi)
        ok = np.ones(len(cols), dtype=bool)
        ok[keys[self.act[rows] + total > r.hi[rows] + 1e-9] // len(r.hi)] = False
        return ok

    def open(self, j: int) -> None:
        r = self.r
        self.x[j] = True
        rows, data, _ = _entries(r.side_x_csc, np.array([j]))
        np.add.at(self.act, rows, data)
        s = r.site[j]
        if not self.site_used[s]:
            self.site_used[s] = True
            rows, data, _ = _entries(r.side_u_csc, np.array([s]))
            np.add.at(self.act, rows, data)
        rows = r.cover_csc.indices[r.cover_csc.indptr[j]:r.cover_csc.indptr[j + 1]]
        self.count[rows] += 1


class Rounding:
    """The model's arrays in the shapes the rounding uses."""

    def __init__(self, model: LinearModel) -> None:
        ox, su, zc = model.blocks["open"], model.blocks["site_open"], model.blocks["complete"]
        self.model = model
        cover = sp.csr_array(model.A[model.row_blocks["cover"]])
        self.cover = sp.csr_array(-cover[:, ox])
        self.cover_csc = sp.csc_array(self.cover)
        self.group_of_row = np.asarray(sp.csr_array(cover[:, zc]).indices, dtype=np.int64)
        self.n_groups = zc.stop - zc.start
        self.value = model.c[zc]
        self.site = model.open_site.astype(np.int64)
        self.n_sites = int(self.site.max(initial=-1)) + 1
        side = np.concatenate([np.arange(model.row_blocks[n].start, model.row_blocks[n].stop)
                               for n in _SIDE_ROWS if n in model.row_blocks] or [np.zeros(0)])
        side = side.astype(np.int64)
        a_side = sp.csr_array(model.A[side])
        self.hi = model.row_upper[side]
        self.side_x = sp.csr_array(a_side[:, ox])
        self.side_x_csc = sp.csc_array(self.side_x)
        # site_open columns, indexed by site (zero columns for sites without an open cost)
        u_cols = np.zeros((0,), dtype=np.int64) if su.stop == su.start else \
            np.arange(su.start, su.stop)
        u_part = sp.csc_array(a_side[:, u_cols]) if len(u_cols) else sp.csc_array(
            (len(side), 0))
        coo = u_part.tocoo()
        sites_u = model.site_open_site.astype(np.int64)
        self.side_u_csc = sp.csc_array(
            (coo.data, (coo.row, sites_u[coo.col])), shape=(len(side), max(self.n_sites, 1)))
        self.side_u = sp.csr_array(self.side_u_csc)
        order = np.argsort(self.group_of_row, kind="stable")
        self.rows_of = np.split(order, np.cumsum(np.bincount(self.group_of_row,
                                                             minlength=self.n_groups))[:-1])

    def fill(self, plan: Plan, order: _I, score: _F) -> None:
        """Complete the groups in ``order`` that fit, each with its best-scored columns."""
        cover = self.cover
        for g in order:
            rows = self.rows_of[g]
            missing = rows[plan.count[rows] < 1]
            if len(missing) == 0:
                continue
            trial = plan.copy()
            for row in missing:
                if trial.count[row] >= 1:
                    continue
                cols = cover.indices[cover.indptr[row]:cover.indptr[row + 1]].astype(np.int64)
                cols = cols[trial.fits(cols)]
                if len(cols) == 0:
                    break
                trial.open(int(cols[np.argmax(score[cols])]))
            else:
                plan.x, plan.site_used, plan.act, plan.count = (
                    trial.x, trial.site_used, trial.act, trial.count)

    def prune(self, plan: Plan, cost: _F) -> Plan:
        """Close open columns no complete group needs, most expensive first."""
        done = plan.complete()
        x = plan.x.copy()
        count = plan.count.copy()
        for j in np.flatnonzero(x)[np.argsort(-cost[x], kind="stable")]:
            rows = self.cover_csc.indices[self.cover_csc.indptr[j]:self.cover_csc.indptr[j + 1]]
            if np.any((count[rows] <= 1) & done[self.group_of_row[rows]]):
                continue
            x[j] = False
            count[rows] -= 1
        return Plan(self, x)

    def vector(self, plan: Plan) -> _F:
        m = self.model
        v = np.zeros(m.n_vars)
        v[m.blocks["open"]] = plan.x
        su = m.blocks["site_open"]
        v[su] = plan.site_used[m.site_open_site]
        v[m.blocks["complete"]] = plan.complete()
        return v


def _entries(csc: sp.csc_array, cols: _I) -> tuple[_I, _F, _I]:
    """Row, value and position in ``cols`` of every stored entry of those columns."""
    owner, pos = gather(csc.indptr.astype(np.int64), np.arange(csc.nnz, dtype=np.int64), cols)
    return csc.indices[pos].astype(np.int64), csc.data[pos], owner


def complete_rounding(model: LinearModel, seconds: float, seed: int = 0
                      ) -> tuple[_F, float] | None:
    """The best plan found by LP-guided completion with ruin and recreate (module docstring).

    Parameters
    ----------
    model
        A ``max_complete`` model from :func:`~sitecircle.model.build.build_model` (fixed
        columns and ``min_load`` rows are not handled: None).
    seconds
        Time for the LP and the rounds.
    seed
        Seed of the perturbations.

    Returns
    -------
    tuple or None
        ``(values, objective)`` of the best plan, or None when the model is not one this
        rounding handles or the LP fails.
    """
    start = time.perf_counter()
    if ("complete" not in model.blocks or model.capacitated
            or np.any(model.col_lower[model.blocks["open"]] > 0)):
        return None
    solved = lp_solution(model)
    lp = None if solved is None else solved[1]
    if lp is None:
        return None
    r = Rounding(model)
    ox, zc = model.blocks["open"], model.blocks["complete"]
    x_lp, z_lp = lp[ox], lp[zc]
    budget = model.row_blocks.get("budget")
    cost = (np.asarray(model.A[budget][:, ox].sum(axis=0)).ravel() if budget is not None
            else np.ones(ox.stop - ox.start))
    rng = np.random.default_rng(seed)
    n_x = ox.stop - ox.start
    best = Plan(r, np.zeros(n_x, dtype=bool))
    r.fill(best, np.argsort(-(z_lp + 1e-9 * r.value), kind="stable"), x_lp)
    best_value = best.value()
    lp_value = float(model.c @ lp)
    idle = 0
    while (time.perf_counter() - start < seconds and idle < PATIENCE and not stop_requested()
           and best_value < lp_value - 1e-9 * max(abs(lp_value), 1.0)):
        idle += 1
        used = np.flatnonzero(best.site_used)
        if len(used) == 0:
            break
        x = best.x.copy()
        drop = rng.choice(used, size=min(len(used), int(rng.integers(1, 4))), replace=False)
        x[np.isin(r.site, drop)] = False
        plan = Plan(r, x)
        if rng.random() < 1 / 3:
            plan = r.prune(plan, cost)
        r.fill(plan, np.argsort(-(z_lp + 0.3 * rng.random(len(z_lp)))),
               x_lp * (1.0 + 0.5 * rng.random(n_x)))
        value = plan.value()
        if value > best_value:
            idle = 0
        if value >= best_value:
            best, best_value = plan, value
    values = r.vector(best)
    return values, float(model.objective_value(values))
