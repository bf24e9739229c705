"""``sitecircle build``: a ready ``sitecircle.instance/1`` from an OSM extract (+ population).

Rules (every number below is a :class:`BuildOptions` field, overridable from a JSON file):

* **Network**: the walkable ways of the extract (:mod:`sitecircle.streets.osm`), largest connected
  component only, written as GraphML beside the instance (node ``x``, ``y`` = longitude, latitude,
  edge ``length`` in metres, one edge per node pair with the shortest length; gzip-compressed
  ``.graphml.gz`` with ``compress_network``).
* **Communities**: one per population cell (polygon centroid, or point) when a population layer
  (GeoPackage, GeoJSON, Shapefile, zipped, or CSV with lon/lat columns) is given; otherwise one per
  residential building (``building`` = apartments, residential, dormitory, house, ...) with
  ``population = footprint m² × levels / floor_m2_per_person`` (levels from ``building:levels``,
  else ``default_levels``), plus one per ``landuse=residential`` area holding no such building,
  with ``population = area km² × residential_density_per_km2``. ``elderly`` and ``children`` come
  from the layer's columns when present, else ``population × elderly_share`` /
  ``children_share``. Communities outside the network's convex hull or farther than
  ``max_join_m`` from it, and sites farther than that, are dropped (counted in ``meta.build``).
* **Existing facilities**: OSM nodes and ways whose tags match a chosen category's catalogue rules.
* **Candidate sites**: shops, premises amenities, offices and crafts that host none of the chosen
  categories (kind ``poi``); non-residential buildings such as ``building=yes/commercial/retail``
  (kind ``building``); optionally street intersections (kind ``node``). Thinned on a grid to at most
  ``max_sites``. Every site may host every chosen category.
* **Costs**: ``cost[category] × kind_factor[kind]`` with the catalogue's illustrative cost (10,000
  CNY) unless ``cost`` overrides it; ``open_cost`` per site; ``max_categories`` per site.
* **Objective**: ``max_coverage`` with a budget of ``budget`` (default: three facilities of every
  chosen category at catalogue cost), unless ``objective`` gives a full objective object.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.files import write_bytes_atomic, write_text_atomic
from sitecircle.geodesy import haversine_m, kd_tree, local_metres, unit_vectors
from sitecircle.instance.catalog import load_catalog
from sitecircle.instance.fields import DEFAULT_MAX_JOIN_M, DEFAULT_SPEED_M_PER_MIN, FORMAT_ID
from sitecircle.streets.osm import OsmData, read_osm, walk_edges, way_area_m2, way_centroids

if TYPE_CHECKING:
    import networkx as nx

RESIDENTIAL = {"apartments", "residential", "dormitory", "house", "detached", "semidetached_house",
               "terrace", "bungalow"}
SITE_BUILDINGS = {"yes", "commercial", "retail", "office", "kiosk", "mixed_use", "supermarket"}
PREMISES = {"restaurant", "cafe", "fast_food", "bank", "pub", "bar", "library", "community_centre",
            "marketplace", "pharmacy", "post_office", "food_court", "ice_cream", "clinic",
            "doctors", "dentist", "social_centre", "arts_centre", "cinema", "theatre"}
DEFAULT_BASKET = ("convenience_store", "breakfast", "vegetable_market", "repair_point",
                  "elderly_canteen", "childcare", "parcel_point", "laundry")
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"


@dataclass(frozen=True)
class BuildOptions:
    """Options of :func:`build_instance`; see the module docstring for the rules.

    Parameters
    ----------
    name
        Instance name (default: the output file's stem).
    categories
        Catalogue ids of the basket.
    population_column, elderly_share, children_share
        Population layer column, and demand shares when the layer has no ``elderly`` /
        ``children`` column.
    floor_m2_per_person, default_levels, residential_density_per_km2
        Population rule without a population layer.
    min_population
        Communities with less population are dropped.
    max_join_m, speed_m_per_min
        Written into ``travel``; ``max_join_m`` also drops far points.
    site_sources, node_spacing_m, max_sites
        Where candidate sites come from (``poi``, ``building``, ``node``), the spacing of
        intersection sites, and the most sites kept.
    cost, kind_factor, open_cost, max_categories
        Cost rule.
    budget, objective
        Objective: a budget for ``max_coverage``, or a whole objective object.
    crs
        CRS of the x/y (or lon/lat) columns of a CSV population layer.
    compress_network
        Write the network as ``<stem>.graphml.gz`` instead of ``<stem>.graphml``.
    """

    name: str | None = None
    categories: tuple[str, ...] = DEFAULT_BASKET
    population_column: str = "population"
    elderly_share: float = 0.187
    children_share: float = 0.03
    floor_m2_per_person: float = 40.0
    default_levels: float = 6.0
    residential_density_per_km2: float = 20_000.0
    min_population: float = 1.0
    max_join_m: float = DEFAULT_MAX_JOIN_M
    speed_m_per_min: float = DEFAULT_SPEED_M_PER_MIN
    site_sources: tuple[str, ...] = ("poi", "building")
    node_spacing_m: float = 300.0
    max_sites: int | None = 120
    cost: dict[str, float] = field(default_factory=dict)
    kind_factor: dict[str, float] = field(
        default_factory=lambda: {"poi": 1.0, "building": 1.25, "node": 1.5})
    open_cost: float = 0.0
    max_categories: int | None = 2
    budget: float | None = None
    objective: dict[str, Any] | None = None
    crs: str = "EPSG:4326"
    compress_network: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildOptions:
        """Options from a JSON object; unknown keys are errors.

        Parameters
        ----------
        data
            Field names and values.

        Returns
        -------
        BuildOptions
            The options.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            msg = f"unknown build options {sorted(unknown)} (known: {', '.join(sorted(names))})"
            raise ValueError(msg)
        values = dict(data)
        for key in ("categories", "site_sources"):
            if key in values:
                values[key] = tuple(values[key])
        if "kind_factor" in values:
            values["kind_factor"] = {**cls().kind_factor, **values["kind_factor"]}
        return cls(**values)


def _network(osm: OsmData) -> nx.Graph:
    """Largest component of the walk graph, one edge per node pair (shortest)."""
    u, v, length = walk_edges(osm)
    if len(u) == 0:
        msg = "the OSM extract has no walkable ways"
        raise ValueError(msg)
    used, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    a, b = inv[: len(u)], inv[len(u):]
    adj = sp.coo_array((np.ones(len(a)), (a, b)), shape=(len(used), len(used)))
    import networkx as nx  # noqa: PLC0415 - heavy, only for OSM extracts
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

    _, labels = connected_components(adj, directed=False)
    main = np.argmax(np.bincount(labels))
    g = nx.Graph(crs="EPSG:4326")
    for n in np.flatnonzero(labels == main):
        lon, lat = osm.node_lonlat[used[n]]
        g.add_node(str(osm.node_ids[used[n]]), x=round(float(lon), 7), y=round(float(lat), 7))
    for i, j, w in zip(a.tolist(), b.tolist(), length.tolist(), strict=True):
        if i == j or labels[i] != main:
            continue
        s, t = str(osm.node_ids[used[i]]), str(osm.node_ids[used[j]])
        old = g.get_edge_data(s, t)
        if old is None or w < old["length"]:
            g.add_edge(s, t, length=round(w, 3))
    return g


def write_graphml(g: nx.Graph, path: str | Path) -> None:
    """Write a walk graph as compact GraphML (gzip-compressed when the name ends in ``.gz``).

    The layout is osmnx's: graph attribute ``crs``, node attributes ``x``, ``y`` and edge
    attribute ``length`` (metres); :func:`networkx.read_graphml` and osmnx read it.

    Parameters
    ----------
    g
        Graph with node ``x``, ``y`` and edge ``length``.
    path
        Output file.
    """
    from xml.sax.saxutils import quoteattr  # noqa: PLC0415

    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
             '<key id="crs" for="graph" attr.name="crs" attr.type="string"/>',
             '<key id="x" for="node" attr.name="x" attr.type="double"/>',
             '<key id="y" for="node" attr.name="y" attr.type="double"/>',
             '<key id="length" for="edge" attr.name="length" attr.type="double"/>',
             '<graph edgedefault="undirected">',
             f'<data key="crs">{g.graph.get("crs", "EPSG:4326")}</data>']
    lines += [f'<node id={quoteattr(str(n))}><data key="x">{d["x"]!r}</data>'
              f'<data key="y">{d["y"]!r}</data></node>' for n, d in g.nodes(data=True)]
    lines += [f'<edge source={quoteattr(str(u))} target={quoteattr(str(v))}>'
              f'<data key="length">{w!r}</data></edge>' for u, v, w in g.edges(data="length")]
    lines += ["</graph>", "</graphml>", ""]
    data = "\n".join(lines).encode("utf-8")
    path = Path(path)
    if path.name.endswith(".gz"):
        import gzip  # noqa: PLC0415

        data = gzip.compress(data, compresslevel=6, mtime=0)
    write_bytes_atomic(path, data)


