r"""Priorities: solve stage by stage, each earlier objective held within tolerance.

FORMAT.md, "Priorities": ``objective.then`` lists further objectives optimised in order, each while
every earlier one keeps its value within ``objective.tolerance`` (relative). Without ``then``,
``max_coverage``, ``max_complete`` and ``max_min_share`` are followed by ``min_cost``.

Method (the staged, or preemptive, lexicographic method). Stage :math:`s` solves the planning
model (:mod:`sitecircle.model.planning`) with objective :math:`c_s^\top v + o_s`, the rows its
``min_cost`` target adds, and one *hold* row per earlier stage :math:`r < s` whose value was
:math:`V_r`:

.. math::
    c_r^\top v + o_r \ge V_r - \tau |V_r| - \varepsilon_r \quad (\max), \qquad
    c_r^\top v + o_r \le V_r + \tau |V_r| + \varepsilon_r \quad (\min),

with :math:`\tau` the tolerance and :math:`\varepsilon_r = 10^{-7}\max(1, |V_r|)` absorbing the
solver's round-off only. The previous stage's solution satisfies every row of the next stage, so it
is passed on as a warm start (to the engines that take one) and kept when a later stage finds
nothing in its time.

Time: one limit covers every stage. A stage with later stages after it gets
:data:`EARLY_SHARE` of what remains; the last stage gets the rest.

Status: ``optimal`` only if every stage is; a later stage that finds nothing in time leaves the
previous plan, reported ``feasible``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.backends import BackendResult, SolveOptions
from sitecircle.backends.lp_bound import lp_bound, proves
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE
from sitecircle.model.linear import LinearModel
from sitecircle.model.phases import (
    PhasedModel,
    build_phased_model,
    build_phased_reduced,
    phase_assignments,
    reduced_fits,
)
from sitecircle.model.planning import PlanningModel, StageObjective, build_planning_model
from sitecircle.solution_status import Status
from sitecircle.travel.coverage import Coverage

#: Share of the remaining time a stage gets when later stages follow it.
EARLY_SHARE = 0.8
#: Hold rows are relaxed by this share of the held value (solver round-off, not tolerance).
HOLD_SLACK = 1e-7
#: A stage model with at most this many nonzeros first gets the LP bound check of
#: :func:`run_from`, within this share of its time limit and at most this many seconds (Glop,
#: in this process: the 2,000 × 500 MCLP's 24,294 nonzeros take 0.1 s; the check is skipped
#: where the LP alone could take long).
LP_CHECK_MAX_NONZEROS, LP_CHECK_SHARE, LP_CHECK_MAX_S = 200_000, 0.1, 5.0

Runner = Callable[[LinearModel, SolveOptions], BackendResult]


def needs_planning_model(instance: Instance) -> bool:
    """Whether the instance needs the planning model for its first stage.

    True with approved sites, equity rules, ``max_min_share``, a complete-basket target, phases
    or an explicit ``then``; plain instances solve their first stage with the reduced model (and
    every engine) and only the default ``min_cost`` stage with the planning model.
    """
    obj = instance.objective
    return bool(instance.fixed.any() or obj.equity or obj.then is not None
                or obj.phases is not None or obj.type == "max_min_share"
                or (obj.type == "min_cost" and obj.target_measure == COMPLETE))


def planning_fields(instance: Instance) -> list[str]:
    """The planning fields an instance uses that only exact backends support."""
    obj = instance.objective
    used = []
    if obj.equity:
        used.append("objective.equity")
    if obj.then is not None:
        used.append("objective.then")
    if obj.type == "max_min_share":
        used.append("objective.type 'max_min_share'")
    if obj.type == "min_cost" and obj.target_measure == COMPLETE:
        used.append("objective.target_measure 'complete'")
    if obj.phases is not None:
        used.append("objective.phases")
    if instance.fixed.any():
        used.append("sites[].fixed")
    return used


@dataclass
class StagedOutcome:
    """What the staged solve found.

    Parameters
    ----------
    status
        ``optimal`` only when every stage is.
    pairs
        Opened ``(site, category)`` pairs, or None without a solution.
    stages
        Per stage: ``type``, ``value`` (model value of the returned plan), ``bound``,
        ``status``, ``engine``, ``seconds``.
    result
        The last stage's backend result (engine, native status, timings).
    stats
        Planning model sizes.
    phase
        With phases: the phase (0-based) in which each of ``pairs`` opens; else None.
    assignments
        With phases and capacities: every phase's assignment records (with ``phase``); else
        None.
    """

    status: Status
    pairs: NDArray[np.int64] | None
    stages: list[dict[str, Any]] = field(default_factory=list)
    result: BackendResult | None = None
    stats: dict[str, int | float] = field(default_factory=dict)
    phase: NDArray[np.int64] | None = None
    assignments: list[dict[str, Any]] | None = None


def _hold_row(
    stage: StageObjective, value: float, tolerance: float, n_vars: int
) -> tuple[sp.csr_array, float, float]:
    """The row keeping a solved stage within tolerance of its value."""
    give = tolerance * abs(value) + HOLD_SLACK * max(1.0, abs(value))
    row = sp.csr_array(stage.c[None, :])
    assert row.shape[1] == n_vars
    if stage.sense == "max":
        return row, value - stage.offset - give, np.inf
    return row, -np.inf, value - stage.offset + give


def _stage_model(
    pm: PlanningModel, s: int, extra: list[tuple[sp.csr_array, float | NDArray[np.float64],
                                                  float | NDArray[np.float64]]],
) -> LinearModel:
    """The planning model with stage ``s``'s objective and the extra rows."""
    base, stage = pm.model, pm.stages[s]
    if not extra:
        return dataclasses.replace(base, c=stage.c, offset=stage.offset, sense=stage.sense)
    rows = [base.A, *(r for r, _, _ in extra)]
    lower = [base.row_lower, *(np.broadcast_to(lo, (r.shape[0],)) for r, lo, _ in extra)]
    upper = [base.row_upper, *(np.broadcast_to(hi, (r.shape[0],)) for r, _, hi in extra)]
    return dataclasses.replace(
        base, c=stage.c, offset=stage.offset, sense=stage.sense,
        A=sp.csr_array(sp.vstack(rows, format="csr")),
        row_lower=np.concatenate(lower).astype(np.float64),
        row_upper=np.concatenate(upper).astype(np.float64))


