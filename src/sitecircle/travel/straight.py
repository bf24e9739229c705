"""Travel times between communities and facilities, as sparse pairs.

Only pairs that can matter are produced: a community–facility pair is kept when its travel time is
at most the largest threshold of the categories that facility may serve. No dense
communities × facilities matrix is ever built.

* ``straight``: minutes = distance × detour / speed. Distance is planar for projected CRSs and
  great-circle (mean Earth radius 6,371,008.8 m, haversine) for geographic ones. Candidate pairs
  come from a :class:`scipy.spatial.cKDTree` on planar coordinates or on 3-D unit vectors
  (chord length), queried once per distinct radius and per chunk of communities (so the
  temporaries stay bounded at a million communities).
* ``matrix``: the listed pairs; a pair that is not listed is unreachable.
* ``network``: see :mod:`sitecircle.streets.read`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import chord_length, haversine_m, kd_tree, unit_vectors
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import TIME_TOLERANCE_MIN

__all__ = ["TIME_TOLERANCE_MIN", "TravelPairs", "distance_m", "facility_reach_min", "matrix_pairs",
           "straight_pair_chunks", "straight_pairs", "tree_points"]


@dataclass(frozen=True)
class TravelPairs:
    """Reachable community–facility pairs with their travel time.

    Parameters
    ----------
    community
        Community index of each pair.
    facility
        Facility index of each pair (sites first, then existing facilities).
    minutes
        Travel time of each pair in minutes.
    """

    community: NDArray[np.int32]
    facility: NDArray[np.int32]
    minutes: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.community)






def distance_m(
    instance: Instance, a: NDArray[np.float64], b: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distance in metres between paired rows of coordinates, by the instance's CRS."""
    if instance.geographic:
        return haversine_m(a, b)
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def tree_points(instance: Instance, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    return unit_vectors(xy) if instance.geographic else xy


def _tree_radius(instance: Instance, metres: float) -> float:
    if not instance.geographic:
        return metres * (1 + 1e-9) + 1e-9
    return chord_length(metres) * (1 + 1e-9) + 1e-12


def facility_reach_min(instance: Instance) -> NDArray[np.float64]:
    """Largest threshold (minutes) among the categories each facility may serve, shape ``(F,)``.

    Facilities serving no category get ``-inf`` (they can cover nothing).
    """
    hosts = np.vstack([instance.candidate_hosts.reshape(-1, instance.n_categories),
                       instance.existing_hosts.reshape(-1, instance.n_categories)])
    thr = np.where(hosts, instance.reach_threshold_min[None, :], -np.inf)
    return thr.max(axis=1) if thr.size else np.full(len(hosts), -np.inf)


#: Target number of candidate pairs per chunk of communities in ``straight`` mode (bounds the
#: KD-tree output and the distance temporaries, about 100 bytes a pair).
PAIRS_PER_CHUNK = 1 << 20
#: Communities in the first chunk, before the pair density is known.
FIRST_CHUNK = 4096


#: Up to this many community × facility pairs, every pair is measured (no KD-tree: the same
#: pairs, and ``scipy.spatial`` is not loaded; about 100 bytes a pair of temporaries).
DENSE_PAIRS = 1 << 18


def _dense_pairs(
    instance: Instance, reach: NDArray[np.float64], reaching: NDArray[np.int64]
) -> TravelPairs:
    """Every community × ``reaching`` facility pair, kept by the same rule as the tree's."""
    travel = instance.travel
    comm = np.repeat(np.arange(instance.n_communities, dtype=np.int64), len(reaching))
    fac = np.tile(reaching, instance.n_communities)
    minutes = distance_m(instance, instance.community_xy[comm], instance.facility_xy[fac])
    minutes *= travel.detour / travel.speed_m_per_min
    keep = minutes <= reach[fac] + TIME_TOLERANCE_MIN
    return TravelPairs(comm[keep].astype(np.int32), fac[keep].astype(np.int32), minutes[keep])


def straight_pair_chunks(instance: Instance) -> Iterator[TravelPairs]:
    """Pairs within reach for ``straight`` mode, one chunk of communities at a time.

    Communities are taken in the order of their KD-tree (so a chunk is a compact area) in
    chunks sized to hold about :data:`PAIRS_PER_CHUNK` pairs; each chunk is matched against one
    KD-tree of facilities per distinct radius. Every pair appears once, in one chunk.

    Parameters
    ----------
    instance
        A validated instance in ``straight`` mode.

    Yields
    ------
    TravelPairs
        The pairs of one chunk of communities.
    """
    travel = instance.travel
    reach = facility_reach_min(instance)
    fac_xy = instance.facility_xy
    reaching = np.flatnonzero(np.isfinite(reach))
    if 0 < instance.n_communities * len(reaching) <= DENSE_PAIRS:
        yield _dense_pairs(instance, reach, reaching)
        return
    comm_pts = tree_points(instance, instance.community_xy)
    groups = []
    for radius_min in np.unique(reach[np.isfinite(reach)]):
        group = np.flatnonzero(reach == radius_min)
        # The tolerance widens the search too, so the tree keeps every pair the filter keeps.
        metres = (radius_min + TIME_TOLERANCE_MIN) * travel.speed_m_per_min / travel.detour
        groups.append((group, kd_tree(tree_points(instance, fac_xy[group])),
                       _tree_radius(instance, metres)))
    if not groups or len(comm_pts) == 0:
        return
    order = kd_tree(comm_pts).indices.astype(np.int64)
    start, size = 0, FIRST_CHUNK
    while start < len(order):
        chunk = order[start:start + size]
        chunk_tree = kd_tree(comm_pts[chunk])
        parts_c: list[NDArray[np.int64]] = []
        parts_f: list[NDArray[np.int64]] = []
        for group, fac_tree, radius in groups:
            found = chunk_tree.sparse_distance_matrix(fac_tree, radius, output_type="ndarray")
            parts_c.append(chunk[found["i"]])
            parts_f.append(group[found["j"]])
            del found
        comm = np.concatenate(parts_c)
        fac = np.concatenate(parts_f)
        del parts_c, parts_f
        # Facility groups are disjoint, so every pair appears once.
        minutes = distance_m(instance, instance.community_xy[comm], fac_xy[fac])
        minutes *= travel.detour / travel.speed_m_per_min
        keep = minutes <= reach[fac] + TIME_TOLERANCE_MIN
        yield TravelPairs(comm[keep].astype(np.int32), fac[keep].astype(np.int32), minutes[keep])
        start += len(chunk)
        per_community = max(len(comm), 1) / len(chunk)
        size = int(min(max(PAIRS_PER_CHUNK / per_community, 256), 4 * len(chunk) + 256))


def straight_pairs(instance: Instance) -> TravelPairs:
    """Pairs within reach for ``straight`` mode, by KD-tree (see :func:`straight_pair_chunks`)."""
    chunks = list(straight_pair_chunks(instance))
    if not chunks:
        return TravelPairs(np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))
    return TravelPairs(np.concatenate([c.community for c in chunks]),
                       np.concatenate([c.facility for c in chunks]),
                       np.concatenate([c.minutes for c in chunks]))


def matrix_pairs(instance: Instance) -> TravelPairs:
    """Listed pairs for ``matrix`` mode, keeping only those within the facility's reach."""
    travel = instance.travel
    assert travel.matrix_from is not None  # guaranteed by validation
    assert travel.matrix_to is not None and travel.matrix_minutes is not None
    reach = facility_reach_min(instance)
    keep = travel.matrix_minutes <= reach[travel.matrix_to] + TIME_TOLERANCE_MIN
    return TravelPairs(travel.matrix_from[keep].astype(np.int32),
                       travel.matrix_to[keep].astype(np.int32), travel.matrix_minutes[keep])






