"""Seeded synthetic instances in the ``sitecircle.instance/1`` format.

The generators return plain ``dict`` objects, ready for ``json.dump`` or for the instance reader,
and depend on nothing but NumPy. Every random draw comes from one
``numpy.random.default_rng(seed)``, so the same seed gives the same instance with the same NumPy
version (NumPy does not promise identical streams across its own versions).

- :func:`random_instance` builds planar instances of any size (uniform or clustered demand) for
  tests and benchmarks; the arrays are drawn in one vectorised pass.
- :func:`demo_district` builds a realistic small residential district of Nanning, Guangxi, with the
  eight categories of :data:`CATALOGUE` and a binding budget.

Examples
--------
>>> instance = random_instance(7, n_communities=5, n_sites=3, n_categories=2)
>>> instance["format"], len(instance["communities"]), len(instance["sites"])
('sitecircle.instance/1', 5, 3)
>>> [category["id"] for category in instance["categories"]]
['convenience_store', 'breakfast']
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["CATALOGUE", "demo_district", "random_instance"]

FORMAT = "sitecircle.instance/1"
EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius of FORMAT.md, used for great-circle distances in ``EPSG:4326``."""
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


def random_instance(
    seed: int,
    *,
    n_communities: int,
    n_sites: int,
    n_existing: int = 0,
    n_categories: int = 1,
    layout: Literal["uniform", "clustered"] = "uniform",
    extent_m: float = 3000.0,
    objective: Mapping[str, Any] | None = None,
    crs: str = "EPSG:3857",
) -> dict[str, Any]:
    """Generate a seeded random instance with planar coordinates in metres.

    Communities, sites and existing facilities lie in the square ``[0, extent_m]²``. Categories are
    taken in order from :data:`CATALOGUE` (thresholds, demand fields and weights included); past
    the eighth they repeat with a suffix (``convenience_store_2``, ...). Travel is ``straight`` at
    66.7 m/min with detour 1.25, so a 10-minute threshold is a radius of about 534 m.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same instance.
    n_communities
        Number of communities (at least 1). Each has an integer ``population`` (log-normal,
        median about 1,200) and integer ``elderly`` (12-22 %) and ``children`` (7-13 %) fields.
    n_sites
        Number of candidate sites (may be 0). About 30 % host only a random subset of the
        categories, about 30 % have an ``open_cost`` and, with more than one category, about 30 %
        a ``max_categories`` of 1 to 3 (left out where it cannot bind). Costs are per category,
        around the catalogue's typical cost.
    n_existing
        Number of existing facilities, each with one category (about 20 % with a second one).
    n_categories
        Number of categories (at least 1).
    layout
        ``"uniform"``: every point uniform in the square. ``"clustered"``: communities around one
        neighbourhood centre per 2.25 km² (at least two), sites partly around the centres and
        partly uniform, existing facilities close to the centres.
    extent_m
        Side of the square in metres.
    objective
        The instance's ``objective``, copied as given. ``None`` gives ``max_coverage`` with a
        ``budget`` of half the cost of covering the square once per category: ``extent_m²``
        divided by the hexagonal-cover area of the category's radius, times the median cost of
        the category, summed over categories.
    crs
        Value of the ``crs`` field; it should name a projected CRS in metres.

    Returns
    -------
    dict[str, Any]
        A ``sitecircle.instance/1`` instance as plain Python objects.

    Raises
    ------
    ValueError
        If a count is out of range, ``layout`` is unknown or ``extent_m`` is not positive.

    Examples
    --------
    >>> a = random_instance(3, n_communities=4, n_sites=2, layout="clustered")
    >>> a == random_instance(3, n_communities=4, n_sites=2, layout="clustered")
    True
    >>> a["objective"]["type"], a["travel"]["mode"]
    ('max_coverage', 'straight')
    """
    problems = []
    if n_communities < 1:
        problems.append(f"n_communities must be at least 1, got {n_communities}")
    if n_sites < 0:
        problems.append(f"n_sites must be non-negative, got {n_sites}")
    if n_existing < 0:
        problems.append(f"n_existing must be non-negative, got {n_existing}")
    if n_categories < 1:
        problems.append(f"n_categories must be at least 1, got {n_categories}")
    if layout not in ("uniform", "clustered"):
        problems.append(f"layout must be 'uniform' or 'clustered', got {layout!r}")
    if not extent_m > 0:
        problems.append(f"extent_m must be positive, got {extent_m}")
    if problems:
        msg = "; ".join(problems)
        raise ValueError(msg)

    rng = np.random.default_rng(seed)
    categories = _categories(n_categories)
    base_cost = np.array([_base_cost(k) for k in range(n_categories)])

    if layout == "clustered":
        n_centres = max(2, math.ceil(extent_m**2 / 1500.0**2))
        centres = rng.uniform(0.15 * extent_m, 0.85 * extent_m, size=(n_centres, 2))
        sigma = rng.uniform(200.0, 450.0, size=n_centres)
        share = rng.gamma(2.0, 1.0, size=n_centres)
        share /= share.sum()

        def around(n: int, spread: float) -> NDArray[np.float64]:
            which = rng.choice(n_centres, size=n, p=share)
            points = centres[which] + rng.normal(size=(n, 2)) * (spread * sigma[which])[:, None]
            return _fold_into(points, extent_m)

        community_xy = around(n_communities, 1.0)
        n_clustered_sites = int(round(0.7 * n_sites))
        site_xy = np.concatenate(
            [
                around(n_clustered_sites, 1.5),
                rng.uniform(0.0, extent_m, size=(n_sites - n_clustered_sites, 2)),
            ]
        )
        existing_xy = around(n_existing, 0.8)
    else:
        community_xy = rng.uniform(0.0, extent_m, size=(n_communities, 2))
        site_xy = rng.uniform(0.0, extent_m, size=(n_sites, 2))
        existing_xy = rng.uniform(0.0, extent_m, size=(n_existing, 2))

    population = np.clip(np.rint(rng.lognormal(np.log(1200.0), 0.7, n_communities)), 20, 30000)
    population = population.astype(np.int64)
    elderly = rng.binomial(population, rng.uniform(0.12, 0.22, n_communities))
    child_share = rng.uniform(0.07, 0.13, n_communities)
    children = rng.binomial(population - elderly, np.minimum(child_share / 0.78, 1.0))

    hosts = np.ones((n_sites, n_categories), dtype=bool)
    subset = rng.random(n_sites) < 0.3
    hosts[subset] = rng.random((int(subset.sum()), n_categories)) < 0.5
    empty = ~hosts.any(axis=1)
    hosts[np.flatnonzero(empty), rng.integers(0, n_categories, int(empty.sum()))] = True
    cost = np.round(base_cost * rng.lognormal(0.0, 0.3, size=(n_sites, n_categories)), 1)
    cost = np.maximum(cost, 0.1)
    open_cost = np.where(rng.random(n_sites) < 0.3, np.round(rng.uniform(1.0, 10.0, n_sites), 1), 0)
    max_categories = np.where(
        rng.random(n_sites) < (0.3 if n_categories > 1 else 0.0),
        rng.integers(1, min(3, n_categories) + 1, n_sites),
        0,
    )
    max_categories[max_categories >= hosts.sum(axis=1)] = 0  # a cap that cannot bind is left out

    existing_hosts = np.zeros((n_existing, n_categories), dtype=bool)
    existing_hosts[np.arange(n_existing), rng.integers(0, n_categories, n_existing)] = True
    second = rng.random(n_existing) < 0.2
    existing_hosts[np.flatnonzero(second), rng.integers(0, n_categories, int(second.sum()))] = True

    category_ids = [category["id"] for category in categories]
    communities = _community_records(community_xy, population, elderly, children, digits=1)
    sites = _site_records(site_xy, hosts, cost, open_cost, max_categories, category_ids, digits=1)
    existing = _existing_records(existing_xy, existing_hosts, category_ids, digits=1)

    if objective is None:
        budget = 0.0
        for k, category in enumerate(categories):
            radius_m = category["threshold_min"] * WALK_SPEED_M_PER_MIN / WALK_DETOUR
            needed = math.ceil(extent_m**2 / (_HEX_COVER_AREA * radius_m**2))
            n_hosting = int(hosts[:, k].sum())
            if n_hosting:
                budget += min(needed, n_hosting) * float(np.median(cost[hosts[:, k], k]))
        objective_out: dict[str, Any] = {"type": "max_coverage", "budget": round(budget / 2, 1)}
    else:
        objective_out = copy.deepcopy(dict(objective))

    return {
        "format": FORMAT,
        "name": f"random-{layout}-seed{seed}-{n_communities}x{n_sites}",
        "crs": crs,
        "categories": categories,
        "communities": communities,
        "sites": sites,
        "existing": existing,
        "travel": _straight_travel(),
        "objective": objective_out,
    }