def open_pairs(model: LinearModel, values: NDArray[np.float64]) -> NDArray[np.int64]:
    """The ``(site, category)`` pairs whose ``open`` variable is 1."""
    x = values[model.blocks["open"]]
    chosen = np.flatnonzero(x > 0.5)
    return np.column_stack([model.open_site[chosen],
                            model.open_category[chosen]]).astype(np.int64)


def solve_stages(
    instance: Instance, coverage: Coverage, run: Runner, options: SolveOptions, *,
    deadline: float | None = None, start: tuple[NDArray[np.int64], float, dict[str, Any]]
    | None = None, say: Callable[[str], None] | None = None,
) -> StagedOutcome:
    """Solve every stage of the instance's objective in order (method in the module docstring).

    Parameters
    ----------
    instance
        A validated instance.
    coverage
        Its coverage.
    run
        Solves one model with one set of options (a backend, in or out of process).
    options
        Solver options; ``time_limit_s`` is replaced per stage from ``deadline``.
    deadline
        ``time.perf_counter()`` value by which every stage must be done, or None.
    start
        The first stage solved elsewhere (the reduced model): its opened pairs, its value and
        its record; the stages after it are solved here.
    say
        Progress callback.

    Returns
    -------
    StagedOutcome
        Status, the plan and every stage's value and bound.
    """
    say = say or (lambda _text: None)
    pm = build_planning_model(instance, coverage) if instance.objective.phases is None else (
        build_phased_reduced(instance, coverage) if reduced_fits(instance)
        else build_phased_model(instance, coverage))
    n_vars = pm.model.n_vars
    tolerance = instance.objective.tolerance
    held: list[tuple[sp.csr_array, float | NDArray[np.float64], float | NDArray[np.float64]]] = []
    records: list[dict[str, Any]] = []
    values: NDArray[np.float64] | None = None
    status = Status.OPTIMAL
    result: BackendResult | None = None
    last_run: BackendResult | None = None
    first = 0
    if start is not None:
        pairs, value, record = start
        values = pm.values_from_open(pairs)
        records.append(record)
        held.append(_hold_row(pm.stages[0], value, tolerance, n_vars))
        status = Status(record["status"])
        first = 1
    n_stages = len(pm.stages)
    for s in range(first, n_stages):
        stage = pm.stages[s]
        tie = stage.tie_break
        if stage.rows is not None and stage.lower is not None and s > 0:
            held.append((stage.rows, stage.lower, np.inf))
        model = _stage_model(pm, s, held if s > 0 else [])
        opts = options
        if deadline is not None:
            left = max(deadline - time.perf_counter(), 0.01)
            share = EARLY_SHARE if s < n_stages - 1 else 1.0
            opts = dataclasses.replace(opts, time_limit_s=max(left * share, 0.01))
        kind = "defer" if tie else stage.stage.type
        say(f"stage {s + 1} of {n_stages}: {kind} ({model.n_vars:,} variables, "
            f"{model.n_rows:,} rows)")
        t = time.perf_counter()
        if model.n_vars == 0:  # nothing to decide: the constant
            result = kept_plan(model, np.zeros(0))
        elif _nothing_to_open(model) and not (isinstance(pm, PhasedModel) and pm.single is None):
            result = _fixed_point(pm, model)
        elif values is not None and not np.any(stage.c):
            result = kept_plan(model, values)  # nothing to optimise: the previous plan is optimal
        else:
            result = run_from(run, model, opts, values)
        seconds = time.perf_counter() - t
        if not result.status.has_solution or result.values is None:
            if values is None or (result.status is Status.INFEASIBLE and not tie):
                # The first stage found nothing, or a later stage's target cannot hold while the
                # earlier stages keep their values: no plan meets the whole objective.
                records.append({"type": kind, "value": None, "bound": None,
                                "status": result.status.value, "engine": result.engine,
                                "seconds": seconds})
                return StagedOutcome(result.status, None, records, result, dict(pm.model.stats))
            records.append({"type": kind, "value": None, "bound": result.bound,
                            "status": result.status.value, "engine": result.engine,
                            "seconds": seconds,
                            "note": "no plan found in time; the previous stage's plan is kept"})
            if not tie:
                status = Status.FEASIBLE
            break
        if result.engine != "none":
            last_run = result
        values = result.values
        value = float(stage.c @ values) + stage.offset
        records.append({"type": kind, "value": value, "bound": result.bound,
                        "status": result.status.value, "engine": result.engine,
                        "seconds": seconds})
        if result.status is not Status.OPTIMAL and not tie:
            status = Status.FEASIBLE
        exact = s + 1 < n_stages and pm.stages[s + 1].tie_break
        held.append(_hold_row(stage, value, 0.0 if exact else tolerance, n_vars))
    assert values is not None
    phase, stated = None, None
    if isinstance(pm, PhasedModel):
        phase = pm.opening_phase(values)
        # Always polished: a phase of weight 0 leaves its assignment to the solver's whim.
        stated = phase_assignments(instance, pm, values, polish=True)
    return StagedOutcome(status, open_pairs(pm.model, values), records, last_run or result,
                         dict(pm.model.stats), phase, stated)


