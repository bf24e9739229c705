r"""The integer phase of :mod:`sitecircle.engines.benders`: branch and Benders cut, restricted MIP.

:func:`restricted_mip` solves the compact MIP over the columns reduced-cost fixing leaves free.
:func:`branch_and_cut` runs on the master LP, for masters with few sites:

HiGHS has no lazy-constraint callback, so the tree is ours: best-first branch and bound over the
master LP of :mod:`sitecircle.engines.benders_cuts` (one HiGHS model; a node only changes column
bounds, so the dual simplex restarts from the previous basis). At every node the cut loop
separates at the LP point (cuts are global: valid everywhere), a node whose bound cannot beat
the incumbent is pruned (by one unit when objective values are integers), an integer point
without violated cuts updates the incumbent, and otherwise the node branches on the column whose
LP value is closest to 1/2. This is the scheme Cordeau, Furini & Ljubić (2019) run inside
CPLEX's callbacks, here with the LP solved from outside.
"""

from __future__ import annotations

import heapq
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.engines.benders_cuts import (
    CUT_POOL_FACTOR,
    CUT_TOLERANCE,
    Decomposition,
    MasterResult,
    add_cut_rows,
    fixable,
    objective_of,
    purge_cuts,
)
from sitecircle.engines.highs import new_highs
from sitecircle.engines.search import tolerance
from sitecircle.model.linear import unique_rows
from sitecircle.stopping import past

_F = NDArray[np.float64]
_B = NDArray[np.bool_]
#: Cut rounds per node before branching (an integer point is always separated to the end).
NODE_CUT_ROUNDS = 8
#: Relative bound progress below which a node stops cutting and branches.
TAILING = 1e-5


