r"""Both stages in one solve when the first stage can reach its ceiling.

A maximised first stage (``max_coverage``, ``max_complete``) can never exceed its *ceiling*
:math:`F`: every ``covered`` / ``complete`` column at its upper bound,
:math:`F = o_1 + \sum_j \max(c_{1j}\underline v_j, c_{1j}\overline v_j)`. When the LP relaxation's
safe bound (:func:`~sitecircle.backends.lp_bound.lp_bound`) reaches :math:`F`, the limits may
allow covering everything, and then the default ``min_cost`` stage after it is the model of
:mod:`sitecircle.solving.follow` with the ``hold`` row at :math:`F`: the least cost of covering
everything within the limits (a set-covering problem). Solving that model first answers both
stages at once:

* a plan found there has the value :math:`F`, the first stage's ceiling, so it is optimal for the
  first stage (bound :math:`F`) and its cost is the second stage's answer (optimal when the engine
  proves it, ``feasible`` otherwise, as after a follow stage that ran out of time);
* ``infeasible`` there means the limits cannot cover everything: the first stage is solved as
  usual (the attempt's time is lost; the LP bound said it was possible, so this is rare).

The covering model is handed to the engine as a plain set cover (:func:`set_cover`): the
``covered`` variables the ``hold`` row forces to their bounds are eliminated, each of their
rows :math:`y_r \le \sum_{j \in P_r} x_j` becomes :math:`\sum_{j \in P_r} x_j \ge 1`, and the
``hold`` row goes. Exact when every positive term :math:`c_{1r}\overline y_r` of the ceiling
exceeds the ``hold`` row's round-off allowance (so that the ``hold`` row leaves no such row
uncovered; else the model is solved as it is).

Measured on the single-category 2,000 × 500 MCLP (``p = 50``; 49 sites cover every community,
LP bound of the covering model 46.6): the first stage (SCIP, 10–20 s; 120 s when asked alone)
is skipped. SCIP proves 49 on the set cover in 3.1–4.9 s (5 runs, seeds 0–3) against
6.3–7.7 s on the model with ``covered`` variables and the ``hold`` row; OR-Tools' HiGHS needs
50–54 s on the set cover. Set-cover dominance on top (a row implied by a row whose sites it
contains, a column whose rows another column of no higher cost covers, a row with one site
fixing that site; iterated: 1,644 × 459 → 616 × 361 with 4 sites fixed) helps HiGHS
(12–14 s) but slows SCIP down (5.9–13.6 s, same seeds): SCIP's own presolve does this and its
search does better on the full set cover, so the reductions are not applied.

With no stage after the first (``"then": []``), the covering model is solved the same way
but only for *a* plan: any plan of it has the value :math:`F`, so the engine stops at its first
one (relative gap :data:`ANY_PLAN_GAP`: a plan of cost :math:`P` is accepted once the bound
:math:`D` reaches 1 % of it, which the root LP's bound does on any covering model worth the
name) and the answer is the first stage's, optimal, without the proof of least cost nobody
asked for. Measured on the same MCLP
with ``"then": []``: SCIP stops after 0.13 s on the set cover (a plan of 49 sites), where the
heuristic head start needed about 1.1 s of swap search to cover every community (3.1 s of solve
in all, with its bound phases).

Used only without a time limit and with ``objective.tolerance`` 0 (the usual case): then the
``hold`` row at :math:`F` is exactly the second stage's row, and no time share between two stages
has to be decided. The LP check itself is bounded like the one of
:func:`~sitecircle.solving.stages.run_from` (models up to
:data:`~sitecircle.solving.stages.LP_CHECK_MAX_NONZEROS` nonzeros, at most
:data:`~sitecircle.solving.stages.LP_CHECK_MAX_S` seconds), so a model that does not saturate
pays little for the test. The covering solve gets at most :data:`SATURATED_LIMIT_S`; a plan it
has not proven cheapest by then is reported ``feasible`` (as a follow stage out of time would
be), and none at all sends the instance down the usual path.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.backends import BackendResult, SolveOptions
from sitecircle.backends.lp_bound import lp_bound
from sitecircle.errors import SolveError
from sitecircle.instance.data import Instance
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.solving.follow import exact_for_min_cost, min_cost_model
from sitecircle.solving.stages import (
    LP_CHECK_MAX_NONZEROS,
    LP_CHECK_MAX_S,
    Runner,
    StagedOutcome,
    holds,
    open_pairs,
)

__all__ = ["ceiling", "set_cover", "solve_saturated"]

#: The attempt gets at most this many seconds (the default follow stage's own minimum).
SATURATED_LIMIT_S = 60.0
#: The relative gap at which the covering model stops when only a plan is wanted (``"then":
#: []``); the options accept gaps below 1.
ANY_PLAN_GAP = 0.99


def ceiling(model: LinearModel) -> float:
    """The largest objective any point of the model's box reaches (offset included)."""
    c = model.c
    return float(np.maximum(c * model.col_lower, c * model.col_upper).sum()) + model.offset


