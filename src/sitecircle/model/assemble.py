"""Assembly of :class:`~sitecircle.model.linear.LinearModel` blocks with sparse algebra.

The formulation is documented in :mod:`sitecircle.model.linear`; this module implements it.

Memory: the coverage triples are read in chunks of :data:`~sitecircle.model.linear.CHUNK_ENTRIES`;
the
cover block is first built as a pattern (int32 indices, int8 ones) and merged, and the final
``A`` is written once, block by block, into preallocated arrays (no ``hstack``/``vstack``
copies). The peak above the coverage and the finished model is about 14 bytes per triple.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.model.linear import (
    CHUNK_ENTRIES,
    TARGET_TOLERANCE,
    LinearModel,
    row_chunks,
    unique_rows,
)
from sitecircle.travel.coverage import Coverage

_F = NDArray[np.float64]
_I = NDArray[np.int64]


def _csr(data: _F, rows: _I, cols: _I, shape: tuple[int, int]) -> sp.csr_array:
    return sp.csr_array((data, (rows, cols)), shape=shape)


def _relevant_pairs(
    instance: Instance, coverage: Coverage, stats: dict[str, int | float]
) -> tuple[NDArray[np.bool_], _F, float]:
    """Which (community, category) pairs become rows, their value, and the constant offset."""
    obj = instance.objective
    pre, coverable = coverage.precovered, coverage.coverable
    demand = instance.demand
    required = instance.required
    stats["pairs"] = int(pre.size)
    stats["pairs_precovered"] = int(pre.sum())
    stats["pairs_uncoverable"] = int((~pre & ~coverable).sum())
    if obj.type == "max_coverage":
        value = instance.weight[None, :] * demand
        return ~pre & coverable & (value > 0), value, float((value * pre).sum())
    if obj.type == "min_cost":
        relevant = ~pre & coverable & (demand > 0) & required[None, :]
        if obj.target_share < 1:
            relevant[:, _target_rhs(instance, coverage) <= 0] = False
        return relevant, demand, 0.0
    population = instance.population
    need = required
    reachable = np.all((pre | coverable)[:, need], axis=1)
    done = np.all(pre[:, need], axis=1)
    alive = (population > 0) & reachable & ~done
    stats["communities_complete_already"] = int((done & (population > 0)).sum())
    stats["communities_never_complete"] = int((~reachable & (population > 0)).sum())
    relevant = alive[:, None] & ~pre & need[None, :]
    return relevant, np.broadcast_to(population[:, None], pre.shape), float(population[done].sum())


def _target_rhs(instance: Instance, coverage: Coverage) -> _F:
    """Demand each category must still cover by new sites for ``min_cost`` with a target share."""
    demand = instance.demand
    total = demand.sum(axis=0)
    already = (demand * coverage.precovered).sum(axis=0)
    slack = TARGET_TOLERANCE * np.maximum(total, 1)
    rhs = instance.objective.target_share * total - already - slack
    return np.where(instance.required, rhs, -np.inf)


#: A block of rows: its parts ``(matrix, first column, scale)``, side by side in column order.
_Part = tuple[sp.csr_array, int, float]


def _cover_pattern(
    coverage: Coverage, row_of_pair: NDArray[np.int32], n_cat: int, n_sites: int
) -> tuple[sp.csr_array, NDArray[np.int64]]:
    """Cover pattern (relevant pairs × used columns, int8 ones) and the key of every column.

    A column is a ``(site, category)`` pair with key ``site * n_cat + category``; only the keys
    of triples touching a relevant pair become columns, in increasing key order. The triples are
    read in chunks, so no temporary grows with their number beyond the int32 row and column of
    every kept triple.
    """
    n_trip = len(coverage.site)
    flat_rows = row_of_pair.ravel()
    n_rows = int(flat_rows.max(initial=-1)) + 1
    key_dtype = np.int32 if n_sites * n_cat < 2**31 else np.int64
    rows32 = np.empty(n_trip, dtype=np.int32)
    cols = np.empty(n_trip, dtype=key_dtype)  # column keys first, then column numbers
    used = np.zeros(n_sites * n_cat, dtype=bool)
    n_kept = 0
    for a in range(0, n_trip, CHUNK_ENTRIES):
        b = min(a + CHUNK_ENTRIES, n_trip)
        cat = coverage.category[a:b]
        rows = flat_rows[coverage.community[a:b].astype(np.int64) * n_cat + cat]
        keys = coverage.site[a:b].astype(np.int64) * n_cat + cat
        keep = rows >= 0
        if not keep.all():
            rows, keys = rows[keep], keys[keep]
        used[keys] = True
        rows32[n_kept:n_kept + len(keys)] = rows
        cols[n_kept:n_kept + len(keys)] = keys
        n_kept += len(keys)
    col_keys = np.flatnonzero(used)
    col_of_key = (np.cumsum(used, dtype=np.int64) - 1).astype(key_dtype)
    del used
    for a in range(0, n_kept, CHUNK_ENTRIES):
        b = min(a + CHUNK_ENTRIES, n_kept)
        cols[a:b] = col_of_key[cols[a:b]]
    del col_of_key
    # Each triple is a distinct (row, column): no duplicates to sum, only columns to sort.
    by_row = sp.coo_array((np.ones(n_kept, dtype=np.int8), (rows32[:n_kept], cols[:n_kept])),
                          shape=(n_rows, len(col_keys)))
    by_row.has_canonical_format = True
    pattern = sp.csr_array(by_row.tocsr())
    del by_row, rows32, cols
    pattern.sort_indices()
    return pattern, col_keys.astype(np.int64)


def _stack(blocks: list[tuple[int, list[_Part]]], n_cols: int) -> sp.csr_array:
    """Write row blocks of side-by-side parts into one CSR array (float64 data).

    Each block is ``(rows, parts)``; every part is a CSR matrix with that many rows, placed at
    its first column and multiplied by its scale. Parts must come in increasing column order, so
    the output rows keep sorted indices. Entries are copied in chunks of rows.
    """
    counts = [sum((np.diff(p[0].indptr) for p in parts), np.zeros(r, np.int64))
              for r, parts in blocks]
    indptr = np.zeros(sum(r for r, _ in blocks) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(counts) if counts else np.zeros(0, np.int64), out=indptr[1:])
    nnz = int(indptr[-1])
    index_dtype = np.int32 if max(nnz, n_cols) < 2**31 else np.int64
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz, dtype=np.float64)
    row0 = 0
    for r, parts in blocks:
        cursor = indptr[row0:row0 + r].copy()
        for matrix, col0, scale in parts:
            ptr = matrix.indptr
            for a, b in row_chunks(ptr):
                lens = np.diff(ptr[a:b + 1]).astype(np.int64)
                e0, e1 = int(ptr[a]), int(ptr[b])
                dest = (np.repeat(cursor[a:b] - ptr[a:b], lens)
                        + np.arange(e0, e1, dtype=np.int64))
                indices[dest] = matrix.indices[e0:e1] + col0
                data[dest] = matrix.data[e0:e1] * scale
            cursor += np.diff(ptr).astype(np.int64)
        row0 += r
    out = sp.csr_array((data, indices, indptr.astype(index_dtype)), shape=(len(indptr) - 1,
                                                                         n_cols))
    out.eliminate_zeros()
    return out


def assemble(instance: Instance, coverage: Coverage) -> LinearModel:
    """Assemble the reduced model; see :mod:`sitecircle.model.linear` for the formulation.

    Parameters
    ----------
    instance
        A validated instance.
    coverage
        Its coverage.

    Returns
    -------
    LinearModel
        The model.
    """
    obj = instance.objective
    n, n_cat = instance.n_communities, instance.n_categories
    stats: dict[str, int | float] = {"communities": n, "sites": instance.n_sites,
                                     "categories": n_cat, "coverage_triples": len(coverage.site)}
    relevant, value, offset = _relevant_pairs(instance, coverage, stats)
    row_of_pair = np.full((n, n_cat), -1, dtype=np.int32)
    pair_comm, pair_cat = np.nonzero(relevant)
    row_of_pair[pair_comm, pair_cat] = np.arange(len(pair_comm), dtype=np.int32)
    # Coverage triples that touch a relevant pair; columns are the (site, category) they use.
    cover, col_keys = _cover_pattern(coverage, row_of_pair, n_cat, instance.n_sites)
    del row_of_pair
    open_site, open_cat = col_keys // n_cat, col_keys % n_cat
    n_x = len(col_keys)
    stats["rows_before_merge"] = len(pair_comm)
    stats["columns_hosted"] = int(instance.site_hosts.sum())
    stats["columns"] = n_x

    cover_sign, cover_lo, cover_hi = -1.0, -np.inf, 0.0
    target = None
    if obj.type == "max_complete":
        comm_ids, comm_start = np.unique(pair_comm, return_index=True)
        comm_of_row = np.repeat(np.arange(len(comm_ids)), np.diff(np.append(comm_start,
                                                                            len(pair_comm))))
        # Rows of one community are consecutive (row-major pairs): merge them by their pointers.
        per_comm = sp.csr_array((cover.data, cover.indices.copy(),
                                 cover.indptr[np.append(comm_start, len(pair_comm))]),
                                shape=(len(comm_ids), n_x))
        first, group = unique_rows(per_comm)
        del per_comm
        y_value: _F = np.bincount(group, weights=instance.population[comm_ids],
                                  minlength=len(first)).astype(np.float64)
        rep = np.zeros(len(comm_ids), dtype=bool)
        rep[first] = True
        rows = np.flatnonzero(rep[comm_of_row])
        cover = cover[rows]
        link_y = _csr(np.ones(len(rows)), np.arange(len(rows)),
                      group[comm_of_row[rows]], (len(rows), len(first)))
        stats["communities_merged_to"] = len(first)
    else:
        first, group = unique_rows(cover)
        cover = cover[first]
        y_value = np.bincount(group, weights=value[pair_comm, pair_cat],
                              minlength=len(first)).astype(np.float64)
        row_cat = pair_cat[first]
        link_y = sp.eye_array(len(first), format="csr")
        if obj.type == "min_cost" and obj.target_share >= 1:
            cover_sign, cover_lo, cover_hi = 1.0, 1.0, np.inf
            link_y = sp.csr_array((len(first), 0))
            y_value = np.zeros(0, dtype=np.float64)
        elif obj.type == "min_cost":
            rhs = _target_rhs(instance, coverage)
            cats = np.unique(row_cat)
            pos = np.searchsorted(cats, row_cat).astype(np.int64)
            target = (_csr(y_value, pos, np.arange(len(first)), (len(cats), len(first))),
                      rhs[cats])
    del group
    stats["rows_merged_to"] = int(cover.shape[0])
    n_y = len(y_value)

    site_fixed = instance.site_open_cost[open_site] > 0
    u_sites, u_of_col = np.unique(open_site[site_fixed], return_inverse=True)
    n_u = len(u_sites)
    cost_x = instance.site_cost[open_site, open_cat]
    cost_u = instance.site_open_cost[u_sites]

    blocks: list[tuple[int, list[_Part]]] = []
    lo: list[_F] = []
    hi: list[_F] = []
    row_blocks: dict[str, slice] = {}

    def add(name: str, a_x: sp.csr_array, a_u: sp.csr_array | None, a_y: sp.csr_array | None,
            lower: _F | float, upper: _F | float, x_scale: float = 1.0) -> None:
        r = a_x.shape[0]
        if r == 0:
            return
        start = sum(b[0] for b in blocks)
        parts: list[_Part] = [(sp.csr_array(a_x), 0, x_scale)]
        parts += [(sp.csr_array(p), c0, 1.0) for p, c0 in ((a_u, n_x), (a_y, n_x + n_u))
                  if p is not None]
        blocks.append((r, parts))
        lo.append(np.broadcast_to(lower, (r,)).astype(np.float64))
        hi.append(np.broadcast_to(upper, (r,)).astype(np.float64))
        row_blocks[name] = slice(start, start + r)

    add("cover", cover, None, link_y, np.float64(cover_lo), np.float64(cover_hi), cover_sign)
    if target is not None:
        add("target", sp.csr_array((target[0].shape[0], n_x)), None, target[0], target[1],
            np.float64(np.inf))
    if obj.budget is not None:
        add("budget", sp.csr_array(cost_x[None, :]), sp.csr_array(cost_u[None, :]), None,
            np.float64(-np.inf), np.float64(obj.budget))
    if obj.max_new_total is not None:
        add("max_new", sp.csr_array(np.ones((1, n_x))), None, None, np.float64(-np.inf),
            np.float64(obj.max_new_total))
    if obj.max_new_per_category is not None:
        limit = obj.max_new_per_category
        cats = np.flatnonzero((limit >= 0) & (np.bincount(open_cat, minlength=n_cat) > limit))
        sel = np.flatnonzero(np.isin(open_cat, cats))
        add("max_new", _csr(np.ones(len(sel)), np.searchsorted(cats, open_cat[sel]), sel,
                            (len(cats), n_x)), None, None, np.float64(-np.inf),
            limit[cats].astype(np.float64))
    cols_u = np.flatnonzero(site_fixed)
    add("link", _csr(np.ones(len(cols_u)), np.arange(len(cols_u)), cols_u, (len(cols_u), n_x)),
        _csr(-np.ones(len(cols_u)), np.arange(len(cols_u)), u_of_col.ravel(), (len(cols_u), n_u)),
        None, np.float64(-np.inf), np.float64(0.0))
    per_site = np.bincount(open_site, minlength=instance.n_sites)
    cap = instance.site_max_categories
    tight = np.flatnonzero(cap < per_site)
    sel = np.flatnonzero(np.isin(open_site, tight))
    add("max_categories", _csr(np.ones(len(sel)), np.searchsorted(tight, open_site[sel]), sel,
                               (len(tight), n_x)), None, None, np.float64(-np.inf),
        cap[tight].astype(np.float64))

    n_vars = n_x + n_u + n_y
    del cover, link_y
    a = _stack(blocks, n_vars)
    blocks.clear()  # frees the merged cover pattern before returning
    c = np.zeros(n_vars)
    if obj.type == "min_cost":
        c[:n_x], c[n_x:n_x + n_u] = cost_x, cost_u
    else:
        c[n_x + n_u:] = y_value
    integrality = np.zeros(n_vars, dtype=bool)
    integrality[:n_x + n_u] = True
    if obj.type == "max_complete":  # z integer: see the formulation in model/linear.py
        integrality[n_x + n_u:] = True
    y_name = "complete" if obj.type == "max_complete" else "covered"
    stats.update(variables=n_vars, constraints=int(a.shape[0]), nonzeros=int(a.nnz))
    return LinearModel(
        sense=obj.sense, c=c, offset=offset, A=a,
        row_lower=np.concatenate(lo) if lo else np.zeros(0),
        row_upper=np.concatenate(hi) if hi else np.zeros(0),
        col_lower=np.zeros(n_vars), col_upper=np.ones(n_vars), integrality=integrality,
        blocks={"open": slice(0, n_x), "site_open": slice(n_x, n_x + n_u),
                y_name: slice(n_x + n_u, n_vars)},
        row_blocks=row_blocks, open_site=open_site.astype(np.int32),
        open_category=open_cat.astype(np.int32), site_open_site=u_sites.astype(np.int32),
        stats=stats,
    )
