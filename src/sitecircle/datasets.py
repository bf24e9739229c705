"""Readers for public facility-location benchmark files.

Every ``read_*`` function turns one benchmark file (or folder) into a plain ``dict`` in the
``sitecircle.instance/1`` format (see ``FORMAT.md``); nothing here validates against the core
model, so the dicts are meant to be passed to the normal instance loader afterwards.  Only numpy,
scipy and the standard library are used, and all distance work is vectorised.

Supported data sets
-------------------
* OR-Library weighted set covering (Beasley): :func:`read_orlib_scp`,
  :func:`read_orlib_scp_arrays`.
* Swain's 55-node MCLP set: :func:`read_swain`.
* Lorena & Pereira's São José dos Campos sets (``SJC324`` ... ``SJC818``): :func:`read_sjc`.
* Máximo, Nascimento & Carvalho's TSPLIB-like MCLP files (Bronx, Kings, NewYork, SanFrancisco,
  SJC32): :func:`read_maximo`, with the lower-level :func:`read_maximo_arrays` and
  :func:`maximo_pairs`.
* The spopt San Francisco example (205 census tracts x 16 stores, network distances):
  :func:`read_spopt_sf`.
* Cordeau, Furini & Ljubić's BDS files: :func:`read_bds`.
* Known optimal / best-known values in ``mclp/results.csv``: :func:`mclp_known_values`.

Conventions
-----------
Planar instances use ``crs = "EPSG:3857"`` with ``travel = {"mode": "straight",
"speed_m_per_min": 1, "detour": 1}``, so minutes equal planar distance in the file's units and
the category's ``threshold_min`` is the covering radius.  Instances whose published distances
cannot be reproduced by a built-in travel mode (Máximo's spherical formula, spopt's network
distances, set covering incidences) use ``matrix`` mode and list only the pairs that cover.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = [
    "MAXIMO_EARTH_RADIUS_M",
    "maximo_pairs",
    "mclp_known_values",
    "read_bds",
    "read_maximo",
    "read_maximo_arrays",
    "read_orlib_scp",
    "read_orlib_scp_arrays",
    "read_sjc",
    "read_spopt_sf",
    "read_swain",
]

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


# --------------------------------------------------------------------------------------------
# OR-Library set covering
# --------------------------------------------------------------------------------------------


def read_orlib_scp_arrays(
    path: PathLike,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], int, int]:
    """Read an OR-Library set-covering file into arrays.

    The format (whitespace-separated integers, line breaks irrelevant) is ``m n``, the ``n``
    column costs, then for every row ``i`` the number ``k_i`` of columns covering it followed by
    their 1-based indices.

    Parameters
    ----------
    path : str or Path
        ``scp*.txt`` or gzip-compressed ``scp*.txt.gz``.

    Returns
    -------
    costs : ndarray of int64, shape (n_cols,)
        Column costs.
    rows : ndarray of int64, shape (nnz,)
        0-based row index of every non-zero, grouped by row in file order.
    cols : ndarray of int64, shape (nnz,)
        0-based column index of every non-zero.
    n_rows : int
        Number of rows ``m`` (elements to cover).
    n_cols : int
        Number of columns ``n`` (sets).

    Raises
    ------
    ValueError
        If the file is truncated, has trailing data, or column indices are out of range.
    """
    text = _read_text(path)
    try:
        tok = np.array(text.split(), dtype=np.int64)
    except ValueError as exc:
        msg = f"{path}: non-integer token in OR-Library SCP file"
        raise ValueError(msg) from exc
    if tok.size < 2:
        msg = f"{path}: empty OR-Library SCP file"
        raise ValueError(msg)
    m, n = int(tok[0]), int(tok[1])
    if m < 0 or n < 0 or tok.size < 2 + n:
        msg = f"{path}: bad header or truncated cost vector (m={m}, n={n})"
        raise ValueError(msg)
    costs = tok[2 : 2 + n].copy()
    rest = tok[2 + n :]
    # The row lengths are interleaved with the data, so their positions are sequential: walk the
    # m row headers (a loop over rows, not over tokens), then gather the indices vectorised.
    counts = np.empty(m, dtype=np.int64)
    starts = np.empty(m, dtype=np.int64)
    pos = 0
    size = int(rest.size)
    for i in range(m):
        if pos >= size:
            msg = f"{path}: truncated at row {i + 1} of {m}"
            raise ValueError(msg)
        k = int(rest[pos])
        if k < 0:
            msg = f"{path}: negative column count in row {i + 1}"
            raise ValueError(msg)
        counts[i] = k
        starts[i] = pos + 1
        pos += k + 1
    if pos != size:
        what = "truncated" if pos > size else f"{size - pos} trailing tokens"
        msg = f"{path}: {what} (expected {pos} tokens after the costs, found {size})"
        raise ValueError(msg)
    nnz = int(counts.sum())
    rows = np.repeat(np.arange(m, dtype=np.int64), counts)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    cols = rest[offsets + np.arange(nnz, dtype=np.int64)] - 1
    if nnz and (cols.min() < 0 or cols.max() >= n):
        msg = f"{path}: column index out of range 1..{n}"
        raise ValueError(msg)
    return costs, rows, cols, m, n


def read_orlib_scp(path: PathLike) -> dict[str, Any]:
    """Read an OR-Library set-covering file as a ``min_cost`` instance.

    Row ``i`` (1-based) becomes community ``r{i}`` (population 1, x = y = 0), column ``j``
    becomes site ``c{j}`` with ``cost`` = the column cost.  The single category ``"cover"`` has
    ``threshold_min`` 0 and travel is ``matrix`` mode with one ``[r{i}, c{j}, 0.0]`` triple per
    non-zero, so a row is covered exactly by the columns that contain it.  The objective is
    ``{"type": "min_cost"}`` (every row covered), i.e. the weighted set-covering problem.

    Parameters
    ----------
    path : str or Path
        ``scp*.txt`` or ``scp*.txt.gz``.

    Returns
    -------
    dict
        A ``sitecircle.instance/1`` dict named after the file (``scp41``).
    """
    costs, rows, cols, m, n = read_orlib_scp_arrays(path)
    row_ids = _ids("r", m)
    col_ids = _ids("c", n)
    zeros = np.zeros(m)
    name = Path(path).name.removesuffix(".gz").removesuffix(".txt")
    return {
        "format": FORMAT_ID,
        "name": name,
        "crs": PLANAR_CRS,
        "categories": [{"id": "cover", "threshold_min": 0}],
        "communities": _communities(row_ids, zeros, zeros, np.ones(m, dtype=np.int64)),
        "sites": _sites(col_ids, np.zeros(n), np.zeros(n), costs, "cover"),
        "existing": [],
        "travel": {
            "mode": "matrix",
            "times": _times(row_ids, col_ids, rows, cols, np.zeros(rows.size)),
        },
        "objective": {"type": "min_cost"},
    }


# --------------------------------------------------------------------------------------------
# planar MCLP sets: Swain, SJC, BDS
# --------------------------------------------------------------------------------------------


def _swain_arrays(path: PathLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Parse ``swain.txt``: ``n`` then ``id x y demand`` lines.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    xy : ndarray, shape (n, 2)
        Coordinates.
    demand : ndarray, shape (n,)
        Demand.
    """
    tok = _read_text(path).split()
    n = int(float(tok[0]))
    vals = np.array(tok[1:], dtype=np.float64)
    if vals.size != 4 * n:
        msg = f"{path}: expected {n} lines of 'id x y demand', found {vals.size} numbers"
        raise ValueError(msg)
    table = vals.reshape(n, 4)
    return table[:, 1:3].copy(), table[:, 3].copy()


