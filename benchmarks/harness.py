"""Run one benchmark case in a fresh worker process and time every phase.

Each (case, solver) pair runs in its own process forked from a fork server that has already
imported sitecircle, OR-Tools, PuLP and SciPy, so imports are not timed and ``ru_maxrss`` of the
worker is the peak of that run alone (plus the fork server's baseline, recorded as
``rss_start_mb``). The parent kills a worker that overruns its wall-clock allowance and records
``killed``; nothing can hang.

Phases (seconds, ``time.perf_counter``):

* ``generate`` (synthetic only): drawing the instance dict;
* ``read``: parsing the benchmark file into an instance dict plus ``Instance.from_dict``
  (for synthetic instances only ``Instance.from_dict``);
* ``coverage``: ``coverage_from_instance``;
* ``build``: ``build_model`` (the solver-neutral ``LinearModel``);
* ``translate`` and ``solve``: ``BackendResult.translate_seconds`` / ``solve_seconds``; PuLP's
  ``solve`` includes writing the model file for CBC and reading the answer back. The backend
  runs through ``sitecircle.solving.runner.run_backend(..., isolate=True)``, as ``sitecircle.solve``
  does: in a forked child that gets SIGINT at about 1.02 × limit (SCIP and CBC then return their
  best solution) and SIGKILL at about 1.08 × limit, so the limit holds on the wall clock. A run
  stopped without an answer has ``solve`` = its wall time; ``limit`` in the record says whether
  the run overran, was interrupted or killed, and the fork/pickle overhead (``overhead_s``);
* ``verify``: decoding the opened pairs and ``sitecircle.verify``.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import platform
import resource
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, cast

import numpy as np

import sitecircle
from sitecircle import Instance, build_model, coverage_from_instance, get_backend
from sitecircle import verify as verify_solution
from sitecircle.backends import SolveOptions
from sitecircle.backends.base import Backend
from sitecircle.solving.pipeline import relative_gap
from sitecircle.solving.runner import run_backend

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

#: Solver rows: name -> (backend, engine); ``greedy`` is the baseline heuristic.
SOLVERS: dict[str, tuple[str | None, str | None]] = {
    "ortools-scip": ("ortools", "scip"),
    "ortools-highs": ("ortools", "highs"),
    "ortools-sat": ("ortools", "sat"),
    "pulp-cbc": ("pulp", "cbc"),
    "pulp-highs": ("pulp", "highs"),
    "greedy": (None, None),
}
#: Bounds at least this large are the engine's "infinity" (SCIP: 1e20), i.e. no bound.
INFINITE_BOUND = 1e19
#: CP-SAT runs its full multi-worker portfolio (8 workers, also on 2 cores; see README).
SAT_WORKERS = 8


def solver_spec(name: str) -> tuple[str | None, str | None, int | None] | None:
    """``(backend, engine, threads)`` of a solver row; ``ortools-sat@N`` sets N workers."""
    base, _, workers = name.partition("@")
    if base not in SOLVERS or (workers and (base != "ortools-sat" or not workers.isdigit())):
        return None
    backend, engine = SOLVERS[base]
    if engine == "sat":
        return backend, engine, int(workers) if workers else SAT_WORKERS
    return backend, engine, None


@dataclass(frozen=True)
class Task:
    """One (case, solver) run.

    Parameters
    ----------
    family
        Family name (``scp``, ``mclp``, ``synthetic``, ``spopt``).
    case
        Case description: ``name``, ``group``, ``loader``, ``args`` and optionally ``known``,
        ``known_status``.
    solver
        Key of :data:`SOLVERS` (or ``spopt``/``sitecircle`` variants in the spopt family).
    time_limit
        Solver time limit (seconds), relative gap 0.
    timeout
        Wall-clock allowance of the whole run before the worker is killed.
    pulp_max_nnz
        Above this many model nonzeros, PuLP rows only translate (no file write, no solve).
    data
        Folder of the public benchmark data.
    """

    family: str
    case: dict[str, Any]
    solver: str
    time_limit: float
    timeout: float
    pulp_max_nnz: int = 4_000_000
    data: str = str(DEFAULT_DATA)
    extra: dict[str, Any] = field(default_factory=dict)


def maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MiB (``getrusage``; Linux reports KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024.0


def versions() -> dict[str, Any]:
    """Versions of everything that affects the numbers, and the machine."""
    out: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "machine": platform.machine(), "cpu_count": os.cpu_count()}
    for pkg in ("sitecircle", "numpy", "scipy", "ortools", "pulp", "highspy", "spopt",
                "matplotlib", "geopandas"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        names = [ln.split(":", 1)[1].strip() for ln in cpu.splitlines()
                 if ln.startswith("model name")]
        out["cpu_model"] = names[0] if names else None
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()
        out["mem_total_gib"] = round(int(mem[1]) / 1024**2, 1)
    except OSError:
        pass
    try:
        out["git_commit"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                                           capture_output=True, text=True, check=True,
                                           timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src"],
                               capture_output=True, text=True, check=True, timeout=10).stdout
        out["git_src_dirty"] = bool(dirty.strip())
    except (OSError, subprocess.SubprocessError):
        out["git_commit"] = None
    return out


# ------------------------------------------------------------------------------------------
# the worker
# ------------------------------------------------------------------------------------------


def _load(task: Task) -> tuple[dict[str, Any], dict[str, float]]:
    from benchmarks.families import load_case

    return load_case(task.case, Path(task.data))


def _open_pairs(model: Any, values: np.ndarray) -> np.ndarray:
    x = values[model.blocks["open"]]
    chosen = np.flatnonzero(x > 0.5)
    return np.column_stack([model.open_site[chosen], model.open_category[chosen]]).astype(np.int64)


def execute(task: Task) -> dict[str, Any]:
    """Run one task in the current process and return its record (never raises)."""
    if task.solver == "spopt":
        from benchmarks.spopt_peer import execute_spopt

        return execute_spopt(task)
    spec = solver_spec(task.solver)
    if spec is None:
        msg = f"unknown solver {task.solver!r}"
        raise ValueError(msg)
    backend, engine, threads = spec
    rec: dict[str, Any] = {
        "family": task.family, "group": task.case.get("group"), "instance": task.case["name"],
        "solver": task.solver, "backend": backend, "engine": engine,
        "time_limit": task.time_limit, "mip_gap": 0.0,
        "threads": threads,
        "known": task.case.get("known"), "known_status": task.case.get("known_status"),
        "phases": {}, "rss_start_mb": round(maxrss_mb(), 1), "note": None, "error": None,
    }
    phases: dict[str, float] = rec["phases"]
    rss_after: dict[str, float] = {}
    try:
        doc, pre = _load(task)
        phases.update(pre)  # 'read' (file -> dict) or 'generate'
        t = time.perf_counter()
        inst = Instance.from_dict(doc)
        phases["read"] = phases.get("read", 0.0) + time.perf_counter() - t
        del doc
        rss_after["read"] = maxrss_mb()
        rec["size"] = {"communities": inst.n_communities, "sites": inst.n_sites,
                       "categories": inst.n_categories}
        t = time.perf_counter()
        cov = coverage_from_instance(inst)
        phases["coverage"] = time.perf_counter() - t
        rss_after["coverage"] = maxrss_mb()
        rec["size"]["coverage_triples"] = len(cov.site)
        if backend is None:
            _run_greedy(inst, cov, rec, rss_after)
        else:
            _run_backend(task, inst, cov, backend, engine or "", threads, rec, rss_after)
    except Exception as exc:  # noqa: BLE001 - a failed run is a result, recorded
        rec["status"] = "error"
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc(limit=4)
    # the engine runs in a child (``run_backend``); CBC is that child's child
    rec["worker_peak_rss_mb"] = round(maxrss_mb(), 1)
    rec["child_peak_rss_mb"] = round(maxrss_mb(resource.RUSAGE_CHILDREN), 1)
    rec["peak_rss_mb"] = max(rec["worker_peak_rss_mb"], rec["child_peak_rss_mb"])
    rec["rss_after_mb"] = {k: round(v, 1) for k, v in rss_after.items()}
    rec["phases"] = {k: round(v, 4) for k, v in phases.items()}
    rec["total"] = round(sum(v for k, v in phases.items() if k != "generate"), 4)
    _compare_known(rec)
    return rec


def _run_greedy(inst: Instance, cov: Any, rec: dict[str, Any], rss_after: dict[str, float]) -> None:
    from benchmarks.greedy import greedy

    phases = rec["phases"]
    t = time.perf_counter()
    pairs = greedy(inst, cov)
    phases["solve"] = time.perf_counter() - t
    rss_after["solve"] = maxrss_mb()
    t = time.perf_counter()
    check = verify_solution(inst, pairs)
    phases["verify"] = time.perf_counter() - t
    rec.update(status="heuristic", native_status="lazy greedy", objective=check.objective,
               bound=None, gap=None, n_open=len(pairs))
    if check.violations:
        rec["error"] = "verifier rejects greedy: " + "; ".join(check.violations[:3])
    if inst.objective.type == "min_cost" and any(
            c["share"] < 1 - 1e-9 for k, c in enumerate(check.coverage.values())
            if inst.required[k]):
        rec["status"] = "incomplete"


def _run_backend(task: Task, inst: Instance, cov: Any, backend: str, engine: str,
                 threads: int | None, rec: dict[str, Any], rss_after: dict[str, float]) -> None:
    phases = rec["phases"]
    t = time.perf_counter()
    model = build_model(inst, cov)
    phases["build"] = time.perf_counter() - t
    rss_after["build"] = maxrss_mb()
    rec["model"] = {"variables": model.n_vars, "constraints": model.n_rows,
                    "nonzeros": int(model.A.nnz)}
    del cov
    if model.n_vars == 0:
        rec.update(status="optimal", native_status="trivial: nothing to decide",
                   objective=model.offset, bound=model.offset, gap=0.0)
        return
    if backend == "pulp" and model.A.nnz > task.pulp_max_nnz:
        _pulp_translate_only(model, rec, rss_after)
        return
    options = SolveOptions(engine=engine, time_limit_s=task.time_limit, mip_gap=0.0,
                           threads=threads, seed=0)
    t = time.perf_counter()
    shielded = cast(Backend, KeepAnswerOnSigint(get_backend(backend)))
    result, info = run_backend(shielded, model, options, isolate=True)
    wall = time.perf_counter() - t
    phases["translate"] = result.translate_seconds
    # a run stopped without an answer reports no engine time: its solve phase is the wall clock
    stopped = info.killed or (info.interrupted is not None and result.values is None)
    phases["solve"] = max(wall - phases["translate"], 0.0) if stopped else result.solve_seconds
    rec["limit"] = {"isolated": info.isolated, "interrupted": info.interrupted,
                    "killed": info.killed, "runner_wall_s": round(wall, 4),
                    "overhead_s": round(wall - phases["translate"] - phases["solve"], 4),
                    "overran": info.interrupted == "time_limit"}  # SIGINT had to be sent
    rss_after["solve"] = max(maxrss_mb(), maxrss_mb(resource.RUSAGE_CHILDREN))
    bound = result.bound
    if bound is not None and not abs(bound) < INFINITE_BOUND:
        rec["raw_bound"] = bound  # SCIP reports 1e20 when it has no bound
        bound = None
    rec.update(status=result.status.value, native_status=result.native_status,
               engine_objective=result.objective, bound=bound)
    if not result.status.has_solution or result.values is None:
        rec.update(objective=None, gap=None)
        return
    t = time.perf_counter()
    pairs = _open_pairs(model, result.values)
    check = verify_solution(inst, pairs)
    phases["verify"] = time.perf_counter() - t
    gap = relative_gap(check.objective, bound)
    status = result.status.value
    if status == "optimal" and gap is not None and gap > 1e-6:
        status = "feasible"  # as sitecircle.solve does
    rec.update(status=status, objective=check.objective, gap=gap, n_open=len(pairs))
    if check.violations:
        rec["error"] = "verifier rejects: " + "; ".join(check.violations[:3])
    elif result.objective is not None and abs(check.objective - result.objective) > 1e-6 * max(
            1.0, abs(check.objective)) and (status == "optimal" or model.sense == "min"):
        rec["error"] = (f"engine objective {result.objective!r} != verified "
                        f"{check.objective!r}")


def _ignore_sigint(signum: int, frame: Any) -> None:
    """SIGINT handler of the engine process: note nothing, raise nothing."""


class KeepAnswerOnSigint:
    """A backend as ``run_backend`` sees it, whose process does not raise on SIGINT.

    ``run_backend`` sends SIGINT to the engine's process group at about 1.02 × limit. With
    Python's default handler the pending ``KeyboardInterrupt`` fires as soon as control returns
    to Python, so an engine that stopped at its own limit a moment later (SCIP, HiGHS: their
    limit starts after the translation) loses the answer it has just returned. Here the handler
    does nothing: the CBC executable (its own process, default handler after ``exec``) still
    stops on the signal and PuLP reads its incumbent, an in-process engine returns its answer,
    and an engine that keeps running is killed at about 1.08 × limit as before.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name
        self.default_engine = backend.default_engine

    def solve(self, model: Any, options: SolveOptions) -> Any:
        """Solve with ``backend`` in this (engine) process, SIGINT caught and ignored."""
        signal.signal(signal.SIGINT, _ignore_sigint)
        return self.backend.solve(model, options)


