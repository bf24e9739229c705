r"""The default ``min_cost`` stage after a maximised objective, on the first stage's own model.

FORMAT.md, "Priorities": after ``max_coverage`` or ``max_complete`` (no ``then``), among the plans
that keep the first stage's value (within ``objective.tolerance``) the cheapest is returned. The
first stage was solved on the reduced model of :mod:`sitecircle.model.build`; this stage is the
same model with another objective and one more row:

.. math::
    \min \sum_{jk} c_{jk}x_{jk} + \sum_j f_j u_j \quad\text{s.t.}\quad
    \text{(every row of the first stage)}, \qquad
    c_1^\top v \ge V_1 - o_1 - \tau |V_1| - \varepsilon_1 \quad\text{(row ``hold``)},

with :math:`c_1, o_1` the first stage's objective and offset, :math:`V_1` its value, :math:`\tau`
the tolerance and :math:`\varepsilon_1` the round-off allowance of
:data:`~sitecircle.solving.stages.HOLD_SLACK`, as in :mod:`sitecircle.solving.stages`. The first
stage's plan meets every row, so it is the warm start and its cost the cutoff
(:func:`~sitecircle.solving.stages.run_from`): the engine only looks for a cheaper plan, and
when it proves there is none the first plan is the answer.

Why this model and not the planning model: its reductions (pre-covered pairs as a constant,
identical rows merged, useless columns dropped) keep the coverage value of every plan, so the
hold row means the same; it is smaller (the demo: 630 rows × 797 columns against 1,843 × 1,590),
and the engine starts from the rows it has just solved. One reduction is not exact here:
without a ``budget`` row, dominated columns (:mod:`sitecircle.model.reduce`) were dropped
whatever they cost, and a dropped column may be cheaper than the one that dominates it; unless
every category has one cost, such a model is refused by :func:`exact_for_min_cost` and the
caller uses the planning model.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.backends import BackendResult, SolveOptions
from sitecircle.instance.data import Instance
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.solving.stages import (
    HOLD_SLACK,
    Runner,
    StagedOutcome,
    kept_plan,
    open_pairs,
    run_from,
)

__all__ = ["exact_for_min_cost", "min_cost_model", "min_cost_stage"]


def exact_for_min_cost(instance: Instance, model: LinearModel) -> bool:
    """Whether the reduced model keeps the least cost of every coverage value (module docstring).

    False for a model with capacities (their single stage is solved elsewhere), and when
    dominated columns were dropped without a ``budget`` row (so without looking at their cost)
    while some category's candidate sites differ in cost: with one cost per category (unit
    costs, say) the dominating column never costs more.
    """
    if model.capacitated:
        return False
    if not model.stats.get("columns_dominated") or "budget" in model.row_blocks:
        return True
    hosts = instance.candidate_hosts
    for k in range(instance.n_categories):
        costs = instance.site_cost[hosts[:, k], k]
        if costs.size and np.ptp(costs) > 0:
            return False
    return True


def _cost(instance: Instance, model: LinearModel) -> NDArray[np.float64]:
    """Cost of every variable: ``c_jk`` on ``open``, the open cost ``f_j`` on ``site_open``."""
    cost = np.zeros(model.n_vars)
    ox, su = model.blocks["open"], model.blocks["site_open"]
    cost[ox] = instance.site_cost[model.open_site, model.open_category]
    cost[su] = instance.site_open_cost[model.site_open_site]
    return cost


def min_cost_model(
    instance: Instance, model: LinearModel, value: float
) -> LinearModel:
    """The ``min_cost`` stage's model: ``model``'s rows, the ``hold`` row, the cost objective.

    Parameters
    ----------
    instance
        The instance (costs).
    model
        The first stage's (reduced, ``max``) model.
    value
        The first stage's value, offset included.

    Returns
    -------
    LinearModel
        The model of the second stage (formulation in the module docstring).
    """
    give = instance.objective.tolerance * abs(value) + HOLD_SLACK * max(1.0, abs(value))
    hold = sp.csr_array(model.c[None, :])
    rows = model.n_rows
    return dataclasses.replace(
        model, sense="min", c=_cost(instance, model), offset=0.0,
        A=sp.csr_array(sp.vstack([model.A, hold], format="csr")),
        row_lower=np.append(model.row_lower, value - model.offset - give),
        row_upper=np.append(model.row_upper, np.inf),
        row_blocks={**model.row_blocks, "hold": slice(rows, rows + 1)})


def min_cost_stage(
    instance: Instance, model: LinearModel, result: BackendResult, run: Runner,
    options: SolveOptions, *, deadline: float, record: dict[str, Any],
    say: Callable[[str], None],
) -> StagedOutcome:
    """Solve the default ``min_cost`` stage after the first stage's ``result`` on ``model``.

    Parameters
    ----------
    instance
        The instance.
    model
        The first stage's model (:func:`exact_for_min_cost` must hold).
    result
        The first stage's answer, with values.
    run
        Solves one model (a backend, in or out of process).
    options
        Solver options; the time limit is what remains until ``deadline``.
    deadline
        ``time.perf_counter()`` value by which the stage must be done.
    record
        The first stage's record (type, value, bound, status, engine, seconds).
    say
        Progress callback.

    Returns
    -------
    StagedOutcome
        Both stages' records and the plan; ``optimal`` only when both stages are.
    """
    assert result.values is not None
    values = result.values
    stage = min_cost_model(instance, model, model.objective_value(values))
    opts = dataclasses.replace(options, time_limit_s=max(deadline - time.perf_counter(), 0.01))
    say(f"stage 2 of 2: min_cost ({stage.n_vars:,} variables, {stage.n_rows:,} rows)")
    t = time.perf_counter()
    if not np.any(stage.integrality) or not np.any(stage.c):
        second = kept_plan(stage, values)  # nothing to open, or nothing costs: it is optimal
    else:
        second = run_from(run, stage, opts, values)
    seconds = time.perf_counter() - t
    records = [record]
    status = Status(record["status"])
    if second.status.has_solution and second.values is not None:
        values = second.values
        records.append({"type": "min_cost", "value": stage.objective_value(values),
                        "bound": second.bound, "status": second.status.value,
                        "engine": second.engine, "seconds": seconds})
        if second.status is not Status.OPTIMAL:
            status = Status.FEASIBLE
    else:  # nothing in time: the first stage's plan is kept
        records.append({"type": "min_cost", "value": None, "bound": second.bound,
                        "status": second.status.value, "engine": second.engine,
                        "seconds": seconds,
                        "note": "no plan found in time; the previous stage's plan is kept"})
        status = Status.FEASIBLE
    return StagedOutcome(status, open_pairs(model, values), records, second, dict(model.stats))
