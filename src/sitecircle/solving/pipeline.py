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

from sitecircle.backends import Backend, BackendResult, SolveOptions, get_backend
from sitecircle.engines.benders import benders_solve
from sitecircle.engines.benders_cuts import UnsupportedModel
from sitecircle.engines.heuristic import heuristic_solve
from sitecircle.errors import OptionsError, ResourceLimitError, SolveError
from sitecircle.instance.data import Instance
from sitecircle.instance.read import as_instance
from sitecircle.model.build import build_model
from sitecircle.model.linear import LinearModel
from sitecircle.parallel import check_scheduler, map_tasks
from sitecircle.solution import Solution
from sitecircle.solution_status import Status
from sitecircle.solving.choice import choose_engine, runs_in_process
from sitecircle.solving.explain import explain_limits, explain_unreachable_target
from sitecircle.solving.parts import parts, solve_parts
from sitecircle.solving.runner import RunInfo, no_solution, run_backend, stdout_to_stderr
from sitecircle.travel.coverage import Coverage, coverage_from_instance
from sitecircle.travel.memory import estimate_memory_bytes, estimate_pairs
from sitecircle.verifier.check import Verification, verify

#: Relative tolerance between the backend's objective and the verifier's.
AGREEMENT_TOLERANCE = 1e-6
#: The engine name that runs sitecircle's own heuristic (greedy, interchange, Lagrangian bound)
#: instead of a backend.
HEURISTIC = "heuristic"
#: The engine name of sitecircle's Benders decomposition (:mod:`sitecircle.engines.benders`).
BENDERS = "benders"
#: Engines sitecircle runs itself: no backend engine is checked or started for them.
OWN_ENGINES = (HEURISTIC, BENDERS)


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
        ``"ortools"`` (default when installed), ``"pulp"``, or a :class:`Backend` instance.
    engine
        Engine of the backend (ortools: ``scip``, ``highs``, ``sat``; pulp: ``cbc``, ``highs``;
        default: the backend's default, except ``highs`` on OR-Tools for small models, see
        :func:`sitecircle.solving.choice.choose_engine`),
        or ``"heuristic"``: sitecircle's greedy + interchange heuristic with a Lagrangian bound,
        no backend needed; its answer is ``feasible`` with a gap unless the bound proves it.
        Or ``"benders"``: Benders decomposition with HiGHS (:mod:`sitecircle.engines.benders`;
        ``max_coverage`` and ``min_cost``), exact when it closes the gap in time.
    time_limit
        Wall-clock limit in seconds for the whole call: reading, coverage and model building
        count too, and the solver gets what remains. It is enforced (see
        :mod:`sitecircle.solving.runner`); a run stopped by it returns its best solution as
        ``feasible`` with bound and gap, or ``no_solution``.
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
    check_options(time_limit, gap, threads, seed)
    if scheduler is not None:

        scheduler = check_scheduler(scheduler)
    timings: dict[str, float] = {}
    chosen = get_backend(backend)
    options = SolveOptions(engine=engine, time_limit_s=time_limit, mip_gap=gap, threads=threads,
                           seed=seed, verbose=verbose, backend_options=dict(backend_options or {}))
    if engine not in OWN_ENGINES:
        options = dataclasses.replace(options, engine=chosen.check(options))
    if isolate is None:
        isolate = time_limit is not None
    inst = as_instance(instance)
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
        "backend": chosen.name, "engine": options.engine or chosen.default_engine,
        "versions": chosen.versions(), "time_limit": time_limit, "gap_limit": gap,
        "threads": threads, "seed": seed,
    }
    if inst.objective.type == "min_cost":
        why = explain_unreachable_target(inst, coverage)
        if why is not None:
            timings["total"] = time.perf_counter() - t_start
            solver_info.update(seconds=timings["total"], timings=timings,
                               native_status="not run: target unreachable")
            return _result(inst, Status.INFEASIBLE, None, before, before, solver_info, {}, why)
    t = time.perf_counter()
    say(f"building the model ({len(coverage.site):,} coverage pairs)")
    model = build_model(inst, coverage)
    timings["build"] = time.perf_counter() - t
    if computed_here:  # 20 bytes a triple: free it for the solver (recomputed if infeasible)
        coverage = None
    if time_limit is not None:
        remaining = time_limit - (time.perf_counter() - t_start)
        if remaining <= 0:
            timings["total"] = time.perf_counter() - t_start
            solver_info.update(seconds=timings["total"], timings=timings,
                               native_status="not run: time limit spent before solving")
            why = {"message": f"reading, coverage and model building took "
                              f"{timings['total']:.2f} s, the whole time limit of {time_limit:g} s"}
            return _result(inst, Status.NO_SOLUTION, None, before, before, solver_info,
                           model.stats, why)
        options = dataclasses.replace(options, time_limit_s=remaining)
    if engine is None:  # no engine named: the fastest for the model's size
        options = dataclasses.replace(
            options, engine=choose_engine(chosen, model, None) or options.engine)
    note = None
    split = parts(model) if engine not in OWN_ENGINES else []
    auto = engine is None
    if auto and model.A.nnz > AUTO_HEURISTIC_NONZEROS and len(split) < 2:
        engine = HEURISTIC
        note = (f"the model has {model.A.nnz:,} nonzeros (more than "
                f"{AUTO_HEURISTIC_NONZEROS:,}): exact engines are not expected to finish, so the "
                "heuristic answered with a Lagrangian bound; pass --engine to force an exact "
                "engine")
        solver_info.update(auto_heuristic=note)
    if engine == HEURISTIC:
        say(f"heuristic ({model.n_vars:,} variables, {model.A.nnz:,} nonzeros)")
        result, run = _heuristic(model, options), RunInfo()
        solver_info.update(backend="sitecircle", engine=HEURISTIC)
    elif engine == BENDERS:
        say(f"benders ({model.n_vars:,} variables, {model.A.nnz:,} nonzeros)")
        result, run = _benders(model, options), RunInfo()
        solver_info.update(backend="sitecircle", engine=BENDERS)
    else:
        fallback = None
        if time_limit is not None and model.n_vars > 0:
            fallback, options = _warm_start(model, options, chosen)
        limit = "" if options.time_limit_s is None else f", limit {options.time_limit_s:.0f} s"
        say(f"solving with {chosen.name}/{options.engine} ({model.n_vars:,} variables, "
            f"{model.n_rows:,} rows{limit})")
        if len(split) > 1:
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
        else:
            result, run = _run_backend(chosen, model, options, isolate)
        result = _best_of(model, result, fallback)
    solver_info.update(interrupted=run.interrupted, isolated=run.isolated)
    timings["translate"] = result.translate_seconds
    timings["solve"] = result.solve_seconds
    solver_info.update(engine=result.engine, native_status=result.native_status)
    explanation = {"message": note} if note else None
    if result.status is Status.INFEASIBLE:
        exact = dataclasses.replace(options, engine=None) if engine == BENDERS else options
        again = coverage if coverage is not None else coverage_from_instance(inst)
        explanation = _explain_infeasible(inst, again, chosen, exact, isolate)
    if not result.status.has_solution or result.values is None:
        timings["total"] = time.perf_counter() - t_start
        solver_info.update(seconds=timings["total"], timings=timings)
        return _result(inst, result.status, None, before, before, solver_info, model.stats,
                        explanation)
    t = time.perf_counter()
    pairs = _open_pairs(model, result.values)
    say("verifying the answer independently")
    check = verify(inst, pairs)
    _check_agreement(model, result, check, chosen.name)
    timings["verify"] = time.perf_counter() - t
    status = result.status
    solution_gap = relative_gap(check.objective, result.bound)
    if status is Status.OPTIMAL and solution_gap is not None and solution_gap > gap + 1e-6:
        status = Status.FEASIBLE  # the engine's "optimal" is not optimal at the requested gap
    timings["total"] = time.perf_counter() - t_start
    solver_info.update(seconds=timings["total"], timings=timings)
    out = _result(inst, status, pairs, check, before, solver_info, model.stats, explanation)
    out.bound, out.gap = result.bound, solution_gap
    return out


