"""Joining points to the network and bounded shortest paths (the fast path of ``network`` mode)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.errors import InstanceError, Problem
from sitecircle.geodesy import kd_tree, unit_vectors
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import TIME_TOLERANCE_MIN
from sitecircle.streets.read import StreetNetwork, network_in_crs, read_network
from sitecircle.travel.straight import TravelPairs, distance_m, facility_reach_min


def _dijkstra() -> Any:
    """SciPy's Dijkstra, imported on first use (``scipy.sparse.csgraph`` takes 0.1 s)."""
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415

    return dijkstra

#: Dense Dijkstra cells (sources × subgraph nodes) allowed per chunk (8 bytes each).
DEFAULT_MAX_CELLS = 4_000_000
#: Most sources per chunk.
MAX_CHUNK = 128


# ------------------------------------------------------------------------------------------------
# joining


@dataclass(frozen=True, eq=False)
class _Prepared:
    net: StreetNetwork
    community_node: NDArray[np.int64]
    community_m: NDArray[np.float64]
    facility_node: NDArray[np.int64]
    facility_m: NDArray[np.float64]


def tree_points(instance: Instance, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    return unit_vectors(xy) if instance.geographic else xy


@functools.lru_cache(maxsize=8)
def _node_tree(net: StreetNetwork, geographic: bool) -> Any:
    return kd_tree(unit_vectors(net.xy) if geographic else net.xy)


def _join(instance: Instance, net: StreetNetwork,
          xy: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    if len(xy) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    _, node = _node_tree(net, instance.geographic).query(tree_points(instance, xy))
    node = np.asarray(node, dtype=np.int64)
    return node, distance_m(instance, xy, net.xy[node])


@functools.lru_cache(maxsize=8)
def _prepared(instance: Instance) -> _Prepared:
    if instance.travel.mode != "network" or instance.travel.file is None:
        msg = "the instance's travel mode is not 'network' with a file"
        raise InstanceError([Problem("travel", msg)])
    net = network_in_crs(read_network(instance.travel.file), instance.crs, instance.geographic)
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
        ball = _dijkstra()(graph, directed=True, indices=sources[chunk], limit=cutoff,
                           min_only=True)
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
            dist = _dijkstra()(sub, directed=True, indices=local, limit=cutoff)
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
        dist = _dijkstra()(prep.net.graph, directed=True, indices=uniq[lo:lo + step])
        total = dist[:, f_node] + f_m[None, :]
        arg = np.argmin(total, axis=1)
        node_t[lo:lo + step] = total[np.arange(len(arg)), arg]
        node_f[lo:lo + step] = facilities[arg]
    reachable = np.isfinite(node_t[inverse])
    best_f[reachable] = node_f[inverse][reachable]
    minutes = (prep.community_m[communities] + node_t[inverse]) / instance.travel.speed_m_per_min
    best_t[reachable] = minutes[reachable]
    return best_f, best_t
