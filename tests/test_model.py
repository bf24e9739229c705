"""The solver-neutral model as plain data, tested without any solver."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from sitecircle import Instance, build_model, coverage_from_instance
from sitecircle.model.linear import unique_rows


def test_unique_rows_matches_python_grouping() -> None:
    rng = np.random.default_rng(3)
    base = (rng.random((40, 30)) < 0.15).astype(float)
    base[5] = 0  # an empty row
    rows = base[rng.integers(0, 40, size=400)]
    first, group = unique_rows(sp.csr_array(rows))
    keys = [tuple(np.flatnonzero(r)) for r in rows]
    assert len(first) == len(set(keys))
    for i, key in enumerate(keys):
        assert keys[first[group[i]]] == key
    # different rows never share a group
    rep_keys = [keys[f] for f in first]
    assert len(set(rep_keys)) == len(rep_keys)


def test_unique_rows_empty() -> None:
    first, group = unique_rows(sp.csr_array((0, 4)))
    assert len(first) == 0 and len(group) == 0


def _data(objective: dict[str, Any]) -> dict[str, Any]:
    # Planar line, 100 m/min, detour 1: site s0 at 0 m, s1 at 1000 m, s2 at 2000 m.
    return {
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "categories": [{"id": "a", "threshold_min": 5},
                       {"id": "b", "threshold_min": 5, "demand": "elderly", "weight": 2}],
        "communities": [
            {"id": "c0", "x": 0, "y": 0, "population": 10, "elderly": 1},
            {"id": "c1", "x": 100, "y": 0, "population": 20, "elderly": 2},  # same pattern as c0
            {"id": "c2", "x": 1000, "y": 0, "population": 30, "elderly": 0},
            {"id": "c3", "x": 2000, "y": 0, "population": 40, "elderly": 4},
            {"id": "c4", "x": 9000, "y": 0, "population": 50, "elderly": 5},  # unreachable
        ],
        "sites": [
            {"id": "s0", "x": 0, "y": 0, "cost": {"a": 1, "b": 2}, "open_cost": 3},
            {"id": "s1", "x": 1000, "y": 0, "categories": ["a"], "cost": 1},
            {"id": "s2", "x": 2000, "y": 0, "cost": 2, "max_categories": 1},
        ],
        "existing": [{"id": "e0", "x": 2000, "y": 0, "categories": ["a"]}],
        "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
        "objective": objective,
    }


def _build(objective: dict[str, Any]) -> Any:
    inst = Instance.from_dict(_data(objective))
    return inst, build_model(inst, coverage_from_instance(inst))


def test_max_coverage_blocks_and_reductions() -> None:
    inst, model = _build({"type": "max_coverage", "budget": 4, "max_new": {"b": 1}})
    # pairs: a: c0,c1 (s0), c2 (s1), c3 pre-covered by e0, c4 unreachable
    #        b: c0,c1 (s0), c2 out of reach (10 min > 5), c3 (s2), c4 unreachable
    assert model.stats["pairs_precovered"] == 1
    assert model.stats["pairs_uncoverable"] == 3
    assert model.stats["rows_before_merge"] == 6
    assert model.stats["rows_merged_to"] == 4  # c0 and c1 merge in a and in b
    assert model.sense == "max"
    assert model.offset == 40.0  # c3's population for a, weight 1
    x, u, y = (model.blocks[n] for n in ("open", "site_open", "covered"))
    assert x.stop - x.start == 4  # (s0,a) (s0,b) (s1,a) (s2,b); (s2,a) covers nothing new
    assert u.stop - u.start == 1  # only s0 has an open cost
    assert sorted(model.c[y].tolist()) == [6.0, 8.0, 30.0, 30.0]  # b: 2*(1+2), 2*4
    assert model.integrality[x].all() and model.integrality[u].all()
    assert not model.integrality[y].any()
    assert set(model.row_blocks) == {"cover", "budget", "max_new", "link"}
    budget = model.row_blocks["budget"]
    assert model.row_upper[budget].tolist() == [4.0]
    # s0's two columns are linked to its open variable
    assert model.row_blocks["link"].stop - model.row_blocks["link"].start == 2
    # max_categories of s2 cannot bind: it has one useful column only
    assert "max_categories" not in model.row_blocks
    assert model.A.shape == (model.n_rows, model.n_vars)
    cover = model.A[[*range(model.row_blocks["cover"].start, model.row_blocks["cover"].stop)]]
    assert np.all(cover.toarray()[:, y] >= 0)
    assert np.all(model.row_upper[model.row_blocks["cover"]] == 0)


def test_min_cost_full_coverage_rows() -> None:
    data = _data({"type": "min_cost"})
    data["communities"].pop()  # drop the unreachable community
    inst = Instance.from_dict(data)
    model = build_model(inst, coverage_from_instance(inst))
    assert model.sense == "min"
    assert "covered" not in model.blocks or model.blocks["covered"].stop == model.blocks[
        "covered"].start
    cover = model.row_blocks["cover"]
    assert np.all(model.row_lower[cover] == 1) and np.all(np.isinf(model.row_upper[cover]))
    x = model.blocks["open"]
    assert np.all(model.c[x] > 0)


def test_min_cost_target_share_rows() -> None:
    _, model = _build({"type": "min_cost", "target_share": 0.5})
    assert "target" in model.row_blocks
    target = model.row_blocks["target"]
    assert np.all(np.isinf(model.row_upper[target]))


def test_max_complete_merges_communities() -> None:
    _, model = _build({"type": "max_complete"})
    # c0,c1 identical pattern; c2 can never reach b (complete needs every required category
    # whatever its demand), nor can c4; c3 has a from e0 and needs b from s2.
    assert model.stats["communities_never_complete"] == 2
    z = model.blocks["complete"]
    assert sorted(model.c[z].tolist()) == [30.0, 40.0]  # c0 + c1 merged: 10 + 20
    assert model.offset == 0.0
    assert model.integrality.all()  # z integer too, so engines branch on completion


def test_no_variables_when_everything_is_precovered() -> None:
    data = _data({"type": "max_coverage"})
    data["existing"] = [{"id": f"e{i}", "x": x, "y": 0, "categories": ["a", "b"]}
                        for i, x in enumerate([0, 1000, 2000, 9000])]
    inst = Instance.from_dict(data)
    model = build_model(inst, coverage_from_instance(inst))
    assert model.n_vars == 0 and model.n_rows == 0
    assert model.offset == float((inst.demand * inst.weight).sum())