def _may_cover(model: LinearModel) -> bool:
    """False when a ``max_new`` limit ``p`` rules saturation out by counting alone.

    Every ``cover`` row needs an open column that covers it, so the ``p`` columns covering the
    most rows must cover at least as many rows as there are (0.1 s of LP saved on most MCLPs).
    """
    limit, cover = model.row_blocks.get("max_new"), model.row_blocks.get("cover")
    if limit is None or cover is None or limit.stop - limit.start != 1:
        return True
    p = int(np.floor(model.row_upper[limit.start] + 1e-9))
    ox = model.blocks["open"]
    degree = np.diff(sp.csc_array(model.A[cover][:, ox]).indptr)
    return bool(int(np.sort(degree)[::-1][:p].sum()) >= cover.stop - cover.start)


def solve_saturated(
    instance: Instance, model: LinearModel, run: Runner, options: SolveOptions, *,
    first_only: bool = False,
) -> tuple[BackendResult, StagedOutcome | None] | None:
    """Solve both stages as one set-covering model when the first stage can saturate.

    Parameters
    ----------
    instance
        The instance (a maximised objective followed by the default ``min_cost``, tolerance 0).
    model
        The first stage's reduced model.
    run
        Solves one model (a backend, in or out of process).
    options
        Solver options (no time limit).
    first_only
        No stage follows the first (``"then": []``): any plan of the covering model is the
        answer, so the engine stops at its first (module docstring).

    Returns
    -------
    tuple or None
        The first stage's result (the plan, value and bound :math:`F`) and the staged outcome
        of both stages (None with ``first_only``); None when the shortcut does not apply or
        finds no plan (the caller then solves the stages as usual).
    """
    if (model.sense != "max" or model.n_vars == 0 or model.A.nnz > LP_CHECK_MAX_NONZEROS
            or model.capacitated or not (first_only or exact_for_min_cost(instance, model))):
        return None
    if not _may_cover(model):
        return None
    top = ceiling(model)
    bound = lp_bound(model, LP_CHECK_MAX_S)
    if bound is None or bound < top - 1e-9 * max(1.0, abs(top)):
        return None
    stage = min_cost_model(instance, model, top)
    t = time.perf_counter()
    gap = ANY_PLAN_GAP if first_only else options.mip_gap
    limited = dataclasses.replace(options, time_limit_s=SATURATED_LIMIT_S, warm_start=None,
                                  cutoff=None, mip_gap=gap)
    cover = set_cover(model, stage)
    if cover is None:
        second = run(stage, limited)
    else:
        second = _on_stage(stage, cover[0], cover[1], run(cover[0], limited))
    seconds = time.perf_counter() - t
    if not second.status.has_solution or second.values is None:
        return None
    values = second.values
    value = model.objective_value(values)
    how = ("the first plan of the covering model answers" if first_only
           else "both stages solved as one covering model")
    first = dataclasses.replace(
        second, status=Status.OPTIMAL, objective=value, bound=top,
        native_status=f"{second.native_status}; every coverage at its ceiling {top:.10g} "
                      f"(the LP bound allowed it): {how}")
    if first_only:
        return first, None
    records: list[dict[str, Any]] = [
        {"type": instance.objective.type, "value": value, "bound": top, "status": "optimal",
         "engine": second.engine, "seconds": seconds},
        {"type": "min_cost", "value": stage.objective_value(values), "bound": second.bound,
         "status": second.status.value, "engine": second.engine, "seconds": seconds}]
    status = Status.OPTIMAL if second.status is Status.OPTIMAL else Status.FEASIBLE
    return first, StagedOutcome(status, open_pairs(model, values), records, second,
                                dict(model.stats))


