"""Coordinates for maps: the instance's points as longitude/latitude in the system a map expects.

The instance stays in its own CRS (WGS 84 or a projected one). Chinese web maps draw their tiles
in shifted systems: Amap (高德) and Tencent in GCJ-02, Baidu in BD-09. Points drawn on those maps
must be shifted the same way, or they land 100–500 m off (:mod:`sitecircle.chinacoords`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sitecircle.chinacoords import wgs84_to_bd09, wgs84_to_gcj02
from sitecircle.instance.data import Instance

__all__ = ["COORD_SYSTEMS", "lonlat"]

#: Coordinate systems the outputs can write: name → what it is for.
COORD_SYSTEMS = {
    "wgs84": "WGS 84 (GPS, OpenStreetMap, QGIS/ArcGIS basemaps)",
    "gcj02": "GCJ-02 (Amap 高德, Tencent 腾讯)",
    "bd09": "BD-09 (Baidu 百度)",
}


def lonlat(instance: Instance, xy: NDArray[np.float64], system: str = "wgs84"
           ) -> NDArray[np.float64]:
    """Longitude/latitude of instance points in ``system``.

    Parameters
    ----------
    instance
        The instance (its CRS says what ``xy`` is).
    xy
        ``(p, 2)`` points in the instance CRS.
    system
        ``wgs84``, ``gcj02`` or ``bd09`` (see :data:`COORD_SYSTEMS`).

    Returns
    -------
    ndarray
        ``(p, 2)`` longitude, latitude.

    Raises
    ------
    ValueError
        Unknown ``system``.
    """
    if system not in COORD_SYSTEMS:
        msg = f"unknown coordinate system {system!r}: use one of {', '.join(COORD_SYSTEMS)}"
        raise ValueError(msg)
    out = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if not instance.geographic and len(out):
        from pyproj import Transformer  # noqa: PLC0415

        t = Transformer.from_crs(instance.crs, "EPSG:4326", always_xy=True)
        out = np.column_stack(t.transform(out[:, 0], out[:, 1]))
    if system == "gcj02" and len(out):
        out = np.column_stack(wgs84_to_gcj02(out[:, 0], out[:, 1]))
    elif system == "bd09" and len(out):
        out = np.column_stack(wgs84_to_bd09(out[:, 0], out[:, 1]))
    return out
