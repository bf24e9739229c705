"""Search state of the heuristic: coverage counters, limits and incremental gain bookkeeping.

A :class:`Search` holds one set of open ``x`` columns of a decoded model
(:class:`~sitecircle.engines.structure.Structure`) and updates, per move, only what the move
touches:

* ``count[r]``: open columns covering cover row ``r``; ``missing[g]``: rows of group ``g`` still
  uncovered; resource usage of every side row; the objective trackers.
* With bookkeeping on (:meth:`Search.start_bookkeeping`): ``gain[j]``, the objective gained by
  opening ``j`` (value of the groups it would complete: a column covers at most one row of a
  group, so it completes ``g`` exactly when ``g`` misses one row and ``j`` covers it);
  ``loss[j]``, the objective lost by closing open ``j`` (groups it alone keeps complete);
  ``score[j]``, the progress score ``sum v_g / missing_g`` over the uncovered rows ``j`` covers
  (equal to ``gain`` when every group is one row). Each is a sum of a per-row weight over the
  rows of a column, so a move re-weighs only the rows whose count or group changed, and adds the
  differences to the columns of those rows (CSR access) — no recomputation from scratch.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.structure import (
    Structure,
    column_sums,
    gather,
    segment_chunks,
    segment_sums,
)

_F = NDArray[np.float64]
_I = NDArray[np.int64]
_B = NDArray[np.bool_]
#: Relative slack of the internal limit checks (the final check allows 1e-9).
LIMIT_TOLERANCE = 1e-10


def tolerance(value: float) -> float:
    """Absolute tolerance of objective comparisons around ``value``."""
    return 1e-9 * max(1.0, abs(value))


def improves(st: Structure, new: float, old: float) -> bool:
    """Whether objective ``new`` is strictly better than ``old`` for the model's sense."""
    if st.kind == "max":
        return new > old + tolerance(old)
    return new < old - tolerance(old)