# Nanning demo district: local planar frame in metres, origin at the south-west corner.
_DEMO_LON0, _DEMO_LAT0 = 108.30, 22.80
_DEMO_LON1, _DEMO_LAT1 = 108.36, 22.85
_DEMO_M_PER_DEG_LAT = EARTH_RADIUS_M * math.pi / 180.0
_DEMO_M_PER_DEG_LON = _DEMO_M_PER_DEG_LAT * math.cos(math.radians(0.5 * (_DEMO_LAT0 + _DEMO_LAT1)))
_DEMO_WIDTH_M = (_DEMO_LON1 - _DEMO_LON0) * _DEMO_M_PER_DEG_LON
_DEMO_HEIGHT_M = (_DEMO_LAT1 - _DEMO_LAT0) * _DEMO_M_PER_DEG_LAT

# Neighbourhood centres: x, y (m), share of communities, spread (m), street angle (deg), is old.
_DEMO_CENTRES = np.array(
    [
        [2300.0, 3050.0, 0.17, 420.0, 8.0, 1.0],
        [3500.0, 3000.0, 0.17, 420.0, -12.0, 1.0],
        [1250.0, 2800.0, 0.13, 360.0, 20.0, 1.0],
        [2700.0, 4500.0, 0.12, 380.0, 0.0, 0.0],
        [5050.0, 3900.0, 0.12, 420.0, 30.0, 0.0],
        [2400.0, 950.0, 0.12, 420.0, -5.0, 0.0],
        [4600.0, 1050.0, 0.09, 380.0, 15.0, 0.0],
        [800.0, 4700.0, 0.08, 330.0, -20.0, 0.0],
    ]
)
_DEMO_N_COMMUNITIES = 300
_DEMO_SCATTERED_SHARE = 0.06
_DEMO_BLOCK_M = 200.0
_DEMO_RIVER_HALF_WIDTH_M = 260.0