def _read_population(path: Path, opts: BuildOptions) -> dict[str, Any]:
    """Points (lon, lat), ids and demand columns of a population layer."""
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path)
        xcol = next((c for c in ("lon", "lng", "longitude", "x") if c in df.columns), None)
        ycol = next((c for c in ("lat", "latitude", "y") if c in df.columns), None)
        if xcol is None or ycol is None:
            msg = f"{path.name}: a CSV population layer needs lon/lat (or x/y) columns"
            raise ValueError(msg)
        gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df[xcol], df[ycol]), crs=opts.crs)
    else:
        gdf = gpd.read_file(path)
    if opts.population_column not in gdf.columns:
        msg = (f"{path.name}: no column {opts.population_column!r} (columns: "
               f"{', '.join(map(str, gdf.columns))}); set population_column")
        raise ValueError(msg)
    if gdf.crs is None:
        gdf = gdf.set_crs(opts.crs)
    metric = gdf.to_crs(gdf.estimate_utm_crs())
    points = metric.geometry.centroid.to_crs("EPSG:4326")
    ids = gdf["id"].astype(str).tolist() if "id" in gdf.columns else [str(i) for i in gdf.index]
    pop = gdf[opts.population_column].to_numpy(dtype=float)
    out = {"ids": ids, "lonlat": np.column_stack([points.x, points.y]), "population": pop}
    for col, share in (("elderly", opts.elderly_share), ("children", opts.children_share)):
        out[col] = gdf[col].to_numpy(dtype=float) if col in gdf.columns else pop * share
    return out