def _pulp_translate_only(model: Any, rec: dict[str, Any], rss_after: dict[str, float]) -> None:
    """Time PuLP's row-by-row translation alone (the model is too large to write and solve).

    There is no public translate hook, so this calls the backend's private ``_build``.
    """
    try:
        from sitecircle.backends.pulp import _build
    except ImportError:
        rec.update(status="skipped", note="pulp translate hook not found")
        return
    t = time.perf_counter()
    prob, variables = _build(model)
    rec["phases"]["translate"] = time.perf_counter() - t
    rss_after["translate"] = maxrss_mb()
    del prob, variables
    rec.update(status="translate-only", objective=None, bound=None, gap=None,
               note=f"{model.A.nnz:,} nonzeros > pulp limit: translated, not solved")


def _compare_known(rec: dict[str, Any]) -> None:
    known, obj = rec.get("known"), rec.get("objective")
    if known is None or obj is None:
        rec["delta_known"] = None
        rec["matches_known"] = False
        return
    rec["delta_known"] = obj - known
    rec["matches_known"] = abs(obj - known) <= 1e-6 * max(1.0, abs(known))


# ------------------------------------------------------------------------------------------
# the parent
# ------------------------------------------------------------------------------------------

_CTX: Any = None


def _context(preload_spopt: bool) -> Any:
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        preload = ["__main__", "benchmarks.harness", "benchmarks.families", "benchmarks.greedy",
                   "benchmarks._warm", "ortools.linear_solver.python.model_builder_helper",
                   "scipy.sparse", "scipy.spatial"]
        # no pulp/highspy here: with HiGHS loaded, ``run_backend`` would start a fork server
        # in every worker and pickle the model to it; without, it forks (copy-on-write)
        if preload_spopt:
            preload += ["benchmarks.spopt_peer", "spopt.locate"]
        _CTX.set_forkserver_preload(preload)
    return _CTX


