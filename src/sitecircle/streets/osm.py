"""Raw OpenStreetMap reading: OSM XML (standard library) and OSM PBF (pyosmium, optional).

Both readers return the same :class:`OsmData`: node coordinates (longitude, latitude in degrees),
the tags of tagged nodes, and every way with its node references and tags. Nothing is filtered
here; :func:`walk_edges` keeps the walkable ways and :mod:`sitecircle.instance.from_osm` picks
points of
interest.

Walkable ways follow osmnx's ``network_type="walk"`` filter as applied in
``shared/data/real/shenzhen-longgang-osm/SOURCE.md``: a way needs a ``highway`` tag whose value
does not fully match :data:`EXCLUDED_HIGHWAY` and does not start with ``motorway``, and it must not
carry ``area=yes``, ``access=private``, ``foot=no`` or ``service=private``. Every walkable way is
walkable both ways. Lengths are great-circle distances between consecutive nodes (mean Earth
radius, as :func:`sitecircle.geodesy.haversine_m`). A way that references nodes missing from the
extract (clipped extracts) is cut there: only consecutive pairs of present nodes become edges.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import haversine_m, local_metres

#: Highway values that are never walkable (osmnx's walk filter, matched in full).
EXCLUDED_HIGHWAY = re.compile(
    r"abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway"
    r"|razed|rest_area|services"
)


class OsmReadError(ValueError):
    """An OSM file cannot be read."""


@dataclass
class OsmWay:
    """One OSM way.

    Parameters
    ----------
    id
        OSM way id.
    refs
        Node ids in order.
    tags
        Way tags.
    """

    id: int
    refs: NDArray[np.int64]
    tags: dict[str, str]


@dataclass
class OsmData:
    """The content of an OSM extract that sitecircle uses.

    Parameters
    ----------
    node_ids
        Ids of every node with a location, sorted.
    node_lonlat
        ``(n, 2)`` longitude, latitude of each node, aligned with ``node_ids``.
    node_tags
        Tags of tagged nodes by id.
    ways
        Every way.
    """

    node_ids: NDArray[np.int64]
    node_lonlat: NDArray[np.float64]
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: list[OsmWay] = field(default_factory=list)

    def locate(self, refs: NDArray[np.int64]) -> NDArray[np.int64]:
        """Positions of node ids in :attr:`node_ids`, ``-1`` for ids missing from the extract."""
        if len(self.node_ids) == 0:
            return np.full(len(refs), -1, dtype=np.int64)
        pos = np.searchsorted(self.node_ids, refs)
        pos = np.minimum(pos, len(self.node_ids) - 1)
        return np.where(self.node_ids[pos] == refs, pos, -1).astype(np.int64)


def is_walkable(tags: dict[str, str]) -> bool:
    """Whether a way with these tags is walkable (osmnx's walk filter).

    Parameters
    ----------
    tags
        The way's tags.

    Returns
    -------
    bool
        True for footways, paths, residential streets, service roads, ...; False for motorways,
        cycleways, construction, areas, private access and ``foot=no``.
    """
    highway = tags.get("highway")
    if highway is None or EXCLUDED_HIGHWAY.fullmatch(highway) or highway.startswith("motorway"):
        return False
    return not (tags.get("area") == "yes" or tags.get("access") == "private"
                or tags.get("foot") == "no" or tags.get("service") == "private")


def _finish(ids: list[int], lon: list[float], lat: list[float],
            node_tags: dict[int, dict[str, str]], ways: list[OsmWay]) -> OsmData:
    node_ids = np.asarray(ids, dtype=np.int64)
    lonlat = np.column_stack([np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)])
    order = np.argsort(node_ids, kind="stable")
    node_ids, lonlat = node_ids[order], lonlat[order].reshape(-1, 2)
    if len(node_ids) > 1:  # duplicate ids (several versions): keep the last one read
        last = np.ones(len(node_ids), dtype=bool)
        last[:-1] = node_ids[1:] != node_ids[:-1]
        node_ids, lonlat = node_ids[last], lonlat[last]
    return OsmData(node_ids, lonlat, node_tags, ways)


def read_osm_xml(path: str | Path) -> OsmData:
    """Read an OSM XML file (``.osm``) with :func:`xml.etree.ElementTree.iterparse`.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    OsmData
        Nodes, tagged nodes and ways. Objects marked ``action="delete"`` or
        ``visible="false"`` are skipped.

    Raises
    ------
    OsmReadError
        The file is not well-formed OSM XML.
    """
    ids: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    node_tags: dict[int, dict[str, str]] = {}
    ways: list[OsmWay] = []
    root_tag = None
    try:
        context = ET.iterparse(str(path), events=("start", "end"))
        for event, elem in context:
            if event == "start":
                if root_tag is None:
                    root_tag = elem.tag
                continue
            if elem.tag not in ("node", "way", "relation"):
                continue
            attrib = elem.attrib
            if attrib.get("action") == "delete" or attrib.get("visible") == "false":
                elem.clear()
                continue
            tags = {t.attrib["k"]: t.attrib["v"] for t in elem.iter("tag")}
            if elem.tag == "node" and "lat" in attrib and "lon" in attrib:
                nid = int(attrib["id"])
                ids.append(nid)
                lon.append(float(attrib["lon"]))
                lat.append(float(attrib["lat"]))
                if tags:
                    node_tags[nid] = tags
            elif elem.tag == "way":
                refs = np.fromiter((int(nd.attrib["ref"]) for nd in elem.iter("nd")), np.int64)
                ways.append(OsmWay(int(attrib["id"]), refs, tags))
            elem.clear()
    except ET.ParseError as exc:
        msg = f"{Path(path).name} is not well-formed XML: {exc}"
        raise OsmReadError(msg) from exc
    except (KeyError, ValueError) as exc:
        msg = f"{Path(path).name}: an OSM element lacks or garbles an attribute ({exc})"
        raise OsmReadError(msg) from exc
    if root_tag != "osm":
        msg = f"{Path(path).name} is XML but not OSM XML (root element {root_tag!r}, not 'osm')"
        raise OsmReadError(msg)
    return _finish(ids, lon, lat, node_tags, ways)


def read_osm_pbf(path: str | Path) -> OsmData:
    """Read an OSM PBF file (``.osm.pbf``) with pyosmium (the ``osm`` extra).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    OsmData
        Nodes, tagged nodes and ways.

    Raises
    ------
    OsmReadError
        pyosmium is not installed or the file cannot be decoded.
    """
    try:
        import osmium  # noqa: PLC0415
    except ImportError as exc:
        msg = ("reading .osm.pbf needs pyosmium: pip install 'sitecircle[osm]' (or convert the "
               "file to .osm XML or GraphML)")
        raise OsmReadError(msg) from exc
    ids: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    node_tags: dict[int, dict[str, str]] = {}
    ways: list[OsmWay] = []
    try:
        for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(obj, osmium.osm.Node):
                loc = obj.location
                if not loc.valid():
                    continue
                ids.append(obj.id)
                lon.append(loc.lon)
                lat.append(loc.lat)
                if len(obj.tags):
                    node_tags[obj.id] = {t.k: t.v for t in obj.tags}
            elif isinstance(obj, osmium.osm.Way):
                refs = np.fromiter((n.ref for n in obj.nodes), np.int64)
                ways.append(OsmWay(obj.id, refs, {t.k: t.v for t in obj.tags}))
    except RuntimeError as exc:
        msg = f"{Path(path).name} cannot be decoded as OSM PBF: {exc}"
        raise OsmReadError(msg) from exc
    return _finish(ids, lon, lat, node_tags, ways)


def read_osm(path: str | Path) -> OsmData:
    """Read ``.osm`` (XML) or ``.osm.pbf``/``.pbf`` by the file name.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    OsmData
        See :func:`read_osm_xml`.
    """
    name = Path(path).name.lower()
    if name.endswith(".pbf"):
        return read_osm_pbf(path)
    return read_osm_xml(path)


def walk_edges(osm: OsmData) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Edges of the walkable ways: consecutive node pairs present in the extract.

    Parameters
    ----------
    osm
        The extract.

    Returns
    -------
    tuple of ndarray
        Positions ``u``, ``v`` into ``osm.node_ids`` and the great-circle length in metres of
        each edge (one per consecutive pair; parallel edges are kept).
    """
    us: list[NDArray[np.int64]] = []
    vs: list[NDArray[np.int64]] = []
    for way in osm.ways:
        if len(way.refs) < 2 or not is_walkable(way.tags):
            continue
        pos = osm.locate(way.refs)
        ok = (pos[:-1] >= 0) & (pos[1:] >= 0)
        us.append(pos[:-1][ok])
        vs.append(pos[1:][ok])
    if not us:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    u, v = np.concatenate(us), np.concatenate(vs)
    return u, v, haversine_m(osm.node_lonlat[u], osm.node_lonlat[v])


def way_centroids(osm: OsmData, ways: list[OsmWay]) -> NDArray[np.float64]:
    """Mean longitude, latitude of the distinct present nodes of each way (NaN when none).

    Parameters
    ----------
    osm
        The extract.
    ways
        Ways to place.

    Returns
    -------
    ndarray
        ``(len(ways), 2)``.
    """
    out = np.full((len(ways), 2), np.nan)
    for n, way in enumerate(ways):
        pos = osm.locate(np.unique(way.refs))
        pos = pos[pos >= 0]
        if len(pos):
            out[n] = osm.node_lonlat[pos].mean(axis=0)
    return out


def way_area_m2(osm: OsmData, way: OsmWay) -> float:
    """Planar area in m² of a closed way (local equirectangular projection), 0 if not closed.

    Parameters
    ----------
    osm
        The extract.
    way
        A way.

    Returns
    -------
    float
        The shoelace area of its ring.
    """
    if len(way.refs) < 4 or way.refs[0] != way.refs[-1]:
        return 0.0
    pos = osm.locate(way.refs)
    if (pos < 0).any():
        return 0.0
    lonlat = osm.node_lonlat[pos]
    xy = local_metres(lonlat)
    x, y = xy[:, 0], xy[:, 1]
    return float(abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2)
