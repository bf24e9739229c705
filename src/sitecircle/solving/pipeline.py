"""The library entry point: :func:`solve`, mirroring ``sitecircle solve``.

Pipeline: read → travel times and coverage → model → backend → independent verification →
:class:`~sitecircle.solution.Solution`. Every number in the result comes from the verifier; a
backend answer that the verifier does not confirm raises :class:`~sitecircle.errors.SolveError`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sitecircle.backends.base import Backend, BackendResult, Feature, SolveOptions
from sitecircle.backends.own_engines import BENDERS, HEURISTIC, OwnEnginesBackend
from sitecircle.backends.registry import OWN_ENGINES, backend_for, get_backend
from sitecircle.engines.heuristic import heuristic_fits
from sitecircle.errors import OptionsError, ResourceLimitError, SolveError
from sitecircle.instance.data import Instance
from sitecircle.instance.read import as_instance
from sitecircle.model.build import BASKET_SECONDS, build_model
from sitecircle.model.capacity import assignment_records
from sitecircle.model.linear import LinearModel
from sitecircle.parallel import check_scheduler, map_tasks
from sitecircle.solution import Solution
from sitecircle.solution_status import Status
from sitecircle.solving.answer import solution_from
from sitecircle.solving.capacity_note import explain_capacities
from sitecircle.solving.choice import choose_engine, is_small, runs_in_process
from sitecircle.solving.explain import (
    explain_limits,
    explain_max_categories,
    explain_unreachable_target,
    share_probe_instance,
)
from sitecircle.solving.first_stage import (
    best_of,
    head_start_fits,
    single_stage_view,
    solve_with_head_start,
)
from sitecircle.solving.options import time_limit_for
from sitecircle.solving.parts import parts, solve_parts
from sitecircle.solving.phase_steps import phase_by_phase, steps_fit
from sitecircle.solving.planned import (
    StageRunner,
    check_capacities_compose,
    check_engine,
    check_held,
    check_staged,
    follow_stages,
    planned_solution,
    report,
    solution_with_fixed,
    stage_runner,
)
from sitecircle.solving.runner import RunInfo, no_solution, run_backend
from sitecircle.solving.saturate import solve_saturated
from sitecircle.solving.stages import StagedOutcome, needs_planning_model
from sitecircle.solving.warm import heuristic_options, warm_start
from sitecircle.travel.coverage import Coverage, coverage_from_instance
from sitecircle.travel.memory import estimate_memory_bytes, estimate_pairs
from sitecircle.verifier.check import Verification, verify

#: Relative tolerance between the backend's objective and the verifier's.
AGREEMENT_TOLERANCE = 1e-6
__all__ = ["BENDERS", "HEURISTIC", "OWN_ENGINES", "relative_gap", "solve"]


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|bound - objective| / |objective|``; 0 when both are 0; None when undefined."""
    if objective is None or bound is None:
        return None
    diff = abs(bound - objective)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    if objective == 0:
        return None
    return diff / abs(objective)




def _open_pairs(model: LinearModel, values: np.ndarray) -> np.ndarray:
    x = values[model.blocks["open"]]
    chosen = np.flatnonzero(x > 0.5)
    return np.column_stack([model.open_site[chosen], model.open_category[chosen]]).astype(np.int64)


def _check_agreement(
    model: LinearModel, result: BackendResult, check: Verification, backend: str
) -> None:
    if check.violations:
        msg = (f"backend {backend!r} ({result.engine}) returned a solution the verifier rejects: "
               + "; ".join(check.violations[:5]) + "; try another backend")
        raise SolveError(msg)
    if result.objective is None:
        return
    tol = AGREEMENT_TOLERANCE * max(1.0, abs(check.objective))
    diff = check.objective - result.objective
    # The model may under-report coverage of a non-optimal point (y below its cap), never more.
    too_far = abs(diff) > tol if (result.status is Status.OPTIMAL or model.sense == "min") \
        else diff < -tol
    if too_far:
        msg = (f"backend {backend!r} ({result.engine}) reports objective {result.objective:.10g}"
               f" but the verifier recomputes {check.objective:.10g}; this is a bug, please "
               "report it with the instance")
        raise SolveError(msg)


