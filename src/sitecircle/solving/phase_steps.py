"""Phase by phase: the heuristic's plan over several years (FORMAT.md "Phases").

The exact engines solve all phases at once (:mod:`sitecircle.model.phases`). The heuristic
engine, which answers instances too big for them, plans one phase after the other instead: phase
t is a single-period instance in which what opened before is approved (``fixed``, so it covers
like an existing facility and its cost and open costs are already spent) and the limits are
what phase t may add:

* budget: spent so far + min(phase ``budget``, the least ``budget_to_date`` of this and the later
  phases − spent, top-level ``budget`` − spent), none when none of them is set;
* ``max_new``: opened so far + min(phase ``max_new``, top-level ``max_new`` − opened); the
  top-level per-category ``max_new`` and every site's ``max_categories`` count what opened
  before, as approved facilities do;
* the objective is the instance's, without phases; for ``min_cost`` the target is the phase's
  ``target_share`` (a phase without one opens nothing).

Each phase maximises its own value (or reaches its own target at least cost) given the earlier
phases: the plan is myopic — it never holds money back for a later phase — so it is
``feasible``, never proven optimal, and has no bound; a later phase that cannot hold its rules
after the earlier ones is ``no_solution`` (not ``infeasible``: planned together, the phases might
fit). Every number of the result is recomputed by the verifier on the original instance, phases
included.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sitecircle.errors import SolveError
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE, Phase
from sitecircle.solution import Solution
from sitecircle.solution_status import Status
from sitecircle.solving.answer import solution_from
from sitecircle.solving.planned import add_phases
from sitecircle.verifier.check import Verification, verify


def _least(*limits: float | None) -> float | None:
    values = [v for v in limits if v is not None]
    return min(values) if values else None


def _cost(instance: Instance, opened: np.ndarray) -> float:
    """Cost of the opened pairs, open costs of their sites included."""
    return float(instance.site_cost[opened].sum()
                 + instance.site_open_cost[opened.any(axis=1)].sum())


def phase_instance(instance: Instance, t: int, opened: np.ndarray, spent: float) -> Instance:
    """Phase ``t``'s single-period instance (module docstring); ``opened`` ``(m, K)`` bool."""
    obj = instance.objective
    assert obj.phases is not None
    p: Phase = obj.phases[t]
    count = int(opened.sum())
    to_date = _least(*(q.budget_to_date for q in obj.phases[t:]))  # later ones bind already
    left = _least(p.budget, None if to_date is None else to_date - spent,
                  None if obj.budget is None else obj.budget - spent)
    more = _least(p.max_new, None if obj.max_new_total is None else obj.max_new_total - count)
    fixed = opened | (instance.fixed if t == 0 else False)
    objective = dataclasses.replace(
        obj, phases=None, budget=None if left is None else spent + max(left, 0.0),
        max_new_total=None if more is None else count + max(int(more), 0),
        target_share=p.target_share if p.target_share is not None else 0.0)
    return dataclasses.replace(instance, site_fixed=fixed, objective=objective)


def steps_fit(instance: Instance) -> bool:
    """Whether the heuristic can plan the instance phase by phase: phases are its only planning
    field (approved sites aside) and no category is capacitated."""
    obj = instance.objective
    return bool(obj.phases is not None and not obj.equity and obj.then is None
                and obj.type != "max_min_share" and obj.target_measure != COMPLETE
                and not instance.capacitated.any())


def solve_phase_by_phase(
    instance: Instance, solve_one: Callable[[Instance], Solution], *, before: Verification,
    finish: Callable[..., Solution],
) -> Solution:
    """Plan phase after phase with ``solve_one`` (the heuristic on one period).

    ``finish`` builds a :class:`Solution` as the pipeline does; the result has the phase fields
    (``open[].phase``, ``phases``), all verified on the original instance.
    """
    obj = instance.objective
    assert obj.phases is not None
    site, cat = ({s: j for j, s in enumerate(instance.site_ids)},
                 {c: k for k, c in enumerate(instance.category_ids)})
    opened = np.zeros((instance.n_sites, instance.n_categories), dtype=bool)
    when = np.full(opened.shape, -1, dtype=np.int64)
    spent = 0.0
    last: Solution | None = None
    for t, p in enumerate(obj.phases):
        if obj.type == "min_cost" and p.target_share is None and not (
                t == 0 and instance.fixed.any()):
            continue  # no target here: nothing needs to open (approved ones: a 0 target)
        step = solve_one(phase_instance(instance, t, opened, spent))
        if not step.status.has_solution:
            why = dict(step.explanation or {})
            status = step.status
            if t > 0:  # maybe only after these earlier phases
                status = Status.NO_SOLUTION
                why["message"] = (f"after the heuristic's earlier phases, no plan was found for "
                                  f"phase {p.id!r} (the earlier phases may have spent or placed "
                                  "what it needed, or saved too little); an exact engine plans "
                                  "all phases together. Phase " + repr(p.id) + ": "
                                  + why.get("message", step.status.value))
            else:
                why["message"] = f"phase {p.id!r}: " + why.get("message", status.value)
            return finish(instance, status, None, before, before, step.solver, step.model, why)
        for o in step.open:
            j, k = site[o["site"]], cat[o["category"]]
            if not opened[j, k]:
                opened[j, k], when[j, k] = True, t
        spent = _cost(instance, opened)
        last = step
    pairs = np.argwhere(opened).astype(np.int64)
    phase = when[opened]
    check = verify(instance, pairs, phase=phase)
    solver = dict(last.solver) if last is not None else {"engine": "heuristic"}
    solver.update(method="phase by phase (each phase's single-period plan, earlier phases "
                         "approved)")
    if check.violations:
        msg = ("the phase-by-phase plan breaks " + "; ".join(check.violations[:5])
               + "; this is a bug, please report it with the instance")
        raise SolveError(msg)
    out = finish(instance, Status.FEASIBLE, pairs, check, before, solver,
                 dict(last.model) if last is not None else {}, None)
    add_phases(instance, out, pairs, phase, check)
    return out


def phase_by_phase(
    inst: Instance, solve: Callable[..., Solution], t_start: float, time_limit: float | None,
    keywords: dict[str, Any],
) -> Solution:
    """The heuristic's phased plan: each phase solved by ``solve`` (:func:`sitecircle.solve`)
    on its single-period instance (:func:`phase_instance`), sharing the time limit equally among
    the phases still to plan."""
    phases = inst.objective.phases
    assert phases is not None
    steps = iter(range(len(phases), 0, -1))

    def solve_one(derived: Instance) -> Solution:
        left = next(steps, 1)
        limit = None if time_limit is None else max(
            (time_limit - (time.perf_counter() - t_start)) / left, 0.01)
        return solve(derived, time_limit=limit, **keywords)

    before = verify(inst, np.empty((0, 2), dtype=np.int64))
    out = solve_phase_by_phase(inst, solve_one, before=before, finish=solution_from)
    out.solver.update(seconds=time.perf_counter() - t_start)
    return out
