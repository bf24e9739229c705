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
Writing solution layers (GeoPackage, GeoJSON) lives in :mod:`sitecircle.geo_out`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitecircle.chinacoords import out_of_china, to_wgs84
from sitecircle.errors import InstanceError, Problem
from sitecircle.instance import FORMAT_ID, Instance
from sitecircle.io import load_json

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LayerOptions", "instance_from_layers", "lonlat_swap_reason", "read_layer"]

KINDS = ("communities", "sites", "existing")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
#: Column names tried, case-insensitively, when a field is not mapped explicitly.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "code", "fid_code"),
    "name": ("name", "名称", "小区名称", "社区名称"),
    "population": ("population", "pop", "人口", "常住人口"),
    "categories": ("categories", "category", "类别", "业态"),
    "cost": ("cost", "成本", "造价"),
    "open_cost": ("open_cost",),
    "max_categories": ("max_categories",),
    "x": ("lon", "lng", "longitude", "经度", "x"),
    "y": ("lat", "latitude", "纬度", "y"),
}
#: Numeric fields whose empty cells mean "not set" (the FORMAT.md default applies).
_OPTIONAL_FIELDS = ("open_cost", "max_categories")
_SPLIT = re.compile(r"[,;，；、|/\s]+")


@dataclass(frozen=True)
class LayerOptions:
    """How to read one layer.

    Parameters
    ----------
    layer
        Layer name inside a multi-layer file (GeoPackage); required when there are several.
    encoding
        Attribute encoding, e.g. ``"GBK"`` for a Shapefile without a ``.cpg`` file or a CSV
        saved by Chinese Excel. Default: the file's own declaration, else UTF-8.
    columns
        Instance field → column name, e.g. ``{"population": "常住人口", "x": "经度"}``.
        Per-category costs use ``cost.<category id>``.
    crs
        CRS of a layer that declares none (always needed for CSV), e.g. ``"EPSG:4326"``. A CRS
        the file declares wins.
    coordinates
        ``"wgs84"`` (default), ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu): longitudes and
        latitudes in that system are converted to WGS 84. Needs a geographic layer CRS.
    swap_xy
        The coordinates are stored as ``(lat, lon)`` / ``(northing, easting)``: swap them.
    check_swap
        Refuse likely swapped coordinates (default True).
    """

    layer: str | None = None
    encoding: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    crs: str | None = None
    coordinates: str = "wgs84"
    swap_xy: bool = False
    check_swap: bool = True


def _problem(where: str, message: str, record: str | None = None) -> InstanceError:
    return InstanceError([Problem(where, message, record)])


def _find_column(columns: Sequence[str], key: str, mapping: Mapping[str, str]) -> str | None:
    if key in mapping:
        return mapping[key]
    lower = {str(c).lower(): str(c) for c in columns}
    for candidate in (key, *DEFAULT_COLUMNS.get(key, ())):
        if candidate.lower() in lower:
            return lower[candidate.lower()]
    return None


def _read_csv(path: Path, opts: LayerOptions) -> gpd.GeoDataFrame:
    import geopandas as gpd

    where = str(path)
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(path, sep=sep, encoding=opts.encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = (f"not {opts.encoding or 'UTF-8'} (byte {exc.start}); pass the encoding, e.g. "
               "encoding='GBK' (--encoding GBK)")
        raise _problem(where, msg) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _problem(where, f"cannot read as CSV: {exc}") from exc
    cols = [str(c) for c in frame.columns]
    xcol, ycol = _find_column(cols, "x", opts.columns), _find_column(cols, "y", opts.columns)
    if xcol not in frame.columns or ycol not in frame.columns:
        msg = (f"no coordinate columns found (columns: {', '.join(cols)}); name them lon/lat or "
               "x/y, or map them with columns={'x': ..., 'y': ...} (--map KIND.x=COLUMN)")
        raise _problem(where, msg)
    xs = pd.to_numeric(frame[xcol], errors="coerce").to_numpy(dtype=np.float64)
    ys = pd.to_numeric(frame[ycol], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(xs) & np.isfinite(ys)))
    if len(bad):
        rows = ", ".join(str(int(r) + 2) for r in bad[:10])
        raise _problem(where, f"non-numeric or empty {xcol}/{ycol} on line(s) {rows}")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xs, ys), crs=None)