def _levels(tags: dict[str, str], default: float) -> float:
    try:
        return max(1.0, float(tags.get("building:levels", "").split(";")[0]))
    except ValueError:
        return default if tags.get("building") not in {"house", "detached", "bungalow"} else 2.0


def _buildings_population(osm: OsmData, opts: BuildOptions) -> dict[str, Any]:
    """Residential buildings (and residential areas without any) as communities."""
    from shapely.geometry import Point, Polygon  # noqa: PLC0415

    homes = [w for w in osm.ways if w.tags.get("building") in RESIDENTIAL]
    pop = [way_area_m2(osm, w) * _levels(w.tags, opts.default_levels) / opts.floor_m2_per_person
           for w in homes]
    lonlat = way_centroids(osm, homes)
    ids = [f"w{w.id}" for w in homes]
    for area in (w for w in osm.ways if w.tags.get("landuse") == "residential"):
        pos = osm.locate(area.refs)
        if len(pos) < 4 or (pos < 0).any():
            continue
        ring = Polygon(osm.node_lonlat[pos])
        if any(ring.contains(Point(p)) for p in lonlat):
            continue
        ids.append(f"w{area.id}")
        pop.append(way_area_m2(osm, area) / 1e6 * opts.residential_density_per_km2)
        lonlat = np.vstack([lonlat, way_centroids(osm, [area])])
    population = np.round(np.asarray(pop, dtype=float))
    return {"ids": ids, "lonlat": lonlat.reshape(-1, 2), "population": population,
            "elderly": population * opts.elderly_share,
            "children": population * opts.children_share}


