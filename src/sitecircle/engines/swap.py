r"""Fast interchange for the p-facility maximal covering model (MCLP), with a swap-profit matrix.

The heuristic's general interchange (:mod:`sitecircle.engines.localsearch`) evaluates, per open
column, every closed column to swap in. For the classic MCLP — maximise covered demand with at
most ``p`` open columns, every group one row (``max_coverage``), a single count limit and no site
open costs — the profit of *every* swap is kept in arrays instead (the fast interchange of
Whitaker 1983 and Resende & Werneck 2004, written for coverage). With ``w_r`` the demand of
cover row ``r``, ``c_r`` the number of open columns covering it and ``N(j)`` the rows of column
``j``:

.. math::

    \text{gain}_j = \sum_{r \in N(j),\, c_r = 0} w_r, \qquad
    \text{loss}_i = \sum_{r \in N(i),\, c_r = 1} w_r, \qquad
    \text{extra}_{i j} = \sum_{r \in N(i) \cap N(j),\, c_r = 1} w_r ,

and closing open ``i`` while opening closed ``j`` changes the objective by
``gain_j - loss_i + extra_ij`` (the rows only ``i`` covers and ``j`` also covers stay covered).
``extra`` is a dense ``p × n`` array (one row per open *slot*); a move updates only the rows whose
count crosses 0/1/2 and adds their demand to the columns of those rows (CSR access), so the best
of all ``p (n - p)`` swaps is one ``argmax`` over an array. The owner of a row covered once is
read from ``owner_sum[r]``, the sum of the indices of the open columns covering ``r``.

On top of it, :func:`swap_ils` is an adaptive iterated local search in the spirit of AILS-MCLP
(Máximo, Cordeau & Nascimento 2023): remove ``d`` open columns (a random one and ``d - 1`` of
the open columns sharing the most demand with it; :data:`RANDOM_KICKS` of the kicks remove
random ones instead), refill drawing each column among the :data:`REFILL_CHOICES` best gains,
run the interchange to a local optimum; accept by the threshold rule (best − η (best − mean
of recent local optima), η adapted towards an acceptance rate of about a quarter). The
perturbation degree ``d`` adapts as AILS adapts its ω: the number of columns a round actually
changed is averaged, and ``d`` is scaled towards :data:`TARGET_DISTANCE` changed columns
(rounds the interchange undoes entirely make ``d`` grow); a search that has not improved for
:data:`STALL_STEP` rounds aims at twice the distance (and allows twice the degree), three times
after twice as many. Every 50th round path-relinks the
current solution towards an elite solution (a pool of the eight best distinct local optima): it
swaps in, one at a time, the missing elite column with the best profit against the open
non-elite columns, and keeps the best point of the path; after 500 rounds without improvement
the search restarts from an elite solution. The last moments (at most :data:`SUBMIP_SECONDS`,
5 % of the search's time) go to a restricted sub-MIP over the elite pool
(:mod:`sitecircle.engines.submip`): HiGHS picks the ``p`` columns among the elite plans' columns
and the best-profit others; it never replaces the best plan by a worse one.

Measured and left out (40 s runs, Kings p = 70 and San Francisco p = 60, two seeds, the two
versions side by side): the sub-MIP during the search (every 1000 rounds without improvement,
3 s each) ended equal or lower, the search time it took cost more than it found; new
trajectories after 1500 or 3000 rounds without improvement, from the best plan with ``p/6`` to
``p/2`` columns replaced, ended equal on three runs of four and lower on one. The search
stalls rather than runs slowly: on Kings p = 70 (seed 1) the last improvement came after 2,257
of 9,459 rounds. Growing the distance when stalled (40 s, side by side, seven runs on Kings
p = 60/70/80 and San Francisco p = 60/70): Kings p = 70 seed 1 2,378,025 → 2,379,660, Kings
p = 80 2,465,305 → 2,465,600, Kings p = 60 2,225,607 → 2,225,012, four equal.

Where the time goes (Kings p = 60: 7,704 rows × 6,961 columns, 104 rows a column; a round is
about 6.5 :meth:`SwapState.best_swap` scans and 23 single moves). The moves, the scan and the
refill's choice are compiled loops (:mod:`sitecircle.engines.swap_kernels`); with integer
demands the scan reads only each slot's list of nonzero ``extra`` entries (about 4 % of the
``p × n`` array on Kings p = 70). Kings p = 70, 2,000 rounds, the same moves as the NumPy
version: one move 100 → 18 µs, one scan 160 → 28 µs, a round 3.9 → 1.3 ms. Most
rounds are undone by the interchange (Kings p = 70, seed 0, 3,000 rounds: 63 % end at the
plan they started from, the degree sits at its cap). Measured and left out: keeping the
removed columns closed until the interchange settles, then a free interchange (a tabu kick).
It halves the undone rounds (63 % → 32 %) and, at 2,000 rounds, lowers the mean shortfall
from the best-known over Kings p = 70, San Francisco p = 60 and Bronx p = 60, seeds 0-3 from
0.19 % to 0.14 % (7 better, 5 worse), but a round costs more: at equal time (20 s and 30 s,
six hard cases, seeds 0 and 1, side by side, load 2.5-3.7) it was better on 4 of 12 runs,
worse on 8, mean shortfall 0.123 % → 0.152 %. Windows solved exactly (8 or 14 neighbouring
open columns freed with every column covering mostly their rows, HiGHS, 0.5-11 s each) found
nothing on a Kings p = 60 plan 0.138 % short: its best-known plan differs in 44 of 60
columns, so the remaining shortfall is a different arrangement over the whole city, not a
local one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.search import Search, improves, tolerance
from sitecircle.engines.shared_plan import SharedPlan
from sitecircle.engines.structure import Structure, column_sums, gather
from sitecircle.engines.submip import free_columns, restricted_mip
from sitecircle.engines.swap_kernels import kernels
from sitecircle.stopping import past, stop_requested

_F = NDArray[np.float64]
_I = NDArray[np.int64]
_B = NDArray[np.bool_]
#: Upper bound on ``p × n`` for the dense swap-profit array (8 bytes each: 400 MB).
MAX_EXTRA_ENTRIES = 50_000_000
#: Columns a round should change on average (the perturbation degree adapts towards it).
TARGET_DISTANCE = 4.0
#: Rounds without improvement after which the aimed distance and the largest degree grow by
#: one more multiple (of :data:`TARGET_DISTANCE` and :data:`MAX_DEGREE`), up to
#: :data:`STALL_LEVELS` times.
STALL_STEP = 1000
STALL_LEVELS = 3
#: Largest perturbation degree (and at most ``p // 3``).
MAX_DEGREE = 8
#: Share of kicks that close random open columns (the others close a cluster of neighbours).
#: Measured in 10-12 s runs, two seeds each: clusters beat random kicks (NewYork p = 80, Bronx
#: p = 60) but clusters alone get stuck on NewYork p = 50; a quarter of random kicks did best.
RANDOM_KICKS = 0.25
#: The refill after a kick draws each column among this many best (weighted by gain).
REFILL_CHOICES = 5
#: A round of :func:`swap_ils` is far cheaper than one of the general perturbation, so the
#: heuristic's ``patience`` and ``max_rounds`` count this many swap rounds each.
PATIENCE_FACTOR = 10
#: ``fresh_after`` of the helper's search (:func:`swap_ils`). Measured on single 40 s searches
#: (Kings p = 70/80, San Francisco p = 60/70, twelve case-seed pairs, side by side with none):
#: 5 higher (San Francisco p = 70 seed 3 out of a stall at 732,352 that lasted the whole run;
#: Kings p = 70 seed 3 reached the best-known value), 4 equal, 3 lower (Kings p = 80 prefers
#: one long trajectory); 2,000 rounds was no better. Hence a portfolio: the main process keeps
#: one trajectory, the helper restarts.
FRESH_AFTER = 5000
#: Rounds between two looks at the other search's best plan (``adopt_from`` of
#: :func:`swap_ils`; about half a second on Kings p = 70).
ADOPT_EVERY = 500
#: Time limit of the final sub-MIP in seconds (and at most 5 % of the search's time).
SUBMIP_SECONDS = 3.0
#: The sub-MIP frees the elite pool's columns plus between ``SUBMIP_EXTRA`` × ``p`` and twice
#: as many other columns (best swap profit against the incumbent first).
SUBMIP_EXTRA = 6


def swap_limit(st: Structure) -> int | None:
    """``p`` when ``st`` is a plain MCLP the swap engine handles, else None.

    Plain: ``max`` objective with one row per group, no site open costs, exactly one limit row
    that counts every column with coefficient 1, and a dense ``p × n`` array of acceptable size.
    """
    if st.kind != "max" or not st.singleton or st.n_u or len(st.sides) != 1:
        return None
    side = st.sides[0]
    if not side.unit or len(side.upper) != 1 or not np.all(side.row_x >= 0):
        return None
    p = int(math.floor(float(side.upper[0]) + 1e-9))
    if p < 1 or p >= st.n_x or p * st.n_x > MAX_EXTRA_ENTRIES:
        return None
    return p


class SwapState:
    """One MCLP solution with ``gain``, ``loss`` and the swap-profit array (module docstring).

    Parameters
    ----------
    st
        The decoded model (:func:`swap_limit` must accept it).
    p
        Number of columns that may be open.
    """

    def __init__(self, st: Structure, p: int) -> None:
        self.st = st
        self.p = p
        self.n = st.n_x
        self.w = st.group_value[st.row_group].astype(np.float64)
        self.count = np.zeros(st.n_rows, np.int64)
        self.owner_sum = np.zeros(st.n_rows, np.int64)
        self.gain = column_sums(st, self.w)
        self.loss = np.zeros(self.n)
        self.extra = np.zeros((p, self.n))
        self.slot_of = np.full(self.n, -1, np.int64)
        self.col_of = np.full(p, -1, np.int64)
        self.is_open = np.zeros(self.n, bool)
        self.covered = 0.0
        # The x columns of every cover row (CSR, without the rows' y columns): the moves read
        # them without filtering.
        seg, cols = st.row_entries(np.arange(st.n_rows, dtype=np.int64))
        row_len = np.bincount(seg, minlength=st.n_rows).astype(np.int64)
        self._row_ptr = np.concatenate([[0], np.cumsum(row_len)]).astype(np.int64)
        self._row_cols = cols.astype(np.int64)
        # Per slot, the columns whose ``extra`` entry may be nonzero (``listed``: on the list).
        self._listed = np.zeros((p, self.n), bool)
        self._nz_cols = np.zeros((p, self.n), np.int32)
        self._nz_len = np.zeros(p, np.int64)
        #: Integer demands with an exact total: ``extra`` entries are exactly 0 off the lists,
        #: and the evaluation reads the lists only (:func:`~sitecircle.engines.swap_kernels.
        #: best_move`).
        self.exact = bool(np.all(self.w == np.round(self.w)) and self.w.sum() < 2.0**52)
        self._kernels = kernels()
        # Every array a move updates in place (the kernels' arguments after the column).
        self._arrays = (st.col_ptr, st.col_rows, self._row_ptr, self._row_cols, self.w,
                        self.count, self.owner_sum, self.gain, self.loss, self.extra,
                        self.slot_of, self.col_of, self.is_open, self._listed, self._nz_cols,
                        self._nz_len)

    # ------------------------------------------------------------------ moves
    def rows(self, j: int) -> NDArray[np.int32]:
        """Cover rows of column ``j`` (a view of the column pattern)."""
        st = self.st
        return st.col_rows[st.col_ptr[j]:st.col_ptr[j + 1]]

    def entries(self, rows: _I | NDArray[np.int32]) -> tuple[_I, _I]:
        """``x`` columns of the given cover rows: ``(seg, cols)`` as in
        :meth:`~sitecircle.engines.structure.Structure.row_entries`."""
        return gather(self._row_ptr, self._row_cols, np.asarray(rows, np.int64))

    def add(self, j: int) -> None:
        """Open column ``j`` (a free slot must exist; :func:`~sitecircle.engines.swap_kernels.
        open_column`)."""
        self.covered += self._kernels.open_column(j, *self._arrays)

    def remove(self, j: int) -> None:
        """Close open column ``j`` (:func:`~sitecircle.engines.swap_kernels.close_column`)."""
        self.covered -= self._kernels.close_column(j, *self._arrays)

    def restore(self, target: _B) -> None:
        """Move to the solution whose open columns are ``target`` (only the differences)."""
        for j in np.flatnonzero(self.is_open & ~target).tolist():
            self.remove(j)
        for j in np.flatnonzero(target & ~self.is_open).tolist():
            self.add(j)

    def objective(self) -> float:
        """Covered demand, recomputed from the counts."""
        return float(self.w[self.count > 0].sum())

    # ------------------------------------------------------------------ evaluation
    def best_closed(self, banned: _B, out: _I) -> int:
        """The closed, not banned columns of largest ``gain`` (at most ``len(out)``, largest
        first, into ``out``); returns how many."""
        return int(self._kernels.best_closed(self.gain, self.is_open, banned, out))

    def best_swap(self) -> tuple[int, int, float]:
        """The best move ``(close, open, change)``: a swap, or an addition (close = -1) while a
        slot is free.

        Open columns are not masked out of the swaps: for an open ``j`` the rows of ``j`` are
        covered, so ``gain_j = 0`` and ``extra_ij = 0`` (``i != j``; ``extra_ii = loss_i``),
        and the change ``-loss_i`` or 0 is never an improving move. Callers apply a move only
        when its change is positive.
        """
        a, b, change = self._kernels.best_move(self.gain, self.loss, self.extra, self.col_of,
                                               self.is_open, self._listed, self._nz_cols,
                                               self._nz_len, self.exact)
        return int(a), int(b), float(change)


def reached(value: float, ceiling: float) -> bool:
    """Whether ``value`` meets ``ceiling`` (a bound or the total demand; ``inf``: never)."""
    return math.isfinite(ceiling) and value >= ceiling - tolerance(ceiling)


def swap_search(state: SwapState, *, deadline: float = float("inf"),
                stop_at: float = float("inf")) -> int:
    """Best-improvement interchange (and additions while a slot is free) to a local optimum.

    Returns
    -------
    int
        Moves applied.
    """
    moves = 0
    while not past(deadline) and not reached(state.covered, stop_at):
        a, b, change = state.best_swap()
        if change <= tolerance(state.covered):
            break
        if a >= 0:
            state.remove(a)
        state.add(b)
        moves += 1
    return moves


@dataclass
class _Elite:
    """The best distinct local optima (at most ``size``), best first."""

    size: int
    values: list[float] = field(default_factory=list)
    sets: list[_B] = field(default_factory=list)

    def offer(self, value: float, is_open: _B) -> None:
        for k, other in enumerate(self.sets):
            if np.array_equal(other, is_open):
                return
            if value > self.values[k]:
                self.values.insert(k, value)
                self.sets.insert(k, is_open.copy())
                del self.values[self.size:], self.sets[self.size:]
                return
        if len(self.sets) < self.size:
            self.values.append(value)
            self.sets.append(is_open.copy())


def _neighbours(state: SwapState, a: int) -> _I:
    """Open columns sharing a row with ``a``, most shared demand first (``a`` excluded)."""
    slots = np.flatnonzero(state.col_of >= 0)
    cols = state.col_of[slots]
    rows = state.rows(a)
    seg, near = state.entries(rows)
    shared = np.bincount(near, weights=state.w[rows][seg], minlength=state.n)[cols]
    keep = (shared > 0) & (cols != a)
    out: _I = cols[keep][np.argsort(-shared[keep], kind="stable")]
    return out


def _kick(state: SwapState, rng: np.random.Generator, degree: int) -> None:
    """Remove ``degree`` open columns (random, or one and its neighbours), refill from the best
    three candidates at each step."""
    opened = np.flatnonzero(state.is_open)
    degree = min(degree, len(opened))
    if rng.random() < RANDOM_KICKS:
        drop = rng.choice(opened, size=degree, replace=False)
    else:
        a = int(rng.choice(opened))
        near = _neighbours(state, a)[: 2 * degree]
        extra = rng.choice(near, size=min(degree - 1, len(near)), replace=False)
        drop = np.concatenate([[a], extra]).astype(np.int64)
    for j in drop.tolist():
        state.remove(j)
    banned = np.zeros(state.n, bool)
    banned[drop] = rng.random(len(drop)) < 0.8  # mostly not straight back
    _refill(state, rng, banned)


def _refill(state: SwapState, rng: np.random.Generator, banned: _B) -> None:
    """Open columns until ``p`` are open, each drawn among the :data:`REFILL_CHOICES` closed,
    not ``banned`` columns of best gain (weighted by gain)."""
    top = np.empty(min(REFILL_CHOICES, state.n), np.int64)  # fewer columns on tiny models
    for _ in range(state.p - int(np.count_nonzero(state.is_open))):
        found = state.best_closed(banned, top)
        if found == 0:
            break
        weights = np.maximum(state.gain[top[:found]], 0.0) + 1e-12
        state.add(int(rng.choice(top[:found], p=weights / weights.sum())))


def _fresh_start(state: SwapState, rng: np.random.Generator) -> None:
    """A new trajectory's start: every column closed, then ``p`` columns opened one at a time,
    each drawn among the :data:`REFILL_CHOICES` best gains (weighted by gain)."""
    state.restore(np.zeros(state.n, bool))
    _refill(state, rng, np.zeros(state.n, bool))


def _adopt(state: SwapState, board: SharedPlan, best: float, deadline: float,
           ceiling: float) -> bool:
    """Move ``state`` to the plan on ``board`` (then to its local optimum) when that plan is
    better than ``best``; whether it did."""
    got = board.read()
    offset = state.st.model.offset
    if got is None or not got[0] - offset > best + tolerance(best):
        return False
    target = np.zeros(state.n, bool)
    target[got[1]] = True
    state.restore(target)
    swap_search(state, deadline=deadline, stop_at=ceiling)
    return state.covered > best + tolerance(best)


def _relink(state: SwapState, guide: _B, deadline: float) -> None:
    """Walk from the current solution towards ``guide``: open its missing columns one at a time,
    each closing the open non-guide column that costs least; the best point is kept."""
    best_value, best_open = state.covered, state.is_open.copy()
    while not past(deadline):
        todo = np.flatnonzero(guide & ~state.is_open)
        if len(todo) <= 1:
            break
        slots = np.flatnonzero(state.col_of >= 0)
        mine = ~guide[state.col_of[slots]]
        profit = state.extra[np.ix_(slots[mine], todo)] + state.gain[todo]
        profit -= state.loss[state.col_of[slots[mine]]][:, None]
        k = int(np.argmax(profit))
        a, b = divmod(k, len(todo))
        state.remove(int(state.col_of[slots[mine][a]]))
        state.add(int(todo[b]))
        if state.covered > best_value + tolerance(best_value):
            best_value, best_open = state.covered, state.is_open.copy()
    state.restore(best_open)


def _sub_mip(state: SwapState, elite: _Elite, rng: np.random.Generator,
             deadline: float) -> bool:
    """Restricted sub-MIP around the elite pool (:mod:`sitecircle.engines.submip`).

    Frees the columns of the elite solutions and the closed columns with the best swap profit
    against the best one (``p`` × :data:`SUBMIP_EXTRA` to twice as many), fixes nothing open
    (measured on Kings p = 60: fixing the columns all eight elite plans open left about ten
    slots free and found nothing; freeing them found +47 to +884), and lets HiGHS choose the
    ``p`` columns among them (at most :data:`SUBMIP_SECONDS`, and 80 % of the time left before
    ``deadline``, the rest for an interchange pass after it). Leaves
    ``state`` at the improved plan (after an interchange pass) and returns True, or at the best
    elite plan and returns False.
    """
    seconds = min(SUBMIP_SECONDS, 0.8 * (deadline - time.perf_counter()))
    state.restore(elite.sets[0])
    if seconds < 0.2:
        return False
    profit = state.extra + state.gain
    profit -= state.loss[state.col_of][:, None]
    extra = int(rng.integers(SUBMIP_EXTRA * state.p, 2 * SUBMIP_EXTRA * state.p + 1))
    fixed_open, free = free_columns(elite.sets, profit.max(axis=0), extra)
    plan = restricted_mip(state.st, state.w, state.p, np.zeros_like(fixed_open),
                          free | fixed_open, elite.values[0], seconds)
    if plan is None:
        return False
    state.restore(plan)
    swap_search(state, deadline=deadline)
    return state.covered > elite.values[0] + tolerance(elite.values[0])


def swap_ils(
    s: Search, rng: np.random.Generator, *, p: int, deadline: float, patience: int,
    max_rounds: int, stop_at: float | None, fresh_after: int | None = None,
    publish_to: SharedPlan | None = None, adopt_from: SharedPlan | None = None,
) -> tuple[int, int]:
    """Adaptive iterated local search on the swap array; the best solution is left in ``s``.

    Parameters
    ----------
    s
        The heuristic's search state (its open columns are the start; bookkeeping optional).
    p
        The count limit (:func:`swap_limit`).
    rng
        Random generator (runs are deterministic for a seed unless ``deadline`` cuts them).
    deadline
        ``time.perf_counter()`` value at which to stop.
    patience
        Rounds of the general perturbation without improvement before stopping; a swap round
        is far smaller, so this search allows :data:`PATIENCE_FACTOR` times as many.
    max_rounds
        Cap on rounds, in the same units (times :data:`PATIENCE_FACTOR` here).
    stop_at
        A bound: stop when the best objective meets it.
    fresh_after
        Rounds without improving the current trajectory's best after which a new trajectory
        starts from a randomised greedy plan (:func:`_fresh_start`), with its own elite pool
        for relinking and returns; the best plan and the final sub-MIP's pool span every
        trajectory. None (default): one trajectory. The heuristic's forked helper uses
        :data:`FRESH_AFTER` (:mod:`sitecircle.engines.swap_parallel`).
    publish_to
        Where to write each new best plan (the forked helper's search).
    adopt_from
        Where another search writes its best plan: every :data:`ADOPT_EVERY` rounds, a better
        plan found there (after an interchange pass) replaces this search's best and becomes
        the current plan (the heuristic's own search, :mod:`sitecircle.engines.shared_plan`).

    Returns
    -------
    tuple of int
        Rounds run and improvements of the best solution.
    """
    st = s.st
    patience, max_rounds = patience * PATIENCE_FACTOR, max_rounds * PATIENCE_FACTOR
    final = deadline  # the last moments are the sub-MIP's
    if math.isfinite(deadline):
        deadline -= min(SUBMIP_SECONDS, 0.05 * max(deadline - time.perf_counter(), 0.0))
    state = SwapState(st, p)
    state.restore(s.is_open)
    offset = st.model.offset
    ceiling = float("inf") if stop_at is None else stop_at - offset
    ceiling = min(ceiling, float(state.w.sum()))
    swap_search(state, deadline=deadline, stop_at=ceiling)
    best, best_open = state.covered, state.is_open.copy()
    elite = _Elite(size=8)  # every trajectory's local optima: the final sub-MIP's pool
    elite.offer(best, best_open)
    pool, trail_best = elite, best  # this trajectory's elite pool and best value
    if publish_to is not None:
        publish_to.publish(best + st.model.offset, best_open)
    current_open = best_open
    mean, eta, accepted = best, 0.2, 0
    # Perturbation degree (float, used rounded) and the distance it aims at between a new local
    # optimum and the solution it came from (columns changed), as AILS adapts omega.
    degree, distance = 1.0, TARGET_DISTANCE
    rounds = improvements = since = stale = 0
    while (rounds < max_rounds and stale < patience and not past(deadline)
           and not reached(best, ceiling)):
        rounds += 1
        since += 1
        stale += 1
        if (adopt_from is not None and rounds % ADOPT_EVERY == 0
                and _adopt(state, adopt_from, best, deadline, ceiling)):
            best = trail_best = state.covered
            best_open = current_open = state.is_open.copy()
            elite.offer(best, best_open)
            pool.offer(best, best_open)
            improvements += 1
            since = stale = 0
            continue
        if fresh_after is not None and since >= fresh_after:
            _fresh_start(state, rng)
            swap_search(state, deadline=deadline, stop_at=ceiling)
            current_open = state.is_open.copy()
            trail_best = mean = state.covered
            pool = _Elite(size=8)
            pool.offer(trail_best, current_open)
            elite.offer(trail_best, current_open)
            since = 0
            if trail_best > best + tolerance(best):  # a new trajectory's start can be the best
                best, best_open = trail_best, current_open
                improvements += 1
                stale = 0
                if publish_to is not None:
                    publish_to.publish(best + st.model.offset, best_open)
            continue
        if rounds % 50 == 0 and len(pool.sets) > 1:
            _relink(state, pool.sets[int(rng.integers(1, len(pool.sets)))], deadline)
        else:
            _kick(state, rng, int(round(degree)))
        swap_search(state, deadline=deadline, stop_at=ceiling)
        value = state.covered
        moved = int(np.count_nonzero(state.is_open & ~current_open))
        level = min(1 + since // STALL_STEP, STALL_LEVELS)
        target = TARGET_DISTANCE * level
        distance += 0.1 * (moved - distance)
        degree = float(np.clip(degree * (target / max(distance, 0.5)) ** 0.1, 1.0,
                               max(2, min(MAX_DEGREE * level, p // 3))))
        if moved == 0:
            continue
        elite.offer(value, state.is_open)
        if pool is not elite:
            pool.offer(value, state.is_open)
        mean += 0.05 * (value - mean)
        if value > best + tolerance(best):
            best, best_open = value, state.is_open.copy()
            improvements += 1
            stale = 0
            if publish_to is not None:
                publish_to.publish(best + st.model.offset, best_open)
        if value > trail_best + tolerance(trail_best):
            trail_best = value
            current_open = state.is_open.copy()
            accepted += 1
            since = 0
        elif value >= trail_best - eta * (trail_best - mean) - tolerance(trail_best):
            current_open = state.is_open.copy()
            accepted += 1
        else:
            state.restore(current_open)
        if rounds % 25 == 0:
            eta = min(1.0, eta * 1.2 + 0.01) if accepted < 6 else eta * 0.8
            accepted = 0
        if since and since % 500 == 0:  # back to the best (or an elite) solution
            state.restore(pool.sets[int(rng.integers(len(pool.sets)))])
            current_open = state.is_open.copy()
    if len(elite.sets) > 1 and not reached(best, ceiling) and not stop_requested() and _sub_mip(
            state, elite, rng, final if math.isfinite(final) else time.perf_counter() + 60.0):
        best, best_open = state.covered, state.is_open.copy()
        improvements += 1
    if improves(st, best + offset, s.objective()):
        s.restore(best_open)
    return rounds, improvements