def read_swain(path: PathLike, radius: float, p: int) -> dict[str, Any]:
    """Read Swain's 55-node MCLP data set.

    File format: first line ``55``, then ``id x y demand``.  Every node is both a community
    ``d{k}`` (population = demand) and a candidate site ``s{k}`` (cost 1), ``k`` = 1-based line
    number.  Distances are planar Euclidean: ``crs`` is ``EPSG:3857`` and travel is
    ``{"mode": "straight", "speed_m_per_min": 1, "detour": 1}`` so minutes equal distance, and
    the only category ``"service"`` has ``threshold_min = radius`` (covered iff d <= radius).

    Parameters
    ----------
    path : str or Path
        ``swain55.txt``.
    radius : float
        Covering distance (literature: 10, 15, 20, 25 ...).
    p : int
        Number of facilities to open (``objective.max_new``).

    Returns
    -------
    dict
        A ``max_coverage`` instance.
    """
    xy, demand = _swain_arrays(path)
    _check_demand(demand, path)
    return _straight_mclp(
        f"{Path(path).stem}-p{p}-r{radius:g}",
        xy[:, 0],
        xy[:, 1],
        demand,
        radius,
        {"type": "max_coverage", "max_new": _check_count(p, "p")},
    )


def read_sjc(path: PathLike, radius: float, p: int) -> dict[str, Any]:
    """Read a Lorena & Pereira São José dos Campos file (``SJC324`` ... ``SJC818``).

    File format: a header line ``n 9999 p S`` (``p`` and ``S`` are literal placeholders, the run
    parameters are not stored), then ``x y demand`` with planar coordinates in metres.  As in
    :func:`read_swain`, every node is community ``d{k}`` and site ``s{k}``, distances are planar
    Euclidean (``straight`` mode, speed 1, detour 1) and ``threshold_min = radius``.

    Parameters
    ----------
    path : str or Path
        ``SJC*.txt``.
    radius : float
        Covering distance in metres (literature: 800 and 1200).
    p : int
        Number of facilities to open.

    Returns
    -------
    dict
        A ``max_coverage`` instance.
    """
    lines = _read_text(path).splitlines()
    header = lines[0].split()
    n = int(header[0])
    vals = np.array(" ".join(lines[1:]).split(), dtype=np.float64)
    if vals.size != 3 * n:
        msg = f"{path}: expected {n} lines of 'x y demand', found {vals.size} numbers"
        raise ValueError(msg)
    table = vals.reshape(n, 3)
    _check_demand(table[:, 2], path)
    return _straight_mclp(
        f"{Path(path).stem}-p{p}-r{radius:g}",
        table[:, 0],
        table[:, 1],
        table[:, 2],
        radius,
        {"type": "max_coverage", "max_new": _check_count(p, "p")},
    )


