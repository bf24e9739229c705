"""Estimate, before building anything, how many coverage triples and how much memory a solve needs.

:func:`estimate_pairs` counts the coverage triples ``(community, site, category)`` of an instance
from a random sample of communities (a KD-tree count per category), so a caller can refuse an
instance that would not fit before computing its coverage. :func:`estimate_memory_bytes` turns
the counts into the peak resident memory of the pipeline (coverage → model → heuristic and
bound), with per-item costs measured on this code base (see :data:`BYTES_PER_TRIPLE`).
"""

from __future__ import annotations

import numpy as np

from sitecircle.geodesy import chord_length, kd_tree, unit_vectors
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import TIME_TOLERANCE_MIN

#: Peak bytes per coverage triple over coverage, model build and the heuristic with its bound.
#: Where they go (``T`` triples, about ``0.6 T`` model nonzeros at the densities measured): the
#: coverage is 20 bytes a triple (int32 community, site and category, float64 minutes), grown
#: in place chunk by chunk (about 100 MB of temporaries); assembly adds about 14 on top of it
#: (int32 row and column of every kept triple, int8 ones, the pattern's CSR arrays); the
#: model's ``A`` holds 12 bytes a nonzero (float64 data, int32 indices); the exact reductions
#: of :mod:`sitecircle.model.reduce` copy the ``open`` columns of ``A`` before deciding whether the
#: dominance search is affordable, which is the peak (about ``20 T + 48 × 0.6 T``); the
#: heuristic's structures and the verifier stay below it. Fitted to the peak ``VmHWM`` of
#: ``benchmarks/scale.py`` rows (within 3 % at 200k × 10k × 4, 250k × 5k × 4, 500k × 10k × 4
#: and 1M × 20k × 4: 1.80, 2.05, 3.70 and 7.24 GB).
BYTES_PER_TRIPLE = 42
#: Bytes per (community, category) pair: dense demand/pre-coverage arrays, row maps and the
#: heuristic's per-row counters.
BYTES_PER_PAIR = 120
#: Bytes per (site, category) column (costs, hosting, bookkeeping arrays).
BYTES_PER_COLUMN = 400
#: Interpreter, NumPy/SciPy/OR-Tools imports, and the allocator's slack around the chunked
#: passes.
BASE_BYTES = 450 * 2**20


def estimate_pairs(instance: Instance, *, sample_size: int = 4000, seed: int = 0) -> int:
    """Estimate the number of coverage triples ``(community, site, category)``.

    ``straight`` mode: for a random sample of communities (all of them when there are at most
    ``sample_size``), count the sites that host each category within its reach
    (``threshold × speed / detour``) with a KD-tree, and scale up. ``matrix`` mode: exact count of
    the listed pairs within each category's threshold. ``network`` mode: as ``straight`` with no
    detour (a network path is never shorter than the straight line, so this overestimates).

    Parameters
    ----------
    instance
        A validated instance.
    sample_size
        Communities sampled.
    seed
        Seed of the sample.

    Returns
    -------
    int
        Estimated number of triples (existing facilities are not counted: they pre-cover).
    """
    travel = instance.travel
    n, m = instance.n_communities, instance.n_sites
    if n == 0 or m == 0:
        return 0
    thresholds = instance.reach_threshold_min + TIME_TOLERANCE_MIN
    if travel.mode == "matrix":
        assert travel.matrix_to is not None and travel.matrix_minutes is not None
        is_site = travel.matrix_to < m
        to, minutes = travel.matrix_to[is_site], travel.matrix_minutes[is_site]
        return int(sum(int((instance.site_hosts[to, k] & (minutes <= thresholds[k])).sum())
                       for k in range(instance.n_categories)))
    detour = travel.detour if travel.mode == "straight" else 1.0
    rng = np.random.default_rng(seed)
    sample = (np.arange(n) if n <= sample_size
              else rng.choice(n, size=sample_size, replace=False))
    points = instance.community_xy[sample]
    total = 0.0
    for k in range(instance.n_categories):
        hosts = np.flatnonzero(instance.site_hosts[:, k])
        if len(hosts) == 0:
            continue
        metres = thresholds[k] * travel.speed_m_per_min / detour
        site_xy = instance.site_xy[hosts]
        if instance.geographic:
            tree = kd_tree(unit_vectors(site_xy))
            found = tree.query_ball_point(unit_vectors(points),
                                          chord_length(metres) * (1 + 1e-9), return_length=True)
        else:
            tree = kd_tree(site_xy)
            found = tree.query_ball_point(points, metres * (1 + 1e-9), return_length=True)
        total += float(np.sum(found)) * n / len(sample)
    return int(round(total))


def estimate_memory_bytes(
    n_communities: int, n_sites: int, n_categories: int, pairs_estimate: int
) -> int:
    """Estimate the peak resident memory of coverage, model build, heuristic and bound.

    Parameters
    ----------
    n_communities, n_sites, n_categories
        Instance dimensions.
    pairs_estimate
        Coverage triples, e.g. from :func:`estimate_pairs`.

    Returns
    -------
    int
        Bytes (an estimate; the per-item costs are the module constants).
    """
    return int(BASE_BYTES + BYTES_PER_TRIPLE * pairs_estimate
               + BYTES_PER_PAIR * n_communities * n_categories
               + BYTES_PER_COLUMN * n_sites * n_categories)
