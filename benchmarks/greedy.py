"""Lazy greedy baseline: a row in every table, never a sitecircle feature.

At each step open the (site, category) column with the largest marginal value per unit of cost:
newly covered weighted demand (``max_coverage``) or newly covered required pairs (``min_cost``,
Chvátal's rule), within the budget, ``max_new`` and ``max_categories``. Gains only shrink as
coverage grows, so a stale heap key is an upper bound and is re-evaluated lazily; when a site's
fixed opening cost is paid, its other columns get cheaper and are pushed again with fresh keys.
The answer is checked by :func:`sitecircle.verify` like every backend's.
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle import Coverage, Instance

_INF_SCORE = 1e300


def greedy(instance: Instance, coverage: Coverage) -> NDArray[np.int64]:
    """Return the opened ``(site, category)`` pairs of the lazy greedy heuristic.

    Parameters
    ----------
    instance
        A validated instance (``max_coverage`` or ``min_cost``; ``max_complete`` is not handled).
    coverage
        Its coverage.

    Returns
    -------
    ndarray of int64, shape (n_open, 2)
        Opened pairs.
    """
    obj = instance.objective
    if obj.type == "max_complete":
        msg = "the greedy baseline handles max_coverage and min_cost only"
        raise NotImplementedError(msg)
    n, n_cat, n_sites = instance.n_communities, instance.n_categories, instance.n_sites
    pre = coverage.precovered
    if obj.type == "max_coverage":
        value = (instance.weight[None, :] * instance.demand) * ~pre
    else:
        value = ((instance.demand > 0) & instance.required[None, :] & ~pre).astype(np.float64)
    pair = coverage.community.astype(np.int64) * n_cat + coverage.category
    col = coverage.site.astype(np.int64) * n_cat + coverage.category
    n_cols = n_sites * n_cat
    by_col = sp.csr_array((np.ones(len(pair)), (col, pair)), shape=(n_cols, n * n_cat))
    by_col.sum_duplicates()
    indptr, members = by_col.indptr, by_col.indices
    val = value.ravel().astype(np.float64)
    remaining = val.copy()  # value still to gain per pair (0 once covered)
    need = float((remaining > 0).sum()) if obj.type == "min_cost" else None

    site_cost = instance.site_cost
    open_cost = instance.site_open_cost
    cap = instance.site_max_categories
    budget = np.inf if obj.budget is None else float(obj.budget)
    max_total = np.inf if obj.max_new_total is None else float(obj.max_new_total)
    per_cat_limit = (np.full(n_cat, np.inf) if obj.max_new_per_category is None else
                     np.where(obj.max_new_per_category >= 0, obj.max_new_per_category, np.inf))
    hosts = instance.site_hosts

    n_open_site = np.zeros(n_sites, dtype=np.int64)
    n_open_cat = np.zeros(n_cat, dtype=np.int64)
    taken = np.zeros(n_cols, dtype=bool)
    spent = 0.0
    chosen: list[tuple[int, int]] = []

    def cost_of(c: int) -> float:
        j, k = divmod(c, n_cat)
        return float(site_cost[j, k]) + (float(open_cost[j]) if n_open_site[j] == 0 else 0.0)

    def gain_of(c: int) -> float:
        return float(remaining[members[indptr[c]:indptr[c + 1]]].sum())

    def score(gain: float, cost: float) -> float:
        return gain / cost if cost > 0 else (_INF_SCORE if gain > 0 else 0.0)

    def allowed(c: int, cost: float) -> bool:
        j, k = divmod(c, n_cat)
        return (not taken[c] and hosts[j, k] and spent + cost <= budget * (1 + 1e-12)
                and len(chosen) < max_total and n_open_cat[k] < per_cat_limit[k]
                and n_open_site[j] < cap[j])

    heap: list[tuple[float, int]] = []
    for c in np.flatnonzero(np.diff(indptr) > 0).tolist():
        g = gain_of(c)
        if g > 0:
            heap.append((-score(g, cost_of(c)), c))
    heapq.heapify(heap)
    while heap and len(chosen) < max_total and (need is None or need > 0):
        _, c = heapq.heappop(heap)
        cost = cost_of(c)
        if not allowed(c, cost):
            continue
        g = gain_of(c)
        if g <= 0:
            continue
        s = score(g, cost)
        if heap and s < -heap[0][0] * (1 - 1e-12):
            heapq.heappush(heap, (-s, c))  # stale key: re-insert with the fresh one
            continue
        j, k = divmod(c, n_cat)
        rows = members[indptr[c]:indptr[c + 1]]
        if need is not None:
            need -= float((remaining[rows] > 0).sum())
        remaining[rows] = 0.0
        taken[c] = True
        spent += cost
        chosen.append((j, k))
        if n_open_site[j] == 0 and open_cost[j] > 0:  # the site's other columns got cheaper
            for other in range(j * n_cat, (j + 1) * n_cat):
                if not taken[other]:
                    g2 = gain_of(other)
                    if g2 > 0:
                        heapq.heappush(heap, (-score(g2, float(site_cost[j, other - j * n_cat])),
                                              other))
        n_open_site[j] += 1
        n_open_cat[k] += 1
    return np.array(chosen, dtype=np.int64).reshape(-1, 2)
