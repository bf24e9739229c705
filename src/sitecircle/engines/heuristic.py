r"""A fast primal heuristic for every objective and limit, working on the reduced model.

:func:`heuristic_solve` takes the solver-neutral :class:`~sitecircle.model.linear.LinearModel`
(already
reduced by :func:`~sitecircle.model.build.build_model`) and returns a full variable vector that is
feasible for it, with a Lagrangian bound (:mod:`sitecircle.engines.bounds`) so the answer carries an
honest gap. Phases, each recorded in ``phase_log``:

1. **Greedy.** Lazy greedy with a priority queue: a column's score is only re-evaluated when it
   reaches the top (valid because gains only fall as coverage grows; columns whose score can
   rise — other categories of a site whose open cost has just been paid, communities of
   ``max_complete`` closer to completion — are re-queued). ``max_*``: marginal objective per
   unit of budget; with a budget also with site open costs spread over the site's columns, and
   by gain alone (the best run is kept; Khuller et al.'s safeguard for budgeted coverage).
   ``max_complete``: the score of a column is :math:`\sum v_g/\text{missing}_g` over the
   uncovered rows it covers, so communities near completion weigh more (the exact gain, which is
   zero until the last category arrives, is used by the local search). ``min_cost``: Chvátal's
   set-cover greedy, cost per newly covered row (full cover) or per unit of still-needed demand
   (target share). All limits are respected (budget incl. site open cost when a site is first
   used, ``max_new`` total/per category, ``max_categories``).
2. **Local search.** Teitz–Bart interchange: for each open column, the best closed column to
   swap in, evaluated for *all* candidates at once from incrementally maintained ``gain`` and
   ``loss`` arrays plus the rows the removal uncovers (see :mod:`sitecircle.engines.search`);
   applied
   when it improves. ``min_cost`` also drops redundant columns (most expensive first) and swaps
   to cheaper columns that keep every row/target covered. Repeated until no improving move.
   ``min_cost`` models whose greedy ends infeasible because of limits get a repair step first
   (cover a missed row, closing the columns that block it).
3. **Bound and Lagrangian heuristic** (:mod:`sitecircle.engines.bounds`): subgradient on the
Lagrangian
   of the cover rows; after 10, 20, 40, ... iterations and at the best multipliers, the columns
   the relaxed subproblem takes (best Lagrangian profit first) seed a new solution, completed by
   the greedy and improved by the local search, kept when better. With ``"auto"``/``"lp"`` the
   LP relaxation (small models) gives a bound and its rounded solution is tried the same way.
   A plain MCLP (see 4.) gets the LP only when it is cheap (no time-limited attempt on larger
   models): relaxing its cover rows leaves a problem with integral LP, so the Lagrangian dual
   equals the LP bound, but the subgradient stops short of it (Kings p = 60: 2,267,308 against
   the LP's 2,255,707); the LP is solved by the interior point (:mod:`sitecircle.engines.lp_dual`,
   1.0 s on the 10k x 1k BDS MCLP against 18.6 s for the simplex).
   The bound phases also keep a floor under the Lagrangian bound
   (:mod:`sitecircle.engines.floor`, ``floor`` in ``phase_log``): the part of the gap that is
   the LP relaxation's own.
4. **Perturbation** (iterated local search, :mod:`sitecircle.engines.localsearch`): close a few
random
   open columns or a cluster of neighbouring ones, or force in a closed column near an open one
   (``max_complete``: or open the columns completing one community), refill at random among the
   five best candidates, re-run the local search around the change; accept by the threshold
   rule of Máximo, Cordeau & Nascimento's AILS. A plain MCLP (``max_coverage``, at most ``p``
   sites, no open costs) uses the swap-array search of :mod:`sitecircle.engines.swap` instead
   (every swap's profit kept in a ``p × n`` array; adaptive perturbation degree, elite pool,
   path relinking and a final restricted sub-MIP over the elite pool), until 90 % of the
   limit. Stops after ``patience`` rounds without improvement, on the time limit, or when the
   objective meets the bound; then the bound is refined once more from the last multipliers.
   Under a time limit a plain MCLP's search also runs on the other cores
   (:mod:`sitecircle.engines.swap_parallel`, ``threads``): helpers forked after phase 2 search
   from the same plan with other seeds until 95 % of the limit, while this process runs
   phases 3, 4 and the final bound; the best plan is kept (``helpers`` in ``phase_log``).

The returned vector is checked against the model arrays (rows, bounds, integrality); a violation
raises :class:`~sitecircle.errors.SolveError` (a bug guard). Runs are deterministic for a seed
unless the time limit cuts a phase short (with helpers too: each helper's stream is fixed by
``seed`` and its index, and ties go to this process's plan); with ``threads=1`` a run is the
single-process run bit for bit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.bounds import FINAL_PATIENCE, PATIENCE, best_bound
from sitecircle.engines.capacity_rounding import capacitated_rounding, rounding_fits
from sitecircle.engines.floor import LagrangianFloor
from sitecircle.engines.greedy import greedy, greedy_modes, rank_cost, ratio_key, repair
from sitecircle.engines.localsearch import local_search, perturb
from sitecircle.engines.result import EngineResult
from sitecircle.engines.search import Search, improves, tolerance
from sitecircle.engines.structure import Structure, decode
from sitecircle.engines.swap import swap_ils, swap_limit
from sitecircle.engines.swap_parallel import HELPER_SHARE, Helpers, describe
from sitecircle.errors import SolveError
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.stopping import past

_F = NDArray[np.float64]
_I = NDArray[np.int64]
#: Tolerance of the final feasibility check (relative to each row's bound).
CHECK_TOLERANCE = 1e-9
BoundMethod = Literal["auto", "lagrangian", "lp", "none"]
#: Models with more nonzeros than this (far beyond the LP's reach) end the perturbation at 55 %
#: of a time limit instead of 75 %, and the final bound runs to its deadline with no iteration
#: cap (restarted from its best multipliers while that helps): there one subgradient step costs
#: ~0.1 s and the gap is the bound's, not the objective's.
HEAVY_NONZEROS = 5_000_000


class _Clock:
    def __init__(self, limit: float | None) -> None:
        self.start = time.perf_counter()
        self.limit = limit

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def deadline(self, share: float) -> float:
        return float("inf") if self.limit is None else self.start + share * self.limit

    def now(self) -> float:
        return time.perf_counter()



def lagrangian_primal(
    s: Search, deadline: float, counter: dict[str, int]
) -> Callable[[_F, _I], float | None]:
    """A Lagrangian heuristic for :func:`sitecircle.engines.bounds.lagrangian`.

    From the relaxed subproblem's columns (best Lagrangian profit or reduced cost first), open
    those that fit, complete with the greedy, and, when that beats ``s``, move ``s`` there and
    re-run the local search. Returns the objective of ``s``.
    """
    st = s.st

    def build(profit: _F, support: _I) -> float | None:
        if past(deadline):
            return None
        trial = Search(st)
        if st.kind == "max":
            key = ratio_key(profit[support], rank_cost(trial, support, "ratio"))
            order = support[np.argsort(-key, kind="stable")]
        else:
            order = support[np.argsort(profit[support], kind="stable")]
        for j in order.tolist():
            if trial.fits(np.array([j]))[0]:
                trial.add(j)
        greedy(trial, mode="ratio", deadline=deadline)
        if trial.feasible() and improves(st, trial.objective(), s.objective()):
            s.restore(trial.is_open)
            local_search(s, deadline=deadline)
            counter["improvements"] += 1
        counter["calls"] += 1
        return s.objective() if s.feasible() else None

    return build


# ---------------------------------------------------------------------------- checks and API
def check_values(model: LinearModel, values: _F) -> list[str]:
    """Violations of a variable vector against the model arrays (empty when feasible).

    Parameters
    ----------
    model
        The model.
    values
        Full variable vector.

    Returns
    -------
    list of str
        Broken rows, bounds or integrality, at most five of each kind.
    """
    out: list[str] = []
    if values.shape != (model.n_vars,):
        return [f"vector has shape {values.shape}, the model has {model.n_vars} variables"]
    act = model.A @ values
    lo, hi = model.row_lower, model.row_upper
    tol_lo = CHECK_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isfinite(lo), lo, 0.0)))
    tol_hi = CHECK_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isfinite(hi), hi, 0.0)))
    bad = np.flatnonzero((act < lo - tol_lo) | (act > hi + tol_hi))
    for i in bad[:5].tolist():
        name = next((n for n, sl in model.row_blocks.items() if sl.start <= i < sl.stop), "?")
        out.append(f"row {i} ({name}): {act[i]:.10g} not in [{lo[i]:g}, {hi[i]:g}]")
    bad_col = np.flatnonzero((values < model.col_lower - CHECK_TOLERANCE)
                             | (values > model.col_upper + CHECK_TOLERANCE))
    out += [f"variable {i} = {values[i]:g} outside its bounds" for i in bad_col[:5]]
    frac = np.flatnonzero(model.integrality & (np.abs(values - np.round(values)) > 0))
    out += [f"integer variable {i} = {values[i]:g}" for i in frac[:5]]
    return out


def _log(log: list[dict[str, Any]], phase: str, t0: float, s: Search, **extra: Any) -> None:
    log.append({"phase": phase, "seconds": round(time.perf_counter() - t0, 4),
                "objective": s.objective() if s.feasible() else None, **extra})


def _floor(floor: LagrangianFloor | None) -> dict[str, float]:
    """``{"floor": value}`` once the Lagrangian floor has one (:mod:`sitecircle.engines.floor`)."""
    if floor is None or not np.isfinite(floor.value):
        return {}
    return {"floor": float(floor.value)}


def _capacitated(model: LinearModel, time_limit_s: float | None) -> EngineResult:
    """A capacitated model: :func:`~sitecircle.engines.capacity_rounding.capacitated_rounding`."""
    found = capacitated_rounding(model, time_limit_s)
    if found.values is None:
        return EngineResult(status=Status.NO_SOLUTION, values=None, objective=None,
                            bound=found.bound, native_status=found.message or "no_solution",
                            engine="heuristic", solve_seconds=found.seconds,
                            extra={"iterations": 0, "phase_log": []})
    result = EngineResult(status=Status.FEASIBLE, values=found.values, objective=found.objective,
                          bound=found.bound, native_status=found.message or "feasible",
                          engine="heuristic", solve_seconds=found.seconds,
                          extra={"iterations": 0, "phase_log": []})
    if result.gap == 0.0:
        result = dataclasses.replace(result, status=Status.OPTIMAL)
    return result


def plain_mclp(model: LinearModel) -> bool:
    """True when ``model`` is a plain MCLP (at most p columns, one count row, no open costs), the
    case the swap-array search of :mod:`sitecircle.engines.swap` handles."""
    if model.capacitated or model.sense != "max":
        return False
    try:
        return swap_limit(decode(model)) is not None
    except NotImplementedError:  # a structure the heuristic does not take
        return False


def heuristic_fits(model: LinearModel) -> bool:
    """True when :func:`heuristic_solve` takes ``model`` (capacities: ``max_coverage`` only)."""
    return not model.capacitated or rounding_fits(model)


def heuristic_solve(
    model: LinearModel,
    *,
    time_limit_s: float | None = None,
    seed: int = 0,
    max_swaps: int | None = None,
    bound: BoundMethod = "auto",
    patience: int | None = None,
    max_rounds: int | None = None,
    threads: int | None = None,
) -> EngineResult:
    """Find a good feasible solution of the model quickly, with a bound (module docstring).

    Parameters
    ----------
    model
        A model from :func:`~sitecircle.model.build.build_model` (any objective and limits).
    time_limit_s
        Wall-clock limit in seconds (None: run every phase to its own stopping rule). With a
        limit, the phases end at these shares of it: greedy 40 %, local search 50 %, bound and
        Lagrangian heuristic 60 %, perturbation 75 % (plain MCLP: 90 %; 55 % for models with
        more than :data:`HEAVY_NONZEROS` nonzeros), final bound 97 %.
    seed
        Seed of the perturbation phase.
    max_swaps
        Cap on the local-search moves after the greedy (None: until no move improves).
    bound
        ``"lagrangian"``, ``"lp"`` (HiGHS LP relaxation), ``"auto"`` (Lagrangian, then the LP
        when the gap is still open and the model is small) or ``"none"``.
    patience
        Perturbation rounds without improvement before stopping (None: 100 without a time
        limit, unlimited with one, so the phase uses its share of the time).
    max_rounds
        Cap on perturbation rounds (0 disables the phase; None: 1000 without a time limit,
        unlimited with one).
    threads
        Search processes of a plain MCLP under a time limit
        (:func:`~sitecircle.engines.swap_parallel.search_workers`: None → two where two CPUs
        are usable and idle; 1: this process alone, as without a time limit). Helpers are
        forked after the local search (:mod:`sitecircle.engines.swap_parallel`).

    Returns
    -------
    EngineResult
        Status, values, objective, bound; ``native_status`` says what stopped the search (or
        why there is no solution), ``solve_seconds`` the wall time, ``extra`` holds
        ``iterations`` (improving moves after the greedy) and ``phase_log`` (one record per
        phase: ``phase``, ``seconds``, ``objective`` and phase details). Status ``optimal``
        when the bound meets the objective, ``feasible`` otherwise, ``no_solution`` when the
        greedy could not satisfy a ``min_cost`` model within its limits.

    Raises
    ------
    SolveError
        If the vector found violates the model (a bug in the heuristic).
    NotImplementedError
        If the model's structure is not the one :func:`~sitecircle.model.build.build_model` writes.
    """

    clock = _Clock(time_limit_s)
    log: list[dict[str, Any]] = []
    t = clock.now()
    if model.capacitated:  # LP relaxation, rounding and a transportation LP
        return _capacitated(model, time_limit_s)
    st = decode(model)
    p = swap_limit(st)  # a plain MCLP (phases 3 and 4)
    s = Search(st)
    log.append({"phase": "decode", "seconds": round(clock.now() - t, 4), "rows": st.n_rows,
                "columns": st.n_x, "nonzeros": len(st.col_rows)})

    t = clock.now()
    runs = []
    for mode in greedy_modes(st):
        trial = Search(st)
        greedy(trial, mode=mode, deadline=clock.deadline(0.4))
        runs.append((mode, trial))
        if past(clock.deadline(0.3)):
            break
    feasible = [r for r in runs if r[1].feasible()]
    if feasible:
        best_mode, s = feasible[0]
        for mode, trial in feasible[1:]:
            if improves(st, trial.objective(), s.objective()):
                best_mode, s = mode, trial
    else:
        best_mode, s = runs[0]
        repair(s, mode=best_mode, deadline=clock.deadline(0.45), max_steps=2 * st.n_rows + 10)
    _log(log, "greedy", t, s, open=int(s.is_open.sum()), mode=best_mode,
         tried=[m for m, _ in runs])
    if not s.feasible():
        msg = ("the greedy could not meet the coverage requirements within the limits (budget, "
               "max_new, max_categories); this does not prove the model infeasible: try an "
               "exact engine")
        return _result(Status.NO_SOLUTION, None, None, None, clock.elapsed(), 0, log, msg)

    t = clock.now()
    s.start_bookkeeping()
    moves = local_search(s, deadline=clock.deadline(0.5), max_moves=max_swaps)
    _log(log, "local_search", t, s, moves=moves)

    if max_rounds is None:
        max_rounds = 1000 if time_limit_s is None else 1 << 30
    if patience is None:
        patience = 100 if time_limit_s is None else max_rounds
    helpers = Helpers()
    if (p is not None and time_limit_s is not None and max_rounds > 0
            and (max_swaps is None or moves < max_swaps)):
        helpers = Helpers.start(s, p=p, seed=seed, threads=threads,
                                deadline=clock.deadline(HELPER_SHARE), patience=patience,
                                max_rounds=max_rounds)
        if helpers.refused is not None:
            log.append({"phase": "helpers", "seconds": 0.0, "refused": helpers.refused})
    try:
        return _bound_and_search(model, st, s, p, clock, log, helpers, moves=moves,
                                 bound=bound, seed=seed, patience=patience,
                                 max_rounds=max_rounds, max_swaps=max_swaps)
    finally:
        helpers.cancel()


def _bound_and_search(
    model: LinearModel, st: Structure, s: Search, p: int | None, clock: _Clock,
    log: list[dict[str, Any]], helpers: Helpers, *, moves: int, bound: BoundMethod, seed: int,
    patience: int, max_rounds: int, max_swaps: int | None,
) -> EngineResult:
    """Phases 3 and 4 of :func:`heuristic_solve`, the final bound and the check."""
    time_limit_s = clock.limit

    bound_value: float | None = None
    multipliers: _F | None = None
    counter = {"calls": 0, "improvements": 0}
    # Subgradient iterations per bound phase: more when they are cheap.
    iterations = int(np.clip(2e8 / max(len(st.col_rows), 1), 150, 2000))
    heavy = time_limit_s is not None and len(st.col_rows) > HEAVY_NONZEROS
    floor = LagrangianFloor(st) if st.kind == "max" else None
    if bound != "none":
        t = clock.now()
        bound_value, multipliers = best_bound(
            st, s, method=bound, deadline=clock.deadline(0.6), start=None, iterations=iterations,
            primal=lagrangian_primal(s, clock.deadline(0.6), counter),
            lp_time_limit=None if time_limit_s is None or p is not None else 0.2 * time_limit_s,
            floor=floor)
        _log(log, "bound", t, s, bound=bound_value, **_floor(floor), **counter)
        moves += counter["improvements"]

    rounds = 0
    if max_rounds > 0 and (max_swaps is None or moves < max_swaps):
        t = clock.now()
        ils = perturb if p is None else partial(swap_ils, p=p, adopt_from=helpers.board)
        share = 0.55 if heavy else (0.75 if p is None else 0.9)
        rounds, kept = ils(s, np.random.default_rng(seed), deadline=clock.deadline(share),
                           patience=patience, max_rounds=max_rounds, stop_at=bound_value)
        moves += kept
        _log(log, "perturb", t, s, rounds=rounds, improvements=kept)

    if bound in ("auto", "lagrangian") and not _proves(bound_value, s.objective()):
        t = clock.now()
        counter = {"calls": 0, "improvements": 0}
        restarts = 0
        # Light models under a time limit: the phase has its time to itself, so a patient step
        # rule (more iterations, no earlier end) takes the bound closer to the LP.
        patient = time_limit_s is not None and not heavy
        while True:  # heavy models: restart the step size while time is left and it helps
            again, multipliers = best_bound(
                st, s, method="lagrangian", deadline=clock.deadline(0.97), start=multipliers,
                iterations=1 << 30 if heavy else (10 if patient else 1) * iterations,
                primal=lagrangian_primal(s, clock.deadline(0.9), counter), floor=floor,
                patience=FINAL_PATIENCE if patient else PATIENCE)
            better = again is not None and (
                bound_value is None or improves(st, bound_value, again))
            if better:
                bound_value = again
            if not (heavy and better and not past(clock.deadline(0.9))):
                break
            restarts += 1
        moves += counter["improvements"]
        _log(log, "bound", t, s, bound=bound_value, restarts=restarts, **_floor(floor),
             **counter)

    note = ""
    if helpers.started:
        t = clock.now()
        if _proves(bound_value, s.objective()):
            helpers.cancel()  # optimal already: no helper can do better
            note = f", {len(helpers.started)} helper(s) ended early"
        else:
            told = helpers.collect(s, max(clock.deadline(0.99) - clock.now(), 0.5))
            _log(log, "helpers", t, s, helpers=told)
            note = describe(told)
    values = s.values()
    problems = check_values(model, values)
    if problems:
        msg = "heuristic produced an infeasible vector (a bug): " + "; ".join(problems[:5])
        raise SolveError(msg)
    objective = model.objective_value(values)
    status = Status.OPTIMAL if _proves(bound_value, objective) else Status.FEASIBLE
    return _result(status, values, objective, bound_value, clock.elapsed(), moves, log,
                   f"{rounds} perturbation rounds{note}")


def _proves(bound: float | None, objective: float) -> bool:
    """Whether ``bound`` meets ``objective`` (within :func:`tolerance`): the plan is optimal."""
    return bound is not None and abs(bound - objective) <= tolerance(objective)


def _result(
    status: Status, values: _F | None, objective: float | None, bound: float | None,
    seconds: float, iterations: int, log: list[dict[str, Any]], message: str,
) -> EngineResult:
    return EngineResult(status=status, values=values, objective=objective, bound=bound,
                        native_status=message or status.value, engine="heuristic",
                        solve_seconds=seconds,
                        extra={"iterations": iterations, "phase_log": log})
