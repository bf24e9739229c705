r"""Both stages in one solve when the first stage can reach its ceiling.

A maximised first stage (``max_coverage``, ``max_complete``) can never exceed its *ceiling*
:math:`F`: every ``covered`` / ``complete`` column at its upper bound,
:math:`F = o_1 + \sum_j \max(c_{1j}\underline v_j, c_{1j}\overline v_j)`. When the LP relaxation's
safe bound (:func:`~sitecircle.backends.lp_bound.lp_bound`) reaches :math:`F`, the limits may
allow covering everything, and then the default ``min_cost`` stage after it is the model of
:mod:`sitecircle.solving.follow` with the ``hold`` row at :math:`F`: the least cost of covering
everything within the limits (a set-covering problem). Solving that model first answers both
stages at once:

* a plan found there has the value :math:`F`, the first stage's ceiling, so it is optimal for the
  first stage (bound :math:`F`) and its cost is the second stage's answer (optimal when the engine
  proves it, ``feasible`` otherwise, as after a follow stage that ran out of time);
* ``infeasible`` there means the limits cannot cover everything: the first stage is solved as
  usual (the attempt's time is lost; the LP bound said it was possible, so this is rare).

Measured on the single-category 2,000 × 500 MCLP (``p = 50``; 49 sites cover every community):
the first stage (SCIP, 10–20 s) is skipped; the set-covering solve (SCIP, about 8 s) was the
second stage anyway.

Used only without a time limit and with ``objective.tolerance`` 0 (the usual case): then the
``hold`` row at :math:`F` is exactly the second stage's row, and no time share between two stages
has to be decided. The LP check itself is bounded like the one of
:func:`~sitecircle.solving.stages.run_from` (models up to
:data:`~sitecircle.solving.stages.LP_CHECK_MAX_NONZEROS` nonzeros, at most
:data:`~sitecircle.solving.stages.LP_CHECK_MAX_S` seconds), so a model that does not saturate
pays little for the test. The covering solve gets at most :data:`SATURATED_LIMIT_S`; a plan it
has not proven cheapest by then is reported ``feasible`` (as a follow stage out of time would
be), and none at all sends the instance down the usual path.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from sitecircle.backends import BackendResult, SolveOptions
from sitecircle.backends.lp_bound import lp_bound
from sitecircle.instance.data import Instance
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.solving.follow import exact_for_min_cost, min_cost_model
from sitecircle.solving.stages import (
    LP_CHECK_MAX_NONZEROS,
    LP_CHECK_MAX_S,
    Runner,
    StagedOutcome,
    open_pairs,
)

__all__ = ["ceiling", "solve_saturated"]

#: The attempt gets at most this many seconds (the default follow stage's own minimum).
SATURATED_LIMIT_S = 60.0


def ceiling(model: LinearModel) -> float:
    """The largest objective any point of the model's box reaches (offset included)."""
    c = model.c
    return float(np.maximum(c * model.col_lower, c * model.col_upper).sum()) + model.offset


def _may_cover(model: LinearModel) -> bool:
    """False when a ``max_new`` limit ``p`` rules saturation out by counting alone.

    Every ``cover`` row needs an open column that covers it, so the ``p`` columns covering the
    most rows must cover at least as many rows as there are (0.1 s of LP saved on most MCLPs).
    """
    limit, cover = model.row_blocks.get("max_new"), model.row_blocks.get("cover")
    if limit is None or cover is None or limit.stop - limit.start != 1:
        return True
    p = int(np.floor(model.row_upper[limit.start] + 1e-9))
    ox = model.blocks["open"]
    degree = np.diff(sp.csc_array(model.A[cover][:, ox]).indptr)
    return bool(int(np.sort(degree)[::-1][:p].sum()) >= cover.stop - cover.start)


def solve_saturated(
    instance: Instance, model: LinearModel, run: Runner, options: SolveOptions,
) -> tuple[BackendResult, StagedOutcome] | None:
    """Solve both stages as one set-covering model when the first stage can saturate.

    Parameters
    ----------
    instance
        The instance (a maximised objective followed by the default ``min_cost``, tolerance 0).
    model
        The first stage's reduced model.
    run
        Solves one model (a backend, in or out of process).
    options
        Solver options (no time limit).

    Returns
    -------
    tuple or None
        The first stage's result (the plan, value and bound :math:`F`) and the staged outcome
        of both stages; None when the shortcut does not apply or finds no plan (the caller then
        solves the stages as usual).
    """
    if (model.sense != "max" or model.n_vars == 0 or model.A.nnz > LP_CHECK_MAX_NONZEROS
            or not exact_for_min_cost(instance, model)):
        return None
    if not _may_cover(model):
        return None
    top = ceiling(model)
    bound = lp_bound(model, LP_CHECK_MAX_S)
    if bound is None or bound < top - 1e-9 * max(1.0, abs(top)):
        return None
    stage = min_cost_model(instance, model, top)
    t = time.perf_counter()
    second = run(stage, dataclasses.replace(options, time_limit_s=SATURATED_LIMIT_S,
                                            warm_start=None, cutoff=None))
    seconds = time.perf_counter() - t
    if not second.status.has_solution or second.values is None:
        return None
    values = second.values
    value = model.objective_value(values)
    first = dataclasses.replace(
        second, status=Status.OPTIMAL, objective=value, bound=top,
        native_status=f"{second.native_status}; every coverage at its ceiling {top:.10g} "
                      "(the LP bound allowed it): both stages solved as one covering model")
    records: list[dict[str, Any]] = [
        {"type": instance.objective.type, "value": value, "bound": top, "status": "optimal",
         "engine": second.engine, "seconds": seconds},
        {"type": "min_cost", "value": stage.objective_value(values), "bound": second.bound,
         "status": second.status.value, "engine": second.engine, "seconds": seconds}]
    status = Status.OPTIMAL if second.status is Status.OPTIMAL else Status.FEASIBLE
    return first, StagedOutcome(status, open_pairs(model, values), records, second,
                                dict(model.stats))