def solve(
    instance: Instance | dict[str, Any] | str | Path,
    *,
    backend: str | Backend | None = None,
    engine: str | None = None,
    time_limit: float | None = None,
    gap: float = 0.0,
    threads: int | None = None,
    seed: int = 0,
    verbose: bool = False,
    backend_options: dict[str, Any] | None = None,
    isolate: bool | None = None,
    memory_limit_gb: float | None = None,
    progress: Callable[[str], None] | None = None,
    coverage: Coverage | None = None,
    scheduler: str | None = None,
) -> Solution:
    """Solve an instance and verify the answer independently.

    Parameters
    ----------
    instance
        An :class:`Instance`, a decoded instance document, or a path to one.
    backend
        ``"ortools"`` (default when installed), ``"pulp"``, ``"sitecircle"`` (the own engines),
        or a :class:`Backend` instance.
    engine
        Engine of the backend (ortools: ``scip``, ``highs``, ``sat``; pulp: ``cbc``, ``highs``;
        default: the backend's default, except ``highs`` on OR-Tools for small models, see
        :func:`sitecircle.solving.choice.choose_engine`),
        or, whatever the backend, one of sitecircle's own engines
        (:mod:`sitecircle.backends.own_engines`): ``"heuristic"``, greedy + interchange with a
        Lagrangian bound, ``feasible`` with a gap unless the bound proves it; ``"benders"``,
        Benders decomposition with HiGHS (``max_coverage`` and ``min_cost``), exact when it
        closes the gap in time.
    time_limit
        Wall-clock limit in seconds for the whole call: reading, coverage and model building
        count too, and the solver gets what remains. It is enforced (see
        :mod:`sitecircle.solving.runner`); a run stopped by it returns its best solution as
        ``feasible`` with bound and gap, or ``no_solution``. Without one, an engine that cannot
        prove optimality (``sat``) gets
        :data:`~sitecircle.backends.base.UNPROVING_TIME_LIMIT_S`, recorded in the solution's
        ``solver`` block (``time_limit``, ``default_time_limit``).
    gap
        Relative gap at which the solver may stop and report optimal (default 0).
    threads
        Solver threads.
    seed
        Random seed.
    verbose
        Print the solver log.
    backend_options
        Engine-specific options passed to the backend unchanged.
    isolate
        Run the solver in a child process so that the time limit, Ctrl-C and solver crashes are
        handled safely (default: when a time limit is given; the command line always does).
        A small model on a built-in engine without a time limit runs in this process anyway
        (:func:`sitecircle.solving.choice.runs_in_process`: nothing to contain, and the child
        would cost more than the solve).
    progress
        Called with a short text as each phase starts (the command line shows it on a
        terminal).
    memory_limit_gb
        Refuse, before computing coverage, an instance whose estimated peak memory exceeds this
        many GiB (:class:`~sitecircle.errors.ResourceLimitError`, with the estimate).
    coverage
        Coverage computed earlier by :func:`~sitecircle.travel.coverage.coverage_from_instance` for
        an
        instance with the same communities, sites, existing facilities, thresholds and travel
        (e.g. the same city at another budget: :func:`sitecircle.sweep` reuses it). The answer is
        still verified from scratch; by default coverage is computed here.
    scheduler
        Where the independent parts of a separable model run (no ``budget``, ``max_new`` or
        ``target`` row ties its components together, e.g. the cities of a province under
        ``min_cost``): None, one after another (default); ``"local"``, an in-process Dask
        cluster; or a Dask scheduler address (:mod:`sitecircle.parallel`). Same answer either
        way.

    Returns
    -------
    Solution
        Status, verified objective, bound, gap and the opened facilities.

    Raises
    ------
    InstanceError
        The instance is invalid.
    BackendUnavailableError
        The backend or engine is unknown or not installed.
    SolveError
        The backend failed or its answer did not survive verification.
    """
    t_start = time.perf_counter()
    options = SolveOptions(engine=engine, time_limit_s=time_limit, mip_gap=gap, threads=threads,
                           seed=seed, verbose=verbose, backend_options=dict(backend_options or {}))
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
    timings: dict[str, float] = {}
    exact = get_backend(backend)  # also explains an infeasible answer of an own engine
    chosen = backend_for(exact, engine)
    options = dataclasses.replace(options, engine=chosen.check(options))
    time_limit, limit_note = time_limit_for(chosen, options.engine, time_limit)
    options = dataclasses.replace(options, time_limit_s=time_limit)
    if isolate is None:
        isolate = time_limit is not None
    inst = as_instance(instance)
    check_engine(single_stage_view(inst), engine)  # "then": [] is no later stage
    check_capacities_compose(single_stage_view(inst))
    by_phase = dict(backend=backend, engine=HEURISTIC, gap=gap, threads=threads, seed=seed,
                    verbose=verbose, backend_options=backend_options, isolate=isolate,
                    memory_limit_gb=memory_limit_gb, progress=progress)
    if engine == HEURISTIC and inst.objective.phases is not None:  # phase by phase
        return phase_by_phase(inst, solve, t_start, time_limit, by_phase)
    if engine in OWN_ENGINES and inst.fixed.any():  # approved sites: existing for own engines
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - t_start),
                                                   0.01)
        return solution_with_fixed(inst, lambda derived: solve(
            derived, backend=backend, engine=engine, time_limit=left, gap=gap, threads=threads,
            seed=seed, verbose=verbose, backend_options=backend_options, isolate=isolate,
            memory_limit_gb=memory_limit_gb, progress=progress), before=verify(inst, np.empty(
                (0, 2), dtype=np.int64)), finish=solution_from)
    timings["read"] = time.perf_counter() - t_start
    if memory_limit_gb is not None:
        _check_memory(inst, memory_limit_gb)
    t = time.perf_counter()
    say = progress or (lambda _text: None)
    say(f"travel times and coverage ({inst.travel.mode}, {inst.n_communities:,} communities × "
        f"{inst.n_sites + inst.n_existing:,} facilities)")
    computed_here = coverage is None
    if coverage is None:
        coverage = coverage_from_instance(inst)
    elif (coverage.n_communities, coverage.n_sites, coverage.n_categories) != (
            inst.n_communities, inst.n_sites, inst.n_categories):
        msg = (f"coverage is for {coverage.n_communities} communities × {coverage.n_sites} sites"
               f" × {coverage.n_categories} categories, the instance has {inst.n_communities} × "
               f"{inst.n_sites} × {inst.n_categories}; pass coverage of this instance or none")
        raise OptionsError(msg)
    timings["coverage"] = time.perf_counter() - t
    before = verify(inst, np.empty((0, 2), dtype=np.int64))
    solver_info: dict[str, Any] = {
        "backend": chosen.name, "engine": options.engine, "versions": chosen.versions(),
        "time_limit": time_limit, "gap_limit": gap, "threads": threads, "seed": seed,
    }
    if limit_note is not None:
        solver_info.update(default_time_limit=limit_note)
    if inst.objective.type == "min_cost" and inst.objective.target_measure == "category":
        why = explain_unreachable_target(inst, coverage)
        if why is not None:
            timings["total"] = time.perf_counter() - t_start
            solver_info.update(seconds=timings["total"], timings=timings,
                               native_status="not run: target unreachable")
            return solution_from(inst, Status.INFEASIBLE, None, before, before, solver_info, {},
                                 why)
    deadline = None if time_limit is None else t_start + time_limit
    runner = stage_runner(chosen, isolate, limited=time_limit is not None)
    if (engine is None and inst.objective.phases is not None and steps_fit(inst)
            and len(inst.objective.phases) * len(coverage.site) > AUTO_HEURISTIC_NONZEROS):
        why_auto = (f"{len(inst.objective.phases)} phases × {len(coverage.site):,} coverage "
                    "pairs: exact engines are not expected to finish the phased model, so the "
                    "heuristic planned phase by phase; pass --engine to force an exact engine")
        out = phase_by_phase(inst, solve, t_start, time_limit, by_phase)
        out.solver.update(auto_heuristic=why_auto)
        return out
    # FORMAT.md "Planning extensions": staged, on the planning model
    if needs_planning_model(single_stage_view(inst)):
        if engine is None and chosen.takes(options.engine, Feature.PROVES_OPTIMALITY):
            options = dataclasses.replace(options, engine=None)  # each stage: by its size
        return planned_solution(inst, coverage, runner, options, deadline=deadline, say=say,
                                solver_info=solver_info, timings=timings, t_start=t_start,
                                before=before, finish=solution_from)
    t = time.perf_counter()
    say(f"building the model ({len(coverage.site):,} coverage pairs)")
    # Basket rows (max_complete) get a tenth of a time limit, at most their default.
    model = build_model(inst, coverage, basket_seconds=BASKET_SECONDS if time_limit is None
                        else min(BASKET_SECONDS, BASKET_SHARE * time_limit))
    timings["build"] = time.perf_counter() - t
    # Capacities keep their single stage: the planning model has no assignment variables, so the
    # default min_cost follow-up would not hold the served demand (refused above when explicit).
    stages_follow = len(inst.objective.stages) > 1 and not inst.capacitated.any()
    if computed_here and not stages_follow:  # 20 bytes a triple: free it for the solver
        coverage = None
    if time_limit is not None:
        remaining = time_limit - (time.perf_counter() - t_start)
        if remaining <= 0:
            timings["total"] = time.perf_counter() - t_start
            solver_info.update(seconds=timings["total"], timings=timings,
                               native_status="not run: time limit spent before solving")
            why = {"message": f"reading, coverage and model building took "
                              f"{timings['total']:.2f} s, the whole time limit of {time_limit:g} s"}
            return solution_from(inst, Status.NO_SOLUTION, None, before, before, solver_info,
                           model.stats, why)
        options = dataclasses.replace(options, time_limit_s=remaining)
    if engine is None:  # no engine named: the fastest for the model's size
        options = dataclasses.replace(
            options, engine=choose_engine(chosen, model, None) or options.engine)
    note = None
    own = isinstance(chosen, OwnEnginesBackend)
    split = [] if own else parts(model)  # the own engines take the whole model
    auto = engine is None
    # The automatic choice never hands the heuristic a model it refuses (capacities beyond
    # max_coverage).
    if (auto and model.A.nnz > AUTO_HEURISTIC_NONZEROS and len(split) < 2
            and heuristic_fits(model)):
        chosen, own, options = OwnEnginesBackend(), True, heuristic_options(options)
        note = (f"the model has {model.A.nnz:,} nonzeros (more than "
                f"{AUTO_HEURISTIC_NONZEROS:,}): exact engines are not expected to finish, so the "
                "heuristic answered with a Lagrangian bound; pass --engine to force an exact "
                "engine")
        solver_info.update(auto_heuristic=note, backend=chosen.name,
                           versions=chosen.versions())
    fallback, presolved = None, None
    if time_limit is not None and model.n_vars > 0 and not own:
        fallback, options = warm_start(model, options, chosen)
    limit = "" if options.time_limit_s is None else f", limit {options.time_limit_s:.0f} s"
    say(f"solving with {chosen.name}/{options.engine} ({model.n_vars:,} variables, "
        f"{model.n_rows:,} rows, {model.A.nnz:,} nonzeros{limit})")
    if (auto and fallback is not None and fallback.status is Status.OPTIMAL
            and not is_small(model)):  # proved already (a small model: the engine is quick)
        result, run = fallback, RunInfo()
    elif len(split) > 1:
        how = "one by one" if scheduler is None else f"on Dask ({scheduler})"
        say(f"the model splits into {len(split)} independent parts, solved {how}")
        solver = _PartSolver(chosen, isolate, auto)
        result, run = _solve_split(solver, model, options, split, scheduler)
        solver_info.update(parts=len(split))
        if result.extra.get("heuristic_parts"):
            note = (f"{result.extra['heuristic_parts']} of {len(split)} independent parts "
                    f"have more than {AUTO_HEURISTIC_NONZEROS:,} nonzeros: the heuristic "
                    "solved those; pass --engine to force an exact engine")
            solver_info.update(auto_heuristic=note)
    elif (saturated := _saturated(inst, model, runner, options, own, stages_follow)) is not None:
        (result, presolved), run = saturated, runner.last
    elif auto and not own and head_start_fits(model, options):  # heuristic, LP bound, engine
        result, run = solve_with_head_start(model, options, runner, say), runner.last
    else:
        result, run = _run_backend(chosen, model, options, isolate)
    result = best_of(model, result, fallback)
    solver_info.update(interrupted=run.interrupted, isolated=run.isolated)
    timings["translate"] = result.translate_seconds
    timings["solve"] = result.solve_seconds
    solver_info.update(engine=result.engine, native_status=result.native_status)
    explanation = {"message": note} if note else None
    if result.status is Status.INFEASIBLE:
        again = coverage if coverage is not None else coverage_from_instance(inst)
        # An own engine's "infeasible" is explained by the exact backend's default engine.
        exact_options = dataclasses.replace(
            options, engine=options.engine if chosen is exact else exact.default_engine,
            warm_start=None, backend_options=options.backend_options if chosen is exact else {})
        explanation = _explain_infeasible(inst, again, exact, exact_options, isolate)
    if not result.status.has_solution or result.values is None:
        timings["total"] = time.perf_counter() - t_start
        solver_info.update(seconds=timings["total"], timings=timings)
        return solution_from(inst, result.status, None, before, before, solver_info, model.stats,
                        explanation)
    t = time.perf_counter()
    pairs = _open_pairs(model, result.values)
    say("verifying the answer independently")
    # Capacities: who is served where (re-solved for the chosen sites unless proven optimal)
    stated = assignment_records(inst, model, result.values, polish=result.status is not
                                Status.OPTIMAL and engine != HEURISTIC)
    check = verify(inst, pairs) if stated is None else verify(inst, pairs, stated)
    _check_agreement(model, result, check, chosen.name)
    staged = None
    # FORMAT.md "Priorities": max objectives are followed by min_cost; not after a Ctrl-C or
    # SIGTERM (the caller asked to stop: the first stage's best plan is the answer, feasible).
    if stages_follow and run.interrupted != "signal":
        t_stages = time.perf_counter()
        again = coverage if coverage is not None else coverage_from_instance(inst)
        result, staged = (result, presolved) if presolved is not None else follow_stages(
            inst, again, runner, options, engine=engine, model=model, result=result,
            deadline=deadline, say=say)
        held = check.objective
        pairs = staged.pairs if staged is not None and staged.pairs is not None else \
            _open_pairs(model, result.values if result.values is not None else np.zeros(0))
        check = verify(inst, pairs)
        check_staged(check)
        check_held(inst, held, check.objective)
        timings["stages"] = time.perf_counter() - t_stages
    timings["verify"] = time.perf_counter() - t - timings.get("stages", 0.0)
    status = result.status
    if (staged is not None and staged.status is not Status.OPTIMAL) or (
            stages_follow and staged is None and run.interrupted == "signal"):
        status = Status.FEASIBLE  # a later stage unfinished, or skipped after Ctrl-C
    solution_gap = relative_gap(check.objective, result.bound)
    if status is Status.OPTIMAL and solution_gap is not None and solution_gap > gap + 1e-6:
        status = Status.FEASIBLE  # the engine's "optimal" is not optimal at the requested gap
    timings["total"] = time.perf_counter() - t_start
    solver_info.update(seconds=timings["total"], timings=timings)
    out = solution_from(inst, status, pairs, check, before, solver_info, model.stats, explanation)
    out.bound, out.gap = result.bound, solution_gap
    if stages_follow:
        out.objectives, out.groups, _ = report(inst, check, before, staged.stages if staged
                                               else None, result.status)
    return out


