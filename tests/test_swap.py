"""The swap-array search for plain MCLPs: arrays exact, moves honest, answers verified.

The incremental ``gain``/``loss``/``extra`` arrays are compared with a dense recomputation after
random moves; the interchange's local optimum is checked against every single swap by brute
force; the heuristic's answers on plain MCLPs are verified independently and never beat the exact
optimum; a seed gives the same answer twice.
"""

from __future__ import annotations

import csv
import time
from typing import Any

import numpy as np
import pytest

import sitecircle
import sitecircle.engines.swap as swap_module
from sitecircle import Instance, build_model, coverage_from_instance, datasets
from sitecircle.engines.greedy import greedy
from sitecircle.engines.heuristic import check_values, heuristic_solve
from sitecircle.engines.search import Search
from sitecircle.engines.structure import Structure, decode
from sitecircle.engines.swap import SwapState, swap_ils, swap_limit, swap_search
from sitecircle.engines.swap_kernels import kernels
from sitecircle.solving.pipeline import _open_pairs
from sitecircle.synthetic import random_instance, unit_cost_single_category
from sitecircle.verifier.check import verify
from tests.conftest import SHARED_DATA, no_data_reason, shared_data


def _mclp_doc(seed: int, n: int = 120, m: int = 30, p: int = 6) -> dict[str, Any]:
    """One category, unit costs, no existing facilities, at most ``p`` new sites."""
    doc = random_instance(seed, n_communities=n, n_sites=m, n_categories=1, layout="uniform",
                          extent_m=2500.0)
    unit_cost_single_category(doc)
    doc["objective"] = {"type": "max_coverage", "max_new": p}
    return doc


def _structure(doc: dict[str, Any]) -> tuple[Instance, Any, Structure]:
    inst = Instance.from_dict(doc)
    model = build_model(inst, coverage_from_instance(inst))
    return inst, model, decode(model)


def _dense(st: Structure) -> np.ndarray:
    cover = np.zeros((st.n_rows, st.n_x))
    for j in range(st.n_x):
        cover[st.col_rows[st.col_ptr[j]:st.col_ptr[j + 1]], j] = 1.0
    return cover


def _recompute(state: SwapState, cover: np.ndarray) -> tuple[np.ndarray, ...]:
    """``count``, ``gain``, ``loss``, ``extra`` from scratch (the formulas of the module)."""
    count = cover[:, state.is_open].sum(axis=1)
    gain = cover.T @ (state.w * (count == 0))
    loss = np.zeros(state.n)
    extra = np.zeros((state.p, state.n))
    for j in np.flatnonzero(state.is_open):
        alone = (count == 1) & (cover[:, j] > 0)
        loss[j] = state.w[alone].sum()
        extra[state.slot_of[j]] = cover.T @ (state.w * alone)
    return count, gain, loss, extra


def test_swap_limit_takes_plain_mclps_only() -> None:
    _, _, st = _structure(_mclp_doc(1))
    assert swap_limit(st) == 6
    budget = _mclp_doc(1)
    budget["objective"] = {"type": "max_coverage", "budget": 4.5}
    budget["sites"][0]["cost"] = {budget["categories"][0]["id"]: 2}  # not a count any more
    assert swap_limit(_structure(budget)[2]) is None
    several = random_instance(2, n_communities=60, n_sites=15, n_categories=3)
    several["objective"] = {"type": "max_complete", "max_new": 5}
    assert swap_limit(_structure(several)[2]) is None


@pytest.mark.parametrize("seed", range(4))
def test_arrays_match_a_recomputation_after_random_moves(seed: int) -> None:
    _, _, st = _structure(_mclp_doc(seed, p=8))
    state = SwapState(st, 8)
    cover = _dense(st)
    rng = np.random.default_rng(seed)
    for _ in range(150):
        opened = np.flatnonzero(state.is_open)
        if len(opened) < state.p and (len(opened) == 0 or rng.random() < 0.6):
            state.add(int(rng.choice(np.flatnonzero(~state.is_open))))
        else:
            state.remove(int(rng.choice(opened)))
        count, gain, loss, extra = _recompute(state, cover)
        assert np.array_equal(count, state.count)
        np.testing.assert_allclose(state.gain, gain, atol=1e-6)
        np.testing.assert_allclose(state.loss, loss, atol=1e-6)
        np.testing.assert_allclose(state.extra, extra, atol=1e-6)
        assert state.covered == pytest.approx(state.objective())