def _nothing_to_open(model: LinearModel) -> bool:
    """No facility can open: every other variable follows (no solver needed)."""
    return not np.any(model.integrality)


def _fixed_point(pm: PlanningModel, model: LinearModel) -> BackendResult:
    """The one plan of a model where nothing can open: ``y``, ``z``, ``t`` at their caps."""
    values = pm.values_from_open(np.empty((0, 2), dtype=np.int64))
    value = model.objective_value(values)
    return BackendResult(status=Status.OPTIMAL, values=values, objective=value, bound=value,
                         native_status="trivial: nothing to open", engine="none",
                         solve_seconds=0.0, translate_seconds=0.0)


def kept_plan(model: LinearModel, values: NDArray[np.float64]) -> BackendResult:
    """A stage with a zero objective: the previous stage's plan (feasible here) is optimal."""
    value = model.objective_value(values)
    return BackendResult(status=Status.OPTIMAL, values=values, objective=value, bound=value,
                         native_status="trivial: zero objective", engine="none",
                         solve_seconds=0.0, translate_seconds=0.0)


def holds(model: LinearModel, values: NDArray[np.float64], tol: float = 1e-6) -> bool:
    """Whether ``values`` meets every row and bound of ``model`` (relative tolerance ``tol``)."""
    if values.shape != (model.n_vars,):
        return False
    act = model.A @ values
    row_give = tol * np.maximum(1.0, np.abs(act))
    col_give = tol * np.maximum(1.0, np.abs(values))
    return bool(np.all(act >= model.row_lower - row_give) and np.all(act <= model.row_upper
                                                                      + row_give)
                and np.all(values >= model.col_lower - col_give)
                and np.all(values <= model.col_upper + col_give))