def read_bds(path: PathLike, radius: float, budget: float) -> dict[str, Any]:
    """Read a Cordeau-Furini-Ljubić BDS file (budgeted MCLP, planar).

    File format: a header ``n_sites n_customers`` followed by ``F idx x y cost`` lines (candidate
    sites) and ``C idx x y demand`` lines (customers).  Sites become ``s{k}`` and customers
    ``d{k}``, ``k`` = 1-based position among the F (resp. C) lines (``k - 1`` is the file's own
    index in the distributed files).  Distances are planar Euclidean (``straight`` mode, speed 1,
    detour 1, ``threshold_min = radius``); the objective is ``max_coverage`` with
    ``budget = budget`` (with the unit costs of these copies, the number of facilities).

    Parameters
    ----------
    path : str or Path
        ``BDS*.txt``.
    radius : float
        Covering distance (e.g. 5.5 or 6.25; the square is 30 x 30).
    budget : float
        Total opening-cost budget.

    Returns
    -------
    dict
        A ``max_coverage`` instance.

    Raises
    ------
    ValueError
        If the record counts do not match the header or a line is malformed.
    """
    tok = _read_text(path).split()
    if len(tok) < 2 or (len(tok) - 2) % 5:
        msg = f"{path}: expected a 2-number header and 5 fields per line"
        raise ValueError(msg)
    n_f, n_c = int(tok[0]), int(tok[1])
    table = np.array(tok[2:], dtype=object).reshape(-1, 5)
    tags = table[:, 0].astype(str)
    values = table[:, 2:].astype(np.float64)
    is_f = tags == "F"
    is_c = tags == "C"
    if not np.all(is_f | is_c):
        msg = f"{path}: line tags must be 'F' or 'C'"
        raise ValueError(msg)
    if int(is_f.sum()) != n_f or int(is_c.sum()) != n_c:
        msg = (
            f"{path}: header announces {n_f} sites and {n_c} customers, "
            f"found {int(is_f.sum())} F and {int(is_c.sum())} C lines"
        )
        raise ValueError(msg)
    fac = values[is_f]
    cus = values[is_c]
    _check_demand(cus[:, 2], path)
    if np.any(~np.isfinite(fac[:, 2]) | (fac[:, 2] < 0)):
        msg = f"{path}: site costs must be finite and >= 0"
        raise ValueError(msg)
    if isinstance(budget, bool) or not math.isfinite(float(budget)) or float(budget) < 0:
        msg = f"budget must be a finite number >= 0, got {budget!r}"
        raise ValueError(msg)
    b: int | float = int(budget) if isinstance(budget, int | np.integer) else float(budget)
    return _straight_mclp(
        f"{Path(path).stem}-B{budget:g}-r{radius:g}",
        cus[:, 0],
        cus[:, 1],
        cus[:, 2],
        radius,
        {"type": "max_coverage", "budget": b},
        site_x=fac[:, 0],
        site_y=fac[:, 1],
        site_cost=fac[:, 2],
    )