def _read_vector(path: Path, opts: LayerOptions) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    where = str(path)
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except DataSourceError as exc:
        raise _problem(where, f"cannot open as a GIS file: {exc}") from exc
    if opts.layer is None and len(layers) > 1:
        msg = f"has {len(layers)} layers ({', '.join(layers)}); say which with layer=/--layer"
        raise _problem(where, msg)
    if opts.layer is not None and opts.layer not in layers:
        raise _problem(where, f"no layer {opts.layer!r} (layers: {', '.join(layers)})")
    try:
        gdf = gpd.read_file(path, layer=opts.layer, encoding=opts.encoding, engine="pyogrio")
    except (DataSourceError, DataLayerError, LookupError) as exc:
        raise _problem(where, f"cannot read: {exc}") from exc
    if (path.suffix.lower() == ".shp" and opts.encoding is None
            and not path.with_suffix(".cpg").exists()):
        _warn_if_mojibake(gdf, where)
    return gdf


def _warn_if_mojibake(gdf: gpd.GeoDataFrame, where: str) -> None:
    """A Shapefile without ``.cpg`` is read as Latin-1: say so when the text looks like GBK."""
    for column in gdf.columns:
        if column == gdf.geometry.name or gdf[column].dtype.kind not in "OUT":
            continue
        for text in gdf[column].dropna().astype(str).head(50):
            if not any("\x80" <= ch <= "\xff" for ch in text):
                continue
            try:
                guess = text.encode("latin-1").decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            warnings.warn(f"{where}: no .cpg file, so the attributes were read as Latin-1 "
                          f"({text!r}); read as GBK they say {guess!r}: pass encoding='GBK' "
                          "(--encoding GBK)", UserWarning, stacklevel=5)
            return


def _read_any(source: str | Path | gpd.GeoDataFrame, opts: LayerOptions) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if isinstance(source, gpd.GeoDataFrame):
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise _problem(str(path), "file not found")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, opts)
    if suffix in PARQUET_SUFFIXES:
        try:
            return gpd.read_parquet(path)
        except ImportError as exc:
            raise _problem(str(path), "reading GeoParquet needs pyarrow: pip install "
                           "pyarrow") from exc
        except ValueError as exc:
            raise _problem(str(path), f"cannot read as GeoParquet: {exc}") from exc
    return _read_vector(path, opts)


