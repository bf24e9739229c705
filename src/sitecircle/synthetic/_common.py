"""Constants, the category catalogue and record builders shared by the generators."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import haversine_m

FORMAT = "sitecircle.instance/1"
WALK_SPEED_M_PER_MIN = 66.7
WALK_DETOUR = 1.25

CATALOGUE: tuple[Mapping[str, Any], ...] = (
    {"id": "convenience_store", "label": "便利店", "threshold_min": 10, "cost": 8.0},
    {"id": "breakfast", "label": "早餐店", "threshold_min": 10, "cost": 5.0},
    {"id": "vegetable_market", "label": "菜市场", "threshold_min": 15, "cost": 40.0},
    {"id": "repair_point", "label": "维修点", "threshold_min": 15, "cost": 3.0},
    {
        "id": "elderly_canteen",
        "label": "长者食堂",
        "threshold_min": 15,
        "demand": "elderly",
        "weight": 2.0,
        "cost": 30.0,
    },
    {"id": "childcare", "label": "托育", "threshold_min": 15, "demand": "children", "cost": 35.0},
    {"id": "parcel_point", "label": "快递点", "threshold_min": 10, "cost": 2.0},
    {"id": "laundry", "label": "洗衣店", "threshold_min": 15, "required": False, "cost": 6.0},
)
"""The 15-minute convenient-living-circle catalogue.

One mapping per category: the instance fields (``id``, ``label``, ``threshold_min`` and, where they
differ from the defaults of FORMAT.md, ``demand``, ``weight``, ``required``) plus ``cost``, a
typical cost of opening the category in 10,000 CNY, which is not an instance field.
"""

_INSTANCE_KEYS = ("id", "label", "threshold_min", "demand", "weight", "required")
_HEX_COVER_AREA = 1.5 * math.sqrt(3.0)
"""Area covered per disc of radius 1 when discs tile the plane as hexagons (3√3/2)."""


def _categories(n_categories: int) -> list[dict[str, Any]]:
    """Return the instance records of the first ``n_categories`` categories."""
    records = []
    for k in range(n_categories):
        entry = CATALOGUE[k % len(CATALOGUE)]
        record = {key: entry[key] for key in _INSTANCE_KEYS if key in entry}
        if k >= len(CATALOGUE):
            record["id"] = f"{entry['id']}_{k // len(CATALOGUE) + 1}"
        records.append(record)
    return records


def _base_cost(k: int) -> float:
    """Return the catalogue's typical cost of category ``k`` (repeating past the catalogue)."""
    return float(CATALOGUE[k % len(CATALOGUE)]["cost"])


def _straight_travel() -> dict[str, Any]:
    """Return the walking travel mode of FORMAT.md with its default speed and detour."""
    return {"mode": "straight", "speed_m_per_min": WALK_SPEED_M_PER_MIN, "detour": WALK_DETOUR}


def _fold_into(points: NDArray[np.float64], extent_m: float) -> NDArray[np.float64]:
    """Reflect points that fell outside ``[0, extent_m]²`` back into it."""
    period = np.mod(points, 2.0 * extent_m)
    return np.where(period > extent_m, 2.0 * extent_m - period, period)