# --------------------------------------------------------------------------------------------
# Máximo TSPLIB-like MCLP files
# --------------------------------------------------------------------------------------------


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
        tree = cKDTree(unit)
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
        tree = cKDTree(c)
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
# spopt San Francisco example
# --------------------------------------------------------------------------------------------


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


def read_spopt_sf(folder: PathLike, radius: float, p: int) -> dict[str, Any]:
    """Read the spopt San Francisco example (205 census tracts x 16 candidate stores).

    ``SF_network_distance_candidateStore_16_censusTract_205_new.csv`` is a long-format table
    ``distance,name,DestinationName,demand`` (network distance in metres, store name, tract
    name, tract demand).  Communities are the tracts, with the tract name (e.g.
    ``060750479.01``) as id and ``population`` = the ``demand`` column of that file; it equals
    ``POP2000`` of ``SF_demand_205_centroid_uniform_weight.csv`` for every tract (total
    955,113).  Sites are the stores (``Store_1`` ... ``Store_16``, cost 1).  Coordinates come
    from the tract-centroid and store files (``crs = "EPSG:4326"``, ``x`` = longitude, ``y`` =
    latitude) and are informative only: travel is ``matrix`` mode listing the pairs whose
    network distance is ``<= radius`` (minutes = metres, ``threshold_min = radius``).

    Parameters
    ----------
    folder : str or Path
        Folder holding the three spopt CSV files.
    radius : float
        Covering distance in metres (results.csv uses 5000).
    p : int
        Number of stores to open.

    Returns
    -------
    dict
        A ``max_coverage`` instance in ``matrix`` mode, communities in the order of the tract
        file, sites in the order of the store file.

    Raises
    ------
    ValueError
        If the files disagree (unknown tract or store, inconsistent demand, duplicate pair).
    """
    r = _check_radius(radius)
    base = Path(folder)
    long_rows = _read_csv(base / SPOPT_SF_DISTANCES)
    tract_rows = _read_csv(base / SPOPT_SF_TRACTS)
    store_rows = _read_csv(base / SPOPT_SF_STORES)

    tract_ids = np.array([row["NAME"] for row in tract_rows])
    store_ids = np.array([row["NAME"] for row in store_rows])
    if np.unique(tract_ids).size != tract_ids.size or np.unique(store_ids).size != store_ids.size:
        msg = f"{base}: duplicate tract or store names"
        raise ValueError(msg)

    dist = np.array([row["distance"] for row in long_rows], dtype=np.float64)
    dem = np.array([row["demand"] for row in long_rows], dtype=np.float64)
    dest = np.array([row["DestinationName"] for row in long_rows])
    store = np.array([row["name"] for row in long_rows])

    t_order = np.argsort(tract_ids)
    s_order = np.argsort(store_ids)
    ti = np.searchsorted(tract_ids, dest, sorter=t_order)
    si = np.searchsorted(store_ids, store, sorter=s_order)
    ti = t_order[np.minimum(ti, tract_ids.size - 1)]
    si = s_order[np.minimum(si, store_ids.size - 1)]
    if np.any(tract_ids[ti] != dest) or np.any(store_ids[si] != store):
        msg = f"{base}: distance table names a tract or store missing from the coordinate files"
        raise ValueError(msg)
    if np.unique(ti * store_ids.size + si).size != ti.size:
        msg = f"{base}: duplicate (store, tract) pair in the distance table"
        raise ValueError(msg)
    if np.any(~np.isfinite(dist) | (dist < 0)):
        msg = f"{base}: negative or non-finite network distance"
        raise ValueError(msg)

    demand = np.full(tract_ids.size, np.nan)
    demand[ti] = dem
    if np.any(demand[ti] != dem):
        msg = f"{base}: a tract has different demand values in the distance table"
        raise ValueError(msg)
    if np.any(np.isnan(demand)):
        missing = tract_ids[np.isnan(demand)][0]
        msg = f"{base}: tract {missing} has no row in the distance table"
        raise ValueError(msg)
    _check_demand(demand, base / SPOPT_SF_DISTANCES)

    keep = dist <= r
    ki, kj, kd = ti[keep], si[keep], dist[keep]
    order = np.lexsort((kj, ki))
    comm_ids = tract_ids.tolist()
    site_ids = store_ids.tolist()
    tx = np.array([row["long"] for row in tract_rows], dtype=np.float64)
    ty = np.array([row["lat"] for row in tract_rows], dtype=np.float64)
    sx = np.array([row["long"] for row in store_rows], dtype=np.float64)
    sy = np.array([row["lat"] for row in store_rows], dtype=np.float64)
    return {
        "format": FORMAT_ID,
        "name": f"SF205x16-p{p}-r{radius:g}",
        "crs": GEOGRAPHIC_CRS,
        "categories": [{"id": "service", "threshold_min": r}],
        "communities": _communities(comm_ids, tx, ty, demand),
        "sites": _sites(site_ids, sx, sy, None, "service"),
        "existing": [],
        "travel": {
            "mode": "matrix",
            "times": _times(comm_ids, site_ids, ki[order], kj[order], kd[order]),
        },
        "objective": {"type": "max_coverage", "max_new": _check_count(p, "p")},
    }


