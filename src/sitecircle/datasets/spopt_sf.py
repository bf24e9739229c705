"""The spopt San Francisco example (205 census tracts × 16 stores, network distances)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sitecircle.datasets._common import (
    FORMAT_ID,
    GEOGRAPHIC_CRS,
    SPOPT_SF_DISTANCES,
    SPOPT_SF_STORES,
    SPOPT_SF_TRACTS,
    PathLike,
    _check_count,
    _check_demand,
    _check_radius,
    _communities,
    _read_csv,
    _sites,
    _times,
)


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
