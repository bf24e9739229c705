r"""The planning model: one MILP for every stage of a lexicographic objective.

:func:`build_planning_model` is used when an instance needs what the reduced model of
:mod:`sitecircle.model.assemble` cannot express: approved (``fixed``) sites, equity rules,
``max_min_share``, a complete-basket target, or several objective stages (FORMAT.md, "Planning
extensions"). It keeps every variable each stage may need, so that all stages share one set of
rows; only the objective and the rows that hold earlier stages change between stages
(:mod:`sitecircle.solving.stages`).

Formulation
-----------
Notation as in :mod:`sitecircle.model.linear`. Variables (``blocks``):

* ``open`` :math:`x_{jk}\in\{0,1\}` for every (site, category) that reaches some community within
  the category's threshold, and every approved pair; excluded sites have none. Approved pairs have
  the lower bound 1 (FORMAT.md: they count toward cost, budget and ``max_new``).
* ``site_open`` :math:`u_j\in\{0,1\}` for sites with an open cost :math:`f_j > 0`.
* ``covered`` :math:`y_{ik}\in[0,1]` for every pair with :math:`d_{ik}>0` not pre-covered that
  a site can cover: :math:`y_{ik} - \sum_j a_{ijk}x_{jk}\le 0` (rows ``cover``).
* ``complete`` :math:`z_i\in[0,1]` for communities with population, not complete already, that
  could be: :math:`z_i - \sum_j a_{ijk}x_{jk}\le 0` for every required :math:`k` with
  :math:`p_{ik}=0` (rows ``cover_complete``).
* ``max_min`` :math:`t_s\in[0,1]`, one per ``max_min_share`` stage (rows ``max_min``,
  :mod:`sitecircle.model.equity`).

Continuous :math:`y, z, t` are exact: every right-hand side they meet is an integer count of
open facilities, and they appear only with non-negative coefficients in maximised objectives and
in ``>=`` rows, so they can always be raised to :math:`\min(1, \text{count})`.

Rows shared by every stage: ``cover``, ``cover_complete``, ``budget``, ``max_new``, ``link``
(:math:`x_{jk}-u_j\le 0`), ``max_categories``, ``equity``, ``max_min``. Stage objectives
(:class:`StageObjective`): ``max_coverage`` :math:`\sum w_k d_{ik} y_{ik}` + pre-covered constant;
``max_complete`` :math:`\sum \text{pop}_i z_i` + complete constant; ``min_cost``
:math:`\sum c_{jk}x_{jk} + \sum f_j u_j`, with a target (rows added from that stage on):
:math:`\sum_i d_{ik}y_{ik}\ge T D_k - P_k` per required :math:`k`, or, for
``target_measure: "complete"``, :math:`\sum_i \text{pop}_i z_i \ge T\,\text{Pop} - \text{Done}`;
``max_min_share`` :math:`t_s`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE, Stage
from sitecircle.model.equity import (
    GroupRows,
    MeasureTerms,
    equity_block,
    group_rows,
    max_min_block,
)
from sitecircle.model.linear import TARGET_TOLERANCE, LinearModel
from sitecircle.travel.coverage import Coverage

_F = NDArray[np.float64]
_I = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class StageObjective:
    """One stage's objective, and the rows it adds (a ``min_cost`` target).

    Parameters
    ----------
    stage
        The stage as the instance states it.
    sense
        ``"max"`` or ``"min"``.
    c, offset
        Objective coefficients over the planning model's variables and its constant.
    rows, lower
        Rows (``>= lower``) this stage adds and later stages keep; None when it adds none.
    tie_break
        A stage the instance does not state, that only chooses among the plans every stated
        stage leaves optimal (the phased model's "spend as late as possible"): the stage before
        it is held exactly, and its own status never makes the plan ``feasible``.
    """

    stage: Stage
    sense: Literal["max", "min"]
    c: _F
    offset: float
    rows: sp.csr_array | None = None
    lower: _F | None = None
    tie_break: bool = False


@dataclass(frozen=True, eq=False)
class PlanningModel:
    """The planning model and its stages.

    Parameters
    ----------
    model
        Rows shared by every stage; its objective is the first stage's.
    stages
        Every stage in order.
    cover, cover_complete
        Coverage rows of ``y`` and ``z`` over the ``open`` columns (to rebuild ``y``, ``z`` from
        a set of open facilities), with ``complete_of_row`` the ``z`` of every complete row.
    max_min_rows
        Per ``max_min_share`` stage: its group rows (to rebuild ``t``).
    """

    model: LinearModel
    stages: tuple[StageObjective, ...]
    cover: sp.csr_array
    cover_complete: sp.csr_array
    complete_of_row: _I
    max_min_rows: tuple[GroupRows, ...]

    def values_from_open(self, open_pairs: _I) -> _F:
        """A feasible-for-shared-rows vector from opened ``(site, category)`` pairs.

        ``x`` is 1 on the opened pairs, ``u`` on their sites, and ``y``, ``z``, ``t`` are raised
        as far as the open facilities allow. Pairs without a column (they reach nobody) are
        ignored.
        """
        m = self.model
        v = np.zeros(m.n_vars)
        ox, su = m.blocks["open"], m.blocks["site_open"]
        n_cat = int(m.stats.get("categories", 1))
        keys = m.open_site.astype(np.int64) * n_cat + m.open_category
        want = np.asarray(open_pairs, dtype=np.int64).reshape(-1, 2)
        x = np.isin(keys, want[:, 0] * n_cat + want[:, 1]).astype(np.float64)
        v[ox] = x
        v[su] = np.isin(m.site_open_site, m.open_site[x > 0.5]).astype(np.float64)
        v[m.blocks["covered"]] = np.minimum(1.0, self.cover @ x)
        counts = np.minimum(1.0, self.cover_complete @ x)
        n_z = m.blocks["complete"].stop - m.blocks["complete"].start
        z = np.ones(n_z)
        np.minimum.at(z, self.complete_of_row, counts)
        v[m.blocks["complete"]] = z
        t_block = m.blocks["max_min"]
        for s, rows in enumerate(self.max_min_rows):
            share = (rows.constant + rows.matrix @ v) / rows.total
            v[t_block.start + s] = float(np.clip(share.min(initial=1.0), 0.0, 1.0))
        return v


def _columns(instance: Instance, coverage: Coverage) -> tuple[_I, _I]:
    """Column keys (``site * K + category``) and the triples' column, excluded sites dropped."""
    n_cat = instance.n_categories
    ok = instance.candidate_hosts[coverage.site, coverage.category]
    keys = coverage.site[ok].astype(np.int64) * n_cat + coverage.category[ok]
    fixed = np.argwhere(instance.fixed)
    col_keys = np.union1d(keys, fixed[:, 0] * n_cat + fixed[:, 1])
    return col_keys, np.flatnonzero(ok)


def _measure_terms(
    instance: Instance, measure: str, y_comm: _I, y_cat: _I, n_x_u: int, z_comm: _I, n_y: int,
    pre: NDArray[np.bool_], done: NDArray[np.bool_],
) -> MeasureTerms:
    if measure == COMPLETE:
        pop = instance.population
        return MeasureTerms(z_comm, n_x_u + n_y + np.arange(len(z_comm)), pop[z_comm],
                            pop * done)
    k = instance.category_ids.index(measure)
    d = instance.demand[:, k]
    sel = np.flatnonzero(y_cat == k)
    return MeasureTerms(y_comm[sel], n_x_u + sel, d[y_comm[sel]], d * pre[:, k])


def build_planning_model(instance: Instance, coverage: Coverage) -> PlanningModel:
    """Assemble the planning model (formulation in the module docstring).

    Parameters
    ----------
    instance
        A validated instance.
    coverage
        Its coverage.

    Returns
    -------
    PlanningModel
        The shared rows and every stage's objective.
    """
    obj = instance.objective
    n, n_cat = instance.n_communities, instance.n_categories
    col_keys, trip = _columns(instance, coverage)
    open_site, open_cat = col_keys // n_cat, col_keys % n_cat
    n_x = len(col_keys)
    t_comm = coverage.community[trip].astype(np.int64)
    t_cat = coverage.category[trip].astype(np.int64)
    t_col = np.searchsorted(col_keys, coverage.site[trip].astype(np.int64) * n_cat + t_cat)
    pair_cover = sp.csr_array((np.ones(len(trip)), (t_comm * n_cat + t_cat, t_col)),
                              shape=(n * n_cat, n_x))
    pre = coverage.precovered
    reach = pre | coverage.coverable
    demand = instance.demand
    y_mask = ~pre & coverage.coverable & (demand > 0)
    y_comm, y_cat = np.nonzero(y_mask)
    cover = sp.csr_array(pair_cover[y_comm * n_cat + y_cat])
    need = instance.required
    done = np.asarray(pre[:, need].all(axis=1), dtype=bool)
    z_comm = np.flatnonzero((instance.population > 0) & reach[:, need].all(axis=1) & ~done)
    z_mask = np.zeros((n, n_cat), dtype=bool)
    z_mask[z_comm] = need & ~pre[z_comm]
    zr_comm, zr_cat = np.nonzero(z_mask)
    cover_complete = sp.csr_array(pair_cover[zr_comm * n_cat + zr_cat])
    complete_of_row = np.searchsorted(z_comm, zr_comm)
    del pair_cover

    with_open_cost = instance.site_open_cost[open_site] > 0
    u_sites, u_of_col = np.unique(open_site[with_open_cost], return_inverse=True)
    n_u, n_y, n_z = len(u_sites), len(y_comm), len(z_comm)
    mm_stages = [s for s in obj.stages if s.type == "max_min_share"]
    n_t = len(mm_stages)
    x0, u0, y0, z0, t0 = 0, n_x, n_x + n_u, n_x + n_u + n_y, n_x + n_u + n_y + n_z
    n_vars = t0 + n_t
    cost = np.zeros(n_vars)
    cost[:n_x] = instance.site_cost[open_site, open_cat]
    cost[u0:y0] = instance.site_open_cost[u_sites]

    rows: list[sp.csr_array] = []
    lo: list[_F] = []
    hi: list[_F] = []
    row_blocks: dict[str, slice] = {}

    def add(name: str, a: sp.csr_array, lower: _F | float, upper: _F | float) -> None:
        r = a.shape[0]
        if r == 0:
            return
        start = sum(x.shape[0] for x in rows)
        rows.append(sp.csr_array(a))
        lo.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (r,)).copy())
        hi.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (r,)).copy())
        row_blocks[name] = slice(start, start + r)

    def widen(a: sp.csr_array, first: int) -> sp.csr_array:
        """Place a block of columns at ``first`` within all variables."""
        a = sp.coo_array(a)
        return sp.csr_array((a.data, (a.row, a.col + first)), shape=(a.shape[0], n_vars))

    eye_y = sp.csr_array((np.ones(n_y), (np.arange(n_y), y0 + np.arange(n_y))),
                         shape=(n_y, n_vars))
    add("cover", eye_y - widen(cover, x0), -np.inf, 0.0)
    n_zr = len(zr_comm)
    z_part = sp.csr_array((np.ones(n_zr), (np.arange(n_zr), z0 + complete_of_row)),
                          shape=(n_zr, n_vars))
    add("cover_complete", z_part - widen(cover_complete, x0), -np.inf, 0.0)
    if obj.budget is not None:
        add("budget", sp.csr_array(cost[None, :]), -np.inf, obj.budget)
    if obj.max_new_total is not None:
        ones = np.zeros((1, n_vars))
        ones[0, :n_x] = 1.0
        add("max_new", sp.csr_array(ones), -np.inf, float(obj.max_new_total))
    if obj.max_new_per_category is not None:
        limit = obj.max_new_per_category
        cats = np.flatnonzero(limit >= 0)
        sel = np.flatnonzero(np.isin(open_cat, cats))
        add("max_new_per_category", sp.csr_array(
            (np.ones(len(sel)), (np.searchsorted(cats, open_cat[sel]), sel)),
            shape=(len(cats), n_vars)), -np.inf, limit[cats].astype(np.float64))
    cols_u = np.flatnonzero(with_open_cost)
    link = sp.csr_array((np.concatenate([np.ones(len(cols_u)), -np.ones(len(cols_u))]),
                         (np.tile(np.arange(len(cols_u)), 2),
                          np.concatenate([cols_u, u0 + u_of_col.ravel()]))),
                        shape=(len(cols_u), n_vars))
    add("link", link, -np.inf, 0.0)
    per_site = np.bincount(open_site, minlength=instance.n_sites)
    tight = np.flatnonzero(instance.site_max_categories < per_site)
    sel = np.flatnonzero(np.isin(open_site, tight))
    add("max_categories", sp.csr_array(
        (np.ones(len(sel)), (np.searchsorted(tight, open_site[sel]), sel)),
        shape=(len(tight), n_vars)), -np.inf,
        instance.site_max_categories[tight].astype(np.float64))

    def terms(measure: str) -> MeasureTerms:
        return _measure_terms(instance, measure, y_comm, y_cat, y0, z_comm, n_y, pre, done)

    for rule in obj.equity:
        a, lower = equity_block(group_rows(instance, rule.by, rule.measure,
                                           terms(rule.measure), n_vars), rule.min_share)
        add(f"equity:{rule.by}:{rule.measure}", a, lower, np.inf)
    mm_rows = []
    for s, stage in enumerate(mm_stages):
        groups = group_rows(instance, stage.by, stage.measure, terms(stage.measure), n_vars)
        a, lower = max_min_block(groups, t0 + s)
        add(f"max_min:{s}", a, lower, np.inf)
        mm_rows.append(groups)

    stages = []
    mm_seen = 0
    for stage in obj.stages:
        c = np.zeros(n_vars)
        offset = 0.0
        extra: tuple[sp.csr_array | None, _F | None] = (None, None)
        if stage.type == "max_coverage":
            c[y0:z0] = instance.weight[y_cat] * demand[y_comm, y_cat]
            offset = float((instance.weight[None, :] * demand * pre).sum())
        elif stage.type == "max_complete":
            c[z0:t0] = instance.population[z_comm]
            offset = float(instance.population[done].sum())
        elif stage.type == "max_min_share":
            c[t0 + mm_seen] = 1.0
            mm_seen += 1
        else:
            c[:] = cost
            extra = _target_rows(instance, stage, terms, y0, y_cat, demand, y_comm, pre, n_vars)
        stages.append(StageObjective(stage, "min" if stage.type == "min_cost" else "max", c,
                                     offset, *extra))

    first = stages[0]
    a_rows = [*rows]
    row_lo, row_hi = [*lo], [*hi]
    if first.rows is not None and first.lower is not None:
        row_blocks["target"] = slice(sum(r.shape[0] for r in rows),
                                     sum(r.shape[0] for r in rows) + first.rows.shape[0])
        a_rows.append(first.rows)
        row_lo.append(first.lower)
        row_hi.append(np.full(first.rows.shape[0], np.inf))
    a_all = (sp.csr_array(sp.vstack(a_rows, format="csr")) if a_rows
             else sp.csr_array((0, n_vars)))
    col_lower = np.zeros(n_vars)
    fixed = np.argwhere(instance.fixed)
    col_lower[np.searchsorted(col_keys, fixed[:, 0] * n_cat + fixed[:, 1])] = 1.0
    integrality = np.zeros(n_vars, dtype=bool)
    integrality[:y0] = True
    stats: dict[str, int | float] = {
        "communities": n, "sites": instance.n_sites, "categories": n_cat,
        "coverage_triples": len(coverage.site), "columns": n_x, "fixed": int(len(fixed)),
        "variables": n_vars, "constraints": int(a_all.shape[0]), "nonzeros": int(a_all.nnz),
        "stages": len(stages)}
    model = LinearModel(
        sense=first.sense, c=first.c, offset=first.offset, A=a_all,
        row_lower=np.concatenate(row_lo) if row_lo else np.zeros(0),
        row_upper=np.concatenate(row_hi) if row_hi else np.zeros(0),
        col_lower=col_lower, col_upper=np.ones(n_vars), integrality=integrality,
        blocks={"open": slice(x0, u0), "site_open": slice(u0, y0), "covered": slice(y0, z0),
                "complete": slice(z0, t0), "max_min": slice(t0, n_vars)},
        row_blocks=row_blocks, open_site=open_site.astype(np.int32),
        open_category=open_cat.astype(np.int32), site_open_site=u_sites.astype(np.int32),
        stats=stats)
    return PlanningModel(model, tuple(stages), cover, cover_complete, complete_of_row,
                         tuple(mm_rows))