#: Without an explicit engine, models with more nonzeros than this are solved by the heuristic
#: (measured here: at 50k × 5k × 4 categories, ~0.8M nonzeros, neither HiGHS nor SCIP finished
#: the LP relaxation in 60 s).
AUTO_HEURISTIC_NONZEROS = 1_000_000
#: Under a time limit, the heuristic first gets this share of the remaining time (at most
#: :data:`WARM_START_MAX_S`): its answer is the fallback if the exact engine finds nothing, and
#: OR-Tools receives it as a solution hint.
WARM_START_SHARE, WARM_START_MAX_S = 0.1, 10.0


def _warm_start(
    model: LinearModel, options: SolveOptions, chosen: Backend
) -> tuple[BackendResult | None, SolveOptions]:
    assert options.time_limit_s is not None
    start = time.perf_counter()
    share = min(WARM_START_SHARE * options.time_limit_s, WARM_START_MAX_S)
    try:
        # Lagrangian bound only: the LP bound would start HiGHS' thread pool in this process,
        # which a forked solver process cannot use.
        found = _heuristic(model, dataclasses.replace(options, time_limit_s=share), "lagrangian",
                           patience=30)
    except (OptionsError, SolveError):
        return None, options
    left = max(options.time_limit_s - (time.perf_counter() - start), 0.01)
    extra = dict(options.backend_options)
    if found.values is not None and chosen.name == "ortools" and "hint" not in extra:
        extra["hint"] = found.values
    return found, dataclasses.replace(options, time_limit_s=left, backend_options=extra)


