"""Reachable community–facility pairs for any travel mode: one entry point per question."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import kd_tree
from sitecircle.instance.data import Instance
from sitecircle.travel.network import network_nearest, network_pairs
from sitecircle.travel.straight import (
    TravelPairs,
    distance_m,
    matrix_pairs,
    straight_pair_chunks,
    straight_pairs,
    tree_points,
)


def travel_pairs(instance: Instance) -> TravelPairs:
    """Reachable community–facility pairs for the instance's travel mode.

    Parameters
    ----------
    instance
        A validated instance.

    Returns
    -------
    TravelPairs
        Every pair whose time is within the largest threshold the facility may serve.
    """
    if instance.travel.mode == "straight":
        return straight_pairs(instance)
    if instance.travel.mode == "matrix":
        return matrix_pairs(instance)

    return network_pairs(instance)


def travel_pair_chunks(instance: Instance) -> Iterator[TravelPairs]:
    """Reachable community–facility pairs in chunks (``straight`` mode) or in one piece.

    Parameters
    ----------
    instance
        A validated instance.

    Yields
    ------
    TravelPairs
        Pairs as :func:`travel_pairs` gives them, split so that no chunk's temporaries grow with
        the instance (``straight`` mode; the other modes yield one piece).
    """
    if instance.travel.mode == "straight":
        yield from straight_pair_chunks(instance)
    else:
        yield travel_pairs(instance)


def nearest_minutes(
    instance: Instance, communities: NDArray[np.int64], facilities: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Nearest of ``facilities`` to each of ``communities`` with no time limit.

    Parameters
    ----------
    instance
        A validated instance.
    communities
        Community indices to look up.
    facilities
        Candidate facility indices (sites then existing).

    Returns
    -------
    tuple of ndarray
        Facility index (``-1`` when none is reachable) and minutes (``inf`` when unreachable).
    """
    n = len(communities)
    best_f = np.full(n, -1, dtype=np.int64)
    best_t = np.full(n, np.inf)
    if n == 0 or len(facilities) == 0:
        return best_f, best_t
    if instance.travel.mode == "straight":
        tree = kd_tree(tree_points(instance, instance.facility_xy[facilities]))
        _, idx = tree.query(tree_points(instance, instance.community_xy[communities]))
        best_f = facilities[idx]
        d = distance_m(instance, instance.community_xy[communities], instance.facility_xy[best_f])
        return best_f, d * instance.travel.detour / instance.travel.speed_m_per_min
    if instance.travel.mode == "matrix":
        t = instance.travel
        assert t.matrix_from is not None and t.matrix_to is not None
        assert t.matrix_minutes is not None
        pos = np.full(instance.n_communities, -1, dtype=np.int64)
        pos[communities] = np.arange(n)
        is_fac = np.zeros(instance.n_sites + instance.n_existing, dtype=bool)
        is_fac[facilities] = True
        sel = (pos[t.matrix_from] >= 0) & is_fac[t.matrix_to]
        rows, fac, mins = pos[t.matrix_from[sel]], t.matrix_to[sel], t.matrix_minutes[sel]
        order = np.lexsort((mins, rows))
        rows, fac, mins = rows[order], fac[order], mins[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        best_f[rows[first]] = fac[first]
        best_t[rows[first]] = mins[first]
        return best_f, best_t

    return network_nearest(instance, communities, facilities)

