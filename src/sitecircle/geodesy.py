"""Geodesy shared by every stage but the verifier: the Earth radius, unit vectors, great circles.

The independent verifier keeps its own formulas (Vincenty) on purpose.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8


def unit_vectors(lon_lat_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return 3-D unit vectors of ``(lon, lat)`` points in degrees, shape ``(n, 3)``."""
    lon = np.radians(lon_lat_deg[:, 0])
    lat = np.radians(lon_lat_deg[:, 1])
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def haversine_m(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distance in metres between rows of ``(lon, lat)`` arrays ``a`` and ``b``."""
    lon1, lat1 = np.radians(a[:, 0]), np.radians(a[:, 1])
    lon2, lat2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    out: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out