def _numpy_best_swap(state: SwapState) -> tuple[int, int, float]:
    """The best swap the NumPy way (first maximum of slots, then of columns)."""
    profit = state.extra + state.gain
    change = profit.max(axis=1) - state.loss[state.col_of]
    a = int(np.argmax(change))
    return int(state.col_of[a]), int(np.argmax(profit[a])), float(change[a])


@pytest.mark.parametrize(("seed", "fractional"), [(0, False), (1, False), (2, True), (3, True)])
def test_compiled_moves_lists_and_both_scans_agree(seed: int, fractional: bool) -> None:
    """Compiled and plain kernels give the same arrays; every nonzero ``extra`` entry is on its
    slot's list; the list scan (exact demands) and the dense scan choose NumPy's move."""
    doc = _mclp_doc(seed, p=8)
    if fractional:
        for c in doc["communities"]:
            c["population"] = float(c["population"]) + 0.37
    _, _, st = _structure(doc)
    state, plain = SwapState(st, 8), SwapState(st, 8)
    assert state.exact is not fractional
    plain._kernels = kernels(compiled=False)
    rng = np.random.default_rng(seed)
    for step in range(200):
        opened = np.flatnonzero(state.is_open)
        if len(opened) < state.p and (len(opened) == 0 or rng.random() < 0.6):
            j = int(rng.choice(np.flatnonzero(~state.is_open)))
            state.add(j)
            plain.add(j)
        else:
            j = int(rng.choice(opened))
            state.remove(j)
            plain.remove(j)
        for name in ("count", "gain", "loss", "extra", "slot_of", "col_of", "is_open"):
            assert np.array_equal(getattr(state, name), getattr(plain, name)), (step, name)
        assert state.covered == plain.covered
        for one in (state, plain):  # the scans drop entries back at 0 from the lists
            assert not np.any((one.extra != 0) & ~one._listed)
            assert np.array_equal(one._listed.sum(axis=1), one._nz_len)
        if np.all(state.col_of >= 0):
            want = _numpy_best_swap(state)
            assert state.best_swap() == want
            assert plain.best_swap() == want
            state.exact = not state.exact  # the other scan chooses the same move
            if not state.exact or not fractional:
                assert state.best_swap() == want
            state.exact = not state.exact


@pytest.mark.parametrize("compiled", [True, False])
def test_best_closed_columns_largest_gain_first(compiled: bool) -> None:
    best_closed = kernels(compiled).best_closed
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        gain = rng.integers(0, 6, n).astype(float)  # many ties
        is_open, banned = rng.random(n) < 0.3, rng.random(n) < 0.2
        out = np.full(int(rng.integers(1, 7)), -1, np.int64)
        found = best_closed(gain, is_open, banned, out)
        free = np.flatnonzero(~is_open & ~banned)
        want = free[np.lexsort((free, -gain[free]))][: len(out)]
        assert found == len(want)
        assert out[:found].tolist() == want.tolist()


