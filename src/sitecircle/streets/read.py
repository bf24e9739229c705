"""Street network files: the :class:`StreetNetwork` arrays and the GraphML / OSM readers."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.errors import InstanceError, Problem
from sitecircle.streets.osm import read_osm, walk_edges


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
        from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

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
        import networkx as nx  # noqa: PLC0415 - heavy, only for GraphML files

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
def network_in_crs(net: StreetNetwork, crs: str, geographic: bool) -> StreetNetwork:
    """The network with node coordinates in the instance CRS (OSM files are lon/lat)."""
    if net.crs is not None:
        from pyproj import CRS, Transformer  # noqa: PLC0415
        from pyproj.exceptions import CRSError  # noqa: PLC0415

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
