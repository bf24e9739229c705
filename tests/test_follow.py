"""The default min_cost stage on the reduced model, the cutoff and the safe LP bound."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import sitecircle
from sitecircle.backends import get_backend
from sitecircle.backends.base import SolveOptions
from sitecircle.backends.lp_bound import lp_bound, objective_step, proves
from sitecircle.engines.lp_dual import _box_bound, dual_bound
from sitecircle.model.build import build_model
from sitecircle.model.planning import build_planning_model
from sitecircle.solution_status import Status
from sitecircle.solving.follow import exact_for_min_cost, min_cost_model
from sitecircle.solving.saturate import _may_cover
from sitecircle.solving.stages import HOLD_SLACK, holds, run_from
from sitecircle.synthetic import random_instance
from sitecircle.travel.coverage import coverage_from_instance
from tests.conftest import INSTANCES

DEMO = INSTANCES / "demo" / "nanning-district.json"


def _first_stage(doc: Any) -> tuple[Any, Any, Any]:
    inst = sitecircle.read_instance(doc) if not isinstance(doc, dict) else \
        sitecircle.Instance.from_dict(doc)
    cov = coverage_from_instance(inst)
    model = build_model(inst, cov)
    first = get_backend("ortools").solve(model, SolveOptions(engine="scip"))
    assert first.status is Status.OPTIMAL
    return inst, cov, model, first  # type: ignore[return-value]


def _planning_min_cost(inst: Any, cov: Any, value: float) -> float:
    """The old way: the planning model with a hold row, solved by SCIP from scratch."""
    pm = build_planning_model(inst, cov)
    stage0, stage1 = pm.stages
    give = inst.objective.tolerance * abs(value) + HOLD_SLACK * max(1.0, abs(value))
    import scipy.sparse as sp

    base = pm.model
    model = dataclasses.replace(
        base, c=stage1.c, offset=stage1.offset, sense="min",
        A=sp.csr_array(sp.vstack([base.A, sp.csr_array(stage0.c[None, :])], format="csr")),
        row_lower=np.append(base.row_lower, value - stage0.offset - give),
        row_upper=np.append(base.row_upper, np.inf))
    done = get_backend("ortools").solve(model, SolveOptions(engine="scip"))
    assert done.status is Status.OPTIMAL and done.objective is not None
    return done.objective


def _doc(seed: int, objective: dict[str, Any], unit: bool = False) -> dict[str, Any]:
    doc = random_instance(seed, n_communities=120, n_sites=40, n_categories=2, extent_m=2500,
                          objective=objective)
    if unit:
        for site in doc["sites"]:
            site["cost"] = dict.fromkeys(site["cost"], 2.0)
            site.pop("open_cost", None)
            site.pop("max_categories", None)
    return doc


@pytest.mark.parametrize(("seed", "objective", "unit"), [
    (1, {"type": "max_coverage", "budget": 30}, False),
    (2, {"type": "max_complete", "budget": 40}, False),
    (3, {"type": "max_coverage", "max_new": 6}, True),
    (4, {"type": "max_coverage", "max_new": 6, "tolerance": 0.05}, True),
])
def test_min_cost_stage_on_the_reduced_model_matches_the_planning_model(
    seed: int, objective: dict[str, Any], unit: bool
) -> None:
    doc = _doc(seed, objective, unit)
    inst, cov, model, first = _first_stage(doc)
    assert exact_for_min_cost(inst, model)
    value = model.objective_value(first.values)
    want = _planning_min_cost(inst, cov, value)
    sol = sitecircle.solve(doc)
    assert sol.status is Status.OPTIMAL
    assert sol.objectives is not None
    assert sol.objectives[1]["value"] == pytest.approx(want, rel=1e-6)
    assert sol.cost == pytest.approx(want, rel=1e-6)


def test_dominated_columns_of_different_cost_send_the_stage_to_the_planning_model() -> None:
    for seed in range(20):
        doc = _doc(seed, {"type": "max_coverage", "max_new": 5})
        inst = sitecircle.Instance.from_dict(doc)
        model = build_model(inst, coverage_from_instance(inst))
        if model.stats["columns_dominated"]:
            assert not exact_for_min_cost(inst, model)  # costs differ, no budget row
            return
    pytest.skip("no seed with dominated columns")


def test_lp_bound_is_valid_and_any_multipliers_give_a_valid_bound() -> None:
    inst, _cov, model, first = _first_stage(DEMO)
    best = first.objective
    bound = lp_bound(model)
    assert bound is not None and bound >= best - 1e-6
    assert bound <= best * 1.01  # the demo's LP gap is small: the duals were used
    rng = np.random.default_rng(0)
    for _ in range(20):  # weak duality holds for any multipliers
        y = rng.normal(scale=2000.0, size=model.n_rows)
        assert _box_bound(model, model.c, y) + model.offset >= best - 1e-6
        bound_any = dual_bound(model, y)
        assert bound_any is not None and bound_any >= best - 1e-6
    stage = min_cost_model(inst, model, model.objective_value(first.values))
    low = lp_bound(stage)
    cost = stage.objective_value(first.values)
    assert low is not None and low <= cost + 1e-6  # a lower bound for min


def test_objective_step_and_proof_on_the_lattice() -> None:
    inst, _cov, model, first = _first_stage(DEMO)
    assert objective_step(model) is None  # continuous coverage columns carry the objective
    stage = min_cost_model(inst, model, model.objective_value(first.values))
    assert objective_step(stage) == 0.5  # the demo's costs are multiples of 0.5
    assert proves(stage, 840.0, 839.6)  # nothing between 839.6 and 840 on the 0.5 lattice
    assert not proves(stage, 840.0, 839.4)
    assert proves(model, 100.0, 100.0 + 1e-8)
    assert not proves(model, 100.0, 100.5)
    assert not proves(model, 100.0, None)


def test_cutoff_prunes_every_plan_not_better() -> None:
    inst, _cov, model, first = _first_stage(DEMO)
    stage = min_cost_model(inst, model, model.objective_value(first.values))
    best = get_backend("ortools").solve(stage, SolveOptions(engine="scip"))
    assert best.status is Status.OPTIMAL and best.objective is not None
    highs = get_backend("ortools")
    below = highs.solve(stage, SolveOptions(engine="highs", cutoff=best.objective - 0.5))
    assert below.status is Status.INFEASIBLE  # nothing cheaper than the optimum
    at = highs.solve(stage, SolveOptions(engine="highs", cutoff=best.objective + 0.5))
    assert at.status is Status.OPTIMAL and at.objective == pytest.approx(best.objective)


def test_run_from_keeps_a_plan_no_engine_can_beat() -> None:
    inst, _cov, model, first = _first_stage(DEMO)
    stage = min_cost_model(inst, model, model.objective_value(first.values))
    optimum = get_backend("ortools").solve(stage, SolveOptions(engine="scip"))
    assert optimum.values is not None and holds(stage, optimum.values)

    def refuse(_model: Any, options: SolveOptions) -> Any:
        assert options.cutoff == pytest.approx(optimum.objective)
        return dataclasses.replace(optimum, status=Status.INFEASIBLE, values=None,
                                   objective=None, bound=None)

    kept = run_from(refuse, stage, SolveOptions(), optimum.values)
    assert kept.status is Status.OPTIMAL
    assert kept.values is optimum.values
    broken = optimum.values.copy()
    broken[:] = 0.0  # opens nothing: misses the hold row, so neither cutoff nor warm start
    assert not holds(stage, broken)
    seen: list[SolveOptions] = []
    run_from(lambda m, o: seen.append(o) or optimum, stage, SolveOptions(), broken)
    assert seen[0].cutoff is None and seen[0].warm_start is None


def test_saturated_first_stage_is_solved_with_the_second() -> None:
    doc = _doc(5, {"type": "max_coverage", "max_new": 40}, unit=True)  # every site may open
    shortcut = sitecircle.solve(doc)
    assert "ceiling" in shortcut.solver["native_status"]
    usual = sitecircle.solve(doc, time_limit=120)  # a time limit: the stages one by one
    assert "ceiling" not in usual.solver["native_status"]
    assert shortcut.status is usual.status is Status.OPTIMAL
    assert shortcut.objective == pytest.approx(usual.objective, rel=1e-9)
    assert shortcut.cost == pytest.approx(usual.cost, rel=1e-9)
    assert shortcut.bound == pytest.approx(shortcut.objective, rel=1e-9)


def test_saturation_the_lp_allows_but_the_limits_do_not_falls_back() -> None:
    # An odd cycle: site j reaches communities j and j+1. Half of each site covers everyone in
    # the LP (cost 1.5 = budget), but two whole sites are needed (cost 2): no covering plan.
    times = [[f"C{(j + d) % 3}", f"S{j}", 5] for j in range(3) for d in (0, 1)]
    doc = {"format": "sitecircle.instance/1", "name": "odd-cycle", "crs": "EPSG:3857",
           "categories": [{"id": "shop", "threshold_min": 10}],
           "communities": [{"id": f"C{i}", "x": 0, "y": 0, "population": 100 + i}
                           for i in range(3)],
           "sites": [{"id": f"S{j}", "x": 0, "y": 0, "cost": {"shop": 1}} for j in range(3)],
           "travel": {"mode": "matrix", "times": times},
           "objective": {"type": "max_coverage", "budget": 1.5}}
    sol = sitecircle.solve(doc)
    assert sol.status is Status.OPTIMAL
    assert "ceiling" not in sol.solver["native_status"]
    assert sol.objective == 100 + 101 + 102 - 100  # one site: the two largest communities
    assert sol.cost == 1


def test_counting_rules_saturation_out_before_any_lp() -> None:
    for max_new, expect in ((1, False), (40, True)):
        inst = sitecircle.Instance.from_dict(
            _doc(5, {"type": "max_coverage", "max_new": max_new}, unit=True))
        assert _may_cover(build_model(inst, coverage_from_instance(inst))) is expect