def lonlat_swap_reason(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> str | None:
    """Say why longitude/latitude pairs look swapped, or return None when they look right.

    Parameters
    ----------
    lon, lat
        Coordinates as read, in degrees.

    Returns
    -------
    str or None
        The reason, or None.

    Examples
    --------
    >>> import numpy as np
    >>> lonlat_swap_reason(np.array([22.83]), np.array([108.32])) is not None
    True
    >>> lonlat_swap_reason(np.array([108.32]), np.array([22.83])) is None
    True
    """
    if len(lon) == 0:
        return None
    if np.any(np.abs(lat) > 90) and np.all(np.abs(lon) <= 90):
        return "latitudes beyond ±90° while every longitude is within ±90°"
    inside = float(np.mean(~out_of_china(lon, lat)))
    inside_swapped = float(np.mean(~out_of_china(lat, lon)))
    if inside_swapped > 0.5 and inside < 0.5:
        return (f"{inside_swapped:.0%} of the points fall in China as (lat, lon) but "
                f"{inside:.0%} as (lon, lat)")
    return None


def _projected_swap_reason(gdf: gpd.GeoDataFrame) -> str | None:
    """Points outside the CRS's area of use that would be inside it swapped."""
    from pyproj import Transformer

    area = gdf.crs.area_of_use
    if area is None:
        return None
    xy = np.column_stack([gdf.geometry.x, gdf.geometry.y])
    to_lonlat = Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)

    def share_inside(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
        lon, lat = to_lonlat.transform(a, b)
        ok = ((lon >= area.west - 1) & (lon <= area.east + 1) & (lat >= area.south - 1)
              & (lat <= area.north + 1))
        return float(np.mean(ok))

    as_is, swapped = share_inside(xy[:, 0], xy[:, 1]), share_inside(xy[:, 1], xy[:, 0])
    if as_is < 0.5 < swapped:
        return (f"{swapped:.0%} of the points fall in the area of use of {gdf.crs.name} with x "
                f"and y swapped, {as_is:.0%} as given")
    return None


def _to_points(gdf: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    geom = gdf.geometry
    empty = np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())
    if len(empty):
        rows = ", ".join(str(int(r)) for r in empty[:10])
        raise _problem(where, f"{len(empty)} feature(s) without geometry (rows {rows})")
    not_point = (geom.geom_type != "Point").to_numpy()
    if not_point.any():
        kinds = sorted(set(geom[not_point].geom_type))
        warnings.warn(f"{where}: {int(not_point.sum())} {'/'.join(kinds)} feature(s) reduced to "
                      "a point inside each (representative point)", UserWarning, stacklevel=3)
        gdf = gdf.set_geometry(geom.where(~not_point, geom.representative_point()))
    return gdf


def read_layer(
    source: str | Path | gpd.GeoDataFrame, options: LayerOptions | None = None
) -> gpd.GeoDataFrame:
    """Read one layer as points with a CRS, coordinates checked and converted to WGS 84 datum.

    Parameters
    ----------
    source
        A file (``.gpkg``, ``.geojson``, ``.shp``, ``.csv``/``.tsv``, ``.parquet`` or anything
        GDAL reads) or a GeoDataFrame.
    options
        How to read it; see :class:`LayerOptions`.

    Returns
    -------
    geopandas.GeoDataFrame
        Point geometries in the layer's CRS (EPSG:4326 after a GCJ-02/BD-09 conversion), with
        every attribute column.

    Raises
    ------
    InstanceError
        Unreadable file, no CRS, likely swapped coordinates, missing geometries.
    """
    opts = options or LayerOptions()
    where = str(source) if not hasattr(source, "geometry") else "layer"
    gdf = _read_any(source, opts)
    gdf = _to_points(gdf, where)
    if gdf.crs is None:
        if opts.crs is None:
            msg = ("has no coordinate reference system; say what it is with crs= (--layer-crs), "
                   "e.g. 'EPSG:4326' for WGS 84 longitude/latitude (add coordinates='gcj02' or "
                   "'bd09' for Amap or Baidu coordinates)")
            raise _problem(where, msg)
        gdf = gdf.set_crs(opts.crs)
    if opts.swap_xy:
        from shapely import points

        gdf = gdf.set_geometry(points(gdf.geometry.y.to_numpy(), gdf.geometry.x.to_numpy()),
                               crs=gdf.crs)
    x, y = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
    if opts.check_swap:
        reason = lonlat_swap_reason(x, y) if gdf.crs.is_geographic else \
            _projected_swap_reason(gdf)
        if reason is not None:
            msg = (f"coordinates look swapped: {reason}; if so pass swap_xy=True (--swap-xy), "
                   "or check_swap=False (--no-swap-check) to keep them")
            raise _problem(where, msg)
    if opts.coordinates.lower().replace("-", "") not in ("wgs84", "epsg4326"):
        if not gdf.crs.is_geographic:
            msg = (f"coordinates={opts.coordinates!r} needs longitude/latitude, but the layer "
                   f"CRS {gdf.crs.name} is projected")
            raise _problem(where, msg)
        from shapely import points

        try:
            lon, lat = to_wgs84(x, y, opts.coordinates)
        except ValueError as exc:
            raise _problem(where, str(exc)) from exc
        gdf = gdf.set_geometry(points(lon, lat), crs="EPSG:4326")
    return gdf


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
            raise _problem(kind, f"some points cannot be projected to {self.crs}")
        return gdf

    def column(self, kind: str, gdf: gpd.GeoDataFrame, key: str, opts: LayerOptions,
               required: bool) -> str | None:
        cols = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        name = _find_column(cols, key, opts.columns)
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
        from pyproj import CRS

        return bool(CRS.from_user_input(self.crs).is_geographic)


def _site_costs(b: _Builder, gdf: gpd.GeoDataFrame, opts: LayerOptions,
                records: list[dict[str, Any]]) -> None:
    """Per-category cost columns (``cost.<id>`` mapped, or named ``cost_<id>``) beat ``cost``."""
    cols = [str(c) for c in gdf.columns]
    per_cat = {}
    for c in b.categories:
        cid = str(c["id"])
        col = opts.columns.get(f"cost.{cid}") or _find_column(cols, f"cost_{cid}", {})
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
        gdf = _read_any(frames[kind], opts[kind])
        col = _find_column([str(c) for c in gdf.columns], "categories", opts[kind].columns)
        if col is None or col not in gdf.columns:
            continue
        for value in gdf[col]:
            seen.extend(t for t in _category_tokens(value) if t not in seen)
    if not seen:
        msg = ("no categories given and none found in the sites or existing layers; pass "
               "categories= or a template (--template, --categories)")
        raise InstanceError([Problem("categories", msg)])
    return [{"id": c} for c in seen]
