"""The verifier's own distances (Vincenty on a sphere), written apart from the geodesy leaf."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.data import Instance

EARTH_M = 6_371_008.8


def vincenty_m(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    dlon = lon2 - lon1
    num = np.hypot(np.cos(lat2) * np.sin(dlon),
                   np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon))
    den = np.sin(lat1) * np.sin(lat2) + np.cos(lat1) * np.cos(lat2) * np.cos(dlon)
    out: NDArray[np.float64] = EARTH_M * np.arctan2(num, den)
    return out


def sphere_points(instance: Instance, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    if not instance.geographic:
        return xy
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])

