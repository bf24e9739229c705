"""Scenario sweeps and many instances at once: the coverage-versus-budget curve.

:func:`sweep` solves one or more instances at a series of budgets, thresholds or walking speeds
(each scenario is the instance with that one field changed: ``objective.budget``, every
category's ``threshold_min``, or ``travel.speed_m_per_min``) through :func:`sitecircle.solve`,
so each point is verified like a normal solve. :func:`solve_many` solves several instances as
they are (the cities of a province). Both run serially or on Dask (:mod:`sitecircle.parallel`);
the results do not depend on where they ran, only the timings do.

The table (:meth:`SweepResult.rows`, CSV and JSON) has one row per point with these columns:

``instance``
    Instance name.
``parameter``
    ``budget``, ``threshold_min``, ``speed_m_per_min``, ``target_share`` (``min_cost``), or empty
    when nothing was changed.
``value``
    The parameter's value at this point.
``status``
    ``optimal``, ``feasible`` (see ``gap``), ``infeasible``, ``no_solution``, or ``error`` (see
    ``error``).
``objective``
    Verified objective: weighted covered demand (``max_coverage``), population with the complete
    basket (``max_complete``) or cost (``min_cost``).
``covered_share``
    Weighted share of all categories' demand that is covered (``Σ w_k covered_k / Σ w_k
    total_k``), existing facilities included.
``complete_share``
    Share of the population whose community reaches every required category.
``gap``
    Relative gap ``|bound - objective| / |objective|`` (0 when optimal).
``new_facilities``
    Number of new (site, category) facilities.
``cost``
    Their total cost, open costs included.
``marginal_gain``
    ``(objective - previous objective) / (value - previous value)`` against the previous point
    of the same instance with a solution, in value order: what one more unit of budget (minute,
    metre per minute) buys. Empty for the first point.
``seconds``
    Wall-clock seconds of the solve.
``error``
    Why the point has no result, when ``status`` is ``error``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sitecircle.backends import SolveOptions, backend_for, get_backend
from sitecircle.errors import (
    BackendCapabilityError,
    BackendUnavailableError,
    InstanceError,
    OptionsError,
)
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import OBJECTIVE_TYPES
from sitecircle.instance.read import as_instance as as_instance
from sitecircle.parallel import TaskResult, map_tasks
from sitecircle.scenarios.result import SweepPoint, SweepResult
from sitecircle.solution import Solution
from sitecircle.solving.options import OPTION_NAMES, check_settings
from sitecircle.solving.pipeline import solve
from sitecircle.travel.coverage import Coverage, coverage_from_instance, coverage_from_pairs
from sitecircle.travel.pairs import travel_pairs

#: Swept parameters: name in the table → keyword of :func:`sweep`.
PARAMETERS = {"budget": "budgets", "threshold_min": "thresholds",
              "speed_m_per_min": "speeds", "target_share": "target_shares",
              "min_share": "min_shares"}
#: Keywords of :func:`sitecircle.solve` a sweep passes on: the solve options and how to run.
_SOLVE_KEYS = (*OPTION_NAMES, "isolate", "memory_limit_gb")


def override(
    instance: Instance, *, objective: str | None = None, budget: float | None = None,
    max_new: int | None = None, target_share: float | None = None,
) -> Instance:
    """The instance with its objective changed (what-if without editing the JSON).

    Parameters
    ----------
    instance
        The base instance.
    objective
        New ``objective.type`` (``max_coverage``, ``max_complete``, ``min_cost``).
    budget
        New ``objective.budget`` (>= 0, in the instance's cost unit).
    max_new
        New ``objective.max_new`` in total (a whole number >= 0); per-category limits stay.
    target_share
        New ``objective.target_share`` in (0, 1]; ``min_cost`` only.

    Returns
    -------
    Instance
        A copy with the given fields changed (None: unchanged); its name is unchanged.

    Raises
    ------
    OptionsError
        A bad value (named by its command-line flag), or a target share for an objective other
        than ``min_cost``.
    """
    problems = []
    if objective is not None and objective not in OBJECTIVE_TYPES:
        problems.append(f"--objective must be one of {', '.join(OBJECTIVE_TYPES)}, got "
                        f"{objective!r}")
    if budget is not None and not (_real(budget) and math.isfinite(budget) and budget >= 0):
        problems.append(f"--budget must be a finite number >= 0, got {budget!r}")
    whole: object = max_new  # any whole number (NumPy's too), not a bool
    if whole is not None and (isinstance(whole, bool) or not isinstance(whole, numbers.Integral)
                              or int(whole) < 0):
        problems.append(f"--max-new must be a whole number >= 0, got {max_new!r}")
    kind = objective or instance.objective.type
    if target_share is not None:
        if not (_real(target_share) and 0 < target_share <= 1):
            problems.append(f"--target-share must be a share in (0, 1], got {target_share!r}")
        elif kind != "min_cost":
            problems.append(f"--target-share applies to the min_cost objective, not {kind!r} "
                            "(add --objective min_cost)")
    if problems:
        raise OptionsError("; ".join(problems))
    changes: dict[str, Any] = {}
    if objective is not None:
        changes["type"] = objective
        if objective != "min_cost":
            changes["target_share"] = 1.0  # a share applies to min_cost only
    if budget is not None:
        changes["budget"] = float(budget)
    if max_new is not None:
        changes["max_new_total"] = int(max_new)
    if target_share is not None:
        changes["target_share"] = float(target_share)
    if not changes:
        return instance
    return dataclasses.replace(instance,
                               objective=dataclasses.replace(instance.objective, **changes))


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def scenario(instance: Instance, parameter: str | None, value: float | None) -> Instance:
    """The instance with one field changed.

    Parameters
    ----------
    instance
        The base instance.
    parameter
        ``budget`` (``objective.budget``), ``threshold_min`` (every category's threshold),
        ``speed_m_per_min`` (``travel.speed_m_per_min``), ``target_share``
        (``objective.target_share``, ``min_cost`` only), or None for the instance unchanged.
    value
        The new value.

    Returns
    -------
    Instance
        A copy with the field changed; its name is unchanged.

    Raises
    ------
    OptionsError
        Unknown parameter, a speed for an instance whose travel times are a given matrix, or a
        target share for an objective other than ``min_cost``.
    """
    if parameter is None or value is None:
        return instance
    if parameter == "budget":
        return override(instance, budget=float(value))
    if parameter == "target_share":
        if instance.objective.type != "min_cost":
            msg = (f"--target-shares: instance {instance.name!r} has objective "
                   f"{instance.objective.type!r}; a target share applies to min_cost only")
            raise OptionsError(msg)
        return override(instance, target_share=float(value))
    if parameter == "threshold_min":
        categories = tuple(dataclasses.replace(c, threshold_min=float(value))
                           for c in instance.categories)
        return dataclasses.replace(instance, categories=categories)
    if parameter == "speed_m_per_min":
        if instance.travel.mode == "matrix":
            msg = (f"--speeds: instance {instance.name!r} gives travel times as a matrix, which "
                   "no walking speed changes; sweep --budgets or --thresholds instead")
            raise OptionsError(msg)
        travel = dataclasses.replace(instance.travel, speed_m_per_min=float(value))
        return dataclasses.replace(instance, travel=travel)
    if parameter == "min_share":  # the price of equity: every equity rule's min_share
        if not instance.objective.equity:
            msg = (f"--min-shares: instance {instance.name!r} has no objective.equity rule whose "
                   "min_share could change; add one, e.g. {\"by\": \"street\", \"min_share\": "
                   "0.5}")
            raise OptionsError(msg)
        rules = tuple(dataclasses.replace(r, min_share=float(value))
                      for r in instance.objective.equity)
        return dataclasses.replace(instance, objective=dataclasses.replace(
            instance.objective, equity=rules))
    msg = f"unknown sweep parameter {parameter!r}; use one of {sorted(PARAMETERS)}"
    raise OptionsError(msg)


@dataclass(frozen=True)
class _Task:
    """One point: base instance, the change, solve options and (optionally) its coverage."""

    instance: Instance
    parameter: str | None
    value: float | None
    options: dict[str, Any]
    coverage: Coverage | None = None


def _solve_task(task: _Task) -> Solution:

    return solve(scenario(task.instance, task.parameter, task.value), coverage=task.coverage,
                 **task.options)




def _covered_share(instance: Instance, solution: Solution) -> float:
    weight = instance.weight
    covered = np.array([solution.coverage[c]["covered"] for c in instance.category_ids])
    total = np.array([solution.coverage[c]["total"] for c in instance.category_ids])
    denominator = float(weight @ total)
    return float(weight @ covered) / denominator if denominator > 0 else 1.0


def _point(instance: Instance, task: _Task, result: TaskResult[Solution]) -> SweepPoint:
    base: dict[str, Any] = {"instance": instance.name, "parameter": task.parameter,
                            "value": task.value, "marginal_gain": None}
    s = result.value
    if result.error is not None:
        return SweepPoint(**base, status="error", objective=None, covered_share=None,
                          complete_share=None, gap=None, new_facilities=None, cost=None,
                          seconds=result.seconds,
                          error=f"{type(result.error).__name__}: {result.error}")
    if s is None:  # the sweep was interrupted before this point ran
        return SweepPoint(**base, status="no_solution", objective=None, covered_share=None,
                          complete_share=None, gap=None, new_facilities=None, cost=None,
                          seconds=0.0, error="not run: the sweep was interrupted")
    has = s.status.has_solution
    return SweepPoint(
        **base, status=s.status.value, objective=s.objective,
        covered_share=_covered_share(instance, s) if has else None,
        complete_share=float(s.complete["share"]) if has else None, gap=s.gap,
        new_facilities=len(s.open) if has else None, cost=s.cost if has else None,
        seconds=float(s.solver.get("seconds", result.seconds)), error=None, solution=s,
    )


def _with_marginal_gains(points: list[SweepPoint], groups: list[int]) -> list[SweepPoint]:
    """Fill ``marginal_gain`` along each instance's points (same group) in value order."""
    out = list(points)
    by_instance: dict[int, list[int]] = {}
    for i, (p, group) in enumerate(zip(points, groups, strict=True)):
        if p.value is not None:
            by_instance.setdefault(group, []).append(i)
    for indices in by_instance.values():
        previous: SweepPoint | None = None
        for i in sorted(indices, key=lambda j: (points[j].value, j)):
            p = points[i]
            if p.objective is None:
                continue
            if previous is not None and p.value != previous.value:
                assert p.value is not None and previous.value is not None
                assert previous.objective is not None
                gain = (p.objective - previous.objective) / (p.value - previous.value)
                out[i] = dataclasses.replace(p, marginal_gain=gain)
            previous = p
    return out




def _check_values(parameter: str, values: Sequence[float]) -> list[float]:
    flag = "--" + PARAMETERS[parameter].replace("_", "-")
    if len(values) == 0:
        msg = f"{flag}: give at least one value"
        raise OptionsError(msg)
    out: list[float] = []
    for given in values:
        raw: object = given  # numbers of any kind (NumPy's too), but not bools or strings
        if isinstance(raw, bool) or not isinstance(raw, numbers.Real):
            msg = f"{flag}: {raw!r} is not a number"
            raise OptionsError(msg)
        v = float(raw)
        low_ok = v >= 0 if parameter in ("budget", "min_share") else v > 0
        if parameter == "target_share":
            low_ok = 0 < v <= 1
        if parameter == "min_share" and v > 1:
            low_ok = False
        if not math.isfinite(v) or not low_ok:
            need = {"budget": ">= 0", "target_share": "in (0, 1]",
                    "min_share": "in [0, 1]"}.get(parameter, "> 0")
            msg = f"{flag}: every value must be a finite number {need}, got {v:g}"
            raise OptionsError(msg)
        out.append(v)
    return out


def _check_solve_options(options: dict[str, Any]) -> None:
    """Reject bad options once, before any point runs (the CLI's exit code 2)."""
    check_settings(options, allowed=_SOLVE_KEYS, noun="solve options")
    chosen = backend_for(get_backend(options.get("backend")), options.get("engine"))
    chosen.check(SolveOptions(engine=options.get("engine")))


def sweep(
    instance: Instance | dict[str, Any] | str | Path | Sequence[Instance | str | Path],
    *,
    budgets: Sequence[float] | None = None,
    thresholds: Sequence[float] | None = None,
    speeds: Sequence[float] | None = None,
    target_shares: Sequence[float] | None = None,
    min_shares: Sequence[float] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    **solve_options: Any,
) -> SweepResult:
    """Solve scenarios of one or more instances: a budget, threshold or walking-speed series.

    Each scenario is the instance with one field changed (``objective.budget``; every category's
    ``threshold_min``; ``travel.speed_m_per_min``), solved and verified by
    :func:`sitecircle.solve`. Coverage does not depend on the budget, so a budget sweep computes
    it once per instance, and a threshold sweep computes travel times once at the largest
    threshold (serially and with ``scheduler="local"``, whose threads share it; on a remote
    cluster each point computes its own; the results are the same).

    Parameters
    ----------
    instance
        An instance (object, decoded document or path), or a list of them (the cities of a
        province): every instance is solved at every value.
    budgets, thresholds, speeds, target_shares, min_shares
        The series to sweep (give at most one); with none, every instance is solved as it is.
        Budgets are in the instance's cost unit, thresholds in minutes, speeds in m/min, target
        shares in (0, 1] (``min_cost`` instances: the share of each required category's demand
        to cover; coverage is computed once, as for budgets); ``min_shares`` (in [0, 1])
        replace every ``objective.equity`` rule's ``min_share``: the price of equity.
    scheduler
        None (serial), ``"local"`` (a Dask cluster in this process) or a Dask scheduler address;
        see :func:`sitecircle.parallel.map_tasks`.
    workers
        ``"local"`` only: how many points run at once (default: the number of CPUs).
    progress
        Called with a one-line summary as each point ends (completion order).
    **solve_options
        Passed to :func:`sitecircle.solve`: ``backend``, ``engine``, ``time_limit``, ``gap``,
        ``threads``, ``seed``, ``backend_options``, ``isolate``, ``memory_limit_gb``.

    Returns
    -------
    SweepResult
        One point per (instance, value), in instance then value order as given; a point that
        failed has status ``error`` and the reason, the others are unaffected.

    Raises
    ------
    InstanceError
        An instance is invalid.
    OptionsError
        Bad series values, more than one series, bad solve options, or an unreachable scheduler.
    BackendUnavailableError
        The backend or engine is unknown or not installed.

    Examples
    --------
    >>> curve = sweep("instances/tiny/budget-binds.json", budgets=[3, 6])  # doctest: +SKIP
    >>> [(p.value, p.objective) for p in curve.points]  # doctest: +SKIP
    [(3.0, 400.0), (6.0, 750.0)]
    """
    series = {name: v for name, v in (("budget", budgets), ("threshold_min", thresholds),
                                       ("speed_m_per_min", speeds),
                                       ("target_share", target_shares),
                                       ("min_share", min_shares)) if v is not None}
    if len(series) > 1:
        given = ", ".join("--" + PARAMETERS[n].replace("_", "-") for n in series)
        msg = f"sweep one parameter at a time: got {given}"
        raise OptionsError(msg)
    parameter = next(iter(series), None)
    values: list[float | None] = [None]
    if parameter is not None:
        values = list(_check_values(parameter, series[parameter]))

    _check_solve_options(solve_options)
    items = [instance] if isinstance(instance, Instance | dict | str | Path) else list(instance)
    if not items:
        msg = "give at least one instance"
        raise OptionsError(msg)
    bases = [as_instance(item) for item in items]
    for base in bases:  # refuse a speed sweep on a matrix instance up front
        scenario(base, parameter, values[0])
    options = _with_isolation(solve_options, scheduler)
    tasks = [_Task(base, parameter, value, options) for base in bases for value in values]
    if scheduler in (None, "local"):  # one process: share; remote workers compute their own
        tasks = _share_coverage(tasks)
    finished: dict[int, TaskResult[Solution]] = {}
    lines = _progress_lines(tasks, progress)

    def on_result(result: TaskResult[Solution]) -> None:
        finished[result.index] = result
        if lines is not None:
            lines(result)
        if result.value is not None and result.value.solver.get("interrupted") == "signal":
            raise KeyboardInterrupt  # Ctrl-C or SIGTERM reached this point's solver: stop here

    try:
        results = map_tasks(_solve_task, tasks, scheduler=scheduler, workers=workers,
                            on_result=on_result)
    except KeyboardInterrupt:  # keep the points already solved; the others are not run
        results = [finished.get(i, TaskResult(i, None, None, 0.0)) for i in range(len(tasks))]
    points = [_point(t.instance, t, r) for t, r in zip(tasks, results, strict=True)]
    _raise_if_all_invalid([r for r in results if r.error is not None or r.value is not None])
    groups = [i // len(values) for i in range(len(tasks))]
    return SweepResult(parameter=parameter, objective_type=bases[0].objective.type,
                       points=_with_marginal_gains(points, groups))


def _progress_lines(
    tasks: list[_Task], progress: Callable[[str], None] | None
) -> Callable[[TaskResult[Solution]], None] | None:
    """Turn each finished point into a line for ``progress``."""
    if progress is None:
        return None
    finished = 0

    def report(result: TaskResult[Solution]) -> None:
        nonlocal finished
        finished += 1
        task = tasks[result.index]
        what = task.instance.name
        if task.parameter is not None and task.value is not None:
            what += f" {task.parameter} {task.value:g}"
        if result.value is None:
            outcome = f"error: {type(result.error).__name__}"
        else:
            s = result.value
            outcome = s.status.value + ("" if s.objective is None else f" {s.objective:,.6g}")
        progress(f"[{finished}/{len(tasks)}] {what}: {outcome} ({result.seconds:.1f} s)")

    return report


def _share_coverage(tasks: list[_Task]) -> list[_Task]:
    """One coverage per instance for budgets, one travel-time pass per instance for thresholds."""

    out: list[_Task] = []
    cache: dict[int, Any] = {}
    for task in tasks:
        key = id(task.instance)
        if task.parameter in (None, "budget", "target_share", "min_share"):  # same coverage
            if key not in cache:
                cache[key] = _read_only(coverage_from_instance(task.instance))
            out.append(dataclasses.replace(task, coverage=cache[key]))
        elif task.parameter == "threshold_min":
            if key not in cache:
                widest = max(t.value or 0.0 for t in tasks if t.instance is task.instance)
                cache[key] = travel_pairs(scenario(task.instance, task.parameter, widest))
            current = scenario(task.instance, task.parameter, task.value)
            coverage = _read_only(coverage_from_pairs(current, cache[key]))
            out.append(dataclasses.replace(task, coverage=coverage))
        else:
            out.append(task)
    return out


def _read_only(coverage: Coverage) -> Coverage:
    """Lock the arrays of a coverage that several solves share: a write would be a bug."""
    for f in dataclasses.fields(coverage):
        value = getattr(coverage, f.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return coverage


def _with_isolation(options: dict[str, Any], scheduler: str | None) -> dict[str, Any]:
    """On Dask, run each solver in a child process of its own unless ``isolate`` is given.

    Several solvers in the threads of one process could share native state (HiGHS' thread
    pool); each in its own process cannot.
    """
    out = dict(options)
    if scheduler is not None:
        out.setdefault("isolate", True)
    return out


def _raise_if_all_invalid(results: list[TaskResult[Solution]]) -> None:
    """When every point failed on the same invalid input, raise it (exit code 2, not 1)."""
    errors = [r.error for r in results]
    if errors and all(isinstance(e, InstanceError | OptionsError | BackendUnavailableError
                                 | BackendCapabilityError) for e in errors):
        first = errors[0]
        assert first is not None
        raise first


def solve_many(
    instances: Sequence[Instance | dict[str, Any] | str | Path],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    **solve_options: Any,
) -> list[TaskResult[Solution]]:
    """Solve independent instances (the cities of a province), serially or on Dask.

    Parameters
    ----------
    instances
        Instances, decoded documents or paths. A path is read where the task runs, so an
        invalid file is that instance's error and the others still run.
    scheduler
        None (serial), ``"local"`` or a Dask scheduler address (:func:`map_tasks`).
    workers
        ``"local"`` only: how many instances are solved at once.
    **solve_options
        Passed to :func:`sitecircle.solve` (``backend``, ``engine``, ``time_limit``, ...).

    Returns
    -------
    list of TaskResult
        In input order: ``value`` is the verified :class:`Solution`, or ``error`` says why that
        instance failed (e.g. :class:`~sitecircle.errors.InstanceError`).

    Raises
    ------
    OptionsError
        Bad solve options or an unreachable scheduler.
    BackendUnavailableError
        The backend or engine is unknown or not installed.
    """
    import functools  # noqa: PLC0415


    _check_solve_options(solve_options)
    items = [str(i) if isinstance(i, Path) else i for i in instances]
    options = _with_isolation(solve_options, scheduler)
    return map_tasks(functools.partial(solve, **options), items, scheduler=scheduler,
                     workers=workers)
