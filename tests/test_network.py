"""Network travel mode: readers, joins, reachability vs networkx, reports, a hand-checked case."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import sitecircle
from sitecircle import Instance, InstanceError
from sitecircle.geodesy import haversine_m
from sitecircle.streets.osm import is_walkable, read_osm_pbf, read_osm_xml, walk_edges
from sitecircle.streets.read import read_network
from sitecircle.travel.join_report import network_report
from sitecircle.travel.network import _prepared, network_nearest, network_pairs, reach_within
from sitecircle.travel.straight import facility_reach_min
from sitecircle.verifier.network import network_covered
from tests.conftest import INSTANCES, shared_data

REAL = INSTANCES / "real"
SPEED = 66.7


def _doc(network: Path | str, communities: list[tuple[float, float]],
         sites: list[tuple[float, float]], *, crs: str = "EPSG:4326", speed: float = SPEED,
         existing: list[tuple[float, float]] = (), **travel: Any) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "format": "sitecircle.instance/1", "crs": crs,
        "categories": [{"id": "a", "threshold_min": 15}, {"id": "b", "threshold_min": 6}],
        "communities": [{"id": f"c{i}", "x": x, "y": y, "population": 1 + i % 3}
                        for i, (x, y) in enumerate(communities)],
        "sites": [{"id": f"s{i}", "x": x, "y": y, "categories": ["a"] if i % 2 else ["b"]}
                  for i, (x, y) in enumerate(sites)],
        "existing": [{"id": f"e{i}", "x": x, "y": y, "categories": ["a"]}
                     for i, (x, y) in enumerate(existing)],
        "travel": {"mode": "network", "file": str(network), "speed_m_per_min": speed, **travel},
    }


def _random_instance(network: Path, seed: int, n: int = 150, m: int = 40) -> Instance:
    xy = read_network(network).xy
    rng = np.random.default_rng(seed)
    lo, hi = np.quantile(xy, 0.3, axis=0), np.quantile(xy, 0.7, axis=0)

    def pts(k: int) -> list[tuple[float, float]]:
        return [tuple(p) for p in (lo + rng.random((k, 2)) * (hi - lo)).tolist()]

    return Instance.from_dict(_doc(network, pts(n), pts(m), existing=pts(6)))


def _networkx_minutes(instance: Instance) -> dict[tuple[int, int], float]:
    """Brute force: networkx Dijkstra (no cutoff) from every facility node."""
    prep = _prepared(instance)
    net = prep.net
    g = nx.Graph()
    for u, v, w in zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(),
                       strict=True):
        if u != v and (not g.has_edge(u, v) or g[u][v]["w"] > w):
            g.add_edge(u, v, w=w)
    out = {}
    for f, node in enumerate(prep.facility_node.tolist()):
        dist = nx.single_source_dijkstra_path_length(g, node, weight="w")
        for c, cnode in enumerate(prep.community_node.tolist()):
            if cnode in dist:
                out[(c, f)] = (prep.community_m[c] + dist[cnode] + prep.facility_m[f]) / SPEED
    return out


@pytest.mark.parametrize(("name", "n", "m"), [("shenzhen-longgang", 150, 40),
                                              ("helsinki-centre", 25, 80)])
def test_times_match_networkx_on_real_graphs(name: str, n: int, m: int) -> None:
    # Shenzhen searches from the facilities' nodes, Helsinki from the communities' (fewer)
    instance = _random_instance(REAL / f"{name}.graphml.gz", seed=7, n=n, m=m)
    brute = _networkx_minutes(instance)
    reach = facility_reach_min(instance)
    want = {k: t for k, t in brute.items() if t <= reach[k[1]] + 1e-6}
    pairs = network_pairs(instance)
    got = {(int(c), int(f)): t for c, f, t in
           zip(pairs.community, pairs.facility, pairs.minutes, strict=True)}
    assert len(want) > 50
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) <= 1e-9
    # nearest facility with no limit, and the verifier's networkx coverage
    fac, minutes = network_nearest(instance, np.arange(instance.n_communities),
                                   np.arange(len(instance.facility_ids)))
    for c in range(instance.n_communities):
        times = [t for (cc, _), t in brute.items() if cc == c]
        if times:
            assert minutes[c] == pytest.approx(min(times), abs=1e-9)
            assert brute[(c, int(fac[c]))] == pytest.approx(min(times), abs=1e-9)
        else:
            assert fac[c] == -1 and np.isinf(minutes[c])
    covered = network_covered(instance, np.arange(instance.n_sites),
                              np.arange(instance.n_existing), 15 + 1e-6)
    np.testing.assert_array_equal(covered, minutes <= 15 + 1e-6)


def test_reach_within_matches_networkx_with_forced_chunk_splits() -> None:
    rng = np.random.default_rng(3)
    side = 40
    ids = np.arange(side * side).reshape(side, side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    w = rng.uniform(5, 15, len(u))
    w[::17] = 0.0  # zero-length edges are edges
    n = side * side
    g = sp.csr_array((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                     shape=(n, n))
    xy = np.column_stack([ids.ravel() % side, ids.ravel() // side]).astype(float)
    sources = rng.choice(n, 150, replace=False)
    targets = rng.random(n) < 0.3
    s, t, d = reach_within(g, sources, 60.0, targets=targets, xy=xy, max_cells=2_000)
    h = nx.Graph()
    h.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
    want = {}
    for pos, src in enumerate(sources.tolist()):
        for node, dist in nx.single_source_dijkstra_path_length(h, src, cutoff=60.0).items():
            if targets[node]:
                want[(pos, node)] = dist
    got = {(int(a), int(b)): float(c) for a, b, c in zip(s, t, d, strict=True)}
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) <= 1e-9


# ------------------------------------------------------------------------------------------------
# a tiny network checked by hand


def _write_graphml(path: Path, nodes: dict[str, tuple[float, float]],
                   edges: list[tuple[str, str, float]], crs: str = "EPSG:3857") -> Path:
    g = nx.MultiDiGraph(crs=crs)
    for n, (x, y) in nodes.items():
        g.add_node(n, x=x, y=y)
    for a, b, length in edges:
        g.add_edge(a, b, length=length)
    nx.write_graphml(g, path)
    return path


@pytest.fixture
def tiny_network(tmp_path: Path) -> Path:
    """A–B–C–D in a line (500 m edges, a longer parallel A–B and C–D), and a separate E–F."""
    nodes = {"A": (0.0, 0.0), "B": (400.0, 0.0), "C": (800.0, 0.0), "D": (1200.0, 0.0),
             "E": (5000.0, 0.0), "F": (5100.0, 0.0)}
    edges = [("A", "B", 500.0), ("B", "A", 900.0), ("B", "C", 500.0), ("C", "D", 500.0),
             ("D", "C", 2000.0), ("E", "F", 100.0)]
    return _write_graphml(tmp_path / "tiny.graphml", nodes, edges)


def _tiny_doc(network: Path) -> dict[str, Any]:
    return {
        "format": "sitecircle.instance/1", "name": "tiny-network", "crs": "EPSG:3857",
        "categories": [{"id": "shop", "threshold_min": 10}],
        "communities": [
            {"id": "c1", "x": 0, "y": 10, "population": 10},     # joins A, 10 m
            {"id": "c2", "x": 1200, "y": 0, "population": 20},   # on D
            {"id": "c3", "x": 620, "y": 30, "population": 5},    # joins C, 182.48 m
            {"id": "c4", "x": 5010, "y": 0, "population": 7},    # on the other component
        ],
        "sites": [{"id": "s1", "x": 400, "y": 0}, {"id": "s2", "x": 800, "y": 0}],
        "travel": {"mode": "network", "file": str(network), "speed_m_per_min": 100},
        "objective": {"type": "max_coverage", "budget": 1},
    }


def test_tiny_network_minutes_by_hand(tiny_network: Path) -> None:
    instance = Instance.from_dict(_tiny_doc(tiny_network))
    pairs = network_pairs(instance)
    got = {(instance.community_ids[c], instance.facility_ids[f]): t
           for c, f, t in zip(pairs.community, pairs.facility, pairs.minutes, strict=True)}
    j3 = float(np.hypot(180, 30))
    # parallel edges count with the shortest length (A–B 500 not 900 nor 1400): c1→s1 = 5.1
    assert got == pytest.approx({("c1", "s1"): 5.1, ("c2", "s1"): 10.0, ("c2", "s2"): 5.0,
                                 ("c3", "s1"): (j3 + 500) / 100, ("c3", "s2"): j3 / 100})
    assert ("c1", "s2") not in got  # 10.1 minutes: beyond the threshold


def test_tiny_network_optimum_by_hand(tiny_network: Path, backend: tuple[str, str]) -> None:
    # s1 covers c1 (5.1 min), c2 (exactly 10.0: inclusive) and c3: 35; s2 covers c2, c3: 25.
    solution = sitecircle.solve(_tiny_doc(tiny_network) | {}, backend=backend[0])
    assert solution.status.value == "optimal"
    assert solution.objective == pytest.approx(35.0)
    assert solution.open == [{"site": "s1", "category": "shop"}]
    assert next(c for c in solution.communities if c["id"] == "c4")["missing"] == ["shop"]


def test_components_are_unreachable_and_reported(tiny_network: Path) -> None:
    instance = Instance.from_dict(_tiny_doc(tiny_network))
    fac, minutes = network_nearest(instance, np.array([3, 0]), np.array([0, 1]))
    assert fac.tolist() == [-1, 0]
    assert np.isinf(minutes[0]) and minutes[1] == pytest.approx(5.1)
    report = network_report(instance)
    assert report["components"] == 2
    assert report["unreachable"] == ["c4"]
    assert [(r["kind"], r["id"]) for r in report["isolated"]] == [("community", "c4")]
    assert report["far_count"] == 0
    assert any("c4" in m for m in report["messages"])
    # min_cost cannot cover c4: the explanation names it, with no facility reachable
    doc = _tiny_doc(tiny_network) | {"objective": {"type": "min_cost"}}
    solution = sitecircle.solve(doc)
    assert solution.status.value == "infeasible"
    rows = solution.explanation["categories"][0]["communities"]  # type: ignore[index]
    assert rows == [{"community": "c4", "demand": 7.0, "nearest": None, "nearest_kind": None,
                     "nearest_minutes": None}]


def test_join_distance_is_walked_straight(tmp_path: Path) -> None:
    net = _write_graphml(tmp_path / "line.graphml", {"A": (0, 0), "B": (1000, 0)},
                         [("A", "B", 1200.0)])
    doc = _tiny_doc(net) | {"communities": [{"id": "c", "x": -30, "y": 40, "population": 1}],
                            "sites": [{"id": "s", "x": 1000, "y": -120}]}
    doc["categories"][0]["threshold_min"] = 30
    instance = Instance.from_dict(doc)
    pairs = network_pairs(instance)
    assert pairs.minutes.tolist() == pytest.approx([(50 + 1200 + 120) / 100])
    q = network_report(instance)["join_m"]
    assert q["community"]["max"] == pytest.approx(50) and q["site"]["max"] == pytest.approx(120)


def test_swapped_lat_lon_is_reported() -> None:
    net = REAL / "helsinki-centre.graphml.gz"
    lon, lat = read_network(net).xy.mean(axis=0)
    doc = _doc(net, [(lon, lat), (lat, lon)], [(lon + 0.001, lat)])
    doc["communities"][1]["id"] = "swapped"
    report = network_report(Instance.from_dict(doc))
    assert report["far_count"] == 1
    far = report["far"][0]
    assert (far["kind"], far["id"]) == ("community", "swapped") and far["join_m"] > 1e6
    assert "swapped lat/lon" in report["messages"][0] and "'swapped'" in report["messages"][0]


def test_max_join_m_is_configurable() -> None:
    net = REAL / "helsinki-centre.graphml.gz"
    lon, lat = read_network(net).xy.mean(axis=0)
    # about 450 m north of the centre: GCJ-02-sized shift
    doc = _doc(net, [(lon, lat + 0.004)], [(lon, lat)], max_join_m=5)
    assert network_report(Instance.from_dict(doc))["far_count"] >= 1
    with pytest.raises(InstanceError, match="max_join_m"):
        Instance.from_dict(_doc(net, [(lon, lat)], [], max_join_m=-1))


# ------------------------------------------------------------------------------------------------
# reading and validation


@pytest.mark.parametrize(("content", "match"), [
    ("<graphml><broken", "cannot be read as GraphML"),
    ('<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
     '<key id="x" for="node" attr.name="x" attr.type="double"/>'
     '<key id="y" for="node" attr.name="y" attr.type="double"/>'
     '<graph edgedefault="directed"><node id="a"><data key="x">1</data><data key="y">2</data>'
     '</node></graph></graphml>', "no edges"),
])
def test_unreadable_network_is_an_instance_error(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "bad.graphml"
    path.write_text(content)
    with pytest.raises(InstanceError, match=match):
        Instance.from_dict(_tiny_doc(path))


def test_missing_attributes_are_instance_errors(tmp_path: Path) -> None:
    g = nx.MultiDiGraph()
    g.add_node("a", x=0.0, y=0.0)
    g.add_node("b", x=1.0)
    g.add_edge("a", "b", length=1.0)
    nx.write_graphml(g, tmp_path / "no_y.graphml")
    with pytest.raises(InstanceError, match="node y missing"):
        Instance.from_dict(_tiny_doc(tmp_path / "no_y.graphml"))
    g.nodes["b"]["y"] = 0.0
    g.add_edge("b", "a")
    nx.write_graphml(g, tmp_path / "no_length.graphml")
    with pytest.raises(InstanceError, match="edge length missing"):
        Instance.from_dict(_tiny_doc(tmp_path / "no_length.graphml"))
    osm = tmp_path / "empty.osm"
    osm.write_text('<osm version="0.6"><node id="1" lat="0" lon="0"/></osm>')
    with pytest.raises(InstanceError, match="no walkable ways"):
        Instance.from_dict(_tiny_doc(osm) | {"crs": "EPSG:4326"})


def test_graphml_crs_must_match(tiny_network: Path) -> None:
    with pytest.raises(InstanceError, match="crs"):
        network_pairs(Instance.from_dict(_tiny_doc(tiny_network) | {"crs": "EPSG:32650"}))


def test_network_file_is_cached_until_it_changes(tiny_network: Path) -> None:
    first = read_network(tiny_network)
    assert read_network(tiny_network) is first
    stat = tiny_network.stat()
    os.utime(tiny_network, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert read_network(tiny_network) is not first


_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="22.70" lon="114.20"/><node id="2" lat="22.70" lon="114.201"/>
 <node id="3" lat="22.701" lon="114.201"/><node id="4" lat="22.701" lon="114.20"/>
 <node id="5" lat="22.702" lon="114.20"><tag k="shop" v="convenience"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
 <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="motorway_link"/></way>
 <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/>
  <tag k="access" v="private"/></way>
 <way id="13"><nd ref="4"/><nd ref="1"/><tag k="highway" v="service"/><tag k="foot" v="no"/></way>
 <way id="14"><nd ref="1"/><nd ref="99"/><nd ref="3"/><nd ref="4"/><tag k="highway" v="path"/></way>
 <way id="15"><nd ref="2"/><nd ref="4"/><tag k="highway" v="cycleway"/></way>
 <way id="16"><nd ref="1"/><nd ref="3"/><tag k="building" v="yes"/></way>
 <way id="17"><nd ref="4"/><nd ref="5"/><tag k="highway" v="steps"/></way>
</osm>
"""


