r"""The first stage without a time limit: a heuristic head start that the LP bound may prove.

A plain MCLP often has a plan the heuristic finds in a second and that the LP relaxation's safe
bound (:func:`~sitecircle.backends.lp_bound.lp_bound`, Glop, in this process) proves optimal,
while an exact engine may take minutes to prove the same: on the single-category 2,000 × 500
MCLP with ``p = 50`` (24,294 nonzeros; 49 sites cover every community) the LP bound is the
ceiling (every community covered) in 0.15 s, the heuristic's swap search reaches it in about
1.1 s, and SCIP needs 120 s to prove it (OR-Tools' HiGHS 6.8 s). So, for a model that is
neither small (:func:`~sitecircle.solving.choice.is_small`: the exact engine is fast there and
the demo district must stay below a second) nor beyond the LP check
(:data:`~sitecircle.solving.stages.LP_CHECK_MAX_NONZEROS`), and whose engine was not named:

1. the heuristic runs here for :data:`HEAD_START_FIRST_S`, and again for the whole
   :func:`head_start_seconds` when its plan is within :data:`HEAD_START_CONTINUE_GAP` of the LP
   bound (Lagrangian bound only inside the heuristic: an LP bound through ``highspy`` would
   start HiGHS' thread pool in this process, which a forked solver process cannot use; a plain
   MCLP's swap search stops by itself when every row is covered);
2. its plan is optimal when its own bound or the LP bound proves it
   (:func:`~sitecircle.backends.lp_bound.proves`, within the requested gap or on the lattice of
   objective values): no exact engine runs, and the answer is ``optimal`` with that bound;
3. otherwise the exact engine solves the model with the plan as its warm start (engines that
   take one: SCIP) and its value as the cutoff (HiGHS on ``min`` models); an engine that proves
   nothing better exists (``infeasible`` under the cutoff) leaves the plan, optimal, and
   :func:`best_of` keeps the plan when the engine's is worse.

Measured on the same MCLP with ``p = 25`` (the LP bound 2,380,535 is 0.6 % above the optimum
2,366,093, so step 3 always runs): the head start costs 0.5 s plus the LP bound and gives SCIP
a plan 0.15 % short of the optimum (side by side, SCIP from scratch 15.8 s, from the plan
12.8 s).

:func:`single_stage_view` is the other first-stage rule here: ``"then": []`` asks for no stage
after the first, the same as a single-stage objective, so the instance is checked and solved
like one (the reduced model, every engine) instead of as a staged planning model.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from sitecircle.backends.base import BackendResult, SolveOptions
from sitecircle.backends.lp_bound import lp_bound
from sitecircle.engines.heuristic import heuristic_fits, plain_mclp
from sitecircle.instance.data import Instance
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.solving.choice import is_small
from sitecircle.solving.stages import LP_CHECK_MAX_NONZEROS, LP_CHECK_MAX_S, Runner, run_from
from sitecircle.solving.warm import proved_plan, quick_heuristic

__all__ = ["best_of", "head_start_fits", "head_start_seconds", "single_stage_view",
           "solve_with_head_start"]

#: The head start gets ``nonzeros × HEAD_START_S_PER_NONZERO`` seconds, clipped to
#: ``[HEAD_START_MIN_S, HEAD_START_MAX_S]`` (the 2,000 × 500 MCLP: 2.4 s, of which the swap
#: search needs about 1.1 s to cover every community; it stops there).
HEAD_START_S_PER_NONZERO, HEAD_START_MIN_S, HEAD_START_MAX_S = 1e-4, 0.5, 3.0
#: The heuristic first runs for at most ``HEAD_START_FIRST_S``; only a plan within
#: ``HEAD_START_CONTINUE_GAP`` (relative) of the LP bound gets the whole head start (the same
#: search again, longer). Measured on the 2,000 × 500 MCLP: after 0.5 s, p = 50 is 0.02 % short
#: of its LP bound (and reaches it at about 1.1 s), p = 25 0.76 % (its optimum is 0.61 % short:
#: no plan can close that gap, so the exact engine starts 1.9 s earlier).
HEAD_START_FIRST_S, HEAD_START_CONTINUE_GAP = 0.5, 1e-3
#: The heuristic's patience on models other than a plain MCLP (whose swap search uses the time).
HEAD_START_PATIENCE = 30


def single_stage_view(instance: Instance) -> Instance:
    """``instance`` with ``"then": []`` read as no ``then`` at all, for the first-stage checks.

    Only for deciding the path (:func:`~sitecircle.solving.stages.needs_planning_model`) and
    the engine check: the instance itself keeps its one stage (``objective.stages``), so no
    default ``min_cost`` stage follows.
    """
    obj = instance.objective
    if obj.then is None or len(obj.then) > 0:
        return instance
    return dataclasses.replace(instance, objective=dataclasses.replace(obj, then=None))


def head_start_fits(model: LinearModel, options: SolveOptions) -> bool:
    """Whether the first stage gets the head start (module docstring): no time limit, a model
    neither small nor beyond the LP check, without capacities, that the heuristic takes."""
    return (options.time_limit_s is None and model.n_vars > 0 and not is_small(model)
            and model.A.nnz <= LP_CHECK_MAX_NONZEROS and not model.capacitated
            and heuristic_fits(model))


def head_start_seconds(model: LinearModel) -> float:
    """The head start's time limit (:data:`HEAD_START_S_PER_NONZERO`)."""
    return float(min(max(model.A.nnz * HEAD_START_S_PER_NONZERO, HEAD_START_MIN_S),
                     HEAD_START_MAX_S))


