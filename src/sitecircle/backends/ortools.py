"""OR-Tools backend: the model is handed to ``model_builder`` in one bulk call.

``fill_model_from_sparse_data`` takes the CSR matrix and bound vectors directly, so translation
costs about as much as copying the arrays (measured 1.35 s for a 9.7M-nonzero model, against
35–44 s through the per-row Python APIs).

Engines:

* ``scip`` (default): proves optimality; single-threaded (``threads`` is ignored); takes a warm
  start (a solution hint).
* ``highs``: HiGHS bundled in OR-Tools; at a time limit it may return no solution at all. It
  takes no warm start (``model_builder`` with HiGHS segfaults on a model carrying hints), but a
  cutoff on ``min`` models (:attr:`~sitecircle.backends.base.SolveOptions.cutoff`): the later
  stages of a staged objective give the previous plan's value, which spares HiGHS the search
  for a plan as good (measured on the demo's ``min_cost`` stage, reduced model: 0.26-0.29 s
  instead of 0.85-1.0 s). On small single-period models it does not restart its search
  (:data:`HIGHS_NO_RESTART_NONZEROS`).
* ``sat``: CP-SAT with its worker portfolio; continuous variables are scaled to integers and,
  at default settings, it seldom proves a bound on covering models (so without a time limit
  it gets :data:`~sitecircle.backends.base.UNPROVING_TIME_LIMIT_S`); takes a warm start.

``backend_options`` may hold ``{"parameters": "..."}``: extra engine-specific parameters, in the
engine's own text format, appended after sitecircle's.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from sitecircle.backends.base import Backend, BackendResult, Feature, SolveOptions
from sitecircle.errors import OptionsError, SolveError
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status

_PROVING = frozenset({Feature.INTEGER, Feature.PROVES_OPTIMALITY})


def _parameters(engine: str, options: SolveOptions, model: LinearModel | None = None) -> str:
    """Engine-specific parameter text for gap, seed, threads and (HiGHS) the cutoff.

    A cutoff (:attr:`SolveOptions.cutoff`) becomes HiGHS' ``objective_bound`` on a ``min``
    model: branch and bound prunes every node whose bound is not below it, and a run that finds
    nothing below it ends ``infeasible``. It is given without the model's constant offset,
    which OR-Tools never sees.
    """
    gap, seed = options.mip_gap, options.seed
    if engine == "scip":
        lines = [f"limits/gap = {gap!r}", "limits/absgap = 0",
                 f"randomization/randomseedshift = {seed}"]
        if model is not None and "basket" in model.row_blocks and options.warm_start is not None:
            lines += [f"heuristics/{name}/freq = -1" for name in SCIP_BASKET_HEURISTICS_OFF]
        sep = "\n"
    elif engine == "highs":
        lines = [f"mip_rel_gap={gap!r}", "mip_abs_gap=0", f"random_seed={seed}"]
        if options.threads:
            lines.append(f"threads={options.threads}")
        if not options.verbose:  # else HiGHS prints its banner whatever enable_output says
            lines.append("output_flag=false")
        if options.cutoff is not None and model is not None and model.sense == "min":
            lines.append(f"objective_bound={float(options.cutoff - model.offset)!r}")
        if model is not None and _restart_costs_more(model):
            lines.append("mip_allow_restart=false")
        sep = "\n"
    else:
        lines = [f"relative_gap_limit:{gap!r}", "absolute_gap_limit:0", f"random_seed:{seed}"]
        if options.threads:
            lines.append(f"num_workers:{options.threads}")
        sep = " "
    extra = options.backend_options.get("parameters")
    if extra:
        lines.append(str(extra))
    return sep.join(lines)


#: SCIP heuristics switched off on a ``max_complete`` model with basket rows
#: (:mod:`sitecircle.model.complete_cuts`) given a warm start (the window search's plan,
#: :mod:`sitecircle.solving.warm`): at the root they took most of the time, the bound waiting.
#: Measured on São Paulo centre, budget 400, from a plan of 102,922, 150 s each, two at a time
#: on two loaded cores: default 102,922 / bound 122,690 (root left at 86 s); RENS off 103,640
#: / 120,092; these four off 104,278 / 119,219.
SCIP_BASKET_HEURISTICS_OFF = ("rens", "rins", "alns", "locks")
#: HiGHS restarts its search (presolving again) when many integer columns got fixed at the
#: root. On single-period models up to this many nonzeros the restart costs more than it saves:
#: measured side by side (median of 3, OR-Tools' HiGHS) on the 18 models of over 1,000 nonzeros
#: that solving the demo district (and its ``max_complete``, budget-400 and capacitated variants)
#: and 18 random instances gave: 3.63 s in all with restarts, 2.50 s without, the same
#: answers; the demo's ``max_coverage`` 0.47 -> 0.30 s and ``min_cost`` stage 0.27 -> 0.22 s, a
#: random ``min_cost`` stage (10,961 nonzeros) 1.44 -> 0.42 s; the worst loss 0.47 -> 0.51 s.
#: Phased models keep the restart: on the three-year demo (11,882 and 13,139 nonzeros) they take
#: 5.2 and 5.9 s without it instead of 4.3 and 5.1 s.
HIGHS_NO_RESTART_NONZEROS = 12_000


def _restart_costs_more(model: LinearModel) -> bool:
    """Whether HiGHS should not restart on ``model`` (:data:`HIGHS_NO_RESTART_NONZEROS`)."""
    return model.A.nnz <= HIGHS_NO_RESTART_NONZEROS and model.stats.get("phases", 1) == 1


class OrtoolsBackend(Backend):
    """Google OR-Tools through ``model_builder`` (SCIP, HiGHS, CP-SAT)."""

    name: ClassVar[str] = "ortools"
    required_modules: ClassVar[tuple[str, ...]] = ("ortools",)
    engines: ClassVar[dict[str, frozenset[Feature]]] = {
        "scip": _PROVING | {Feature.WARM_START},
        # No warm start: model_builder's HiGHS crashes (SIGSEGV) on a model carrying hints.
        "highs": _PROVING,
        "sat": frozenset({Feature.INTEGER, Feature.WARM_START}),
    }
    default_engine: ClassVar[str] = "scip"

    def solve(self, model: LinearModel, options: SolveOptions) -> BackendResult:
        """Translate the model in bulk and solve it; see :meth:`Backend.solve`."""
        engine = self.check(options)
        if engine == "sat" and model.capacitated:  # it would round the continuous assignment
            msg = ("OR-Tools engine 'sat' does not handle capacities (categories[].capacity, "
                   "min_load, sites[].capacity, existing[].capacity): its continuous variables "
                   "are scaled to integers; use --engine scip or highs")
            raise OptionsError(msg)
        import importlib  # noqa: PLC0415

        mbh: Any = importlib.import_module("ortools.linear_solver.python.model_builder_helper")

        t0 = time.perf_counter()
        helper = mbh.ModelBuilderHelper()
        helper.fill_model_from_sparse_data(
            model.col_lower.astype(np.float64), model.col_upper.astype(np.float64),
            model.c.astype(np.float64), model.row_lower.astype(np.float64),
            model.row_upper.astype(np.float64), sp.csr_matrix(model.A, dtype=np.float64),
        )
        for column in np.flatnonzero(model.integrality).tolist():
            helper.set_var_integrality(column, True)
        helper.set_maximize(model.sense == "max")
        if options.warm_start is not None:  # check() refused it for an engine without hints
            for index, value in enumerate(np.asarray(options.warm_start, np.float64).tolist()):
                helper.add_hint(index, value)
        solver = mbh.ModelSolverHelper(engine)
        if not solver.solver_is_supported():
            msg = f"OR-Tools was built without engine {engine!r}; try another engine"
            raise SolveError(msg)
        if options.time_limit_s is not None:  # translating counts against the limit
            left = options.time_limit_s - (time.perf_counter() - t0)
            solver.set_time_limit_in_seconds(max(float(left), 0.01))
        solver.set_solver_specific_parameters(_parameters(engine, options, model))
        solver.enable_output(options.verbose)
        t1 = time.perf_counter()
        solver.solve(helper)
        t2 = time.perf_counter()

        native = mbh.SolveStatus(solver.status())
        text = f"{native.name}: {solver.status_string()}".strip(": ")
        has = bool(solver.has_solution())
        if native == mbh.SolveStatus.OPTIMAL:
            status = Status.OPTIMAL
        elif native == mbh.SolveStatus.INFEASIBLE:
            status = Status.INFEASIBLE
        elif native in (mbh.SolveStatus.FEASIBLE, mbh.SolveStatus.NOT_SOLVED,
                        mbh.SolveStatus.UNKNOWN_STATUS, mbh.SolveStatus.CANCELLED_BY_USER):
            status = Status.FEASIBLE if has else Status.NO_SOLUTION
        else:
            msg = f"OR-Tools engine {engine!r} failed ({text}); try another engine or backend"
            raise SolveError(msg)
        values = np.asarray(solver.variable_values(), dtype=np.float64) if has else None
        objective = float(solver.objective_value()) + model.offset if has else None
        bound = None
        if status.has_solution:
            raw_bound = float(solver.best_objective_bound())
            if np.isfinite(raw_bound) and abs(raw_bound) < 1e19:  # SCIP: ±1e20 = no bound
                bound = raw_bound + model.offset
        return BackendResult(status=status, values=values, objective=objective, bound=bound,
                             native_status=text, engine=engine, solve_seconds=t2 - t1,
                             translate_seconds=t1 - t0)