#: Share of a time limit the basket rows of ``max_complete`` may take (at most
#: :data:`~sitecircle.model.build.BASKET_SECONDS`).
BASKET_SHARE = 0.1
#: Without an explicit engine, models with more nonzeros than this are solved by the heuristic
#: (measured here: at 50k × 5k × 4 categories, ~0.8M nonzeros, neither HiGHS nor SCIP finished
#: the LP relaxation in 60 s).
AUTO_HEURISTIC_NONZEROS = 1_000_000
def _saturated(
    inst: Instance, model: LinearModel, runner: StageRunner, options: SolveOptions, own: bool,
    stages_follow: bool,
) -> tuple[BackendResult, StagedOutcome | None] | None:
    """Both stages as one covering solve (:mod:`sitecircle.solving.saturate`), where it applies.

    Only for an exact backend without a time limit, with the default ``min_cost`` stage after
    the first one and tolerance 0, or with no stage after it (``"then": []``: any plan of the
    covering model answers).
    """
    obj = inst.objective
    if own or options.time_limit_s is not None or obj.tolerance != 0:
        return None
    if stages_follow and len(obj.stages) == 2:
        return solve_saturated(inst, model, runner, options)
    if not stages_follow and len(obj.stages) == 1 and not model.capacitated:
        return solve_saturated(inst, model, runner, options, first_only=True)
    return None


