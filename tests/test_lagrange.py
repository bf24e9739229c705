"""The Lagrangian bound with the budget subproblem kept exact (engines/lagrange.py).

The budget subproblem is checked against its LP solved by scipy; the bound, at random and at
optimised multipliers, against the LP relaxation and the brute-force optimum; runs repeat
exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog

from sitecircle import Instance, build_model, coverage_from_instance
from sitecircle.engines.bounds import _knapsack_cost, _max_x, lagrangian, lp_relaxation
from sitecircle.engines.lagrange import LinkedKnapsack, linked_fits
from sitecircle.engines.structure import Structure, decode
from sitecircle.model.linear import LinearModel
from sitecircle.synthetic import random_instance
from tests._oracle import brute_force, random_tiny


def _budget_doc(seed: int, n: int = 60, m: int = 14) -> dict[str, Any]:
    """A random max_coverage instance whose only limit is a budget, with site open costs."""
    rng = np.random.default_rng(seed)
    doc = random_instance(seed, n_communities=n, n_sites=m, n_categories=3,
                          layout=("uniform", "clustered")[seed % 2], extent_m=3000.0)
    for site in doc["sites"]:
        site["open_cost"] = float(rng.choice([0.0, 2.0, 5.0]))
        site.pop("max_categories", None)
    total = sum(sum(s["cost"].values()) + s["open_cost"] for s in doc["sites"])
    doc["objective"] = {"type": "max_coverage", "budget": round(0.25 * total, 1)}
    return doc


def _model(doc: dict[str, Any]) -> LinearModel:
    inst = Instance.from_dict(doc)
    return build_model(inst, coverage_from_instance(inst))


def _phi_lp(st: Structure, p: np.ndarray) -> float:
    """max p x s.t. budget, x <= u, 0 <= x, u <= 1, by scipy's HiGHS."""
    side = st.sides[st.budget]
    n_x, n_u = st.n_x, st.n_u
    rows = [np.concatenate([side.coef_x, side.coef_u])]
    rhs = [float(side.upper[0])]
    for j in np.flatnonzero(st.u_of_col >= 0):
        row = np.zeros(n_x + n_u)
        row[j], row[n_x + st.u_of_col[j]] = 1.0, -1.0
        rows.append(row)
        rhs.append(0.0)
    res = linprog(-np.concatenate([p, np.zeros(n_u)]), A_ub=np.array(rows), b_ub=rhs,
                  bounds=(0.0, 1.0), method="highs")
    assert res.status == 0
    return float(-res.fun)


def _lp_floor(lp: float) -> float:
    """The LP optimum, rounded down: with integral weights the bound may be (optimum integral)."""
    return math.floor(lp + 1e-9 * max(1.0, abs(lp))) - 1e-6 * max(1.0, abs(lp))


@pytest.mark.parametrize("seed", range(6))
def test_linked_knapsack_is_the_lp_of_the_subproblem(seed: int) -> None:
    st = decode(_model(_budget_doc(seed)))
    assert linked_fits(st)
    rng = np.random.default_rng(seed)
    knap = LinkedKnapsack(st)
    for _ in range(5):
        p = rng.uniform(-2.0, 30.0, st.n_x) * (rng.random(st.n_x) < 0.7)
        value, cols, frac = knap.solve(p)
        lp = _phi_lp(st, p)
        assert value >= lp - 1e-7 * max(1.0, lp)  # a valid upper bound
        assert value <= lp + 1e-6 * max(1.0, lp)  # and tight (LP duality)
        assert np.all((frac > 0) & (frac <= 1.0 + 1e-12))
        side = st.sides[st.budget]
        assert float(side.coef_x[cols] @ frac) <= float(side.upper[0]) * (1 + 1e-9) + 1e-9
        spread = _max_x(st, p, _knapsack_cost(st))[0]
        assert value <= spread + 1e-9 * max(1.0, spread)


@pytest.mark.parametrize("seed", range(4))
def test_bound_at_random_multipliers_is_above_the_lp(seed: int) -> None:
    model = _model(_budget_doc(seed))
    st = decode(model)
    solved = lp_relaxation(model)
    assert solved is not None
    rng = np.random.default_rng(100 + seed)
    for _ in range(5):
        lam = rng.uniform(0.0, 1.0, st.n_rows) * st.group_value[st.row_group]
        old, _ = lagrangian(st, target=None, start=lam, iterations=1, linked=False)
        new, _ = lagrangian(st, target=None, start=lam, iterations=1)
        assert new is not None and old is not None
        assert new >= _lp_floor(solved[0])
        assert new <= old  # the same multipliers: never weaker than the spread costs


@pytest.mark.parametrize("seed", range(4))
def test_optimised_bound_is_valid_and_not_weaker(seed: int) -> None:
    model = _model(_budget_doc(seed, n=120, m=20))
    st = decode(model)
    solved = lp_relaxation(model)
    assert solved is not None
    new, lam = lagrangian(st, target=None, iterations=300)
    again, lam2 = lagrangian(st, target=None, iterations=300)
    assert new is not None and lam is not None and lam2 is not None
    assert new == again and np.array_equal(lam, lam2)  # deterministic
    assert new >= _lp_floor(solved[0])
    assert new <= solved[0] * 1.2  # and it moved a long way from the start


def test_tiny_instances_bound_the_brute_force_optimum() -> None:
    checked = 0
    for seed in range(400):
        doc = random_tiny(seed, "max_coverage")
        model = _model(doc)
        st = decode(model)
        if st.n_rows == 0 or not linked_fits(st):
            continue
        optimum = brute_force(doc)
        assert optimum is not None
        rng = np.random.default_rng(seed)
        starts = [None, rng.uniform(0.0, 1.0, st.n_rows) * st.group_value[st.row_group]]
        for start in starts:
            for scaled in (False, True):
                bound, _ = lagrangian(st, target=None, start=start, iterations=60, scaled=scaled)
                assert bound is not None and bound >= optimum - 1e-6 * max(1.0, optimum), seed
        checked += 1
    assert checked >= 20
