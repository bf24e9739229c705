r"""A fast primal heuristic for every objective and limit, working on the reduced model.

:func:`heuristic_solve` takes the solver-neutral :class:`~sitecircle.model.LinearModel` (already
reduced by :func:`~sitecircle.model.build_model`) and returns a full variable vector that is
feasible for it, with a Lagrangian bound (:mod:`sitecircle.bounds`) so the answer carries an
honest gap. Phases, each recorded in ``phase_log``:

1. **Greedy.** Lazy greedy with a priority queue: a column's score is only re-evaluated when it
   reaches the top (valid because gains only fall as coverage grows; columns whose score can
   rise — other categories of a site whose open cost has just been paid, communities of
   ``max_complete`` closer to completion — are re-queued). ``max_*``: marginal objective per
   unit of budget (and, when costs differ, also per column; the better run is kept).
   ``max_complete``: the score of a column is :math:`\sum v_g/\text{missing}_g` over the
   uncovered rows it covers, so communities near completion weigh more (the exact gain, which is
   zero until the last category arrives, is used by the local search). ``min_cost``: Chvátal's
   set-cover greedy, cost per newly covered row (full cover) or per unit of still-needed demand
   (target share). All limits are respected (budget incl. site open cost when a site is first
   used, ``max_new`` total/per category, ``max_categories``).
2. **Local search.** Teitz–Bart interchange: for each open column, the best closed column to
   swap in, evaluated for *all* candidates at once from incrementally maintained ``gain`` and
   ``loss`` arrays plus the rows the removal uncovers (see :mod:`sitecircle._search`); applied
   when it improves. ``min_cost`` also drops redundant columns (most expensive first) and swaps
   to cheaper columns that keep every row/target covered. Repeated until no improving move.
3. **Perturbation** (iterated local search): close a few random open columns (``max_complete``:
   or add a set of columns completing one community), refill greedily, re-run the local search
   around the change, keep the result if better. Stops after ``patience`` rounds without
   improvement, on the time limit, or when the objective meets the bound.

The returned vector is checked against the model arrays (rows, bounds, integrality); a violation
raises :class:`~sitecircle.errors.SolveError` (a bug guard). Runs are deterministic for a seed
unless the time limit cuts a phase short.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sitecircle._search import Search
from sitecircle._structure import Structure, column_sums, decode, gather, segment_sums
from sitecircle.errors import SolveError
from sitecircle.model import LinearModel
from sitecircle.solution_status import Status

_F = NDArray[np.float64]
_I = NDArray[np.int64]
#: Tolerance of the final feasibility check (relative to each row's bound).
CHECK_TOLERANCE = 1e-9
BoundMethod = Literal["auto", "lagrangian", "lp", "none"]
#: The perturbation's refill draws each column among this many best candidates.
REFILL_TOP = 5


@dataclass(frozen=True)
class HeuristicResult:
    """Outcome of :func:`heuristic_solve`.

    Parameters
    ----------
    status
        ``optimal`` when the bound meets the objective, ``feasible`` otherwise, ``no_solution``
        when the greedy could not satisfy a ``min_cost`` model within its limits.
    values
        Full variable vector (``x``, ``u``, ``y``/``z``), feasible for the model, or None.
    objective
        Model objective of ``values`` (offset included), or None.
    bound
        A valid bound on the optimum (upper for max, lower for min), or None.
    seconds
        Wall time.
    iterations
        Improving moves applied after the greedy (swaps, drops, fills, kept perturbations).
    phase_log
        One record per phase: ``phase``, ``seconds``, ``objective`` and phase details.
    message
        Human-readable remark (why there is no solution, what stopped the search).
    """

    status: Status
    values: _F | None
    objective: float | None
    bound: float | None
    seconds: float
    iterations: int
    phase_log: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""

    @property
    def gap(self) -> float | None:
        """``|bound - objective| / |objective|`` (0 when both are 0; None when undefined)."""
        if self.objective is None or self.bound is None:
            return None
        diff = abs(self.bound - self.objective)
        if diff <= 1e-9 * max(1.0, abs(self.objective)):
            return 0.0
        return None if self.objective == 0 else diff / abs(self.objective)


class _Clock:
    def __init__(self, limit: float | None) -> None:
        self.start = time.perf_counter()
        self.limit = limit

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def deadline(self, share: float) -> float:
        return float("inf") if self.limit is None else self.start + share * self.limit

    def now(self) -> float:
        return time.perf_counter()


def _tol(value: float) -> float:
    return 1e-9 * max(1.0, abs(value))


# ---------------------------------------------------------------------------- greedy
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


def _rank_cost(s: Search, cols: _I, mode: Mode) -> _F:
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
    """:func:`_rank_cost` of one column (scalar hot path)."""
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


def _key(benefit: _F, cost: _F) -> _F:
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
    keys = _key(init, _rank_cost(s, closed, mode))
    live = init > 0
    heap = list(zip((-keys[live]).tolist(), closed[live].tolist(), strict=True))
    heapq.heapify(heap)
    opened = 0
    while heap and not _done(s):
        if opened % 64 == 0 and time.perf_counter() > deadline:
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
                kk = _key(bb, _rank_cost(s, cols, mode))
                for kv, c in zip((-kk[bb > 0]).tolist(), cols[bb > 0].tolist(), strict=True):
                    heapq.heappush(heap, (kv, c))
    return opened


def _loss_now(s: Search, cols: _I) -> _F:
    """Weight of the rows only each open column covers (no bookkeeping needed)."""
    seg, rows = gather(s.st.col_ptr, s.st.col_rows, cols)
    w = np.where(s.count[rows] == 1, s.st.group_value[s.st.row_group[rows]], 0.0)
    return segment_sums(seg, w, len(cols))


def _conflicts(s: Search, b: int) -> _I:
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
        if s.feasible() or time.perf_counter() > deadline:
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
        key = _key(_benefit(s, cols), _rank_cost(s, cols, mode))
        b = int(cols[np.argmax(key)])
        while not s.fits(np.array([b]))[0]:
            blocking = _conflicts(s, b)
            if len(blocking) == 0:
                break
            s.remove(int(blocking[np.argmin(_loss_now(s, blocking))]))
        if not s.fits(np.array([b]))[0]:
            break
        s.add(b)
        greedy(s, mode=mode, deadline=deadline)
    return s.feasible()


# ---------------------------------------------------------------------------- local search
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
        cand = np.flatnonzero(gain > loss + _tol(loss))
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
    if better[i] <= _tol(saving):
        return None
    return int(cand[i]), float(better[i])


def _fill(s: Search, deadline: float) -> int:
    """``max_*``: open any column that still fits and gains (best gain per budget first)."""
    added = 0
    while time.perf_counter() < deadline:
        cand = np.flatnonzero((s.gain > _tol(0.0)) & ~s.is_open)
        if len(cand) == 0:
            break
        cand = cand[s.fits(cand)]
        if len(cand) == 0:
            break
        key = _key(s.gain[cand], _rank_cost(s, cand, "ratio"))
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
            if time.perf_counter() > deadline:
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


# ---------------------------------------------------------------------------- perturbation
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
        best = int(cols[np.argmax(_key(s.score[cols], _rank_cost(s, cols, "ratio")))])
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
        blocking = _conflicts(s, b)
        if len(blocking) == 0:
            return np.asarray(dropped, dtype=np.int64)
        worst = int(blocking[np.argmin(s.loss[blocking] - 1e-9 * st.cost_x[blocking])])
        s.remove(worst)
        dropped.append(worst)
    s.add(b)
    return np.asarray([*dropped, b], dtype=np.int64)


def refill(s: Search, rng: np.random.Generator, *, mode: Mode, top: int,
           deadline: float) -> _I:
    """Greedy refill from the maintained arrays, each step drawn among the ``top`` best keys."""
    st = s.st
    added: list[int] = []
    while not _done(s) and time.perf_counter() < deadline:
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
        key = _key(benefit[cand], _rank_cost(s, cand, mode))
        k = min(top, len(cand))
        pick = np.argpartition(-key, k - 1)[:k] if k < len(cand) else np.arange(len(cand))
        pick = pick[np.argsort(-key[pick], kind="stable")]
        j = int(cand[pick[int(rng.integers(k))]])
        s.add(j)
        added.append(j)
    return np.asarray(added, dtype=np.int64)


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


def _better(st: Structure, new: float, old: float) -> bool:
    if st.kind == "max":
        return new > old + _tol(old)
    return new < old - _tol(old)


def perturb(
    s: Search, rng: np.random.Generator, *, deadline: float, patience: int, max_rounds: int,
    stop_at: float | None,
) -> tuple[int, int]:
    """Iterated local search; returns ``(rounds, improvements)`` and leaves the best in ``s``.

    A round kicks the current solution (:func:`_kick`) and re-runs the local search around the
    change. The new local optimum replaces the current one when it is within a threshold of the
    best, ``best - eta (best - mean of recent local optima)``, with ``eta`` adapted every 20
    rounds towards an acceptance rate of 30 % (the acceptance rule of Máximo, Cordeau and
    Nascimento's AILS); the search returns to the best after ``patience // 3`` rounds without
    improvement.
    """
    st = s.st
    sign = 1.0 if st.kind == "max" else -1.0
    best_open = s.is_open.copy()
    best = s.objective()
    current_open = best_open
    rounds = improvements = since = accepted = 0
    mean, eta = best, 0.2
    max_size = max(2, min(10, len(s.open_columns()) // 5))
    restart = max(1, patience // 3)
    while rounds < max_rounds and since < patience and time.perf_counter() < deadline:
        if stop_at is not None and not _better(st, stop_at, best):
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
        if feasible and _better(st, value, best):
            best, best_open = value, s.is_open.copy()
            current_open = best_open
            improvements += 1
            accepted += 1
            since = 0
        elif feasible and sign * (value - threshold) >= -_tol(best):
            current_open = s.is_open.copy()
            accepted += 1
        else:
            s.restore(current_open)
        if rounds % 20 == 0:
            eta = min(1.0, eta * 1.25 + 0.01) if accepted < 6 else eta * 0.8
            accepted = 0
        if since and since % restart == 0:
            s.restore(best_open)
            current_open = best_open
    s.restore(best_open)
    return rounds, improvements


# ---------------------------------------------------------------------------- Lagrangian primal
def lagrangian_primal(
    s: Search, deadline: float, counter: dict[str, int]
) -> Callable[[_F, _I], float | None]:
    """A Lagrangian heuristic for :func:`sitecircle.bounds.lagrangian`.

    From the relaxed subproblem's columns (best Lagrangian profit or reduced cost first), open
    those that fit, complete with the greedy, and, when that beats ``s``, move ``s`` there and
    re-run the local search. Returns the objective of ``s``.
    """
    st = s.st

    def build(profit: _F, support: _I) -> float | None:
        if time.perf_counter() > deadline:
            return None
        trial = Search(st)
        if st.kind == "max":
            key = _key(profit[support], _rank_cost(trial, support, "ratio"))
            order = support[np.argsort(-key, kind="stable")]
        else:
            order = support[np.argsort(profit[support], kind="stable")]
        for j in order.tolist():
            if trial.fits(np.array([j]))[0]:
                trial.add(j)
        greedy(trial, mode="ratio", deadline=deadline)
        if trial.feasible() and _better(st, trial.objective(), s.objective()):
            s.restore(trial.is_open)
            local_search(s, deadline=deadline)
            counter["improvements"] += 1
        counter["calls"] += 1
        return s.objective() if s.feasible() else None

    return build


# ---------------------------------------------------------------------------- checks and API
def check_values(model: LinearModel, values: _F) -> list[str]:
    """Violations of a variable vector against the model arrays (empty when feasible).

    Parameters
    ----------
    model
        The model.
    values
        Full variable vector.

    Returns
    -------
    list of str
        Broken rows, bounds or integrality, at most five of each kind.
    """
    out: list[str] = []
    if values.shape != (model.n_vars,):
        return [f"vector has shape {values.shape}, the model has {model.n_vars} variables"]
    act = model.A @ values
    lo, hi = model.row_lower, model.row_upper
    tol_lo = CHECK_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isfinite(lo), lo, 0.0)))
    tol_hi = CHECK_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isfinite(hi), hi, 0.0)))
    bad = np.flatnonzero((act < lo - tol_lo) | (act > hi + tol_hi))
    for i in bad[:5].tolist():
        name = next((n for n, sl in model.row_blocks.items() if sl.start <= i < sl.stop), "?")
        out.append(f"row {i} ({name}): {act[i]:.10g} not in [{lo[i]:g}, {hi[i]:g}]")
    bad_col = np.flatnonzero((values < model.col_lower - CHECK_TOLERANCE)
                             | (values > model.col_upper + CHECK_TOLERANCE))
    out += [f"variable {i} = {values[i]:g} outside its bounds" for i in bad_col[:5]]
    frac = np.flatnonzero(model.integrality & (np.abs(values - np.round(values)) > 0))
    out += [f"integer variable {i} = {values[i]:g}" for i in frac[:5]]
    return out


def _log(log: list[dict[str, Any]], phase: str, t0: float, s: Search, **extra: Any) -> None:
    log.append({"phase": phase, "seconds": round(time.perf_counter() - t0, 4),
                "objective": s.objective() if s.feasible() else None, **extra})


def heuristic_solve(
    model: LinearModel,
    *,
    time_limit_s: float | None = None,
    seed: int = 0,
    max_swaps: int | None = None,
    bound: BoundMethod = "auto",
    patience: int | None = None,
    max_rounds: int | None = None,
) -> HeuristicResult:
    """Find a good feasible solution of the model quickly, with a bound (module docstring).

    Parameters
    ----------
    model
        A model from :func:`~sitecircle.model.build_model` (any objective and limits).
    time_limit_s
        Wall-clock limit in seconds (None: run every phase to its own stopping rule). With a
        limit, the local search may use up to 50 %, the perturbation up to 75 % and the bound
        the rest.
    seed
        Seed of the perturbation phase.
    max_swaps
        Cap on the local-search moves after the greedy (None: until no move improves).
    bound
        ``"lagrangian"``, ``"lp"`` (HiGHS LP relaxation), ``"auto"`` (Lagrangian, then the LP
        when the gap is still open and the model is small) or ``"none"``.
    patience
        Perturbation rounds without improvement before stopping (None: 100 without a time
        limit, unlimited with one, so the phase uses its share of the time).
    max_rounds
        Cap on perturbation rounds (0 disables the phase; None: 1000 without a time limit,
        unlimited with one).

    Returns
    -------
    HeuristicResult
        Status, values, objective, bound, timings and the phase log.

    Raises
    ------
    SolveError
        If the vector found violates the model (a bug in the heuristic).
    NotImplementedError
        If the model's structure is not the one :func:`~sitecircle.model.build_model` writes.
    """
    from sitecircle.bounds import best_bound

    clock = _Clock(time_limit_s)
    log: list[dict[str, Any]] = []
    t = clock.now()
    st = decode(model)
    s = Search(st)
    log.append({"phase": "decode", "seconds": round(clock.now() - t, 4), "rows": st.n_rows,
                "columns": st.n_x, "nonzeros": len(st.col_rows)})

    t = clock.now()
    runs = []
    for mode in greedy_modes(st):
        trial = Search(st)
        greedy(trial, mode=mode, deadline=clock.deadline(0.4))
        runs.append((mode, trial))
        if clock.now() > clock.deadline(0.3):
            break
    feasible = [r for r in runs if r[1].feasible()]
    if feasible:
        best_mode, s = feasible[0]
        for mode, trial in feasible[1:]:
            if _better(st, trial.objective(), s.objective()):
                best_mode, s = mode, trial
    else:
        best_mode, s = runs[0]
        repair(s, mode=best_mode, deadline=clock.deadline(0.45), max_steps=2 * st.n_rows + 10)
    _log(log, "greedy", t, s, open=int(s.is_open.sum()), mode=best_mode,
         tried=[m for m, _ in runs])
    if not s.feasible():
        msg = ("the greedy could not meet the coverage requirements within the limits (budget, "
               "max_new, max_categories); this does not prove the model infeasible: try an "
               "exact engine")
        return HeuristicResult(Status.NO_SOLUTION, None, None, None, clock.elapsed(), 0, log, msg)

    t = clock.now()
    s.start_bookkeeping()
    moves = local_search(s, deadline=clock.deadline(0.5), max_moves=max_swaps)
    _log(log, "local_search", t, s, moves=moves)

    bound_value: float | None = None
    multipliers: _F | None = None
    counter = {"calls": 0, "improvements": 0}
    # Subgradient iterations per bound phase: more when they are cheap.
    iterations = int(np.clip(2e8 / max(len(st.col_rows), 1), 150, 2000))
    if bound != "none":
        t = clock.now()
        bound_value, multipliers = best_bound(
            st, s, method=bound, deadline=clock.deadline(0.6), start=None, iterations=iterations,
            primal=lagrangian_primal(s, clock.deadline(0.6), counter))
        _log(log, "bound", t, s, bound=bound_value, **counter)
        moves += counter["improvements"]

    rounds = 0
    if max_rounds is None:
        max_rounds = 1000 if time_limit_s is None else 1 << 30
    if patience is None:
        patience = 100 if time_limit_s is None else max_rounds
    if max_rounds > 0 and (max_swaps is None or moves < max_swaps):
        t = clock.now()
        rounds, kept = perturb(s, np.random.default_rng(seed), deadline=clock.deadline(0.75),
                               patience=patience, max_rounds=max_rounds, stop_at=bound_value)
        moves += kept
        _log(log, "perturb", t, s, rounds=rounds, improvements=kept)

    objective = s.objective()
    if bound != "none" and (bound_value is None or abs(bound_value - objective) > _tol(objective)):
        t = clock.now()
        counter = {"calls": 0, "improvements": 0}
        again, _ = best_bound(st, s, method=bound, deadline=clock.deadline(0.97),
                              start=multipliers, iterations=iterations,
                              primal=lagrangian_primal(s, clock.deadline(0.9), counter))
        if again is not None and (bound_value is None or _better(st, bound_value, again)):
            bound_value = again
        moves += counter["improvements"]
        _log(log, "bound", t, s, bound=bound_value, **counter)

    values = s.values()
    problems = check_values(model, values)
    if problems:
        msg = "heuristic produced an infeasible vector (a bug): " + "; ".join(problems[:5])
        raise SolveError(msg)
    objective = model.objective_value(values)
    status = Status.FEASIBLE
    if bound_value is not None and abs(bound_value - objective) <= _tol(objective):
        status = Status.OPTIMAL
    return HeuristicResult(status, values, objective, bound_value, clock.elapsed(), moves, log,
                           f"{rounds} perturbation rounds")
