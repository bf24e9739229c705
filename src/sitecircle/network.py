"""Walking times on a street network: the ``network`` travel mode of FORMAT.md.

Minutes between a community and a facility are

    (straight distance community → its nearest node
     + shortest path between the two nodes
     + straight distance facility's node → facility) / speed_m_per_min,

with no detour factor. Straight distances are those of ``straight`` mode
(:func:`sitecircle.travel.distance_m`); every edge is walkable both ways and parallel edges count
with their shortest length; nodes in different components are unreachable. Lengths are metres,
times minutes.

Network files: GraphML as osmnx writes it (node ``x``, ``y`` in the instance CRS, edge ``length``
in metres; read with networkx), OSM XML (``.osm``) and OSM PBF (``.osm.pbf``, needs pyosmium)
read by :mod:`sitecircle._osm` with walkable ways only. Parsed files are cached by path,
modification time and size.

Reachability (:func:`reach_within`) runs a bounded Dijkstra from every distinct source node in
chunks of nearby sources (Morton order). Each chunk first finds the union of its sources' balls
(one multi-source Dijkstra with the cutoff), then runs scipy's C Dijkstra on the subgraph induced
by that ball only, so the dense work per source is the size of its neighbourhood, not of the
whole graph, and memory stays bounded by ``max_cells`` plus the pairs found.

The independent verifier's :func:`network_covered` shares no shortest-path or joining code with
the above: it uses networkx with a virtual source node.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from sitecircle.errors import InstanceError, Problem
from sitecircle.instance import TIME_TOLERANCE_MIN, Instance
from sitecircle.travel import TravelPairs, distance_m, facility_reach_min, unit_vectors

#: Dense Dijkstra cells (sources × subgraph nodes) allowed per chunk (8 bytes each).
DEFAULT_MAX_CELLS = 4_000_000
#: Most sources per chunk.
MAX_CHUNK = 128

__all__ = [
    "StreetNetwork", "check_network_file", "format_network_report", "network_covered",
    "network_nearest", "network_pairs", "network_report", "reach_within", "read_network",
]


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """A walking network: nodes with coordinates and undirected edges with lengths in metres.

    Parameters
    ----------
    path
        File it was read from.
    node_ids
        Node ids as in the file.
    xy
        ``(N, 2)`` node coordinates (longitude, latitude for OSM files).
    edge_u, edge_v, edge_length
        Edges as read: node positions and length in metres (parallel edges and self-loops
        included).
    crs
        The file's ``crs`` graph attribute (GraphML), ``"EPSG:4326"`` for OSM files, or None.
    """

    path: Path
    node_ids: tuple[str, ...]
    xy: NDArray[np.float64]
    edge_u: NDArray[np.int64]
    edge_v: NDArray[np.int64]
    edge_length: NDArray[np.float64]
    crs: str | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @cached_property
    def graph(self) -> sp.csr_array:
        """Symmetric CSR adjacency, the shortest of parallel edges, self-loops dropped.

        scipy's sparse constructors would *sum* duplicate entries, so the minimum is taken here
        and the CSR arrays are assembled directly. Zero-length edges stay as explicit zeros,
        which :mod:`scipy.sparse.csgraph` treats as edges.
        """
        u, v, w = self.edge_u, self.edge_v, self.edge_length
        keep = u != v
        a, b, w = np.minimum(u, v)[keep], np.maximum(u, v)[keep], w[keep]
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w = a[first], b[first], w[first]
        rows, cols, data = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([w, w])
        order = np.lexsort((cols, rows))
        n = self.n_nodes
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_array((data[order], cols[order].astype(np.int32), indptr), shape=(n, n))

    @cached_property
    def components(self) -> NDArray[np.int32]:
        """Connected-component label of every node."""
        _, labels = connected_components(self.graph, directed=False)
        return np.asarray(labels, dtype=np.int32)


# ------------------------------------------------------------------------------------------------
# reading


def _float_attr(values: list[Any], what: str, ids: list[Any], path: Path) -> NDArray[np.float64]:
    out = np.full(len(values), np.nan)
    bad: list[Any] = []
    for n, v in enumerate(values):
        try:
            out[n] = float(v)
        except (TypeError, ValueError):
            bad.append(ids[n])
    if bad:
        msg = (f"{path.name}: {len(bad)} {what} missing or not a number (e.g. {bad[0]!r}); "
               "osmnx GraphML needs node attributes x, y and edge attribute length (metres)")
        raise ValueError(msg)
    return out


def _read_graphml(path: Path) -> StreetNetwork:
    try:
        g = nx.read_graphml(path, force_multigraph=True)
    except Exception as exc:  # noqa: BLE001 - any parser failure is an invalid file
        msg = f"{path.name} cannot be read as GraphML: {type(exc).__name__}: {exc}"
        raise ValueError(msg) from exc
    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    x = _float_attr([g.nodes[n].get("x") for n in nodes], "node x", nodes, path)
    y = _float_attr([g.nodes[n].get("y") for n in nodes], "node y", nodes, path)
    edges = list(g.edges(data="length"))
    if not edges:
        msg = f"{path.name}: the network has no edges"
        raise ValueError(msg)
    names = [f"{u}-{v}" for u, v, _ in edges]
    length = _float_attr([d for _, _, d in edges], "edge length", names, path)
    bad = np.flatnonzero(~np.isfinite(length) | (length < 0))
    if len(bad):
        msg = (f"{path.name}: {len(bad)} edge lengths are negative or not finite (e.g. edge "
               f"{names[bad[0]]} = {length[bad[0]]})")
        raise ValueError(msg)
    xy = np.column_stack([x, y]).reshape(-1, 2)
    if not np.isfinite(xy).all():
        msg = f"{path.name}: node coordinates must be finite"
        raise ValueError(msg)
    crs = g.graph.get("crs")
    return StreetNetwork(
        path=path, node_ids=tuple(str(n) for n in nodes), xy=xy,
        edge_u=np.array([index[u] for u, _, _ in edges], dtype=np.int64),
        edge_v=np.array([index[v] for _, v, _ in edges], dtype=np.int64),
        edge_length=length, crs=str(crs) if crs is not None else None,
    )


def _read_osm(path: Path) -> StreetNetwork:
    from sitecircle._osm import read_osm, walk_edges

    osm = read_osm(path)
    u, v, length = walk_edges(osm)
    if len(u) == 0:
        msg = (f"{path.name}: no walkable ways (highway=footway, path, residential, service, ...) "
               f"among its {len(osm.ways)} ways")
        raise ValueError(msg)
    used, inverse = np.unique(np.concatenate([u, v]), return_inverse=True)
    return StreetNetwork(
        path=path, node_ids=tuple(str(i) for i in osm.node_ids[used].tolist()),
        xy=osm.node_lonlat[used], edge_u=inverse[: len(u)].astype(np.int64),
        edge_v=inverse[len(u):].astype(np.int64), edge_length=length, crs="EPSG:4326",
    )


@functools.lru_cache(maxsize=8)
def _read_cached(resolved: str, mtime_ns: int, size: int) -> StreetNetwork:
    path = Path(resolved)
    name = path.name.lower()
    if name.endswith((".osm", ".osm.xml", ".pbf")):
        return _read_osm(path)
    return _read_graphml(path)


def read_network(path: str | Path) -> StreetNetwork:
    """Read a network file (GraphML, ``.osm`` or ``.osm.pbf``), cached by path, mtime and size.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    StreetNetwork
        Nodes and edges as read.

    Raises
    ------
    InstanceError
        The file cannot be parsed, has no (walkable) edges, or lacks ``x``, ``y`` or ``length``.
    """
    p = Path(path).resolve()
    try:
        stat = p.stat()
        return _read_cached(str(p), stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError) as exc:
        raise InstanceError([Problem("travel.file", str(exc))]) from exc


def check_network_file(path: str | Path) -> list[str]:
    """Problems that make a network file unusable; empty when it reads.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    list of str
        One message per problem.
    """
    try:
        read_network(path)
    except InstanceError as exc:
        return [p.message for p in exc.problems]
    return []


@functools.lru_cache(maxsize=8)
def _network_in_crs(net: StreetNetwork, crs: str, geographic: bool) -> StreetNetwork:
    """The network with node coordinates in the instance CRS (OSM files are lon/lat)."""
    if net.crs is not None:
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError

        try:
            same = CRS.from_user_input(net.crs).equals(CRS.from_user_input(crs),
                                                        ignore_axis_order=True)
        except CRSError:
            same = True  # an unparsable graph attribute is not worth failing over
        if not same:
            if not net.path.name.lower().endswith((".osm", ".osm.xml", ".pbf")):
                msg = (f"{net.path.name}: the network's crs is {net.crs!r} but the instance's is "
                       f"{crs!r}; node x, y must be in the instance CRS")
                raise InstanceError([Problem("travel.file", msg)])
            tr = Transformer.from_crs(net.crs, crs, always_xy=True)
            x, y = tr.transform(net.xy[:, 0], net.xy[:, 1])
            return StreetNetwork(net.path, net.node_ids, np.column_stack([x, y]), net.edge_u,
                                 net.edge_v, net.edge_length, crs)
    if geographic and (np.abs(net.xy[:, 1]) > 90).any():
        msg = (f"{net.path.name}: node y values outside [-90, 90]: the network is not in "
               "longitude/latitude like the instance")
        raise InstanceError([Problem("travel.file", msg)])
    return net


# ------------------------------------------------------------------------------------------------
# joining


@dataclass(frozen=True, eq=False)
class _Prepared:
    net: StreetNetwork
    community_node: NDArray[np.int64]
    community_m: NDArray[np.float64]
    facility_node: NDArray[np.int64]
    facility_m: NDArray[np.float64]


def _tree_points(instance: Instance, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    return unit_vectors(xy) if instance.geographic else xy


@functools.lru_cache(maxsize=8)
def _node_tree(net: StreetNetwork, geographic: bool) -> cKDTree:
    return cKDTree(unit_vectors(net.xy) if geographic else net.xy)


def _join(instance: Instance, net: StreetNetwork,
          xy: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    if len(xy) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    _, node = _node_tree(net, instance.geographic).query(_tree_points(instance, xy))
    node = np.asarray(node, dtype=np.int64)
    return node, distance_m(instance, xy, net.xy[node])


@functools.lru_cache(maxsize=8)
def _prepared(instance: Instance) -> _Prepared:
    if instance.travel.mode != "network" or instance.travel.file is None:
        msg = "the instance's travel mode is not 'network' with a file"
        raise InstanceError([Problem("travel", msg)])
    net = _network_in_crs(read_network(instance.travel.file), instance.crs, instance.geographic)
    c_node, c_m = _join(instance, net, instance.community_xy)
    f_node, f_m = _join(instance, net, instance.facility_xy)
    return _Prepared(net, c_node, c_m, f_node, f_m)


# ------------------------------------------------------------------------------------------------
# reachability


def _morton(xy: NDArray[np.float64]) -> NDArray[np.uint64]:
    """Z-order code of 2-D points (16 bits per axis), to chunk nearby sources together."""
    lo = xy.min(axis=0)
    span = max(float(np.ptp(xy, axis=0).max()), 1e-12)
    q = ((xy - lo) / span * 65535).astype(np.uint64)

    def spread(v: NDArray[np.uint64]) -> NDArray[np.uint64]:
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            v = (v | (v << np.uint64(shift))) & np.uint64(mask)
        return v

    return spread(q[:, 0]) | (spread(q[:, 1]) << np.uint64(1))


def _subgraph(graph: sp.csr_array, nodes: NDArray[np.int64],
              pos: NDArray[np.int64]) -> sp.csr_array:
    """Subgraph induced by sorted ``nodes``; ``pos`` must map them to ``0..len-1``, others -1."""
    indptr, indices, data = graph.indptr, graph.indices, graph.data
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    entries = np.repeat(starts, counts) + offsets
    cols = pos[indices[entries]]
    keep = cols >= 0
    rows = np.repeat(np.arange(len(nodes)), counts)[keep]
    sub_ptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(nodes)), out=sub_ptr[1:])
    return sp.csr_array((data[entries[keep]], cols[keep].astype(np.int32), sub_ptr),
                        shape=(len(nodes), len(nodes)))


def reach_within(
    graph: sp.csr_array,
    sources: NDArray[np.int64],
    cutoff: float,
    *,
    targets: NDArray[np.bool_] | None = None,
    xy: NDArray[np.float64] | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Shortest-path lengths ``<= cutoff`` from each source node, as sparse triples.

    Parameters
    ----------
    graph
        Symmetric CSR adjacency with non-negative lengths (e.g. :attr:`StreetNetwork.graph`).
    sources
        Source node indices (one search each; give them distinct).
    cutoff
        Largest length of interest (inclusive).
    targets
        Optional ``(N,)`` mask: only pairs ending at these nodes are returned.
    xy
        Node coordinates, used to chunk nearby sources together (much faster when given).
    max_cells
        Bound on the dense ``sources × subgraph nodes`` block of one chunk.

    Returns
    -------
    tuple of ndarray
        Position in ``sources``, target node (both int32) and length of every pair within
        the cutoff, sources in chunk order. Memory: the pairs (16 bytes each) plus one chunk's
        dense block (at most ``max_cells`` float64).
    """
    sources = np.asarray(sources, dtype=np.int64)
    found: list[tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]] = []
    if len(sources) == 0 or not cutoff >= 0:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0)
    order = (np.argsort(_morton(xy[sources]), kind="stable") if xy is not None
             else np.arange(len(sources)))
    pos = np.full(graph.shape[0], -1, dtype=np.int64)
    start, k = 0, min(32, MAX_CHUNK)
    while start < len(order):
        k = min(k, len(order) - start)
        chunk = order[start:start + k]
        ball = dijkstra(graph, directed=True, indices=sources[chunk], limit=cutoff, min_only=True)
        nodes = np.flatnonzero(ball <= cutoff)
        if k > 1 and k * len(nodes) > max_cells:
            k //= 2
            continue
        pos[nodes] = np.arange(len(nodes))
        sub = _subgraph(graph, nodes, pos)
        local = pos[sources[chunk]]
        pos[nodes] = -1
        cols = np.arange(len(nodes)) if targets is None else np.flatnonzero(targets[nodes])
        if len(cols):
            dist = dijkstra(sub, directed=True, indices=local, limit=cutoff)
            if targets is not None:
                dist = dist[:, cols]
            r, c = np.nonzero(dist <= cutoff)
            found.append((chunk[r].astype(np.int32), nodes[cols[c]].astype(np.int32),
                          dist[r, c]))
        start += k
        grow = math.sqrt(max_cells / max(k * len(nodes), 1))
        k = int(min(max(k * grow, 1), MAX_CHUNK))
    if not found:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0)
    return (np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found]),
            np.concatenate([f[2] for f in found]))