def _tagged(osm: OsmData) -> list[tuple[str, dict[str, str], NDArray[np.float64]]]:
    """Every tagged node and way with its point."""
    ids = np.fromiter(osm.node_tags, np.int64, len(osm.node_tags))
    points = osm.node_lonlat[osm.locate(ids)] if len(ids) else np.empty((0, 2))
    out = [(f"n{i}", t, p) for (i, t), p in zip(osm.node_tags.items(), points, strict=True)]
    ways = [w for w in osm.ways if w.tags]
    for w, p in zip(ways, way_centroids(osm, ways), strict=True):
        out.append((f"w{w.id}", w.tags, p))
    return [r for r in out if np.isfinite(r[2]).all()]


def _site_kind(tags: dict[str, str], sources: tuple[str, ...]) -> str | None:
    if "poi" in sources and ("shop" in tags or "office" in tags or "craft" in tags
                             or tags.get("amenity") in PREMISES):
        return "poi"
    if "building" in sources and tags.get("building") in SITE_BUILDINGS:
        return "building"
    return None


def _thin(lonlat: NDArray[np.float64], limit: int | None) -> NDArray[np.int64]:
    """Indices of at most ``limit`` points, one per grid cell, the cell grown until few enough."""
    n = len(lonlat)
    if limit is None or n <= limit:
        return np.arange(n)
    xy = local_metres(lonlat)
    cell = 10.0
    while True:
        keys = np.floor(xy / cell).astype(np.int64)
        _, first = np.unique(keys, axis=0, return_index=True)
        if len(first) <= limit:
            return np.sort(first)
        cell *= 1.15


def _intersections(g: nx.Graph, spacing: float) -> list[tuple[str, NDArray[np.float64]]]:
    nodes = [n for n, d in g.degree() if d >= 3]
    lonlat = np.array([[g.nodes[n]["x"], g.nodes[n]["y"]] for n in nodes]).reshape(-1, 2)
    if not len(nodes):
        return []
    keys = np.floor(local_metres(lonlat) / spacing).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return [(f"n{nodes[i]}", lonlat[i]) for i in np.sort(first)]


def _near(g: nx.Graph, lonlat: NDArray[np.float64], limit_m: float,
          inside: bool = False) -> NDArray[np.bool_]:
    """Points within ``limit_m`` of a network node (and, if ``inside``, in its convex hull)."""
    nodes = np.array([[d["x"], d["y"]] for _, d in g.nodes(data=True)])
    if len(lonlat) == 0:
        return np.zeros(0, dtype=bool)
    _, idx = kd_tree(unit_vectors(nodes)).query(unit_vectors(lonlat))
    ok = haversine_m(lonlat, nodes[idx]) <= limit_m
    if inside:
        import shapely  # noqa: PLC0415

        hull = shapely.convex_hull(shapely.multipoints(nodes))
        ok &= shapely.contains_xy(hull, lonlat[:, 0], lonlat[:, 1])
    return ok


def _r(v: float, digits: int = 7) -> float:
    return round(float(v), digits)


