"""Planar MCLP sets (Swain, Lorena & Pereira's SJC, Cordeau-Furini-Ljubić BDS) and known values."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.datasets._common import (
    PathLike,
    _check_count,
    _check_demand,
    _read_csv,
    _read_text,
    _straight_mclp,
)


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
