"""The heuristic's head start before an exact engine under a time limit.

Its answer is the fallback if the exact engine finds nothing within the limit, and the warm
start of an engine that takes one (:attr:`~sitecircle.backends.base.Feature.WARM_START`). How
much of the limit it gets depends on the model (the constants below, each with what it was
measured on). When the LP relaxation's safe bound proves its plan optimal (models up to
:data:`~sitecircle.solving.stages.LP_CHECK_MAX_NONZEROS` nonzeros, at most
:data:`~sitecircle.solving.stages.LP_CHECK_SHARE` of the limit), the plan comes back
``optimal`` and, unless the engine was named or the model is small
(:func:`~sitecircle.solving.choice.is_small`), the caller runs no exact engine (without a time
limit the same is done by :mod:`sitecircle.solving.first_stage`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from sitecircle.backends.base import Backend, BackendResult, Feature, SolveOptions
from sitecircle.backends.lp_bound import lp_bound, proves
from sitecircle.backends.own_engines import HEURISTIC, OwnEnginesBackend
from sitecircle.engines.complete_lns import complete_lns
from sitecircle.engines.complete_rounding import complete_rounding
from sitecircle.engines.heuristic import plain_mclp
from sitecircle.errors import BackendCapabilityError, OptionsError, SolveError
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.solving.runner import solver_output
from sitecircle.solving.stages import LP_CHECK_MAX_NONZEROS, LP_CHECK_MAX_S, LP_CHECK_SHARE

#: Under a time limit, the heuristic first gets this share of the remaining time (at most
#: :data:`WARM_START_MAX_S`): its answer is the fallback if the exact engine finds nothing, and
#: an engine that takes a warm start (:attr:`Feature.WARM_START`) starts from it.
WARM_START_SHARE, WARM_START_MAX_S = 0.1, 10.0
#: A ``max_complete`` model with basket rows gets this many heuristic shares more for
#: :func:`~sitecircle.engines.complete_rounding.complete_rounding` and, from its plan, the
#: window search :func:`~sitecircle.engines.complete_lns.complete_lns` (measured on São Paulo
#: centre, budget 400, 60 s limit: the rounding stops after 2-3 s at 96,996, the exact engine
#: found no better plan in the rest of the limit, the window search reaches 100-103k in 25 s).
BASKET_PLAN_SHARES = 5.0
#: A capacitated model's warm start (LP relaxation, rounding, transportation LP) gets this share.
CAPACITY_WARM_START_SHARE = 0.5
#: A plain MCLP of at least this many nonzeros gets this share for its warm start (the swap
#: search), uncapped: on Máximo's Kings p = 60 (741k nonzeros) with 60 s SCIP's bound did not
#: move past the LP bound, while the search's plan improves the longer it runs
#: (benchmarks/results/search.md; Bronx p = 60, 186k nonzeros, the same bound and a better plan).
#: Smaller ones are SCIP's to prove (2,000 × 500, 24k nonzeros: 8-20 s).
PLAIN_MCLP_WARM_START_SHARE, PLAIN_MCLP_MIN_NONZEROS = 0.5, 100_000


def heuristic_options(options: SolveOptions, **heuristic: Any) -> SolveOptions:
    """``options`` for the heuristic engine: no warm start, only the heuristic's own options."""
    return dataclasses.replace(options, engine=HEURISTIC, warm_start=None,
                               backend_options=heuristic)


def quick_heuristic(model: LinearModel, options: SolveOptions, seconds: float,
                    patience: int | None) -> BackendResult | None:
    """The heuristic's answer within ``seconds``, here; None when it refuses the model.

    Lagrangian bound only: the LP bound would start HiGHS' thread pool in this process, which a
    forked solver process cannot use.
    """
    quick = dataclasses.replace(heuristic_options(options, bound="lagrangian", patience=patience),
                                time_limit_s=seconds)
    try:
        with solver_output(options.verbose):
            return OwnEnginesBackend().solve(model, quick)
    except (OptionsError, BackendCapabilityError, SolveError):
        return None


