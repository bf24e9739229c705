"""Geodata in: build a ``sitecircle.instance/1`` document from GIS layers.

Planners bring three point (or polygon) layers — communities, candidate sites, existing
facilities — as GeoPackage, GeoJSON, Shapefile (any attribute encoding, e.g. GBK), CSV with
coordinate columns, or GeoParquet. :func:`read_layer` reads one with geopandas and
:func:`instance_from_layers` assembles the instance:

1. **CRS.** A layer must declare its CRS (a CSV never does): one without is refused unless
   :attr:`LayerOptions.crs` says what it is. Every layer is reprojected to the instance CRS.
2. **Swapped coordinates.** In a geographic CRS, latitudes beyond ±90°, or points that fall
   outside China as ``(lon, lat)`` but inside it as ``(lat, lon)``, are refused as a likely
   lat/lon swap (fix with :attr:`LayerOptions.swap_xy`, or skip the check with
   :attr:`LayerOptions.check_swap`). In a projected CRS, points outside the CRS's area of use
   that would be inside it swapped are refused the same way.
3. **Chinese map coordinates.** Amap/Tencent (GCJ-02) and Baidu (BD-09) longitudes and latitudes
   are not WGS 84 and no EPSG code describes them: say so with :attr:`LayerOptions.coordinates`
   and they are converted exactly (:mod:`sitecircle.chinacoords`) before reprojection.
4. **Geometry.** Points are used as they are; polygons and lines are reduced to a point inside
   them (``representative_point``) with a warning.
5. **Columns.** :attr:`LayerOptions.columns` maps instance fields to the layer's columns; the
   usual Chinese and English names are recognised without it
   (:data:`sitecircle.instance.columns.COLUMN_NAMES`). Every column is accounted for: one no
   field uses is reported by name with the ``--map`` that would use it, and one that looks like
   a cost, a category list or a capacity is an error unless :attr:`LayerOptions.ignore` lists it.
6. **Cells.** Numbers may carry thousands separators or full-width digits
   (:mod:`sitecircle.instance.cells`); an empty category cell is an error.

Every problem found is collected into one :class:`~sitecircle.errors.InstanceError` (runs of one
rule summarised, the count exact); the validated instance's warnings (records far outside the
others, ...) and the unused columns are issued as :class:`UserWarning`.
Writing solution layers (GeoPackage, GeoJSON) lives in :mod:`sitecircle.outputs.layers`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sitecircle.errors import InstanceError, Problem
from sitecircle.files import load_json
from sitecircle.instance.area_layer import add_areas
from sitecircle.instance.cells import category_tokens
from sitecircle.instance.columns import find_column
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import FORMAT_ID
from sitecircle.instance.layer_capacity import capacity_columns, layer_capacities
from sitecircle.instance.layer_read import LayerOptions, layer_problem, read_any, read_layer
from sitecircle.instance.layer_records import LayerRecords

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LayerOptions", "instance_from_layers"]

KINDS = ("communities", "sites", "existing")


def _frame(kind: str, source: Any, opts: LayerOptions, crs: str) -> gpd.GeoDataFrame:
    gdf = read_layer(source, opts).to_crs(crs)
    xy = np.column_stack([gdf.geometry.x, gdf.geometry.y])
    if not np.isfinite(xy).all():
        raise layer_problem(kind, f"some points cannot be projected to {crs}")
    return gdf


def _geographic(crs: str) -> bool:
    from pyproj import CRS  # noqa: PLC0415

    return bool(CRS.from_user_input(crs).is_geographic)


def _load_template(template: Mapping[str, Any] | str | Path | None) -> dict[str, Any]:
    if template is None:
        return {}
    data = load_json(template) if isinstance(template, str | Path) else dict(template)
    if not isinstance(data, dict):
        msg = "must be a JSON object with categories/travel/objective"
        raise InstanceError([Problem("template", msg)])
    return data


def instance_from_layers(
    communities: str | Path | gpd.GeoDataFrame,
    sites: str | Path | gpd.GeoDataFrame | None = None,
    existing: str | Path | gpd.GeoDataFrame | None = None,
    *,
    template: Mapping[str, Any] | str | Path | None = None,
    categories: Sequence[str | Mapping[str, Any]] | None = None,
    crs: str | None = None,
    name: str | None = None,
    objective: Mapping[str, Any] | None = None,
    options: Mapping[str, LayerOptions] | None = None,
    areas: str | Path | gpd.GeoDataFrame | None = None,
    area_field: str = "street",
) -> dict[str, Any]:
    """Assemble a validated ``sitecircle.instance/1`` document from GIS layers.

    Fields read from each layer (a few of the recognised column names in brackets, matched
    ignoring case, width, separators and a bracketed unit; the full table is
    :data:`sitecircle.instance.columns.COLUMN_NAMES`; map others with
    :attr:`LayerOptions.columns`):

    * communities: ``id`` [id, 编号], ``name`` [name, 名称, 小区名称], ``population``
      [population, 人口, 常住人口], every other demand field a category names (``elderly``
      [老年人口, 老人], ``children`` [儿童, 婴幼儿], ...), and text labels ``street`` [街道],
      ``district`` [区县, 行政区], ``community`` [社区, 居委会]; any other mapped field is kept
      (a text column as a label, a numeric one as a number);
    * sites: ``id``, ``name``, ``categories`` [categories, 类别, 业态, 可建类别] (ids or labels
      separated by ``, ; 、 |`` or a JSON list; every category when there is no column),
      ``cost`` [cost, 造价, 费用] (one number) or per-category costs (``cost_<category>``,
      ``造价_<类别>``, ``<类别>造价``, with the category's id or label), ``open_cost``
      [开办费, 开设费用], ``max_categories`` [最多类别], ``address`` [地址]; without a category
      column, a site with per-category costs hosts the categories it has a cost for;
    * existing: ``id``, ``name``, ``categories`` (required, never empty), ``address``;
    * sites and existing: ``capacity`` [capacity, 容量, 座位, 床位, 托位, 服务人数] (one number)
      or per-category ``capacity_<category>`` columns
      (:mod:`~sitecircle.instance.layer_capacity`).

    Parameters
    ----------
    communities, sites, existing
        Layer files or GeoDataFrames; ``sites`` and ``existing`` may be omitted.
    template
        An instance (or a partial one) whose ``crs``, ``categories``, ``travel`` and
        ``objective`` are used; its name and records are not.
    categories
        Category ids or ``sitecircle.instance/1`` category objects, when there is no template.
        Default: the categories named in the sites and existing layers, in order of appearance.
    crs
        Instance CRS (default: the template's, else ``EPSG:4326``).
    name
        Instance name (default: the communities file name; never the template's, which names
        another instance).
    objective
        Objective object; overrides the template's.
    options
        :class:`LayerOptions` by layer kind: ``communities``, ``sites``, ``existing``,
        ``areas``.
    areas
        A polygon layer of group boundaries (streets): communities without an ``area_field``
        label get the one of the polygon containing them, and the polygons are stored in the
        optional ``areas`` field (:mod:`sitecircle.instance.area_layer`).
    area_field
        The community label the ``areas`` polygons are groups of (default ``street``).

    Returns
    -------
    dict
        The instance document, already validated.

    Raises
    ------
    InstanceError
        Listing every problem found in the layers or in the assembled instance.
    """
    base = _load_template(template)
    opts = {k: (options or {}).get(k) or LayerOptions() for k in KINDS}
    unknown = set(options or {}) - {*KINDS, "areas"}
    if unknown:
        msg = f"unknown layer kind(s) {sorted(unknown)}; use {(*KINDS, 'areas')}"
        raise InstanceError([Problem("options", msg)])
    cats = [dict(c) if isinstance(c, Mapping) else {"id": str(c)}
            for c in (categories if categories is not None else base.get("categories") or [])]
    target = crs or str(base.get("crs") or "EPSG:4326")
    frames = {"communities": communities, "sites": sites, "existing": existing}
    if not cats:
        cats = _infer_categories(frames, opts)
    builder = LayerRecords(cats)
    demand = ["population", *sorted({str(c.get("demand", "population")) for c in cats}
                                    - {"population"})]
    doc: dict[str, Any] = {"format": FORMAT_ID, "name": name or _stem(communities),
                           "crs": target, "categories": cats}
    for key in ("currency",):
        if key in base:
            doc[key] = base[key]
    digits = 7 if _geographic(target) else 3
    for kind in KINDS:
        source = frames[kind]
        if source is None:
            doc[kind] = []
            continue
        gdf = _frame(kind, source, opts[kind], target)
        cap_cols = (capacity_columns(cats, gdf, opts[kind].columns) if kind != "communities"
                    else set())
        doc[kind] = builder.records(kind, gdf, opts[kind], demand, digits, also_used=cap_cols)
        if kind != "communities":  # capacity / capacity_<category> (FORMAT.md "Capacities")
            layer_capacities(builder.col.problems, cats, kind, gdf, opts[kind].columns,
                             doc[kind])
    if builder.col.problems:
        raise builder.col.error()
    remarks = list(builder.remarks)
    if areas is not None:
        remarks += add_areas(doc, areas, (options or {}).get("areas") or LayerOptions(),
                             area_field, digits)
    for key in ("travel", "objective"):
        if key in base:
            doc[key] = base[key]
    if objective is not None:
        doc["objective"] = dict(objective)
    instance = Instance.from_dict(doc)  # raises InstanceError listing every problem
    for remark in (*remarks, *instance.warnings):
        warnings.warn(remark, UserWarning, stacklevel=2)
    return doc


def _stem(source: Any) -> str:
    return Path(source).stem if isinstance(source, str | Path) else "instance"


def _infer_categories(frames: Mapping[str, Any], opts: Mapping[str, LayerOptions]
                      ) -> list[dict[str, Any]]:
    seen: list[str] = []
    for kind in ("existing", "sites"):
        if frames[kind] is None:
            continue
        gdf = read_any(frames[kind], opts[kind])
        col = find_column([str(c) for c in gdf.columns], "categories", opts[kind].columns)
        if col is None or col not in gdf.columns:
            continue
        for value in gdf[col]:
            seen.extend(t for t in category_tokens(value) if t not in seen)
    if not seen:
        msg = ("no categories given and none found in the sites or existing layers; pass "
               "categories= or a template (--template, --categories)")
        raise InstanceError([Problem("categories", msg)])
    return [{"id": c} for c in seen]