def _target_rows(
    instance: Instance, stage: Stage, terms: Callable[[str], MeasureTerms], y0: int,
    y_cat: _I, demand: _F, y_comm: _I, pre: NDArray[np.bool_], n_vars: int,
) -> tuple[sp.csr_array | None, _F | None]:
    """Rows of a ``min_cost`` stage's target (``>= lower``), or none without a target."""
    target = stage.target_share
    if target is None:
        return None, None
    if stage.target_measure == COMPLETE:
        t = terms(COMPLETE)
        pop_total = float(instance.population.sum())
        a = sp.csr_array((t.weight, (np.zeros(len(t.column), np.int64), t.column)),
                         shape=(1, n_vars))
        rhs = target * pop_total - float(t.constant.sum()) - TARGET_TOLERANCE * max(pop_total, 1)
        return a, np.array([rhs])
    cats = np.flatnonzero(instance.required)
    total = demand.sum(axis=0)
    already = (demand * pre).sum(axis=0)
    rhs = target * total - already - TARGET_TOLERANCE * np.maximum(total, 1)
    sel = np.flatnonzero(np.isin(y_cat, cats))
    a = sp.csr_array((demand[y_comm[sel], y_cat[sel]],
                      (np.searchsorted(cats, y_cat[sel]), y0 + sel)), shape=(len(cats), n_vars))
    return a, rhs[cats]
