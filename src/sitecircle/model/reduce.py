r"""Exact reductions on an assembled :class:`~sitecircle.model.LinearModel`, and its components.

:func:`build_model` assembles the model with the reductions that need the instance (pre-covered
and uncoverable pairs, identical rows merged, empty columns dropped); this module adds the ones
that only need the arrays, and splits a model into independent parts.

Dominated columns (every objective)
    A column :math:`x_j` (a site for a category) is dropped when another column :math:`x_{j'}`
    of the same category covers every row :math:`j` covers, costs no more (objective and budget
    coefficient), and neither takes part in a ``link`` (site open cost), ``max_categories``,
    ``capacity`` or ``min_load`` row (with capacities a dominated site may be needed beside the
    one that dominates it, both full). In any solution that opens :math:`j`, opening
    :math:`j'` instead (or nothing, if it is open already) keeps every row covered, every
    limit met and the objective at least as good.
    Ties (same rows, same cost) keep the lowest index, so the relation is a strict order and
    dropping every dominated column at once is exact.
Dominated rows (``min_cost`` with full coverage)
    A covering row :math:`\sum_{j\in P_r} x_j \ge 1` is implied by any row :math:`r'` with
    :math:`P_{r'} \subseteq P_r`, and is dropped.

Subsets are found with one sparse product per chunk of columns (:math:`M^\top M` counts the
shared rows of two columns); the work is :math:`\sum_r \deg(r)^2`, and the step is skipped
(recorded as ``dominance_skipped``) above :data:`DOMINANCE_MAX_WORK`.

Components
    :func:`components` labels the connected components of the model's variables through its
    rows. When no row couples them (a ``budget``, ``max_new`` or ``target`` row spanning several
    components), each component is an independent model (:func:`submodel`) and can be solved on
    its own — a province of cities, for example.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.model.linear import LinearModel

_I = NDArray[np.int64]
_B = NDArray[np.bool_]

#: Largest :math:`\sum_r \deg(r)^2` (pairs of columns sharing a row) for which dominated
#: columns or rows are searched (about 2 s of sparse products; Kings, 83M, takes 1.1 s).
DOMINANCE_MAX_WORK = 100_000_000
#: Columns per sparse product chunk.
CHUNK_COLUMNS = 2_000
#: Rows that may tie variables of different components together.
COUPLING_ROWS = ("budget", "max_new", "target")


def _affordable(lengths: NDArray[np.integer]) -> bool:
    """Whether a subset search over lines of these lengths stays within the work cap.

    ``sum(len**2)`` over the rows (columns) is the number of entries of the column (row) overlap
    product; it is checked on lengths read from the model, before any copy is made.
    """
    lengths = lengths.astype(np.int64)
    return int((lengths * lengths).sum()) <= DOMINANCE_MAX_WORK


def _subset_pairs(pattern: sp.csc_array, chunk: int = CHUNK_COLUMNS
                  ) -> tuple[_I, Iterator[tuple[_I, _I]]]:
    """Column sizes, and the pairs ``(a, b)``, ``a != b``, with row sets ``P_a ⊆ P_b``."""
    m = sp.csc_array(pattern, dtype=np.int32)
    m.data[:] = 1  # the pattern only (cover rows of max models hold -1)
    degree = np.diff(m.indptr).astype(np.int64)
    mt = sp.csr_array(m.T)

    def pairs() -> Iterator[tuple[_I, _I]]:
        for start in range(0, m.shape[1], chunk):
            shared = sp.coo_array(mt[start:start + chunk] @ m)
            a = shared.row.astype(np.int64) + start
            b = shared.col.astype(np.int64)
            hit = (shared.data == degree[a]) & (a != b)
            yield a[hit], b[hit]

    return degree, pairs()


def dominated_columns(model: LinearModel) -> _B | None:
    """Columns of the ``open`` block dominated by another one (see the module docstring).

    Parameters
    ----------
    model
        An assembled model.

    Returns
    -------
    ndarray of bool or None
        Mask over the ``open`` columns; None when the search would exceed
        :data:`DOMINANCE_MAX_WORK`.
    """
    ox = model.blocks["open"]
    n_x = ox.stop - ox.start
    dropped = np.zeros(n_x, dtype=bool)
    cover = model.row_blocks.get("cover")
    if n_x < 2 or cover is None:
        return dropped
    if not _affordable(np.diff(model.A.indptr[cover.start:cover.stop + 1])):
        return None
    a_x = model.A[:, ox]
    eligible = np.ones(n_x, dtype=bool)
    # With capacities both of two "dominated" sites may be needed: capacitated columns stay.
    for name in ("link", "max_categories", "capacity", "min_load"):
        rows = model.row_blocks.get(name)
        if rows is not None:
            eligible[np.unique(a_x[rows].indices)] = False
    cols = np.flatnonzero(eligible)
    budget_rows = model.row_blocks.get("budget")
    spend = (np.asarray(a_x[budget_rows].sum(axis=0)).ravel()[cols] if budget_rows is not None
             else np.zeros(len(cols)))
    sign = 1.0 if model.sense == "min" else -1.0
    worse = sign * model.c[ox][cols]  # larger is worse for both senses
    category = model.open_category[cols]
    degree, pairs = _subset_pairs(sp.csc_array(a_x[cover][:, cols]))
    for a, b in pairs:
        tie = (degree[a] == degree[b]) & (spend[a] == spend[b]) & (worse[a] == worse[b])
        keep = ((category[a] == category[b]) & (spend[a] >= spend[b]) & (worse[a] >= worse[b])
                & (~tie | (b < a)))
        dropped[cols[a[keep]]] = True
    return dropped


def dominated_rows(model: LinearModel) -> _B | None:
    """Covering rows implied by another covering row (``min_cost`` with full coverage only).

    Parameters
    ----------
    model
        An assembled model.

    Returns
    -------
    ndarray of bool or None
        Mask over the ``cover`` rows; all False when the model has ``covered`` variables; None
        when the search would exceed :data:`DOMINANCE_MAX_WORK`.
    """
    cover = model.row_blocks.get("cover")
    if cover is None:
        return np.zeros(0, dtype=bool)
    n_rows = cover.stop - cover.start
    dropped = np.zeros(n_rows, dtype=bool)
    covered = model.blocks.get("covered", slice(0, 0))
    if model.sense != "min" or covered.stop > covered.start or n_rows < 2:
        return dropped
    entries = model.A.indices[model.A.indptr[cover.start]:model.A.indptr[cover.stop]]
    if not _affordable(np.bincount(entries, minlength=model.n_vars)):
        return None
    degree, pairs = _subset_pairs(sp.csc_array(model.A[cover][:, model.blocks["open"]].T))
    for a, b in pairs:
        tie = degree[a] == degree[b]
        keep = ~tie | (a < b)
        dropped[b[keep]] = True
    return dropped


def submodel(model: LinearModel, rows: _I, cols: _I) -> LinearModel:
    """The model restricted to some rows and columns, in their original order.

    Parameters
    ----------
    model
        A model.
    rows, cols
        Sorted indices of the rows and variables to keep.

    Returns
    -------
    LinearModel
        Blocks, row blocks and site/category indices follow the selection; ``stats`` are
        copied.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)

    def remap(blocks: dict[str, slice], kept: _I) -> dict[str, slice]:
        out = {}
        for name, block in blocks.items():
            lo = int(np.searchsorted(kept, block.start))
            hi = int(np.searchsorted(kept, block.stop))
            if hi > lo or name in ("open", "site_open", "covered", "complete", "assign"):
                out[name] = slice(lo, hi)
        return out

    blocks = remap(model.blocks, cols)
    ox, su = model.blocks["open"], model.blocks["site_open"]
    open_keep = cols[(cols >= ox.start) & (cols < ox.stop)] - ox.start
    site_keep = cols[(cols >= su.start) & (cols < su.stop)] - su.start
    return dataclasses.replace(
        model, c=model.c[cols], A=sp.csr_array(model.A[rows][:, cols]),
        row_lower=model.row_lower[rows], row_upper=model.row_upper[rows],
        col_lower=model.col_lower[cols], col_upper=model.col_upper[cols],
        integrality=model.integrality[cols], blocks=blocks,
        row_blocks=remap(model.row_blocks, rows), open_site=model.open_site[open_keep],
        open_category=model.open_category[open_keep],
        site_open_site=model.site_open_site[site_keep], stats=dict(model.stats))


