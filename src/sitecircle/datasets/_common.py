"""Shared helpers of the benchmark readers: constants, checks and instance pieces."""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

FORMAT_ID = "sitecircle.instance/1"
PLANAR_CRS = "EPSG:3857"
GEOGRAPHIC_CRS = "EPSG:4326"

#: Earth radius (metres) hard-coded in Máximo's reference code (``Instance.java``).
MAXIMO_EARTH_RADIUS_M = 6_378_100.0

#: File names of the spopt San Francisco example.
SPOPT_SF_DISTANCES = "SF_network_distance_candidateStore_16_censusTract_205_new.csv"
SPOPT_SF_TRACTS = "SF_demand_205_centroid_uniform_weight.csv"
SPOPT_SF_STORES = "SF_store_site_16_longlat.csv"

PathLike = str | Path


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _read_text(path: PathLike) -> str:
    """Read a text file, transparently decompressing ``*.gz``.

    Parameters
    ----------
    path : str or Path
        File to read.

    Returns
    -------
    str
        The whole file content.
    """
    p = Path(path)
    if p.suffix == ".gz":
        with gzip.open(p, "rt", encoding="ascii") as fh:
            return fh.read()
    return p.read_text(encoding="utf-8")


def _check_radius(radius: float) -> float | int:
    """Validate a covering radius and return it as a JSON-friendly number.

    Parameters
    ----------
    radius : float
        Covering radius (distance units of the data set); must be finite and >= 0.

    Returns
    -------
    int or float
        ``radius`` as a plain Python number (``int`` when an integer was given).

    Raises
    ------
    ValueError
        If the radius is negative or not finite.
    """
    if isinstance(radius, bool) or not math.isfinite(float(radius)) or float(radius) < 0:
        msg = f"radius must be a finite number >= 0, got {radius!r}"
        raise ValueError(msg)
    if isinstance(radius, int | np.integer):
        return int(radius)
    return float(radius)


def _check_count(value: int, what: str) -> int:
    """Validate a positive integer limit (``p``) and return it as ``int``.

    Parameters
    ----------
    value : int
        The value to check.
    what : str
        Name used in the error message.

    Returns
    -------
    int
        ``value`` as a Python ``int``.

    Raises
    ------
    ValueError
        If ``value`` is not an integer >= 0.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        msg = f"{what} must be an integer >= 0, got {value!r}"
        raise ValueError(msg)
    return int(value)


def _numbers(values: NDArray[Any]) -> list[int] | list[float]:
    """Convert an array to Python numbers, using ``int`` when every value is integral.

    Parameters
    ----------
    values : ndarray
        One-dimensional numeric array.

    Returns
    -------
    list of int or list of float
        The values as plain Python numbers.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return [int(v) for v in arr.tolist()]
    farr = arr.astype(np.float64)
    if (
        farr.size
        and np.all(np.isfinite(farr))
        and np.all(farr == np.round(farr))
        and np.all(np.abs(farr) < 2.0**53)
    ):
        return [int(v) for v in farr.astype(np.int64).tolist()]
    return [float(v) for v in farr.tolist()]


def _check_demand(demand: NDArray[Any], source: PathLike) -> None:
    """Raise ``ValueError`` if a demand vector has negative or non-finite entries.

    Parameters
    ----------
    demand : ndarray
        Demand per node.
    source : str or Path
        File name used in the error message.
    """
    bad = ~np.isfinite(demand) | (demand < 0)
    if np.any(bad):
        first = int(np.flatnonzero(bad)[0])
        msg = f"{source}: demand of node {first + 1} is {demand[first]!r} (must be >= 0)"
        raise ValueError(msg)


def _ids(prefix: str, n: int) -> list[str]:
    """Return ``[prefix1, ..., prefixN]``.

    Parameters
    ----------
    prefix : str
        Id prefix.
    n : int
        Number of ids.

    Returns
    -------
    list of str
        The ids, 1-based.
    """
    return [f"{prefix}{k}" for k in range(1, n + 1)]