def run_from(
    run: Runner, model: LinearModel, options: SolveOptions,
    values: NDArray[np.float64] | None, *, bound: float | None = None,
    plan: str = "the previous stage's plan",
) -> BackendResult:
    """Solve a stage's model starting from a plan that meets its rows (or from nothing).

    First the LP relaxation's bound (:func:`~sitecircle.backends.lp_bound.lp_bound`, safe
    against round-off) may prove the plan (the previous stage's) optimal as it is
    (:func:`~sitecircle.backends.lp_bound.proves`): no engine runs. Otherwise the plan is the
    warm start of the engines that take one, and its objective value the cutoff
    (:attr:`~sitecircle.backends.base.SolveOptions.cutoff`): the engine need only look for
    strictly better plans. An engine that proves there are none
    answers ``infeasible``; the plan is then optimal and is returned as the answer, with its
    value as the bound. A plan that does not meet the model's rows (a later stage's target
    it misses) is neither. ``bound`` is an LP bound computed before (then not again); ``plan``
    names the plan in the answer's native status.
    """
    if values is None or not holds(model, values):
        return run(model, options)
    cutoff = model.objective_value(values)
    if bound is None and model.A.nnz <= LP_CHECK_MAX_NONZEROS:  # it may prove the plan already
        limit = LP_CHECK_MAX_S if options.time_limit_s is None else min(
            LP_CHECK_MAX_S, LP_CHECK_SHARE * options.time_limit_s)
        bound = lp_bound(model, limit)
    if bound is not None and proves(model, cutoff, bound, options.mip_gap):
        return BackendResult(
            status=Status.OPTIMAL, values=values, objective=cutoff, bound=cutoff,
            native_status=f"LP bound {bound:.10g} proves {plan} ({cutoff:.10g}) optimal",
            engine="glop", solve_seconds=0.0, translate_seconds=0.0)
    result = run(model, dataclasses.replace(options, warm_start=values, cutoff=cutoff))
    if result.status is not Status.INFEASIBLE:
        return result
    return dataclasses.replace(
        result, status=Status.OPTIMAL, values=values, objective=cutoff, bound=cutoff,
        native_status=f"{result.native_status}: no plan better than {plan} "
                      f"({cutoff:.10g}), which is kept")


def trim_redundant(
    model: LinearModel, values: NDArray[np.float64], cost: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Close open facilities that cover nothing another open facility does not (own engines).

    The ``min_cost`` stage for engines without a second solve: a column whose every ``cover`` row
    is covered at least twice can close without changing any covered or complete value, and
    closing never breaks a limit. Columns are tried most expensive first (``cost`` of every
    ``open`` column). The result is a plan of equal first-stage value and lower or equal cost,
    not a proven least cost.
    """
    ox = model.blocks["open"]
    cover_rows = model.row_blocks.get("cover")
    out = values.copy()
    if cover_rows is None or ox.stop == ox.start:
        return out
    a = sp.csc_array(abs(model.A[cover_rows][:, ox]))
    x = out[ox] > 0.5
    counts = a @ x.astype(np.float64)
    fixed = model.col_lower[ox] > 0.5
    for j in np.flatnonzero(x & ~fixed)[np.argsort(-cost[x & ~fixed], kind="stable")]:
        rows = a.indices[a.indptr[j]:a.indptr[j + 1]]
        if np.all(counts[rows] >= 2):
            counts[rows] -= 1
            out[ox.start + j] = 0.0
    su = model.blocks.get("site_open")
    if su is not None and su.stop > su.start:
        still = np.unique(model.open_site[out[ox] > 0.5])
        out[su] = np.isin(model.site_open_site, still).astype(np.float64)
    return out
