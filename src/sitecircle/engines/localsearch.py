"""Improvement for the heuristic: Teitz–Bart interchange and iterated local search.

See :mod:`sitecircle.engines.heuristic` for the method. Every function works on a
:class:`~sitecircle.engines.search.Search` with bookkeeping on, in place.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.greedy import (
    REFILL_TOP,
    conflicts,
    greedy_modes,
    rank_cost,
    ratio_key,
    refill,
)
from sitecircle.engines.search import Search, improves, tolerance
from sitecircle.engines.structure import gather
from sitecircle.stopping import past

_F = NDArray[np.float64]
_I = NDArray[np.int64]


def _swap_gain(s: Search, a: int) -> tuple[_F, float]:
    """Gain of every column after closing ``a`` (all columns at once), and ``loss[a]``."""
    st = s.st
    rows_a = s.rows_of(a).astype(np.int64)
    r1 = rows_a[s.count[rows_a] == 1]
    if len(r1) == 0:
        return s.gain, float(s.loss[a])
    if st.singleton:
        aff = r1
        old = s.gain_weight(aff)
        new = st.group_value[st.row_group[aff]]
    else:
        groups = st.row_group[r1]
        _, aff = gather(st.group_ptr, st.group_rows, groups)
        old = s.gain_weight(aff)
        g = st.row_group[aff]
        lost = np.zeros(st.n_groups, dtype=bool)
        lost[groups] = True
        in_r1 = np.isin(aff, r1)
        count_after = np.where(in_r1, 0, s.count[aff])
        missing_after = s.missing[g] + lost[g]
        new = np.where((count_after == 0) & (missing_after == 1), st.group_value[g], 0.0)
    d = new - old
    hit = np.flatnonzero(d)
    if len(hit) == 0:
        return s.gain, float(s.loss[a])
    seg, cols = st.row_entries(aff[hit])
    delta = np.bincount(cols, weights=d[hit][seg], minlength=st.n_x)
    return s.gain + delta, float(s.loss[a])


def _best_move(s: Search, a: int) -> tuple[int, float] | None:
    """Best improving move closing ``a``: ``(b, improvement)``; ``b = -1`` means drop ``a``."""
    st = s.st
    gain, loss = _swap_gain(s, a)
    if st.kind == "max":
        cand = np.flatnonzero(gain > loss + tolerance(loss))
        if len(cand) == 0:
            return None
        cand = cand[s.fits(cand, removed=a)]
        if len(cand) == 0:
            return None
        b = int(cand[np.argmax(gain[cand])])
        return b, float(gain[b] - loss)
    saving = s.remove_saving(a)
    if st.kind == "min_full":
        if loss <= 0.5:
            return -1, saving
        cand = np.flatnonzero(gain >= loss - 0.5)
    else:
        k = int(st.col_target[a])
        slack = float(s.target_slack()[k]) + float(s.target_tolerance()[k])
        if slack - loss >= 0:
            return -1, saving
        cand = np.flatnonzero((gain >= loss - slack) & (st.col_target == k))
    if len(cand) == 0:
        return None
    cand = cand[s.fits(cand, removed=a)]
    if len(cand) == 0:
        return None
    better = saving - s.add_cost(cand, removed=a)
    i = int(np.argmax(better))
    if better[i] <= tolerance(saving):
        return None
    return int(cand[i]), float(better[i])


def _fill(s: Search, deadline: float) -> int:
    """``max_*``: open any column that still fits and gains (best gain per budget first)."""
    added = 0
    while not past(deadline):
        cand = np.flatnonzero((s.gain > tolerance(0.0)) & ~s.is_open)
        if len(cand) == 0:
            break
        cand = cand[s.fits(cand)]
        if len(cand) == 0:
            break
        key = ratio_key(s.gain[cand], rank_cost(s, cand, "ratio"))
        s.add(int(cand[np.argmax(key)]))
        added += 1
    return added


def local_search(
    s: Search, *, deadline: float = float("inf"), max_moves: int | None = None,
    focus: _I | None = None,
) -> int:
    """Teitz–Bart interchange (and drops for ``min_cost``) until no move improves.

    Parameters
    ----------
    s
        Search state with bookkeeping on; changed in place.
    deadline
        ``time.perf_counter()`` value at which to stop.
    max_moves
        Stop after this many moves.
    focus
        Only try closing these columns (and the neighbours of every move made).

    Returns
    -------
    int
        Moves applied.
    """
    st = s.st
    moves = 0
    while True:
        order = s.open_columns() if focus is None else focus[s.is_open[focus]]
        if st.kind != "max":
            order = order[np.argsort(-st.cost_x[order], kind="stable")]
        else:
            order = order[np.argsort(s.loss[order], kind="stable")]
        improved = False
        touched: list[int] = []
        for a in order.tolist():
            if max_moves is not None and moves >= max_moves:
                return moves
            if past(deadline):
                return moves
            if not s.is_open[a]:
                continue
            move = _best_move(s, a)
            if move is None:
                continue
            s.remove(a)
            if move[0] >= 0:
                s.add(move[0])
                touched.append(move[0])
            touched.append(a)
            moves += 1
            improved = True
        if st.kind == "max":
            moves += _fill(s, deadline)
        if not improved:
            return moves
        if focus is not None:
            focus = np.union1d(focus, _neighbours(s, np.asarray(touched, dtype=np.int64)))


def _neighbours(s: Search, cols: _I) -> _I:
    """Open columns sharing a cover row with any of ``cols``."""
    st = s.st
    _, rows = gather(st.col_ptr, st.col_rows, cols)
    _, near = st.row_entries(np.unique(rows))
    near = np.unique(near)
    return near[s.is_open[near]]


def _complete_one(s: Search, rng: np.random.Generator) -> _I:
    """``max_complete`` kick: open, per missing row of one community, its best column."""
    st = s.st
    cand = np.flatnonzero((s.missing >= 2) & (st.group_value > 0))
    if len(cand) == 0:
        return np.zeros(0, np.int64)
    g = int(rng.choice(cand, p=st.group_value[cand] / st.group_value[cand].sum()))
    rows = st.group_rows[st.group_ptr[g]:st.group_ptr[g + 1]]
    added = []
    for r in rows[s.count[rows] == 0].tolist():
        cols = st.row_x(r)
        cols = cols[~s.is_open[cols]]
        if len(cols) == 0:
            continue
        best = int(cols[np.argmax(ratio_key(s.score[cols], rank_cost(s, cols, "ratio")))])
        while not s.fits(np.array([best]))[0]:
            opened = s.open_columns()
            if len(opened) == 0:
                break
            s.remove(int(opened[np.argmin(s.loss[opened])]))
        if s.fits(np.array([best]))[0]:
            s.add(best)
            added.append(best)
    return np.asarray(added, dtype=np.int64)


def _force(s: Search, rng: np.random.Generator, *, near: bool) -> _I:
    """Open a closed column (``near``: one sharing rows with a random open column), closing the
    least useful open ones that block it."""
    st = s.st
    opened = s.open_columns()
    if near and len(opened):
        a = int(rng.choice(opened))
        _, rows = gather(st.col_ptr, st.col_rows, np.array([a]))
        _, closed = st.row_entries(rows)
        closed = np.unique(closed)
        closed = closed[~s.is_open[closed]]
    else:
        closed = np.flatnonzero(~s.is_open & (s.score > 0 if st.kind == "max" else True))
    if len(closed) == 0:
        return np.zeros(0, np.int64)
    b = int(rng.choice(closed))
    dropped: list[int] = []
    while not s.fits_one(b):
        blocking = conflicts(s, b)
        if len(blocking) == 0:
            return np.asarray(dropped, dtype=np.int64)
        worst = int(blocking[np.argmin(s.loss[blocking] - 1e-9 * st.cost_x[blocking])])
        s.remove(worst)
        dropped.append(worst)
    s.add(b)
    return np.asarray([*dropped, b], dtype=np.int64)


def _kick(s: Search, rng: np.random.Generator, size: int, deadline: float) -> _I:
    """Perturb the solution, then refill it at random among the best candidates.

    Kicks: close ``size`` random open columns; close one and up to ``size - 1`` open columns
    sharing rows with it; force in a closed column near an open one (or anywhere); for
    ``max_complete``, open a set of columns completing one community.
    """
    st = s.st
    opened = s.open_columns()
    changed = []
    draw = rng.random()
    if st.kind == "max" and not st.singleton and draw < 0.25:
        changed.append(_complete_one(s, rng))
    elif draw < 0.5:
        changed.append(_force(s, rng, near=bool(rng.random() < 0.7)))
    elif len(opened):
        if draw < 0.75:
            drop = rng.choice(opened, size=min(size, len(opened)), replace=False)
        else:
            a = int(rng.choice(opened))
            near = _neighbours(s, np.array([a]))
            near = near[near != a]
            extra = rng.choice(near, size=min(size - 1, len(near)), replace=False)
            drop = np.concatenate([[a], extra]).astype(np.int64)
        for j in drop.tolist():
            s.remove(j)
        changed.append(drop.astype(np.int64))
    modes = greedy_modes(st)
    changed.append(refill(s, rng, mode=modes[int(rng.integers(len(modes)))], top=REFILL_TOP,
                          deadline=deadline))
    return np.concatenate(changed)


def perturb(
    s: Search, rng: np.random.Generator, *, deadline: float, patience: int, max_rounds: int,
    stop_at: float | None,
) -> tuple[int, int]:
    """Iterated local search; returns ``(rounds, improvements)`` and leaves the best in ``s``.

    A round kicks the current solution (:func:`_kick`) and re-runs the local search around the
    change. The new local optimum replaces the current one when it is within a threshold of the
    best, ``best - eta (best - mean of recent local optima)``, with ``eta`` adapted every 20
    rounds towards an acceptance rate of 30 % (the acceptance rule of Máximo, Cordeau and
    Nascimento's AILS). After ``min(patience // 3, 60)`` rounds without improvement the search
    returns to the best solution, after twice as many it restarts from a randomised greedy
    solution (GRASP-like), and so on alternately.
    """
    st = s.st
    sign = 1.0 if st.kind == "max" else -1.0
    best_open = s.is_open.copy()
    best = s.objective()
    current_open = best_open
    rounds = improvements = since = accepted = 0
    mean, eta = best, 0.2
    max_size = max(2, min(10, len(s.open_columns()) // 5))
    restart = max(1, min(patience // 3, 60))
    while rounds < max_rounds and since < patience and not past(deadline):
        if stop_at is not None and not improves(st, stop_at, best):
            break
        rounds += 1
        changed = _kick(s, rng, int(rng.integers(1, max_size + 1)), deadline)
        focus = _neighbours(s, changed) if len(changed) else None
        local_search(s, deadline=deadline, focus=focus)
        value = s.objective()
        since += 1
        feasible = s.feasible()
        if feasible:
            mean += 0.1 * (value - mean)
        threshold = best - eta * (best - mean)
        if feasible and improves(st, value, best):
            best, best_open = value, s.is_open.copy()
            current_open = best_open
            improvements += 1
            accepted += 1
            since = 0
        elif feasible and sign * (value - threshold) >= -tolerance(best):
            current_open = s.is_open.copy()
            accepted += 1
        else:
            s.restore(current_open)
        if rounds % 20 == 0:
            eta = min(1.0, eta * 1.25 + 0.01) if accepted < 6 else eta * 0.8
            accepted = 0
        if since and since % restart == 0:
            if (since // restart) % 2:
                s.restore(best_open)
            else:  # a fresh randomised greedy start (GRASP-like) to leave the basin
                s.restore(np.zeros(st.n_x, dtype=bool))
                modes = greedy_modes(st)
                refill(s, rng, mode=modes[int(rng.integers(len(modes)))], top=REFILL_TOP,
                       deadline=deadline)
                local_search(s, deadline=deadline)
            current_open = s.is_open.copy()
    s.restore(best_open)
    return rounds, improvements