def test_osm_xml_keeps_walkable_ways_only(tmp_path: Path) -> None:
    path = tmp_path / "x.osm"
    path.write_text(_OSM)
    osm = read_osm_xml(path)
    u, v, length = walk_edges(osm)
    pairs = sorted(tuple(sorted((int(osm.node_ids[a]), int(osm.node_ids[b]))))
                   for a, b in zip(u, v, strict=True))
    # footway 1-2, path 1-99-3-4 cut at the missing node 99 (keeps 3-4), steps 4-5
    assert pairs == [(1, 2), (3, 4), (4, 5)]
    ll = osm.node_lonlat
    assert length[0] == pytest.approx(float(haversine_m(ll[[0]], ll[[1]])[0]), rel=1e-12)
    assert osm.node_tags[5] == {"shop": "convenience"}
    assert not is_walkable({"highway": "footway", "area": "yes"})
    assert not is_walkable({"highway": "construction"})
    assert is_walkable({"highway": "living_street"}) and is_walkable({"highway": "pedestrian"})


def test_osm_xml_garbage_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.osm"
    path.write_text("<osm><node id='1' lat='x' lon='0'/></osm>")
    with pytest.raises(InstanceError, match="garbles"):
        read_network(path)
    path.write_text("<gpx></gpx>")
    with pytest.raises(InstanceError, match="not OSM XML"):
        read_network(path)