def _check_memory(inst: Instance, limit_gb: float) -> None:

    pairs = estimate_pairs(inst)
    need = estimate_memory_bytes(inst.n_communities, inst.n_sites, inst.n_categories, pairs)
    if need > limit_gb * 2**30:
        msg = (f"the instance needs about {need / 2**30:.1f} GiB (about {pairs:,} coverage pairs), "
               f"more than the limit of {limit_gb:g} GiB; aggregate communities (e.g. a coarser "
               "population grid), lower the thresholds, or raise --memory-limit")
        raise ResourceLimitError(msg)


def _nothing_to_decide(model: LinearModel, engine: str) -> BackendResult:
    """The answer of a model without variables: its constant, optimal."""
    return BackendResult(status=Status.OPTIMAL, values=np.zeros(0), objective=model.offset,
                         bound=model.offset, native_status="trivial: nothing to decide",
                         engine=engine, solve_seconds=0.0, translate_seconds=0.0)


def _run_backend(
    chosen: Backend, model: LinearModel, options: SolveOptions, isolate: bool | None
) -> tuple[BackendResult, RunInfo]:
    """Run the backend; a model without variables needs no solver."""
    if model.n_vars == 0:
        return _nothing_to_decide(model, options.engine or chosen.default_engine), RunInfo()
    if isolate and runs_in_process(chosen, model, options):
        isolate = False  # small, no time limit, built-in engine: nothing for a child to contain
    return run_backend(chosen, model, options, isolate=isolate)


