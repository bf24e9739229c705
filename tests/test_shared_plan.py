"""The plan a forked helper shares with the heuristic's own search: written, read, adopted."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import sitecircle
import sitecircle.engines.swap as swap_module
from sitecircle import Instance, build_model, coverage_from_instance
from sitecircle.engines.greedy import greedy
from sitecircle.engines.search import Search
from sitecircle.engines.shared_plan import SharedPlan
from sitecircle.engines.structure import decode
from sitecircle.engines.swap import swap_ils
from sitecircle.synthetic import random_instance, unit_cost_single_category


def test_nothing_to_read_until_a_plan_is_published() -> None:
    board = SharedPlan(3)
    assert board.read() is None
    board.publish(12.5, np.array([False, True, False, True]))
    value, cols = board.read() or (None, None)
    assert value == 12.5 and cols is not None and cols.tolist() == [1, 3]
    board._seq[0] += 1  # a writer half-way through: nothing is read
    assert board.read() is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_plan_written_in_a_forked_child_is_read_by_the_parent() -> None:
    board = SharedPlan(4)
    pid = os.fork()
    if pid == 0:  # the child
        board.publish(7.0, np.array([True, False, True, False, True]))
        os._exit(0)
    os.waitpid(pid, 0)
    got = board.read()
    assert got is not None and got[0] == 7.0 and got[1].tolist() == [0, 2, 4]


@pytest.mark.parametrize("seed", range(3))
def test_the_search_adopts_a_better_plan_from_the_board(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search takes the board's plan exactly when it is better than its own best, and ends at
    it (here the optimum); a plan no better is left on the board."""
    doc = random_instance(seed + 60, n_communities=150, n_sites=40, n_categories=1,
                          layout="uniform", extent_m=2500.0)
    unit_cost_single_category(doc)
    doc["objective"] = {"type": "max_coverage", "max_new": 3}
    inst = Instance.from_dict(doc)
    model = build_model(inst, coverage_from_instance(inst))
    st = decode(model)
    exact = sitecircle.solve(inst, backend="ortools", time_limit=30)
    assert exact.status is sitecircle.Status.OPTIMAL and exact.objective is not None
    # The optimum as open columns of this model: the heuristic's own long search finds it.
    long = Search(st)
    greedy(long, mode="gain")
    swap_ils(long, np.random.default_rng(0), p=3, deadline=float("inf"), patience=10**4,
             max_rounds=300, stop_at=None)
    assert long.objective() == pytest.approx(exact.objective)
    board = SharedPlan(3)
    board.publish(long.objective(), long.is_open)
    # _adopt itself, from a poor plan (the three columns covering least): it moves to the
    # board's better plan ...
    state = swap_module.SwapState(st, 3)
    poor = np.zeros(st.n_x, bool)
    poor[np.argsort(state.gain, kind="stable")[:3]] = True
    state.restore(poor)
    own = state.covered
    assert own < exact.objective - 1e-6
    assert swap_module._adopt(state, board, own, float("inf"), float("inf"))
    assert state.covered == pytest.approx(exact.objective)
    # ... and never to one no better than its own.
    low = SharedPlan(3)
    low.publish(own, poor)
    assert not swap_module._adopt(state, low, state.covered, float("inf"), float("inf"))
    assert state.covered == pytest.approx(exact.objective)
    # In the search (asked every round here): each answer is "the board's plan is better than
    # the search's best", and the search ends at the board's optimum within ten rounds.
    calls: list[tuple[float, bool]] = []
    real = swap_module._adopt

    def recorded(*args: Any) -> bool:
        calls.append((float(args[2]), real(*args)))
        return calls[-1][1]

    monkeypatch.setattr(swap_module, "_adopt", recorded)
    monkeypatch.setattr(swap_module, "ADOPT_EVERY", 1)
    short = Search(st)
    short.restore(poor)
    swap_ils(short, np.random.default_rng(seed), p=3, deadline=float("inf"), patience=10**4,
             max_rounds=1, stop_at=None, adopt_from=board)
    assert calls
    for best, took in calls:
        assert took == (best < exact.objective - 1e-6)
    assert short.objective() == pytest.approx(exact.objective)
