"""Basket rows of ``max_complete`` (model/complete_cuts.py): valid, and they tighten the LP.

Validity is checked three ways on random tiny instances with three categories and sites that
host one or two of them: every integer plan meeting the model's other rows meets the basket
rows (all plans enumerated); both backends reach the brute-force oracle's optimum; and the
heuristic, which checks its plan against every row, still solves the model.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import sitecircle
from sitecircle import build_model, coverage_from_instance, get_backend
from sitecircle.backends import SolveOptions
from sitecircle.engines.complete_rounding import complete_rounding
from sitecircle.engines.heuristic import check_values
from sitecircle.model.complete_cuts import add_basket_rows, basket_of, category_masks, separate
from sitecircle.model.linear import LinearModel
from tests._oracle import brute_force

CATS = ("a", "b", "c")


def basket_tiny(seed: int) -> dict[str, Any]:
    """A random tiny ``max_complete`` instance: 3 categories, sites hosting at most 1 or 2."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 8)), int(rng.integers(2, 5))
    cats = [{"id": k, "threshold_min": float(rng.choice([8, 12, 16]))} for k in CATS]

    def xy() -> dict[str, float]:
        return {"x": float(rng.integers(0, 1500)), "y": float(rng.integers(0, 1500))}

    sites = []
    for j in range(m):
        hosts = sorted(rng.choice(CATS, size=int(rng.integers(2, 4)), replace=False).tolist())
        site: dict[str, Any] = {"id": f"s{j}", **xy(), "categories": hosts,
                                "cost": {k: int(rng.integers(1, 5)) for k in hosts},
                                "max_categories": int(rng.choice([1, 1, 2]))}
        if rng.random() < 0.2:
            site["open_cost"] = int(rng.integers(1, 3))
        sites.append(site)
    comms = [{"id": f"c{i}", **xy(), "population": int(rng.integers(1, 100))} for i in range(n)]
    existing = [{"id": f"e{j}", **xy(), "categories": [str(rng.choice(CATS))]}
                for j in range(int(rng.integers(0, 2)))]
    objective: dict[str, Any] = {"type": "max_complete", "budget": int(rng.integers(3, 20))}
    if rng.random() < 0.2:
        objective["max_new"] = int(rng.integers(2, 6))
    return {"format": "sitecircle.instance/1", "name": f"basket-{seed}", "crs": "EPSG:3857",
            "categories": cats, "communities": comms, "sites": sites, "existing": existing,
            "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
            "objective": objective}


def _model(doc: dict[str, Any]) -> LinearModel:
    inst = sitecircle.Instance.from_dict(doc)
    return build_model(inst, coverage_from_instance(inst))


def _plans(model: LinearModel) -> Any:
    """Every 0/1 vector of the model's integer plan space meeting its non-basket rows.

    ``open`` columns enumerated; ``site_open`` set where a column of the site is open; every
    ``complete`` column set to 1 exactly when its group's ``cover`` rows are all covered.
    """
    ox, su, zc = model.blocks["open"], model.blocks["site_open"], model.blocks["complete"]
    cover = model.A[model.row_blocks["cover"]]
    z_of_row = cover[:, zc].tocsr().indices
    basket = model.row_blocks.get("basket", slice(model.n_rows, model.n_rows))
    others = np.ones(model.n_rows, dtype=bool)
    others[basket] = False
    for bits in itertools.product((0.0, 1.0), repeat=ox.stop - ox.start):
        v = np.zeros(model.n_vars)
        v[ox] = bits
        v[su] = np.isin(model.site_open_site, model.open_site[np.asarray(bits) > 0.5])
        covered = -(cover[:, ox] @ v[ox]) >= 1.0  # cover rows hold -1 on the x part
        complete = np.ones(zc.stop - zc.start, dtype=bool)
        np.logical_and.at(complete, z_of_row, covered)
        v[zc] = complete
        act = model.A @ v
        if np.all((act[others] >= model.row_lower[others] - 1e-9)
                  & (act[others] <= model.row_upper[others] + 1e-9)):
            yield v, act


SEEDS = range(40)


