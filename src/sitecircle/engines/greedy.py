"""Construction for the heuristic: lazy greedy, repair of ``min_cost`` limits, random refill.

See :mod:`sitecircle.engines.heuristic` for the method. Every function works on a
:class:`~sitecircle.engines.search.Search` in place.
"""

from __future__ import annotations

import heapq
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.search import Search
from sitecircle.engines.structure import Structure, column_sums, gather, segment_sums
from sitecircle.stopping import past

_F = NDArray[np.float64]
_I = NDArray[np.int64]
#: The perturbation's refill draws each column among this many best candidates.
REFILL_TOP = 5


def _benefit(s: Search, cols: _I) -> _F:
    """What opening each column achieves now (the greedy's numerator)."""
    st = s.st
    if st.kind == "max":
        return s.column_score(cols)
    seg, rows = gather(st.col_ptr, st.col_rows, cols)
    w = np.where(s.count[rows] == 0, st.group_value[st.row_group[rows]], 0.0)
    got = segment_sums(seg, w, len(cols))
    if st.kind == "min_target":
        need = np.maximum(-s.target_slack(), 0.0)
        got = np.minimum(got, np.where(st.col_target[cols] >= 0, need[st.col_target[cols]], 0.0))
    return got


Mode = Literal["ratio", "shared", "gain"]


def rank_cost(s: Search, cols: _I, mode: Mode) -> _F:
    """Denominator of the greedy key: objective cost (``min_cost``) or budget use (``max_*``).

    ``"shared"`` spreads a site's open cost over its columns instead of charging it to the first
    one; ``"gain"`` ranks by benefit alone.
    """
    st = s.st
    if mode == "gain" or (st.kind == "max" and st.budget < 0):
        return np.ones(len(cols))
    budget = st.kind == "max"
    if mode == "shared" and st.n_u:
        side = st.sides[st.budget] if budget else None
        cx = side.coef_x if side is not None else st.cost_x
        cu = side.coef_u if side is not None else st.cost_u
        u = st.u_of_col[cols]
        safe = np.maximum(u, 0)
        n_site = np.diff(s.u_ptr)[safe]
        return cx[cols] + np.where(u >= 0, cu[safe] / np.maximum(n_site, 1), 0.0)
    return s.add_cost(cols, budget=budget)


def greedy_modes(st: Structure) -> list[Mode]:
    """Greedy variants worth running on this model (the best result is kept)."""
    if st.kind == "max" and st.budget < 0:
        return ["ratio"]
    modes: list[Mode] = ["ratio", "gain"]
    if st.n_u:
        modes.insert(1, "shared")
    return modes


def _benefit_one(s: Search, j: int) -> float:
    """:func:`_benefit` of one column, on the hot path of the greedy."""
    st = s.st
    if st.kind == "max" and not st.singleton:
        return float(s.column_score(np.array([j], dtype=np.int64))[0])
    got = float(s.open_value[s.rows_of(j)].sum())
    if st.kind == "min_target":
        k = int(st.col_target[j])
        got = min(got, max(float(st.target_rhs[k] - s.target_cover[k]), 0.0)) if k >= 0 else 0.0
    return got


def _rank_one(s: Search, j: int, mode: Mode) -> float:
    """:func:`rank_cost` of one column (scalar hot path)."""
    st = s.st
    if mode == "gain" or (st.kind == "max" and st.budget < 0):
        return 1.0
    side = st.sides[st.budget] if st.kind == "max" else None
    cx = side.coef_x if side is not None else st.cost_x
    cu = side.coef_u if side is not None else st.cost_u
    cost = float(cx[j])
    u = int(st.u_of_col[j])
    if u >= 0:
        if mode == "shared":
            cost += float(cu[u]) / max(int(s.u_ptr[u + 1] - s.u_ptr[u]), 1)
        elif s.site_count[u] == 0:
            cost += float(cu[u])
    return cost


def _key_one(s: Search, j: int, mode: Mode) -> float:
    b = _benefit_one(s, j)
    cost = _rank_one(s, j, mode)
    return b / cost if cost > 0 else b * 1e300


def ratio_key(benefit: _F, cost: _F) -> _F:
    return np.where(cost > 0, benefit / np.maximum(cost, 1e-300), benefit * 1e300)


def _done(s: Search) -> bool:
    return s.st.kind != "max" and s.feasible()


