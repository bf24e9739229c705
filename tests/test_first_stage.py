"""The first stage's heuristic head start, ``"then": []`` as one stage, and the set-cover rewrite
of the saturated covering stage (solving/first_stage.py, solving/saturate.py)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest

import sitecircle
from sitecircle.backends import get_backend
from sitecircle.backends.base import BackendResult, SolveOptions
from sitecircle.errors import OptionsError
from sitecircle.model.build import build_model
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.solving import first_stage, pipeline
from sitecircle.solving.first_stage import single_stage_view, solve_with_head_start
from sitecircle.solving.follow import min_cost_model
from sitecircle.solving.saturate import _on_stage, ceiling, set_cover
from sitecircle.solving.stages import holds
from sitecircle.synthetic import random_instance, unit_cost_single_category
from sitecircle.travel.coverage import coverage_from_instance
from tests.conftest import INSTANCES


def _mclp(seed: int, p: int, n: int = 150, m: int = 40, **objective: Any) -> dict[str, Any]:
    doc = unit_cost_single_category(random_instance(
        seed, n_communities=n, n_sites=m, n_categories=1, extent_m=2500))
    doc["objective"] = {"type": "max_coverage", "max_new": p, **objective}
    return doc


def _model(doc: dict[str, Any]) -> tuple[Any, LinearModel]:
    inst = sitecircle.Instance.from_dict(doc)
    return inst, build_model(inst, coverage_from_instance(inst))


def _exact(model: LinearModel) -> BackendResult:
    done = get_backend("ortools").solve(model, SolveOptions(engine="scip"))
    assert done.status is Status.OPTIMAL and done.objective is not None
    return done


def _refuse(model: LinearModel, options: SolveOptions) -> BackendResult:
    msg = "the exact engine ran although the plan was proved"
    raise AssertionError(msg)


# ---------------------------------------------------------------- head start

def test_a_plan_the_lp_bound_proves_needs_no_exact_engine() -> None:
    _, model = _model(_mclp(5, 40))  # every site may open: the LP bound is the ceiling
    optimum = _exact(model)
    found = solve_with_head_start(model, SolveOptions(), _refuse)
    assert found.status is Status.OPTIMAL
    assert found.objective == pytest.approx(optimum.objective, rel=1e-9)
    assert found.bound == pytest.approx(found.objective, rel=1e-12)
    assert "proved optimal" in found.native_status
    assert found.values is not None and holds(model, found.values)


def test_a_gap_hands_the_plan_to_the_exact_engine() -> None:
    _, model = _model(_mclp(1, 8, n=400, m=80))  # the LP bound stays above the optimum
    optimum = _exact(model)
    seen: list[SolveOptions] = []

    def run(m: LinearModel, options: SolveOptions) -> BackendResult:
        seen.append(options)
        return _exact(m)

    got = solve_with_head_start(model, SolveOptions(engine="scip"), run)
    assert len(seen) == 1
    assert seen[0].warm_start is not None and holds(model, seen[0].warm_start)
    assert seen[0].cutoff == pytest.approx(model.objective_value(seen[0].warm_start))
    assert got.status is Status.OPTIMAL
    assert got.objective == pytest.approx(optimum.objective, rel=1e-9)
    # An engine that finds nothing better than the cutoff leaves the plan, proven optimal.
    nothing = dataclasses.replace(optimum, status=Status.INFEASIBLE, values=None,
                                  objective=None, bound=None)
    kept = solve_with_head_start(model, SolveOptions(), lambda m, o: nothing)
    assert kept.status is Status.OPTIMAL and kept.values is not None
    assert kept.objective == pytest.approx(kept.bound)
    assert kept.objective == pytest.approx(model.objective_value(kept.values))


def test_the_pipeline_proves_a_large_model_by_a_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _mclp(5, 10)  # p >= 15 covers everything: the covering model answers that
    doc["objective"]["then"] = []
    monkeypatch.setattr(first_stage, "is_small", lambda model: False)  # as if it were large
    sol = sitecircle.solve(doc)
    assert "proved optimal by" in sol.solver["native_status"]
    exact = sitecircle.solve(doc, engine="scip")
    assert "proved" not in exact.solver["native_status"]
    assert sol.status is exact.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(exact.objective, rel=1e-9)
    assert sol.bound == pytest.approx(sol.objective, rel=1e-9)


def test_small_models_get_no_head_start() -> None:
    """A small model whose ceiling is out of reach (p = 10): neither the head start nor the
    covering model; the exact engine solves it as it is."""
    doc = _mclp(5, 10)
    doc["objective"]["then"] = []
    sol = sitecircle.solve(doc)
    assert "proved" not in sol.solver["native_status"]
    assert "covering model" not in sol.solver["native_status"]
    assert sol.status is Status.OPTIMAL


# ---------------------------------------------------------------- then: []

def test_empty_then_is_one_stage_for_every_engine() -> None:
    doc = _mclp(4, 6)
    doc["objective"]["then"] = []
    inst = sitecircle.Instance.from_dict(doc)
    assert single_stage_view(inst).objective.then is None
    assert len(inst.objective.stages) == 1
    plain = dict(doc, objective={k: v for k, v in doc["objective"].items() if k != "then"})
    assert single_stage_view(sitecircle.Instance.from_dict(plain)).objective.then is None
    for engine in ("heuristic", None):
        sol = sitecircle.solve(doc, engine=engine)
        assert sol.status.has_solution
        assert {"build", "solve"} <= set(sol.solver["timings"])
        assert sol.objectives is None  # one stage: no per-stage report
    with_cost = dict(doc, objective={**doc["objective"], "then": [{"type": "min_cost"}]})
    with pytest.raises(OptionsError, match="objective.then"):
        sitecircle.solve(with_cost, engine="heuristic")


@pytest.mark.parametrize(("backend", "engine"), [("ortools", None), ("ortools", "highs"),
                                               ("pulp", "cbc")])
def test_empty_then_on_a_saturated_model_takes_the_first_cover(
    backend: str, engine: str | None
) -> None:
    """``"then": []`` and every community coverable within the limits: the covering model's
    first plan is the answer (no least-cost proof), optimal at the ceiling on every engine."""
    doc = _mclp(5, 40)
    doc["objective"]["then"] = []
    inst, model = _model(doc)
    sol = sitecircle.solve(doc, backend=backend, engine=engine)
    assert "the first plan of the covering model answers" in sol.solver["native_status"]
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(ceiling(model), rel=1e-12)
    assert sol.bound == pytest.approx(sol.objective, rel=1e-12)
    assert sol.objective == pytest.approx(_exact(model).objective, rel=1e-9)
    assert sol.objectives is None  # one stage
    assert len(sol.open) <= 40
    full = sitecircle.solve(_mclp(5, 40), backend=backend, engine=engine)  # with the cost stage
    assert full.objective == pytest.approx(sol.objective, rel=1e-12)
    assert full.cost <= sol.cost + 1e-9


def test_empty_then_with_capacities_is_the_single_stage() -> None:
    """Capacities take a single stage; ``"then": []`` says just that, so it is not refused as
    a planning rule (a non-empty ``then`` still is, naming the field)."""
    doc = json.loads((INSTANCES / "demo" / "nanning-district-capacitated.json").read_text(
        encoding="utf-8"))
    plain = sitecircle.solve(doc)
    doc["objective"]["then"] = []
    empty = sitecircle.solve(doc)
    assert empty.status is plain.status is Status.OPTIMAL
    assert empty.objective == pytest.approx(plain.objective, rel=1e-12)
    doc["objective"]["then"] = [{"type": "min_cost"}]
    with pytest.raises(OptionsError, match=r"capacities .* objective\.then"):
        sitecircle.solve(doc)


# ---------------------------------------------------------------- set cover

@pytest.mark.parametrize(("seed", "extra"), [(5, {}), (6, {}), (7, {"budget": 1000.0})])
def test_set_cover_keeps_the_covering_stage_optimum(seed: int, extra: dict[str, Any]) -> None:
    inst, model = _model(_mclp(seed, 40, **extra))
    stage = min_cost_model(inst, model, ceiling(model))
    rewritten = set_cover(model, stage)
    assert rewritten is not None
    cover, keep = rewritten
    assert "covered" not in cover.blocks and "hold" not in cover.row_blocks
    assert cover.n_vars < stage.n_vars
    direct, via = _exact(stage), _exact(cover)
    assert via.objective == pytest.approx(direct.objective, rel=1e-9)
    back = _on_stage(stage, cover, keep, via)
    assert back.values is not None and holds(stage, back.values)
    assert model.objective_value(back.values) == pytest.approx(ceiling(model), rel=1e-12)
    assert back.objective == pytest.approx(direct.objective, rel=1e-9)


def test_set_cover_refuses_a_hold_row_that_lets_a_row_go() -> None:
    inst, model = _model(_mclp(5, 40))
    stage = min_cost_model(inst, model, ceiling(model))
    hold = stage.row_blocks["hold"].start
    lower = stage.row_lower.copy()
    smallest = float(np.min(model.c[model.c > 0]))
    lower[hold] -= 2 * smallest  # the smallest row may stay uncovered: not a set cover
    assert set_cover(model, dataclasses.replace(stage, row_lower=lower)) is None
    assert set_cover(model, model) is None  # no hold row: not a covering stage


def test_saturated_default_command_solves_the_set_cover() -> None:
    sol = sitecircle.solve(_mclp(5, 40))
    assert "as a set cover" in sol.solver["native_status"]
    usual = sitecircle.solve(_mclp(5, 40), time_limit=120)  # stage by stage
    assert sol.status is usual.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(usual.objective, rel=1e-9)
    assert sol.cost == pytest.approx(usual.cost, rel=1e-9)


def test_under_a_time_limit_the_lp_bound_spares_the_exact_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _mclp(5, 40)
    doc["objective"]["then"] = []
    monkeypatch.setattr(pipeline, "is_small", lambda model: False)  # as if it were large
    sol = sitecircle.solve(doc, time_limit=60)
    assert sol.solver["engine"] == "heuristic"  # its plan, proved: no exact engine ran
    exact = sitecircle.solve(doc, engine="scip")
    assert sol.status is exact.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(exact.objective, rel=1e-9)
    gap = sitecircle.solve(_mclp(1, 8, n=400, m=80, then=[]), time_limit=60)
    assert gap.solver["engine"] != "heuristic"  # the LP bound leaves a gap: an exact engine
    assert gap.status is Status.OPTIMAL