def warm_start(
    model: LinearModel, options: SolveOptions, chosen: Backend
) -> tuple[BackendResult | None, SolveOptions]:
    """Run the heuristic briefly, here: its answer is a fallback, and a warm start if taken."""
    assert options.time_limit_s is not None
    start = time.perf_counter()
    share = min(WARM_START_SHARE * options.time_limit_s, WARM_START_MAX_S)
    patience: int | None = 30
    if model.capacitated:  # its heuristic needs the LP relaxation: half the time
        share = CAPACITY_WARM_START_SHARE * options.time_limit_s
    elif model.A.nnz >= PLAIN_MCLP_MIN_NONZEROS and plain_mclp(model):  # swap search, whole share
        share, patience = PLAIN_MCLP_WARM_START_SHARE * options.time_limit_s, None
    found = quick_heuristic(model, options, share, patience)
    if found is None:
        return None, options
    if "basket" in model.row_blocks:  # max_complete with its LP tightened: LP-guided plans
        found = _better_plan(model, found, BASKET_PLAN_SHARES * share, options.seed)
    found = _proved(model, found, options)
    left = max(options.time_limit_s - (time.perf_counter() - start), 0.01)
    hint = options.warm_start
    if hint is None and found.values is not None and chosen.takes(options.engine,
                                                                   Feature.WARM_START):
        hint = found.values
    return found, dataclasses.replace(options, time_limit_s=left, warm_start=hint)


def _better_plan(model: LinearModel, found: BackendResult, seconds: float, seed: int
                 ) -> BackendResult:
    """``found``, or a better plan (same bound): :func:`complete_rounding`'s, improved by
    :func:`complete_lns` in the rest of ``seconds`` (from the better of the two plans)."""
    t = time.perf_counter()
    rounded = complete_rounding(model, seconds, seed)
    if rounded is not None and (found.objective is None or rounded[1] > found.objective):
        best, how = rounded, "LP-guided completion (engines/complete_rounding.py)"
    elif found.values is not None and found.objective is not None:
        best, how = (found.values, found.objective), found.native_status
    else:
        return found
    left = seconds - (time.perf_counter() - t)
    improved = complete_lns(model, best[0], left, seed) if left > 0 else None
    if improved is not None and improved[1] > best[1]:
        best, how = improved, f"{how}, improved by windows re-planned exactly " \
                              "(engines/complete_lns.py)"
    if found.objective is not None and best[1] <= found.objective:
        return found
    return dataclasses.replace(
        found, status=Status.FEASIBLE, values=best[0], objective=best[1],
        native_status=how, solve_seconds=found.solve_seconds + time.perf_counter() - t)


def proved_plan(model: LinearModel, found: BackendResult, gap: float,
                bounds: Sequence[tuple[str, float | None]]) -> BackendResult | None:
    """``found`` as ``optimal`` when one of the named ``bounds`` proves its plan, else None."""
    value = found.objective
    if value is None or found.values is None:
        return None
    for name, by in bounds:
        if by is not None and proves(model, value, by, gap):
            return dataclasses.replace(
                found, status=Status.OPTIMAL, bound=value,
                native_status=f"heuristic plan {value:.10g} proved optimal by {name} "
                              f"{by:.10g} (no exact search needed)")
    return None


def _proved(model: LinearModel, found: BackendResult, options: SolveOptions) -> BackendResult:
    """``found``, ``optimal`` when the LP bound proves its plan (module docstring)."""
    if (found.status is Status.OPTIMAL or found.values is None or found.objective is None
            or model.A.nnz > LP_CHECK_MAX_NONZEROS or options.time_limit_s is None):
        return found
    bound = lp_bound(model, min(LP_CHECK_MAX_S, LP_CHECK_SHARE * options.time_limit_s))
    return proved_plan(model, found, options.mip_gap, [("the LP bound", bound)]) or found