# fmt: off
_NAME_PREFIXES = (
    "滨江", "朝阳", "民族", "新阳", "北湖", "凤岭", "南湖", "江南", "金湖", "青秀",
    "荔园", "翠竹", "桂花", "榕树", "明秀", "安吉", "友爱", "星光", "竹溪", "望园",
    "建政", "古城", "津头", "葛村", "东葛", "中华", "华东", "茅桥", "仙葫", "柳沙",
    "埌东", "长湖", "琅东", "七星", "园湖", "桃源", "双拥", "人民", "衡阳", "秀厢",
)
_NAME_SUFFIXES = ("小区", "花园", "苑", "新村", "家园", "公寓", "里", "社区", "嘉园", "雅居")
# fmt: on

# Candidate site kinds: count, hostable categories, max_categories range, open-cost range.
_DEMO_SITE_KINDS: tuple[
    tuple[str, int, tuple[str, ...], tuple[int, int], tuple[float, float]], ...
] = (
    (
        "vacant_shop",
        76,
        ("convenience_store", "breakfast", "repair_point", "parcel_point", "laundry"),
        (1, 2),
        (0.0, 3.0),
    ),
    (
        "community_room",
        30,
        ("elderly_canteen", "childcare", "parcel_point", "repair_point", "laundry"),
        (2, 3),
        (5.0, 15.0),
    ),
    (
        "market_plot",
        14,
        ("vegetable_market", "convenience_store", "breakfast"),
        (1, 2),
        (10.0, 20.0),
    ),
)

