r"""Valid bounds on the optimum of a reduced model: Lagrangian relaxation and LP relaxation.

A heuristic answer needs an honest gap. Both bounds work on the solver-neutral
:class:`~sitecircle.model.linear.LinearModel` (decoded by :mod:`sitecircle.engines.structure`).

**Lagrangian relaxation of the cover rows** (subgradient optimisation, Polyak step
:math:`t=\theta\,|L(\lambda)-\text{target}|/\|d\|^2` with the heuristic's value as target,
:math:`\theta` halved after 10 iterations without improvement, direction :math:`d_k = s_k +
0.8\,d_{k-1}` deflected as in Camerini, Fratta and Maffioli; the best value is kept):

* ``max_coverage`` / ``max_complete``: relax :math:`y_g \le \sum_j a_{rj}x_j` for every cover
  row :math:`r` of group :math:`g` with :math:`\lambda_r \in [0, v_g]`:

  .. math:: L(\lambda) = \text{offset} + \sum_g \max(0, v_g - \textstyle\sum_{r\in g}\lambda_r)
            + \max_{x \in X} \sum_j p_j x_j, \qquad p_j = \sum_r a_{rj}\lambda_r .

  The ``x`` part is bounded from above over relaxations of the limits :math:`X`, each a valid
  upper bound, the smallest kept: count limits (``max_new`` total and/or per category,
  ``max_categories`` per site) by sorting — exact for one partition plus one total limit, which is
  a laminar matroid; other combinations drop one of them — and the budget by the fractional
  (LP) knapsack, where a site's open cost :math:`f_s` is spread as :math:`f_s/n_s` over its
  :math:`n_s` columns (never more than :math:`f_s` in total, so still a relaxation). When the
  budget is the only limit and sites have open costs, the LP of the budget subproblem with the
  links :math:`x_j \le u_s` kept is bounded too, through its own Lagrangian in the budget price
  (:mod:`sitecircle.engines.lagrange`; never weaker than spreading, and equal to that LP, so the
  dual is then the model's LP relaxation). The step moves each multiplier in proportion to its
  upper bound, :math:`\lambda \leftarrow \lambda - t D s` with :math:`D = \mathrm{diag}(v_g /
  \bar v)` and :math:`t = \theta (L - \text{target}) / s^\top D s` (a diagonal preconditioner:
  with demands of very different size, e.g. population and elderly, plain steps throw the small
  multipliers between their bounds while the large ones hardly move). For
  ``max_complete`` this is the Lagrangian of the ``z`` rows; it is never above the total merged
  population. The multipliers start at :math:`v_g/\text{missing}_g` on the rows the heuristic
  leaves uncovered and 0 elsewhere, so the first value is already the classic "current value plus
  the best marginal gains within the limits" bound of submodular maximisation.
* ``min_cost`` full cover (Beasley 1990): relax :math:`\sum_j a_{rj}x_j \ge 1` with
  :math:`\mu_r \ge 0`: :math:`L(\mu) = \sum_r\mu_r + \min_x \sum_j (c_j - \sum_r a_{rj}\mu_r)x_j
  + \sum_s f_s u_s` with the limits dropped (a relaxation); a site opens when its negative
  reduced costs outweigh :math:`f_s`. Start :math:`\mu_r = \min_{j\ni r} c_j/|j|`.
* ``min_cost`` with a target share: relax :math:`y_r \le \sum_j a_{rj}x_j`; the ``y`` part is a
  fractional knapsack per target row (exact for its LP).

With integral data (all weights/demands or all costs integers) the bound is rounded down (max) or
up (min) to an integer, after a float-error allowance, which stays valid since the optimum is an
integer. **LP relaxation**: :func:`lp_bound` solves the relaxation with HiGHS when the model is
small enough; :func:`best_bound` (the heuristic's) takes it from the interior point's duals,
evaluated by :func:`sitecircle.engines.lp_dual.dual_bound` (valid for any duals), and falls back
to the simplex when HiGHS returns none.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.floor import LagrangianFloor
from sitecircle.engines.greedy import greedy
from sitecircle.engines.highs import new_highs
from sitecircle.engines.lagrange import LinkedKnapsack, linked_fits
from sitecircle.engines.lp_dual import highs_lp, interior_lp
from sitecircle.engines.search import Search
from sitecircle.engines.structure import (
    Side,
    Structure,
    column_sums,
    decode,
    gather,
    row_sums,
    segment_chunks,
)
from sitecircle.model.linear import LinearModel
from sitecircle.stopping import past, stop_requested

_F = NDArray[np.float64]
_I = NDArray[np.int64]
#: Models up to this many nonzeros get the LP bound in ``"auto"`` mode (HiGHS' interior point:
#: 1.2 s on Bronx's 186,097 nonzeros, 1.0 s on the 10k x 1k BDS MCLP; 400,000 would take San
#: Francisco's 311,495 in 2-4 s, gap at 60 s 1.43 -> 1.17 % for p = 70, but the search lost
#: 0.13 % of objective in two runs, so left for the search).
LP_AUTO_NONZEROS = 200_000
#: ... and up to this many when the LP runs under a time limit.
LP_TIMED_NONZEROS = 2_000_000
#: Share of the previous direction added to the subgradient (Camerini-Fratta-Maffioli).
DEFLECTION = 0.8
#: Initial Polyak factor :math:`\theta` and the iterations without improvement that halve it.
THETA = 2.0
PATIENCE = 10
#: The same for a last bound phase that has its time to itself (the heuristic's final phase on
#: models whose steps are cheap): Kings p = 60 from the greedy, 0.4 s -> 2,266,986 with
#: :data:`PATIENCE`, 5.8 s -> 2,256,873 with 100 (LP 2,255,707).
FINAL_PATIENCE = 100


# ---------------------------------------------------------------------------- x subproblems
def _top_per_row(p: _F, rows: NDArray[np.integer], upper: _F) -> NDArray[np.bool_]:
    """Keep, per row (``-1``: no row), the ``floor(upper)`` largest entries of ``p``."""
    order = np.lexsort((-p, rows))
    r = rows[order]
    rank = np.arange(len(r)) - np.searchsorted(r, r, side="left")
    cap = np.floor(upper[np.maximum(r, 0)] + 1e-9) if len(upper) else np.zeros(len(r))
    keep = np.empty(len(r), dtype=bool)
    keep[order] = (r < 0) | (rank < cap)
    return keep


def _frac_knapsack(p: _F, cost: _F, capacity: float) -> tuple[float, _F]:
    """LP knapsack: value and fractions, items by ``p / cost`` (zero cost first)."""
    frac = np.zeros(len(p))
    free = cost <= 0
    frac[free] = 1.0
    rest = np.flatnonzero(~free)
    order = rest[np.argsort(-(p[rest] / cost[rest]), kind="stable")]
    cum = np.cumsum(cost[order])
    full = int(np.searchsorted(cum, capacity, side="right"))
    frac[order[:full]] = 1.0
    if full < len(order):
        left = capacity - (cum[full - 1] if full else 0.0)
        frac[order[full]] = max(0.0, left) / cost[order[full]]
    return float(p @ frac), frac


def _max_x(st: Structure, p: _F, knap_cost: _F | None,
           linked: LinkedKnapsack | None = None) -> tuple[float, _I, _F]:
    """Upper bound of ``max p x`` over relaxations of the limits; value, support, fractions."""
    pos = np.flatnonzero(p > 0)
    pp = p[pos]
    best = (float(pp.sum()), pos, np.ones(len(pos)))
    if linked is not None:
        best = min(best, linked.solve(p), key=lambda b: b[0])
    if knap_cost is not None:
        cap = float(st.sides[st.budget].upper[0])
        value, frac = _frac_knapsack(pp, knap_cost[pos], cap)
        if value < best[0]:
            best = (value, pos, frac)
    units: list[Side] = [s for s in st.sides if s.unit]
    multi: list[Side | None] = [None, *[s for s in units if len(s.upper) > 1]]
    single: list[Side | None] = [s for s in units if len(s.upper) == 1] or [None]
    for m in multi:
        keep = np.ones(len(pos), bool) if m is None else _top_per_row(pp, m.row_x[pos], m.upper)
        for one in single:
            take = keep.copy()
            if one is not None:
                inside = np.flatnonzero(keep & (one.row_x[pos] >= 0))
                n_max = int(math.floor(one.upper[0] + 1e-9))
                if len(inside) > n_max:
                    drop = inside[np.argsort(-pp[inside], kind="stable")[n_max:]]
                    take[drop] = False
            if m is None and one is None:
                continue
            value = float(pp[take].sum())
            if value < best[0]:
                best = (value, pos[take], np.ones(int(take.sum())))
    return best


def _min_x(st: Structure, rc: _F) -> tuple[float, _I]:
    """Exact ``min rc x + f u`` with the link rows only; value and the columns taken."""
    neg = rc < 0
    has_u = st.u_of_col >= 0
    value = float(rc[neg & ~has_u].sum())
    take = neg & ~has_u
    if st.n_u:
        sel = neg & has_u
        site = np.bincount(st.u_of_col[sel], weights=rc[sel], minlength=st.n_u) + st.cost_u
        opened = site < 0
        value += float(site[opened].sum())
        take |= sel & opened[np.where(has_u, st.u_of_col, 0)]
    return value, np.flatnonzero(take)


def _min_target_y(st: Structure, mu: _F) -> tuple[float, _F]:
    """Exact ``min mu y`` s.t. each target row, ``0 <= y <= 1`` (fractional knapsacks)."""
    d = st.group_value[st.row_group]
    order = np.lexsort((mu / np.maximum(d, 1e-300), st.row_target))
    t, dd = st.row_target[order], d[order]
    cum = np.cumsum(dd)
    start = np.searchsorted(t, t, side="left")
    before = cum - dd - (cum[start] - dd[start])
    need = st.target_rhs[t]
    y = np.zeros(st.n_rows)
    y[order] = np.clip((need - before) / np.maximum(dd, 1e-300), 0.0, 1.0)
    return float(mu @ y), y


# ---------------------------------------------------------------------------- subgradient
def _knapsack_cost(st: Structure) -> _F | None:
    if st.budget < 0:
        return None
    side = st.sides[st.budget]
    cost = side.coef_x.copy()
    if st.n_u:
        has = st.u_of_col >= 0
        n_site = np.bincount(st.u_of_col[has], minlength=st.n_u)
        cost[has] += side.coef_u[st.u_of_col[has]] / n_site[st.u_of_col[has]]
    return cost


def _initial_min(st: Structure) -> _F:
    share = st.cost_x.copy()
    if st.n_u:
        has = st.u_of_col >= 0
        n_site = np.bincount(st.u_of_col[has], minlength=st.n_u)
        share[has] += st.cost_u[st.u_of_col[has]] / n_site[st.u_of_col[has]]
    d = st.group_value[st.row_group]
    per = column_sums(st, d)
    ratio = np.full(st.model.n_vars, np.inf)
    ratio[:st.n_x] = share / np.maximum(per, 1e-300)
    out = np.zeros(st.n_rows)
    rows = np.flatnonzero(np.diff(st.row_ptr) > 0)
    for piece in segment_chunks(st.row_ptr, rows):  # cheapest ratio per row, in chunks
        seg, cols = gather(st.row_ptr, st.row_cols, piece)
        mins = np.full(len(piece), np.inf)
        np.minimum.at(mins, seg, ratio[cols])
        out[piece] = np.where(np.isfinite(mins), mins, 0.0)
    return out * d


def _allowance(model: LinearModel) -> tuple[float, bool]:
    """Float-error allowance of a computed bound and whether the optimum must be an integer.

    The optimum is an integer when every objective coefficient and the offset are (the
    variables that carry them are binary, or continuous ``y``/``z`` whose optimal values are 0/1).
    """
    terms = np.append(model.c, model.offset)
    scale = 1.0 + float(np.abs(terms).sum())
    n = model.n_rows + model.n_vars + 10
    return 2.3e-16 * n * scale, bool(np.all(terms == np.round(terms)))


def _finish(model: LinearModel, value: float, extra: float = 0.0) -> float:
    """Loosen a computed bound by the float-error allowance and round it for integral data."""
    eps, integral = _allowance(model)
    eps += extra
    if model.sense == "max":
        return float(math.floor(value + eps) if integral else value + eps)
    return float(math.ceil(value - eps) if integral else value - eps)


def lagrangian(
    st: Structure, *, target: float | None, start: _F | None = None, iterations: int = 300,
    deadline: float = float("inf"), primal: Callable[[_F, _I], float | None] | None = None,
    primal_every: int = 10, linked: bool = True, scaled: bool = True,
    floor: LagrangianFloor | None = None, patience: int = PATIENCE,
) -> tuple[float | None, _F | None]:
    """Subgradient optimisation of the Lagrangian dual (module docstring).

    Parameters
    ----------
    st
        The decoded model.
    target
        Objective of a feasible solution (the Polyak target), or None.
    start
        Initial multipliers (one per cover row), or None for the default start.
    iterations
        Iteration cap.
    deadline
        ``time.perf_counter()`` value at which to stop (at least one iteration runs).
    primal
        Called after ``primal_every``, twice, four times ... as many iterations and once with
        the best multipliers at the end, with the column profits ``p`` (``max_*``) or
        reduced costs (``min_cost``) and the columns the relaxed subproblem takes; returns the
        objective of a feasible solution it built from them (a Lagrangian heuristic), or None.
        A better value becomes the new target.
    primal_every
        Iterations before the first call of ``primal``.
    linked
        Bound the budget subproblem with the open costs kept exact
        (:mod:`sitecircle.engines.lagrange`) when the budget is the only limit; False keeps
        only the spread-cost knapsack (for comparisons).
    scaled
        ``max_*``: move each multiplier in proportion to its upper bound :math:`v_g` (a
        diagonal preconditioner, module docstring); False: plain steps (for comparisons).
    floor
        ``max_*``: averages the subproblem solutions into a floor under every bound this
        Lagrangian can give (:mod:`sitecircle.engines.floor`); its ``value`` only rises.
    patience
        Iterations without a better bound that halve the step factor :math:`\theta` (the run
        stops once :math:`\theta < 10^{-3}`).

    Returns
    -------
    tuple
        The best valid bound (rounded for integral data) and its multipliers.
    """
    if st.n_rows == 0:
        return st.model.offset + (0.0 if st.kind != "max" else 0.0), np.zeros(0)
    is_max = st.kind == "max"
    v = st.group_value
    cap = v[st.row_group] if is_max else np.full(st.n_rows, np.inf)
    if start is not None:
        lam = np.clip(start.astype(np.float64), 0.0, cap)
    elif is_max:
        lam = v[st.row_group] / np.maximum(np.diff(st.group_ptr)[st.row_group], 1)
    else:
        lam = _initial_min(st)
    knap = _knapsack_cost(st) if is_max else None
    exact = LinkedKnapsack(st) if is_max and linked and linked_fits(st) else None
    scale = cap / max(float(cap.mean()), 1e-300) if is_max and scaled else None
    best, best_lam = (math.inf if is_max else -math.inf), lam.copy()
    theta, since = THETA, 0
    direction: _F | None = None
    next_primal = primal_every
    it = 0
    for it in range(iterations):
        p = column_sums(st, lam)
        if is_max:
            lam_g = np.bincount(st.row_group, weights=lam, minlength=st.n_groups)
            y_g = v - lam_g > 0
            value_x, cols, frac = _max_x(st, p, knap, exact)
            value = st.model.offset + float((v - lam_g)[y_g].sum()) + value_x
            y_rows = y_g[st.row_group].astype(np.float64)
        else:
            value_x, cols = _min_x(st, st.cost_x - p)
            frac = np.ones(len(cols))
            if st.kind == "min_full":
                value_y, y_rows = float(lam.sum()), np.ones(st.n_rows)
            else:
                value_y, y_rows = _min_target_y(st, lam)
            value = st.model.offset + value_y + value_x
        if primal is not None and it + 1 == next_primal:
            next_primal *= 2
            found = primal(p if is_max else st.cost_x - p, cols)
            if found is not None and (target is None or (
                    found > target if is_max else found < target)):
                target = found
        if (value < best) if is_max else (value > best):
            best, best_lam, since = value, lam.copy(), 0
        else:
            since += 1
            if since >= patience:
                theta, since = theta / 2, 0
        gap = (best - target) if (target is not None and is_max) else (
            (target - best) if target is not None else abs(best) * 0.05 + 1.0)
        if gap <= 1e-9 * max(1.0, abs(best)) or theta < 1e-3 or past(deadline):
            break
        used = frac > 0
        covered = row_sums(st, cols[used], frac[used])
        if floor is not None and is_max:
            floor.add(cols[used], frac[used], covered)
        s = covered - y_rows if is_max else y_rows - covered
        if direction is not None:
            s += DEFLECTION * direction
        if is_max:
            s[((lam <= 0) & (s > 0)) | ((lam >= cap) & (s < 0))] = 0.0
        else:
            s[(lam <= 0) & (s < 0)] = 0.0
        direction = s
        if scale is not None:
            s = scale * s
        norm = float(s @ direction)
        if norm == 0:
            break
        gap_now = (value - target) if (target is not None and is_max) else (
            (target - value) if target is not None else abs(value) * 0.05 + 1.0)
        step = theta * max(abs(gap_now), 1e-12 * max(1.0, abs(value))) / norm
        lam = np.clip(lam - step * s, 0.0, cap) if is_max else np.maximum(lam + step * s, 0.0)
    if primal is not None and it >= primal_every:
        p = column_sums(st, best_lam)
        support = np.flatnonzero(p > 0) if is_max else np.flatnonzero(st.cost_x - p < 0)
        primal(p if is_max else st.cost_x - p, support)
    return _finish(st.model, best), best_lam


# ---------------------------------------------------------------------------- LP bound
def lp_relaxation(
    model: LinearModel, *, time_limit_s: float | None = None
) -> tuple[float, NDArray[np.float64]] | None:
    """Solve the LP relaxation with HiGHS: ``(objective incl. offset, values)`` or None.

    Parameters
    ----------
    model
        The model.
    time_limit_s
        HiGHS time limit in seconds.

    Returns
    -------
    tuple or None
        Raw optimal value and primal vector, or None when HiGHS did not reach optimality.
    """
    if model.n_vars == 0:
        return model.offset, np.zeros(0)
    import highspy  # noqa: PLC0415

    h = new_highs()
    if time_limit_s is not None:
        h.setOptionValue("time_limit", max(float(time_limit_s), 0.01))
    h.passModel(highs_lp(model))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    value = float(h.getInfo().objective_function_value) + model.offset
    return value, np.asarray(h.getSolution().col_value, dtype=np.float64)


def lp_bound(
    model: LinearModel, *, time_limit_s: float | None = None, max_nonzeros: int | None = None
) -> float | None:
    """Optimal value of the LP relaxation (HiGHS), a valid bound; None if not solved.

    Parameters
    ----------
    model
        The model.
    time_limit_s
        HiGHS time limit in seconds.
    max_nonzeros
        Return None without solving when the model has more nonzeros.

    Returns
    -------
    float or None
        The LP optimum (offset included), loosened by ``1e-7`` relative against the solver's
        tolerances and rounded like the Lagrangian bound for integral data; None when HiGHS did
        not finish.
    """
    if max_nonzeros is not None and model.A.nnz > max_nonzeros:
        return None
    solved = lp_relaxation(model, time_limit_s=time_limit_s)
    if solved is None:
        return None
    return _finish(model, solved[0], 1e-7 * max(1.0, abs(solved[0])))


# ---------------------------------------------------------------------------- entry points
def _better_bound(st: Structure, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b) if st.kind == "max" else max(a, b)


def best_bound(
    st: Structure, s: Search | None, *, method: Literal["auto", "lagrangian", "lp", "none"],
    deadline: float, start: _F | None, iterations: int,
    primal: Callable[[_F, _I], float | None] | None = None,
    lp_time_limit: float | None = None, floor: LagrangianFloor | None = None,
    patience: int = PATIENCE,
) -> tuple[float | None, _F | None]:
    """Bound of a decoded model given a heuristic state (used by the heuristic).

    Parameters
    ----------
    st
        The decoded model.
    s
        The heuristic's state (its objective is the Polyak target; ``max_*`` multipliers start
        from its uncovered rows), or None.
    method
        ``"lagrangian"``, ``"lp"``, ``"auto"`` or ``"none"``.
    deadline
        ``time.perf_counter()`` value at which to stop.
    start
        Multipliers to continue from, or None.
    iterations
        Subgradient iteration cap.
    primal
        Lagrangian heuristic, see :func:`lagrangian`.
    lp_time_limit
        Seconds the LP relaxation may take. ``"auto"`` solves the LP when the model has at
        most :data:`LP_AUTO_NONZEROS` nonzeros, or :data:`LP_TIMED_NONZEROS` when this is given.
    floor
        Passed to :func:`lagrangian` (``max_*``); the LP relaxation's point is offered to it.
    patience
        Passed to :func:`lagrangian`.

    Returns
    -------
    tuple
        Bound (or None) and the Lagrangian multipliers (or None).
    """
    target = s.objective() if s is not None and s.feasible() else None
    bound: float | None = None
    lam: _F | None = None
    if method in ("auto", "lagrangian"):
        if start is None and s is not None and st.kind == "max":
            start = s.score_weight(np.arange(st.n_rows, dtype=np.int64))
        bound, lam = lagrangian(st, target=target, start=start, iterations=iterations,
                                deadline=deadline, primal=primal, floor=floor,
                                patience=patience)
    if s is not None and s.feasible():
        target = s.objective()
    closed = bound is not None and target is not None and abs(bound - target) <= 1e-9 * max(
        1.0, abs(target))
    nnz = st.model.A.nnz
    timed = lp_time_limit is not None
    cheap = nnz <= LP_AUTO_NONZEROS or (timed and nnz <= LP_TIMED_NONZEROS)
    # Not after a stop request (sitecircle.stopping): the simplex fallback has no interrupt.
    if (method == "lp" or (method == "auto" and cheap and not closed)) and not stop_requested():
        left = deadline - time.perf_counter()
        if lp_time_limit is not None:
            left = min(left, lp_time_limit)
        limit = None if math.isinf(left) else max(left, 0.1)
        solved, slack = interior_lp(st.model, time_limit_s=limit), 1e-9
        if solved is None:  # no duals from the interior point: the simplex and its objective
            solved, slack = lp_relaxation(st.model, time_limit_s=limit), 1e-7
        if solved is not None:
            value, x = solved
            bound = _better_bound(st, bound, _finish(st.model, value, slack * max(1.0, abs(value))))
            x_open = x[:st.n_x]
            if floor is not None and st.kind == "max":
                floor.offer(x_open)
            if primal is not None:  # round the LP solution: most fractional-open columns first
                support = np.flatnonzero(x_open > 1e-6)
                primal(x_open if st.kind == "max" else -x_open, support)
    return bound, lam


def lagrangian_bound(
    model: LinearModel, *, iterations: int = 300, time_limit_s: float | None = None,
    target: float | None = None,
) -> float | None:
    """A valid bound from the Lagrangian relaxation of the cover rows (module docstring).

    Parameters
    ----------
    model
        The model.
    iterations
        Subgradient iteration cap.
    time_limit_s
        Wall-clock limit in seconds.
    target
        Objective of a known feasible solution (Polyak target); None runs the greedy for one.

    Returns
    -------
    float or None
        Upper bound (max) or lower bound (min) on the optimum, offset included.
    """

    t0 = time.perf_counter()
    deadline = math.inf if time_limit_s is None else t0 + time_limit_s
    st = decode(model)
    s = Search(st)
    greedy(s, deadline=deadline)
    if target is None and s.feasible():
        target = s.objective()
    start = s.score_weight(np.arange(st.n_rows, dtype=np.int64)) if st.kind == "max" else None
    bound, _ = lagrangian(st, target=target, start=start, iterations=iterations,
                          deadline=deadline)
    return bound
