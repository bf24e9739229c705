"""Backends agree on seeded random instances (objectives, never site sets) and pass verification."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sitecircle
from sitecircle.synthetic import random_instance
from tests.conftest import PROVING


def _instance(kind: str, seed: int) -> dict[str, Any]:
    objective: dict[str, Any] = {"type": kind}
    if kind == "min_cost":
        objective["target_share"] = 0.8
    else:
        objective["budget"] = 40
    if seed % 2:
        objective["max_new"] = 12
    return random_instance(seed, n_communities=250, n_sites=50, n_existing=20, n_categories=3,
                           layout="clustered" if seed % 2 else "uniform", objective=objective)


@pytest.mark.parametrize("kind", ["max_coverage", "max_complete", "min_cost"])
@pytest.mark.parametrize("seed", [2, 3, 4])
def test_backends_agree(kind: str, seed: int) -> None:
    inst = _instance(kind, seed)
    instance = sitecircle.Instance.from_dict(inst)
    results = {}
    for backend, engine in PROVING:
        solution = sitecircle.solve(instance, backend=backend, engine=engine, time_limit=120)
        assert solution.status is sitecircle.Status.OPTIMAL, (backend, engine)
        pairs = np.array([[instance.site_ids.index(o["site"]),
                           instance.category_ids.index(o["category"])] for o in solution.open])
        check = sitecircle.verify(instance, pairs.reshape(-1, 2))
        assert check.feasible
        assert check.objective == pytest.approx(solution.objective, rel=1e-12)
        results[f"{backend}-{engine}"] = solution.objective
    values = list(results.values())
    assert max(values) - min(values) <= 1e-6 * max(1.0, abs(values[0])), results


def test_sat_engine_returns_verified_answer() -> None:
    """CP-SAT may not prove optimality, but what it returns must verify and never exceed SCIP."""
    inst = _instance("max_coverage", 2)
    exact = sitecircle.solve(inst, backend="ortools", engine="scip")
    sat = sitecircle.solve(inst, backend="ortools", engine="sat", time_limit=10, threads=2)
    assert sat.status.has_solution
    assert sat.objective is not None and exact.objective is not None
    assert sat.objective <= exact.objective + 1e-6
    if sat.status is sitecircle.Status.OPTIMAL:
        assert sat.objective == pytest.approx(exact.objective)


def test_demo_instance_both_backends() -> None:
    from tests.conftest import INSTANCES

    path = INSTANCES / "demo" / "nanning-district.json"
    values = set()
    for backend, engine in PROVING:
        solution = sitecircle.solve(path, backend=backend, engine=engine, time_limit=120)
        assert solution.status is sitecircle.Status.OPTIMAL
        assert solution.cost <= 840 + 1e-9
        values.add(solution.objective)
    assert len(values) == 1