def _communities(
    ids: Sequence[str], x: NDArray[Any], y: NDArray[Any], population: NDArray[Any]
) -> list[dict[str, Any]]:
    """Build community records.

    Parameters
    ----------
    ids : sequence of str
        Community ids.
    x, y : ndarray
        Coordinates.
    population : ndarray
        Demand per community.

    Returns
    -------
    list of dict
        ``{"id", "x", "y", "population"}`` records.
    """
    xs = np.asarray(x, dtype=np.float64).tolist()
    ys = np.asarray(y, dtype=np.float64).tolist()
    pops = _numbers(population)
    return [
        {"id": i, "x": a, "y": b, "population": w}
        for i, a, b, w in zip(ids, xs, ys, pops, strict=True)
    ]


def _sites(
    ids: Sequence[str],
    x: NDArray[Any],
    y: NDArray[Any],
    cost: NDArray[Any] | None,
    category: str,
) -> list[dict[str, Any]]:
    """Build candidate-site records hosting a single category.

    Parameters
    ----------
    ids : sequence of str
        Site ids.
    x, y : ndarray
        Coordinates.
    cost : ndarray or None
        Opening cost per site; ``None`` means 1 everywhere.
    category : str
        The category every site may host.

    Returns
    -------
    list of dict
        ``{"id", "x", "y", "categories", "cost"}`` records.
    """
    xs = np.asarray(x, dtype=np.float64).tolist()
    ys = np.asarray(y, dtype=np.float64).tolist()
    costs: list[int] | list[float] = [1] * len(ids) if cost is None else _numbers(np.asarray(cost))
    return [
        {"id": i, "x": a, "y": b, "categories": [category], "cost": c}
        for i, a, b, c in zip(ids, xs, ys, costs, strict=True)
    ]


def _times(
    from_ids: Sequence[str],
    to_ids: Sequence[str],
    i: NDArray[np.integer[Any]],
    j: NDArray[np.integer[Any]],
    minutes: NDArray[Any],
) -> list[list[str | float]]:
    """Build the ``[FROM, TO, MINUTES]`` triples of a matrix travel mode.

    Parameters
    ----------
    from_ids, to_ids : sequence of str
        Community ids and site ids.
    i, j : ndarray of int
        0-based community and site index of every pair.
    minutes : ndarray
        Travel time of every pair.

    Returns
    -------
    list of list
        ``[str, str, float]`` triples, one per pair.
    """
    fa = np.asarray(from_ids, dtype=object)[np.asarray(i)].tolist()
    ta = np.asarray(to_ids, dtype=object)[np.asarray(j)].tolist()
    mins = np.asarray(minutes, dtype=np.float64).tolist()
    return [[a, b, t] for a, b, t in zip(fa, ta, mins, strict=True)]


def _straight_mclp(
    name: str,
    x: NDArray[Any],
    y: NDArray[Any],
    demand: NDArray[Any],
    radius: float,
    objective: dict[str, Any],
    site_x: NDArray[Any] | None = None,
    site_y: NDArray[Any] | None = None,
    site_cost: NDArray[Any] | None = None,
) -> dict[str, Any]:
    """Build a planar Euclidean MCLP instance in ``straight`` travel mode.

    Parameters
    ----------
    name : str
        Instance name.
    x, y : ndarray
        Community coordinates.
    demand : ndarray
        Community demand.
    radius : float
        Covering radius, becomes ``threshold_min``.
    objective : dict
        The objective record.
    site_x, site_y : ndarray, optional
        Candidate-site coordinates; default: the communities themselves (I = J).
    site_cost : ndarray, optional
        Opening cost per site; default 1.

    Returns
    -------
    dict
        A ``sitecircle.instance/1`` dict.
    """
    r = _check_radius(radius)
    if site_x is None or site_y is None:
        site_x, site_y = x, y
    return {
        "format": FORMAT_ID,
        "name": name,
        "crs": PLANAR_CRS,
        "categories": [{"id": "service", "threshold_min": r}],
        "communities": _communities(_ids("d", len(x)), x, y, demand),
        "sites": _sites(_ids("s", len(site_x)), site_x, site_y, site_cost, "service"),
        "existing": [],
        "travel": {"mode": "straight", "speed_m_per_min": 1, "detour": 1},
        "objective": objective,
    }

def _read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV file with a header into a list of row dicts.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of dict
        One dict per row.
    """
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