def reduce_model(model: LinearModel) -> LinearModel:
    """Drop dominated columns and rows (exact; counts recorded in ``stats``).

    Parameters
    ----------
    model
        An assembled model.

    Returns
    -------
    LinearModel
        The reduced model (the same object when nothing is dropped).
    """
    stats = dict(model.stats)
    columns = dominated_columns(model)
    rows = dominated_rows(model)
    stats["columns_dominated"] = 0 if columns is None else int(columns.sum())
    stats["rows_dominated"] = 0 if rows is None else int(rows.sum())
    stats["dominance_skipped"] = int(columns is None or rows is None)
    if not stats["columns_dominated"] and not stats["rows_dominated"]:
        return dataclasses.replace(model, stats=stats)
    keep_cols = np.ones(model.n_vars, dtype=bool)
    if columns is not None:
        keep_cols[model.blocks["open"]] = ~columns
    keep_rows = np.ones(model.n_rows, dtype=bool)
    if rows is not None and rows.size:
        keep_rows[model.row_blocks["cover"]] = ~rows
    out = submodel(model, np.flatnonzero(keep_rows), np.flatnonzero(keep_cols))
    stats.update(variables=out.n_vars, constraints=out.n_rows, nonzeros=int(out.A.nnz),
                 columns=int(out.blocks["open"].stop - out.blocks["open"].start))
    return dataclasses.replace(out, stats=stats)


def components(model: LinearModel) -> tuple[int, _I, _I]:
    """Connected components of the variables through the non-coupling rows.

    Parameters
    ----------
    model
        A model.

    Returns
    -------
    tuple
        ``(count, column_label, row_label)``: the number of components, the component of every
        variable, and of every row (``-1`` for coupling rows: ``budget``, ``max_new``,
        ``target``).
    """
    n_rows, n_vars = model.A.shape
    local = np.ones(n_rows, dtype=bool)
    for name in COUPLING_ROWS:
        block = model.row_blocks.get(name)
        if block is not None:
            local[block] = False
    a = sp.coo_array(model.A)
    on_local = local[a.row]
    r, c = a.row[on_local].astype(np.int64), a.col[on_local].astype(np.int64)
    size = n_vars + n_rows
    graph = sp.csr_array((np.ones(len(r), dtype=np.int8), (c, n_vars + r)), shape=(size, size))
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 - 0.1 s to import

    count, label = connected_components(graph, directed=False)
    # relabel by first variable so the numbering is deterministic and variables come first
    first = np.full(count, size, dtype=np.int64)
    np.minimum.at(first, label, np.arange(size))
    order = np.argsort(first, kind="stable")
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    label = rank[label]
    row_label = label[n_vars:].astype(np.int64)
    row_label[~local] = -1
    used = np.unique(label[:n_vars])
    return len(used), label[:n_vars].astype(np.int64), row_label


def separable(model: LinearModel) -> bool:
    """True when no coupling row (``budget``, ``max_new``, ``target``) is in the model."""
    return not any(name in model.row_blocks for name in COUPLING_ROWS)
