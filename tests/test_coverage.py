"""Travel times and coverage: KD-tree pairs against dense brute force, boundary, matrix mode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sitecircle import Instance, coverage_from_instance
from sitecircle.geodesy import haversine_m
from sitecircle.travel import straight
from sitecircle.travel.pairs import travel_pairs
from sitecircle.verifier import check


def _instance(seed: int, *, geographic: bool, n: int = 300, m: int = 60, e: int = 20) -> Instance:
    rng = np.random.default_rng(seed)
    if geographic:
        def pts(k: int) -> np.ndarray:
            return np.column_stack([108.30 + rng.random(k) * 0.05, 22.80 + rng.random(k) * 0.05])
    else:
        def pts(k: int) -> np.ndarray:
            return rng.random((k, 2)) * 5000
    c, s, x = pts(n), pts(m), pts(e)
    cats = [{"id": "a", "threshold_min": 5}, {"id": "b", "threshold_min": 15},
            {"id": "c", "threshold_min": 10}]
    site_cats = [["a"], ["b"], ["a", "c"], ["a", "b", "c"]]
    data: dict[str, Any] = {
        "format": "sitecircle.instance/1", "crs": "EPSG:4326" if geographic else "EPSG:3857",
        "categories": cats,
        "communities": [{"id": f"c{i}", "x": float(p[0]), "y": float(p[1]), "population": 1}
                        for i, p in enumerate(c)],
        "sites": [{"id": f"s{j}", "x": float(p[0]), "y": float(p[1]),
                   "categories": site_cats[j % 4]} for j, p in enumerate(s)],
        "existing": [{"id": f"e{j}", "x": float(p[0]), "y": float(p[1]),
                      "categories": site_cats[(j + 1) % 4]} for j, p in enumerate(x)],
    }
    return Instance.from_dict(data)


def _dense_minutes(inst: Instance) -> np.ndarray:
    a = np.repeat(inst.community_xy, len(inst.facility_xy), axis=0)
    b = np.tile(inst.facility_xy, (inst.n_communities, 1))
    d = haversine_m(a, b) if inst.geographic else np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])
    return (d * inst.travel.detour / inst.travel.speed_m_per_min).reshape(inst.n_communities, -1)


@pytest.mark.parametrize("tree", [False, True], ids=["dense", "kd_tree"])
@pytest.mark.parametrize("geographic", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_coverage_matches_dense_brute_force(seed: int, geographic: bool, tree: bool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if tree:  # the KD-tree path of large instances, on the same small one
        monkeypatch.setattr(straight, "DENSE_PAIRS", 0)
    inst = _instance(seed, geographic=geographic)
    cov = coverage_from_instance(inst)
    dense = _dense_minutes(inst)
    m = inst.n_sites
    for k, cat in enumerate(inst.categories):
        want = (dense[:, :m] <= cat.threshold_min) & inst.site_hosts[:, k][None, :]
        got = cov.matrix(k).toarray()
        assert np.array_equal(got, want), cat.id
        want_pre = ((dense[:, m:] <= cat.threshold_min)
                    & inst.existing_hosts[:, k][None, :]).any(axis=1)
        assert np.array_equal(cov.precovered[:, k], want_pre)
    assert cov.coverable.sum() > 0 and cov.precovered.sum() > 0


def test_pairs_only_within_reach() -> None:
    inst = _instance(7, geographic=False)
    pairs = travel_pairs(inst)
    dense = _dense_minutes(inst)
    assert np.allclose(pairs.minutes, dense[pairs.community, pairs.facility])
    assert pairs.minutes.max() <= 15 + 1e-6
    # far fewer pairs than the dense matrix
    assert len(pairs) < dense.size


def _line(d_m: float, threshold: float) -> Instance:
    return Instance.from_dict({
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "categories": [{"id": "a", "threshold_min": threshold}],
        "communities": [{"id": "c", "x": 0, "y": 0, "population": 1}],
        "sites": [{"id": "s", "x": d_m, "y": 0}],
        "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
    })


def test_threshold_is_inclusive() -> None:
    assert coverage_from_instance(_line(1000, 10)).matrix(0).toarray()[0, 0]
    assert not coverage_from_instance(_line(1000.01, 10)).matrix(0).toarray()[0, 0]
    assert coverage_from_instance(_line(0, 0)).matrix(0).toarray()[0, 0]


def test_detour_and_speed() -> None:
    inst = Instance.from_dict({
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "categories": [{"id": "a", "threshold_min": 15}],
        "communities": [{"id": "c", "x": 0, "y": 0, "population": 1}],
        "sites": [{"id": "s1", "x": 800, "y": 0}, {"id": "s2", "x": 801, "y": 0}],
    })
    # defaults: 66.7 m/min, detour 1.25: 800 m → 14.99 min, 801 m → 15.01 min
    assert coverage_from_instance(inst).matrix(0).toarray().tolist() == [[True, False]]


def test_geographic_distance_known_value() -> None:
    # one degree of latitude on the mean-radius sphere
    d = haversine_m(np.array([[108.0, 22.0]]), np.array([[108.0, 23.0]]))
    assert d[0] == pytest.approx(6_371_008.8 * np.pi / 180, rel=1e-12)


def test_matrix_mode_unlisted_is_unreachable() -> None:
    inst = Instance.from_dict({
        "format": "sitecircle.instance/1",
        "categories": [{"id": "a", "threshold_min": 10}],
        "communities": [{"id": f"c{i}", "x": 0, "y": 0, "population": 1} for i in range(3)],
        "sites": [{"id": "s", "x": 0, "y": 0}],
        "existing": [{"id": "e", "x": 0, "y": 0, "categories": ["a"]}],
        "travel": {"mode": "matrix", "times": [["c0", "s", 10], ["c1", "s", 10.01],
                                              ["c2", "e", 3]]},
    })
    cov = coverage_from_instance(inst)
    assert cov.matrix(0).toarray()[:, 0].tolist() == [True, False, False]
    assert cov.precovered[:, 0].tolist() == [False, False, True]


@pytest.mark.parametrize("tree", [False, True], ids=["dense", "kd_tree"])
def test_pair_within_the_time_tolerance_is_kept_by_both_paths(
        tree: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pair a hair beyond the threshold (inside TIME_TOLERANCE_MIN) counts on both paths, as
    the verifier counts it (the tree's search radius once left it out)."""
    if tree:
        monkeypatch.setattr(straight, "DENSE_PAIRS", 0)
    speed = 80.0  # 15 min = 1,200 m at detour 1
    data: dict[str, Any] = {
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "travel": {"mode": "straight", "detour": 1.0, "speed_m_per_min": speed},
        "categories": [{"id": "a", "threshold_min": 15}],
        "communities": [{"id": "c0", "x": 0.0, "y": 0.0, "population": 1}],
        "sites": [{"id": "s0", "x": 1200.0 + 0.5e-6 * speed, "y": 0.0, "categories": ["a"]},
                  {"id": "s1", "x": 1200.0 + 2e-6 * speed, "y": 0.0, "categories": ["a"]}],
    }
    cov = coverage_from_instance(Instance.from_dict(data))
    assert cov.matrix(0).toarray().tolist() == [[True, False]]


@pytest.mark.parametrize("geographic", [False, True])
def test_verifier_nearest_facility_scan_matches_its_kd_tree(
        geographic: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifier's dense scan (small instances) and its KD-tree agree on who is covered."""
    inst = _instance(4, geographic=geographic, n=400, m=90, e=10)
    rng = np.random.default_rng(0)
    pairs = np.column_stack([rng.choice(inst.n_sites, 40, replace=False),
                             rng.integers(0, inst.n_categories, 40)]).astype(np.int64)
    pairs = pairs[inst.site_hosts[pairs[:, 0], pairs[:, 1]]]
    dense = check.covered_matrix(inst, pairs)
    monkeypatch.setattr(check, "DENSE_NEAREST", 0)
    assert np.array_equal(check.covered_matrix(inst, pairs), dense)
    assert 0 < dense.sum() < dense.size
