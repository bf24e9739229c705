"""The bound from any row duals and the interior-point LP (engines/lp_dual.py).

The bound must be valid for any duals (random ones against the brute-force optimum), equal the
LP optimum (simplex) at the interior point's duals up to round-off, and the heuristic's LP path
(now the interior point) must keep its bounds valid on tiny instances of every kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sitecircle import Instance, build_model, coverage_from_instance
from sitecircle.engines.bounds import lp_relaxation
from sitecircle.engines.floor import LagrangianFloor
from sitecircle.engines.heuristic import heuristic_solve
from sitecircle.engines.lp_dual import dual_bound, interior_lp
from sitecircle.engines.structure import decode
from sitecircle.model.linear import LinearModel
from tests._oracle import brute_force, random_tiny

KINDS = ("max_coverage", "max_complete", "min_cost")


def _model(doc: dict[str, Any]) -> LinearModel:
    inst = Instance.from_dict(doc)
    return build_model(inst, coverage_from_instance(inst))


def _tiny(kind: str, count: int) -> list[tuple[dict[str, Any], LinearModel, float]]:
    out = []
    for seed in range(300):
        doc = random_tiny(seed, kind)
        model = _model(doc)
        optimum = brute_force(doc)
        if optimum is None or model.n_vars == 0:
            continue
        out.append((doc, model, optimum))
        if len(out) == count:
            break
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_any_duals_bound_the_brute_force_optimum(kind: str) -> None:
    rng = np.random.default_rng(0)
    checked = 0
    for _doc, model, optimum in _tiny(kind, 15):
        tol = 1e-6 * max(1.0, abs(optimum))
        for _ in range(5):
            y = rng.normal(scale=float(np.abs(model.c).max() + 1.0), size=model.n_rows)
            bound = dual_bound(model, y)
            if bound is None:
                continue
            assert (bound >= optimum - tol) if model.sense == "max" else (bound <= optimum + tol)
            checked += 1
    assert checked >= 50  # the boxes are finite: every random dual gives a bound


@pytest.mark.parametrize("kind", KINDS)
def test_interior_duals_give_the_lp_optimum(kind: str) -> None:
    for _doc, model, optimum in _tiny(kind, 15):
        solved = interior_lp(model)
        simplex = lp_relaxation(model)
        assert solved is not None and simplex is not None
        scale = max(1.0, abs(simplex[0]))
        if model.sense == "max":
            assert solved[0] >= simplex[0] - 1e-7 * scale >= optimum - 1e-6 * scale
        else:
            assert solved[0] <= simplex[0] + 1e-7 * scale <= optimum + 1e-6 * scale
        assert abs(solved[0] - simplex[0]) <= 1e-5 * scale


@pytest.mark.parametrize("kind", KINDS)
def test_heuristic_bounds_stay_valid_with_the_interior_lp(kind: str) -> None:
    for _doc, model, optimum in _tiny(kind, 12):
        res = heuristic_solve(model, seed=0, bound="lp")
        assert res.bound is not None and res.objective is not None
        tol = 1e-6 * max(1.0, abs(optimum))
        if model.sense == "max":
            assert res.bound >= optimum - tol >= res.objective - 2 * tol
        else:
            assert res.bound <= optimum + tol <= res.objective + 2 * tol


def test_floor_of_the_lp_point_is_the_lp_value() -> None:
    for _doc, model, _optimum in _tiny("max_coverage", 10):
        st = decode(model)
        simplex = lp_relaxation(model)
        assert simplex is not None
        floor = LagrangianFloor(st)
        value = floor.offer(simplex[1][:st.n_x])
        scale = max(1.0, abs(simplex[0]))
        assert simplex[0] - 1e-6 * scale <= value <= simplex[0] + 1e-9 * scale
