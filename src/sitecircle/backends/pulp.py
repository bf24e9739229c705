"""PuLP backend: CBC (bundled with PuLP) or HiGHS (through ``highspy``).

PuLP has no bulk interface: every row becomes an ``LpAffineExpression``. The translation loops
once over the model's rows, hands each row's nonzeros to ``dict.update`` (no per-term Python
arithmetic, and variables hashed by C-level identity) and adds all rows in one
``LpProblem.extend``, which is as fast as PuLP's public API allows; it is still the slow path
(``benchmarks/results/perf.md``: 8.5 s for 10M nonzeros, against about 2 s for the OR-Tools
backend), and PuLP walks every row once more when it hands the model to the engine.

Honest status: PuLP reports CBC and HiGHS runs stopped by a time limit as "Optimal". This backend
reads the engine's own result instead: for CBC the result line, objective and bound in its log;
for HiGHS the model status and dual bound from ``highspy``.

Engines: ``cbc`` (default) and ``highs``. ``backend_options`` go to the PuLP solver class as
keyword arguments (e.g. ``{"options": ["cuts off"]}`` for CBC).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sitecircle.backends.base import Backend, BackendResult, Feature, SolveOptions
from sitecircle.errors import OptionsError, SolveError
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status

_PROVING = frozenset({Feature.INTEGER, Feature.PROVES_OPTIMALITY})

#: Time kept back from the engine for PuLP's own input and output, as a share of the
#: translation time (CBC reads an MPS file PuLP writes in Python, then PuLP reads the answer).
PULP_IO_SHARE = 0.5


@functools.cache
def _variable_class() -> type:
    """``pulp.LpVariable`` whose hash is the C-level identity hash.

    PuLP's ``LpVariable.__hash__`` is a Python method returning ``id(self)``; every insertion
    into an expression (a dict keyed by variables) calls it, which was a quarter of the
    translation time. ``object.__hash__`` gives the same equality classes (identity) without
    the Python call; PuLP itself keys its own tables on the ``hash`` attribute, unchanged.
    """
    import pulp  # noqa: PLC0415

    return type("IdentityHashedVariable", (pulp.LpVariable,), {"__hash__": object.__hash__})


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (the translation makes no reference cycles).

    Millions of new expressions and constraints trigger full collections over all of them again
    and again; pausing them makes the translation of a 3M-nonzero model 1.8x faster (measured
    7.2 s against 4.0 s). Memory is unaffected: reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(model: LinearModel) -> tuple[Any, list[Any]]:
    """Translate the model into a ``pulp.LpProblem`` (see :func:`_build_rows`)."""
    with _no_cyclic_gc():
        return _build_rows(model)


def _build_rows(model: LinearModel) -> tuple[Any, list[Any]]:
    """Translate the model into a ``pulp.LpProblem``; return it and its variables.

    One ``LpAffineExpression`` per row, filled by ``dict.update`` from the CSR arrays (no
    per-term Python arithmetic), and the rows handed over in one ``LpProblem.extend`` call:
    ``addConstraint`` would walk every row's variables once more to register them, which
    ``LpProblem.variables()`` does anyway when the engine is called. Measured in
    ``benchmarks/perf.py``.
    """
    import pulp  # noqa: PLC0415

    variable = _variable_class()
    sense = pulp.LpMaximize if model.sense == "max" else pulp.LpMinimize
    prob = pulp.LpProblem("sitecircle", sense)
    cat = np.where(model.integrality, pulp.LpInteger, pulp.LpContinuous)
    variables = [
        variable(f"v{i}", lowBound=lo, upBound=hi, cat=str(ct))
        for i, (lo, hi, ct) in enumerate(zip(model.col_lower.tolist(), model.col_upper.tolist(),
                                             cat, strict=True))
    ]
    objective = pulp.LpAffineExpression()
    nz = np.flatnonzero(model.c)
    dict.update(objective, zip([variables[i] for i in nz], model.c[nz].tolist(), strict=True))
    prob.setObjective(objective)
    a = model.A
    indptr, data = a.indptr.tolist(), a.data.tolist()
    var_of = [variables[j] for j in a.indices.tolist()]
    lower, upper = model.row_lower.tolist(), model.row_upper.tolist()
    expression, constraint = pulp.LpAffineExpression, pulp.LpConstraint
    eq, ge, le = pulp.LpConstraintEQ, pulp.LpConstraintGE, pulp.LpConstraintLE
    rows: dict[str, Any] = {}
    for r in range(model.n_rows):
        lo, hi = lower[r], upper[r]
        start, end = indptr[r], indptr[r + 1]
        expr = expression()
        dict.update(expr, zip(var_of[start:end], data[start:end], strict=True))
        if lo == hi:
            rows[f"r{r}e"] = constraint(expr, eq, f"r{r}e", lo)
            continue
        if lo > -np.inf:
            rows[f"r{r}l"] = constraint(expr, ge, f"r{r}l", lo)
            if hi < np.inf:  # a ranged row: the upper side gets its own expression
                expr = expression()
                dict.update(expr, zip(var_of[start:end], data[start:end], strict=True))
        if hi < np.inf:
            rows[f"r{r}u"] = constraint(expr, le, f"r{r}u", hi)
    prob.extend(rows)
    return prob, variables


_CBC_RESULT = re.compile(r"^Result - (.+)$", re.MULTILINE)
_CBC_NUMBER = r"(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|-?inf|-?1e\+?50)"


def _cbc_log(text: str) -> dict[str, Any]:
    """Pull the result line, objective and bound out of a CBC log."""
    out: dict[str, Any] = {}
    match = _CBC_RESULT.search(text)
    out["result"] = match.group(1).strip() if match else None
    for key, label in (("objective", "Objective value:"), ("bound", "Lower bound:"),
                       ("bound", "Upper bound:"), ("gap", "Gap:")):
        if out.get(key) is not None:
            continue
        m = re.search(rf"^{re.escape(label)}\s+{_CBC_NUMBER}", text, re.MULTILINE)
        out[key] = float(m.group(1)) if m else None
    return out


#: CBC's closing wall-clock time, e.g. ``Total time (CPU seconds): 0.01 (Wallclock seconds): 0.02``.
_CBC_WALL = re.compile(r"Wallclock seconds\):\s*([0-9.]+)")


def _cut_short(log: str, time_limit_s: float | None) -> bool:
    """True when a time limit may have ended CBC's run: an infeasibility claim is then not a proof.

    Without a limit the claim stands; with one it stands only when CBC's own wall clock shows the
    run finished in under half the limit (a completed proof, not a run cut in preprocessing).
    """
    if time_limit_s is None:
        return False
    times = _CBC_WALL.findall(log)
    return not times or float(times[-1]) >= 0.5 * time_limit_s


class PulpBackend(Backend):
    """PuLP with CBC or HiGHS."""

    name: ClassVar[str] = "pulp"
    required_modules: ClassVar[tuple[str, ...]] = ("pulp",)
    engines: ClassVar[dict[str, frozenset[Feature]]] = {"cbc": _PROVING, "highs": _PROVING}
    default_engine: ClassVar[str] = "cbc"

    def versions(self) -> dict[str, str]:
        """Versions of PuLP (with its bundled CBC) and of highspy for the ``highs`` engine."""
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        out = super().versions()
        try:
            out["highspy"] = version("highspy")
        except PackageNotFoundError:
            out["highspy"] = "not installed"
        return out

    def solve(self, model: LinearModel, options: SolveOptions) -> BackendResult:
        """Translate the model row by row and solve it; see :meth:`Backend.solve`."""
        engine = self.check(options)
        if engine == "highs" and not _has_highspy():
            msg = "pulp engine 'highs' needs the highspy package: pip install highspy"
            raise SolveError(msg)
        t0 = time.perf_counter()
        prob, variables = _build(model)
        t1 = time.perf_counter()
        if options.time_limit_s is not None:
            # The limit covers the whole call: translating counts, and writing the model file
            # (CBC) and reading the answer back take about half as long again.
            spent = t1 - t0
            left = options.time_limit_s - spent - max(PULP_IO_SHARE * spent, 0.1)
            options = dataclasses.replace(options, time_limit_s=max(left, 0.05))
        with _no_cyclic_gc():  # PuLP walks and writes the model in Python objects again
            if engine == "cbc":
                status, objective, bound, native = self._solve_cbc(prob, model, options)
            else:
                status, objective, bound, native = self._solve_highs(prob, model, options)
        t2 = time.perf_counter()
        values = None
        if status.has_solution:
            values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables])
            objective = model.objective_value(values) if objective is None else objective
        return BackendResult(status=status, values=values, objective=objective, bound=bound,
                             native_status=native, engine=engine, solve_seconds=t2 - t1,
                             translate_seconds=t1 - t0)

    def _solve_cbc(
        self, prob: Any, model: LinearModel, options: SolveOptions
    ) -> tuple[Status, float | None, float | None, str]:
        import pulp  # noqa: PLC0415

        fd, log_path = tempfile.mkstemp(prefix="sitecircle-cbc-", suffix=".log")
        os.close(fd)
        try:
            extra = dict(options.backend_options)
            cbc_options = [f"randomCbcSeed {options.seed + 1}", *extra.pop("options", [])]
            try:
                solver = pulp.PULP_CBC_CMD(
                    msg=False, timeLimit=options.time_limit_s, gapRel=options.mip_gap,
                    gapAbs=0, threads=options.threads, options=cbc_options, logPath=log_path,
                    **extra,
                )
            except TypeError as exc:
                msg = f"invalid backend option for pulp/cbc: {exc}"
                raise OptionsError(msg) from exc
            try:
                prob.solve(solver)
            except pulp.PulpSolverError as exc:
                msg = f"CBC failed: {exc}; try --backend ortools"
                raise SolveError(msg) from exc
            text = Path(log_path).read_text(errors="replace")
        finally:
            Path(log_path).unlink(missing_ok=True)
            if options.verbose:
                print(text, file=sys.stderr)  # the user asked for the solver log
        log = _cbc_log(text)
        result = (log["result"] or "").lower()
        native = f"{pulp.LpStatus[prob.status]} / sol_status {prob.sol_status} / {log['result']}"
        has = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        # Every variable is bounded, so "infeasible or unbounded" in preprocessing is infeasible.
        proven_infeasible = re.search(r"^(Problem (is|proven) infeasible|Pre-processing says "
                                      r"infeasible)", text, re.MULTILINE)
        if "infeasible" in result or proven_infeasible:
            if _cut_short(text, options.time_limit_s):
                # CBC stopped by a (tiny) time limit in preprocessing can call a feasible model
                # infeasible: without a finished proof, say no solution was found.
                return Status.NO_SOLUTION, None, None, f"{native} (infeasible not proven: the "\
                    "time limit ended the run)"
            return Status.INFEASIBLE, None, None, native
        lp_solved = not model.integrality.any() and prob.sol_status == pulp.LpSolutionOptimal
        if result.startswith("optimal") or lp_solved:  # an LP's log has no result line
            status = Status.OPTIMAL
        elif has:
            status = Status.FEASIBLE
        else:
            return Status.NO_SOLUTION, None, None, native
        # CBC prints objective and bound in the model's own sense ("Upper bound" when
        # maximising); an optimal run prints no bound, so the bound is the objective.
        objective, bound = log["objective"], log["bound"]
        if bound is not None and (abs(bound) >= 1e49 or not np.isfinite(bound)):
            bound = None
        if status is Status.OPTIMAL and bound is None:
            bound = objective
        return (status, None if objective is None else objective + model.offset,
                None if bound is None else bound + model.offset, native)

    def _solve_highs(
        self, prob: Any, model: LinearModel, options: SolveOptions
    ) -> tuple[Status, float | None, float | None, str]:
        import highspy  # noqa: PLC0415
        import pulp  # noqa: PLC0415

        params = {"random_seed": options.seed, "mip_abs_gap": 0.0,
                  "output_flag": options.verbose, "log_to_console": options.verbose,
                  **options.backend_options}
        try:
            solver = pulp.HiGHS(msg=options.verbose, timeLimit=options.time_limit_s,
                                gapRel=options.mip_gap, threads=options.threads, **params)
            prob.solve(solver)
        except (TypeError, KeyError) as exc:
            msg = f"invalid backend option for pulp/highs: {exc}"
            raise OptionsError(msg) from exc
        h = prob.solverModel
        native_status = h.getModelStatus()
        info = h.getInfo()
        native = f"{h.modelStatusToString(native_status)}"
        ms = highspy.HighsModelStatus
        has = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if native_status == ms.kOptimal:
            status = Status.OPTIMAL
        elif native_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return Status.INFEASIBLE, None, None, native
        elif has:
            status = Status.FEASIBLE
        else:
            return Status.NO_SOLUTION, None, None, native
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
        if bound is not None and abs(bound) >= 1e30:
            bound = None
        if bound is not None and model.sense == "max":
            bound = -bound  # PuLP hands HiGHS the negated objective when maximising
        return status, None, (bound + model.offset if bound is not None else None), native


def _has_highspy() -> bool:
    import importlib.util  # noqa: PLC0415

    return importlib.util.find_spec("highspy") is not None
