"""``build-geo --areas``: a polygon layer of group boundaries (e.g. streets, 街道).

:func:`add_areas` reads the polygon layer, names each polygon from its ``street`` (or the
``--area-field``) column, else its ``name`` column (the recognised Chinese names too, e.g. 街道,
名称; ``--map areas.name=COLUMN`` to choose), and then

1. labels every community with the polygon containing it, when no community record has that
   label yet (a spatial join, ``geopandas.sjoin`` with predicate ``within``); communities outside
   every polygon get no label and are named in a warning;
2. stores the polygons in the document's optional ``areas`` field
   (:mod:`sitecircle.instance.areas`), in the instance CRS, one (Multi)Polygon per group
   (polygons of one name are merged).

Coordinates follow :class:`~sitecircle.instance.layer_read.LayerOptions`: the layer CRS (or
``crs``), ``swap_xy``, and GCJ-02/BD-09 longitudes and latitudes converted to WGS 84.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sitecircle.chinacoords import to_wgs84
from sitecircle.instance.columns import find_column
from sitecircle.instance.layer_read import LayerOptions, layer_problem, read_any

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["add_areas", "read_areas"]

#: At most this many communities outside every polygon are named in the warning.
NAMED = 10


def read_areas(source: str | Path | gpd.GeoDataFrame, opts: LayerOptions, by: str,
               crs: str) -> gpd.GeoDataFrame:
    """Read the polygon layer: one row per group (column ``group``) in ``crs``.

    Raises
    ------
    InstanceError
        Unreadable layer, no CRS, no name column, an empty name, a geometry that is not a
        polygon.
    """
    import geopandas as gpd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    where = f"areas layer {source}" if not hasattr(source, "geometry") else "areas layer"
    gdf = read_any(source, opts)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    col = find_column(columns, by, opts.columns) or find_column(columns, "name", opts.columns)
    if col is None or col not in gdf.columns:
        msg = (f"no {by}/name column to name the polygons (columns: {', '.join(columns) or '—'}); "
               f"choose one with --map areas.name=COLUMN")
        raise layer_problem(where, msg)
    names = gdf[col]
    empty = [int(r) + 1 for r in np.flatnonzero(names.isna().to_numpy()
                                                | (names.astype(str).str.strip() == ""))]
    if empty:
        raise layer_problem(where, f"column {col!r} is empty on feature(s) "
                            f"{', '.join(map(str, empty[:NAMED]))}; every polygon needs a name")
    kinds = gdf.geometry.geom_type.fillna("none")
    bad = [int(r) + 1 for r in np.flatnonzero(~kinds.isin(["Polygon", "MultiPolygon"]))]
    if bad:
        msg = (f"feature(s) {', '.join(map(str, bad[:NAMED]))} are not polygons "
               f"({', '.join(sorted(set(kinds.iloc[[b - 1 for b in bad]])))}); the areas layer "
               "holds the boundaries of the groups as polygons")
        raise layer_problem(where, msg)
    if gdf.crs is None:
        if opts.crs is None:
            raise layer_problem(where, "has no coordinate reference system; say what it is "
                                "with --layer-crs areas=CRS, e.g. EPSG:4326")
        gdf = gdf.set_crs(opts.crs)
    geoms = gdf.geometry.to_numpy()
    if opts.swap_xy:
        geoms = shapely.transform(geoms, lambda a: a[:, ::-1])
    layer_crs = gdf.crs
    if opts.coordinates.lower().replace("-", "") not in ("wgs84", "epsg4326"):
        if not layer_crs.is_geographic:
            raise layer_problem(where, f"coordinates={opts.coordinates!r} needs longitude/"
                                f"latitude, but the layer CRS {layer_crs.name} is projected")

        def shift(a: np.ndarray) -> np.ndarray:
            try:
                return np.column_stack(to_wgs84(a[:, 0], a[:, 1], opts.coordinates))
            except ValueError as exc:
                raise layer_problem(where, str(exc)) from exc

        geoms, layer_crs = shapely.transform(geoms, shift), "EPSG:4326"
    frame = gpd.GeoDataFrame({"group": names.astype(str).str.strip().to_numpy()},
                             geometry=gpd.GeoSeries(geoms, crs=layer_crs)).to_crs(crs)
    if not frame.geometry.is_valid.all():
        frame = frame.set_geometry(frame.geometry.make_valid())
    merged = frame.dissolve(by="group", sort=False).reset_index()
    return merged[["group", "geometry"]]


def _label(records: list[dict[str, Any]], areas: gpd.GeoDataFrame, by: str,
           crs: str) -> list[str]:
    """Set ``by`` on every community record inside a polygon; the warnings to issue."""
    import geopandas as gpd  # noqa: PLC0415

    xy = np.array([[r["x"], r["y"]] for r in records], dtype=np.float64).reshape(-1, 2)
    points = gpd.GeoDataFrame({"i": np.arange(len(records))},
                              geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
    joined = gpd.sjoin(points, areas, how="left", predicate="within")
    remarks = []
    twice = joined.index[joined.index.duplicated()].unique()
    if len(twice):
        ids = ", ".join(str(records[int(i)]["id"]) for i in twice[:NAMED])
        remarks.append(f"areas: {len(twice)} communities lie in more than one {by} polygon "
                       f"(overlapping boundaries): {ids}; each takes the first")
    joined = joined[~joined.index.duplicated()]
    outside = []
    for i, group in zip(joined["i"].to_numpy(), joined["group"].to_numpy(), strict=True):
        if isinstance(group, str):
            records[int(i)][by] = group
        else:
            rec = records[int(i)]
            outside.append(f"{rec['id']}" + (f" ({rec['name']})" if rec.get("name") else ""))
    if outside:
        more = f" and {len(outside) - NAMED} more" if len(outside) > NAMED else ""
        remarks.append(f"areas: {len(outside)} communities lie outside every {by} polygon and "
                       f"get no {by}: {', '.join(outside[:NAMED])}{more}")
    return remarks


def _geojson(geom: Any, digits: int) -> dict[str, Any]:
    import shapely  # noqa: PLC0415

    rounded = shapely.transform(geom, lambda a: np.round(a, digits))
    return dict(json.loads(shapely.to_geojson(rounded)))


def add_areas(doc: dict[str, Any], source: str | Path | gpd.GeoDataFrame, opts: LayerOptions,
              by: str, digits: int) -> list[str]:
    """Label ``doc``'s communities from the polygon layer and store it as ``doc["areas"]``.

    Parameters
    ----------
    doc
        The instance document being built (``crs`` and ``communities`` set); changed in place.
    source
        The polygon layer.
    opts
        How to read it.
    by
        The community label the polygons are groups of (``street``).
    digits
        Decimals kept in the coordinates (7 for degrees, 3 for metres).

    Returns
    -------
    list of str
        Warnings: communities outside every polygon, in two, or labels kept from the layer.
    """
    areas = read_areas(source, opts, by, str(doc["crs"]))
    communities = doc["communities"]
    remarks = []
    if any(by in r for r in communities):
        remarks.append(f"areas: the communities layer has its own {by} column; its labels are "
                       "kept and the polygons only drawn")
    elif communities:
        remarks += _label(communities, areas, by, str(doc["crs"]))
    doc["areas"] = {"by": by, "features": [
        {"group": g, "geometry": _geojson(geom, digits)}
        for g, geom in zip(areas["group"], areas.geometry, strict=True)]}
    return remarks
