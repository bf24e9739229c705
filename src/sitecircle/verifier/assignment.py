r"""The verifier's check of capacitated assignments (FORMAT.md, "Capacities", "Solution additions").

Independent of :mod:`sitecircle.travel` and :mod:`sitecircle.model`: reach is recomputed here
(Vincenty or planar distances with a KD-tree of its own, matrix look-ups, or networkx Dijkstra),
and the best assignment for given sites is a transportation LP solved with
:func:`scipy.optimize.linprog`, written apart from the model.

For a capacitated category :math:`k` every assignment ``(community i, facility f, served s)``
must have: :math:`f` an opened site of :math:`k` or an existing facility offering :math:`k`;
:math:`i` within :math:`k`'s threshold of :math:`f`; :math:`s > 0`. Then
:math:`\sum_f s_{ifk} \le d_{ik}`, :math:`\sum_i s_{ifk} \le q_{fk}`, and a new facility's load
is at least :math:`\ell_k` (tolerance :data:`TOLERANCE` relative to ``max(1, value)``). A pair
within reach of an existing facility of unlimited capacity is served in full for nothing: what
the stated assignments leave of its demand is attributed to the nearest such facility.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.geodesy import kd_tree
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import TIME_TOLERANCE_MIN
from sitecircle.streets.read import network_in_crs, read_network
from sitecircle.verifier.geometry import EARTH_M, sphere_points, vincenty_m
from sitecircle.verifier.network import _nx_graph, _verifier_join

__all__ = ["AssignmentCheck", "check_assignments"]

#: Relative tolerance of the demand, capacity, min_load and coverage checks.
TOLERANCE = 1e-6

_F = NDArray[np.float64]
_I = NDArray[np.int64]


def _nx() -> Any:
    """networkx, loaded on first use (network travel only; it costs the command start-up)."""
    import networkx  # noqa: PLC0415

    return networkx


def _linprog() -> Any:
    """:func:`scipy.optimize.linprog`, loaded on first use (capacities only)."""
    from scipy.optimize import linprog  # noqa: PLC0415

    return linprog


@dataclass(frozen=True)
class AssignmentCheck:
    """The recomputed service of the capacitated categories.

    Parameters
    ----------
    served
        ``(n_communities, n_categories)``: demand served (capacitated categories only; 0 else).
    assignments
        ``{"community", "facility", "category", "served"}`` records, stated and implied.
    loads
        ``{"facility", "category", "served", "capacity"}`` for every opened or existing
        facility of a capacitated category (``capacity`` None when unlimited).
    best
        ``max_coverage``: per capacitated category id, the most demand the opened sites and
        existing facilities could serve (LP); empty for the other objectives.
    violations
        Broken rules.
    """

    served: _F
    assignments: list[dict[str, Any]]
    loads: list[dict[str, Any]]
    best: dict[str, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


def _radius_chord(instance: Instance, metres: float) -> float:
    if not instance.geographic:
        return metres
    return float(2.0 * np.sin(min(metres / (2.0 * EARTH_M), np.pi / 2)) * 1.000001)


@functools.lru_cache(maxsize=2)
def _graph(instance: Instance) -> tuple[Any, Any, _I, _F]:
    assert instance.travel.file is not None
    net = network_in_crs(read_network(instance.travel.file), instance.crs, instance.geographic)
    c_node, c_m = _verifier_join(instance, net, instance.community_xy)
    return net, _nx_graph(net), c_node, c_m


def _reach(instance: Instance, k: int, facilities: _I) -> tuple[_I, _I, _F]:
    """(community, position in ``facilities``, minutes) of every pair within ``k``'s threshold.

    ``facilities`` are facility indices (sites first, then ``n_sites + e``).
    """
    limit = instance.categories[k].threshold_min + TIME_TOLERANCE_MIN
    m = instance.n_sites
    xy_all = np.vstack([instance.site_xy.reshape(-1, 2), instance.existing_xy.reshape(-1, 2)])
    mode = instance.travel.mode
    if len(facilities) == 0 or instance.n_communities == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    if mode == "straight":
        t = instance.travel
        metres = limit * t.speed_m_per_min / t.detour
        tree = kd_tree(sphere_points(instance, instance.community_xy))
        fxy = xy_all[facilities]
        hits = tree.query_ball_point(sphere_points(instance, fxy), _radius_chord(instance,
                                                                                metres))
        pos = np.repeat(np.arange(len(facilities)), [len(h) for h in hits]).astype(np.int64)
        comm = np.concatenate([np.asarray(h, np.int64) for h in hits]) if len(hits) else \
            np.zeros(0, np.int64)
        a, b = instance.community_xy[comm], fxy[pos]
        dist = vincenty_m(a, b) if instance.geographic else np.sqrt(((a - b) ** 2).sum(axis=1))
        minutes = dist * t.detour / t.speed_m_per_min
    elif mode == "matrix":
        t = instance.travel
        assert t.matrix_from is not None and t.matrix_to is not None
        assert t.matrix_minutes is not None
        where = np.full(m + instance.n_existing, -1, np.int64)
        where[facilities] = np.arange(len(facilities))
        sel = where[t.matrix_to] >= 0
        comm, pos = t.matrix_from[sel].astype(np.int64), where[t.matrix_to[sel]]
        minutes = t.matrix_minutes[sel]
    else:
        net, g, c_node, c_m = _graph(instance)
        f_node, f_m = _verifier_join(instance, net, xy_all[facilities])
        speed = instance.travel.speed_m_per_min
        parts: list[tuple[_I, _I, _F]] = []
        for p, (node, join) in enumerate(zip(f_node.tolist(), f_m.tolist(), strict=True)):
            dist = _nx().single_source_dijkstra_path_length(
                g, node, cutoff=max(limit * speed * 1.000001 - join, 0.0), weight="length")
            path = np.array([dist.get(int(v), np.inf) for v in c_node])
            mins = (c_m + path + join) / speed
            hit = np.flatnonzero(mins <= limit)
            parts.append((hit.astype(np.int64), np.full(len(hit), p, np.int64), mins[hit]))
        comm = np.concatenate([q[0] for q in parts])
        pos = np.concatenate([q[1] for q in parts])
        minutes = np.concatenate([q[2] for q in parts])
    ok = minutes <= limit
    return comm[ok], pos[ok], minutes[ok]


def _capacity(instance: Instance, fac: _I, k: int) -> _F:
    m = instance.n_sites
    out = np.full(len(fac), np.inf)
    site = fac < m
    out[site] = instance.site_capacities[fac[site], k]
    out[~site] = instance.existing_capacities[fac[~site] - m, k]
    return out


def _best_total(instance: Instance, k: int, facilities: _I, demand: _F, free: NDArray[np.bool_]
                ) -> float:
    """Most demand of ``k`` the facilities can serve beyond the free pairs (transportation LP)."""
    comm, pos, _ = _reach(instance, k, facilities)
    keep = ~free[comm] & (demand[comm] > 0)
    comm, pos = comm[keep], pos[keep]
    if len(comm) == 0:
        return 0.0
    cap = _capacity(instance, facilities, k)
    n_var = len(comm)
    ucomm, crow = np.unique(comm, return_inverse=True)
    a_dem = sp.csr_array((np.ones(n_var), (crow, np.arange(n_var))), shape=(len(ucomm), n_var))
    limited = np.isfinite(cap)
    frow = np.cumsum(limited) - 1
    sel = limited[pos]
    a_cap = sp.csr_array((np.ones(int(sel.sum())), (frow[pos[sel]], np.flatnonzero(sel))),
                         shape=(int(limited.sum()), n_var))
    new = facilities < instance.n_sites
    need = new & (instance.min_load[k] > 0)
    mrow = np.cumsum(need) - 1
    msel = need[pos]
    a_min = sp.csr_array((-np.ones(int(msel.sum())), (mrow[pos[msel]], np.flatnonzero(msel))),
                         shape=(int(need.sum()), n_var))
    res = _linprog()(-np.ones(n_var), A_ub=sp.vstack([a_dem, a_cap, a_min]).tocsr(),
                  b_ub=np.concatenate([demand[ucomm], cap[limited],
                                       -np.full(int(need.sum()), instance.min_load[k])]),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return float("nan")  # min_load cannot be met by any assignment
    return float(-res.fun)


def _nearest_free(instance: Instance, k: int, facilities: _I) -> tuple[_I, _I]:
    """Community and facility of the nearest unlimited existing facility in reach."""
    comm, pos, minutes = _reach(instance, k, facilities)
    order = np.lexsort((minutes, comm))
    comm, pos = comm[order], pos[order]
    first = np.ones(len(comm), dtype=bool)
    first[1:] = comm[1:] != comm[:-1]
    return comm[first], facilities[pos[first]]


def _parse(instance: Instance, records: list[dict[str, Any]], problems: list[str]
           ) -> tuple[_I, _I, _I, _F]:
    c_index = {c: i for i, c in enumerate(instance.community_ids)}
    f_index = {f: j for j, f in enumerate(instance.facility_ids)}
    k_index = {c: k for k, c in enumerate(instance.category_ids)}
    rows = []
    for n, rec in enumerate(records):
        try:
            i, f, k = c_index[rec["community"]], f_index[rec["facility"]], k_index[rec["category"]]
            s = float(rec["served"])
        except (KeyError, TypeError, ValueError):
            problems.append(f"assignment {n} ({rec!r}) names an unknown community, facility or "
                            "category, or has no numeric 'served'")
            continue
        if not np.isfinite(s) or s <= 0:
            problems.append(f"assignment {n}: served must be a positive number, got {s!r}")
            continue
        rows.append((i, f, k, s))
    if not rows:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, np.zeros(0)
    arr = np.array(rows, dtype=np.float64)
    return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2].astype(np.int64), \
        arr[:, 3]


def check_assignments(
    instance: Instance, open_pairs: _I, records: list[dict[str, Any]] | None,
    in_reach: NDArray[np.bool_],
) -> AssignmentCheck:
    """Check stated assignments of capacitated categories and recompute what is served.

    Parameters
    ----------
    instance
        A validated instance.
    open_pairs
        ``(p, 2)`` opened ``(site, category)`` indices.
    records
        The stated assignments (``sitecircle.solution/1`` ``assignments``); None: the verifier
        assigns the best it can itself (a transportation LP per category).
    in_reach
        ``(n, K)``: an opened or existing facility of the category is in reach.

    Returns
    -------
    AssignmentCheck
        Served demand, the assignment records, loads and the broken rules.
    """
    n, n_cat, m = instance.n_communities, instance.n_categories, instance.n_sites
    problems: list[str] = []
    cap_cat = instance.capacitated
    demand = instance.demand
    cats, fids, cids = instance.category_ids, instance.facility_ids, instance.community_ids
    is_open = np.zeros((m, n_cat), dtype=bool)
    is_open[open_pairs[:, 0], open_pairs[:, 1]] = True
    if records is None:
        comm, fac, cat, amount = _own_assignment(instance, open_pairs, in_reach)
    else:
        comm, fac, cat, amount = _parse(instance, records, problems)
    served = np.zeros((n, n_cat))
    best: dict[str, float] = {}
    out_comm, out_fac, out_cat, out_amount = [comm], [fac], [cat], [amount]
    for k in np.flatnonzero(cap_cat):
        sel = cat == k
        ci, fi, si = comm[sel], fac[sel], amount[sel]
        offers = np.concatenate([is_open[:, k], instance.existing_hosts[:, k]])
        for f in np.unique(fi[~offers[fi]]):
            problems.append(f"assignment to {fids[f]!r} for {cats[k]!r}: the facility is neither "
                            "opened for it nor an existing facility offering it")
        pairs = ci * (m + instance.n_existing) + fi
        if len(np.unique(pairs)) != len(pairs):
            problems.append(f"a (community, facility) pair of {cats[k]!r} is assigned twice")
        used = np.unique(fi)
        rc, rp, _ = _reach(instance, int(k), used)
        reach_keys = np.unique(rc * (m + instance.n_existing) + used[rp])
        outside = ~np.isin(pairs, reach_keys)
        for i, f in zip(ci[outside][:10], fi[outside][:10], strict=True):
            problems.append(f"community {cids[i]!r} is assigned to {fids[f]!r} for {cats[k]!r} "
                            f"but is not within its {instance.categories[k].threshold_min:g} "
                            "minutes")
        np.add.at(served[:, k], ci, si)
        # Pairs in reach of an unlimited existing facility are served in full for nothing.
        unlimited = np.flatnonzero(instance.existing_hosts[:, k]
                                   & ~np.isfinite(instance.existing_capacities[:, k])) + m
        free = np.zeros(n, dtype=bool)
        if len(unlimited):
            fc, ff = _nearest_free(instance, int(k), unlimited)
            free[fc] = True
            rest = np.maximum(demand[fc, k] - served[fc, k], 0.0)
            give = rest > 0
            served[fc[give], k] += rest[give]
            out_comm.append(fc[give])
            out_fac.append(ff[give])
            out_cat.append(np.full(int(give.sum()), k, np.int64))
            out_amount.append(rest[give])
        over = served[:, k] > demand[:, k] + TOLERANCE * np.maximum(1, demand[:, k])
        for i in np.flatnonzero(over)[:10]:
            problems.append(f"community {cids[i]!r} is served {served[i, k]:g} of {cats[k]!r}, "
                            f"more than its demand {demand[i, k]:g}")
        load = np.bincount(fi, weights=si, minlength=m + instance.n_existing)
        facs = np.flatnonzero(offers)
        cap = _capacity(instance, facs, int(k))
        for f, q in zip(facs, cap, strict=True):
            if load[f] > q + TOLERANCE * max(1.0, q):
                problems.append(f"{fids[f]!r} serves {load[f]:g} of {cats[k]!r}, more than its "
                                f"capacity {q:g}")
        ml = instance.min_load[k]
        for j in np.flatnonzero(is_open[:, k] & (load[:m] < ml - TOLERANCE * max(1.0, ml))):
            problems.append(f"new {cats[k]!r} at {fids[j]!r} serves {load[j]:g}, below its "
                            f"min_load {ml:g}")
        if (instance.objective.type == "max_coverage" and records is not None
                and instance.weight[k] > 0):
            top = _best_total(instance, int(k), facs, demand[:, k], free)
            got = float(si[~free[ci]].sum())
            best[cats[k]] = top
            if np.isfinite(top) and got < top - TOLERANCE * max(1.0, top):
                problems.append(f"the assignment of {cats[k]!r} serves {got:g} beyond the free "
                                f"pairs, but the same sites could serve {top:g}")
    records_out = _records(instance, np.concatenate(out_comm), np.concatenate(out_fac),
                           np.concatenate(out_cat), np.concatenate(out_amount))
    loads = _loads(instance, is_open, records_out)
    return AssignmentCheck(served=served, assignments=records_out, loads=loads, best=best,
                           violations=problems)


def _records(instance: Instance, comm: _I, fac: _I, cat: _I, amount: _F
             ) -> list[dict[str, Any]]:
    order = np.lexsort((fac, comm, cat))
    cids, fids, cats = instance.community_ids, instance.facility_ids, instance.category_ids
    return [{"community": cids[i], "facility": fids[f], "category": cats[k], "served": float(s)}
            for i, f, k, s in zip(comm[order].tolist(), fac[order].tolist(),
                                  cat[order].tolist(), amount[order].tolist(), strict=True)]


def _loads(instance: Instance, is_open: NDArray[np.bool_], records: list[dict[str, Any]]
           ) -> list[dict[str, Any]]:
    m = instance.n_sites
    f_index = {f: j for j, f in enumerate(instance.facility_ids)}
    k_index = {c: k for k, c in enumerate(instance.category_ids)}
    load = np.zeros((m + instance.n_existing, instance.n_categories))
    for rec in records:
        load[f_index[rec["facility"]], k_index[rec["category"]]] += rec["served"]
    out = []
    for k in np.flatnonzero(instance.capacitated):
        facs = np.flatnonzero(np.concatenate([is_open[:, k], instance.existing_hosts[:, k]]))
        cap = _capacity(instance, facs, int(k))
        for f, q in zip(facs.tolist(), cap.tolist(), strict=True):
            out.append({"facility": instance.facility_ids[f],
                        "category": instance.category_ids[k], "served": float(load[f, k]),
                        "capacity": q if np.isfinite(q) else None})
    return out


def _own_assignment(instance: Instance, open_pairs: _I, in_reach: NDArray[np.bool_]
                    ) -> tuple[_I, _I, _I, _F]:
    """The verifier's own assignment when none is stated: the most demand served (LP)."""
    m = instance.n_sites
    demand = instance.demand
    parts: list[tuple[_I, _I, _I, _F]] = []
    for k in np.flatnonzero(instance.capacitated):
        sites = open_pairs[open_pairs[:, 1] == k, 0]
        limited = np.flatnonzero(instance.existing_hosts[:, k]
                                 & np.isfinite(instance.existing_capacities[:, k])) + m
        unlimited = np.flatnonzero(instance.existing_hosts[:, k]
                                   & ~np.isfinite(instance.existing_capacities[:, k])) + m
        free = np.zeros(instance.n_communities, dtype=bool)
        if len(unlimited):
            free[_nearest_free(instance, int(k), unlimited)[0]] = True
        facs = np.concatenate([sites, limited]).astype(np.int64)
        comm, pos, _ = _reach(instance, int(k), facs)
        keep = ~free[comm] & (demand[comm, k] > 0)
        comm, pos = comm[keep], pos[keep]
        if len(comm) == 0:
            continue
        cap = _capacity(instance, facs, int(k))
        n_var = len(comm)
        ucomm, crow = np.unique(comm, return_inverse=True)
        limited_f = np.isfinite(cap)
        frow = np.cumsum(limited_f) - 1
        sel = limited_f[pos]
        a = sp.vstack([
            sp.csr_array((np.ones(n_var), (crow, np.arange(n_var))), shape=(len(ucomm), n_var)),
            sp.csr_array((np.ones(int(sel.sum())), (frow[pos[sel]], np.flatnonzero(sel))),
                         shape=(int(limited_f.sum()), n_var))]).tocsr()
        res = _linprog()(-np.ones(n_var), A_ub=a, b_ub=np.concatenate([demand[ucomm, k],
                                                                     cap[limited_f]]),
                      bounds=(0, None), method="highs")
        if res.status != 0:
            continue
        x = res.x
        pos_x = x > 1e-9
        parts.append((comm[pos_x], facs[pos[pos_x]], np.full(int(pos_x.sum()), k, np.int64),
                      x[pos_x]))
    if not parts:
        e = np.zeros(0, np.int64)
        return e, e, e, np.zeros(0)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]), np.concatenate([p[3] for p in parts]))
