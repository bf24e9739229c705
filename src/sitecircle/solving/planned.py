"""The planning path of :func:`sitecircle.solve`: staged objectives, groups and their report.

:func:`solve_planned` solves an instance that needs the planning model for its first stage
(approved sites, equity, ``max_min_share``, a complete-basket target, ``then``);
:func:`follow_stages` runs the stages after a first stage solved with the reduced model (the
default ``min_cost`` stage after a maximised objective). :func:`report` turns a plan into the
solution's verified ``objectives`` and ``groups``. The pipeline calls these through small hooks.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.backends import Backend, BackendResult, Feature, SolveOptions, get_backend
from sitecircle.errors import OptionsError, SolveError
from sitecircle.instance.data import Instance
from sitecircle.model.linear import LinearModel
from sitecircle.solution import Solution
from sitecircle.solution_status import Status
from sitecircle.solving.choice import choose_engine, runs_in_process
from sitecircle.solving.explain import explain_limits, explain_planning, fixed_conflicts
from sitecircle.solving.follow import exact_for_min_cost, min_cost_stage
from sitecircle.solving.runner import RunInfo, run_backend
from sitecircle.solving.stages import (
    Runner,
    StagedOutcome,
    planning_fields,
    solve_stages,
    trim_redundant,
)
from sitecircle.travel.coverage import Coverage
from sitecircle.verifier.check import Verification, verify
from sitecircle.verifier.groups import groups_report, stage_value, target_violations
from sitecircle.verifier.phases import phased_value

#: Engines sitecircle runs itself (no second solve for later stages).
_OWN = ("heuristic", "benders")
#: Without a time limit, the stages after a first stage solved on the reduced model get
#: ``max(FOLLOW_MIN_S, FOLLOW_FACTOR × the first stage's solve time)`` seconds; a stage that does
#: not finish keeps its best plan (or the first stage's) and the status is ``feasible``.
FOLLOW_MIN_S, FOLLOW_FACTOR = 60.0, 2.0


def check_engine(instance: Instance, engine: str | None) -> None:
    """Refuse, naming the fields, planning rules that an own engine cannot keep.

    Approved sites are supported: they become existing facilities (:func:`fixed_as_existing`);
    so are phases without other planning fields or capacities, for the heuristic, phase by phase
    (:mod:`sitecircle.solving.phase_steps`).

    Raises
    ------
    OptionsError
        The engine is ``heuristic`` or ``benders`` and the instance uses a planning field.
    """
    used = [f for f in planning_fields(instance) if f != "sites[].fixed"]  # see below
    if engine == "heuristic" and used == ["objective.phases"]:  # phase by phase
        if instance.capacitated.any():
            msg = ("engine 'heuristic' does not support objective.phases with capacities "
                   "(categories[].capacity, min_load, sites[].capacity, existing[].capacity); "
                   "use an exact engine (--engine scip or highs, or --backend pulp)")
            raise OptionsError(msg)
        return
    if engine in _OWN and used:
        msg = (f"engine {engine!r} does not support {', '.join(used)} (it cannot keep them "
               "feasible); use an exact engine (--engine scip or highs, or --backend pulp)")
        raise OptionsError(msg)


def check_capacities_compose(instance: Instance) -> None:
    """Refuse, naming the fields, planning rules combined with capacities (not built yet).

    Phases alone combine with capacities (every phase has its own assignment).

    Raises
    ------
    OptionsError
        The instance has a capacitated category and uses a planning field (approved sites,
        equity, ``max_min_share``, a complete-basket target or ``then``).
    """
    used = planning_fields(instance)
    if not instance.capacitated.any() or not used:
        return
    fields = ("capacities (categories[].capacity, min_load, sites[].capacity, "
              "existing[].capacity)")
    if used == ["objective.phases"]:
        return  # FORMAT.md "Phases": every phase has its own assignment
    msg = f"{fields} do not combine yet with {', '.join(used)}: remove one or the other"
    raise OptionsError(msg)


def solve_planned(
    instance: Instance, coverage: Coverage, run: Runner, options: SolveOptions, *,
    deadline: float | None, say: Callable[[str], None],
) -> tuple[StagedOutcome, dict[str, Any] | None]:
    """Solve every stage on the planning model; explain an infeasible instance.

    Returns
    -------
    tuple
        The staged outcome and an explanation (None unless infeasible).
    """
    why = explain_planning(instance, coverage)
    if why is not None:
        return StagedOutcome(Status.INFEASIBLE, None), why
    outcome = solve_stages(instance, coverage, run, options, deadline=deadline, say=say)
    if outcome.status is Status.INFEASIBLE and len(outcome.stages) > 1:
        n = len(outcome.stages)
        return outcome, {"message": f"stage {n} ({outcome.stages[-1]['type']}) cannot hold its "
                         f"target while stages 1-{n - 1} keep their values (objective.tolerance "
                         f"{instance.objective.tolerance:g}); lower the target or raise the "
                         "tolerance"}
    if outcome.status is Status.INFEASIBLE:
        why = explain_limits(instance, None, None)
        limits = why["limits"] + (["the phases' budget, budget_to_date and max_new"]
                                  if instance.objective.phases is not None else [])
        if instance.capacitated.any():
            limits.append("the capacities (categories[].capacity, min_load, sites[].capacity, "
                          "existing[].capacity)")
        why["message"] = ("each planning rule (equity, targets, approved sites) can hold with "
                          "every candidate site open, but not all of them within the limits ("
                          + (", ".join(limits) or "max_categories") + ")")
        return outcome, why
    return outcome, None


def planned_solution(
    inst: Instance, coverage: Coverage, run: Runner, options: SolveOptions, *,
    deadline: float | None, say: Callable[[str], None], solver_info: dict[str, Any],
    timings: dict[str, float], t_start: float, before: Verification,
    finish: Callable[..., Solution],
) -> Solution:
    """The planning path of :func:`~sitecircle.solving.pipeline.solve`, to its verified Solution.

    ``finish`` builds the :class:`Solution` from a status, the plan, its verification, the
    solver information, the model sizes and an explanation (the pipeline's own builder).
    """
    planned, why = solve_planned(inst, coverage, run, options, deadline=deadline, say=say)
    last = planned.result
    solver_info.update(engine=last.engine if last else solver_info["engine"],
                       native_status=last.native_status if last
                       else "not run: the planning rules cannot hold")
    pairs = planned.pairs
    check = (verify(inst, pairs, planned.assignments, phase=planned.phase) if pairs is not None
             else before)
    timings["total"] = time.perf_counter() - t_start
    solver_info.update(seconds=timings["total"], timings=timings)
    out = finish(inst, planned.status, pairs, check, before, solver_info, planned.stats, why)
    if pairs is not None:
        check_staged(check)
        out.objectives, out.groups, _ = report(inst, check, before, planned.stages,
                                               planned.status)
        out.bound = planned.stages[0]["bound"] if planned.stages else None
        out.gap = gap_of(check.objective, out.bound)
        add_phases(inst, out, pairs, planned.phase, check)
    return out


def add_phases(
    instance: Instance, out: Solution, pairs: NDArray[np.int64],
    phase: NDArray[np.int64] | None, check: Verification,
) -> None:
    """With phases: every ``open`` entry's ``phase`` and the solution's verified ``phases``."""
    phases = instance.objective.phases
    if phases is None or phase is None or check.phases is None:
        return
    sites, cats = instance.site_ids, instance.category_ids
    when = {(sites[j], cats[k]): phases[t].id for (j, k), t in zip(pairs, phase, strict=True)}
    for entry in out.open:
        entry["phase"] = when[(entry["site"], entry["category"])]
    out.phases = check.phases.report
    if instance.capacitated.any():  # every phase's assignment; a single stage, as for one period
        out.assignments = check.phases.assignments
        out.objectives = None


def gap_of(objective: float | None, bound: float | None) -> float | None:
    """``|bound - objective| / |objective|``; 0 when both agree; None when undefined."""
    if objective is None or bound is None:
        return None
    diff = abs(bound - objective)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return None if objective == 0 else diff / abs(objective)


def follow_stages(
    instance: Instance, coverage: Coverage, run: Runner, options: SolveOptions, *,
    engine: str | None, model: LinearModel, result: BackendResult, deadline: float | None,
    say: Callable[[str], None],
) -> tuple[BackendResult, StagedOutcome | None]:
    """The stages after a first stage solved on the reduced model.

    The heuristic closes redundant facilities (:func:`~sitecircle.solving.stages.trim_redundant`,
    reported ``feasible``); after an exact backend or Benders, the backend solves the later stages
    holding the first stage's value (without a time limit, within :data:`FOLLOW_MIN_S` /
    :data:`FOLLOW_FACTOR`): on the first stage's own model plus a ``hold`` row when that model
    keeps every plan's least cost (:mod:`sitecircle.solving.follow`), else on the planning
    model.

    Returns
    -------
    tuple
        The first stage's result with the final plan's values for own engines (and None), or
        the first result unchanged and the staged outcome for exact backends.
    """
    assert result.values is not None
    if engine == "heuristic":
        cost = instance.site_cost[model.open_site, model.open_category]
        trimmed = trim_redundant(model, result.values, cost)
        # The cheaper plan is not proven cheapest: optimal only if every stage is.
        return dataclasses.replace(result, values=trimmed, status=Status.FEASIBLE
                                   if result.status is Status.OPTIMAL else result.status), None
    if engine in _OWN:  # Benders answered the first stage; the backend solves the rest
        options = dataclasses.replace(options, engine=None)
    x = result.values[model.blocks["open"]] > 0.5
    pairs = np.column_stack([model.open_site[x], model.open_category[x]]).astype(np.int64)
    value = model.objective_value(result.values)
    record = {"type": instance.objective.type, "value": value, "bound": result.bound,
              "status": result.status.value, "engine": result.engine,
              "seconds": result.solve_seconds}
    if deadline is None:  # the default stages must not outlast the first one by much
        deadline = time.perf_counter() + max(FOLLOW_MIN_S, FOLLOW_FACTOR * result.solve_seconds)
    if len(instance.objective.stages) == 2 and exact_for_min_cost(instance, model):
        return result, min_cost_stage(instance, model, result, run, options, deadline=deadline,
                                      record=record, say=say)
    outcome = solve_stages(instance, coverage, run, options, deadline=deadline, say=say,
                           start=(pairs, value, record))
    return result, outcome


def report(
    instance: Instance, check: Verification, before: Verification,
    stages: list[dict[str, Any]] | None, first_status: Status,
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None, list[str]]:
    """The solution's verified ``objectives`` and ``groups``, and any broken stage target.

    Parameters
    ----------
    instance
        The instance.
    check, before
        Verification of the plan and of no new facility.
    stages
        Per-stage records of the staged solve, or None (an own engine: the later stages are
        reported without a bound).
    first_status
        Status of the first stage when ``stages`` is None.

    Returns
    -------
    tuple
        ``objectives`` (None with one stage), ``groups`` (None without groups) and violations.
    """
    obj = instance.objective
    objectives: list[dict[str, Any]] | None = None
    problems: list[str] = []
    if len(obj.stages) > 1:
        objectives = []
        for s, stage in enumerate(obj.stages):
            record = stages[s] if stages is not None and s < len(stages) else {}
            value = (stage_value(instance, stage, check.covered, check.cost)
                     if check.phases is None else
                     phased_value(instance, stage, check.phases))
            entry: dict[str, Any] = {
                "type": stage.type,
                "value": value,
                "bound": record.get("bound"),
                "status": record.get("status", first_status.value if s == 0 else "feasible"),
            }
            if stage.type == "max_min_share":
                entry.update(by=stage.by, measure=stage.measure)
            if stage.type == "min_cost" and stage.target_share is not None and s > 0:
                entry.update(target_share=stage.target_share, target_measure=stage.target_measure)
                problems += target_violations(instance, stage, check.covered)
            if "note" in record:
                entry["note"] = record["note"]
            objectives.append(entry)
    groups = groups_report(instance, check.covered, before.covered) or None
    return objectives, groups, problems


class StageRunner:
    """Solve one stage's model with the chosen backend (in or out of process).

    Without an engine named, a small model gets the small-model engine
    (:func:`~sitecircle.solving.choice.choose_engine`). Unless the caller gave a time limit
    (``limited``), a small model runs in this process like the first stage
    (:func:`~sitecircle.solving.choice.runs_in_process`): the stage's own limit, from the
    default follow-up budget, is the engine's to keep, and a child would cost more than the
    solve. ``last`` tells how the last run went (in a child or not, interrupted).
    """

    def __init__(self, chosen: Backend, isolate: bool | None, *, limited: bool = True) -> None:
        self.chosen, self.isolate, self.limited = chosen, isolate, limited
        self.last = RunInfo()

    def __call__(self, model: LinearModel, options: SolveOptions) -> BackendResult:
        chosen = backend = self.chosen
        if options.engine is None and not chosen.takes(chosen.default_engine,
                                                       Feature.PROVES_OPTIMALITY):
            backend = get_backend(None)  # the later stages of an own engine: a proving backend
        engine = options.engine or choose_engine(backend, model, None) or backend.default_engine
        options = dataclasses.replace(options, engine=engine)
        # A warm start only for an engine that takes one (OR-Tools' HiGHS crashes on a hint).
        if options.warm_start is not None and not backend.takes(engine, Feature.WARM_START):
            options = dataclasses.replace(options, warm_start=None)
        here = self.isolate
        if here and not self.limited and runs_in_process(
                backend, model, dataclasses.replace(options, time_limit_s=None)):
            here = False
        result, self.last = run_backend(backend, model, options, isolate=here)
        return result


def stage_runner(chosen: Backend, isolate: bool | None, *, limited: bool = True) -> StageRunner:
    """The :class:`StageRunner` of a solve."""
    return StageRunner(chosen, isolate, limited=limited)


def check_staged(check: Verification) -> None:
    """Raise when the verifier rejects the staged plan (a bug)."""
    if check.violations:
        msg = ("the staged solve returned a plan the verifier rejects: "
               + "; ".join(check.violations[:5]) + "; this is a bug, please report it with the "
               "instance")
        raise SolveError(msg)


def check_held(instance: Instance, first: float, final: float) -> None:
    """Raise when the final plan lost more of the first stage's value than the tolerance allows.

    Raises
    ------
    SolveError
        A bug: the hold row should have kept the first stage's value.
    """
    tol = instance.objective.tolerance
    give = tol * abs(first) + 1e-6 * max(1.0, abs(first))
    lost = first - final if instance.objective.sense == "max" else final - first
    if lost > give:
        msg = (f"the later stages lost {lost:.10g} of the first stage's {first:.10g}, more than "
               f"the tolerance {tol:g} allows; this is a bug, please report it with the instance")
        raise SolveError(msg)


def fixed_as_existing(instance: Instance) -> tuple[Instance, NDArray[np.int64], float]:
    """The instance with its approved facilities turned into existing ones (own engines).

    Opening an approved ``(site, category)`` is certain, so it covers like an existing facility
    of that category at the site; its cost (and the site's ``open_cost``) is spent from the
    budget, it counts toward ``max_new`` and the site's ``max_categories``, and the site's other
    categories no longer pay the open cost. Solving this instance and adding the approved pairs
    back is exactly the original problem. Matrix times to the site are copied to its new
    existing facility.

    Returns
    -------
    tuple
        The derived instance, the approved pairs and their cost.
    """
    fixed = instance.fixed
    pairs = np.argwhere(fixed).astype(np.int64)
    sites = np.flatnonzero(fixed.any(axis=1))
    cost = float(instance.site_cost[fixed].sum() + instance.site_open_cost[sites].sum())
    obj = instance.objective
    per_cat = fixed.sum(axis=0)
    limit = obj.max_new_per_category
    objective = dataclasses.replace(
        obj, budget=None if obj.budget is None else obj.budget - cost,
        max_new_total=None if obj.max_new_total is None else obj.max_new_total - len(pairs),
        max_new_per_category=None if limit is None else np.where(limit >= 0, limit - per_cat,
                                                                  limit))
    hosts = instance.site_hosts & ~fixed
    open_cost = instance.site_open_cost.copy()
    open_cost[sites] = 0.0
    travel = instance.travel
    if travel.mode == "matrix":
        assert travel.matrix_to is not None and travel.matrix_from is not None
        assert travel.matrix_minutes is not None
        new_index = np.full(instance.n_sites, -1, dtype=np.int64)
        new_index[sites] = instance.n_sites + instance.n_existing + np.arange(len(sites))
        copy = new_index[np.minimum(travel.matrix_to, max(instance.n_sites - 1, 0))] >= 0
        copy &= travel.matrix_to < instance.n_sites
        travel = dataclasses.replace(
            travel, matrix_from=np.concatenate([travel.matrix_from, travel.matrix_from[copy]]),
            matrix_to=np.concatenate([travel.matrix_to, new_index[travel.matrix_to[copy]]]),
            matrix_minutes=np.concatenate([travel.matrix_minutes,
                                           travel.matrix_minutes[copy]]))
    names = instance.existing_names
    derived = dataclasses.replace(
        instance, site_hosts=hosts, site_open_cost=open_cost, site_fixed=None,
        site_max_categories=instance.site_max_categories - fixed.sum(axis=1),
        existing_ids=instance.existing_ids + tuple(f"{instance.site_ids[j]} (approved)"
                                                   for j in sites),
        existing_xy=np.vstack([instance.existing_xy.reshape(-1, 2),
                               instance.site_xy[sites].reshape(-1, 2)]),
        existing_hosts=np.vstack([instance.existing_hosts.reshape(-1, instance.n_categories),
                                  fixed[sites]]),
        existing_names=(tuple(names) + (None,) * len(sites)) if names else (),
        objective=objective, travel=travel)
    return derived, pairs, cost


def solution_with_fixed(
    instance: Instance, solve_derived: Callable[[Instance], Solution], *,
    before: Verification, finish: Callable[..., Solution],
) -> Solution:
    """Solve an instance with approved sites by an own engine (:func:`fixed_as_existing`).

    ``solve_derived`` solves the derived instance; its plan plus the approved pairs is verified
    on the original instance, and bounds of ``min_cost`` stages are shifted by the approved cost.
    """
    conflicts = fixed_conflicts(instance)
    if conflicts:
        why = {"message": "the planning rules cannot all hold:\n  " + "\n  ".join(conflicts)}
        return finish(instance, Status.INFEASIBLE, None, before, before,
                      {"native_status": "not run: the approved facilities break a limit"}, {},
                      why)
    derived, fixed, cost = fixed_as_existing(instance)
    sol = solve_derived(derived)
    if not sol.status.has_solution:
        return finish(instance, sol.status, None, before, before, sol.solver, sol.model,
                      sol.explanation)
    index = {sid: j for j, sid in enumerate(instance.site_ids)}
    cat = {cid: k for k, cid in enumerate(instance.category_ids)}
    found = np.array([(index[o["site"]], cat[o["category"]]) for o in sol.open],
                     dtype=np.int64).reshape(-1, 2)
    pairs = np.vstack([found, fixed])
    check = verify(instance, pairs)
    check_staged(check)
    out = finish(instance, sol.status, pairs, check, before, sol.solver, sol.model,
                 sol.explanation)
    shift = cost if instance.objective.type == "min_cost" else 0.0
    out.bound = None if sol.bound is None else sol.bound + shift
    out.gap = gap_of(check.objective, out.bound)
    stages = [dict(o, bound=None if o.get("bound") is None else
                   o["bound"] + (cost if o["type"] == "min_cost" else 0.0))
              for o in sol.objectives or []] or None
    out.objectives, out.groups, _ = report(instance, check, before, stages, sol.status)
    return out
