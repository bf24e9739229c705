"""The swap search's elite pool, path relinking and restricted sub-MIP.

The elite pool keeps the best distinct plans, best first; relinking never leaves a worse plan
than it started from; the sub-MIP fixes exactly what it is told, keeps the count limit, never
returns a plan that is not strictly better than the incumbent, and with every column free finds
the brute-force optimum.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from sitecircle.engines.submip import free_columns, restricted_mip
from sitecircle.engines.swap import SwapState, _Elite, _relink, _sub_mip, swap_search
from tests.test_swap import _dense, _mclp_doc, _structure


def _value(w: np.ndarray, cover: np.ndarray, plan: np.ndarray) -> float:
    return float(w[cover[:, plan].sum(axis=1) > 0].sum())


def _brute_force(w: np.ndarray, cover: np.ndarray, p: int) -> float:
    n = cover.shape[1]
    best = 0.0
    for cols in combinations(range(n), p):
        plan = np.zeros(n, bool)
        plan[list(cols)] = True
        best = max(best, _value(w, cover, plan))
    return best


def test_elite_pool_keeps_the_best_distinct_plans_best_first() -> None:
    rng = np.random.default_rng(0)
    pool = _Elite(size=3)
    plans = [rng.random(10) < 0.4 for _ in range(6)]
    values = [5.0, 9.0, 7.0, 9.0, 1.0, 8.0]
    for v, plan in zip(values, plans, strict=True):
        pool.offer(v, plan)
    pool.offer(9.0, plans[1])  # the same plan again is not a second entry
    assert pool.values == [9.0, 9.0, 8.0]
    assert len(pool.sets) == 3
    assert np.array_equal(pool.sets[2], plans[5])
    assert len({s.tobytes() for s in pool.sets}) == 3


def test_free_columns_fixes_the_agreement_and_frees_the_rest() -> None:
    a = np.array([1, 1, 0, 0, 0, 0, 0], bool)
    b = np.array([1, 0, 1, 0, 0, 0, 0], bool)
    profit = np.array([0.0, 0.0, 0.0, 1.0, 5.0, 3.0, 2.0])
    fixed, free = free_columns([a, b], profit, 2)
    assert fixed.tolist() == [True, False, False, False, False, False, False]
    assert np.flatnonzero(free).tolist() == [1, 2, 4, 5]  # union minus agreement, 2 best others
    fixed, free = free_columns([a, b], profit, 0)
    assert np.flatnonzero(free).tolist() == [1, 2]


@pytest.mark.parametrize("seed", range(3))
def test_sub_mip_with_every_column_free_finds_the_optimum(seed: int) -> None:
    _, _, st = _structure(_mclp_doc(seed + 40, n=80, m=14, p=4))
    state = SwapState(st, 4)
    cover = _dense(st)
    optimum = _brute_force(state.w, cover, 4)
    nothing, everything = np.zeros(st.n_x, bool), np.ones(st.n_x, bool)
    plan = restricted_mip(st, state.w, 4, nothing, everything, -1.0, 10.0)
    assert plan is not None and int(plan.sum()) <= 4
    assert _value(state.w, cover, plan) == pytest.approx(optimum)
    # The optimum itself cannot be beaten: no plan comes back.
    assert restricted_mip(st, state.w, 4, nothing, everything, optimum, 10.0) is None


@pytest.mark.parametrize("seed", range(4))
def test_sub_mip_respects_what_is_fixed_and_only_returns_better_plans(seed: int) -> None:
    _, _, st = _structure(_mclp_doc(seed + 50, n=150, m=40, p=6))
    state = SwapState(st, 6)
    cover = _dense(st)
    rng = np.random.default_rng(seed)
    start = np.zeros(st.n_x, bool)
    start[rng.choice(st.n_x, size=6, replace=False)] = True
    incumbent = _value(state.w, cover, start)
    fixed = start.copy()
    fixed[np.flatnonzero(start)[:3]] = False  # three open columns fixed, three free
    free = ~start & (rng.random(st.n_x) < 0.5)
    free[np.flatnonzero(start)[:3]] = True
    plan = restricted_mip(st, state.w, 6, fixed, free, incumbent, 10.0)
    if plan is None:  # then no plan of the restricted set beats the start
        restricted = np.flatnonzero(free)
        for cols in combinations(restricted.tolist(), 3):
            trial = fixed.copy()
            trial[list(cols)] = True
            assert _value(state.w, cover, trial) <= incumbent + 1e-9
        return
    assert int(plan.sum()) <= 6
    assert np.all(plan[fixed])  # fixed open stays open
    assert not np.any(plan & ~fixed & ~free)  # nothing outside the free set opens
    assert _value(state.w, cover, plan) > incumbent


@pytest.mark.parametrize("seed", range(3))
def test_relinking_and_the_sub_mip_step_never_end_worse(seed: int) -> None:
    _, _, st = _structure(_mclp_doc(seed + 60, n=200, m=60, p=8))
    cover = _dense(st)
    rng = np.random.default_rng(seed)
    pool = _Elite(size=4)
    state = SwapState(st, 8)
    for _ in range(4):
        plan = np.zeros(st.n_x, bool)
        plan[rng.choice(st.n_x, size=8, replace=False)] = True
        state.restore(plan)
        swap_search(state)
        pool.offer(state.covered, state.is_open)
    start_plan = pool.sets[-1].copy()
    state.restore(start_plan)
    start = state.covered
    _relink(state, pool.sets[0], deadline=float("inf"))
    assert state.covered >= start - 1e-9
    assert int(state.is_open.sum()) == 8
    assert state.covered == pytest.approx(_value(state.w, cover, state.is_open))
    best = pool.values[0]
    improved = _sub_mip(state, pool, rng, deadline=float("inf"))
    assert int(state.is_open.sum()) <= 8
    assert state.covered == pytest.approx(_value(state.w, cover, state.is_open))
    assert state.covered >= best - 1e-9
    assert improved == (state.covered > best + 1e-9)
