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
5. **Columns.** :attr:`LayerOptions.columns` maps instance fields to the layer's columns (see
   :func:`instance_from_layers` for the fields and their default column names).

Every problem found is collected into one :class:`~sitecircle.errors.InstanceError`.
Writing solution layers (GeoPackage, GeoJSON) lives in :mod:`sitecircle.outputs.layers`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sitecircle.errors import InstanceError, Problem
from sitecircle.files import load_json
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import FORMAT_ID
from sitecircle.instance.layer_read import (
    LayerOptions,
    find_column,
    layer_problem,
    read_any,
    read_layer,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LayerOptions", "instance_from_layers"]

KINDS = ("communities", "sites", "existing")
#: Numeric fields whose empty cells mean "not set" (the FORMAT.md default applies).
_OPTIONAL_FIELDS = ("open_cost", "max_categories")
_SPLIT = re.compile(r"[,;，；、|/\s]+")
























def _value_problem(col: list[Problem], where: str, rid: str, message: str) -> None:
    if len(col) < 50:
        col.append(Problem(where, message, rid))


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    import pandas as pd  # noqa: PLC0415 - heavy, only for GIS layers

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _json_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _category_tokens(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v).strip() for v in parsed if str(v).strip()]
    return [t for t in _SPLIT.split(text.strip("[]")) if t]


class _Builder:
    """Turn layers into instance records, collecting every problem."""

    def __init__(self, categories: list[dict[str, Any]], crs: str) -> None:
        self.categories = categories
        self.crs = crs
        self.problems: list[Problem] = []
        self.lookup: dict[str, str] = {}
        for c in categories:
            self.lookup[str(c["id"]).lower()] = str(c["id"])
            if c.get("label"):
                self.lookup[str(c["label"]).lower()] = str(c["id"])

    def frame(self, kind: str, source: Any, opts: LayerOptions) -> gpd.GeoDataFrame:
        gdf = read_layer(source, opts).to_crs(self.crs)
        xy = np.column_stack([gdf.geometry.x, gdf.geometry.y])
        if not np.isfinite(xy).all():
            raise layer_problem(kind, f"some points cannot be projected to {self.crs}")
        return gdf

    def column(self, kind: str, gdf: gpd.GeoDataFrame, key: str, opts: LayerOptions,
               required: bool) -> str | None:
        cols = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        name = find_column(cols, key, opts.columns)
        if name is not None and name not in gdf.columns:
            self.problems.append(Problem(f"{kind}: columns.{key}", f"no column {name!r} "
                                         f"(columns: {', '.join(cols)})"))
            return None
        if name is None and required:
            self.problems.append(Problem(f"{kind}: {key}", f"no {key!r} column (columns: "
                                         f"{', '.join(cols)}); map one with columns={{'{key}': "
                                         f"...}} (--map {kind}.{key}=COLUMN)"))
        return name

    def categories_of(self, kind: str, rid: str, value: Any) -> list[str]:
        out: list[str] = []
        for token in _category_tokens(value):
            cid = self.lookup.get(token.lower())
            if cid is None:
                known = ", ".join(str(c["id"]) for c in self.categories)
                _value_problem(self.problems, f"{kind}.categories", rid,
                               f"unknown category {token!r} (known ids: {known}; labels work "
                               "too)")
            elif cid not in out:
                out.append(cid)
        return out

    def records(self, kind: str, gdf: gpd.GeoDataFrame, opts: LayerOptions,
                fields: Sequence[str]) -> list[dict[str, Any]]:
        id_col = self.column(kind, gdf, "id", opts, required=True)
        name_col = self.column(kind, gdf, "name", opts, required=False)
        numeric = {f: self.column(kind, gdf, f, opts, required=kind == "communities")
                   for f in fields}
        cat_col = None
        if kind != "communities":
            cat_col = self.column(kind, gdf, "categories", opts, required=kind == "existing")
        digits = 7 if self.geographic else 3
        xs, ys = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
        out: list[dict[str, Any]] = []
        for n in range(len(gdf)):
            rid = self._id(gdf, id_col, n) if id_col else f"#{n}"
            rec: dict[str, Any] = {"id": rid, "x": round(float(xs[n]), digits),
                                   "y": round(float(ys[n]), digits)}
            if name_col is not None:
                label = gdf[name_col].iloc[n]
                if isinstance(label, str) and label.strip():
                    rec["name"] = label.strip()
            if cat_col is not None:
                rec["categories"] = self.categories_of(kind, rid, gdf[cat_col].iloc[n])
            for f, col in numeric.items():
                if col is None:
                    continue
                raw = gdf[col].iloc[n]
                v = _number(raw)
                if v is not None:
                    rec[f] = _json_number(v)
                elif not (f in _OPTIONAL_FIELDS and _blank(raw)):
                    _value_problem(self.problems, f"{kind}.{col}", rid,
                                   f"{f} is {raw!r}, not a number")
            out.append(rec)
        return out

    def _id(self, gdf: gpd.GeoDataFrame, col: str, n: int) -> str:
        value = gdf[col].iloc[n]
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    @property
    def geographic(self) -> bool:
        from pyproj import CRS  # noqa: PLC0415

        return bool(CRS.from_user_input(self.crs).is_geographic)