def solve_with_head_start(
    model: LinearModel, options: SolveOptions, run: Runner,
    say: Callable[[str], None] | None = None,
) -> BackendResult:
    """Solve the first stage: heuristic, LP bound, then the exact engine if still needed.

    Parameters
    ----------
    model
        The first stage's model (:func:`head_start_fits` holds).
    options
        The exact engine's options (no time limit).
    run
        Solves the model with the exact engine (in or out of process).
    say
        Progress callback.

    Returns
    -------
    BackendResult
        The proven plan, the exact engine's answer, or the plan when the engine's is worse;
        ``solve_seconds`` counts the head start and the LP bound too.
    """
    say = say or (lambda _text: None)
    start = time.perf_counter()
    seconds = head_start_seconds(model)
    say(f"heuristic head start (at most {seconds:.1f} s) and the LP bound")
    found = _heuristic(model, options, min(HEAD_START_FIRST_S, seconds))
    if found is None or found.values is None or found.objective is None:
        return run(model, options)
    bound = lp_bound(model, LP_CHECK_MAX_S)
    proved = _proved(model, found, bound, options.mip_gap, start)
    if proved is None and seconds > HEAD_START_FIRST_S and _close(found.objective, bound):
        again = _heuristic(model, options, seconds)  # the same search, longer
        if again is not None and again.objective is not None and again.values is not None and (
                (again.objective - found.objective) * (1 if model.sense == "max" else -1) > 0):
            found = again
            proved = _proved(model, found, bound, options.mip_gap, start)
    if proved is not None:
        return proved
    say("the bound leaves a gap: the exact engine, from the heuristic's plan")
    result = best_of(model, run_from(run, model, options, found.values, bound=bound,
                                     plan="the heuristic's plan"), found)
    return dataclasses.replace(result, solve_seconds=time.perf_counter() - start
                               - result.translate_seconds)


def _heuristic(model: LinearModel, options: SolveOptions, seconds: float
               ) -> BackendResult | None:
    """The heuristic's plan within ``seconds`` (Lagrangian bound only), or None."""
    patience = None if plain_mclp(model) else HEAD_START_PATIENCE
    found = quick_heuristic(model, options, seconds, patience)
    return found if found is not None and found.status.has_solution else None


def _close(value: float, bound: float | None) -> bool:
    """Whether the plan lies within :data:`HEAD_START_CONTINUE_GAP` of the LP bound."""
    return bound is not None and abs(bound - value) <= HEAD_START_CONTINUE_GAP * max(
        1.0, abs(value))


def _proved(model: LinearModel, found: BackendResult, bound: float | None, gap: float,
            start: float) -> BackendResult | None:
    """``found`` as the proven answer when its own bound or the LP bound proves it, else None."""
    proved = proved_plan(model, found, gap, [("its Lagrangian bound", found.bound),
                                             ("the LP bound", bound)])
    return None if proved is None else dataclasses.replace(
        proved, solve_seconds=time.perf_counter() - start)


def best_of(
    model: LinearModel, exact: BackendResult, fallback: BackendResult | None
) -> BackendResult:
    """The exact engine's answer, or the heuristic's when it is better; the tighter bound."""
    if fallback is None or not fallback.status.has_solution or fallback.objective is None:
        return exact
    better = max if model.sense == "max" else min
    bounds = [b for b in (exact.bound, fallback.bound) if b is not None]
    tightest = (min(bounds) if model.sense == "max" else max(bounds)) if bounds else None
    if exact.status is Status.OPTIMAL or exact.status is Status.INFEASIBLE:
        return exact
    if exact.status.has_solution and exact.objective is not None and (
            better(exact.objective, fallback.objective) == exact.objective):
        return dataclasses.replace(exact, bound=tightest)
    native = f"{exact.native_status}; best solution from the warm-start heuristic"
    status = Status.OPTIMAL if fallback.status is Status.OPTIMAL else Status.FEASIBLE
    return dataclasses.replace(exact, status=status, values=fallback.values,
                               objective=fallback.objective, bound=tightest,
                               native_status=native)
