r"""Exact engine by Benders decomposition: ``--engine benders``.

For ``max_coverage`` and ``min_cost`` with a target share (the models whose ``covered`` variables
can be projected out, :mod:`sitecircle._benders_cuts`), :func:`benders_solve` runs four phases
on the reduced :class:`~sitecircle.model.LinearModel`, each recorded in ``log``:

1. **Warm start.** The primal heuristic (:func:`sitecircle.heuristic.heuristic_solve`, with its
   Lagrangian bound) gives the incumbent and the first core point.
2. **LP phase.** Kelley's cut loop with in-out stabilisation on the master LP (sites, their
   limits and one :math:`\theta` per cluster of neighbouring cover rows), solved by HiGHS. Its
   value is a valid bound at every round; at convergence it is the LP relaxation of the compact
   model, which is never built. It stops early once the bound proves the incumbent within the
   gap.
3. **Reduced-cost fixing.** With master bound :math:`\bar z` and incumbent :math:`z^*`, a column
   at 0 in the master LP with reduced cost :math:`d_j` satisfies :math:`z \le \bar z + d_j` for
   every solution with :math:`x_j = 1` (and symmetrically at 1), so it is fixed when that cannot
   beat :math:`z^*` (by one unit when the objective is integral).
4. **Restricted compact MIP** (HiGHS branch and cut, warm-started by the incumbent) on the
   columns left free and the cover rows they can still change, rows with identical patterns
   merged. When every free column is in it, its optimum is the model's optimum and its dual bound
   a valid bound (solutions outside are no better than :math:`z^*`). When too many columns are
   free (more than :data:`KERNEL_EXACT_COLUMNS`), it runs on a *kernel* instead — the incumbent's
   columns and the LP support — as a MIP-based neighbourhood search, and only the LP bound counts.

Status is ``optimal`` only when bound and objective agree within the requested gap; otherwise
``feasible`` with bound and gap. The time limit covers every phase (shares: heuristic 25 %, LP
until 60 %, MIP until 95 %).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle._benders_cuts import (
    Decomposition,
    MasterResult,
    UnsupportedModel,
    decompose,
    solve_master_lp,
)
from sitecircle.model import LinearModel, unique_rows
from sitecircle.solution_status import Status

_F = NDArray[np.float64]
_B = NDArray[np.bool_]
#: Free columns up to which the restricted MIP is run on all of them (and so proves optimality).
KERNEL_EXACT_COLUMNS = 2_500
#: Time shares of the phases (heuristic end, LP end, MIP end) when a time limit is given.
SHARES = (0.25, 0.6, 0.95)
#: Perturbation rounds without improvement after which the warm-start heuristic stops.
HEURISTIC_PATIENCE = 20
#: Share of the MIP time given to the kernel MIP when too many columns are free.
KERNEL_SHARE = 0.4

__all__ = ["BendersResult", "UnsupportedModel", "benders_solve"]


@dataclass(frozen=True)
class BendersResult:
    """Outcome of :func:`benders_solve`.

    Parameters
    ----------
    status
        ``optimal`` when the bound meets the objective within the gap, else ``feasible``;
        ``no_solution`` when no feasible point was found.
    values
        Full variable vector in the model's order, or None.
    objective
        Model objective of ``values`` (offset included), or None.
    bound
        Valid bound on the optimum (upper for max, lower for min), or None.
    seconds
        Wall time.
    log
        One record per phase.
    message
        What decided the status.
    """

    status: Status
    values: _F | None
    objective: float | None
    bound: float | None
    seconds: float
    log: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""


def _integral(model: LinearModel, dec: Decomposition) -> bool:
    data = np.concatenate([model.c, [model.offset]])
    return bool(np.all(data == np.round(data)))


def _better(dec: Decomposition, a: float, b: float) -> bool:
    return a > b if dec.maximise else a < b


def _tighter(dec: Decomposition, *bounds: float | None) -> float | None:
    known = [b for b in bounds if b is not None and np.isfinite(b)]
    if not known:
        return None
    return min(known) if dec.maximise else max(known)


def _closed(dec: Decomposition, objective: float, bound: float | None, gap: float,
            step: float) -> bool:
    if bound is None:
        return False
    slack = abs(bound - objective)
    return slack <= max(gap * abs(objective), 1e-9 * max(1.0, abs(objective))) or (
        step >= 1 and slack < step)


def benders_solve(
    model: LinearModel, *, time_limit_s: float | None = None, gap: float = 0.0, seed: int = 0,
    threads: int | None = None, kernel_exact_columns: int = KERNEL_EXACT_COLUMNS,
    rows_per_group: int | None = None,
) -> BendersResult:
    """Solve a coverage model by Benders decomposition (module docstring).

    Parameters
    ----------
    model
        A ``max_coverage`` or target-share ``min_cost`` model from
        :func:`~sitecircle.model.build_model`.
    time_limit_s
        Wall-clock limit in seconds (None: every phase runs to its end).
    gap
        Relative gap at which the search stops and reports optimal.
    seed
        Seed of the heuristic and of the row clustering.
    threads
        HiGHS threads.
    kernel_exact_columns
        Free columns up to which the restricted MIP covers all of them (see
        :data:`KERNEL_EXACT_COLUMNS`).
    rows_per_group
        Cover rows per ``theta`` group (None: chosen from the model size).

    Returns
    -------
    BendersResult
        Status, values, objective, bound and the phase log.

    Raises
    ------
    UnsupportedModel
        For models whose coverage variables cannot be projected (``max_complete``, full-cover
        ``min_cost``).
    """
    from sitecircle.heuristic import heuristic_solve

    start = time.perf_counter()

    def deadline(share: float) -> float:
        return float("inf") if time_limit_s is None else start + share * time_limit_s

    log: list[dict[str, Any]] = []
    if rows_per_group is None:
        rows_per_group = int(np.clip(model.row_blocks["cover"].stop // 40, 20, 200)) \
            if "cover" in model.row_blocks else 50
    t = time.perf_counter()
    dec = decompose(model, rows_per_group=rows_per_group, seed=seed)
    log.append({"phase": "decompose", "seconds": round(time.perf_counter() - t, 3),
                "groups": dec.n_groups, "master_columns": dec.n_master})
    t = time.perf_counter()
    h_limit = None if time_limit_s is None else SHARES[0] * time_limit_s
    found = heuristic_solve(model, time_limit_s=h_limit, seed=seed, bound="lagrangian",
                            patience=HEURISTIC_PATIENCE)
    log.append({"phase": "heuristic", "seconds": round(time.perf_counter() - t, 3),
                "objective": found.objective, "bound": found.bound})
    step = 1.0 if _integral(model, dec) else 0.0
    incumbent = found.values[dec.master_cols] if found.values is not None else None
    best = found.objective if found.values is not None else None
    bound = found.bound
    if best is not None and _closed(dec, best, bound, gap, step):
        return _finish(dec, incumbent, best, bound, gap, step, start, log,
                       "the heuristic's Lagrangian bound proves it")

    t = time.perf_counter()
    stop = None
    if best is not None:
        margin = max(step * 0.999, gap * abs(best))
        stop = best + margin if dec.maximise else best - margin
    master = solve_master_lp(dec, start=incumbent, deadline=deadline(SHARES[1]),
                             stop_below=stop, threads=threads)
    bound = _tighter(dec, bound, master.bound if master.iterations else None)
    log.append({"phase": "lp", "seconds": round(time.perf_counter() - t, 3),
                "rounds": master.iterations, "cuts": master.cuts, "bound": master.bound,
                "converged": master.converged, "lp_point_value": master.best_value})
    if best is None or not _closed(dec, best, bound, gap, step):
        incumbent, best, bound, infeasible = _integer_phase(
            dec, master, incumbent, best, bound, gap, step, deadline(SHARES[2]), threads,
            kernel_exact_columns, log)
        if infeasible:
            return BendersResult(Status.INFEASIBLE, None, None, None,
                                 time.perf_counter() - start, log,
                                 "the compact MIP over every column is infeasible")
    return _finish(dec, incumbent, best, bound, gap, step, start, log, "")


def _integer_phase(
    dec: Decomposition, master: MasterResult, incumbent: _F | None, best: float | None,
    bound: float | None, gap: float, step: float, end: float, threads: int | None,
    kernel_exact_columns: int, log: list[dict[str, Any]],
) -> tuple[_F | None, float | None, float | None, bool]:
    """Kernel MIP, reduced-cost fixing, then the restricted compact MIP (module docstring).

    Returns the incumbent, its objective, the bound and whether infeasibility was proved.
    """
    def fixings() -> tuple[_B, _B]:
        if master.iterations and best is not None:
            fix0, fix1 = reduced_cost_fixing(dec, master, best, step)
            return ~(fix0 | fix1), fix1
        return np.ones(dec.n_master, dtype=bool), np.zeros(dec.n_master, dtype=bool)

    free, ones = fixings()
    if int(free.sum()) > kernel_exact_columns and master.iterations:
        # A MIP on the LP support and the incumbent's columns: a better incumbent fixes more.
        kernel = (master.x > 1e-6) | (master.best_x > 1e-6)
        if incumbent is not None:
            kernel |= incumbent > 0.5
        share = (end - time.perf_counter()) * KERNEL_SHARE
        incumbent, best, _, _ = _run_mip(dec, kernel & free, ones, incumbent, best, share, gap,
                                         threads, "kernel", log)
        free, ones = fixings()
    exact = int(free.sum()) <= kernel_exact_columns
    incumbent, best, inner, status = _run_mip(
        dec, free, ones, incumbent, best, end - time.perf_counter(), gap, threads,
        "exact" if exact else "kernel", log)
    infeasible = False
    if exact and status == "Infeasible" and best is None:
        infeasible = True
    elif exact and best is not None:
        if status == "Optimal":
            bound = _tighter(dec, bound, best)
        elif inner is not None:
            # Solutions outside the restricted MIP are no better than the incumbent.
            tiny = 0.0 if step else 1e-9 * max(1.0, abs(best))
            outside = best + tiny if dec.maximise else best - tiny
            bound = _tighter(dec, bound, max(inner, outside) if dec.maximise
                             else min(inner, outside))
    return incumbent, best, bound, infeasible


def _run_mip(
    dec: Decomposition, free: _B, ones: _B, incumbent: _F | None, best: float | None,
    seconds: float, gap: float, threads: int | None, kind: str, log: list[dict[str, Any]],
) -> tuple[_F | None, float | None, float | None, str]:
    record: dict[str, Any] = {"phase": f"mip_{kind}", "free_columns": int(free.sum()),
                              "fixed_to_one": int(ones.sum())}
    if seconds <= 0.05:
        record.update(seconds=0.0, status="skipped: no time left")
        log.append(record)
        return incumbent, best, None, "skipped"
    t = time.perf_counter()
    found = restricted_mip(dec, free, ones, incumbent, time_limit_s=seconds, gap=gap,
                           threads=threads)
    record.update(seconds=round(time.perf_counter() - t, 3),
                  **{k: v for k, v in found.items() if k != "x"})
    log.append(record)
    x = found.get("x")
    if x is not None and (best is None or _better(dec, found["objective"], best)):
        incumbent, best = x, float(found["objective"])
    return incumbent, best, found.get("bound"), str(found["status"])


def reduced_cost_fixing(
    dec: Decomposition, master: MasterResult, incumbent: float, step: float
) -> tuple[_B, _B]:
    """Columns that cannot be at 1 (resp. 0) in a solution beating ``incumbent``.

    Parameters
    ----------
    dec
        The decomposition.
    master
        The master LP (its bound and reduced costs).
    incumbent
        Objective of the best solution known.
    step
        1 when every objective value is an integer (improving means by at least 1), else 0.

    Returns
    -------
    tuple of ndarray
        ``fix_to_zero``, ``fix_to_one`` masks over the master columns.
    """
    rc = master.reduced_cost
    sign = 1.0 if dec.maximise else -1.0
    # slack: how much better than the incumbent a solution must be to matter
    need = sign * (master.bound - incumbent) - (step * 0.999 if step else
                                                 -1e-9 * max(1.0, abs(incumbent)))
    penalty = -sign * rc  # >= 0 for columns at their lower bound
    at_low = master.x <= 1e-9
    at_up = master.x >= 1.0 - 1e-9
    fix0 = at_low & (penalty > need)
    fix1 = at_up & (-penalty > need)
    return fix0, fix1


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
    import highspy

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
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit_s), 0.05))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("threads", 1 if threads is None else int(threads))
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
        out["objective"] = _objective(dec, x)
    return out


def _objective(dec: Decomposition, x: _F) -> float:
    return dec.model.objective_value(dec.full_values(x))


def _feasible(dec: Decomposition, x: _F) -> bool:
    from sitecircle.heuristic import check_values

    return not check_values(dec.model, dec.full_values(x))


def _finish(
    dec: Decomposition, x: _F | None, objective: float | None, bound: float | None, gap: float,
    step: float, start: float, log: list[dict[str, Any]], why: str,
) -> BendersResult:
    seconds = time.perf_counter() - start
    if x is None or objective is None:
        return BendersResult(Status.NO_SOLUTION, None, None, bound, seconds, log,
                             "no feasible solution found")
    values = dec.full_values(x)
    objective = dec.model.objective_value(values)
    if bound is not None:
        # a bound can never be worse than a solution that exists
        bound = max(bound, objective) if dec.maximise else min(bound, objective)
        if step >= 1:
            bound = float(np.floor(bound + 1e-6) if dec.maximise else np.ceil(bound - 1e-6))
    closed = _closed(dec, objective, bound, gap, step)
    status = Status.OPTIMAL if closed else Status.FEASIBLE
    if closed and step >= 1 and bound is not None and abs(bound - objective) < 1:
        bound = objective
    message = why or ("bound meets the objective" if closed else "gap left open")
    return BendersResult(status, values, objective, bound, seconds, log, message)