def _child(task: Task, conn: Any) -> None:
    os.setpgrp()  # own process group: a timeout kills the worker and its CBC child together
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # engines print banners on the C-level stdout
    try:
        conn.send(execute(task))
    finally:
        conn.close()


def run_task(task: Task, preload_spopt: bool = False) -> dict[str, Any]:
    """Run a task in a fresh worker; kill it after ``task.timeout`` seconds."""
    ctx = _context(preload_spopt)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(task, send))  # not daemonic: it forks the engine
    t0 = time.perf_counter()
    proc.start()
    send.close()
    rec = None
    if recv.poll(task.timeout):
        try:
            rec = recv.recv()
        except EOFError:
            rec = None
    wall = time.perf_counter() - t0
    if proc.is_alive():
        proc.join(5)
    if proc.is_alive() or rec is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and any engine it started
        proc.join()
    if rec is None:
        why = "killed after harness timeout" if wall >= task.timeout else (
            f"worker died (exit code {proc.exitcode})")
        rec = {"family": task.family, "group": task.case.get("group"),
               "instance": task.case["name"], "solver": task.solver,
               "time_limit": task.time_limit, "known": task.case.get("known"),
               "known_status": task.case.get("known_status"), "status": "killed",
               "error": f"{why} ({wall:.0f} s)", "phases": {}, "objective": None,
               "matches_known": False}
    rec["wall"] = round(wall, 3)
    return rec


def python_exe() -> str:
    """The interpreter running the harness."""
    return sys.executable


__all__ = ["SOLVERS", "Task", "execute", "run_task", "sitecircle", "versions"]
