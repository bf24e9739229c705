"""The demo district: a realistic small residential district of Nanning, Guangxi."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import METRES_PER_DEGREE, metres_per_degree_lon
from sitecircle.synthetic._common import (
    CATALOGUE,
    FORMAT,
    WALK_DETOUR,
    WALK_SPEED_M_PER_MIN,
    _categories,
    _community_records,
    _existing_records,
    _great_circle_m,
    _greedy_cover_cost,
    _near_points,
    _river_y,
    _site_records,
    _straight_travel,
)

_DEMO_LON0, _DEMO_LAT0 = 108.30, 22.80
_DEMO_LON1, _DEMO_LAT1 = 108.36, 22.85
_DEMO_M_PER_DEG_LAT = METRES_PER_DEGREE
_DEMO_M_PER_DEG_LON = metres_per_degree_lon(0.5 * (_DEMO_LAT0 + _DEMO_LAT1))
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
#: The street (街道) of each centre above: every community belongs to the street of its nearest
#: centre (a label, FORMAT.md "Labels": it changes no demand and no optimum).
_DEMO_STREETS = ("朝阳街道", "新阳街道", "西乡塘街道", "北湖街道", "中华街道", "南湖街道",
                 "津头街道", "安吉街道")
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
    children, and every community has a Chinese ``name`` and a ``street`` (街道): eight streets,
    one per centre, each community in the street of its nearest centre.

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
    nearest = np.argmin(((community_xy[:, None, :] - _DEMO_CENTRES[None, :, :2]) ** 2).sum(axis=2),
                        axis=1)
    for record, centre in zip(communities, nearest, strict=True):
        record["street"] = _DEMO_STREETS[int(centre)]
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
