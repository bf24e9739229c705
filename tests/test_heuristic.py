"""The heuristic engine and its bounds: feasible, honest, never better than the optimum.

Every vector is checked three ways: against the model arrays (:func:`check_values`), by the
independent verifier recomputing the objective from the opened facilities (as ``api.solve`` does),
and against the exact optimum (brute-force oracle or the OR-Tools backend). Bounds must never
cut off the optimum.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sitecircle
from sitecircle import Instance, build_model, coverage_from_instance, datasets
from sitecircle.engines.bounds import lagrangian_bound, lp_bound
from sitecircle.engines.heuristic import check_values, heuristic_solve
from sitecircle.errors import SolveError
from sitecircle.model.linear import LinearModel
from sitecircle.solving.explain import explain_unreachable_target
from sitecircle.solving.pipeline import _open_pairs
from sitecircle.synthetic import random_instance
from sitecircle.travel.memory import estimate_memory_bytes, estimate_pairs
from sitecircle.verifier.check import verify
from tests._oracle import brute_force, random_tiny
from tests.conftest import SHARED_DATA, no_data_reason, shared_data

TOL = 1e-6


def _model(doc: dict[str, Any]) -> tuple[Instance, LinearModel] | None:
    """Instance and model as ``api.solve`` builds them; None when the api stops before building."""
    inst = Instance.from_dict(doc)
    coverage = coverage_from_instance(inst)
    if inst.objective.type == "min_cost" and explain_unreachable_target(inst, coverage):
        return None
    return inst, build_model(inst, coverage)


def _valid(value: float, optimum: float, sense: str, *, bound: bool) -> bool:
    """A heuristic value may not beat the optimum; a bound may not cut it off."""
    tol = TOL * max(1.0, abs(optimum))
    beyond = (value > optimum + tol) if sense == "max" else (value < optimum - tol)
    return not beyond if not bound else (
        value >= optimum - tol if sense == "max" else value <= optimum + tol)


def _check_against_verifier(inst: Instance, model: LinearModel, values: np.ndarray,
                            objective: float) -> None:
    assert check_values(model, values) == []
    check = verify(inst, _open_pairs(model, values))
    assert check.violations == []
    assert check.objective == pytest.approx(objective, rel=1e-9, abs=1e-9)


def _random_doc(seed: int) -> dict[str, Any]:
    """Small random instances of every objective type, with budgets, counts and open costs."""
    rng = np.random.default_rng(seed)
    kind = ("max_coverage", "max_complete", "min_cost")[seed % 3]
    doc = random_instance(seed, n_communities=int(rng.integers(30, 80)),
                          n_sites=int(rng.integers(8, 20)), n_categories=int(rng.integers(1, 4)),
                          n_existing=int(rng.integers(0, 4)),
                          layout=("uniform", "clustered")[seed % 2],
                          extent_m=1200.0 if kind == "min_cost" else 3000.0)
    objective = dict(doc["objective"])
    if kind == "max_complete":
        objective["type"] = kind
    elif kind == "min_cost":
        objective = {"type": kind}
        if rng.random() < 0.5:
            objective["target_share"] = float(rng.choice([0.5, 0.8, 0.95]))
    if rng.random() < 0.3:
        objective["max_new"] = int(rng.integers(2, 10))
    doc["objective"] = objective
    return doc


@pytest.mark.parametrize("block", range(4))
def test_tiny_instances_against_brute_force(block: int) -> None:
    for seed in range(block * 60, block * 60 + 60):
        doc = random_tiny(seed)
        built = _model(doc)
        if built is None:
            continue
        inst, model = built
        optimum = brute_force(doc)
        res = heuristic_solve(model, max_rounds=50)
        if res.values is None:
            assert res.status is sitecircle.Status.NO_SOLUTION
            continue
        assert optimum is not None, f"seed {seed}: heuristic solved an infeasible instance"
        assert res.objective is not None
        _check_against_verifier(inst, model, res.values, res.objective)
        assert _valid(res.objective, optimum, model.sense, bound=False), seed
        assert res.bound is not None
        assert _valid(res.bound, optimum, model.sense, bound=True), seed


@pytest.mark.parametrize("seed", [*range(11), 14])  # seed 11's full cover is unreachable
def test_small_instances_against_exact(seed: int) -> None:
    doc = _random_doc(seed)
    built = _model(doc)
    if built is None:
        pytest.skip("target unreachable: the api reports it before building")
    inst, model = built
    exact = sitecircle.solve(inst, backend="ortools", time_limit=30)
    res = heuristic_solve(model, time_limit_s=0.5, seed=seed)
    if exact.status is sitecircle.Status.INFEASIBLE:
        assert res.values is None
        return
    assert exact.status is sitecircle.Status.OPTIMAL and exact.objective is not None
    if res.values is None:  # allowed: limits the greedy could not meet; never a false claim
        assert model.sense == "min"
        return
    assert res.objective is not None and res.bound is not None
    _check_against_verifier(inst, model, res.values, res.objective)
    assert _valid(res.objective, exact.objective, model.sense, bound=False)
    assert _valid(res.bound, exact.objective, model.sense, bound=True)
    for bound in (lagrangian_bound(model, iterations=100), lp_bound(model)):
        assert bound is not None
        assert _valid(bound, exact.objective, model.sense, bound=True)
    if res.status is sitecircle.Status.OPTIMAL:
        assert res.objective == pytest.approx(exact.objective, rel=1e-9)


def test_deterministic_for_a_seed() -> None:
    _, model = _model(_random_doc(4)) or pytest.fail("no model")
    a = heuristic_solve(model, seed=3, max_rounds=40)
    b = heuristic_solve(model, seed=3, max_rounds=40)
    assert a.objective == b.objective and a.bound == b.bound
    assert a.values is not None and b.values is not None
    assert np.array_equal(a.values, b.values)


def test_limits_the_greedy_cannot_meet_give_no_solution() -> None:
    doc = random_instance(1, n_communities=40, n_sites=12, n_categories=1, extent_m=1200.0,
                          objective={"type": "min_cost", "max_new": 1})
    _, model = _model(doc) or pytest.fail("no model")
    res = heuristic_solve(model)
    assert res.values is None and res.objective is None
    assert res.status is sitecircle.Status.NO_SOLUTION
    assert "does not prove" in res.native_status


def test_nothing_to_decide() -> None:
    doc = random_instance(2, n_communities=20, n_sites=5, n_existing=0, n_categories=1,
                          objective={"type": "max_coverage", "budget": 0})
    _, model = _model(doc) or pytest.fail("no model")
    res = heuristic_solve(model)
    assert res.values is not None and res.objective == pytest.approx(model.offset)
    assert res.status is sitecircle.Status.OPTIMAL


def test_check_values_reports_violations() -> None:
    _, model = _model(_random_doc(0)) or pytest.fail("no model")
    res = heuristic_solve(model, max_rounds=0)
    assert res.values is not None
    broken = res.values.copy()
    broken[model.blocks["covered"]] = 1.0  # claim coverage nobody provides
    assert any("cover" in p for p in check_values(model, broken))
    broken = res.values.copy()
    broken[0] = 0.5
    assert any("integer" in p for p in check_values(model, broken))


def test_a_wrong_vector_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _, model = _model(_random_doc(0)) or pytest.fail("no model")
    from sitecircle.engines import search as _search

    def claim_everything(self: _search.Search) -> np.ndarray:
        out = np.zeros(self.st.model.n_vars)
        out[self.st.n_x + self.st.n_u:] = 1.0
        return out

    monkeypatch.setattr(_search.Search, "values", claim_everything)
    with pytest.raises(SolveError, match="bug"):
        heuristic_solve(model, max_rounds=0)


def test_estimate_pairs() -> None:
    doc = random_instance(5, n_communities=3000, n_sites=200, n_categories=3, extent_m=6000)
    inst = Instance.from_dict(doc)
    actual = len(coverage_from_instance(inst).site)
    assert estimate_pairs(inst, sample_size=10_000) == actual  # every community counted
    assert estimate_pairs(inst, sample_size=1000) == pytest.approx(actual, rel=0.1)
    small = estimate_memory_bytes(1000, 100, 2, 10_000)
    assert 0 < small < estimate_memory_bytes(1000, 100, 2, 10_000_000)


def test_estimate_pairs_matrix_mode_is_exact() -> None:
    doc = datasets.read_spopt_sf(shared_data("mclp", "spopt-sf"), 5000, 3)
    inst = Instance.from_dict(doc)
    assert estimate_pairs(inst) == len(coverage_from_instance(inst).site)


def _known(prefix: str) -> list[dict[str, Any]]:
    path = SHARED_DATA / "mclp" / "results.csv"
    if not path.is_file():
        return []
    return [r for r in datasets.mclp_known_values(path) if str(r["instance"]).startswith(prefix)]


def test_swain_and_sjc324_known_optima() -> None:
    """Greedy + swap + perturbation reach the published optimum in (almost) every row."""
    rows = _known("swain/") + _known("sjc/SJC324")
    if not rows:
        pytest.skip(no_data_reason("mclp", "results.csv"))
    root = shared_data("mclp")
    hits = 0
    for row in rows:
        radius, p = float(row["radius"]), int(row["p_or_budget"])
        if str(row["instance"]).startswith("swain/"):
            doc = datasets.read_swain(root / "swain" / "swain55.txt", radius, p)
        else:
            doc = datasets.read_sjc(root / "sjc" / "SJC324.txt", radius, p)
        _, model = _model(doc) or pytest.fail("no model")
        res = heuristic_solve(model)
        assert res.objective is not None and res.bound is not None
        assert res.objective <= row["covered_demand"] + TOL <= res.bound + 2 * TOL
        hits += res.objective == row["covered_demand"]
    assert hits >= len(rows) - 1, f"{hits} of {len(rows)} known optima reached"
