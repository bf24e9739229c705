"""Geodesy shared by every stage but the verifier: the Earth radius, unit vectors, great circles.

The independent verifier keeps its own formulas (Vincenty) on purpose.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8


def unit_vectors(lon_lat_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return 3-D unit vectors of ``(lon, lat)`` points in degrees, shape ``(n, 3)``."""
    lon = np.radians(lon_lat_deg[:, 0])
    lat = np.radians(lon_lat_deg[:, 1])
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def haversine_m(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distance in metres between ``(lon, lat)`` points in degrees (haversine).

    The last axis holds ``(lon, lat)``; the others broadcast, so rows ``(n, 2)`` against rows
    give ``(n,)`` and ``a[:, None, :]`` against ``b[None, :, :]`` the ``(n, m)`` matrix.
    """
    lon1, lat1 = np.radians(a[..., 0]), np.radians(a[..., 1])
    lon2, lat2 = np.radians(b[..., 0]), np.radians(b[..., 1])
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    out: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out



#: Metres per degree of latitude (and of longitude at the equator) on the sphere above.
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0


def chord_length(metres: float) -> float:
    """Straight-line (chord) distance on the unit sphere of a great-circle arc of ``metres``.

    KD-trees of :func:`unit_vectors` query by chord: a point is within ``metres`` along the
    surface exactly when it is within this chord. Arcs of half the circumference or more give 2.
    """
    angle = min(metres / EARTH_RADIUS_M, float(np.pi))
    return float(2.0 * np.sin(angle / 2.0))


def metres_per_degree_lon(lat_deg: float) -> float:
    """Metres per degree of longitude at latitude ``lat_deg`` (equirectangular scale)."""
    return METRES_PER_DEGREE * math.cos(math.radians(lat_deg))


def local_metres(
    lon_lat_deg: NDArray[np.float64], lat0_deg: float | None = None
) -> NDArray[np.float64]:
    """Equirectangular projection of ``(lon, lat)`` points in degrees to metres, shape ``(n, 2)``.

    ``x = R·λ·cos φ0``, ``y = R·φ``: exact enough over a city (the scale error at a distance
    ``d`` north or south of ``φ0`` is about ``d·tan φ0 / R``, under 0.2 % within 10 km at 40°).

    Parameters
    ----------
    lon_lat_deg
        Points, shape ``(n, 2)``.
    lat0_deg
        Latitude of true scale (default: the mean latitude of the points, NaNs ignored).
    """
    lonlat = np.asarray(lon_lat_deg, dtype=np.float64).reshape(-1, 2)
    lat0 = float(np.nanmean(lonlat[:, 1])) if lat0_deg is None else float(lat0_deg)
    out: NDArray[np.float64] = np.column_stack(
        [np.radians(lonlat[:, 0]) * np.cos(np.radians(lat0)), np.radians(lonlat[:, 1])]
    ) * EARTH_RADIUS_M
    return out


def kd_tree(points: NDArray[np.float64]) -> cKDTree:
    """A :class:`scipy.spatial.cKDTree` on ``points``, with ``scipy.spatial`` loaded on first use.

    ``scipy.spatial`` costs about 70 ms of every start-up (it loads ``scipy.special`` and
    ``scipy.linalg``), and small instances never need a tree
    (:data:`sitecircle.travel.straight.DENSE_PAIRS`).
    """
    from scipy.spatial import cKDTree  # noqa: PLC0415 - loaded on first use (start-up)

    return cKDTree(points)
