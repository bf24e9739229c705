"""Exact reductions on the assembled model (dominated columns and rows) and component splitting."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import sitecircle
import sitecircle.solving.parts as split_mod
from sitecircle.backends import SolveOptions, get_backend
from sitecircle.errors import OptionsError
from sitecircle.instance.data import Instance
from sitecircle.model.assemble import assemble
from sitecircle.model.reduce import components, dominated_columns, dominated_rows, reduce_model
from sitecircle.outputs.summary import summary
from sitecircle.synthetic import random_instance
from sitecircle.travel.coverage import coverage_from_instance


def _matrix_instance(times: list[tuple[str, str, float]], costs: dict[str, float],
                     objective: dict[str, Any], open_cost: dict[str, float] | None = None,
                     ) -> Instance:
    communities = sorted({a for a, _, _ in times})
    return Instance.from_dict({
        "format": "sitecircle.instance/1", "name": "hand", "crs": "EPSG:3857",
        "categories": [{"id": "shop", "threshold_min": 10}],
        "communities": [{"id": c, "x": 0, "y": 0, "population": 10 + i}
                        for i, c in enumerate(communities)],
        "sites": [{"id": s, "x": 0, "y": 0, "cost": c,
                   **({"open_cost": open_cost[s]} if open_cost and s in open_cost else {})}
                  for s, c in costs.items()],
        "travel": {"mode": "matrix", "times": [list(t) for t in times]},
        "objective": objective,
    })


def _assembled(inst: Instance) -> sitecircle.LinearModel:
    return assemble(inst, coverage_from_instance(inst))


def _site_ids(inst: Instance, model: sitecircle.LinearModel, mask: np.ndarray) -> set[str]:
    return {inst.site_ids[j] for j in model.open_site[mask]}


def test_subset_at_no_lower_cost_is_dropped() -> None:
    # A covers {c1, c2} for 1; B covers {c1} for 2 (dominated); D covers {c2} for 0.5 (cheaper:
    # kept); E and F cover {c3} at the same cost (the tie keeps the first).
    times = [("c1", "A", 5), ("c2", "A", 5), ("c1", "B", 5), ("c2", "D", 5),
             ("c3", "E", 5), ("c3", "F", 5)]
    inst = _matrix_instance(times, {"A": 1, "B": 2, "D": 0.5, "E": 3, "F": 3},
                            {"type": "max_coverage", "budget": 3})
    model = _assembled(inst)
    mask = dominated_columns(model)
    assert mask is not None
    assert _site_ids(inst, model, mask) == {"B", "F"}
    reduced = reduce_model(model)
    assert reduced.stats["columns_dominated"] == 2
    assert reduced.blocks["open"].stop == 3


def test_site_with_open_cost_is_never_dropped() -> None:
    times = [("c1", "A", 5), ("c2", "A", 5), ("c1", "B", 5)]
    inst = _matrix_instance(times, {"A": 1, "B": 2}, {"type": "min_cost"},
                            open_cost={"B": 1})
    mask = dominated_columns(_assembled(inst))
    assert mask is not None and not mask.any()


def test_superset_row_dropped_in_set_covering_only() -> None:
    # c1 is reached by {A}, c2 by {A, B}: covering c1 covers c2.
    times = [("c1", "A", 5), ("c2", "A", 5), ("c2", "B", 5), ("c3", "B", 5), ("c3", "D", 5)]
    costs = {"A": 1, "B": 1, "D": 1}
    lscp = _assembled(_matrix_instance(times, costs, {"type": "min_cost"}))
    rows = dominated_rows(lscp)
    assert rows is not None and rows.tolist() == [False, True, False]
    partial = _assembled(_matrix_instance(times, costs, {"type": "min_cost",
                                                         "target_share": 0.5}))
    rows = dominated_rows(partial)
    assert rows is not None and not rows.any()


def _random(seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    kind = ("max_coverage", "max_complete", "min_cost")[seed % 3]
    doc = random_instance(seed, n_communities=int(rng.integers(20, 60)),
                          n_sites=int(rng.integers(10, 40)),
                          n_categories=int(rng.integers(1, 3)),
                          n_existing=int(rng.integers(0, 3)),
                          extent_m=1500.0 if kind == "min_cost" else 3000.0)
    objective = dict(doc["objective"])
    if kind == "max_complete":
        objective["type"] = kind
    elif kind == "min_cost":
        objective = {"type": kind}
        if seed % 2:
            objective["target_share"] = 0.8
    doc["objective"] = objective
    return Instance.from_dict(doc)


def _optimum(model: sitecircle.LinearModel) -> float | None:
    result = get_backend("pulp").solve(model, SolveOptions(engine="cbc"))
    return result.objective if result.status is sitecircle.Status.OPTIMAL else None


def test_reductions_keep_the_optimum_on_random_instances() -> None:
    dropped = 0
    for seed in range(16):
        inst = _random(seed)
        full = _assembled(inst)
        reduced = reduce_model(full)
        dropped += int(reduced.stats["columns_dominated"]) + int(reduced.stats["rows_dominated"])
        before, after = _optimum(full), _optimum(reduced)
        assert (before is None) == (after is None), seed
        if before is not None and after is not None:
            assert after == pytest.approx(before, rel=1e-9, abs=1e-9), seed
    assert dropped > 10  # the reductions were exercised


def _two_cities(objective: dict[str, Any]) -> dict[str, Any]:
    one = random_instance(5, n_communities=40, n_sites=25, n_categories=2, extent_m=1500.0)
    for category in one["categories"]:
        category["threshold_min"] = 15  # every community reachable: full cover is feasible
    doc = copy.deepcopy(one)
    for key in ("communities", "sites", "existing"):
        for record in copy.deepcopy(one[key]):
            record["x"] += 50_000.0
            record["id"] = "b-" + record["id"]
            doc[key].append(record)
    doc["objective"] = objective
    return doc


def test_separable_model_splits_into_cities(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _two_cities({"type": "min_cost"})
    whole = sitecircle.solve(doc, backend="pulp")
    assert whole.status is sitecircle.Status.OPTIMAL
    inst = Instance.from_dict(doc)
    model = sitecircle.build_model(inst, coverage_from_instance(inst))
    count, col_label, _ = components(model)
    assert count >= 2
    monkeypatch.setattr(split_mod, "PART_NONZEROS", 1)
    for backend in ("pulp", "ortools"):
        parts = sitecircle.solve(doc, backend=backend)
        assert parts.solver["parts"] >= 2
        assert parts.status is sitecircle.Status.OPTIMAL
        assert parts.objective == pytest.approx(whole.objective)
        assert parts.bound == pytest.approx(whole.objective)
        assert "independent parts" in summary(inst, parts)
    timed = sitecircle.solve(doc, backend="pulp", time_limit=30)
    assert timed.solver["parts"] >= 2 and timed.objective == pytest.approx(whole.objective)


def test_budget_couples_the_cities(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split_mod, "PART_NONZEROS", 1)
    doc = _two_cities({"type": "max_coverage", "budget": 300})
    result = sitecircle.solve(doc, backend="pulp")
    assert "parts" not in result.solver
    assert result.status is sitecircle.Status.OPTIMAL


def test_parts_on_dask_match_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split_mod, "PART_NONZEROS", 1)
    doc = _two_cities({"type": "min_cost"})
    serial = sitecircle.solve(doc, backend="pulp")
    local = sitecircle.solve(doc, backend="pulp", scheduler="local")
    assert local.solver["parts"] == serial.solver["parts"] >= 2
    assert local.status is sitecircle.Status.OPTIMAL
    assert local.open == serial.open and local.objective == serial.objective


def test_big_part_gets_the_heuristic_in_auto_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split_mod, "PART_NONZEROS", 1)
    monkeypatch.setattr(sitecircle.solving.pipeline, "AUTO_HEURISTIC_NONZEROS", 50)
    doc = _two_cities({"type": "min_cost"})
    exact = sitecircle.solve(doc, backend="pulp", engine="cbc")
    auto = sitecircle.solve(doc, backend="pulp")
    assert auto.solver["parts"] >= 2 and "independent parts" in auto.solver["auto_heuristic"]
    assert auto.status.has_solution
    assert auto.objective >= exact.objective - 1e-9
    assert auto.bound is not None and auto.bound <= exact.objective + 1e-9


def test_bad_scheduler_is_an_options_error() -> None:
    with pytest.raises(OptionsError, match="scheduler"):
        sitecircle.solve(_two_cities({"type": "min_cost"}), scheduler="no such thing")


def test_parts_partition_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    inst = Instance.from_dict(_two_cities({"type": "min_cost"}))
    model = sitecircle.build_model(inst, coverage_from_instance(inst))
    count, _, _ = components(model)
    monkeypatch.setattr(split_mod, "PART_NONZEROS", 1)  # every component a part of its own
    split = split_mod.parts(model)
    assert len(split) == count >= 2
    rows = np.sort(np.concatenate([r for r, _ in split]))
    cols = np.sort(np.concatenate([c for _, c in split]))
    assert rows.tolist() == list(range(model.n_rows))
    assert cols.tolist() == list(range(model.n_vars))
    monkeypatch.setattr(split_mod, "PART_NONZEROS", model.A.nnz)  # one part: not split
    assert len(split_mod.parts(model)) == 1
