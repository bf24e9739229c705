"""Máximo, Nascimento & Carvalho's TSPLIB-like MCLP files (Bronx, Kings, NewYork, SanFrancisco)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.datasets._common import (
    FORMAT_ID,
    GEOGRAPHIC_CRS,
    MAXIMO_EARTH_RADIUS_M,
    PLANAR_CRS,
    PathLike,
    _check_count,
    _check_demand,
    _check_radius,
    _communities,
    _ids,
    _read_text,
    _sites,
    _times,
)
from sitecircle.geodesy import kd_tree


def read_maximo_arrays(
    path: PathLike,
) -> tuple[NDArray[np.float64], NDArray[np.int64], bool]:
    """Parse a Máximo TSPLIB-like MCLP file.

    Parameters
    ----------
    path : str or Path
        ``Bronx.txt``, ``Kings.txt``, ``NewYork.txt``, ``SanFrancisco.txt`` or ``SJC32.txt``.

    Returns
    -------
    coords : ndarray, shape (n, 2)
        ``NODE_COORD_SECTION`` as written: (latitude, longitude) in degrees for geographic
        files, planar (x, y) otherwise.
    demand : ndarray of int64, shape (n,)
        ``DEMAND_SECTION`` (first token of each line, as the reference reader does).
    geographic : bool
        True when ``EDGE_WEIGHT_TYPE`` (or ``EDGE_WEIGHT_FORMAT``) is ``COORD``: distances follow
        the spherical law of cosines.  Any other value (``SJC32.txt`` says ``32``) means plain
        Euclidean distance, as in the reference code.

    Raises
    ------
    ValueError
        If a section is missing or has the wrong length.
    """
    lines = _read_text(path).splitlines()
    dim: int | None = None
    weight_type = ""
    coord_at = demand_at = None
    for k, line in enumerate(lines):
        key, _, value = line.partition(":")
        key = key.strip().upper()
        if key == "DIMENSION":
            dim = int(value.strip())
        elif key in ("EDGE_WEIGHT_TYPE", "EDGE_WEIGHT_FORMAT"):
            weight_type = value.strip().upper()
        elif key == "NODE_COORD_SECTION":
            coord_at = k
            break
    if dim is None or coord_at is None:
        msg = f"{path}: missing DIMENSION or NODE_COORD_SECTION"
        raise ValueError(msg)
    for k in range(coord_at + 1 + dim, len(lines)):
        if lines[k].strip().upper().startswith("DEMAND_SECTION"):
            demand_at = k
            break
    if demand_at is None:
        msg = f"{path}: missing DEMAND_SECTION after {dim} coordinate lines"
        raise ValueError(msg)
    coord_text = " ".join(lines[coord_at + 1 : demand_at]).split()
    if len(coord_text) != 2 * dim:
        msg = f"{path}: expected {dim} coordinate pairs, found {len(coord_text)} numbers"
        raise ValueError(msg)
    coords = np.array(coord_text, dtype=np.float64).reshape(dim, 2)
    demand_lines = lines[demand_at + 1 : demand_at + 1 + dim]
    firsts = [ln.split()[0] if ln.split() else "" for ln in demand_lines]
    if len(firsts) != dim or "" in firsts or firsts[-1].upper() == "EOF":
        msg = f"{path}: expected {dim} demand lines"
        raise ValueError(msg)
    demand = np.array(firsts, dtype=np.int64)
    _check_demand(demand, path)
    return coords, demand, weight_type == "COORD"


def maximo_pairs(
    coords: NDArray[np.float64], radius: float, geographic: bool = True
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """All ordered node pairs within ``radius`` under Máximo's distance convention.

    The reference code (``AILS-MCLP``, ``Data/Instance.java``) computes, for ``i != j``,

    * geographic files: ``(float) acos(cos φi cos φj cos Δλ + sin φi sin φj)`` times
      ``6378100`` in single precision (``Δλ`` = radians of the longitude difference in degrees);
    * other files: ``(float) sqrt(dx² + dy²)``;

    sets ``d(i, i) = 0`` and covers iff ``d <= radius``.  This function reproduces exactly that
    (float32 rounding included; a cosine argument above 1 gives NaN there, i.e. no cover, and
    does here too).  Candidate pairs come from a ``cKDTree`` on 3-D unit vectors (chord radius
    enlarged by a relative 1e-6) or on the planar points, so no dense n x n matrix is formed.

    Parameters
    ----------
    coords : ndarray, shape (n, 2)
        (latitude, longitude) in degrees if ``geographic``, else planar (x, y).
    radius : float
        Covering distance in metres (geographic) or coordinate units.
    geographic : bool, default True
        Distance convention, see :func:`read_maximo_arrays`.

    Returns
    -------
    i, j : ndarray of int64
        0-based community (demand node) and site index of every covering pair, both directions
        and the diagonal included, sorted by ``(i, j)``.
    dist : ndarray of float32
        Máximo's distance of every pair (0 on the diagonal), all ``<= radius``.
    """
    r = float(_check_radius(radius))
    c = np.asarray(coords, dtype=np.float64)
    n = c.shape[0]
    if geographic:
        lat = np.radians(c[:, 0])
        lon = np.radians(c[:, 1])
        unit = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
        angle = min(r / MAXIMO_EARTH_RADIUS_M * (1 + 1e-6) + 1e-12, math.pi)
        tree = kd_tree(unit)
        cand = tree.query_pairs(2.0 * math.sin(angle / 2.0) + 1e-12, output_type="ndarray")
        a = cand[:, 0].astype(np.int64)
        b = cand[:, 1].astype(np.int64)
        phi_a = np.radians(c[a, 0])
        phi_b = np.radians(c[b, 0])
        dlon = np.radians(c[b, 1] - c[a, 1])
        cos_arg = np.cos(phi_a) * np.cos(phi_b) * np.cos(dlon) + np.sin(phi_a) * np.sin(phi_b)
        with np.errstate(invalid="ignore"):
            ang32 = np.arccos(cos_arg).astype(np.float32)
        d = ang32 * np.float32(MAXIMO_EARTH_RADIUS_M)
    else:
        tree = kd_tree(c)
        cand = tree.query_pairs(r * (1 + 1e-6) + 1e-9, output_type="ndarray")
        a = cand[:, 0].astype(np.int64)
        b = cand[:, 1].astype(np.int64)
        d = np.sqrt(np.sum((c[a] - c[b]) ** 2, axis=1)).astype(np.float32)
    keep = d <= np.float32(r)  # NaN compares False, as in Java
    a, b, d = a[keep], b[keep], d[keep]
    diag = np.arange(n, dtype=np.int64)
    i = np.concatenate((a, b, diag))
    j = np.concatenate((b, a, diag))
    dist = np.concatenate((d, d, np.zeros(n, dtype=np.float32)))
    order = np.lexsort((j, i))
    return i[order], j[order], dist[order]


def read_maximo(path: PathLike, radius: float, p: int) -> dict[str, Any]:
    """Read a Máximo TSPLIB-like MCLP file (Bronx, Kings, NewYork, SanFrancisco, SJC32).

    Node ``k`` (1-based line number; 0-based index ``k - 1`` in the published
    ``optimal_solutions`` files) becomes community ``d{k}`` (population = demand) and candidate
    site ``s{k}`` (cost 1).  Máximo's distance (spherical law of cosines with Earth radius
    6,378,100 m, rounded to float32; see :func:`maximo_pairs`) differs from sitecircle's
    great-circle distance (radius 6,371,008.8 m) by about 0.1 %, which changes hundreds of
    covering pairs on these instances; to reproduce the published optima exactly the instance
    uses ``matrix`` travel mode listing only the pairs with distance ``<= radius`` (minutes =
    metres, ``threshold_min = radius``).  Geographic files get ``crs = "EPSG:4326"`` with
    ``x`` = longitude and ``y`` = latitude (informative only in matrix mode); ``SJC32.txt`` is
    planar Euclidean and gets ``EPSG:3857``.

    Parameters
    ----------
    path : str or Path
        A file of ``mclp/maximo/``.
    radius : float
        Covering distance in metres (published: NewYork 400, Bronx and SanFrancisco 600,
        Kings 800).
    p : int
        Number of facilities to open.

    Returns
    -------
    dict
        A ``max_coverage`` instance in ``matrix`` mode.
    """
    r = _check_radius(radius)
    coords, demand, geographic = read_maximo_arrays(path)
    i, j, dist = maximo_pairs(coords, r, geographic)
    n = demand.size
    if geographic:
        x, y, crs = coords[:, 1], coords[:, 0], GEOGRAPHIC_CRS
    else:
        x, y, crs = coords[:, 0], coords[:, 1], PLANAR_CRS
    comm_ids = _ids("d", n)
    site_ids = _ids("s", n)
    return {
        "format": FORMAT_ID,
        "name": f"{Path(path).stem}-p{p}-r{radius:g}",
        "crs": crs,
        "categories": [{"id": "service", "threshold_min": r}],
        "communities": _communities(comm_ids, x, y, demand),
        "sites": _sites(site_ids, x, y, None, "service"),
        "existing": [],
        "travel": {"mode": "matrix", "times": _times(comm_ids, site_ids, i, j, dist)},
        "objective": {"type": "max_coverage", "max_new": _check_count(p, "p")},
    }


# --------------------------------------------------------------------------------------------