def build_instance(
    osm_path: str | Path, out: str | Path, *, population: str | Path | None = None,
    options: BuildOptions | None = None,
) -> dict[str, Any]:
    """Build an instance JSON and its GraphML network from an OSM extract.

    Parameters
    ----------
    osm_path
        ``.osm`` or ``.osm.pbf`` extract.
    out
        Instance JSON to write; the network goes beside it as ``<stem>.graphml``.
    population
        Optional population layer.
    options
        Build options.

    Returns
    -------
    dict
        The instance document written, whose ``meta.build`` records counts and dropped points.
    """
    opts = options or BuildOptions()
    out = Path(out)
    catalog = load_catalog()
    cats = [catalog[c] for c in opts.categories]
    osm = read_osm(osm_path)
    g = _network(osm)
    if population is not None:
        comm = _read_population(Path(population), opts)
    else:
        comm = _buildings_population(osm, opts)
    keep = (comm["population"] >= opts.min_population) & np.isfinite(comm["lonlat"]).all(axis=1)
    near = np.zeros(len(keep), dtype=bool)
    near[keep] = _near(g, comm["lonlat"][keep], opts.max_join_m, inside=True)
    dropped_far = int((keep & ~near).sum())
    communities = [
        {"id": f"C-{comm['ids'][i]}", "x": _r(comm["lonlat"][i, 0]), "y": _r(comm["lonlat"][i, 1]),
         "population": int(round(comm["population"][i])),
         "elderly": int(round(comm["elderly"][i])), "children": int(round(comm["children"][i]))}
        for i in np.flatnonzero(keep & near)]
    chosen = [c.id for c in cats]
    existing: list[dict[str, Any]] = []
    site_rows: list[tuple[str, str, NDArray[np.float64], dict[str, str]]] = []
    keys = {k for c in cats for rule in c.osm for k, _ in rule}
    for oid, tags, p in _tagged(osm):
        hosted = catalog.categories_of(tags, chosen) if keys.intersection(tags) else []
        if hosted:
            existing.append({"id": f"E-{oid}", "x": _r(p[0]), "y": _r(p[1]), "categories": hosted,
                             "name": tags.get("name", "")})
        elif tags.get("building") not in RESIDENTIAL:
            kind = _site_kind(tags, opts.site_sources)
            if kind is not None:
                site_rows.append((oid, kind, p, tags))
    if "node" in opts.site_sources:
        site_rows += [(oid, "node", p, {}) for oid, p in _intersections(g, opts.node_spacing_m)]
    site_xy = np.array([r[2] for r in site_rows]).reshape(-1, 2)
    near_sites = _near(g, site_xy, opts.max_join_m)
    site_rows = [r for r, ok in zip(site_rows, near_sites, strict=True) if ok]
    pick = _thin(np.array([r[2] for r in site_rows]).reshape(-1, 2), opts.max_sites)
    base_cost = {c.id: opts.cost.get(c.id, c.cost) for c in cats}
    sites = []
    for i in pick:
        oid, kind, p, tags = site_rows[i]
        factor = opts.kind_factor[kind]
        rec: dict[str, Any] = {"id": f"S-{oid}", "x": _r(p[0]), "y": _r(p[1]), "kind": kind,
                               "categories": chosen,
                               "cost": {c: _r(base_cost[c] * factor, 4) for c in chosen}}
        if tags.get("name"):
            rec["name"] = tags["name"]
        if opts.open_cost:
            rec["open_cost"] = opts.open_cost
        if opts.max_categories is not None:
            rec["max_categories"] = opts.max_categories
        sites.append(rec)
    objective = opts.objective or {
        "type": "max_coverage",
        "budget": opts.budget if opts.budget is not None else 3 * sum(base_cost.values())}
    graph_path = out.with_suffix(".graphml.gz" if opts.compress_network else ".graphml")
    name = opts.name or out.stem
    doc = {
        "format": FORMAT_ID, "name": name, "crs": "EPSG:4326",
        "description": f"built by sitecircle build from {Path(osm_path).name}"
                       + (f" and {Path(population).name}" if population is not None else ""),
        "categories": [c.instance_category() for c in cats],
        "communities": communities, "sites": sites, "existing": existing,
        "travel": {"mode": "network", "file": graph_path.name,
                   "speed_m_per_min": opts.speed_m_per_min, "max_join_m": opts.max_join_m},
        "objective": objective,
        "meta": {"attribution": ATTRIBUTION, "source": Path(osm_path).name,
                 "population_layer": Path(population).name if population is not None else None,
                 "build": {"network_nodes": g.number_of_nodes(), "network_edges":
                           g.number_of_edges(), "dropped_far_communities": dropped_far,
                           "candidate_sites_before_thinning": len(site_rows),
                           "options": _jsonable(opts)}},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    write_graphml(g, graph_path)
    write_text_atomic(out, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    return doc


def _jsonable(opts: BuildOptions) -> dict[str, Any]:
    data = dataclasses.asdict(opts)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def load_options(path: str | Path | None, inline: str | None = None) -> BuildOptions:
    """Build options from a JSON file and/or an inline JSON string (inline wins).

    Parameters
    ----------
    path
        JSON file with option fields, or None.
    inline
        JSON object text, or None.

    Returns
    -------
    BuildOptions
        The options.
    """
    data: dict[str, Any] = {}
    if path is not None:
        data.update(json.loads(Path(path).read_text(encoding="utf-8")))
    if inline:
        data.update(json.loads(inline))
    return BuildOptions.from_json(data)


__all__ = ["ATTRIBUTION", "BuildOptions", "build_instance", "load_options"]