def _groups(nodes: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """Points grouped by node: unique nodes, point order, group start and size."""
    order = np.argsort(nodes, kind="stable")
    uniq, start, count = np.unique(nodes[order], return_index=True, return_counts=True)
    return uniq, order, start, count


def _expand(groups: tuple[NDArray[np.int64], ...], which: NDArray[np.integer[Any]]
            ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each row, all points of group ``which[row]``: (row repeated, point)."""
    _, order, start, count = groups
    cnt = count[which]
    rows = np.repeat(np.arange(len(which)), cnt)
    offs = np.arange(len(rows)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return rows, order[start[which][rows] + offs]


def network_pairs(instance: Instance) -> TravelPairs:
    """Community–facility pairs within each facility's largest threshold, on the network.

    Parameters
    ----------
    instance
        A validated instance with ``travel.mode == "network"``.

    Returns
    -------
    TravelPairs
        Every pair whose network time is ``<= facility_reach_min + TIME_TOLERANCE_MIN``.
    """
    prep = _prepared(instance)
    speed = instance.travel.speed_m_per_min
    reach = facility_reach_min(instance)
    fac = np.flatnonzero(np.isfinite(reach))
    empty = TravelPairs(np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))
    if instance.n_communities == 0 or len(fac) == 0:
        return empty
    c_groups, f_groups = _groups(prep.community_node), _groups(prep.facility_node[fac])
    cutoff = ((reach[fac].max() + TIME_TOLERANCE_MIN) * speed - prep.community_m.min()
              - prep.facility_m[fac].min())
    if cutoff < 0:
        return empty
    cutoff = cutoff * (1 + 1e-12) + 1e-9
    from_communities = len(c_groups[0]) <= len(f_groups[0])
    src, dst = (c_groups, f_groups) if from_communities else (f_groups, c_groups)
    targets = np.zeros(prep.net.n_nodes, dtype=bool)
    targets[dst[0]] = True
    s_pos, t_node, dist = reach_within(prep.net.graph, src[0], cutoff, targets=targets,
                                       xy=prep.net.xy)
    rows1, s_pt = _expand(src, s_pos)
    rows2, t_pt = _expand(dst, np.searchsorted(dst[0], t_node)[rows1])
    s_pt, dist = s_pt[rows2], dist[rows1][rows2]
    comm, f_local = (s_pt, t_pt) if from_communities else (t_pt, s_pt)
    facility = fac[f_local]
    minutes = (prep.community_m[comm] + dist + prep.facility_m[facility]) / speed
    keep = minutes <= reach[facility] + TIME_TOLERANCE_MIN
    order = np.lexsort((facility[keep], comm[keep]))
    return TravelPairs(comm[keep][order].astype(np.int32), facility[keep][order].astype(np.int32),
                       minutes[keep][order])


def network_nearest(
    instance: Instance, communities: NDArray[np.int64], facilities: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Nearest of ``facilities`` to each of ``communities`` on the network, no time limit.

    Parameters
    ----------
    instance
        A validated instance with ``travel.mode == "network"``.
    communities
        Community indices.
    facilities
        Facility indices (sites then existing).

    Returns
    -------
    tuple of ndarray
        Facility index (``-1`` when none is reachable) and minutes (``inf`` then).
    """
    communities = np.asarray(communities, dtype=np.int64)
    facilities = np.asarray(facilities, dtype=np.int64)
    best_f = np.full(len(communities), -1, dtype=np.int64)
    best_t = np.full(len(communities), np.inf)
    if len(communities) == 0 or len(facilities) == 0:
        return best_f, best_t
    prep = _prepared(instance)
    n = prep.net.n_nodes
    f_node, f_m = prep.facility_node[facilities], prep.facility_m[facilities]
    uniq, inverse = np.unique(prep.community_node[communities], return_inverse=True)
    node_f = np.full(len(uniq), -1, dtype=np.int64)
    node_t = np.full(len(uniq), np.inf)
    step = max(1, DEFAULT_MAX_CELLS // (n + len(facilities)))
    for lo in range(0, len(uniq), step):
        dist = dijkstra(prep.net.graph, directed=True, indices=uniq[lo:lo + step])
        total = dist[:, f_node] + f_m[None, :]
        arg = np.argmin(total, axis=1)
        node_t[lo:lo + step] = total[np.arange(len(arg)), arg]
        node_f[lo:lo + step] = facilities[arg]
    reachable = np.isfinite(node_t[inverse])
    best_f[reachable] = node_f[inverse][reachable]
    minutes = (prep.community_m[communities] + node_t[inverse]) / instance.travel.speed_m_per_min
    best_t[reachable] = minutes[reachable]
    return best_f, best_t


# ------------------------------------------------------------------------------------------------
# the verifier's own computation (networkx; no code shared with the functions above)


@functools.lru_cache(maxsize=4)
def _nx_graph(net: StreetNetwork) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(net.n_nodes))
    for u, v, w in zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(),
                       strict=True):
        if u == v:
            continue
        old = g.get_edge_data(u, v)
        if old is None or w < old["length"]:
            g.add_edge(u, v, length=w)
    return g


def _verifier_join(instance: Instance, net: StreetNetwork, xy: NDArray[np.float64]
                   ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    from sitecircle.verify import _points, _vincenty_m

    tree = cKDTree(_points(instance, net.xy))
    _, node = tree.query(_points(instance, xy))
    node = np.asarray(node, dtype=np.int64).reshape(-1)
    a, b = xy, net.xy[node]
    metres = _vincenty_m(a, b) if instance.geographic else np.sqrt(((a - b) ** 2).sum(axis=1))
    return node, metres


def network_covered(
    instance: Instance, sites: NDArray[np.int64], existing: NDArray[np.int64], limit: float
) -> NDArray[np.bool_]:
    """Communities within ``limit`` minutes of any given site or existing facility (verifier).

    networkx multi-source Dijkstra from a virtual node linked to each facility's node by its
    join distance, with a cutoff; the same minutes definition as :func:`network_pairs`.

    Parameters
    ----------
    instance
        A validated instance with ``travel.mode == "network"``.
    sites, existing
        Site indices and existing-facility indices that are open.
    limit
        Minutes, inclusive (tolerance already added by the caller).

    Returns
    -------
    ndarray
        ``(n_communities,)`` bool.
    """
    assert instance.travel.file is not None  # network mode is validated to have a file
    net = _network_in_crs(read_network(instance.travel.file), instance.crs, instance.geographic)
    speed = instance.travel.speed_m_per_min
    out = np.zeros(instance.n_communities, dtype=bool)
    xy = np.vstack([instance.site_xy[np.asarray(sites, dtype=np.int64)].reshape(-1, 2),
                    instance.existing_xy[np.asarray(existing, dtype=np.int64)].reshape(-1, 2)])
    if len(xy) == 0 or instance.n_communities == 0:
        return out
    f_node, f_m = _verifier_join(instance, net, xy)
    c_node, c_m = _verifier_join(instance, net, instance.community_xy)
    g = _nx_graph(net)
    virtual = object()
    try:
        for node, metres in zip(f_node.tolist(), f_m.tolist(), strict=True):
            old = g.get_edge_data(virtual, node)
            if old is None or metres < old["length"]:
                g.add_edge(virtual, node, length=metres)
        dist = nx.single_source_dijkstra_path_length(g, virtual, cutoff=limit * speed * 1.000001,
                                                     weight="length")
    finally:
        if virtual in g:
            g.remove_node(virtual)
    path = np.array([dist.get(int(v), np.inf) for v in c_node])
    covered: NDArray[np.bool_] = (c_m + path) / speed <= limit
    return covered


# ------------------------------------------------------------------------------------------------
# reporting


def _quantiles(values: NDArray[np.float64]) -> dict[str, float] | None:
    if len(values) == 0:
        return None
    q = np.quantile(values, [0.0, 0.5, 0.9, 0.99, 1.0])
    return {"min": float(q[0]), "p50": float(q[1]), "p90": float(q[2]), "p99": float(q[3]),
            "max": float(q[4]), "mean": float(values.mean())}


def network_report(instance: Instance, *, max_listed: int = 50) -> dict[str, Any]:
    """How the instance's points join the network, and what cannot reach anything.

    Parameters
    ----------
    instance
        A validated instance with ``travel.mode == "network"``.
    max_listed
        Most records listed per list (counts are always complete).

    Returns
    -------
    dict
        ``nodes``, ``edges``, ``components``; ``join_m`` (quantiles of join distances per kind);
        ``max_join_m``; ``far`` (records farther than ``max_join_m`` from the network: the sign
        of swapped lat/lon or GCJ-02/BD-09 shifted coordinates); ``isolated`` (records on a
        component holding nothing of the other side); ``unreachable`` (communities that no
        facility reaches within its largest threshold); counts of each; and ``messages``.
    """
    prep = _prepared(instance)
    net = prep.net
    m = instance.n_sites
    kinds = [("community", instance.community_ids, prep.community_m, prep.community_node),
             ("site", instance.site_ids, prep.facility_m[:m], prep.facility_node[:m]),
             ("existing", instance.existing_ids, prep.facility_m[m:], prep.facility_node[m:])]
    limit = instance.travel.max_join_m
    far: list[dict[str, Any]] = []
    for kind, ids, metres, _ in kinds:
        far += [{"kind": kind, "id": ids[i], "join_m": round(float(metres[i]), 1)}
                for i in np.flatnonzero(metres > limit)]
    far.sort(key=lambda r: -r["join_m"])
    comp = net.components
    c_comp, f_comp = set(comp[prep.community_node].tolist()), set(comp[prep.facility_node].tolist())
    isolated: list[dict[str, Any]] = []
    for kind, ids, _, nodes in kinds:
        other = f_comp if kind == "community" else c_comp
        isolated += [{"kind": kind, "id": ids[i], "component": int(comp[nodes[i]]),
                      "reason": "its network component holds no " + (
                          "site or existing facility" if kind == "community" else "community")}
                     for i in range(len(ids)) if comp[nodes[i]] not in other]
    pairs = network_pairs(instance)
    reached = np.zeros(instance.n_communities, dtype=bool)
    reached[pairs.community] = True
    unreachable = [instance.community_ids[i] for i in np.flatnonzero(~reached)]
    messages = []
    if far:
        ex = ", ".join(f"{r['kind']} {r['id']!r} ({r['join_m']:.0f} m)" for r in far[:5])
        messages.append(f"{len(far)} points lie farther than {limit:g} m from the network "
                        f"(swapped lat/lon or GCJ-02/BD-09 shifted coordinates?): {ex}")
    if isolated:
        ex = ", ".join(f"{r['kind']} {r['id']!r}" for r in isolated[:5])
        messages.append(f"{len(isolated)} points join a network component that reaches nothing of "
                        f"the other side: {ex}")
    if unreachable:
        messages.append(f"{len(unreachable)} communities reach no site or existing facility within "
                        f"any threshold: {', '.join(map(repr, unreachable[:5]))}")
    return {
        "file": str(net.path), "nodes": net.n_nodes, "edges": int(net.graph.nnz // 2),
        "components": int(comp.max() + 1) if len(comp) else 0, "max_join_m": limit,
        "join_m": {k: _quantiles(v) for k, _, v, _ in kinds},
        "far_count": len(far), "far": far[:max_listed],
        "isolated_count": len(isolated), "isolated": isolated[:max_listed],
        "unreachable_count": len(unreachable), "unreachable": unreachable[:max_listed],
        "messages": messages,
    }


def format_network_report(report: dict[str, Any]) -> str:
    """Human-readable text of :func:`network_report`.

    Parameters
    ----------
    report
        The report.

    Returns
    -------
    str
        A few lines: network size, join distances per kind, then one warning line per problem.
    """
    lines = [f"network {Path(report['file']).name}: {report['nodes']} nodes, {report['edges']} "
             f"edges, {report['components']} components"]
    for kind, q in report["join_m"].items():
        if q is not None:
            lines.append(f"  join distance of {kind} points (m): median {q['p50']:.0f}, 90% "
                         f"{q['p90']:.0f}, max {q['max']:.0f}")
    lines += [f"warning: {m}" for m in report["messages"]]
    return "\n".join(lines)