def set_cover(
    model: LinearModel, stage: LinearModel
) -> tuple[LinearModel, NDArray[np.int64]] | None:
    r"""The covering stage as a plain set cover, and the stage columns it keeps (module docstring).

    Parameters
    ----------
    model
        The first stage's (``max``) model.
    stage
        Its covering stage (:func:`~sitecircle.solving.follow.min_cost_model` at the ceiling).

    Returns
    -------
    tuple or None
        The set-cover model (the stage's ``open`` and ``site_open`` columns, its rows other
        than ``cover`` and ``hold``, and :math:`\sum_{j \in P_r} x_j \ge 1` for every cover
        row whose ``covered`` variable the ceiling needs) and the indices of its columns in the
        stage model; None when the stage is not of that form (other variable blocks, a cover
        row without exactly one ``covered`` variable, a ``covered`` variable elsewhere, a term
        of the ceiling within the ``hold`` row's round-off allowance).
    """
    blocks = {name: b for name, b in stage.blocks.items() if b.stop > b.start}
    cover, hold = stage.row_blocks.get("cover"), stage.row_blocks.get("hold")
    yb = stage.blocks.get("covered")
    if (cover is None or hold is None or yb is None or set(blocks) - {"open", "site_open",
                                                                       "covered"}):
        return None
    a = sp.csr_array(stage.A)
    others = np.setdiff1d(np.arange(stage.n_rows), np.r_[cover.start:cover.stop,
                                                          hold.start:hold.stop])
    a_y = sp.csr_array(a[:, yb.start:yb.stop])
    if a_y[others].nnz or np.any(model.c[:yb.start]) or np.any(model.c[yb.stop:]):
        return None
    y_cover = a_y[cover.start:cover.stop]
    n_y = yb.stop - yb.start
    if (y_cover.shape[0] != n_y or np.any(np.diff(y_cover.indptr) != 1)
            or not np.array_equal(y_cover.indices, np.arange(n_y)) or np.any(y_cover.data != 1)
            or np.any(stage.row_upper[cover] != 0) or np.any(stage.col_lower[yb] != 0)):
        return None
    term = model.c[yb] * stage.col_upper[yb]
    give = float(term.sum() - stage.row_lower[hold.start])  # the hold row's allowance
    needed = term > 0
    if np.any(term < 0) or not np.any(needed) or float(term[needed].min()) <= give:
        return None
    keep = np.r_[0:yb.start, yb.stop:stage.n_vars].astype(np.int64)
    rows = sp.csr_array(-a[cover.start:cover.stop][:, keep][needed])
    n_cover = rows.shape[0]
    out = dataclasses.replace(
        stage, c=stage.c[keep], A=sp.csr_array(sp.vstack([rows, a[others][:, keep]], format="csr")),
        row_lower=np.concatenate([np.ones(n_cover), stage.row_lower[others]]),
        row_upper=np.concatenate([np.full(n_cover, np.inf), stage.row_upper[others]]),
        col_lower=stage.col_lower[keep], col_upper=stage.col_upper[keep],
        integrality=stage.integrality[keep],
        blocks={name: (slice(b.start, b.stop) if b.stop <= yb.start
                       else slice(b.start - n_y, b.stop - n_y))
                for name, b in stage.blocks.items() if name != "covered"},
        row_blocks=_row_blocks(stage, n_cover, others))
    return out, keep


def _row_blocks(stage: LinearModel, n_cover: int, others: NDArray[np.int64]
                ) -> dict[str, slice]:
    """Row blocks of :func:`set_cover`'s model: ``cover`` first, then the other blocks."""
    out = {"cover": slice(0, n_cover)}
    for name, b in stage.row_blocks.items():
        if name in ("cover", "hold") or b.stop == b.start:
            continue
        lo = n_cover + int(np.searchsorted(others, b.start))
        out[name] = slice(lo, lo + (b.stop - b.start))
    return out


def _on_stage(stage: LinearModel, cover: LinearModel, keep: NDArray[np.int64],
              result: BackendResult) -> BackendResult:
    """The set cover's answer as values of the stage model (``covered`` at its cap when met)."""
    if result.values is None:
        return result
    values = np.zeros(stage.n_vars)
    values[keep] = result.values
    yb, rows = stage.blocks["covered"], stage.row_blocks["cover"]
    met = -(stage.A[rows] @ values)  # Σ x over each cover row's sites (y still 0 here)
    values[yb] = np.where(met > 0.5, stage.col_upper[yb], 0.0)
    if not holds(stage, values):  # a bug guard: the set cover is the stage, rewritten
        msg = "the set-cover rewrite of the covering stage returned a plan the stage rejects"
        raise SolveError(msg)
    return dataclasses.replace(result, values=values, objective=stage.objective_value(values),
                               native_status=f"{result.native_status} (as a set cover, "
                                             f"{cover.n_rows:,} rows × {cover.n_vars:,} columns)")