def test_kernels_compile_without_a_writable_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where Numba finds no place for its cache (a read-only install), the kernels are compiled
    without one instead of failing."""
    import numba

    from sitecircle.engines import swap_kernels

    real = numba.njit

    def no_cache(*args: Any, **kw: Any) -> Any:
        if kw.get("cache"):
            msg = "cannot cache function: no locator available"
            raise RuntimeError(msg)
        return real(*args, **kw)

    monkeypatch.setattr(numba, "njit", no_cache)
    monkeypatch.setattr(swap_kernels, "_CACHE", {})
    out = np.empty(2, np.int64)
    found = swap_kernels.kernels().best_closed(np.array([1.0, 3.0, 2.0]), np.zeros(3, bool),
                                               np.zeros(3, bool), out)
    assert found == 2 and out.tolist() == [1, 2]


@pytest.mark.parametrize("seed", range(4))
def test_interchange_ends_where_no_single_swap_improves(seed: int) -> None:
    _, _, st = _structure(_mclp_doc(seed + 10, p=5))
    state = SwapState(st, 5)
    cover = _dense(st)
    for j in np.random.default_rng(seed).choice(st.n_x, size=5, replace=False).tolist():
        state.add(int(j))
    start = state.objective()
    swap_search(state)
    best = state.objective()
    assert best >= start
    opened = np.flatnonzero(state.is_open)
    assert len(opened) == 5
    for a in opened.tolist():
        for b in np.flatnonzero(~state.is_open).tolist():
            trial = state.is_open.copy()
            trial[a], trial[b] = False, True
            value = state.w[cover[:, trial].sum(axis=1) > 0].sum()
            assert value <= best + 1e-6, (a, b)


@pytest.mark.parametrize("seed", range(5))
def test_heuristic_on_plain_mclps_is_verified_and_never_beats_the_optimum(seed: int) -> None:
    doc = _mclp_doc(seed + 20, n=150, m=40, p=int(3 + seed % 4))
    inst, model, st = _structure(doc)
    assert swap_limit(st) is not None  # the swap search is the one under test
    exact = sitecircle.solve(inst, backend="ortools", time_limit=30)
    assert exact.status is sitecircle.Status.OPTIMAL and exact.objective is not None
    res = heuristic_solve(model, seed=seed, max_rounds=30)
    assert res.values is not None and res.objective is not None and res.bound is not None
    assert check_values(model, res.values) == []
    check = verify(inst, _open_pairs(model, res.values))
    assert check.violations == []
    assert check.objective == pytest.approx(res.objective, rel=1e-9)
    tol = 1e-6 * max(1.0, exact.objective)
    assert res.objective <= exact.objective + tol
    assert res.bound >= exact.objective - tol
    phases = [p["phase"] for p in res.extra["phase_log"]]
    assert "perturb" in phases


def test_deterministic_for_a_seed() -> None:
    _, model, st = _structure(_mclp_doc(7, n=200, m=60, p=8))
    runs = [heuristic_solve(model, seed=5, max_rounds=20) for _ in range(2)]
    assert runs[0].values is not None and runs[1].values is not None
    assert np.array_equal(runs[0].values, runs[1].values)
    opened = []
    for _ in range(2):
        s = Search(st)
        greedy(s, mode="gain")
        swap_ils(s, np.random.default_rng(3), p=8, deadline=float("inf"), patience=10,
                 max_rounds=20, stop_at=None)
        opened.append(s.is_open.copy())
    assert np.array_equal(opened[0], opened[1])


def test_ils_never_worsens_its_start() -> None:
    _, _, st = _structure(_mclp_doc(3, n=200, m=60, p=8))
    s = Search(st)
    greedy(s, mode="gain")
    start = s.objective()
    swap_ils(s, np.random.default_rng(0), p=8, deadline=time.perf_counter() + 5.0, patience=5,
             max_rounds=10, stop_at=None)
    assert s.objective() >= start
    assert int(s.is_open.sum()) <= 8


@pytest.mark.parametrize("seed", range(3))
def test_new_trajectories_keep_the_best_plan(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``fresh_after`` the search starts new trajectories (p columns each, drawn afresh),
    and still ends no worse than its start, at most the exact optimum, the same for a seed."""
    doc = _mclp_doc(seed + 40, n=150, m=40, p=5)
    inst, _, st = _structure(doc)
    exact = sitecircle.solve(inst, backend="ortools", time_limit=30)
    assert exact.status is sitecircle.Status.OPTIMAL and exact.objective is not None
    starts: list[int] = []
    real = swap_module._fresh_start

    def counted(state: SwapState, rng: np.random.Generator) -> None:
        real(state, rng)
        starts.append(int(state.is_open.sum()))

    monkeypatch.setattr(swap_module, "_fresh_start", counted)
    plans = []
    for _ in range(2):
        s = Search(st)
        greedy(s, mode="gain")
        start = s.objective()
        swap_ils(s, np.random.default_rng(seed), p=5, deadline=float("inf"), patience=10**6,
                 max_rounds=60, stop_at=None, fresh_after=20)
        assert start <= s.objective() <= exact.objective + 1e-6
        assert int(s.is_open.sum()) <= 5
        plans.append(s.is_open.copy())
    assert starts and set(starts) == {5}
    assert np.array_equal(plans[0], plans[1])


@pytest.mark.slow
def test_maximo_new_york_p50_reaches_the_optimum() -> None:
    """NewYork p = 50 (proven optimum 1,153,640): the heuristic reaches it within 30 s."""
    path = SHARED_DATA / "mclp" / "results.csv"
    if not path.is_file():
        pytest.skip(no_data_reason("mclp", "results.csv"))
    with path.open(encoding="utf-8") as f:
        known = next(float(r["covered_demand"]) for r in csv.DictReader(f)
                     if r["instance"] == "maximo/NewYork" and r["p_or_budget"] == "50")
    doc = datasets.read_maximo(shared_data("mclp") / "maximo" / "NewYork.txt", 400, 50)
    _, model, _ = _structure(doc)
    res = heuristic_solve(model, time_limit_s=30.0)
    assert res.objective == known