class _PartSolver:
    """Solves one independent part: the backend, or the heuristic for a big part in auto mode.

    A module-level class, so Dask can send it to the workers of a scheduler.
    """

    def __init__(self, chosen: Backend, isolate: bool | None, auto: bool) -> None:
        self.chosen, self.isolate, self.auto = chosen, isolate, auto
        self.interrupted: str | None = None

    def __call__(self, part: LinearModel, options: SolveOptions) -> BackendResult:
        if self.interrupted == "signal":  # Ctrl-C or SIGTERM: the remaining parts are skipped
            return no_solution(self.chosen, options, "skipped: interrupted")
        backend = self.chosen
        if self.auto and part.A.nnz > AUTO_HEURISTIC_NONZEROS and heuristic_fits(part):
            backend, options = OwnEnginesBackend(), heuristic_options(options)
        result, info = _run_backend(backend, part, options, self.isolate)
        if backend is not self.chosen:
            result = dataclasses.replace(result, extra={**result.extra, "heuristic": True})
        self.interrupted = self.interrupted or info.interrupted
        return result


def _solve_split(
    solver: _PartSolver, model: LinearModel, options: SolveOptions,
    split: list[tuple[np.ndarray, np.ndarray]], scheduler: str | None,
) -> tuple[BackendResult, RunInfo]:
    """Solve independent parts one by one, or on Dask when a scheduler is given."""
    mapper = None
    if scheduler is not None:

        def mapper(fn: Callable[[Any], BackendResult], items: Any) -> list[BackendResult]:
            return [r.unwrap() for r in map_tasks(fn, items, scheduler=scheduler)]

    result = solve_parts(model, options, solver, split, mapper)
    info = RunInfo(interrupted=solver.interrupted, isolated=solver.isolate is not False)
    return result, info