def greedy(
    s: Search, *, mode: Mode = "ratio", deadline: float = float("inf"), slack: float = 1e-12
) -> int:
    """Lazy greedy from the current state of ``s`` (see the module docstring).

    Parameters
    ----------
    s
        Search state; columns are opened in place.
    mode
        ``"ratio"``: benefit per unit of cost (``min_cost``) or of budget (``max_*``);
        ``"shared"``: the same with site open costs spread over the site's columns;
        ``"gain"``: benefit alone.
    deadline
        ``time.perf_counter()`` value at which to stop.
    slack
        Accept a re-evaluated column when its key is within this share of the best stale key
        (0: exact lazy greedy; a small slack saves re-evaluations, the local search repairs).

    Returns
    -------
    int
        Columns opened.
    """
    st = s.st
    if st.n_x == 0 or _done(s):
        return 0
    closed = np.flatnonzero(~s.is_open)
    if st.kind == "max":
        init = column_sums(st, s.score_weight(np.arange(st.n_rows, dtype=np.int64)))[closed]
    else:
        init = _benefit(s, closed)
    keys = ratio_key(init, rank_cost(s, closed, mode))
    live = init > 0
    heap = list(zip((-keys[live]).tolist(), closed[live].tolist(), strict=True))
    heapq.heapify(heap)
    opened = 0
    while heap and not _done(s):
        if opened % 64 == 0 and past(deadline):
            break
        _, j = heapq.heappop(heap)
        if not s.fits_one(j):
            continue
        key = _key_one(s, j, mode)
        if key <= 0:
            continue
        if heap and key < -heap[0][0] * (1 - slack):
            heapq.heappush(heap, (-key, j))
            continue
        new_site = st.n_u > 0 and st.u_of_col[j] >= 0 and s.site_count[st.u_of_col[j]] == 0
        rows = s.rows_of(j)
        progressed = rows[s.count[rows] == 0].astype(np.int64)
        s.add(j)
        opened += 1
        rising: list[_I] = []
        if new_site:
            rising.append(s.site_columns(int(st.u_of_col[j])))
        if not st.singleton and len(progressed):
            groups = np.unique(st.row_group[progressed])
            _, members = gather(st.group_ptr, st.group_rows, groups)
            members = members[s.count[members] == 0]
            rising.append(st.row_entries(members)[1])
        if rising:
            cols = np.unique(np.concatenate(rising))
            cols = cols[~s.is_open[cols]]
            if len(cols):
                bb = _benefit(s, cols)
                kk = ratio_key(bb, rank_cost(s, cols, mode))
                for kv, c in zip((-kk[bb > 0]).tolist(), cols[bb > 0].tolist(), strict=True):
                    heapq.heappush(heap, (kv, c))
    return opened


def _loss_now(s: Search, cols: _I) -> _F:
    """Weight of the rows only each open column covers (no bookkeeping needed)."""
    seg, rows = gather(s.st.col_ptr, s.st.col_rows, cols)
    w = np.where(s.count[rows] == 1, s.st.group_value[s.st.row_group[rows]], 0.0)
    return segment_sums(seg, w, len(cols))


def conflicts(s: Search, b: int) -> _I:
    """Open columns sharing a limit row with ``b`` (any open column for single-row limits)."""
    st = s.st
    opened = s.open_columns()
    hit = np.zeros(len(opened), bool)
    for side in st.sides:
        if len(side.upper) == 1:
            hit |= (side.coef_x[opened] > 0) & (side.coef_x[b] > 0 or (
                st.n_u > 0 and st.u_of_col[b] >= 0 and side.coef_u[st.u_of_col[b]] > 0))
        elif side.row_x[b] >= 0:
            hit |= side.row_x[opened] == side.row_x[b]
    return opened[hit]


def repair(s: Search, *, mode: Mode, deadline: float, max_steps: int) -> bool:
    """``min_cost``: cover what the greedy left uncovered, closing blocking columns if needed.

    Each step takes the first uncovered row (full cover) or a row of the most-missed target,
    opens the best column covering it, first closing the least useful open columns that share a
    limit row with it, then lets the greedy continue. Returns whether ``s`` became feasible.
    """
    st = s.st
    for _ in range(max_steps):
        if s.feasible() or past(deadline):
            break
        if st.kind == "min_full":
            r = int(np.flatnonzero(s.count == 0)[0])
        else:
            k = int(np.argmin(s.target_slack()))
            rows = np.flatnonzero((s.count == 0) & (st.row_target == k))
            if len(rows) == 0:
                break
            r = int(rows[np.argmax(st.group_value[st.row_group[rows]])])
        cols = st.row_x(r)
        cols = cols[~s.is_open[cols]]
        if len(cols) == 0:
            break
        key = ratio_key(_benefit(s, cols), rank_cost(s, cols, mode))
        b = int(cols[np.argmax(key)])
        while not s.fits(np.array([b]))[0]:
            blocking = conflicts(s, b)
            if len(blocking) == 0:
                break
            s.remove(int(blocking[np.argmin(_loss_now(s, blocking))]))
        if not s.fits(np.array([b]))[0]:
            break
        s.add(b)
        greedy(s, mode=mode, deadline=deadline)
    return s.feasible()


def refill(s: Search, rng: np.random.Generator, *, mode: Mode, top: int,
           deadline: float) -> _I:
    """Greedy refill from the maintained arrays, each step drawn among the ``top`` best keys."""
    st = s.st
    added: list[int] = []
    while not _done(s) and not past(deadline):
        if st.kind == "max":
            benefit = s.score
        elif st.kind == "min_full":
            benefit = s.gain
        else:
            need = np.maximum(-s.target_slack(), 0.0)
            benefit = np.minimum(s.gain, np.where(st.col_target >= 0, need[st.col_target], 0.0))
        cand = np.flatnonzero((benefit > 1e-12) & ~s.is_open)
        cand = cand[s.fits(cand)]
        if len(cand) == 0:
            break
        key = ratio_key(benefit[cand], rank_cost(s, cand, mode))
        k = min(top, len(cand))
        pick = np.argpartition(-key, k - 1)[:k] if k < len(cand) else np.arange(len(cand))
        pick = pick[np.argsort(-key[pick], kind="stable")]
        j = int(cand[pick[int(rng.integers(k))]])
        s.add(j)
        added.append(j)
    return np.asarray(added, dtype=np.int64)