def test_basket_rows_keep_every_integer_plan() -> None:
    """No feasible 0/1 plan breaks a basket row: those the LP rounds added, and those separated
    at random fractional points (many more rows, of every shape)."""
    with_rows = checked = 0
    rng = np.random.default_rng(0)
    for seed in range(80):
        model = _model(basket_tiny(seed))
        basket = basket_of(model)
        if basket is None or model.blocks["open"].stop > 14:
            continue
        masks = category_masks(model, None)
        rows = [separate(model, basket, rng.random(model.n_vars) ** 2, masks) for _ in range(6)]
        block = model.row_blocks.get("basket")
        with_rows += block is not None
        plans = list(_plans(model))
        for v, act in plans:
            if block is not None:
                assert np.all(act[block] >= model.row_lower[block] - 1e-9), seed
            for r in rows:
                assert np.all(r @ v >= -1e-9), seed
                checked += r.shape[0]
    assert with_rows >= 5 and checked >= 5_000


def test_basket_rows_tighten_the_lp() -> None:
    """Where rows are added the LP bound falls on some instance (the rows are not idle)."""
    tighter = 0
    for seed in SEEDS:
        doc = basket_tiny(seed)
        inst = sitecircle.Instance.from_dict(doc)
        plain = build_model(inst, coverage_from_instance(inst), basket_seconds=0.0)
        assert "basket" not in plain.row_blocks
        model = add_basket_rows(plain, 10.0, inst.threshold_min)
        if "basket_lp_bound" not in model.stats:
            continue
        best = brute_force(doc)
        assert best is not None
        before, after = model.stats["basket_lp_bound_before"], model.stats["basket_lp_bound"]
        assert before + 1e-6 >= after >= best - 1e-6, seed  # tighter, and still a bound
        tighter += after < before - 1e-6
    assert tighter >= 5


def test_heuristic_accepts_basket_rows() -> None:
    for seed in SEEDS:
        doc = basket_tiny(seed)
        model = _model(doc)
        if "basket" not in model.row_blocks:
            continue
        result = get_backend("sitecircle").solve(model, SolveOptions(engine="heuristic",
                                                              time_limit_s=2.0))
        assert result.status.has_solution  # its final check covers every row
        assert result.objective is not None and result.objective <= brute_force(doc) + 1e-6
        return
    pytest.fail("no instance with basket rows")


@pytest.mark.parametrize("seed", list(range(24)))
def test_optimum_matches_oracle(seed: int, backend: tuple[str, str]) -> None:
    doc = basket_tiny(seed)
    solution = sitecircle.solve(doc, backend=backend[0], engine=backend[1])
    assert solution.objective == pytest.approx(brute_force(doc), abs=1e-6)
    assert solution.verified


@pytest.mark.slow
@pytest.mark.parametrize("seed", list(range(24, 150)))
def test_optimum_matches_oracle_many(seed: int, backend: tuple[str, str]) -> None:
    doc = basket_tiny(seed)
    solution = sitecircle.solve(doc, backend=backend[0], engine=backend[1])
    assert solution.objective == pytest.approx(brute_force(doc), abs=1e-6)


def test_complete_rounding_plans_are_feasible_and_often_optimal() -> None:
    """Every plan meets every row of the model (the heuristic's own check) and is never above
    the oracle; on most tiny instances it is the optimum."""
    tried = optimal = 0
    for seed in range(30):
        doc = basket_tiny(seed)
        model = _model(doc)
        found = complete_rounding(model, 0.2, seed)
        assert found is not None
        values, objective = found
        assert check_values(model, values) == []
        best = brute_force(doc)
        assert best is not None and objective <= best + 1e-6
        tried += 1
        optimal += objective >= best - 1e-6
    assert tried == 30 and optimal >= 20


def test_complete_rounding_refuses_other_objectives() -> None:
    doc = basket_tiny(0)
    doc["objective"] = {"type": "max_coverage", "budget": 10}
    assert complete_rounding(_model(doc), 0.1) is None


@pytest.mark.parametrize("seed", [3, 8, 9, 12, 17])
def test_time_limited_solve_takes_the_rounding_warm_start(seed: int) -> None:
    """With a time limit the pipeline hands the rounding's plan to the exact engine."""
    doc = basket_tiny(seed)
    assert "basket" in _model(doc).row_blocks  # the instance takes the path tested
    solution = sitecircle.solve(doc, time_limit=5.0)
    assert solution.objective == pytest.approx(brute_force(doc), abs=1e-6)
    assert solution.verified
