"""Planar random instances of any size (uniform or clustered demand), drawn in one pass."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sitecircle.synthetic._common import (
    _HEX_COVER_AREA,
    FORMAT,
    WALK_DETOUR,
    WALK_SPEED_M_PER_MIN,
    _base_cost,
    _categories,
    _community_records,
    _existing_records,
    _fold_into,
    _site_records,
    _straight_travel,
)


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


def unit_cost_single_category(doc: dict[str, Any]) -> dict[str, Any]:
    """A one-category instance made plain, in place: every site offers the category at cost 1,
    no open costs or category limits, no existing facilities (the classic LSCP/MCLP setting).

    Examples
    --------
    >>> doc = unit_cost_single_category(random_instance(
    ...     1, n_communities=4, n_sites=3, n_categories=1))
    >>> {tuple(sorted(s)) for s in doc["sites"]} == {("cost", "id", "x", "y")}, doc["existing"]
    (True, [])
    """
    cat = doc["categories"][0]["id"]
    for site in doc["sites"]:
        for key in ("categories", "open_cost", "max_categories"):
            site.pop(key, None)
        site["cost"] = {cat: 1}
    doc["existing"] = []
    return doc

