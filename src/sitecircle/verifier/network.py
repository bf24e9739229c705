"""The verifier's own network computation (networkx; no code shared with :mod:`._reach`)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import kd_tree
from sitecircle.instance.data import Instance
from sitecircle.streets.read import StreetNetwork, network_in_crs, read_network
from sitecircle.verifier.geometry import sphere_points as sphere_points
from sitecircle.verifier.geometry import vincenty_m as vincenty_m

if TYPE_CHECKING:
    import networkx as nx

# ------------------------------------------------------------------------------------------------
# the verifier's own computation (networkx; no code shared with the functions above)


@functools.lru_cache(maxsize=4)
def _nx_graph(net: StreetNetwork) -> nx.Graph:
    import networkx as nx  # noqa: PLC0415 - heavy, only for street networks

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

    tree = kd_tree(sphere_points(instance, net.xy))
    _, node = tree.query(sphere_points(instance, xy))
    node = np.asarray(node, dtype=np.int64).reshape(-1)
    a, b = xy, net.xy[node]
    metres = vincenty_m(a, b) if instance.geographic else np.sqrt(((a - b) ** 2).sum(axis=1))
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
    net = network_in_crs(read_network(instance.travel.file), instance.crs, instance.geographic)
    speed = instance.travel.speed_m_per_min
    out = np.zeros(instance.n_communities, dtype=bool)
    xy = np.vstack([instance.site_xy[np.asarray(sites, dtype=np.int64)].reshape(-1, 2),
                    instance.existing_xy[np.asarray(existing, dtype=np.int64)].reshape(-1, 2)])
    if len(xy) == 0 or instance.n_communities == 0:
        return out
    f_node, f_m = _verifier_join(instance, net, xy)
    c_node, c_m = _verifier_join(instance, net, instance.community_xy)
    import networkx as nx  # noqa: PLC0415 - heavy, only for street networks

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
