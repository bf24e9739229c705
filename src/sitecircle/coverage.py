"""Coverage: which candidate site can serve which community in which category.

Coverage means ``travel_time <= threshold`` (inclusive, with a round-off tolerance of
:data:`~sitecircle.travel.TIME_TOLERANCE_MIN` minutes), and the site may host the category.
It is stored as sparse triples ``(community, site, category)``; :meth:`Coverage.matrix` gives the
boolean communities × sites ``csr_array`` of one category. Existing facilities do not appear in
the triples: they pre-cover ``(community, category)`` pairs, held in :attr:`Coverage.precovered`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.instance import Instance
from sitecircle.travel import TIME_TOLERANCE_MIN, TravelPairs, travel_pairs


@dataclass(frozen=True)
class Coverage:
    """Sparse coverage of an instance.

    Parameters
    ----------
    n_communities, n_sites, n_categories
        Dimensions.
    community, site, category
        One entry per triple: the site may host the category and reaches the community within the
        category's threshold.
    minutes
        Travel time of each triple.
    precovered
        ``(n_communities, n_categories)``: an existing facility of the category is in reach.
    """

    n_communities: int
    n_sites: int
    n_categories: int
    community: NDArray[np.int32]
    site: NDArray[np.int32]
    category: NDArray[np.int32]
    minutes: NDArray[np.float64]
    precovered: NDArray[np.bool_]

    def matrix(self, category: int) -> sp.csr_array:
        """Boolean communities × sites coverage of one category."""
        sel = self.category == category
        return sp.csr_array(
            (np.ones(int(sel.sum()), dtype=bool), (self.community[sel], self.site[sel])),
            shape=(self.n_communities, self.n_sites),
        )

    @property
    def coverable(self) -> NDArray[np.bool_]:
        """``(n_communities, n_categories)``: some candidate site could cover the pair."""
        out = np.zeros((self.n_communities, self.n_categories), dtype=bool)
        out[self.community, self.category] = True
        return out


def coverage_from_pairs(instance: Instance, pairs: TravelPairs) -> Coverage:
    """Turn reachable pairs into coverage triples and pre-covered pairs.

    Parameters
    ----------
    instance
        A validated instance.
    pairs
        Travel times of reachable community–facility pairs.

    Returns
    -------
    Coverage
        Coverage triples of candidate sites and pre-coverage by existing facilities.
    """
    m, n_cat = instance.n_sites, instance.n_categories
    thresholds = instance.threshold_min + TIME_TOLERANCE_MIN
    is_site = pairs.facility < m
    precovered = np.zeros((instance.n_communities, n_cat), dtype=bool)
    ex_comm = pairs.community[~is_site]
    ex_fac = pairs.facility[~is_site] - m
    ex_min = pairs.minutes[~is_site]
    st_comm, st_site = pairs.community[is_site], pairs.facility[is_site]
    st_min = pairs.minutes[is_site]
    parts: list[tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64], int]] = []
    for k in range(n_cat):
        hit = instance.existing_hosts[ex_fac, k] & (ex_min <= thresholds[k])
        precovered[ex_comm[hit], k] = True
        sel = instance.site_hosts[st_site, k] & (st_min <= thresholds[k])
        parts.append((st_comm[sel], st_site[sel], st_min[sel], k))
    return Coverage(
        n_communities=instance.n_communities,
        n_sites=m,
        n_categories=n_cat,
        community=np.concatenate([p[0] for p in parts]).astype(np.int32),
        site=np.concatenate([p[1] for p in parts]).astype(np.int32),
        category=np.concatenate([np.full(len(p[0]), p[3], dtype=np.int32) for p in parts]),
        minutes=np.concatenate([p[2] for p in parts]),
        precovered=precovered,
    )


def coverage_from_instance(instance: Instance) -> Coverage:
    """Compute travel times and coverage of an instance.

    Parameters
    ----------
    instance
        A validated instance.

    Returns
    -------
    Coverage
        See :func:`coverage_from_pairs`.
    """
    return coverage_from_pairs(instance, travel_pairs(instance))
