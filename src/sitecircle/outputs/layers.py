"""Geodata out: a solution as GIS layers for QGIS or ArcGIS (GeoPackage, GeoJSON).

:func:`solution_layers` builds four point layers; :func:`write_solution_layers` writes them.
Every layer is built by one function of :data:`LAYER_BUILDERS` (add a layer there, a column
in its function). Names and labels appear beside ids wherever a person reads them.

``new_facilities`` — one row per new facility (one category opened at one site):

============================== =========================================================
``site``, ``site_name``        candidate site id and name
``category``                   category id
``category_label``             category label (e.g. 便利店)
``cost``                       cost of this category at this site
``site_open_cost``             the site's fixed opening cost (paid once per site; repeated on
                               every row of that site)
``currency``                   the instance's unit of cost (only when the instance gives one)
``communities_newly_covered``  communities this facility reaches that no existing facility
                               covered for this category
``population_newly_covered``   their population
``demand_field``               the category's demand field (population, elderly, ...)
``demand_newly_covered``       their demand in that field
``phase``, ``phase_order``     with phases (FORMAT.md "Phases") only: the phase in which the
                               facility opens and its position, 1 for the first phase (style
                               the layer by it in QGIS); absent without phases
============================== =========================================================

Communities reached by two new facilities of one category count for each.

``communities`` — one row per community: ``id``, ``name``, every other label column of the
instance as it was named there (``street``, ``街道``, ...), ``population`` and every other demand
field; ``missing_before``, ``missing_after`` (category ids not covered, ``"; "`` separated),
``gained`` (categories the new facilities add), each also as labels (``missing_before_labels``,
``missing_after_labels``, ``gained_labels``); ``n_missing_before``, ``n_missing_after`` (counts
of those lists, optional categories included), ``n_missing_required_before``,
``n_missing_required_after`` (required categories only), and ``complete_before``,
``complete_after`` (covered for every required category).

``existing`` — ``id``, ``name``, ``categories`` (ids, ``"; "`` separated), ``category_labels``.

``candidate_sites`` — ``id``, ``name``, ``categories`` and ``category_labels`` (what it may
host), ``opened`` and ``opened_labels`` (what the solution opens there), ``n_opened``,
``site_open_cost`` (and ``currency``).

Coordinates: by default a GeoPackage holds the layers in the instance CRS and GeoJSON (RFC 7946)
in WGS 84 longitude/latitude. With ``coords="gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu)
both hold longitude/latitude shifted to that system, so the layers overlay those maps; the
instance itself stays WGS 84. The system is recorded in every row (column ``coord_system``),
in the GeoPackage layer metadata (``coord_system``) and in GeoJSON as the
collection's ``coord_system`` member. GeoJSON holds one FeatureCollection; every feature
carries a ``layer`` property naming its layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sitecircle.errors import InstanceError, Problem
from sitecircle.files import atomic_path
from sitecircle.outputs.groups import group_layer
from sitecircle.outputs.loads import assignment_layer, facility_loads, loads_text
from sitecircle.outputs.lonlat import COORD_SYSTEMS, lonlat
from sitecircle.outputs.outcome import InstanceLike, Outcome, SolutionLike, as_outcome
from sitecircle.outputs.phases import open_phases, phase_order

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LAYER_BUILDERS", "LAYER_NAMES", "solution_layers", "write_solution_layers"]

_SEP = "; "
#: A layer: its point coordinates (instance CRS) and its columns, from an outcome.
LayerBuilder = Callable[[Outcome], tuple[np.ndarray, dict[str, Any]]]


def _joined(names: tuple[str, ...], mask: np.ndarray) -> list[str]:
    return [_SEP.join(names[k] for k in np.flatnonzero(row)) for row in mask]


def _texts(values: tuple[str | None, ...], n: int) -> list[str]:
    """Names or labels as strings ("" where absent), ``n`` of them."""
    return [v or "" for v in values] if len(values) == n else [""] * n


def _money(outcome: Outcome, columns: dict[str, Any], n: int) -> dict[str, Any]:
    if outcome.currency:
        columns["currency"] = [outcome.currency] * n
    return columns


def _labels(outcome: Outcome) -> tuple[str, ...]:
    return tuple(c.label for c in outcome.instance.categories)


def _new_facilities(out: Outcome) -> tuple[np.ndarray, dict[str, Any]]:
    inst = out.instance
    cats, labels = inst.category_ids, _labels(out)
    j, k = out.open_pairs[:, 0], out.open_pairs[:, 1]
    names = _texts(inst.site_names, inst.n_sites)
    columns = _money(out, {
        "site": [inst.site_ids[s] for s in j],
        "site_name": [names[s] for s in j],
        "category": [cats[c] for c in k],
        "category_label": [labels[c] for c in k],
        "cost": inst.site_cost[j, k].astype(np.float64),
        "site_open_cost": inst.site_open_cost[j].astype(np.float64),
    }, len(j))
    columns.update({
        "communities_newly_covered": out.new_communities,
        "population_newly_covered": out.new_population,
        "demand_field": [inst.categories[c].demand for c in k],
        "demand_newly_covered": out.new_demand,
    })
    order = phase_order(out.solution)
    if order:  # a plan over several years: the phase of opening, and its 1-based position
        phases = open_phases(out.solution)
        columns["phase"] = [p or "" for p in phases]
        columns["phase_order"] = np.array([order.get(p or "", 0) for p in phases],
                                          dtype=np.int64)
    return inst.site_xy[j], columns


def _communities(out: Outcome) -> tuple[np.ndarray, dict[str, Any]]:
    inst = out.instance
    cats, labels, req = inst.category_ids, _labels(out), inst.required
    n = inst.n_communities
    columns: dict[str, Any] = {"id": list(inst.community_ids),
                               "name": _texts(inst.community_names, n)}
    for field, values in inst.community_labels.items():
        if field != "name" and field not in ("id", "geometry"):
            columns[field] = _texts(values, n)
    for field, numbers in inst.community_fields.items():
        columns.setdefault(field, numbers)
    before, after = out.covered_before, out.covered_after
    columns.update({
        "missing_before": _joined(cats, ~before),
        "missing_after": _joined(cats, ~after),
        "gained": _joined(cats, out.gained),
        "missing_before_labels": _joined(labels, ~before),
        "missing_after_labels": _joined(labels, ~after),
        "gained_labels": _joined(labels, out.gained),
        "n_missing_before": (~before).sum(axis=1),
        "n_missing_after": (~after).sum(axis=1),
        "n_missing_required_before": (~before[:, req]).sum(axis=1),
        "n_missing_required_after": (~after[:, req]).sum(axis=1),
        "complete_before": before[:, req].all(axis=1),
        "complete_after": after[:, req].all(axis=1),
    })
    return inst.community_xy, columns


def _existing(out: Outcome) -> tuple[np.ndarray, dict[str, Any]]:
    inst = out.instance
    return inst.existing_xy, {
        "id": list(inst.existing_ids),
        "name": _texts(inst.existing_names, inst.n_existing),
        "categories": _joined(inst.category_ids, inst.existing_hosts),
        "category_labels": _joined(_labels(out), inst.existing_hosts),
    }


def _candidate_sites(out: Outcome) -> tuple[np.ndarray, dict[str, Any]]:
    inst = out.instance
    cats, labels = inst.category_ids, _labels(out)
    opened = np.zeros_like(inst.site_hosts)
    opened[out.open_pairs[:, 0], out.open_pairs[:, 1]] = True
    return inst.site_xy, _money(out, {
        "id": list(inst.site_ids),
        "name": _texts(inst.site_names, inst.n_sites),
        "categories": _joined(cats, inst.site_hosts),
        "category_labels": _joined(labels, inst.site_hosts),
        "opened": _joined(cats, opened),
        "opened_labels": _joined(labels, opened),
        "n_opened": opened.sum(axis=1),
        "site_open_cost": inst.site_open_cost.astype(np.float64),
    }, inst.n_sites)


#: Layer name → builder, in file order. Add a layer by adding its builder here.
LAYER_BUILDERS: dict[str, LayerBuilder] = {
    "new_facilities": _new_facilities,
    "communities": _communities,
    "existing": _existing,
    "candidate_sites": _candidate_sites,
}
LAYER_NAMES = tuple(LAYER_BUILDERS)


def solution_layers(
    instance: InstanceLike | Outcome, solution: SolutionLike | None = None, *,
    coords: str = "wgs84",
) -> dict[str, gpd.GeoDataFrame]:
    """Build the solution's point layers.

    Parameters
    ----------
    instance
        The instance (object, document or path), or an :class:`~sitecircle.outputs.outcome.Outcome`
        (then ``solution`` is not needed).
    solution
        Its solution (object, document or path).
    coords
        ``wgs84`` (default): the layers in the instance CRS. ``gcj02`` or ``bd09``: longitude and
        latitude shifted for Amap/Tencent or Baidu, with a ``coord_system`` column.

    Returns
    -------
    dict
        One GeoDataFrame per :data:`LAYER_NAMES`; the columns are listed in the module docstring.

    Raises
    ------
    InstanceError
        Invalid inputs, or a solution that does not belong to the instance.
    ValueError
        Unknown ``coords``.
    """
    import geopandas as gpd  # noqa: PLC0415

    if coords not in COORD_SYSTEMS:
        msg = f"unknown coordinate system {coords!r}: use one of {', '.join(COORD_SYSTEMS)}"
        raise ValueError(msg)
    out = as_outcome(instance, solution)
    inst = out.instance
    layers = {}
    for name, build in LAYER_BUILDERS.items():
        xy, columns = build(out)
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        crs = inst.crs
        if coords != "wgs84":
            xy, crs = lonlat(inst, xy, coords), "EPSG:4326"
            columns["coord_system"] = [coords] * len(xy)
        layers[name] = gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                                        crs=crs)
    groups = group_layer(out, coords)
    if groups is not None:  # one row per group, its boundary if known (FORMAT.md "groups")
        layers["groups"] = groups
    _add_loads(out, layers)
    return layers


def _add_loads(out: Outcome, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Capacities: ``load``, ``capacity``, ``utilisation`` on new facilities, a ``loads`` text on
    existing ones, and the ``assignments`` line layer (only when the solution has loads)."""
    loads = facility_loads(out.solution)
    if not loads:
        return
    new = layers["new_facilities"]
    recs = [loads.get((site, cat), {}) for site, cat in zip(new["site"], new["category"],
                                                             strict=True)]
    new["load"] = [r.get("served", np.nan) for r in recs]
    new["capacity"] = [np.nan if r.get("capacity") is None else r["capacity"] for r in recs]
    new["utilisation"] = [np.nan if r.get("utilisation") is None else r["utilisation"]
                          for r in recs]
    existing = layers["existing"]
    existing["loads"] = [loads_text(out.solution, fid) for fid in existing["id"]]
    lines = assignment_layer(out)
    if lines is not None:
        layers["assignments"] = lines