# --------------------------------------------------------------------------------------------
# known values
# --------------------------------------------------------------------------------------------


def _int_or_float(text: str) -> int | float:
    """Parse ``"600"`` as ``600`` and ``"5.5"`` as ``5.5``.

    Parameters
    ----------
    text : str
        A number.

    Returns
    -------
    int or float
        The number.
    """
    return int(text) if re.fullmatch(r"[+-]?\d+", text.strip()) else float(text)


def mclp_known_values(results_csv: PathLike) -> list[dict[str, Any]]:
    """Parse ``mclp/results.csv`` (known optimal / best-known MCLP values).

    Parameters
    ----------
    results_csv : str or Path
        The CSV file, columns ``instance,p_or_budget,radius,total_demand,covered_demand,status,
        solver_time_s,source``.

    Returns
    -------
    list of dict
        One dict per row with keys ``instance`` (str, e.g. ``"maximo/Bronx"``),
        ``p_or_budget`` (int), ``radius`` (int when written as an integer, else float),
        ``total_demand`` (int), ``covered_demand`` (int), ``status`` (str), ``optimal`` (bool:
        ``status`` starts with ``"optimal"``), ``solver_time_s`` (float or None when empty) and
        ``source`` (str).
    """
    out: list[dict[str, Any]] = []
    for row in _read_csv(Path(results_csv)):
        time_text = (row.get("solver_time_s") or "").strip()
        status = row["status"].strip()
        out.append(
            {
                "instance": row["instance"].strip(),
                "p_or_budget": int(row["p_or_budget"]),
                "radius": _int_or_float(row["radius"]),
                "total_demand": int(row["total_demand"]),
                "covered_demand": int(row["covered_demand"]),
                "status": status,
                "optimal": status.startswith("optimal"),
                "solver_time_s": float(time_text) if time_text else None,
                "source": row["source"].strip(),
            }
        )
    return out
