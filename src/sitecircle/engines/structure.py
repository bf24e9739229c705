"""Decode a :class:`~sitecircle.model.LinearModel` into the arrays the heuristic and bounds need.

The heuristic (:mod:`sitecircle.engines.heuristic`) and the bounds
(:mod:`sitecircle.engines.bounds`) work on the
reduced model, not on the instance, so they serve every objective and limit. This module reads the
blocks written by :mod:`sitecircle.model.assemble` and checks the shape it relies on, raising
``NotImplementedError`` for a model it does not understand (never guessing):

* ``cover`` rows: ``y_g - sum_j a_rj x_j <= 0`` (``max_*`` and ``min_cost`` with a target share;
  row ``r`` belongs to the ``covered``/``complete`` column ``g``) or ``sum_j a_rj x_j >= 1``
  (``min_cost``, full cover). Row access and ``C^T w`` use the model's own CSR arrays (views, no
  copy); column access uses one CSC copy of the ``x`` pattern (int32 indices, no data array).
* ``target`` rows: ``sum_r d_r y_r >= T_k``, each ``y`` in at most one of them.
* ``link`` rows: ``x_j - u_s <= 0``, each ``x`` in at most one.
* side rows (``budget``, ``max_new``, ``max_categories``): ``<=`` rows with non-negative
  coefficients, each ``x`` in at most one row of a block; ``u`` only in single-row blocks.

Every cover row gets a *group* ``g``: its ``y`` column (``max_coverage``, target rows), its merged
community (``max_complete``, several rows per group), or itself (full cover). ``value[g]`` is
the objective weight of the group (``max_*``), the demand of the row (target share), or 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NoReturn

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.model.linear import LinearModel

_F = NDArray[np.float64]
_I = NDArray[np.int64]
_I32 = NDArray[np.int32]
Kind = Literal["max", "min_full", "min_target"]
_KNOWN_ROW_BLOCKS = {"cover", "target", "link", "budget", "max_new", "max_categories"}
#: Row blocks the engines may ignore: valid rows that only tighten the LP relaxation and that
#: every integer plan meeting the other rows meets (``basket``: model/complete_cuts.py).
_IMPLIED_ROW_BLOCKS = {"basket"}


@dataclass(frozen=True)
class Side:
    """One block of ``<=`` rows on ``x`` (and ``u``) with non-negative coefficients.

    Parameters
    ----------
    name
        Row block name.
    row_x, coef_x
        Row (within the block, -1 for none) and coefficient of every ``x`` column.
    coef_u
        Coefficient of every ``u`` column (only single-row blocks may have them).
    upper
        Right-hand side of every row.
    unit
        True when every coefficient is 1 (a count limit).
    """

    name: str
    row_x: _I32
    coef_x: _F
    coef_u: _F
    upper: _F
    unit: bool


@dataclass(frozen=True)
class Structure:
    """The model as the heuristic sees it (see the module docstring).

    Parameters
    ----------
    model
        The decoded model.
    kind
        ``"max"``, ``"min_full"`` or ``"min_target"``.
    n_x, n_u, n_y
        Sizes of the ``open``, ``site_open`` and ``covered``/``complete`` blocks.
    col_ptr, col_rows
        Cover rows of every ``x`` column (CSC pattern).
    row_ptr, row_cols
        Columns of every cover row: views of the model's CSR arrays, so ``row_cols`` also holds
        the row's ``y`` column (use :meth:`Structure.row_entries`, which keeps ``x`` only).
    cover, cover_sign
        The cover block as a CSR view of ``model.A`` and the sign of its ``x`` coefficients.
    row_group, group_value, group_ptr, group_rows
        Group of every cover row, value of every group, rows of every group (CSR).
    singleton
        True when every group has one row.
    row_target, target_rhs, col_target
        Target-share models: target row of every cover row, right-hand sides, target of every
        column (-1 when its rows have none).
    cost_x, cost_u
        Objective coefficients of ``x`` and ``u`` (``min_cost``) or zeros.
    u_of_col
        ``u`` column of every ``x`` column (-1 when the site has no open cost).
    sides
        Side blocks.
    budget
        Index of the ``budget`` block in ``sides``, or -1.
    """

    model: LinearModel
    kind: Kind
    n_x: int
    n_u: int
    n_y: int
    col_ptr: _I
    col_rows: _I32
    row_ptr: _I
    row_cols: _I32
    cover: sp.csr_array
    cover_sign: float
    row_group: _I
    group_value: _F
    group_ptr: _I
    group_rows: _I
    singleton: bool
    row_target: _I
    target_rhs: _F
    col_target: _I
    cost_x: _F
    cost_u: _F
    u_of_col: _I
    sides: tuple[Side, ...]
    budget: int

    @property
    def n_rows(self) -> int:
        """Number of cover rows."""
        return len(self.row_group)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.group_value)

    def row_entries(self, rows: _I) -> tuple[_I, _I]:
        """``x`` columns of the given cover rows: ``(seg, cols)`` as in :func:`gather`."""
        seg, cols = gather(self.row_ptr, self.row_cols, rows)
        if self.kind == "min_full":
            return seg, cols
        keep = cols < self.n_x
        return seg[keep], cols[keep]

    def row_x(self, r: int) -> _I:
        """``x`` columns of one cover row."""
        cols = self.row_cols[self.row_ptr[r]:self.row_ptr[r + 1]].astype(np.int64)
        return cols if self.kind == "min_full" else cols[cols < self.n_x]


def gather(ptr: _I, idx: NDArray[np.int32] | _I, sel: _I) -> tuple[_I, _I]:
    """Entries of the selected segments of a compressed pattern, without a Python loop.

    Parameters
    ----------
    ptr, idx
        Compressed pattern (``indptr``, ``indices``).
    sel
        Segments to read.

    Returns
    -------
    tuple of ndarray
        ``seg`` (position in ``sel`` of every entry) and ``val`` (the entries).
    """
    sel = np.asarray(sel, dtype=np.int64)
    starts = ptr[sel]
    lens = ptr[sel + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    seg = np.repeat(np.arange(len(sel), dtype=np.int64), lens)
    first = np.cumsum(lens) - lens
    pos = np.arange(total, dtype=np.int64) - np.repeat(first - starts, lens)
    return seg, idx[pos].astype(np.int64)


#: Entries gathered at a time by the whole-matrix passes (bounds their temporary memory).
CHUNK_ENTRIES = 1 << 23


def segment_chunks(ptr: _I, sel: _I, max_entries: int = CHUNK_ENTRIES) -> list[_I]:
    """Split ``sel`` into consecutive pieces whose segments hold at most ``max_entries``."""
    if len(sel) == 0:
        return []
    sizes = ptr[sel + 1] - ptr[sel]
    cum = np.cumsum(sizes)
    cuts = np.searchsorted(cum, np.arange(max_entries, int(cum[-1]), max_entries), side="left")
    return [piece for piece in np.split(sel, np.unique(cuts + 1)) if len(piece)]


def segment_sums(seg: _I, weights: _F, n: int) -> _F:
    """Sum of ``weights`` per segment id (``np.bincount`` with weights, typed as float64)."""
    return np.bincount(seg, weights=weights, minlength=n).astype(np.float64, copy=False)


def _block(model: LinearModel, name: str) -> tuple[_I, _I32, _F, slice]:
    """Row-local indptr, column indices and data of a row block (indices and data are views)."""
    rows = model.row_blocks.get(name, slice(0, 0))
    a = model.A
    ptr = a.indptr[rows.start:rows.stop + 1].astype(np.int64)
    if len(ptr) == 0:
        ptr = np.zeros(1, np.int64)
    lo, hi = int(ptr[0]), int(ptr[-1])
    return ptr - lo, a.indices[lo:hi], a.data[lo:hi], rows


def _unsupported(what: str) -> NoReturn:
    msg = f"heuristic: unsupported model structure ({what})"
    raise NotImplementedError(msg)


def _entry_rows(ptr: _I, positions: _I) -> _I:
    return np.searchsorted(ptr, positions, side="right").astype(np.int64) - 1


def _sides(model: LinearModel, n_x: int, n_u: int) -> tuple[tuple[Side, ...], int]:
    sides: list[Side] = []
    budget = -1
    x_end, u_end = n_x, n_x + n_u
    for name in ("budget", "max_new", "max_categories"):
        if name not in model.row_blocks:
            continue
        ptr, idx, data, rows = _block(model, name)
        n_r = len(ptr) - 1
        if np.any(np.isfinite(model.row_lower[rows]) & (model.row_lower[rows] > 0)):
            _unsupported(f"{name} rows with a positive lower bound")
        if np.any(data < 0) or np.any(idx >= u_end):
            _unsupported(f"{name} rows with negative or non-x/u coefficients")
        pos = np.arange(len(idx), dtype=np.int64)
        row = _entry_rows(ptr, pos)
        is_x = idx < x_end
        cols = idx[is_x].astype(np.int64)
        if len(np.unique(cols)) != len(cols):
            _unsupported(f"an x column in two {name} rows")
        row_x = np.full(n_x, -1, np.int32)
        coef_x = np.zeros(n_x)
        row_x[cols] = row[is_x]
        coef_x[cols] = data[is_x]
        coef_u = np.zeros(n_u)
        if (~is_x).any():
            if n_r != 1:
                _unsupported(f"u columns in a multi-row {name} block")
            coef_u[idx[~is_x] - x_end] = data[~is_x]
        unit = bool(np.all(data == 1.0))
        sides.append(Side(name, row_x, coef_x, coef_u, model.row_upper[rows].astype(np.float64),
                          unit))
        if name == "budget":
            budget = len(sides) - 1
    return tuple(sides), budget


def decode(model: LinearModel) -> Structure:
    """Decode a model built by :func:`sitecircle.build_model` (see the module docstring).

    Parameters
    ----------
    model
        The model.

    Returns
    -------
    Structure
        Patterns, groups, costs and side blocks.

    Raises
    ------
    NotImplementedError
        When the model does not have the structure described in the module docstring.
    """
    unknown = set(model.row_blocks) - _KNOWN_ROW_BLOCKS - _IMPLIED_ROW_BLOCKS
    if unknown:
        _unsupported(f"row blocks {sorted(unknown)}")
    x_sl = model.blocks.get("open", slice(0, 0))
    u_sl = model.blocks.get("site_open", slice(x_sl.stop, x_sl.stop))
    y_name = "complete" if "complete" in model.blocks else "covered"
    y_sl = model.blocks.get(y_name, slice(u_sl.stop, u_sl.stop))
    n_x, n_u, n_y = x_sl.stop - x_sl.start, u_sl.stop - u_sl.start, y_sl.stop - y_sl.start
    if x_sl.start != 0 or u_sl.start != n_x or y_sl.start != n_x + n_u:
        _unsupported("variable blocks out of order")
    if "target" in model.row_blocks:
        kind: Kind = "min_target"
    else:
        kind = "max" if model.sense == "max" else "min_full"

    ptr, idx, data, rows = _block(model, "cover")
    n_rows = len(ptr) - 1
    is_x = idx < n_x
    expected = 1.0 if kind == "min_full" else -1.0
    if not np.all(data[is_x] == expected):
        _unsupported("cover coefficients")
    y_pos = np.flatnonzero(~is_x)
    y_row = _entry_rows(ptr, y_pos)
    row_group = np.arange(n_rows, dtype=np.int64)
    if kind == "min_full":
        if len(y_pos) or n_y:
            _unsupported("covered columns in a full-cover model")
        group_value = np.ones(n_rows)
    else:
        y_col = idx[y_pos].astype(np.int64) - (n_x + n_u)
        if (len(y_pos) != n_rows or np.any(y_col < 0) or not np.all(data[y_pos] == 1.0)
                or np.any(np.diff(y_row) != 1)):
            _unsupported("cover rows without exactly one covered/complete column")
        row_group = y_col
        group_value = model.c[n_x + n_u:].astype(np.float64).copy()
    counts_x = np.diff(ptr) - np.bincount(y_row, minlength=n_rows)
    x_ptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(counts_x, out=x_ptr[1:])
    x_cols = idx[is_x] if len(y_pos) else idx
    del is_x
    csc = sp.csr_array((np.ones(len(x_cols), dtype=bool), x_cols, x_ptr),
                       shape=(n_rows, n_x)).tocsc()
    del x_cols, x_ptr
    col_ptr = csc.indptr.astype(np.int64)
    col_rows = np.asarray(csc.indices, dtype=np.int32)
    del csc
    cover = sp.csr_array((data, idx, ptr), shape=(n_rows, model.n_vars))

    n_groups = len(group_value)
    order = np.argsort(row_group, kind="stable")
    group_ptr = np.zeros(n_groups + 1, np.int64)
    np.cumsum(np.bincount(row_group, minlength=n_groups), out=group_ptr[1:])
    singleton = bool(np.all(np.diff(group_ptr) == 1)) and n_groups == n_rows

    row_target = np.full(n_rows, -1, np.int64)
    target_rhs = np.zeros(0)
    col_target = np.full(n_x, -1, np.int64)
    if kind == "min_target":
        t_ptr, t_idx, t_data, t_rows = _block(model, "target")
        if np.any(t_idx < n_x + n_u):
            _unsupported("target rows on x or u")
        y_t = t_idx.astype(np.int64) - (n_x + n_u)
        if len(np.unique(y_t)) != len(y_t) or not singleton:
            _unsupported("a covered column in two target rows")
        target_of_y = np.full(n_y, -1, np.int64)
        demand_of_y = np.zeros(n_y)
        target_of_y[y_t] = _entry_rows(t_ptr, np.arange(len(t_idx), dtype=np.int64))
        demand_of_y[y_t] = t_data
        row_target = target_of_y[row_group]
        group_value = demand_of_y
        target_rhs = model.row_lower[t_rows].astype(np.float64)
        nonempty = np.flatnonzero(np.diff(col_ptr) > 0)
        col_target[nonempty] = row_target[col_rows[col_ptr[nonempty]]]
        for piece in segment_chunks(col_ptr, nonempty):
            seg, vals = gather(col_ptr, col_rows, piece)
            if np.any(row_target[vals] != col_target[piece][seg]):
                _unsupported("a column covering rows of two targets")

    u_of_col = np.full(n_x, -1, np.int64)
    if "link" in model.row_blocks:
        l_ptr, l_idx, l_data, _ = _block(model, "link")
        if np.any(np.diff(l_ptr) != 2):
            _unsupported("link rows")
        xs, us = l_idx[0::2].astype(np.int64), l_idx[1::2].astype(np.int64) - n_x
        if (np.any(xs >= n_x) or np.any(us < 0) or np.any(us >= n_u)
                or not np.all(l_data[0::2] == 1) or not np.all(l_data[1::2] == -1)
                or len(np.unique(xs)) != len(xs)):
            _unsupported("link rows")
        u_of_col[xs] = us
    cost_x = model.c[:n_x].astype(np.float64) if kind != "max" else np.zeros(n_x)
    cost_u = model.c[n_x:n_x + n_u].astype(np.float64) if kind != "max" else np.zeros(n_u)
    if np.any(cost_x < 0) or np.any(cost_u < 0):
        _unsupported("negative costs")
    sides, budget = _sides(model, n_x, n_u)
    return Structure(
        model=model, kind=kind, n_x=n_x, n_u=n_u, n_y=n_y, col_ptr=col_ptr, col_rows=col_rows,
        row_ptr=ptr, row_cols=idx, cover=cover, cover_sign=expected,
        row_group=row_group, group_value=group_value,
        group_ptr=group_ptr, group_rows=order.astype(np.int64), singleton=singleton,
        row_target=row_target, target_rhs=target_rhs, col_target=col_target, cost_x=cost_x,
        cost_u=cost_u, u_of_col=u_of_col, sides=sides, budget=budget,
    )


def column_sums(st: Structure, row_weight: _F) -> _F:
    """``C^T w``: the sum of ``row_weight`` over the cover rows of every ``x`` column.

    One sparse product with the model's own cover block (no copy of the pattern).

    Parameters
    ----------
    st
        The decoded model.
    row_weight
        One weight per cover row.

    Returns
    -------
    ndarray
        One sum per ``x`` column.
    """
    if st.n_rows == 0:
        return np.zeros(st.n_x)
    full = st.cover.T @ np.asarray(row_weight, dtype=np.float64)
    out: _F = st.cover_sign * full[:st.n_x]
    return out


def row_sums(st: Structure, cols: _I, values: _F) -> _F:
    """``C x``: the level :math:`\\sum_j a_{rj} x_j` of every cover row of a (fractional) plan.

    Parameters
    ----------
    st
        The decoded model.
    cols
        ``x`` columns with a nonzero value.
    values
        Their values, in the order of ``cols``.

    Returns
    -------
    ndarray
        One level per cover row.
    """
    seg, rows = gather(st.col_ptr, st.col_rows, np.asarray(cols, dtype=np.int64))
    out: _F = np.bincount(rows, weights=np.asarray(values, dtype=np.float64)[seg],
                          minlength=st.n_rows).astype(np.float64)
    return out