def test_osm_network_in_a_projected_instance(tmp_path: Path) -> None:
    path = tmp_path / "x.osm"
    path.write_text(_OSM)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    x1, y1 = tr.transform(114.20, 22.70)
    x2, y2 = tr.transform(114.201, 22.70)
    doc = _doc(path, [(x1, y1)], [(x2, y2), (x2, y2)], crs="EPSG:32650")
    pairs = network_pairs(Instance.from_dict(doc))
    edge = float(haversine_m(np.array([[114.20, 22.70]]), np.array([[114.201, 22.70]]))[0])
    assert pairs.minutes.tolist() == pytest.approx([edge / SPEED] * 2, abs=1e-6)


def test_pbf_reader_matches_xml_reader(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    pbf = shared_data("real", "helsinki-centre-osm-pop", "helsinki_centre.osm.pbf")
    xml = tmp_path / "helsinki.osm"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)
    a, b = read_osm_pbf(pbf), read_osm_xml(xml)
    np.testing.assert_array_equal(a.node_ids, b.node_ids)
    np.testing.assert_allclose(a.node_lonlat, b.node_lonlat, atol=1e-7)
    assert a.node_tags == b.node_tags
    assert [(w.id, w.refs.tolist(), w.tags) for w in a.ways] == \
        [(w.id, w.refs.tolist(), w.tags) for w in b.ways]
    ea, eb = walk_edges(a), walk_edges(b)
    assert len(ea[0]) > 5000
    np.testing.assert_allclose(ea[2], eb[2], rtol=1e-6)


def test_shenzhen_osm_network_equals_its_built_graphml() -> None:
    osm = shared_data("real", "shenzhen-longgang-osm", "shenzhen_longgang.osm")
    raw = read_network(osm)
    built = read_network(REAL / "shenzhen-longgang.graphml.gz")
    assert raw.n_nodes > built.n_nodes > 2000  # the build keeps the largest component
    assert raw.crs == "EPSG:4326" and json.dumps(built.crs) == '"EPSG:4326"'
    ids = {n: i for i, n in enumerate(raw.node_ids)}
    pos = np.array([ids[n] for n in built.node_ids])
    np.testing.assert_allclose(built.xy, raw.xy[pos], atol=1e-7)


def test_reachability_benchmark_smoke(tmp_path: Path) -> None:
    from benchmarks.reachability import main

    assert main(["--nodes", "2500", "--sources", "40", "--cutoff", "400", "--out",
                 str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "reachability.json").read_text())["rows"]
    assert [r["method"] for r in rows] == ["sitecircle", "networkx"]
    assert all(r["agrees_with_networkx"] and r["pairs"] > 0 for r in rows)
    assert (tmp_path / "reachability.md").read_text().startswith("# Reachability benchmark")