def _site_costs(b: _Builder, gdf: gpd.GeoDataFrame, opts: LayerOptions,
                records: list[dict[str, Any]]) -> None:
    """Per-category cost columns (``cost.<id>`` mapped, or named ``cost_<id>``) beat ``cost``."""
    cols = [str(c) for c in gdf.columns]
    per_cat = {}
    for c in b.categories:
        cid = str(c["id"])
        col = opts.columns.get(f"cost.{cid}") or find_column(cols, f"cost_{cid}", {})
        if col is not None and col in gdf.columns:
            per_cat[cid] = col
    if not per_cat:
        return
    for n, rec in enumerate(records):
        hosted = rec.get("categories") or [str(c["id"]) for c in b.categories]
        cost: dict[str, float | int] = {}
        for cid in hosted:
            v = _number(gdf[per_cat[cid]].iloc[n]) if cid in per_cat else None
            v = _number(rec.get("cost")) if v is None else v
            if v is None:
                _value_problem(b.problems, f"sites.cost.{cid}", rec["id"],
                               f"no cost for {cid!r}: fill cost_{cid} or a cost column")
            else:
                cost[cid] = _json_number(v)
        rec["cost"] = cost


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
) -> dict[str, Any]:
    """Assemble a validated ``sitecircle.instance/1`` document from GIS layers.

    Fields read from each layer (default column names in brackets, matched case-insensitively;
    map others with :attr:`LayerOptions.columns`):

    * communities: ``id`` [id, 编号, code], ``name`` [name, 名称] (optional), ``population``
      [population, pop, 人口] and every other demand field a category names (``elderly``, ...);
    * sites: ``id``, ``categories`` [categories, category, 类别] (ids or labels separated by
      ``, ; 、 |`` or a JSON list; all categories when there is no column), ``cost`` (one number)
      or per-category ``cost_<category>`` columns, ``open_cost``, ``max_categories``;
    * existing: ``id`` and ``categories`` (required).

    Parameters
    ----------
    communities, sites, existing
        Layer files or GeoDataFrames; ``sites`` and ``existing`` may be omitted.
    template
        An instance (or a partial one) whose ``name``, ``crs``, ``categories``, ``travel`` and
        ``objective`` are used; its records are ignored.
    categories
        Category ids or ``sitecircle.instance/1`` category objects, when there is no template.
        Default: the categories named in the sites and existing layers, in order of appearance.
    crs
        Instance CRS (default: the template's, else ``EPSG:4326``).
    name
        Instance name (default: the template's, else the communities file name).
    objective
        Objective object; overrides the template's.
    options
        :class:`LayerOptions` by layer kind: ``communities``, ``sites``, ``existing``.

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
    unknown = set(options or {}) - set(KINDS)
    if unknown:
        msg = f"unknown layer kind(s) {sorted(unknown)}; use {KINDS}"
        raise InstanceError([Problem("options", msg)])
    cats = [dict(c) if isinstance(c, Mapping) else {"id": str(c)}
            for c in (categories if categories is not None else base.get("categories") or [])]
    target = crs or str(base.get("crs") or "EPSG:4326")
    frames = {"communities": communities, "sites": sites, "existing": existing}
    if not cats:
        cats = _infer_categories(frames, opts)
    b = _Builder(cats, target)
    demand = ["population", *sorted({str(c.get("demand", "population")) for c in cats}
                                    - {"population"})]
    doc: dict[str, Any] = {"format": FORMAT_ID,
                           "name": name or base.get("name") or _stem(communities),
                           "crs": target, "categories": cats}
    site_fields = ["open_cost", "max_categories"]
    for kind, fields in (("communities", demand), ("sites", ["cost", *site_fields]),
                         ("existing", [])):
        source = frames[kind]
        if source is None:
            doc[kind] = []
            continue
        gdf = b.frame(kind, source, opts[kind])
        recs = b.records(kind, gdf, opts[kind], fields)
        if kind == "sites":
            _site_costs(b, gdf, opts[kind], recs)
            for rec in recs:
                if "max_categories" in rec:
                    rec["max_categories"] = int(rec["max_categories"])
        doc[kind] = recs
    if b.problems:
        raise InstanceError(b.problems)
    for key in ("travel", "objective"):
        if key in base:
            doc[key] = base[key]
    if objective is not None:
        doc["objective"] = dict(objective)
    Instance.from_dict(doc)  # raises InstanceError listing every problem
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
            seen.extend(t for t in _category_tokens(value) if t not in seen)
    if not seen:
        msg = ("no categories given and none found in the sites or existing layers; pass "
               "categories= or a template (--template, --categories)")
        raise InstanceError([Problem("categories", msg)])
    return [{"id": c} for c in seen]