def _explain_infeasible(
    inst: Instance, coverage: Coverage, chosen: Backend, options: SolveOptions,
    isolate: bool | None,
) -> dict[str, Any]:
    """The target is reachable (checked before), so the limits make it infeasible."""
    free = dataclasses.replace(inst, objective=dataclasses.replace(
        inst.objective, budget=None, max_new_total=None, max_new_per_category=None))
    model = build_model(free, coverage, basket_seconds=0.0)
    relaxed, _ = _run_backend(chosen, model, options, isolate)
    if relaxed.status.has_solution and relaxed.values is not None:
        pairs = _open_pairs(model, relaxed.values)
        check = verify(free, pairs)
        return explain_limits(inst, check.cost, len(pairs))
    if inst.capacitated.any():  # nothing fits even without limits: the capacities
        return explain_capacities(inst)
    if relaxed.status is Status.INFEASIBLE and inst.objective.type == "min_cost":
        probe = share_probe_instance(inst)  # only max_categories is left: how far can it go?
        probe_model = build_model(probe, coverage, basket_seconds=0.0)
        best, _ = _run_backend(chosen, probe_model, options, isolate)
        shares = None
        if best.status.has_solution and best.values is not None:
            reached = verify(probe, _open_pairs(probe_model, best.values)).coverage
            shares = {cid: float(v["share"]) for cid, v in reached.items()}
        return explain_max_categories(inst, coverage, shares)
    return explain_limits(inst, None, None)
