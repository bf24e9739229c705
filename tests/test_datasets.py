"""Tests of ``sitecircle.datasets`` on the real benchmark files in ``/work/shared/data``.

Coverage values are recomputed here with plain numpy from the emitted instance dicts, so they
check the readers independently of any solver.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

try:
    from sitecircle import datasets as ds
except ImportError:  # package not installed yet: use the source tree (datasets has no deps)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from sitecircle import datasets as ds
from tests.conftest import SHARED_DATA, SHARED_DATA_ENV

DATA = SHARED_DATA
MCLP = DATA / "mclp"
SCP = DATA / "orlib-scp"

pytestmark = pytest.mark.skipif(
    not (MCLP.is_dir() and SCP.is_dir()),
    reason=f"public benchmark data not found at {DATA} (expected mclp/ and orlib-scp/ there; "
    f"set {SHARED_DATA_ENV} to the folder that holds them)",
)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def _demand(inst: dict[str, Any]) -> np.ndarray:
    return np.array([c["population"] for c in inst["communities"]], dtype=np.int64)


def _cover_matrix(inst: dict[str, Any]) -> np.ndarray:
    """Boolean (sites x communities) cover matrix of a single-category instance."""
    comm = inst["communities"]
    sites = inst["sites"]
    thr = inst["categories"][0]["threshold_min"]
    travel = inst["travel"]
    if travel["mode"] == "straight":
        cx = np.array([[c["x"], c["y"]] for c in comm])
        sx = np.array([[s["x"], s["y"]] for s in sites])
        dist = np.sqrt(((sx[:, None, :] - cx[None, :, :]) ** 2).sum(axis=2))
        return np.asarray(dist * travel["detour"] / travel["speed_m_per_min"] <= thr)
    c_index = {c["id"]: k for k, c in enumerate(comm)}
    s_index = {s["id"]: k for k, s in enumerate(sites)}
    times = travel["times"]
    i = np.array([c_index[t[0]] for t in times], dtype=np.int64)
    j = np.array([s_index[t[1]] for t in times], dtype=np.int64)
    minutes = np.array([t[2] for t in times], dtype=np.float64)
    cover = np.zeros((len(sites), len(comm)), dtype=bool)
    ok = minutes <= thr
    cover[j[ok], i[ok]] = True
    return cover


def _best_single(inst: dict[str, Any]) -> int:
    return int((_cover_matrix(inst) @ _demand(inst)).max())


def _best_pair(inst: dict[str, Any]) -> int:
    cover = _cover_matrix(inst).astype(np.int64)
    w = _demand(inst)
    single = cover @ w
    both = (cover * w) @ cover.T  # demand covered by both a and b
    union = single[:, None] + single[None, :] - both
    return int(union.max())


def _check_ids_and_triples(inst: dict[str, Any]) -> None:
    assert inst["format"] == "sitecircle.instance/1"
    comm_ids = [c["id"] for c in inst["communities"]]
    site_ids = [s["id"] for s in inst["sites"]] + [e["id"] for e in inst.get("existing", [])]
    assert len(set(comm_ids)) == len(comm_ids)
    assert len(set(site_ids)) == len(site_ids)
    if inst["travel"]["mode"] == "matrix":
        cset, sset = set(comm_ids), set(site_ids)
        for a, b, t in inst["travel"]["times"]:
            assert type(a) is str and type(b) is str and type(t) is float
            assert a in cset and b in sset and t >= 0


def _known(instance: str, p: int, radius: float) -> dict[str, Any]:
    rows = ds.mclp_known_values(MCLP / "results.csv")
    row: dict[str, Any]
    (row,) = [
        r
        for r in rows
        if r["instance"] == instance and r["p_or_budget"] == p and r["radius"] == radius
    ]
    return row


# ------------------------------------------------------------------------------------------
# OR-Library set covering
# ------------------------------------------------------------------------------------------


def test_scp41_counts() -> None:
    costs, rows, cols, m, n = ds.read_orlib_scp_arrays(SCP / "scp41.txt")
    assert (m, n) == (200, 1000)
    assert costs.shape == (1000,) and rows.size == cols.size == 4009
    assert rows.min() == 0 and rows.max() == 199 and cols.min() >= 0 and cols.max() <= 999
    assert np.unique(rows * n + cols).size == 4009  # no duplicate incidences
    inst = ds.read_orlib_scp(SCP / "scp41.txt")
    assert inst["name"] == "scp41"
    assert len(inst["communities"]) == 200 and len(inst["sites"]) == 1000
    assert len(inst["travel"]["times"]) == 4009
    assert inst["objective"] == {"type": "min_cost"}
    assert inst["categories"] == [{"id": "cover", "threshold_min": 0}]
    assert [s["cost"] for s in inst["sites"]] == costs.tolist()
    assert inst["travel"]["times"][0] == ["r1", f"c{cols[0] + 1}", 0.0]
    _check_ids_and_triples(inst)


def test_scp_gz_parses_like_plain(tmp_path: Path) -> None:
    costs, rows, cols, m, n = ds.read_orlib_scp_arrays(SCP / "scpnrh1.txt.gz")
    assert (m, n, rows.size) == (1000, 10000, 499163)
    assert costs.min() >= 1 and costs.max() <= 100
    # the same file compressed by us parses identically to the plain text
    gz = tmp_path / "scp41.txt.gz"
    with (SCP / "scp41.txt").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    a = ds.read_orlib_scp_arrays(SCP / "scp41.txt")
    b = ds.read_orlib_scp_arrays(gz)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert ds.read_orlib_scp(gz)["name"] == "scp41"


def test_scp_truncated_file_is_rejected(tmp_path: Path) -> None:
    text = (SCP / "scp41.txt").read_text().split()
    bad = tmp_path / "bad.txt"
    bad.write_text(" ".join(text[:-3]))
    with pytest.raises(ValueError, match="truncated"):
        ds.read_orlib_scp_arrays(bad)
    bad.write_text(" ".join([*text, "7"]))
    with pytest.raises(ValueError, match="trailing"):
        ds.read_orlib_scp_arrays(bad)


# ------------------------------------------------------------------------------------------
# planar sets: Swain, SJC, BDS
# ------------------------------------------------------------------------------------------


def test_swain_counts_and_best_single_site() -> None:
    inst = ds.read_swain(MCLP / "swain" / "swain55.txt", radius=10, p=1)
    assert len(inst["communities"]) == 55 and len(inst["sites"]) == 55
    assert _demand(inst).sum() == 640
    assert inst["crs"] == "EPSG:3857"
    assert inst["travel"] == {"mode": "straight", "speed_m_per_min": 1, "detour": 1}
    assert inst["categories"][0]["threshold_min"] == 10
    assert inst["objective"] == {"type": "max_coverage", "max_new": 1}
    _check_ids_and_triples(inst)
    assert _best_single(inst) == 425  # brute force over the 55 sites


@pytest.mark.parametrize(("radius", "p"), [(15, 1), (20, 1), (25, 1), (10, 2), (15, 2)])
def test_swain_matches_results_csv(radius: int, p: int) -> None:
    inst = ds.read_swain(MCLP / "swain" / "swain55.txt", radius=radius, p=p)
    best = _best_single(inst) if p == 1 else _best_pair(inst)
    assert best == _known("swain/swain55", p, radius)["covered_demand"]


def test_sjc324() -> None:
    inst = ds.read_sjc(MCLP / "sjc" / "SJC324.txt", radius=800, p=2)
    assert len(inst["communities"]) == 324 and len(inst["sites"]) == 324
    assert _demand(inst).sum() == 12152
    _check_ids_and_triples(inst)
    assert _best_pair(inst) == _known("sjc/SJC324", 2, 800)["covered_demand"]  # 8790


def test_bds1000() -> None:
    inst = ds.read_bds(MCLP / "bds" / "BDS1000.txt", radius=5.5, budget=10)
    assert len(inst["communities"]) == 1000 and len(inst["sites"]) == 100
    assert _demand(inst).sum() == _known("bds/BDS1000", 10, 5.5)["total_demand"]
    assert inst["objective"] == {"type": "max_coverage", "budget": 10}
    assert {s["cost"] for s in inst["sites"]} == {1}
    assert inst["sites"][0]["x"] == pytest.approx(25.205632)
    assert inst["communities"][0]["population"] == 87
    _check_ids_and_triples(inst)


# ------------------------------------------------------------------------------------------
# Máximo
# ------------------------------------------------------------------------------------------


def test_maximo_newyork_counts() -> None:
    coords, demand, geographic = ds.read_maximo_arrays(MCLP / "maximo" / "NewYork.txt")
    assert geographic and coords.shape == (2713, 2) and demand.sum() == 1585873
    inst = ds.read_maximo(MCLP / "maximo" / "NewYork.txt", radius=400, p=50)
    assert len(inst["communities"]) == 2713 and len(inst["sites"]) == 2713
    assert _demand(inst).sum() == 1585873
    assert inst["travel"]["mode"] == "matrix" and inst["crs"] == "EPSG:4326"
    first = inst["communities"][0]  # x = longitude, y = latitude
    assert (first["x"], first["y"]) == (-74.0453133, 40.6899138)
    _check_ids_and_triples(inst)
    times = inst["travel"]["times"]
    assert max(t[2] for t in times) <= 400
    pairs = {(int(a[1:]), int(b[1:])) for a, b, _ in times}
    assert all((b, a) in pairs for a, b in pairs)  # symmetric
    assert all((k, k) in pairs for k in range(1, 2714))  # every node covers itself


def test_maximo_optimal_solution_brute() -> None:
    """Recompute a published optimum's coverage from the emitted matrix pairs."""
    sol = (MCLP / "maximo" / "optimal_solutions" / "NewYork_50_400.txt").read_text()
    f_value = int(re.search(r"f:\s*(\d+)", sol).group(1))  # type: ignore[union-attr]
    facilities = np.array(sol.split("Facilidade:")[1].split(), dtype=np.int64)  # 0-based
    assert facilities.size == 50
    inst = ds.read_maximo(MCLP / "maximo" / "NewYork.txt", radius=400, p=50)
    times = inst["travel"]["times"]
    i = np.array([int(t[0][1:]) - 1 for t in times])
    j = np.array([int(t[1][1:]) - 1 for t in times])
    is_open = np.zeros(len(inst["sites"]), dtype=bool)
    is_open[facilities] = True
    covered = np.zeros(len(inst["communities"]), dtype=bool)
    covered[i[is_open[j]]] = True
    assert int(_demand(inst)[covered].sum()) == f_value == 1153640


