r"""The capacitated model: who is served where (FORMAT.md, "Planning extensions → Capacities").

:func:`assemble_capacitated` replaces :func:`~sitecircle.model.assemble.assemble` when some
category is capacitated; categories without capacities keep the formulation of
:mod:`sitecircle.model.linear`. Everything is built from the coverage triples with array
operations: there is no Python loop over communities, facilities or triples.

Formulation
-----------
Sets: communities :math:`i`, categories :math:`k` (capacitated :math:`k \in C`), candidate
sites :math:`j`, existing facilities :math:`e`. A facility :math:`f` is a site or an existing
facility; :math:`R_{ik}` is the set of facilities of :math:`k` that reach :math:`i` within
:math:`k`'s threshold. Data: demand :math:`d_{ik}`, capacity :math:`q_{jk}` of a new facility
(``inf`` when unlimited), :math:`q_{ek}` of an existing one, minimum load :math:`\ell_k`.

A pair :math:`(i,k)`, :math:`k\in C`, reached by an existing facility of unlimited capacity is
served in full for nothing (a constant). Every other pair with :math:`d_{ik}>0` and
:math:`R_{ik}\neq\emptyset` gets continuous assignment variables on its in-reach triples only:

.. math::

    s_{ifk} \ge 0 \quad (f \in R_{ik}), \qquad
    \sum_{f} s_{ifk} \le d_{ik} \ \text{(rows ``serve``)},

    \sum_i s_{ijk} - \bar q_{jk}\, x_{jk} \le 0 \ \text{(rows ``capacity``)}, \qquad
    \sum_i s_{iek} \le q_{ek} \ \text{(rows ``existing_capacity``)},

    \sum_i s_{ijk} - \ell_k\, x_{jk} \ge 0 \ \text{(rows ``min_load``, where } \ell_k>0),

with :math:`\bar q_{jk} = \min(q_{jk}, \sum_{i: j\in R_{ik}} d_{ik})` (a facility never serves
more than the demand in its reach, so an unlimited facility needs no big number); rows whose
right-hand side cannot bind are left out. There is no aggregated "demand in reach ≤ capacity"
row: with overlapping catchments it would count shared demand twice.

Objectives:

* ``max_coverage``: :math:`\max \sum_{k\in C} w_k \sum_{if} s_{ifk}
  + \sum_{k\notin C} w_k\sum_i d_{ik} y_{ik} + \text{offset}`, uncapacitated rows as before.
* ``max_complete``: binary :math:`z_i` ("fully served for every required category"):
  :math:`d_{ik} z_i - \sum_f s_{ifk} \le 0` for required capacitated pairs (rows
  ``complete``), :math:`z_i - \sum_j a_{ijk}x_{jk} \le 0` for required uncapacitated pairs and
  capacitated pairs of zero demand (rows ``cover``); :math:`\max\sum_i \text{pop}_i z_i`.
* ``min_cost``: target 1: ``serve`` rows become :math:`\sum_f s_{ifk} = d_{ik}` for required
  capacitated pairs; target :math:`T<1`: :math:`\sum_{if} s_{ifk} \ge T\sum_i d_{ik} -
  \text{free}_k` (rows ``target``).

Budget, ``max_new``, ``link`` and ``max_categories`` rows are those of the uncapacitated model.

Exact reductions (recorded in :attr:`~sitecircle.model.linear.LinearModel.stats`):

* pairs of one capacitated category with the same facilities in reach are merged into one
  demand group with the demands summed (``max_coverage`` and ``min_cost``; a group's service is
  split back in proportion to demand, so every pair keeps served ≤ demand and is fully served
  when its group is). ``max_complete`` keeps every pair apart: its binary needs each one.
* capacitated columns are left out of the dominance reduction of
  :mod:`sitecircle.model.reduce`: with capacities a "dominated" site may still be needed beside
  the one that dominates it (both open, each full), so dropping it would not be exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.model.linear import (
    TARGET_TOLERANCE,
    AssignmentColumns,
    LinearModel,
    solve_lp,
    unique_rows,
)
from sitecircle.travel.coverage import Coverage

__all__ = ["assemble_capacitated", "assignment_from_values", "assignment_records"]

_F = NDArray[np.float64]
_I = NDArray[np.int64]
_B = NDArray[np.bool_]


class _Rows:
    """Row blocks gathered as COO triplets, numbered in the order they are added."""

    def __init__(self) -> None:
        self.rows: list[_I] = []
        self.cols: list[_I] = []
        self.vals: list[_F] = []
        self.lower: list[_F] = []
        self.upper: list[_F] = []
        self.blocks: dict[str, slice] = {}
        self.n = 0

    def add(self, name: str, n_rows: int, rows: _I, cols: _I, vals: _F,
            lower: _F | float, upper: _F | float) -> None:
        if n_rows == 0:
            return
        self.rows.append(rows.astype(np.int64) + self.n)
        self.cols.append(cols.astype(np.int64))
        self.vals.append(np.asarray(vals, dtype=np.float64))
        self.lower.append(np.broadcast_to(np.asarray(lower, np.float64), (n_rows,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, np.float64), (n_rows,)).copy())
        self.blocks[name] = slice(self.n, self.n + n_rows)
        self.n += n_rows

    def matrix(self, n_vars: int) -> sp.csr_array:
        def joined(parts: list[NDArray[Any]], dtype: type) -> NDArray[Any]:
            return np.concatenate(parts) if parts else np.zeros(0, dtype)

        a = sp.csr_array((joined(self.vals, np.float64), (joined(self.rows, np.int64),
                                                          joined(self.cols, np.int64))),
                         shape=(self.n, n_vars))
        a.sum_duplicates()
        a.sort_indices()
        a.eliminate_zeros()
        return a


def _cap_triples(instance: Instance, coverage: Coverage, active: _B
                 ) -> tuple[_I, _I, _I]:
    """(community, facility, category) of every in-reach triple of an active capacitated pair."""
    m = instance.n_sites
    ti = coverage.community.astype(np.int64)
    tk = coverage.category.astype(np.int64)
    keep = active[ti, tk]
    li = coverage.limited_community.astype(np.int64)
    lk = coverage.limited_category.astype(np.int64)
    lkeep = active[li, lk]
    return (np.concatenate([ti[keep], li[lkeep]]),
            np.concatenate([coverage.site[keep].astype(np.int64),
                            m + coverage.limited_existing[lkeep].astype(np.int64)]),
            np.concatenate([tk[keep], lk[lkeep]]))


def _site_triples(coverage: Coverage, pairs: _B) -> tuple[_I, _I, _I]:
    """(community, site, category) of every site triple of the given pairs."""
    ti = coverage.community.astype(np.int64)
    tk = coverage.category.astype(np.int64)
    keep = pairs[ti, tk]
    return ti[keep], coverage.site[keep].astype(np.int64), tk[keep]


def _groups(n_pairs: int, pair: _I, fac: _I, cat: _I, n_fac: int, n_cat: int, merge: bool
            ) -> tuple[_I, _I]:
    """Representative pair and group of every pair (identical reach sets share a group)."""
    if not merge or n_pairs == 0:
        return np.arange(n_pairs, dtype=np.int64), np.arange(n_pairs, dtype=np.int64)
    pattern = sp.csr_array((np.ones(len(pair), np.int8), (pair, fac * n_cat + cat)),
                           shape=(n_pairs, n_fac * n_cat))
    return unique_rows(pattern)


def assemble_capacitated(instance: Instance, coverage: Coverage) -> LinearModel:
    """Assemble the model of an instance with capacitated categories (module docstring).

    Parameters
    ----------
    instance
        A validated instance with at least one capacitated category.
    coverage
        Its coverage (with the reach of existing facilities of limited capacity).

    Returns
    -------
    LinearModel
        The model, with :attr:`~sitecircle.model.linear.LinearModel.assignment` set.
    """
    obj = instance.objective
    n, n_cat, m = instance.n_communities, instance.n_categories, instance.n_sites
    n_fac = m + instance.n_existing
    cap_cat = instance.capacitated
    demand, weight, required = instance.demand, instance.weight, instance.required
    pre = coverage.precovered
    free = coverage.free if coverage.free is not None else pre
    coverable = coverage.coverable
    reach = pre | coverable
    stats: dict[str, int | float] = {
        "communities": n, "sites": m, "categories": n_cat, "coverage_triples": len(coverage.site),
        "capacitated_categories": int(cap_cat.sum()), "pairs": int(pre.size),
        "pairs_free": int((free & cap_cat[None, :]).sum()),
        "pairs_precovered": int((pre & ~cap_cat[None, :]).sum()),
        "pairs_uncoverable": int((~reach).sum()),
    }
    is_cap = np.broadcast_to(cap_cat[None, :], pre.shape)
    # Capacitated pairs that get assignment variables.
    served = is_cap & ~free & (demand > 0) & reach
    offset = 0.0
    cover_pairs = np.zeros_like(pre)
    alive = np.zeros(n, dtype=bool)
    if obj.type == "max_coverage":
        value = weight[None, :] * demand
        cover_pairs = ~is_cap & ~pre & coverable & (value > 0)
        offset = float((value * np.where(is_cap, free, pre)).sum())
    elif obj.type == "max_complete":
        done_pair = np.where(is_cap, free | ((demand == 0) & pre), pre)
        done = np.all(done_pair[:, required], axis=1)
        alive = (instance.population > 0) & np.all(reach[:, required], axis=1) & ~done
        offset = float(instance.population[done].sum())
        stats["communities_complete_already"] = int((done & (instance.population > 0)).sum())
        need = alive[:, None] & required[None, :] & ~done_pair
        cover_pairs = need & ~(is_cap & (demand > 0))
    else:
        need = required[None, :] & ~pre & (demand > 0)
        cover_pairs = ~is_cap & need  # the target counts served demand: zero demand needs nothing
    merge = obj.type != "max_complete"

    # Demand groups and assignment columns.
    pair_i, pair_k = np.nonzero(served)
    pair_of = np.full((n, n_cat), -1, dtype=np.int64)
    pair_of[pair_i, pair_k] = np.arange(len(pair_i))
    ci, cf, ck = _cap_triples(instance, coverage, served)
    cp = pair_of[ci, ck]
    first, group = _groups(len(pair_i), cp, cf, ck, n_fac, n_cat, merge)
    pair_d = demand[pair_i, pair_k]
    group_d = np.bincount(group, weights=pair_d, minlength=len(first)).astype(np.float64)
    rep = np.zeros(len(pair_i), dtype=bool)
    rep[first] = True
    on_rep = rep[cp]
    s_group, s_fac, s_cat = group[cp[on_rep]], cf[on_rep], ck[on_rep]
    order = np.lexsort((s_fac, s_group))
    s_group, s_fac, s_cat = s_group[order], s_fac[order], s_cat[order]
    n_s = len(s_group)
    stats.update(pairs_capacitated=len(pair_i), demand_groups=len(first), assignments=n_s)

    # Uncapacitated-style cover rows (one per pair, as y or z links or >= 1 rows).
    cov_i, cov_k = np.nonzero(cover_pairs)
    cov_row = np.full((n, n_cat), -1, dtype=np.int64)
    cov_row[cov_i, cov_k] = np.arange(len(cov_i))
    ui, uj, uk = _site_triples(coverage, cover_pairs)

    # Columns: (site, category) pairs used by a cover row or an assignment.
    on_site = s_fac < m
    keys = np.unique(np.concatenate([uj * n_cat + uk, s_fac[on_site] * n_cat + s_cat[on_site]]))
    open_site, open_cat = keys // n_cat, keys % n_cat
    n_x = len(keys)
    site_fixed = instance.site_open_cost[open_site] > 0
    u_sites, u_of_col = np.unique(open_site[site_fixed], return_inverse=True)
    n_u = len(u_sites)
    complete = obj.type == "max_complete"
    if complete:
        z_comm = np.flatnonzero(alive)
        n_y = len(z_comm)
    elif obj.type == "max_coverage" or obj.target_share < 1:
        n_y = len(cov_i)
    else:
        n_y = 0
    y0, s0 = n_x + n_u, n_x + n_u + n_y
    n_vars = s0 + n_s
    rows = _Rows()

    # cover rows
    x_of_u = np.searchsorted(keys, uj * n_cat + uk)
    r_u = cov_row[ui, uk]
    if complete:
        z_of = np.full(n, -1, dtype=np.int64)
        z_of[z_comm] = np.arange(n_y)
        n_cov = len(cov_i)
        rows.add("cover", n_cov, np.concatenate([np.arange(n_cov), r_u]),
                 np.concatenate([y0 + z_of[cov_i], x_of_u]),
                 np.concatenate([np.ones(n_cov), -np.ones(len(r_u))]), -np.inf, 0.0)
    elif n_y:
        rows.add("cover", n_y, np.concatenate([np.arange(n_y), r_u]),
                 np.concatenate([y0 + np.arange(n_y), x_of_u]),
                 np.concatenate([np.ones(n_y), -np.ones(len(r_u))]), -np.inf, 0.0)
    else:
        rows.add("cover", len(cov_i), r_u, x_of_u, np.ones(len(r_u)), 1.0, np.inf)

    # serve rows: one per demand group
    s_cols = s0 + np.arange(n_s)
    group_cat = pair_k[first]
    full = np.zeros(len(first), dtype=bool)
    if obj.type == "min_cost" and obj.target_share >= 1:
        full = required[group_cat]
    rows.add("serve", len(first), s_group, s_cols, np.ones(n_s),
             np.where(full, group_d, -np.inf), group_d)

    # capacity rows of new facilities, min_load rows
    x_of_s = np.full(n_s, -1, dtype=np.int64)
    x_of_s[on_site] = np.searchsorted(keys, s_fac[on_site] * n_cat + s_cat[on_site])
    reach_d = np.bincount(x_of_s[on_site], weights=group_d[s_group[on_site]], minlength=n_x)
    cap_x = np.where(cap_cat[open_cat], instance.site_capacities[open_site, open_cat], np.inf)
    q = np.minimum(cap_x, reach_d)
    is_cap_col = cap_cat[open_cat]
    cap_cols = np.flatnonzero(is_cap_col)
    crow = np.full(n_x, -1, dtype=np.int64)
    crow[cap_cols] = np.arange(len(cap_cols))
    rows.add("capacity", len(cap_cols), np.concatenate([crow[x_of_s[on_site]], crow[cap_cols]]),
             np.concatenate([s_cols[on_site], cap_cols]),
             np.concatenate([np.ones(int(on_site.sum())), -q[cap_cols]]), -np.inf, 0.0)
    ml = instance.min_load[open_cat]
    ml_cols = np.flatnonzero(is_cap_col & (ml > 0))
    stats["columns_below_min_load"] = int((ml[ml_cols] > reach_d[ml_cols]).sum())
    mrow = np.full(n_x, -1, dtype=np.int64)
    mrow[ml_cols] = np.arange(len(ml_cols))
    ml_sel = on_site.copy()
    ml_sel[on_site] = mrow[x_of_s[on_site]] >= 0
    rows.add("min_load", len(ml_cols), np.concatenate([mrow[x_of_s[ml_sel]], mrow[ml_cols]]),
             np.concatenate([s_cols[ml_sel], ml_cols]),
             np.concatenate([np.ones(int(ml_sel.sum())), -ml[ml_cols]]), 0.0, np.inf)

    # existing facilities of limited capacity
    ex = ~on_site
    ekey = (s_fac[ex] - m) * n_cat + s_cat[ex]
    ukeys, e_of = np.unique(ekey, return_inverse=True)
    e_cap = instance.existing_capacities[ukeys // n_cat, ukeys % n_cat]
    e_reach = np.bincount(e_of, weights=group_d[s_group[ex]], minlength=len(ukeys))
    binding = e_cap < e_reach
    erow = np.cumsum(binding) - 1
    sel_e = binding[e_of]
    rows.add("existing_capacity", int(binding.sum()), erow[e_of[sel_e]],
             s_cols[ex][sel_e], np.ones(int(sel_e.sum())), -np.inf, e_cap[binding])

    # max_complete: a capacitated required pair of positive demand must be served in full
    if complete:
        need_s = required[group_cat] & alive[pair_i[first]]
        g_row = np.full(len(first), -1, dtype=np.int64)
        g_row[need_s] = np.arange(int(need_s.sum()))
        sel_c = g_row[s_group] >= 0
        gi = np.flatnonzero(need_s)
        rows.add("complete", len(gi), np.concatenate([g_row[gi], g_row[s_group[sel_c]]]),
                 np.concatenate([y0 + z_of[pair_i[first][gi]], s_cols[sel_c]]),
                 np.concatenate([group_d[gi], -np.ones(int(sel_c.sum()))]), -np.inf, 0.0)

    # min_cost with a target share below 1: one row per required category
    y_value = np.zeros(n_y)
    if obj.type == "max_coverage":
        y_value = weight[cov_k] * demand[cov_i, cov_k]
    elif complete:
        y_value = instance.population[z_comm].astype(np.float64)
    if obj.type == "min_cost" and obj.target_share < 1:
        total = demand.sum(axis=0)
        already = (demand * np.where(is_cap, free, pre)).sum(axis=0)
        rhs = obj.target_share * total - already - TARGET_TOLERANCE * np.maximum(total, 1)
        t_cats = np.flatnonzero(required & (rhs > 0))
        t_of = np.full(n_cat, -1, dtype=np.int64)
        t_of[t_cats] = np.arange(len(t_cats))
        y_sel = t_of[cov_k] >= 0
        s_sel = t_of[s_cat] >= 0
        rows.add("target", len(t_cats),
                 np.concatenate([t_of[cov_k[y_sel]], t_of[s_cat[s_sel]]]),
                 np.concatenate([y0 + np.flatnonzero(y_sel), s_cols[s_sel]]),
                 np.concatenate([demand[cov_i, cov_k][y_sel], np.ones(int(s_sel.sum()))]),
                 rhs[t_cats], np.inf)

    # limits, as in the uncapacitated model
    cost_x = instance.site_cost[open_site, open_cat]
    cost_u = instance.site_open_cost[u_sites]
    xs, us = np.arange(n_x), n_x + np.arange(n_u)
    if obj.budget is not None:
        rows.add("budget", 1, np.zeros(n_x + n_u, np.int64), np.concatenate([xs, us]),
                 np.concatenate([cost_x, cost_u]), -np.inf, obj.budget)
    if obj.max_new_total is not None:
        rows.add("max_new", 1, np.zeros(n_x, np.int64), xs, np.ones(n_x), -np.inf,
                 float(obj.max_new_total))
    if obj.max_new_per_category is not None:
        limit = obj.max_new_per_category
        lim_cats = np.flatnonzero((limit >= 0) & (np.bincount(open_cat, minlength=n_cat) > limit))
        lim_sel = np.flatnonzero(np.isin(open_cat, lim_cats))
        rows.add("max_new", len(lim_cats), np.searchsorted(lim_cats, open_cat[lim_sel]), lim_sel,
                 np.ones(len(lim_sel)), -np.inf, limit[lim_cats].astype(np.float64))
    cols_u = np.flatnonzero(site_fixed)
    rows.add("link", len(cols_u), np.concatenate([np.arange(len(cols_u))] * 2),
             np.concatenate([cols_u, n_x + u_of_col.ravel()]),
             np.concatenate([np.ones(len(cols_u)), -np.ones(len(cols_u))]), -np.inf, 0.0)
    per_site = np.bincount(open_site, minlength=m)
    tight = np.flatnonzero(instance.site_max_categories < per_site)
    tight_sel = np.flatnonzero(np.isin(open_site, tight))
    rows.add("max_categories", len(tight), np.searchsorted(tight, open_site[tight_sel]),
             tight_sel, np.ones(len(tight_sel)), -np.inf,
             instance.site_max_categories[tight].astype(np.float64))

    a = rows.matrix(n_vars)
    c = np.zeros(n_vars)
    if obj.type == "min_cost":
        c[:n_x], c[n_x:y0] = cost_x, cost_u
    else:
        c[y0:s0] = y_value
        if obj.type == "max_coverage":
            c[s0:] = weight[s_cat]
    integrality = np.zeros(n_vars, dtype=bool)
    integrality[:y0] = True
    if complete:
        integrality[y0:s0] = True  # "fully served" must not be fractional
    col_upper = np.ones(n_vars)
    col_upper[s0:] = group_d[s_group]
    stats.update(columns=n_x, rows_merged_to=int(rows.blocks.get("cover", slice(0, 0)).stop),
                 variables=n_vars, constraints=int(a.shape[0]), nonzeros=int(a.nnz))
    y_name = "complete" if complete else "covered"
    members = pair_d > 0
    share = np.divide(pair_d, group_d[group], out=np.zeros(len(pair_d)),
                      where=group_d[group] > 0)
    return LinearModel(
        sense=obj.sense, c=c, offset=offset, A=a,
        row_lower=np.concatenate(rows.lower) if rows.lower else np.zeros(0),
        row_upper=np.concatenate(rows.upper) if rows.upper else np.zeros(0),
        col_lower=np.zeros(n_vars), col_upper=col_upper, integrality=integrality,
        blocks={"open": slice(0, n_x), "site_open": slice(n_x, y0), y_name: slice(y0, s0),
                "assign": slice(s0, n_vars)},
        row_blocks=rows.blocks, open_site=open_site.astype(np.int32),
        open_category=open_cat.astype(np.int32), site_open_site=u_sites.astype(np.int32),
        stats=stats,
        assignment=AssignmentColumns(
            group=s_group, facility=s_fac, category=s_cat,
            member_community=pair_i[members], member_category=pair_k[members],
            member_group=group[members], member_share=share[members]),
    )


def assignment_from_values(model: LinearModel, values: _F, tolerance: float = 1e-9
                           ) -> tuple[_I, _I, _I, _F]:
    """Who is served where, per community, from a solution vector of a capacitated model.

    A demand group's service at each facility is split among its pairs in proportion to their
    demand (see :class:`~sitecircle.model.linear.AssignmentColumns`).

    Parameters
    ----------
    model
        A model built by :func:`assemble_capacitated`.
    values
        Variable values.
    tolerance
        Amounts at or below this are dropped.

    Returns
    -------
    tuple of ndarray
        ``community``, ``facility`` (site index, or ``n_sites + e``), ``category`` and
        ``served`` of every positive assignment, ordered by category, community, facility.
    """
    meta = model.assignment
    if meta is None:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, np.zeros(0)
    s = np.clip(values[model.blocks["assign"]], 0.0, None)
    pos = np.flatnonzero(s > tolerance)
    # Entries: (member, column) for every column of the member's group.
    order = np.argsort(meta.member_group, kind="stable")
    starts = np.searchsorted(meta.member_group[order], meta.group[pos], side="left")
    ends = np.searchsorted(meta.member_group[order], meta.group[pos], side="right")
    counts = ends - starts
    col = np.repeat(pos, counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    member = order[np.repeat(starts, counts) + within]
    amount = s[col] * meta.member_share[member]
    keep = amount > tolerance
    comm, fac = meta.member_community[member][keep], meta.facility[col][keep]
    cat, amount = meta.category[col][keep], amount[keep]
    out = np.lexsort((fac, comm, cat))
    return comm[out], fac[out], cat[out], amount[out]


def assignment_records(instance: Instance, model: LinearModel, values: _F | None, *,
                       polish: bool = False) -> list[dict[str, Any]] | None:
    """The assignments of a solution vector as ``sitecircle.solution/1`` records.

    ``min_cost`` and ``max_complete``: the assignment is first filled
    (:func:`fill_assignment`); ``max_coverage`` with ``polish``: re-solved for the best service
    of the chosen sites (a solver stopped by its time limit may return a poorer one).

    Parameters
    ----------
    instance
        The instance the model was built from.
    model
        The model.
    values
        Variable values, or None.
    polish
        ``max_coverage``: re-solve the assignment for the chosen sites.

    Returns
    -------
    list of dict or None
        ``{"community", "facility", "category", "served"}`` records; None when the model has
        no assignment variables (the verifier then needs none).
    """
    if model.assignment is None or values is None:
        return None
    if model.sense == "min" or "complete" in model.blocks:
        values = fill_assignment(model, values)
    elif polish:
        values = fill_assignment(model, values, weighted=True)
    comm, fac, cat, amount = assignment_from_values(model, values)
    cids, fids, kids = instance.community_ids, instance.facility_ids, instance.category_ids
    return [{"community": cids[i], "facility": fids[f], "category": kids[k], "served": s}
            for i, f, k, s in zip(comm.tolist(), fac.tolist(), cat.tolist(), amount.tolist(),
                                  strict=True)]


def fill_assignment(model: LinearModel, values: _F, *, weighted: bool = False) -> _F:
    """Serve as much as the chosen facilities can, keeping the decisions and the objective.

    ``min_cost`` and ``max_complete`` do not value service beyond their targets, so a solver may
    return any assignment that meets them. With every integer variable fixed at its value, this
    LP maximises the total served subject to every row of the model: the objective (a function
    of the integer variables only) is unchanged and no limit is broken.

    Parameters
    ----------
    model
        A capacitated model.
    values
        A solution vector.
    weighted
        Maximise the model's own objective (``max_coverage``: weighted service) instead of the
        total served.

    Returns
    -------
    ndarray
        The vector with the assignment block (and the continuous coverage links) re-solved;
        ``values`` unchanged when the LP fails.
    """
    if model.assignment is None or model.n_vars == 0:
        return values
    ints = model.integrality
    lower, upper = model.col_lower.copy(), model.col_upper.copy()
    lower[ints] = upper[ints] = np.round(values[ints])
    c = np.zeros(model.n_vars)
    c[model.blocks["assign"]] = -1.0
    if weighted:
        c = -model.c.copy()
    out, optimal = solve_lp(model, c=c, lower=lower, upper=upper)
    if out is None or not optimal:
        return values
    out[ints] = lower[ints]
    return out