def branch_and_cut(
    dec: Decomposition, master: MasterResult, incumbent: _F | None, best: float | None, *,
    deadline: float, gap: float = 0.0, step: float = 0.0,
) -> dict[str, Any]:
    """Best-first branch and cut on the master LP (module docstring).

    Parameters
    ----------
    dec
        The decomposition.
    master
        The LP phase's result; its HiGHS model is reused.
    incumbent, best
        Best master point known and its objective (or None).
    deadline
        ``time.perf_counter()`` value at which to stop.
    gap
        Relative gap at which the search stops.
    step
        1 when objective values are integers.

    Returns
    -------
    dict
        ``x``, ``objective``, ``bound`` (valid), ``optimal``, ``nodes``, ``cuts``, ``open``.
    """
    import highspy  # noqa: PLC0415

    h = master.highs
    model = dec.model
    n_m = dec.n_master
    sign = 1.0 if dec.maximise else -1.0
    cols = np.arange(n_m, dtype=np.int32)
    lower0 = model.col_lower[dec.master_cols].astype(np.float64)
    upper0 = model.col_upper[dec.master_cols].astype(np.float64)
    integer = model.integrality[dec.master_cols]
    best_value = -sign * np.inf if best is None else float(best)

    def prunable(z: float) -> bool:
        if not np.isfinite(best_value):
            return False
        if step >= 1:
            z = np.floor(z + 1e-6) if dec.maximise else np.ceil(z - 1e-6)
        margin = max(gap * abs(best_value), tolerance(best_value))
        return bool(sign * (z - best_value) <= margin)

    heap: list[tuple[float, int, tuple[tuple[int, float], ...]]] = [(-sign * master.bound, 0, ())]
    counter, nodes, cuts = 1, 0, 0
    stopped = False
    while heap:
        if past(deadline):
            stopped = True
            break
        key, _, fixes = heapq.heappop(heap)
        if prunable(-sign * key):
            continue
        lower, upper = lower0.copy(), upper0.copy()
        for j, v in fixes:
            lower[j] = upper[j] = v
        h.changeColsBounds(n_m, cols, lower, upper)
        nodes += 1
        z_prev = np.inf
        outcome = "branch"
        x = np.zeros(n_m)
        z = -sign * key
        rounds = 0
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                outcome = "stopped"
                break
            h.setOptionValue("time_limit", float(h.getRunTime() + left))
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kUnknown:  # numerical trouble: fresh basis
                h.setBasis()
                h.run()
                status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                outcome = "pruned"
                break
            if status != highspy.HighsModelStatus.kOptimal:
                outcome = "stopped"
                break
            sol = np.asarray(h.getSolution().col_value)
            x, theta = sol[:n_m], sol[n_m:]
            z = float(h.getInfo().objective_function_value) + model.offset
            if prunable(z):
                outcome = "pruned"
                break
            frac = integer & (np.abs(x - np.round(x)) > 1e-6)
            const, coef = dec.cuts(x)
            viol = np.flatnonzero(theta - (const + coef @ x)
                                  > CUT_TOLERANCE * np.maximum(1.0, np.abs(theta)))
            if len(viol) == 0:
                outcome = "integer" if not frac.any() else "branch"
                break
            purge_cuts(h, master.base_rows, CUT_POOL_FACTOR * (n_m + dec.n_groups))
            add_cut_rows(h, dec, const, coef, viol)
            cuts += len(viol)
            rounds += 1
            if frac.any() and (rounds >= NODE_CUT_ROUNDS
                               or abs(z_prev - z) <= TAILING * max(1.0, abs(z))):
                outcome = "branch"
                break
            z_prev = z
        if outcome == "stopped":
            heapq.heappush(heap, (key, counter, fixes))
            stopped = True
            break
        if outcome == "pruned":
            continue
        if outcome == "integer":
            point = np.round(x)
            value = objective_of(dec, point)
            if sign * (value - best_value) > 0:
                best_value, incumbent = value, point
            continue
        fixes = (*fixes, *_reduced_cost_fixes(h, x, z, best_value, lower, upper, sign, step,
                                               n_m))
        frac_idx = np.flatnonzero(integer & (np.abs(x - np.round(x)) > 1e-6))
        j = int(frac_idx[np.argmin(np.abs(x[frac_idx] - 0.5))])
        for v in (1.0, 0.0):
            heapq.heappush(heap, (-sign * z, counter, (*fixes, (j, v))))
            counter += 1
    h.changeColsBounds(n_m, cols, lower0, upper0)
    if heap:
        open_bound = -sign * min(k for k, _, _ in heap)
        bound = max(open_bound, best_value) if dec.maximise else min(open_bound, best_value)
    else:
        bound = best_value
    optimal = bool(not heap and not stopped and np.isfinite(best_value))
    return {"x": incumbent, "objective": best_value if np.isfinite(best_value) else None,
            "bound": float(bound) if np.isfinite(bound) else None, "optimal": optimal,
            "nodes": nodes, "cuts": cuts, "open": len(heap)}


def _reduced_cost_fixes(
    h: Any, x: _F, z: float, best: float, lower: _F, upper: _F, sign: float, step: float,
    n_m: int,
) -> tuple[tuple[int, float], ...]:
    """Columns the node LP's reduced costs fix for the whole subtree (see ``benders``)."""
    if not np.isfinite(best):
        return ()
    rc = np.asarray(h.getSolution().col_dual)[:n_m]
    zero, one = fixable(rc, x, z, best, sign > 0, step)
    free = lower < upper
    zero &= free
    one &= free
    return tuple((int(j), 0.0) for j in np.flatnonzero(zero)) + tuple(
        (int(j), 1.0) for j in np.flatnonzero(one))


