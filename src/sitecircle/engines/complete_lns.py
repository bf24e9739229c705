r"""Large neighbourhood search for ``max_complete``: re-plan a window of nearby sites exactly.

A ``max_complete`` plan is a few clusters of sites that together host every category for the
communities around them; improving it means moving a cluster, or re-sharing the categories of
two neighbouring ones, which no single-column move does. Each round here frees every column
at a *window* of sites :math:`W` (a centre site, used by the best plan two times out of three,
and the sites sharing most communities with it, perturbed at random; in half the rounds two
half windows, so budget can move between two clusters), keeps every other column as the best
plan :math:`\hat v` has it, and solves the model so restricted, within a short time limit:

.. math::

    \max\ c^\top v \quad\text{s.t. the model's rows,}\quad
    c^\top v \ge c^\top \hat v + \varepsilon, \qquad
    x_{jk} = \hat x_{jk}\ (j \notin W), \qquad v \text{ integer where the model says so},

with SciPy's HiGHS MIP (:func:`scipy.optimize.milp`, as :mod:`sitecircle.engines.submip`; its
presolve removes the fixed columns and the rows they settle). The row on the objective lets
branch and bound prune every node that cannot beat the best plan: most windows end
``infeasible`` within a fraction of a second. After :data:`GROW_AFTER` such windows in a row
the windows grow; a round out of time shrinks them. The model's ``basket`` rows stay (valid
for every integer plan, :mod:`sitecircle.model.complete_cuts`; they tighten the restricted
LP). A plan found is rebuilt from its rounded ``open`` columns (``site_open`` where a column
of the site is open, ``complete`` where every cover row of the group is covered), checked
against the side rows, and kept when it is better. With a window of every site the round is
the whole model: its answer ends the search.

Measured (São Paulo centre, budget 400, from the LP-guided plan of 96,996; windows of 12 sites,
3 s a round, two loaded cores): 100,072-102,922 after 25 s by seed and set-up, 102,922 after
60 s (no better plan after ~15 s). Windows of 20-30 sites, or centred on any site, did not do
better (they hit the round limit). SCIP's own search finds 104,278 in 150 s and 104,689 in
1,100 s from the same start: the windows stop at a local optimum about 2 % short.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.engines.complete_rounding import Plan, Rounding
from sitecircle.model.linear import LinearModel
from sitecircle.stopping import stop_requested

_F = NDArray[np.float64]
_I = NDArray[np.int64]

#: Sites freed a round (the centre and its nearest by shared communities).
WINDOW = 12
#: After this many windows in a row proved to hold no better plan, windows grow by
#: :data:`GROW_BY` sites; a round out of time shrinks them again (never below ``window``).
GROW_AFTER, GROW_BY = 10, 2
#: Weight of the random factor in the choice of a window's sites (0: the nearest only).
NOISE = 0.6
#: Share of the rounds centred on a site the best plan uses (the others: any site).
USED_CENTRE = 2 / 3
#: A restricted MIP must beat the best plan by this much (a row on the objective: branch and
#: bound prunes every node that cannot, and a window without a better plan ends infeasible).
CUTOFF_STEP = 1e-6
#: Share of the rounds whose window is two half windows (budget moves between two clusters).
PAIRED = 0.5
#: :func:`scipy.optimize.milp`'s status of a problem solved and of one without a feasible point.
OPTIMAL, INFEASIBLE = 0, 2
#: Seconds a restricted MIP may take at most.
ROUND_SECONDS = 3.0


def _shared(r: Rounding) -> sp.csr_array:
    """Site × site count of the groups both sites reach (any category)."""
    cover = r.cover.tocoo()
    reach = sp.csr_array((np.ones(cover.nnz), (r.group_of_row[cover.row], r.site[cover.col])),
                         shape=(r.n_groups, r.n_sites))
    reach.sum_duplicates()
    reach.data[:] = 1.0  # reached at all (duplicates: several categories or rows)
    return sp.csr_array(reach.T @ reach)


def _window(shared: sp.csr_array, centre: int, size: int, rng: np.random.Generator) -> _I:
    """``centre`` and the ``size - 1`` sites sharing most groups with it (perturbed), then
    random others when fewer sites share a group with it."""
    lo, hi = shared.indptr[centre], shared.indptr[centre + 1]
    sites, weight = shared.indices[lo:hi].astype(np.int64), shared.data[lo:hi]
    score = weight * (1.0 - NOISE + NOISE * rng.random(len(weight)))
    score[sites == centre] = np.inf
    near = np.union1d(sites[np.argsort(-score, kind="stable")[:size]], [centre])
    if len(near) >= size:
        return near
    others = np.setdiff1d(np.arange(shared.shape[0]), near)
    return np.concatenate([near, rng.permutation(others)[:size - len(near)]])


def complete_lns(model: LinearModel, start: _F, seconds: float, seed: int = 0,
                 window: int = WINDOW, round_seconds: float = ROUND_SECONDS
                 ) -> tuple[_F, float] | None:
    """The best plan found by re-planning windows of sites exactly (module docstring).

    Parameters
    ----------
    model
        A ``max_complete`` model (fixed columns and capacities are not handled: None).
    start
        A plan meeting every row of the model (full vector), e.g. the LP-guided rounding's.
    seconds
        Time for the search.
    seed
        Seed of the window choices.
    window
        Sites freed a round.
    round_seconds
        Time limit of one restricted MIP.

    Returns
    -------
    tuple or None
        ``(values, objective)`` of the best plan (``start`` rebuilt when nothing better is
        found), or None when the model is not one this search handles or ``start`` breaks a
        side row.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415 - first use

    t0 = time.perf_counter()
    if ("complete" not in model.blocks or model.capacitated
            or np.any(model.col_lower[model.blocks["open"]] > 0)):
        return None
    r = Rounding(model)
    ox = model.blocks["open"]
    best = Plan(r, np.asarray(start[ox]) > 0.5)
    if np.any(best.act > r.hi + 1e-9):
        return None
    best_value = best.value()
    shared = _shared(r)
    rng = np.random.default_rng(seed)
    rows = LinearConstraint(sp.csr_array(model.A), model.row_lower, model.row_upper)
    size, proved = window, 0
    while (left := seconds - (time.perf_counter() - t0)) > 0.05 and not stop_requested():
        used = np.flatnonzero(best.site_used)
        parts = 1 if rng.random() < 1 - PAIRED else 2
        sites = [_window(shared, int(rng.choice(used) if len(used) and rng.random() < USED_CENTRE
                                     else rng.integers(r.n_sites)), size // parts, rng)
                 for _ in range(parts)]
        free = np.isin(r.site, np.concatenate(sites))
        lower, upper = model.col_lower.copy(), model.col_upper.copy()
        fixed = np.where(best.x, 1.0, 0.0)
        lower[ox] = np.where(free, lower[ox], fixed)
        upper[ox] = np.where(free, upper[ox], fixed)
        cutoff = best_value + max(CUTOFF_STEP * abs(best_value), 1e-4)
        better = LinearConstraint(sp.csr_array(model.c[None, :]), cutoff, np.inf)
        res = milp(-model.c, constraints=[rows, better], integrality=model.integrality,
                   bounds=Bounds(lower, upper),
                   options={"time_limit": min(round_seconds, left), "disp": False})
        plan = None if res.x is None else Plan(r, res.x[ox] > 0.5)
        if plan is not None and plan.value() > best_value and np.all(plan.act <= r.hi + 1e-9):
            best, best_value, proved = plan, plan.value(), 0
        elif free.all() and res.status in (OPTIMAL, INFEASIBLE):  # the whole model, solved
            break
        elif res.status in (OPTIMAL, INFEASIBLE):  # no better plan in this window: wider ones
            proved += 1
            if proved >= GROW_AFTER:
                size, proved = size + GROW_BY, 0
        else:  # out of time: narrower windows
            size, proved = max(window, size - GROW_BY), 0
    values = r.vector(best)
    return values, float(model.objective_value(values))
