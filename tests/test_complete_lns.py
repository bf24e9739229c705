"""Window search of ``max_complete`` (engines/complete_lns.py): feasible plans, never above the
brute-force oracle, never below its start, and the oracle's optimum when a window holds every
site."""

from __future__ import annotations

import numpy as np
import pytest

from sitecircle.engines.complete_lns import complete_lns
from sitecircle.engines.complete_rounding import complete_rounding
from sitecircle.engines.heuristic import check_values
from tests._oracle import brute_force
from tests.test_complete_cuts import _model, basket_tiny


def _empty_plan(n_vars: int) -> np.ndarray:
    return np.zeros(n_vars)


@pytest.mark.parametrize("seed", list(range(12)))
def test_small_windows_give_feasible_plans_between_start_and_oracle(seed: int) -> None:
    doc = basket_tiny(seed)
    model = _model(doc)
    start = _empty_plan(model.n_vars)
    found = complete_lns(model, start, 0.3, seed, window=1)
    assert found is not None
    values, objective = found
    assert check_values(model, values) == []
    best = brute_force(doc)
    assert best is not None
    assert model.objective_value(start) - 1e-6 <= objective <= best + 1e-6


@pytest.mark.parametrize("seed", list(range(12)))
def test_a_window_of_every_site_reaches_the_oracle(seed: int) -> None:
    doc = basket_tiny(seed)
    model = _model(doc)
    rounded = complete_rounding(model, 0.1, seed)
    assert rounded is not None
    found = complete_lns(model, rounded[0], 5.0, seed, window=10_000)
    assert found is not None
    values, objective = found
    assert check_values(model, values) == []
    assert objective == pytest.approx(brute_force(doc), abs=1e-6)


def test_refuses_other_objectives_and_infeasible_starts() -> None:
    doc = basket_tiny(0)
    model = _model(doc)
    too_much = np.zeros(model.n_vars)
    too_much[model.blocks["open"]] = 1.0  # every column: over the budget or a site's limit
    assert complete_lns(model, too_much, 0.1) is None
    doc["objective"] = {"type": "max_coverage", "budget": 10}
    other = _model(doc)
    assert complete_lns(other, np.zeros(other.n_vars), 0.1) is None


def test_scip_skips_its_root_heuristics_on_basket_models_with_a_plan() -> None:
    from sitecircle.backends.base import SolveOptions
    from sitecircle.backends.ortools import _parameters

    doc = next(basket_tiny(s) for s in range(40) if "basket" in _model(basket_tiny(s)).row_blocks)
    model = _model(doc)
    hinted = SolveOptions(warm_start=np.zeros(model.n_vars))
    assert "heuristics/rens/freq = -1" in _parameters("scip", hinted, model).splitlines()
    assert "heuristics/rens/freq" not in _parameters("scip", SolveOptions(), model)
    doc["objective"] = {"type": "max_coverage", "budget": 10}
    assert "heuristics/rens/freq" not in _parameters("scip", hinted, _model(doc))
