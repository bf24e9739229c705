"""Property-based tests (hypothesis): monotonicity and invariants on random tiny instances."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sitecircle
from sitecircle import build_model, coverage_from_instance, get_backend
from sitecircle.backends import SolveOptions

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw: st.DrawFn, kind: str = "max_coverage") -> dict[str, Any]:
    """Up to 8 communities, 6 sites, 2 categories, on a planar 2 km square."""
    coord = st.integers(0, 2000)
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 6))
    comms = [{"id": f"c{i}", "x": draw(coord), "y": draw(coord),
              "population": draw(st.integers(0, 100)), "elderly": draw(st.integers(0, 40))}
             for i in range(n)]
    sites = []
    for j in range(m):
        hosts = draw(st.sampled_from([["a"], ["b"], ["a", "b"]]))
        sites.append({"id": f"s{j}", "x": draw(coord), "y": draw(coord), "categories": hosts,
                      "cost": {k: draw(st.integers(0, 5)) for k in hosts},
                      "open_cost": draw(st.sampled_from([0, 0, 1, 2])),
                      "max_categories": draw(st.sampled_from([1, 2]))})
    existing = [{"id": f"e{j}", "x": draw(coord), "y": draw(coord),
                 "categories": draw(st.sampled_from([["a"], ["b"]]))}
                for j in range(draw(st.integers(0, 2)))]
    objective: dict[str, Any] = {"type": kind}
    if kind != "min_cost":
        objective["budget"] = draw(st.integers(0, 12))
        if draw(st.booleans()):
            objective["max_new"] = draw(st.integers(0, 4))
    return {
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "categories": [
            {"id": "a", "threshold_min": draw(st.sampled_from([5, 8, 12]))},
            {"id": "b", "threshold_min": draw(st.sampled_from([5, 8, 12])), "demand": "elderly",
             "weight": draw(st.sampled_from([1, 2, 0.5]))},
        ],
        "communities": comms, "sites": sites, "existing": existing,
        "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
        "objective": objective,
    }


def _value(inst: dict[str, Any], backend: str = "ortools") -> float:
    solution = sitecircle.solve(inst, backend=backend)
    assert solution.status is sitecircle.Status.OPTIMAL
    assert solution.objective is not None
    return solution.objective


@SETTINGS
@given(instances(), st.integers(1, 6))
def test_more_budget_never_lowers_coverage(inst: dict[str, Any], extra: int) -> None:
    richer = copy.deepcopy(inst)
    richer["objective"]["budget"] += extra
    assert _value(richer) >= _value(inst) - 1e-9


@SETTINGS
@given(instances(), st.sampled_from([1, 3, 10]))
def test_larger_threshold_never_lowers_coverage(inst: dict[str, Any], more: int) -> None:
    wider = copy.deepcopy(inst)
    for cat in wider["categories"]:
        cat["threshold_min"] += more
    assert _value(wider) >= _value(inst) - 1e-9


@SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_input_order_does_not_change_objective(inst: dict[str, Any], rnd: Any) -> None:
    shuffled = copy.deepcopy(inst)
    for key in ("communities", "sites", "existing", "categories"):
        rnd.shuffle(shuffled[key])
    assert _value(shuffled) == pytest.approx(_value(inst), abs=1e-9)


@SETTINGS
@given(instances())
def test_objective_bounded_by_total_weighted_demand(inst: dict[str, Any]) -> None:
    solution = sitecircle.solve(inst)
    instance = sitecircle.Instance.from_dict(inst)
    total = float((instance.demand * instance.weight).sum())
    assert solution.objective is not None
    assert -1e-9 <= solution.objective <= total + 1e-9
    assert solution.cost <= inst["objective"]["budget"] + 1e-9


@SETTINGS
@given(instances())
def test_binary_and_relaxed_covered_agree(inst: dict[str, Any]) -> None:
    instance = sitecircle.Instance.from_dict(inst)
    model = build_model(instance, coverage_from_instance(instance))
    if model.n_vars == 0:
        return
    binary = dataclasses.replace(model, integrality=np.ones(model.n_vars, dtype=bool))
    backend = get_backend("ortools")
    relaxed_value = backend.solve(model, SolveOptions()).objective
    binary_value = backend.solve(binary, SolveOptions()).objective
    assert relaxed_value == pytest.approx(binary_value, abs=1e-9)


@SETTINGS
@given(instances(kind="max_complete"))
def test_backends_agree_on_complete_basket(inst: dict[str, Any]) -> None:
    assert _value(inst, "ortools") == pytest.approx(_value(inst, "pulp"), abs=1e-9)


@SETTINGS
@given(instances(kind="min_cost"), st.sampled_from([0.2, 0.5, 0.8]))
def test_higher_target_never_costs_less(inst: dict[str, Any], share: float) -> None:
    low, high = copy.deepcopy(inst), copy.deepcopy(inst)
    low["objective"]["target_share"] = share
    high["objective"]["target_share"] = min(1.0, share + 0.2)
    a, b = sitecircle.solve(low), sitecircle.solve(high)
    if b.status is sitecircle.Status.OPTIMAL:
        assert a.status is sitecircle.Status.OPTIMAL
        assert a.objective is not None and b.objective is not None
        assert a.objective <= b.objective + 1e-9
    else:
        assert b.status is sitecircle.Status.INFEASIBLE
