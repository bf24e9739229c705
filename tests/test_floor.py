"""The floor under the Lagrangian bound (engines/floor.py).

Its value is the objective of an LP point built from a fractional plan, so it must never exceed
the LP relaxation (solved by HiGHS) nor any Lagrangian bound, for every plan (hypothesis, the
plan shrunk into the limits when it breaks them) and for the running average of the
subgradient; on small instances it also comes close to the LP when the subgradient converges.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from sitecircle import Instance, build_model, coverage_from_instance
from sitecircle.engines.bounds import lagrangian, lp_relaxation
from sitecircle.engines.floor import LagrangianFloor, objective
from sitecircle.engines.heuristic import heuristic_solve
from sitecircle.engines.structure import Structure, column_sums, decode, row_sums
from sitecircle.model.linear import LinearModel
from sitecircle.synthetic import random_instance
from tests._oracle import brute_force, random_tiny


def _doc(seed: int, limit: str, n: int = 80, m: int = 16) -> dict[str, Any]:
    """A random max_* instance limited by a budget with open costs, by ``max_new``, or both."""
    rng = np.random.default_rng(seed)
    doc = random_instance(seed, n_communities=n, n_sites=m, n_categories=3,
                          layout=("uniform", "clustered")[seed % 2], extent_m=3000.0)
    for site in doc["sites"]:
        site["open_cost"] = float(rng.choice([0.0, 2.0, 5.0])) if "budget" in limit else 0.0
        site.pop("max_categories", None)
    total = sum(sum(s["cost"].values()) + s["open_cost"] for s in doc["sites"])
    kind = "max_complete" if limit.endswith("complete") else "max_coverage"
    doc["objective"] = {"type": kind}
    if "budget" in limit:
        doc["objective"]["budget"] = round(0.25 * total, 1)
    if "count" in limit:
        doc["objective"]["max_new"] = 5
    return doc


def _model(doc: dict[str, Any]) -> LinearModel:
    inst = Instance.from_dict(doc)
    return build_model(inst, coverage_from_instance(inst))


def _covered(st: Structure, x: np.ndarray) -> np.ndarray:
    cols = np.flatnonzero(x > 0)
    return row_sums(st, cols, x[cols])


def _lagrangian_value(st: Structure, lam: np.ndarray) -> float:
    """One Lagrangian bound at ``lam`` (no rounding, one iteration)."""
    bound, _ = lagrangian(st, target=None, start=lam, iterations=1)
    assert bound is not None
    return bound


LIMITS = ("budget", "count", "budget+count", "budget-complete")


@pytest.mark.parametrize(("seed", "limit"), [(s, lim) for s in range(3) for lim in LIMITS])
def test_floor_of_the_subgradient_is_below_the_lp_and_the_bound(seed: int, limit: str) -> None:
    model = _model(_doc(seed, limit))
    st = decode(model)
    solved = lp_relaxation(model)
    assert solved is not None
    floor = LagrangianFloor(st)
    bound, _ = lagrangian(st, target=None, iterations=400, floor=floor)
    assert bound is not None and math.isfinite(floor.value)
    tol = 1e-7 * max(1.0, abs(solved[0]))
    assert floor.value <= solved[0] + tol
    assert floor.value <= bound + 1.0 + tol  # the bound is rounded down for integral data
    if limit == "budget":  # the Lagrangian dual is the LP here: both sides close in
        assert floor.value >= 0.9 * solved[0]


@settings(max_examples=40, deadline=None)
@given(seed=hst.integers(0, 3), limit=hst.sampled_from(LIMITS),
       data=hst.data())
def test_floor_of_any_plan_is_below_the_lp_and_every_bound(seed: int, limit: str,
                                                            data: hst.DataObject) -> None:
    model = _model(_doc(seed, limit, n=40, m=10))
    st = decode(model)
    solved = lp_relaxation(model)
    assert solved is not None
    level = data.draw(hst.floats(0.0, 1.0))
    dense = data.draw(hst.floats(0.05, 1.0))
    rng = np.random.default_rng(data.draw(hst.integers(0, 2**31)))
    x = np.where(rng.random(st.n_x) < dense, rng.uniform(0.0, 1.0, st.n_x) * level, 0.0)
    value = objective(st, x, _covered(st, x))
    tol = 1e-7 * max(1.0, abs(solved[0]))
    assert value <= solved[0] + tol
    lam = rng.uniform(0.0, 1.0, st.n_rows) * st.group_value[st.row_group]
    assert value <= _lagrangian_value(st, lam) + 1.0 + tol  # rounded down: integral data


def test_heuristic_floor_on_tiny_instances_is_between_the_optimum_side_and_the_lp() -> None:
    """The floor the heuristic logs stays under the LP, which is above the brute-force optimum."""
    checked = 0
    for seed in range(200):
        doc = random_tiny(seed, "max_coverage")
        model = _model(doc)
        st = decode(model)
        if st.n_rows == 0:
            continue
        solved = lp_relaxation(model)
        assert solved is not None
        optimum = brute_force(doc)
        assert optimum is not None
        res = heuristic_solve(model, seed=0, bound="lagrangian")
        floors = [e["floor"] for e in res.extra["phase_log"] if "floor" in e]
        for value in floors:
            assert value <= solved[0] + 1e-7 * max(1.0, abs(solved[0])), seed
        checked += bool(floors)
        assert solved[0] >= optimum - 1e-6 * max(1.0, optimum)
    assert checked >= 10


def test_a_plan_over_the_limits_is_shrunk_into_them() -> None:
    model = _model(_doc(0, "budget+count"))
    st = decode(model)
    solved = lp_relaxation(model)
    assert solved is not None
    ones = np.ones(st.n_x)
    value = objective(st, ones, _covered(st, ones))
    assert 0.0 < value <= solved[0] + 1e-7 * max(1.0, solved[0])
    assert objective(st, -ones, -_covered(st, ones)) == -math.inf
    assert np.allclose(column_sums(st, np.ones(st.n_rows)), np.diff(st.col_ptr))


def test_row_sums_is_the_cover_pattern_times_the_plan() -> None:
    """``row_sums`` against a dense cover matrix built column by column, and ``column_sums``
    against its transpose (the two products of the same pattern)."""
    st = decode(_model(_doc(0, "budget+count")))
    dense = np.zeros((st.n_rows, st.n_x))
    for j in range(st.n_x):
        dense[st.col_rows[st.col_ptr[j]:st.col_ptr[j + 1]], j] = 1.0
    rng = np.random.default_rng(3)
    x = np.where(rng.random(st.n_x) < 0.4, rng.random(st.n_x), 0.0)
    cols = np.flatnonzero(x)
    assert len(cols) > 0 and dense.sum() > 0
    assert np.allclose(row_sums(st, cols, x[cols]), dense @ x)
    w = rng.random(st.n_rows)
    assert np.allclose(column_sums(st, w), dense.T @ w)


def test_patient_steps_stay_valid_and_come_closer_to_the_lp() -> None:
    """``patience`` (the heuristic's final phase): valid on tiny instances, closer on larger."""
    checked = 0
    for seed in range(150):
        doc = random_tiny(seed, "max_coverage")
        st = decode(_model(doc))
        if st.n_rows == 0:
            continue
        optimum = brute_force(doc)
        assert optimum is not None
        bound, _ = lagrangian(st, target=None, iterations=2000, patience=100)
        assert bound is not None and bound >= optimum - 1e-6 * max(1.0, optimum), seed
        checked += 1
    assert checked >= 20
    for seed in range(2):
        model = _model(_doc(seed, "count", n=300, m=40))
        st = decode(model)
        solved = lp_relaxation(model)
        assert solved is not None
        quick, _ = lagrangian(st, target=None, iterations=5000)
        patient, _ = lagrangian(st, target=None, iterations=5000, patience=100)
        assert quick is not None and patient is not None
        assert math.floor(solved[0] + 1e-6) <= patient <= quick