def _plain(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        if v != v:  # NaN: no value (e.g. the load of an uncapacitated facility)
            return None
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    return value


def _line_features(frame: gpd.GeoDataFrame | None, name: str) -> list[dict[str, Any]]:
    """GeoJSON LineString features of a line layer (WGS 84), each with its ``layer``."""
    if frame is None:
        return []
    wgs = frame.to_crs("EPSG:4326")
    columns = [c for c in wgs.columns if c != wgs.geometry.name]
    out = []
    for geom, row in zip(wgs.geometry, wgs[columns].itertuples(index=False, name=None),
                         strict=True):
        props = {"layer": name, **{c: _plain(v) for c, v in zip(columns, row, strict=True)}}
        coords = [[round(float(x), 7), round(float(y), 7)] for x, y in geom.coords]
        out.append({"type": "Feature", "properties": props,
                    "geometry": {"type": "LineString", "coordinates": coords}})
    return out


def _write_geojson(layers: dict[str, gpd.GeoDataFrame], path: Path, coords: str,
                   lines: gpd.GeoDataFrame | None = None) -> None:
    """One RFC 7946 FeatureCollection (lon/lat); a ``layer`` property names the layer."""
    features = _line_features(lines, "assignments")
    for name, frame in layers.items():
        wgs = frame.to_crs("EPSG:4326")
        columns = [c for c in wgs.columns if c != wgs.geometry.name]
        xs, ys = wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy()
        for n, row in enumerate(wgs[columns].itertuples(index=False, name=None)):
            props = {"layer": name, **{c: _plain(v) for c, v in zip(columns, row, strict=True)}}
            features.append({"type": "Feature", "properties": props, "geometry": {
                "type": "Point", "coordinates": [round(float(xs[n]), 7), round(float(ys[n]), 7)]}})
    text = json.dumps({"type": "FeatureCollection", "coord_system": coords,
                       "features": features}, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_solution_layers(
    instance: InstanceLike | Outcome,
    solution: SolutionLike | None,
    path: str | Path,
    *,
    coords: str = "wgs84",
) -> Path:
    """Write the solution layers to a GeoPackage (``.gpkg``) or GeoJSON (``.geojson``/``.json``).

    The file is written to a temporary name and then renamed, so a failure never leaves a
    half-written file; an existing file is replaced.

    Parameters
    ----------
    instance
        The instance (object, document or path), or an :class:`~sitecircle.outputs.outcome.Outcome`.
    solution
        Its solution (object, document or path); None with an ``Outcome``.
    path
        Destination; the suffix chooses the format.
    coords
        ``wgs84`` (default), ``gcj02`` (Amap, Tencent) or ``bd09`` (Baidu); see
        :func:`solution_layers`.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InstanceError
        Unknown suffix, invalid inputs, or a solution that does not belong to the instance.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".gpkg", ".geojson", ".json"):
        msg = f"unknown geodata format {p.suffix!r}: use .gpkg or .geojson"
        raise InstanceError([Problem(str(p), msg)])
    layers = solution_layers(instance, solution, coords=coords)
    with atomic_path(p) as tmp:
        if suffix == ".gpkg":
            note = {"coord_system": coords,
                    "coord_system_note": COORD_SYSTEMS[coords]}
            for name in layers:
                layers[name].to_file(tmp, layer=name, driver="GPKG", engine="pyogrio",
                                     layer_metadata=note)
        else:
            _write_geojson({name: layers[name] for name in LAYER_NAMES}, tmp, coords,
                           layers.get("assignments"))
    return p
