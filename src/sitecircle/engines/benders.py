r"""Exact engine by Benders decomposition: ``--engine benders``.

For ``max_coverage`` and ``min_cost`` (the models whose ``covered`` variables can be projected
out, :mod:`sitecircle.engines.benders_cuts`; a full-cover ``min_cost`` model has none and is its own
master), :func:`benders_solve` runs these phases on the reduced
:class:`~sitecircle.model.linear.LinearModel`, each recorded in ``log``:

1. **Warm start.** The primal heuristic (:func:`sitecircle.engines.heuristic.heuristic_solve`; with
its
   Lagrangian bound above :data:`LAGRANGIAN_NONZEROS`) gives the incumbent and the core point.
2. **LP phase.** Kelley's cut loop with in-out stabilisation on the master LP (sites, their
   limits and one :math:`\theta` per cluster of neighbouring cover rows), solved by HiGHS. Its
   value is a valid bound at every round; at convergence it is the LP relaxation of the compact
   model, which is never built. It stops early once the bound proves the incumbent.
3. **LP-guided search** (masters with more than :data:`MASTER_MIP_COLUMNS` columns): the
   heuristic's local search and perturbation restarted from the LP point (columns by decreasing
   LP value).
4. **Integer phase.** Few master columns: branch and Benders cut on the master LP
   (:mod:`sitecircle.engines.benders_tree`). Otherwise **reduced-cost fixing** — with master bound
   :math:`\bar z` and incumbent :math:`z^*`, a column at 0 in the master LP with reduced cost
   :math:`d_j` satisfies :math:`z \le \bar z + d_j` for every solution with :math:`x_j = 1`
   (symmetrically at 1), so it is fixed when that cannot beat :math:`z^*` (by one unit when
   objective values are integers) — then, when at most :data:`KERNEL_EXACT_COLUMNS` columns stay
   free, the **restricted compact MIP** (HiGHS, warm-started by the incumbent) on those columns
   and the cover rows they can still change, identical rows merged. Its optimum is the model's
   optimum and its dual bound a valid bound (solutions outside are no better than :math:`z^*`).
   With more free columns the integer phase is skipped and only the LP bound counts.

Status is ``optimal`` only when bound and objective agree within the requested gap; otherwise
``feasible`` with bound and gap. The time limit covers every phase (:data:`SHARES`: heuristic
until 25 %, LP until 50 %, search until 75 % — 97 % when no integer phase follows —, integer
phase until 97 %).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.benders_cuts import (
    Decomposition,
    MasterResult,
    UnsupportedModel,
    decompose,
    fixable,
    objective_of,
    solve_master_lp,
)
from sitecircle.engines.benders_tree import branch_and_cut, restricted_mip
from sitecircle.engines.greedy import greedy, repair
from sitecircle.engines.heuristic import heuristic_solve
from sitecircle.engines.localsearch import local_search, perturb
from sitecircle.engines.result import EngineResult
from sitecircle.engines.search import Search, tolerance
from sitecircle.engines.structure import decode
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status

_F = NDArray[np.float64]
_B = NDArray[np.bool_]
#: Free columns (after reduced-cost fixing) up to which the restricted compact MIP is run.
KERNEL_EXACT_COLUMNS = 1_500
#: Ends of the phases as shares of the time limit: heuristic, LP, LP-guided search, integer.
SHARES = (0.25, 0.5, 0.75, 0.97)
#: Under a time limit, models with more nonzeros skip the LP phase (measured at 200k × 10k × 4,
#: 24M nonzeros: one master LP took 17-48 s) and get the heuristic with its Lagrangian bound.
LP_PHASE_MAX_NONZEROS = 5_000_000
#: Models with more nonzeros get the heuristic's Lagrangian bound too (a bound before the first
#: master LP is solved).
LAGRANGIAN_NONZEROS = 1_000_000
#: Perturbation rounds without improvement after which the warm-start heuristic stops.
HEURISTIC_PATIENCE = 10
#: Master columns up to which the integer phase iterates the master MIP (few sites, many rows:
#: Cordeau, Furini & Ljubić's regime) instead of the restricted compact MIP.
MASTER_MIP_COLUMNS = 150
#: Perturbation rounds without improvement after which the LP-guided search stops (when an
#: exact integer phase follows or there is no time limit; otherwise it uses its whole share).
LP_SEARCH_PATIENCE = 30

__all__ = ["UnsupportedModel", "benders_solve"]


def _result(
    status: Status, values: _F | None, objective: float | None, bound: float | None,
    seconds: float, log: list[dict[str, Any]], message: str,
) -> EngineResult:
    return EngineResult(status=status, values=values, objective=objective, bound=bound,
                        native_status=message or status.value, engine="benders",
                        solve_seconds=seconds, extra={"phases": log})


def _integral(model: LinearModel) -> bool:
    data = np.concatenate([model.c, [model.offset]])
    return bool(np.all(data == np.round(data)))


def _better(dec: Decomposition, a: float, b: float) -> bool:
    return a > b if dec.maximise else a < b


def _tighter(dec: Decomposition, *bounds: float | None) -> float | None:
    known = [b for b in bounds if b is not None and np.isfinite(b)]
    if not known:
        return None
    return min(known) if dec.maximise else max(known)


def _closed(objective: float, bound: float | None, gap: float, step: float) -> bool:
    if bound is None:
        return False
    slack = abs(bound - objective)
    return slack <= max(gap * abs(objective), tolerance(objective)) or (step >= 1 and slack < step)


def benders_solve(
    model: LinearModel, *, time_limit_s: float | None = None, gap: float = 0.0, seed: int = 0,
    threads: int | None = None, kernel_exact_columns: int = KERNEL_EXACT_COLUMNS,
    rows_per_group: int | None = None,
) -> EngineResult:
    """Solve a coverage model by Benders decomposition (module docstring).

    Parameters
    ----------
    model
        A ``max_coverage`` or target-share ``min_cost`` model from
        :func:`~sitecircle.model.build.build_model`.
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
    EngineResult
        Status, values, objective, bound; ``native_status`` says what decided the status,
        ``extra["phases"]`` holds one record per phase. ``optimal`` when the bound meets the
        objective within the gap, else ``feasible``; ``no_solution`` when no feasible point was
        found.

    Raises
    ------
    UnsupportedModel
        For models whose coverage variables cannot be projected (``max_complete``, full-cover
        ``min_cost``).
    """

    if model.capacitated:
        msg = ("the benders engine does not handle capacities (categories[].capacity, "
               "categories[].min_load, sites[].capacity, existing[].capacity); use the default "
               "engine or --backend pulp")
        raise UnsupportedModel(msg)
    start = time.perf_counter()

    def deadline(share: float) -> float:
        return float("inf") if time_limit_s is None else start + share * time_limit_s

    log: list[dict[str, Any]] = []
    if time_limit_s is not None and model.A.nnz > LP_PHASE_MAX_NONZEROS:
        return _heuristic_only(model, time_limit_s, gap, seed, start, log, threads)
    if rows_per_group is None:
        rows_per_group = int(np.clip(model.row_blocks["cover"].stop // 40, 20, 200)) \
            if "cover" in model.row_blocks else 50
    t = time.perf_counter()
    dec = decompose(model, rows_per_group=rows_per_group, seed=seed)
    log.append({"phase": "decompose", "seconds": round(time.perf_counter() - t, 3),
                "groups": dec.n_groups, "master_columns": dec.n_master})
    t = time.perf_counter()
    h_limit = None if time_limit_s is None else SHARES[0] * time_limit_s
    # The Lagrangian bound is worth its time only where the master LP is slow.
    lagrangian = model.A.nnz > LAGRANGIAN_NONZEROS or dec.n_master > kernel_exact_columns
    found = heuristic_solve(model, time_limit_s=h_limit, seed=seed,
                            bound="lagrangian" if lagrangian else "none",
                            patience=HEURISTIC_PATIENCE, threads=threads)
    log.append({"phase": "heuristic", "seconds": round(time.perf_counter() - t, 3),
                "objective": found.objective, "bound": found.bound})
    step = 1.0 if _integral(model) else 0.0
    incumbent = found.values[dec.master_cols] if found.values is not None else None
    best = found.objective if found.values is not None else None
    bound = found.bound
    if best is not None and _closed(best, bound, gap, step):
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
    if master.iterations and not _tree_regime(dec, master) and (
            best is None or not _closed(best, bound, gap, step)):
        t = time.perf_counter()
        exact_next = _exact_possible(dec, master, best, step, kernel_exact_columns)
        found_x = lp_guided_search(dec, master.x, seed=seed, stop_at=bound, patience=(
            LP_SEARCH_PATIENCE if time_limit_s is None or exact_next else 1 << 30),
            deadline=deadline(SHARES[2]), incumbent=incumbent)
        value = None if found_x is None else objective_of(dec, found_x)
        log.append({"phase": "lp_guided_search", "seconds": round(time.perf_counter() - t, 3),
                    "objective": value})
        if value is not None and (best is None or _better(dec, value, best)):
            incumbent, best = found_x, value
        if incumbent is not None and time_limit_s is not None and not _exact_possible(
                dec, master, best, step, kernel_exact_columns):
            # No exact phase can follow: the search continues from the incumbent instead.
            t = time.perf_counter()
            again = lp_guided_search(dec, incumbent, seed=seed + 1, stop_at=bound,
                                     patience=1 << 30, deadline=deadline(SHARES[3]))
            value = None if again is None else objective_of(dec, again)
            log.append({"phase": "incumbent_search",
                        "seconds": round(time.perf_counter() - t, 3), "objective": value})
            if value is not None and _better(dec, value, best):  # type: ignore[arg-type]
                incumbent, best = again, value
    if best is None or not _closed(best, bound, gap, step):
        incumbent, best, bound, infeasible = _integer_phase(
            dec, master, incumbent, best, bound, gap, step, deadline(SHARES[3]), threads,
            kernel_exact_columns, log)
        if infeasible:
            return _result(Status.INFEASIBLE, None, None, None,
                           time.perf_counter() - start, log,
                           "the compact MIP over every column is infeasible")
    return _finish(dec, incumbent, best, bound, gap, step, start, log, "")


def _tree_regime(dec: Decomposition, master: MasterResult) -> bool:
    """Whether the integer phase is branch and cut on the master (few master columns)."""
    return master.highs is not None and dec.n_master <= MASTER_MIP_COLUMNS and dec.n_groups > 0


def _exact_possible(dec: Decomposition, master: MasterResult, best: float | None, step: float,
                    limit: int) -> bool:
    """Whether reduced-cost fixing against ``best`` leaves at most ``limit`` columns free."""
    if best is None:
        return False
    fix0, fix1 = reduced_cost_fixing(dec, master, best, step)
    return int((~(fix0 | fix1)).sum()) <= limit


def _heuristic_only(
    model: LinearModel, time_limit_s: float, gap: float, seed: int, start: float,
    log: list[dict[str, Any]], threads: int | None = None,
) -> EngineResult:
    """Models too large for the master LP within a time limit: the heuristic and its bound."""

    dec = decompose(model, rows_per_group=None)
    t = time.perf_counter()
    left = max(time_limit_s - (t - start), 0.01)
    found = heuristic_solve(model, time_limit_s=left, seed=seed, bound="lagrangian",
                            threads=threads)
    log.append({"phase": "heuristic", "seconds": round(time.perf_counter() - t, 3),
                "objective": found.objective, "bound": found.bound,
                "note": f"{model.A.nnz:,} nonzeros: above {LP_PHASE_MAX_NONZEROS:,}, the master "
                        "LP is not expected to converge within the time limit"})
    x = None if found.values is None else found.values[dec.master_cols]
    step = 1.0 if _integral(model) else 0.0
    return _finish(dec, x, found.objective, found.bound, gap, step, start, log,
                   "heuristic with Lagrangian bound (model too large for the LP phase)")


def _integer_phase(
    dec: Decomposition, master: MasterResult, incumbent: _F | None, best: float | None,
    bound: float | None, gap: float, step: float, end: float, threads: int | None,
    kernel_exact_columns: int, log: list[dict[str, Any]],
) -> tuple[_F | None, float | None, float | None, bool]:
    """Kernel MIP, reduced-cost fixing, then the restricted compact MIP (module docstring).

    Returns the incumbent, its objective, the bound and whether infeasibility was proved.
    """
    if _tree_regime(dec, master):
        t = time.perf_counter()
        found = branch_and_cut(dec, master, incumbent, best, deadline=end, gap=gap, step=step)
        log.append({"phase": "branch_and_cut", "seconds": round(time.perf_counter() - t, 3),
                    **{k: v for k, v in found.items() if k != "x"}})
        if found["x"] is not None and (best is None or _better(dec, found["objective"], best)):
            incumbent, best = found["x"], float(found["objective"])
        return incumbent, best, _tighter(dec, bound, found["bound"]), False
    if master.iterations and best is not None:
        fix0, ones = reduced_cost_fixing(dec, master, best, step)
        free = ~(fix0 | ones)
    else:
        free, ones = np.ones(dec.n_master, dtype=bool), np.zeros(dec.n_master, dtype=bool)
    if int(free.sum()) > kernel_exact_columns:
        log.append({"phase": "mip", "skipped": f"{int(free.sum())} columns left free after "
                    f"reduced-cost fixing (more than {kernel_exact_columns})"})
        return incumbent, best, bound, False
    incumbent, best, inner, status = _run_mip(
        dec, free, ones, incumbent, best, end - time.perf_counter(), gap, threads, log)
    if status == "Infeasible" and best is None:
        return incumbent, best, bound, True
    if best is not None:
        if status == "Optimal":
            bound = _tighter(dec, bound, best)
        elif inner is not None:
            # Solutions outside the restricted MIP are no better than the incumbent.
            tiny = 0.0 if step else tolerance(best)
            outside = best + tiny if dec.maximise else best - tiny
            bound = _tighter(dec, bound, max(inner, outside) if dec.maximise
                             else min(inner, outside))
    return incumbent, best, bound, False


def _run_mip(
    dec: Decomposition, free: _B, ones: _B, incumbent: _F | None, best: float | None,
    seconds: float, gap: float, threads: int | None, log: list[dict[str, Any]],
) -> tuple[_F | None, float | None, float | None, str]:
    record: dict[str, Any] = {"phase": "mip_exact", "free_columns": int(free.sum()),
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


def lp_guided_search(
    dec: Decomposition, x_lp: _F, *, deadline: float, seed: int, stop_at: float | None,
    patience: int = LP_SEARCH_PATIENCE, incumbent: _F | None = None,
) -> _F | None:
    """The heuristic's local search and perturbation started from the LP point.

    Columns are opened by decreasing LP value while they fit the limits, the greedy completes
    the solution (``min_cost``: with its repair step), then the interchange local search and
    the perturbation phase of :mod:`sitecircle.engines.heuristic` improve it.

    Parameters
    ----------
    dec
        The decomposition.
    x_lp
        LP values of the master columns.
    deadline
        ``time.perf_counter()`` value at which to stop.
    seed
        Seed of the perturbation.
    stop_at
        Stop when the objective reaches this bound.
    patience
        Perturbation rounds without improvement before stopping.
    incumbent
        Best master point known: half-way through the perturbation, the search moves to it when
        it is better than the LP-started search's best.

    Returns
    -------
    ndarray or None
        A feasible master point, or None.
    """

    st = decode(dec.model)
    s = Search(st)
    lp_x = x_lp[:st.n_x]
    order = np.argsort(-lp_x, kind="stable")
    for j in order[lp_x[order] > 1e-6].tolist():
        if s.fits(np.array([j]))[0]:
            s.add(j)
    greedy(s, mode="ratio", deadline=deadline)
    if not s.feasible():
        repair(s, mode="ratio", deadline=deadline, max_steps=2 * st.n_rows + 10)
    if not s.feasible():
        return None
    s.start_bookkeeping()
    local_search(s, deadline=deadline)
    rng = np.random.default_rng(seed)
    middle = deadline if incumbent is None or not np.isfinite(deadline) else (
        time.perf_counter() + 0.5 * (deadline - time.perf_counter()))
    perturb(s, rng, deadline=middle, patience=patience, max_rounds=1 << 30, stop_at=stop_at)
    if incumbent is not None and _better(dec, objective_of(dec, incumbent),
                                         objective_of(dec, s.values()[dec.master_cols])):
        s.restore(incumbent[:st.n_x] > 0.5)
    if middle < deadline:
        perturb(s, rng, deadline=deadline, patience=patience, max_rounds=1 << 30,
                stop_at=stop_at)
    values = s.values()
    return values[dec.master_cols]


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
    return fixable(master.reduced_cost, master.x, master.bound, incumbent, dec.maximise, step)


def _finish(
    dec: Decomposition, x: _F | None, objective: float | None, bound: float | None, gap: float,
    step: float, start: float, log: list[dict[str, Any]], why: str,
) -> EngineResult:
    seconds = time.perf_counter() - start
    if x is None or objective is None:
        return _result(Status.NO_SOLUTION, None, None, bound, seconds, log,
                       "no feasible solution found")
    values = dec.full_values(x)
    objective = dec.model.objective_value(values)
    if bound is not None:
        # a bound can never be worse than a solution that exists
        bound = max(bound, objective) if dec.maximise else min(bound, objective)
        if step >= 1:
            bound = float(np.floor(bound + 1e-6) if dec.maximise else np.ceil(bound - 1e-6))
    closed = _closed(objective, bound, gap, step)
    status = Status.OPTIMAL if closed else Status.FEASIBLE
    if closed and step >= 1 and bound is not None and abs(bound - objective) < 1:
        bound = objective
    message = why or ("bound meets the objective" if closed else "gap left open")
    return _result(status, values, objective, bound, seconds, log, message)