def test_maximo_pairs_match_dense_reference() -> None:
    """cKDTree candidates lose no pair: compare with a dense float32 computation on a subset."""
    coords, _, _ = ds.read_maximo_arrays(MCLP / "maximo" / "Bronx.txt")
    sub = coords[:700]
    i, j, d = ds.maximo_pairs(sub, 600)
    lat = np.radians(sub[:, 0])
    dlon = np.radians(sub[None, :, 1] - sub[:, None, 1])
    arg = np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.cos(dlon) + np.outer(
        np.sin(lat), np.sin(lat)
    )
    with np.errstate(invalid="ignore"):
        dense = np.arccos(arg).astype(np.float32) * np.float32(6378100)
    np.fill_diagonal(dense, 0)
    ri, rj = np.nonzero(dense <= 600)
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_array_equal(j, rj)
    np.testing.assert_array_equal(d, dense[ri, rj])


def test_maximo_sjc32_is_euclidean() -> None:
    coords, demand, geographic = ds.read_maximo_arrays(MCLP / "maximo" / "SJC32.txt")
    assert not geographic and coords.shape == (32, 2)
    inst = ds.read_maximo(MCLP / "maximo" / "SJC32.txt", radius=800, p=2)
    assert inst["crs"] == "EPSG:3857" and _demand(inst).sum() == demand.sum()
    a, b = coords[0], coords[1]
    times = {(t[0], t[1]): t[2] for t in inst["travel"]["times"]}
    assert times[("d1", "s2")] == pytest.approx(float(np.hypot(*(a - b))), rel=1e-6)