# Existing facilities per category (150 in all); a share of convenience stores also take parcels.
_DEMO_EXISTING = {
    "convenience_store": 38,
    "breakfast": 30,
    "vegetable_market": 8,
    "repair_point": 15,
    "elderly_canteen": 5,
    "childcare": 6,
    "parcel_point": 33,
    "laundry": 15,
}


def demo_district(seed: int = 2026) -> dict[str, Any]:
    """Generate a synthetic residential district of Nanning (南宁), Guangxi.

    The district spans longitude 108.30-108.36 and latitude 22.80-22.85 (``EPSG:4326``, about
    6.2 km × 5.6 km). A meandering river crosses it from west to east; 300 communities cluster on
    street grids around eight neighbourhood centres, three of them old centres on the north bank,
    plus a few scattered villages. Populations are 300-6,000 with 15-20 % elderly and 8-12 %
    children, and every community has a Chinese ``name``.

    There are 120 candidate sites of three kinds: 76 vacant shops along the streets (small
    retail and services), 30 community-centre rooms (elderly canteen, childcare, parcels, repair,
    laundry) and 14 market plots (vegetable market, store, breakfast). Costs are per category in
    10,000 CNY around the typical costs of :data:`CATALOGUE`; most rooms and plots and a quarter
    of the shops have an ``open_cost`` (fit-out), and most sites a ``max_categories`` of 1 to 3.
    The 150 existing facilities are concentrated in the old centres, so the gaps lie at the edges.
    Travel is ``straight`` at 66.7 m/min with detour 1.25.

    The objective is ``max_coverage`` with a budget of half the cost of a greedy cover (open
    costs and ``max_categories`` included) of every gap that a candidate site can reach, rounded
    to 10. For the default seed that is 840, about 48 % of the least cost of the best reachable
    coverage: the budget binds, yet buys most of the gain. A community has only a few candidate
    sites per category (about 1-7 on average), so the integer program is easy.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the default 2026 gives the shipped demo
        ``instances/demo/nanning-district.json``.

    Returns
    -------
    dict[str, Any]
        A ``sitecircle.instance/1`` instance as plain Python objects.

    Examples
    --------
    >>> district = demo_district()
    >>> len(district["communities"]), len(district["sites"]), len(district["existing"])
    (300, 120, 150)
    >>> district["objective"]["type"], district["crs"]
    ('max_coverage', 'EPSG:4326')
    """
    rng = np.random.default_rng(seed)
    categories = _categories(len(CATALOGUE))
    category_ids = [category["id"] for category in categories]
    column = {category_id: k for k, category_id in enumerate(category_ids)}
    n_categories = len(categories)

    # Communities: street-aligned clusters around the centres plus scattered villages.
    n_scattered = int(round(_DEMO_SCATTERED_SHARE * _DEMO_N_COMMUNITIES))
    shares = _DEMO_CENTRES[:, 2] / _DEMO_CENTRES[:, 2].sum()
    counts = rng.multinomial(_DEMO_N_COMMUNITIES - n_scattered, shares)
    which = np.repeat(np.arange(len(_DEMO_CENTRES)), counts)
    community_xy = np.concatenate(
        [
            _sample_on_land(partial(_street_points, rng, which, 1.0)),
            _sample_on_land(partial(_uniform_points, rng, n_scattered)),
        ]
    )
    which = np.concatenate([which, np.full(n_scattered, -1)])
    is_old = np.where(which >= 0, _DEMO_CENTRES[which, 5], 0.0) > 0
    population = np.where(
        is_old,
        rng.lognormal(np.log(2600.0), 0.5, which.size),
        rng.lognormal(np.log(1500.0), 0.6, which.size),
    )
    population = (np.clip(np.round(population, -1), 300, 6000)).astype(np.int64)
    elderly_share = np.where(
        is_old, rng.uniform(0.17, 0.20, which.size), rng.uniform(0.15, 0.18, which.size)
    )
    children_share = np.where(
        is_old, rng.uniform(0.08, 0.10, which.size), rng.uniform(0.095, 0.12, which.size)
    )
    elderly = np.rint(population * elderly_share).astype(np.int64)
    children = np.rint(population * children_share).astype(np.int64)
    names = [
        _NAME_PREFIXES[i // len(_NAME_SUFFIXES)] + _NAME_SUFFIXES[i % len(_NAME_SUFFIXES)]
        for i in rng.choice(len(_NAME_PREFIXES) * len(_NAME_SUFFIXES), which.size, replace=False)
    ]

    # Candidate sites, kind by kind: shops along the streets (more at the edges), rooms in the
    # communities, market plots near the centres.
    typical = np.array([float(category["cost"]) for category in CATALOGUE])
    site_xy_parts, host_parts, cost_parts, open_parts, max_parts = [], [], [], [], []
    edge_shares = np.where(_DEMO_CENTRES[:, 5] > 0, 0.6, 1.4) * _DEMO_CENTRES[:, 2]
    edge_shares /= edge_shares.sum()
    for kind, n_kind, allowed, (low_max, high_max), (low_open, high_open) in _DEMO_SITE_KINDS:
        if kind == "community_room":
            anchors = community_xy[rng.choice(len(community_xy), n_kind, replace=False)]
            xy = _sample_on_land(partial(_near_points, rng, anchors, 40.0))
        else:
            spread = 1.6 if kind == "vacant_shop" else 1.1
            centre_of = rng.choice(len(_DEMO_CENTRES), n_kind, p=edge_shares)
            xy = _sample_on_land(partial(_street_points, rng, centre_of, spread))
        allowed_columns = np.array([column[c] for c in allowed])
        chosen = rng.random((n_kind, len(allowed))) < 0.6
        chosen[np.arange(n_kind), rng.integers(0, len(allowed), n_kind)] = True
        hosts = np.zeros((n_kind, n_categories), dtype=bool)
        hosts[:, allowed_columns] = chosen
        cost = np.round(2 * typical * rng.lognormal(0.0, 0.2, (n_kind, n_categories))) / 2
        with_open = rng.random(n_kind) < (0.25 if kind == "vacant_shop" else 0.85)
        open_cost = np.where(with_open, np.round(rng.uniform(low_open, high_open, n_kind)), 0.0)
        site_xy_parts.append(xy)
        host_parts.append(hosts)
        cost_parts.append(np.maximum(cost, 0.5))
        open_parts.append(open_cost)
        max_parts.append(rng.integers(low_max, high_max + 1, n_kind))
    site_xy = np.concatenate(site_xy_parts)
    hosts = np.concatenate(host_parts)
    cost = np.concatenate(cost_parts)
    open_cost = np.concatenate(open_parts)
    max_categories = np.concatenate(max_parts)
    max_categories[max_categories >= hosts.sum(axis=1)] = 0  # a cap that cannot bind is left out

    # Existing facilities, mostly in the old centres.
    existing_columns = np.repeat([column[c] for c in _DEMO_EXISTING], list(_DEMO_EXISTING.values()))
    n_existing = existing_columns.size
    old_shares = np.where(_DEMO_CENTRES[:, 5] > 0, 4.0, 0.35) * _DEMO_CENTRES[:, 2]
    old_shares /= old_shares.sum()
    existing_centre = rng.choice(len(_DEMO_CENTRES), n_existing, p=old_shares)
    existing_xy = _sample_on_land(partial(_street_points, rng, existing_centre, 0.8))
    existing_hosts = np.zeros((n_existing, n_categories), dtype=bool)
    existing_hosts[np.arange(n_existing), existing_columns] = True
    stores = existing_columns == column["convenience_store"]
    existing_hosts[stores & (rng.random(n_existing) < 0.3), column["parcel_point"]] = True

    # Coordinates as written, so that the budget estimate sees the instance's own distances.
    community_ll, site_ll, existing_ll = (
        np.round(_to_lonlat(xy), 6) for xy in (community_xy, site_xy, existing_xy)
    )
    communities = _community_records(
        community_ll, population, elderly, children, digits=6, names=names
    )
    sites = _site_records(site_ll, hosts, cost, open_cost, max_categories, category_ids, digits=6)
    existing = _existing_records(existing_ll, existing_hosts, category_ids, digits=6)

    reach = np.zeros((n_categories, len(community_ll), len(site_ll)), dtype=bool)
    site_minutes = _great_circle_m(community_ll, site_ll) * WALK_DETOUR / WALK_SPEED_M_PER_MIN
    existing_minutes = _great_circle_m(community_ll, existing_ll) * WALK_DETOUR
    existing_minutes /= WALK_SPEED_M_PER_MIN
    for k, category in enumerate(categories):
        limit = category["threshold_min"]
        covered = (existing_minutes[:, existing_hosts[:, k]] <= limit).any(axis=1)
        reach[k] = (site_minutes <= limit) & hosts[:, k] & ~covered[:, None]
    budget = 0.5 * _greedy_cover_cost(reach, cost, open_cost, max_categories)
    return {
        "format": FORMAT,
        "name": "nanning-district-demo",
        "crs": "EPSG:4326",
        "categories": categories,
        "communities": communities,
        "sites": sites,
        "existing": existing,
        "travel": _straight_travel(),
        "objective": {"type": "max_coverage", "budget": float(round(budget, -1))},
    }


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


def _street_points(
    rng: np.random.Generator, centre: NDArray[np.int64], spread: float
) -> NDArray[np.float64]:
    """Draw one point per entry of ``centre`` on the street grid around that centre."""
    x0, y0, _, sigma, angle_deg, _ = _DEMO_CENTRES[centre].T
    along = rng.normal(0.0, 1.0, centre.size) * sigma * spread
    across = rng.normal(0.0, 1.0, centre.size) * sigma * spread
    across = _DEMO_BLOCK_M * np.round(across / _DEMO_BLOCK_M) + rng.normal(0.0, 25.0, centre.size)
    swap = rng.random(centre.size) < 0.5  # streets in both directions of the grid
    u = np.where(swap, across, along)
    v = np.where(swap, along, across)
    angle = np.radians(angle_deg)
    return np.column_stack(
        [x0 + u * np.cos(angle) - v * np.sin(angle), y0 + u * np.sin(angle) + v * np.cos(angle)]
    )


def _uniform_points(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Draw ``n`` points uniformly in the demo district."""
    return rng.uniform((0.0, 0.0), (_DEMO_WIDTH_M, _DEMO_HEIGHT_M), size=(n, 2))


def _near_points(
    rng: np.random.Generator, anchors: NDArray[np.float64], sd_m: float
) -> NDArray[np.float64]:
    """Draw one point per anchor, normally scattered around it with ``sd_m`` metres."""
    return anchors + rng.normal(0.0, sd_m, size=anchors.shape)


def _sample_on_land(draw: Callable[[], NDArray[np.float64]]) -> NDArray[np.float64]:
    """Draw points until all of them lie inside the district and off the river.

    ``draw()`` returns one candidate point per request; a rejected point is replaced by the same
    request's point in a fresh draw, so per-request attributes (the centre) keep their order.
    """
    points = draw()
    for _ in range(100):
        margin = 60.0
        bad = (
            (points[:, 0] < margin)
            | (points[:, 0] > _DEMO_WIDTH_M - margin)
            | (points[:, 1] < margin)
            | (points[:, 1] > _DEMO_HEIGHT_M - margin)
            | (np.abs(points[:, 1] - _river_y(points[:, 0])) < _DEMO_RIVER_HALF_WIDTH_M)
        )
        if not bad.any():
            return points
        points[bad] = draw()[bad]
    msg = "could not place the demo points off the river"  # pragma: no cover
    raise RuntimeError(msg)  # pragma: no cover


def _to_lonlat(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Convert local demo metres to longitude and latitude (equirectangular, exact enough)."""
    return np.column_stack(
        [_DEMO_LON0 + xy[:, 0] / _DEMO_M_PER_DEG_LON, _DEMO_LAT0 + xy[:, 1] / _DEMO_M_PER_DEG_LAT]
    )


def _great_circle_m(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the haversine distances (m) between lon/lat rows of ``a`` and of ``b``."""
    lon_a, lat_a = np.radians(a).T[:, :, None]
    lon_b, lat_b = np.radians(b).T[:, None, :]
    h = (
        np.sin((lat_b - lat_a) / 2) ** 2
        + np.cos(lat_a) * np.cos(lat_b) * np.sin((lon_b - lon_a) / 2) ** 2
    )
    distance: NDArray[np.float64] = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return distance


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