class Search:
    """One solution (set of open columns) with incremental counters; see the module docstring.

    Parameters
    ----------
    st
        The decoded model.
    """

    def __init__(self, st: Structure) -> None:
        self.st = st
        self.count = np.zeros(st.n_rows, np.int32)
        self.missing = np.diff(st.group_ptr).astype(np.int64)
        self.is_open = np.zeros(st.n_x, bool)
        self.site_count = np.zeros(st.n_u, np.int64)
        self.usage = [np.zeros(len(s.upper)) for s in st.sides]
        self.n_uncovered = st.n_rows
        self.target_cover = np.zeros(len(st.target_rhs))
        self.book = False
        self.gain = np.zeros(0)
        self.loss = np.zeros(0)
        self.score = np.zeros(0)
        has_u = st.u_of_col >= 0
        order = np.flatnonzero(has_u)[np.argsort(st.u_of_col[has_u], kind="stable")]
        self.u_ptr = np.zeros(st.n_u + 1, np.int64)
        np.cumsum(np.bincount(st.u_of_col[has_u], minlength=st.n_u), out=self.u_ptr[1:])
        self.u_cols = order
        #: Value of every still-uncovered row (0 once covered): the singleton-group benefit.
        self.open_value = st.group_value[st.row_group].astype(np.float64)
        # Python scalars for the one-column checks of the greedy.
        self._side_rows = [(s.row_x, s.coef_x, s.coef_u, s.upper.tolist(), len(s.upper) == 1)
                           for s in st.sides]

    # ------------------------------------------------------------------ row weights
    def gain_weight(self, rows: _I) -> _F:
        """Per-row weight of ``gain``: the group's value when covering the row completes it."""
        g = self.st.row_group[rows]
        hit = (self.count[rows] == 0) & (self.missing[g] == 1)
        return np.where(hit, self.st.group_value[g], 0.0)

    def loss_weight(self, rows: _I) -> _F:
        """Per-row weight of ``loss``: the group's value when the row's only cover keeps it."""
        g = self.st.row_group[rows]
        hit = (self.count[rows] == 1) & (self.missing[g] == 0)
        return np.where(hit, self.st.group_value[g], 0.0)

    def score_weight(self, rows: _I) -> _F:
        """Per-row weight of ``score``: ``v_g / missing_g`` for uncovered rows."""
        g = self.st.row_group[rows]
        out = self.st.group_value[g] / np.maximum(self.missing[g], 1)
        return np.where(self.count[rows] == 0, out, 0.0)

    def owners(self, rows: _I) -> _I:
        """The open column covering each row (rows with ``count == 1``), in chunks."""
        out = np.full(len(rows), -1, np.int64)
        start = 0
        for piece in segment_chunks(self.st.row_ptr, rows):
            seg, cols = self.st.row_entries(piece)
            hit = self.is_open[cols]
            out[start + seg[hit]] = cols[hit]
            start += len(piece)
        return out

    def column_score(self, cols: _I) -> _F:
        """Progress score of the given columns, computed from their rows."""
        seg, rows = gather(self.st.col_ptr, self.st.col_rows, cols)
        return segment_sums(seg, self.score_weight(rows), len(cols))

    # ------------------------------------------------------------------ bookkeeping
    def start_bookkeeping(self) -> None:
        """Compute ``gain``, ``loss`` and ``score`` of every column once (``O(nnz)``)."""
        st = self.st
        rows = np.arange(st.n_rows, dtype=np.int64)
        self.gain = column_sums(st, self.gain_weight(rows))
        self.score = self.gain if st.singleton else column_sums(st, self.score_weight(rows))
        self.loss = np.zeros(st.n_x)
        lw = self.loss_weight(rows)
        hit = np.flatnonzero(lw)
        np.add.at(self.loss, self.owners(hit), lw[hit])
        self.book = True

    def _contribute(self, rows: _I, sign: float) -> None:
        st = self.st
        gw = self.gain_weight(rows)
        hit = np.flatnonzero(gw)
        if len(hit):
            seg, cols = st.row_entries(rows[hit])
            np.add.at(self.gain, cols, sign * gw[hit][seg])
        lw = self.loss_weight(rows)
        hit = np.flatnonzero(lw)
        if len(hit):
            np.add.at(self.loss, self.owners(rows[hit]), sign * lw[hit])
        if not st.singleton:
            sw = self.score_weight(rows)
            hit = np.flatnonzero(sw)
            if len(hit):
                seg, cols = st.row_entries(rows[hit])
                np.add.at(self.score, cols, sign * sw[hit][seg])

    def _affected(self, rows: _I, lo: int) -> _I:
        """Rows whose weights change when the count of ``rows`` moves between lo and lo + 1."""
        c = self.count[rows]
        moving: _I = rows[(c == lo) | (c == lo + 1)]
        if self.st.singleton:
            return moving
        crossing = rows[c == (0 if lo == 0 else 1)]
        groups = np.unique(self.st.row_group[crossing])
        _, members = gather(self.st.group_ptr, self.st.group_rows, groups)
        return cast(_I, np.union1d(moving, members))

    # ------------------------------------------------------------------ moves
    def rows_of(self, j: int) -> NDArray[np.int32]:
        """Cover rows of column ``j`` (a view)."""
        return self.st.col_rows[self.st.col_ptr[j]:self.st.col_ptr[j + 1]]

    def add(self, j: int) -> None:
        """Open column ``j``."""
        rows = self.rows_of(j).astype(np.int64)
        aff = self._affected(rows, 0) if self.book else None
        if aff is not None:
            self._contribute(aff, -1.0)
        newly = rows[self.count[rows] == 0]
        self.count[rows] += 1
        self._cover_change(newly, -1)
        self.is_open[j] = True
        self._limits(j, +1.0)
        if aff is not None:
            self._contribute(aff, 1.0)

    def remove(self, j: int) -> None:
        """Close column ``j``."""
        rows = self.rows_of(j).astype(np.int64)
        aff = self._affected(rows, 1) if self.book else None
        if aff is not None:
            self._contribute(aff, -1.0)
        self.is_open[j] = False
        self.count[rows] -= 1
        lost = rows[self.count[rows] == 0]
        self._cover_change(lost, +1)
        self._limits(j, -1.0)
        if aff is not None:
            self._contribute(aff, 1.0)

    def _cover_change(self, rows: _I, sign: int) -> None:
        st = self.st
        if len(rows) == 0:
            return
        self.open_value[rows] = st.group_value[st.row_group[rows]] if sign > 0 else 0.0
        if st.singleton:
            self.missing[st.row_group[rows]] += sign
        else:
            np.add.at(self.missing, st.row_group[rows], sign)
        self.n_uncovered += sign * len(rows)
        if len(self.target_cover):
            self.target_cover -= sign * np.bincount(
                st.row_target[rows], weights=st.group_value[st.row_group[rows]],
                minlength=len(self.target_cover))

    def _limits(self, j: int, sign: float) -> None:
        st = self.st
        u = int(st.u_of_col[j])
        toggles_u = False
        if u >= 0:
            before = self.site_count[u]
            self.site_count[u] += int(sign)
            toggles_u = (before == 0) if sign > 0 else (self.site_count[u] == 0)
        for side, usage in zip(st.sides, self.usage, strict=True):
            r = side.row_x[j]
            if r >= 0:
                usage[r] += sign * side.coef_x[j]
            if toggles_u and side.coef_u[u] != 0:
                usage[0] += sign * side.coef_u[u]

    # ------------------------------------------------------------------ limits and costs
    def _new_site(self, cand: _I, removed: int) -> tuple[_B, _I]:
        st = self.st
        u_c = st.u_of_col[cand]
        has = u_c >= 0
        safe = np.where(has, u_c, 0)
        if st.n_u == 0:
            return np.zeros(len(cand), bool), safe
        count = self.site_count[safe]
        if removed >= 0 and st.u_of_col[removed] >= 0:
            count = count - (u_c == st.u_of_col[removed])
        return has & (count == 0), safe

    def _freed_site(self, removed: int) -> int:
        if removed < 0:
            return -1
        u = int(self.st.u_of_col[removed])
        return u if u >= 0 and self.site_count[u] == 1 else -1

    def fits(self, cand: _I, removed: int = -1) -> _B:
        """Whether opening each candidate (after closing ``removed``) respects every limit."""
        st = self.st
        ok = ~self.is_open[cand]
        if removed >= 0:
            ok &= cand != removed
        new_u, safe = self._new_site(cand, removed)
        freed = self._freed_site(removed)
        for side, usage in zip(st.sides, self.usage, strict=True):
            if len(side.upper) == 1:
                base = usage[0]
                if removed >= 0:
                    base -= side.coef_x[removed]
                    if freed >= 0:
                        base -= side.coef_u[freed]
                need = base + side.coef_x[cand]
                if st.n_u:
                    need = need + np.where(new_u, side.coef_u[safe], 0.0)
                limit = side.upper[0]
                ok &= need <= limit + LIMIT_TOLERANCE * max(1.0, abs(limit))
            else:
                r = side.row_x[cand]
                has = r >= 0
                rr = np.where(has, r, 0)
                need = usage[rr] + side.coef_x[cand]
                if removed >= 0 and side.row_x[removed] >= 0:
                    need = need - np.where(r == side.row_x[removed], side.coef_x[removed], 0.0)
                limit = side.upper[rr]
                ok &= ~has | (need <= limit + LIMIT_TOLERANCE * np.maximum(1.0, np.abs(limit)))
        return ok

    def fits_one(self, j: int) -> bool:
        """Scalar :meth:`fits` for one column and no removal (the greedy's hot path)."""
        if self.is_open[j]:
            return False
        u = int(self.st.u_of_col[j])
        new_u = u >= 0 and self.site_count[u] == 0
        for (row_x, coef_x, coef_u, upper, single), usage in zip(self._side_rows, self.usage,
                                                                  strict=True):
            r = int(row_x[j])
            if r < 0 and not (single and new_u):
                continue
            r = max(r, 0)
            need = float(usage[r]) + (float(coef_x[j]) if row_x[j] >= 0 else 0.0)
            if single and new_u:
                need += float(coef_u[u])
            if need > upper[r] + LIMIT_TOLERANCE * max(1.0, abs(upper[r])):
                return False
        return True

    def add_cost(self, cand: _I, removed: int = -1, *, budget: bool = False) -> _F:
        """Objective cost (or, with ``budget``, budget use) of opening each candidate."""
        st = self.st
        if budget:
            side = st.sides[st.budget]
            cx, cu = side.coef_x, side.coef_u
        else:
            cx, cu = st.cost_x, st.cost_u
        out = cx[cand].astype(np.float64)
        if st.n_u:
            new_u, safe = self._new_site(cand, removed)
            out = out + np.where(new_u, cu[safe], 0.0)
        return out

    def remove_saving(self, j: int) -> float:
        """Objective cost saved by closing open column ``j``."""
        freed = self._freed_site(j)
        return float(self.st.cost_x[j] + (self.st.cost_u[freed] if freed >= 0 else 0.0))

    # ------------------------------------------------------------------ objective
    def feasible(self) -> bool:
        """True when the cover/target requirements of a ``min_cost`` model hold."""
        if self.st.kind == "min_full":
            return self.n_uncovered == 0
        if self.st.kind == "min_target":
            return bool(np.all(self.target_slack() >= -self.target_tolerance()))
        return True

    def target_slack(self) -> _F:
        """Covered demand above each target's right-hand side."""
        return self.target_cover - self.st.target_rhs

    def target_tolerance(self) -> _F:
        """Absolute slack allowed on each target row by the internal checks."""
        return LIMIT_TOLERANCE * np.maximum(1.0, np.abs(self.st.target_rhs))

    def objective(self) -> float:
        """Model objective of the current solution, offset included (recomputed exactly)."""
        st = self.st
        if st.kind == "max":
            done = self.missing == 0
            return float(st.group_value[done].sum()) + st.model.offset
        cost = float(st.cost_x[self.is_open].sum()) + float(st.cost_u[self.site_count > 0].sum())
        return cost + st.model.offset

    def values(self) -> _F:
        """The full variable vector of the model (``x``, ``u``, ``y``/``z``)."""
        st = self.st
        out = np.zeros(st.model.n_vars)
        out[:st.n_x] = self.is_open
        out[st.n_x:st.n_x + st.n_u] = self.site_count > 0
        if st.n_y:
            out[st.n_x + st.n_u:] = self.missing == 0
        return out

    def open_columns(self) -> _I:
        """Indices of the open columns."""
        return np.flatnonzero(self.is_open)

    def site_columns(self, u: int) -> _I:
        """Columns of the site behind ``u`` column ``u``."""
        return self.u_cols[self.u_ptr[u]:self.u_ptr[u + 1]]

    def restore(self, target: _B) -> None:
        """Move to the solution whose open columns are ``target`` (only the differences)."""
        for j in np.flatnonzero(self.is_open & ~target).tolist():
            self.remove(j)
        for j in np.flatnonzero(target & ~self.is_open).tolist():
            self.add(j)
