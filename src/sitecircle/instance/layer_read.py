"""Reading one GIS layer (GeoPackage, GeoJSON, Shapefile, CSV, GeoParquet) into points.

Reprojection, swapped-coordinate detection, encodings and Amap/Baidu coordinate conversion;
:mod:`~sitecircle.instance.from_layers` turns the layers into an instance.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sitecircle.chinacoords import out_of_china, to_wgs84
from sitecircle.errors import InstanceError, Problem
from sitecircle.instance.cells import parse_number_text
from sitecircle.instance.columns import find_column

if TYPE_CHECKING:
    import geopandas as gpd


CSV_SUFFIXES = (".csv", ".tsv", ".txt")


PARQUET_SUFFIXES = (".parquet", ".geoparquet")


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
        Per-category costs use ``cost.<category id or label>``. Unmapped fields use the names
        of :data:`sitecircle.instance.columns.COLUMN_NAMES`.
    ignore
        Columns to leave out on purpose: not reported as unused, and not an error when they
        look like a cost, a category list or a capacity.
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
    ignore: tuple[str, ...] = ()
    crs: str | None = None
    coordinates: str = "wgs84"
    swap_xy: bool = False
    check_swap: bool = True


def layer_problem(where: str, message: str, record: str | None = None) -> InstanceError:
    return InstanceError([Problem(where, message, record)])


def _read_csv(path: Path, opts: LayerOptions) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    where = str(path)
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(path, sep=sep, encoding=opts.encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = (f"not {opts.encoding or 'UTF-8'} (byte {exc.start}); pass the encoding, e.g. "
               "encoding='GBK' (--encoding GBK)")
        raise layer_problem(where, msg) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise layer_problem(where, f"cannot read as CSV: {exc}") from exc
    cols = [str(c) for c in frame.columns]
    xcol, ycol = find_column(cols, "x", opts.columns), find_column(cols, "y", opts.columns)
    if xcol not in frame.columns or ycol not in frame.columns:
        msg = (f"no coordinate columns found (columns: {', '.join(cols)}); name them lon/lat or "
               "x/y, or map them with columns={'x': ..., 'y': ...} (--map KIND.x=COLUMN)")
        raise layer_problem(where, msg)
    xs = np.array([parse_number_text(v) for v in frame[xcol]], dtype=np.float64)
    ys = np.array([parse_number_text(v) for v in frame[ycol]], dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(xs) & np.isfinite(ys)))
    if len(bad):
        rows = ", ".join(str(int(r) + 2) for r in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise layer_problem(where, f"non-numeric or empty {xcol}/{ycol} on {len(bad)} line(s): "
                            f"{rows}{more}")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xs, ys), crs=None)


def _read_vector(path: Path, opts: LayerOptions) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415
    import pyogrio  # noqa: PLC0415
    from pyogrio.errors import DataLayerError, DataSourceError  # noqa: PLC0415

    where = str(path)
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except DataSourceError as exc:
        raise layer_problem(where, f"cannot open as a GIS file: {exc}") from exc
    if opts.layer is None and len(layers) > 1:
        msg = f"has {len(layers)} layers ({', '.join(layers)}); say which with layer=/--layer"
        raise layer_problem(where, msg)
    if opts.layer is not None and opts.layer not in layers:
        raise layer_problem(where, f"no layer {opts.layer!r} (layers: {', '.join(layers)})")
    try:
        gdf = gpd.read_file(path, layer=opts.layer, encoding=opts.encoding, engine="pyogrio")
    except (DataSourceError, DataLayerError, LookupError) as exc:
        raise layer_problem(where, f"cannot read: {exc}") from exc
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


def read_any(source: str | Path | gpd.GeoDataFrame, opts: LayerOptions) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415

    if isinstance(source, gpd.GeoDataFrame):
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise layer_problem(str(path), "file not found")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, opts)
    if suffix in PARQUET_SUFFIXES:
        try:
            return gpd.read_parquet(path)
        except ImportError as exc:
            raise layer_problem(str(path), "reading GeoParquet needs pyarrow: pip install "
                           "pyarrow") from exc
        except ValueError as exc:
            raise layer_problem(str(path), f"cannot read as GeoParquet: {exc}") from exc
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
    from pyproj import Transformer  # noqa: PLC0415

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
        raise layer_problem(where, f"{len(empty)} feature(s) without geometry (rows {rows})")
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
    gdf = read_any(source, opts)
    gdf = _to_points(gdf, where)
    if gdf.crs is None:
        if opts.crs is None:
            msg = ("has no coordinate reference system; say what it is with crs= (--layer-crs), "
                   "e.g. 'EPSG:4326' for WGS 84 longitude/latitude (add coordinates='gcj02' or "
                   "'bd09' for Amap or Baidu coordinates)")
            raise layer_problem(where, msg)
        gdf = gdf.set_crs(opts.crs)
    if opts.swap_xy:
        from shapely import points  # noqa: PLC0415

        gdf = gdf.set_geometry(points(gdf.geometry.y.to_numpy(), gdf.geometry.x.to_numpy()),
                               crs=gdf.crs)
    x, y = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
    if opts.check_swap:
        reason = lonlat_swap_reason(x, y) if gdf.crs.is_geographic else \
            _projected_swap_reason(gdf)
        if reason is not None:
            msg = (f"coordinates look swapped: {reason}; if so pass swap_xy=True (--swap-xy), "
                   "or check_swap=False (--no-swap-check) to keep them")
            raise layer_problem(where, msg)
    if opts.coordinates.lower().replace("-", "") not in ("wgs84", "epsg4326"):
        if not gdf.crs.is_geographic:
            msg = (f"coordinates={opts.coordinates!r} needs longitude/latitude, but the layer "
                   f"CRS {gdf.crs.name} is projected")
            raise layer_problem(where, msg)
        from shapely import points  # noqa: PLC0415

        try:
            lon, lat = to_wgs84(x, y, opts.coordinates)
        except ValueError as exc:
            raise layer_problem(where, str(exc)) from exc
        gdf = gdf.set_geometry(points(lon, lat), crs="EPSG:4326")
    return gdf