def _best_of(
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


def _heuristic(
    model: LinearModel, options: SolveOptions, bound: str = "auto", patience: int | None = None
) -> BackendResult:
    """Run the primal heuristic with its bound; report it like a backend would."""

    if model.n_vars == 0:
        return _nothing_to_decide(model, HEURISTIC)
    try:
        with stdout_to_stderr():
            found = heuristic_solve(model, time_limit_s=options.time_limit_s, seed=options.seed,
                                    bound=bound,  # type: ignore[arg-type]
                                    patience=patience)
    except NotImplementedError as exc:
        msg = f"{exc}; use an exact engine (--engine scip or --backend pulp)"
        raise OptionsError(msg) from exc
    status = found.status
    return BackendResult(status=status, values=found.values, objective=found.objective,
                         bound=found.bound, native_status=found.message or status.value,
                         engine=HEURISTIC, solve_seconds=found.seconds, translate_seconds=0.0,
                         extra={"iterations": found.iterations})


def _benders(model: LinearModel, options: SolveOptions) -> BackendResult:
    """Run the Benders decomposition engine; report it like a backend would."""

    try:
        with stdout_to_stderr():
            found = benders_solve(model, time_limit_s=options.time_limit_s, gap=options.mip_gap,
                                  seed=options.seed, threads=options.threads)
    except UnsupportedModel as exc:
        raise OptionsError(str(exc)) from exc
    return BackendResult(status=found.status, values=found.values, objective=found.objective,
                         bound=found.bound, native_status=found.message, engine=BENDERS,
                         solve_seconds=found.seconds, translate_seconds=0.0,
                         extra={"phases": found.log})


def _check_memory(inst: Instance, limit_gb: float) -> None:

    pairs = estimate_pairs(inst)
    need = estimate_memory_bytes(inst.n_communities, inst.n_sites, inst.n_categories, pairs)
    if need > limit_gb * 2**30:
        msg = (f"the instance needs about {need / 2**30:.1f} GiB (about {pairs:,} coverage pairs), "
               f"more than the limit of {limit_gb:g} GiB; aggregate communities (e.g. a coarser "
               "population grid), lower the thresholds, or raise --memory-limit")
        raise ResourceLimitError(msg)


def check_options(
    time_limit: float | None, gap: float, threads: int | None, seed: int
) -> None:
    problems = []
    if time_limit is not None and not (isinstance(time_limit, int | float) and time_limit > 0):
        problems.append(f"time limit must be a positive number of seconds, got {time_limit!r}")
    if not (isinstance(gap, int | float) and 0 <= gap < 1):
        problems.append(f"gap must be a relative gap in [0, 1), got {gap!r}")
    if threads is not None and not (isinstance(threads, int) and threads >= 1):
        problems.append(f"threads must be a whole number >= 1, got {threads!r}")
    if not (isinstance(seed, int) and 0 <= seed < 2**31):
        problems.append(f"seed must be a whole number in [0, 2**31), got {seed!r}")
    if problems:
        raise OptionsError("; ".join(problems))


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
        if self.auto and part.A.nnz > AUTO_HEURISTIC_NONZEROS:
            result = _heuristic(part, options)
            return dataclasses.replace(result, extra={**result.extra, "heuristic": True})
        result, info = _run_backend(self.chosen, part, options, self.isolate)
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
    model = build_model(free, coverage)
    relaxed, _ = _run_backend(chosen, model, options, isolate)
    if relaxed.status.has_solution and relaxed.values is not None:
        pairs = _open_pairs(model, relaxed.values)
        check = verify(free, pairs)
        return explain_limits(inst, check.cost, len(pairs))
    return explain_limits(inst, None, None)


def _result(
    inst: Instance, status: Status, pairs: np.ndarray | None, check: Verification,
    before: Verification, solver: dict[str, Any], stats: dict[str, int | float],
    explanation: dict[str, Any] | None,
) -> Solution:
    cats = inst.category_ids
    has = pairs is not None
    missing = ~check.covered
    communities = [{"id": cid, "missing": [cats[k] for k in np.flatnonzero(missing[i])]}
                   for i, cid in enumerate(inst.community_ids)]
    open_list = []
    if pairs is not None:
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        open_list = [{"site": inst.site_ids[j], "category": cats[k]} for j, k in pairs[order]]
    return Solution(
        instance=inst.name, objective_type=inst.objective.type, status=status,
        objective=check.objective if has else None, cost=check.cost if has else 0.0,
        open=open_list, coverage=check.coverage, coverage_before=before.coverage,
        complete=check.complete, complete_before=before.complete, communities=communities,
        solver=solver, model=dict(stats), explanation=explanation,
    )