def restricted_mip(
    dec: Decomposition, free: _B, ones: _B, start: _F | None, *, time_limit_s: float,
    gap: float, threads: int | None,
) -> dict[str, Any]:
    """The compact MIP over the ``free`` columns with ``ones`` fixed at 1 and the rest at 0.

    Parameters
    ----------
    dec
        The decomposition.
    free, ones
        Masks over the master columns.
    start
        Warm start (master columns), used when it respects the fixings.
    time_limit_s
        HiGHS time limit.
    gap
        HiGHS relative MIP gap.
    threads
        HiGHS threads.

    Returns
    -------
    dict
        ``x`` (master columns, or None), ``objective`` (model objective), ``bound`` (valid for
        the restricted problem), ``optimal``, ``status``, ``rows``, ``columns``.
    """
    import highspy  # noqa: PLC0415

    model = dec.model
    fixed = ones.astype(np.float64)
    cols = np.flatnonzero(free)
    cover = dec.cover
    reach_fixed = cover @ fixed
    done = reach_fixed >= 1.0 - 1e-9
    sub = sp.csr_array(cover[:, cols])
    live = np.flatnonzero(~done & (np.diff(sub.indptr) > 0))
    sub = sp.csr_array(sub[live])
    # Merge rows with identical patterns (and the same target).
    key_matrix = sub
    tgt = dec.group_target[dec.group[live]]
    if len(dec.target_lower):
        tag = sp.csr_array((np.ones(len(live)), (np.arange(len(live)), tgt)),
                           shape=(len(live), len(dec.target_lower)))
        key_matrix = sp.csr_array(sp.hstack([sub, tag], format="csr"))
    first, grp = unique_rows(key_matrix) if len(live) else (np.zeros(0, np.int64),) * 2
    weight = np.bincount(grp, weights=dec.value[live], minlength=len(first))
    rows = sp.csr_array(sub[first])
    n_x, n_y = len(cols), len(first)
    c_master = model.c[dec.master_cols]
    const = float(c_master @ fixed) + model.offset
    if dec.maximise:
        const += float(dec.value[done].sum())
        cost = np.concatenate([c_master[cols], weight])
    else:
        cost = np.concatenate([c_master[cols], np.zeros(n_y)])
    # rows: y_r - a_r x <= 0; master rows on free columns; targets on y
    cover_rows = sp.hstack([-rows, sp.identity(n_y, format="csr")], format="csr")
    m_a = dec.master_A
    shift = m_a @ fixed
    master_rows = sp.hstack([sp.csr_array(m_a[:, cols]), sp.csr_array((m_a.shape[0], n_y))],
                            format="csr")
    blocks = [cover_rows, master_rows]
    lower = [np.full(n_y, -np.inf), dec.master_lower - shift]
    upper = [np.zeros(n_y), dec.master_upper - shift]
    if len(dec.target_lower):
        t_of = tgt[first]
        t_rows = sp.csr_array((weight, (t_of, n_x + np.arange(n_y))),
                              shape=(len(dec.target_lower), n_x + n_y))
        have = np.bincount(dec.group_target[dec.group[done]], weights=dec.value[done],
                           minlength=len(dec.target_lower))
        blocks.append(t_rows)
        lower.append(dec.target_lower - have)
        upper.append(np.full(len(dec.target_lower), np.inf))
    a = sp.csc_array(sp.vstack(blocks, format="csc"))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_x + n_y, a.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_x + n_y)
    lp.col_upper_ = np.ones(n_x + n_y)
    lp.row_lower_ = np.concatenate(lower)
    lp.row_upper_ = np.concatenate(upper)
    lp.offset_ = const
    lp.sense_ = highspy.ObjSense.kMaximize if dec.maximise else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_x + \
        [highspy.HighsVarType.kContinuous] * n_y
    h = new_highs(threads, time_limit=max(float(time_limit_s), 0.05), mip_rel_gap=float(gap))
    h.passModel(lp)
    if start is not None and np.all(start[~free] == fixed[~free]):
        y0 = np.minimum(rows @ start[cols], 1.0)
        guess = np.concatenate([np.round(start[cols]), y0])
        h.setSolution(len(guess), np.arange(len(guess), dtype=np.int32), guess)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    out: dict[str, Any] = {"status": h.modelStatusToString(status), "rows": int(a.shape[0]),
                           "columns": n_x + n_y, "x": None, "objective": None, "bound": None,
                           "nodes": int(info.mip_node_count)}
    if np.isfinite(info.mip_dual_bound) and status != highspy.HighsModelStatus.kNotset:
        out["bound"] = float(info.mip_dual_bound)
    if info.primal_solution_status == 2:  # feasible
        col = np.asarray(h.getSolution().col_value)
        x = fixed.copy()
        x[cols] = np.round(col[:n_x])
        out["x"] = x
        out["objective"] = objective_of(dec, x)
    return out