def _community_records(
    xy: NDArray[np.float64],
    population: NDArray[np.int64],
    elderly: NDArray[np.int64],
    children: NDArray[np.int64],
    *,
    digits: int,
    names: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Build community records, ids ``C001`` ... padded to the count."""
    width = max(3, len(str(len(xy))))
    x, y = np.round(xy, digits).T.tolist()
    rows = zip(x, y, population.tolist(), elderly.tolist(), children.tolist(), strict=True)
    records = []
    for i, (x_i, y_i, population_i, elderly_i, children_i) in enumerate(rows):
        record: dict[str, Any] = {"id": f"C{i + 1:0{width}d}"}
        if names is not None:
            record["name"] = names[i]
        record |= {
            "x": x_i,
            "y": y_i,
            "population": population_i,
            "elderly": elderly_i,
            "children": children_i,
        }
        records.append(record)
    return records


def _site_records(
    xy: NDArray[np.float64],
    hosts: NDArray[np.bool_],
    cost: NDArray[np.float64],
    open_cost: NDArray[np.float64],
    max_categories: NDArray[np.int64],
    category_ids: list[str],
    *,
    digits: int,
) -> list[dict[str, Any]]:
    """Build site records; ``categories`` is left out when a site may host every category."""
    width = max(3, len(str(len(xy))))
    x, y = np.round(xy, digits).T.tolist() if len(xy) else ([], [])
    n_categories = len(category_ids)
    records = []
    for i in range(len(xy)):
        record: dict[str, Any] = {"id": f"S{i + 1:0{width}d}", "x": x[i], "y": y[i]}
        columns = np.flatnonzero(hosts[i])
        if columns.size < n_categories:
            record["categories"] = [category_ids[k] for k in columns]
        record["cost"] = {category_ids[k]: float(cost[i, k]) for k in columns}
        if open_cost[i] > 0:
            record["open_cost"] = float(open_cost[i])
        if max_categories[i] > 0:
            record["max_categories"] = int(max_categories[i])
        records.append(record)
    return records


def _existing_records(
    xy: NDArray[np.float64], hosts: NDArray[np.bool_], category_ids: list[str], *, digits: int
) -> list[dict[str, Any]]:
    """Build existing-facility records, ids ``E001`` ..."""
    width = max(3, len(str(len(xy))))
    x, y = np.round(xy, digits).T.tolist() if len(xy) else ([], [])
    return [
        {
            "id": f"E{i + 1:0{width}d}",
            "x": x[i],
            "y": y[i],
            "categories": [category_ids[k] for k in np.flatnonzero(hosts[i])],
        }
        for i in range(len(xy))
    ]


def _river_y(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the northing (m) of the demo river's centre line at easting ``x`` (m)."""
    return 1900.0 + 380.0 * np.sin(2.0 * np.pi * x / 4300.0 + 0.6)


def _near_points(
    rng: np.random.Generator, anchors: NDArray[np.float64], sd_m: float
) -> NDArray[np.float64]:
    """Draw one point per anchor, normally scattered around it with ``sd_m`` metres."""
    return anchors + rng.normal(0.0, sd_m, size=anchors.shape)


def _great_circle_m(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the haversine distances (m) between lon/lat rows of ``a`` and of ``b``."""
    return haversine_m(a[:, None, :], b[None, :, :])


def _greedy_cover_cost(
    reach: NDArray[np.bool_],
    cost: NDArray[np.float64],
    open_cost: NDArray[np.float64],
    max_categories: NDArray[np.int64],
) -> float:
    """Return the cost of a greedy cover of every community that some site can reach.

    Parameters
    ----------
    reach
        Boolean array (category, community, site): the site may host the category and covers the
        community for it, and no existing facility does.
    cost
        Cost of opening each (site, category).
    open_cost
        Fixed cost of each site, paid with its first category.
    max_categories
        Cap on the categories of each site, 0 for none.

    Returns
    -------
    float
        Total cost of the (site, category) openings picked one at a time by the most newly
        covered (category, community) pairs per unit of added cost, until no opening that the
        caps allow covers anything new. It is an upper bound on the least cost of that coverage.
    """
    n_sites = cost.shape[0]
    cap = np.where(max_categories > 0, max_categories, np.iinfo(np.int64).max)
    remaining = np.any(reach, axis=2)
    opened = np.zeros((reach.shape[0], n_sites), dtype=bool)
    n_open = np.zeros(n_sites, dtype=np.int64)
    total = 0.0
    while True:
        gain = (reach & remaining[:, :, None]).sum(axis=1)
        price = cost.T + np.where(n_open > 0, 0.0, open_cost)
        allowed = (gain > 0) & ~opened & (n_open < cap)
        if not allowed.any():
            return total
        k, site = np.unravel_index(np.argmax(np.where(allowed, gain / price, -1.0)), gain.shape)
        total += float(price[k, site])
        opened[k, site] = True
        n_open[site] += 1
        remaining[k] &= ~reach[k, :, site]