# ------------------------------------------------------------------------------------------
# spopt San Francisco
# ------------------------------------------------------------------------------------------


def test_spopt_sf() -> None:
    folder = MCLP / "spopt-sf"
    inst = ds.read_spopt_sf(folder, radius=5000, p=1)
    assert len(inst["communities"]) == 205 and len(inst["sites"]) == 16
    assert _demand(inst).sum() == 955113
    _check_ids_and_triples(inst)
    # the demand column equals POP2000 of the tract file
    with (folder / "SF_demand_205_centroid_uniform_weight.csv").open(newline="") as fh:
        pop2000 = {row["NAME"]: int(row["POP2000"]) for row in csv.DictReader(fh)}
    assert {c["id"]: c["population"] for c in inst["communities"]} == pop2000
    assert max(t[2] for t in inst["travel"]["times"]) <= 5000
    assert _best_single(inst) == _known("spopt-sf/SF205x16", 1, 5000)["covered_demand"]
    assert _best_pair(inst) == _known("spopt-sf/SF205x16", 2, 5000)["covered_demand"]


# ------------------------------------------------------------------------------------------
# results.csv
# ------------------------------------------------------------------------------------------


def test_known_values_typed() -> None:
    rows = ds.mclp_known_values(MCLP / "results.csv")
    assert len(rows) == 120
    for r in rows:
        assert isinstance(r["p_or_budget"], int) and isinstance(r["radius"], int | float)
        assert isinstance(r["total_demand"], int) and isinstance(r["covered_demand"], int)
        assert r["covered_demand"] <= r["total_demand"]
        assert r["solver_time_s"] is None or isinstance(r["solver_time_s"], float)
    ny = _known("maximo/NewYork", 50, 400)
    assert ny["total_demand"] == 1585873 and ny["covered_demand"] == 1153640
    assert _known("bds/BDS1000", 10, 5.5)["radius"] == 5.5
