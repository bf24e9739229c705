"""Coverage: which candidate site can serve which community in which category.

Coverage means ``travel_time <= threshold`` (inclusive, with a round-off tolerance of
:data:`~sitecircle.instance.fields.TIME_TOLERANCE_MIN` minutes), and the site may host the category.
It is stored as sparse triples ``(community, site, category)``; :meth:`Coverage.matrix` gives the
boolean communities × sites ``csr_array`` of one category. Existing facilities do not appear in
the triples: they pre-cover ``(community, category)`` pairs, held in :attr:`Coverage.precovered`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import TIME_TOLERANCE_MIN
from sitecircle.travel.pairs import travel_pair_chunks
from sitecircle.travel.straight import TravelPairs


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
    limited_community, limited_existing, limited_category, limited_minutes
        Capacitated categories only (FORMAT.md "Capacities"): one entry per existing facility
        with a finite capacity that reaches a community within the category's threshold.
    free
        ``(n_communities, n_categories)``: an existing facility of the category with unlimited
        capacity is in reach (the pair is served in full for nothing); None: same as
        :attr:`precovered` (no capacities).
    """

    n_communities: int
    n_sites: int
    n_categories: int
    community: NDArray[np.int32]
    site: NDArray[np.int32]
    category: NDArray[np.int32]
    minutes: NDArray[np.float64]
    precovered: NDArray[np.bool_]
    limited_community: NDArray[np.int32] = dataclasses.field(
        default_factory=lambda: np.zeros(0, np.int32))
    limited_existing: NDArray[np.int32] = dataclasses.field(
        default_factory=lambda: np.zeros(0, np.int32))
    limited_category: NDArray[np.int32] = dataclasses.field(
        default_factory=lambda: np.zeros(0, np.int32))
    limited_minutes: NDArray[np.float64] = dataclasses.field(
        default_factory=lambda: np.zeros(0, np.float64))
    free: NDArray[np.bool_] | None = None

    def matrix(self, category: int) -> sp.csr_array:
        """Boolean communities × sites coverage of one category."""
        sel = self.category == category
        return sp.csr_array(
            (np.ones(int(sel.sum()), dtype=bool), (self.community[sel], self.site[sel])),
            shape=(self.n_communities, self.n_sites),
        )

    @functools.cached_property
    def coverable(self) -> NDArray[np.bool_]:
        """``(n_communities, n_categories)``: some candidate site could cover the pair.

        Computed once (a pass over every triple) and kept read-only: the infeasibility check
        and the model builder both read it.
        """
        out = np.zeros((self.n_communities, self.n_categories), dtype=bool)
        flat = out.reshape(-1)
        step = 1 << 22
        for a in range(0, len(self.community), step):
            flat[self.community[a:a + step].astype(np.int64) * self.n_categories
                 + self.category[a:a + step]] = True
        out.setflags(write=False)
        return out


class _Growing:
    """A 1-D array filled at its end, grown in place (``realloc``, so large blocks are remapped,
    not copied, and capacity never written to never becomes resident)."""

    def __init__(self, dtype: type) -> None:
        self.array: NDArray[Any] = np.empty(0, dtype=dtype)
        self.size = 0

    def extend(self, values: NDArray[Any]) -> None:
        need = self.size + len(values)
        if need > len(self.array):
            self.array.resize(max(need, len(self.array) + len(self.array) // 4 + 4096),
                              refcheck=False)
        self.array[self.size:need] = values
        self.size = need

    def finish(self) -> NDArray[Any]:
        self.array.resize(self.size, refcheck=False)
        return self.array


def coverage_from_chunks(instance: Instance, chunks: Iterable[TravelPairs]) -> Coverage:
    """Turn reachable pairs, given in chunks, into coverage triples and pre-covered pairs.

    Triples are ordered by chunk, then by category, then as the pairs come (one chunk: by
    category). Each chunk's triples are appended to arrays grown in place, so the peak is the
    20 bytes a triple of the result plus one chunk's temporaries.

    Parameters
    ----------
    instance
        A validated instance.
    chunks
        Travel times of reachable community–facility pairs, in any number of pieces.

    Returns
    -------
    Coverage
        Coverage triples of candidate sites and pre-coverage by existing facilities.
    """
    m, n_cat = instance.n_sites, instance.n_categories
    thresholds = instance.reach_threshold_min + TIME_TOLERANCE_MIN
    precovered = np.zeros((instance.n_communities, n_cat), dtype=bool)
    limited_cap = np.isfinite(instance.existing_capacities) & instance.capacitated[None, :]
    any_limited = bool(limited_cap.any())
    free = np.zeros_like(precovered) if any_limited else None
    limited = [_Growing(np.int32), _Growing(np.int32), _Growing(np.int32), _Growing(np.float64)]
    community, site = _Growing(np.int32), _Growing(np.int32)
    category, minutes = _Growing(np.int32), _Growing(np.float64)
    for pairs in chunks:
        is_site = pairs.facility < m
        ex_comm = pairs.community[~is_site]
        ex_fac = pairs.facility[~is_site] - m
        ex_min = pairs.minutes[~is_site]
        st_comm, st_site = pairs.community[is_site], pairs.facility[is_site]
        st_min = pairs.minutes[is_site]
        del pairs, is_site
        for k in range(n_cat):
            hit = instance.existing_hosts[ex_fac, k] & (ex_min <= thresholds[k])
            precovered[ex_comm[hit], k] = True
            if free is not None:  # capacities: a limited facility serves, it does not cover
                lim = hit & limited_cap[ex_fac, k]
                free[ex_comm[hit & ~lim], k] = True
                for grow, part in zip(limited, (ex_comm[lim], ex_fac[lim],
                                                np.full(int(lim.sum()), k, np.int32),
                                                ex_min[lim]), strict=True):
                    grow.extend(part)
            sel = instance.candidate_hosts[st_site, k] & (st_min <= thresholds[k])
            community.extend(st_comm[sel])
            site.extend(st_site[sel])
            minutes.extend(st_min[sel])
            category.extend(np.full(int(np.count_nonzero(sel)), k, dtype=np.int32))
    return Coverage(
        n_communities=instance.n_communities,
        n_sites=m,
        n_categories=n_cat,
        community=community.finish(),
        site=site.finish(),
        category=category.finish(),
        minutes=minutes.finish(),
        precovered=precovered,
        limited_community=limited[0].finish(),
        limited_existing=limited[1].finish(),
        limited_category=limited[2].finish(),
        limited_minutes=limited[3].finish(),
        free=free,
    )


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
    return coverage_from_chunks(instance, [pairs])


def coverage_from_instance(instance: Instance) -> Coverage:
    """Compute travel times and coverage of an instance.

    In ``straight`` mode the travel pairs are computed and turned into triples one chunk of
    communities at a time (:func:`sitecircle.travel.pairs.travel_pair_chunks`), so they never exist
    all at once.

    Parameters
    ----------
    instance
        A validated instance.

    Returns
    -------
    Coverage
        See :func:`coverage_from_chunks`.
    """
    return coverage_from_chunks(instance, travel_pair_chunks(instance))
