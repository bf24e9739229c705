"""Geodata out: a solution as GIS layers for QGIS or ArcGIS (GeoPackage, GeoJSON).

:func:`solution_layers` builds four point layers; :func:`write_solution_layers` writes them.

``new_facilities`` — one row per new facility (one category opened at one site):

========================== =========================================================
``site``                   candidate site id
``category``               category id
``category_label``         category label (e.g. 便利店)
``cost``                   cost of this category at this site
``site_open_cost``         the site's fixed opening cost (paid once per site; repeated on
                           every row of that site)
``communities_newly_covered`` communities this facility reaches that no existing facility
                           covered for this category
``population_newly_covered`` their population
``demand_field``           the category's demand field (population, elderly, ...)
``demand_newly_covered``   their demand in that field
========================== =========================================================

Communities reached by two new facilities of one category count for each.

``communities`` — one row per community: ``id``, ``name``, ``population`` and every other
demand field; ``missing_before``, ``missing_after`` (category ids not covered, ``"; "``
separated), ``gained`` (categories the new facilities add), ``n_missing_before``,
``n_missing_after`` (counts of those lists, optional categories included),
``n_missing_required_before``, ``n_missing_required_after`` (required categories only), and
``complete_before``, ``complete_after`` (covered for every required category).

``existing`` — ``id``, ``categories`` (ids, ``"; "`` separated), ``category_labels``.

``candidate_sites`` — ``id``, ``categories`` (what it may host), ``opened`` (what the solution
opens there), ``n_opened``, ``site_open_cost``.

A GeoPackage gets the four layers, in the instance CRS. GeoJSON (RFC 7946) holds one
FeatureCollection in WGS 84 longitude/latitude; every feature carries a ``layer`` property
naming its layer (``new_facilities``, ``communities``, ``existing``, ``candidate_sites``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sitecircle.errors import InstanceError, Problem
from sitecircle.outputs.loads import assignment_layer, facility_loads, loads_text
from sitecircle.outputs.outcome import InstanceLike, Outcome, SolutionLike, as_outcome

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LAYER_NAMES", "solution_layers", "write_solution_layers"]

LAYER_NAMES = ("new_facilities", "communities", "existing", "candidate_sites")
_SEP = "; "


def _frame(outcome: Outcome, xy: np.ndarray, columns: dict[str, Any]) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415

    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                            crs=outcome.instance.crs)


def _joined(ids: tuple[str, ...], mask: np.ndarray) -> list[str]:
    return [_SEP.join(ids[k] for k in np.flatnonzero(row)) for row in mask]


def solution_layers(
    instance: InstanceLike | Outcome, solution: SolutionLike | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Build the solution's point layers in the instance CRS.

    Parameters
    ----------
    instance
        The instance (object, document or path), or an :class:`~sitecircle.outputs.outcome.Outcome`
        (then ``solution`` is not needed).
    solution
        Its solution (object, document or path).

    Returns
    -------
    dict
        ``new_facilities``, ``communities``, ``existing`` and ``candidate_sites``
        GeoDataFrames; the columns are listed in the module docstring.

    Raises
    ------
    InstanceError
        Invalid inputs, or a solution that does not belong to the instance.
    """
    out = as_outcome(instance, solution)
    inst = out.instance
    cats = inst.category_ids
    labels = tuple(c.label for c in inst.categories)
    pairs = out.open_pairs
    j, k = pairs[:, 0], pairs[:, 1]
    new = _frame(out, inst.site_xy[j], {
        "site": [inst.site_ids[s] for s in j],
        "category": [cats[c] for c in k],
        "category_label": [labels[c] for c in k],
        "cost": inst.site_cost[j, k].astype(np.float64),
        "site_open_cost": inst.site_open_cost[j].astype(np.float64),
        "communities_newly_covered": out.new_communities,
        "population_newly_covered": out.new_population,
        "demand_field": [inst.categories[c].demand for c in k],
        "demand_newly_covered": out.new_demand,
    })
    req = inst.required
    community_cols: dict[str, Any] = {
        "id": list(inst.community_ids),
        "name": [n or "" for n in out.community_names],
    }
    for f, values in inst.community_fields.items():
        community_cols[f] = values
    community_cols.update({
        "missing_before": _joined(cats, ~out.covered_before),
        "missing_after": _joined(cats, ~out.covered_after),
        "gained": _joined(cats, out.gained),
        "n_missing_before": (~out.covered_before).sum(axis=1),
        "n_missing_after": (~out.covered_after).sum(axis=1),
        "n_missing_required_before": (~out.covered_before[:, req]).sum(axis=1),
        "n_missing_required_after": (~out.covered_after[:, req]).sum(axis=1),
        "complete_before": out.covered_before[:, req].all(axis=1),
        "complete_after": out.covered_after[:, req].all(axis=1),
    })
    communities = _frame(out, inst.community_xy, community_cols)
    existing = _frame(out, inst.existing_xy, {
        "id": list(inst.existing_ids),
        "categories": _joined(cats, inst.existing_hosts),
        "category_labels": _joined(labels, inst.existing_hosts),
    })
    opened = np.zeros_like(inst.site_hosts)
    opened[j, k] = True
    candidates = _frame(out, inst.site_xy, {
        "id": list(inst.site_ids),
        "categories": _joined(cats, inst.site_hosts),
        "opened": _joined(cats, opened),
        "n_opened": opened.sum(axis=1),
        "site_open_cost": inst.site_open_cost.astype(np.float64),
    })
    layers = {"new_facilities": new, "communities": communities, "existing": existing,
              "candidate_sites": candidates}
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


def _write_geojson(layers: dict[str, gpd.GeoDataFrame], path: Path,
                   lines: gpd.GeoDataFrame | None = None) -> None:
    """One RFC 7946 FeatureCollection (WGS 84 lon/lat); a ``layer`` property names the layer."""
    features = _line_features(lines, "assignments")
    for name, frame in layers.items():
        wgs = frame.to_crs("EPSG:4326")
        columns = [c for c in wgs.columns if c != wgs.geometry.name]
        xs, ys = wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy()
        for n, row in enumerate(wgs[columns].itertuples(index=False, name=None)):
            props = {"layer": name, **{c: _plain(v) for c, v in zip(columns, row, strict=True)}}
            features.append({"type": "Feature", "properties": props, "geometry": {
                "type": "Point", "coordinates": [round(float(xs[n]), 7), round(float(ys[n]), 7)]}})
    with path.open("w", encoding="utf-8") as fh:
        json.dump({"type": "FeatureCollection", "features": features}, fh, ensure_ascii=False,
                  allow_nan=False)
        fh.write("\n")


def write_solution_layers(
    instance: InstanceLike | Outcome,
    solution: SolutionLike | None,
    path: str | Path,
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
    layers = solution_layers(instance, solution)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=suffix, dir=p.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        if suffix == ".gpkg":
            for name in (*LAYER_NAMES, *(["assignments"] if "assignments" in layers else [])):
                layers[name].to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        else:
            _write_geojson({name: layers[name] for name in LAYER_NAMES}, tmp,
                           layers.get("assignments"))
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)
    return p
