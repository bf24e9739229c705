"""Independent verifier: recompute everything from the instance and the opened facilities.

Given only the instance and the list of opened ``(site, category)`` pairs, :func:`verify`
recomputes travel times, coverage, cost, limits and the objective with NumPy. It shares no code
with the travel, coverage or model modules: distances use a different formula (the Vincenty form
of the great-circle distance, or plain planar Euclid), the nearest facility of each category
comes from a KD-tree query of its own, and matrix times are looked up directly. A backend's answer
is accepted only when this recomputation agrees with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import kd_tree
from sitecircle.instance.data import Instance
from sitecircle.instance.fields import TIME_TOLERANCE_MIN
from sitecircle.verifier.assignment import TOLERANCE, AssignmentCheck, check_assignments
from sitecircle.verifier.geometry import sphere_points, vincenty_m
from sitecircle.verifier.groups import equity_violations, stage_value, target_violations
from sitecircle.verifier.network import network_covered
from sitecircle.verifier.phases import PhaseCheck, check_phases, phased_value

#: Relative tolerance of cost and limit checks.
VALUE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Verification:
    """Recomputed quantities of a set of opened facilities.

    Parameters
    ----------
    objective
        Objective value by the instance's objective type.
    cost
        Total cost, open costs included.
    covered
        ``(n_communities, n_categories)`` bool: covered by an existing or opened facility.
    coverage
        Per category id: ``covered``, ``total`` demand and ``share``.
    complete
        Communities covered for every required category: ``communities``, ``population``,
        ``share``.
    violations
        Broken rules (budget, limits, hosting, target); empty when feasible.
    assignments, loads
        Capacitated categories (FORMAT.md "Solution additions"): who is served where, stated
        and implied, and the load of every opened or existing facility; empty without
        capacities.
    phases
        With ``objective.phases``: the plan phase by phase (the solution's ``phases`` in
        ``phases.report``); None otherwise.
    """

    objective: float
    cost: float
    covered: NDArray[np.bool_]
    coverage: dict[str, dict[str, float]]
    complete: dict[str, float]
    violations: list[str] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    loads: list[dict[str, Any]] = field(default_factory=list)
    phases: PhaseCheck | None = None

    @property
    def feasible(self) -> bool:
        """True when no rule is broken."""
        return not self.violations






#: Up to this many community × facility pairs the nearest facility is found by a dense scan.
DENSE_NEAREST = 1 << 20


def _covered_straight(instance: Instance, fac_xy: NDArray[np.float64], limit: float) -> Any:
    fac_pts = sphere_points(instance, fac_xy)
    comm_pts = sphere_points(instance, instance.community_xy)
    if len(comm_pts) * len(fac_pts) <= DENSE_NEAREST:  # small: no tree (and no scipy.spatial)
        nearest = np.empty(len(comm_pts), dtype=np.int64)
        step = max(1, DENSE_NEAREST // max(len(fac_pts), 1) // 8)
        for start in range(0, len(comm_pts), step):
            diff = comm_pts[start:start + step, None, :] - fac_pts[None, :, :]
            nearest[start:start + step] = np.einsum("ijk,ijk->ij", diff, diff).argmin(axis=1)
    else:
        _, nearest = kd_tree(fac_pts).query(comm_pts)
    a, b = instance.community_xy, fac_xy[nearest]
    metres = vincenty_m(a, b) if instance.geographic else np.sqrt(((a - b) ** 2).sum(axis=1))
    return metres * instance.travel.detour / instance.travel.speed_m_per_min <= limit


def _covered_matrix(instance: Instance, is_fac: NDArray[np.bool_], limit: float) -> Any:
    t = instance.travel
    assert t.matrix_from is not None and t.matrix_to is not None and t.matrix_minutes is not None
    out = np.zeros(instance.n_communities, dtype=bool)
    ok = is_fac[t.matrix_to] & (t.matrix_minutes <= limit)
    out[t.matrix_from[ok]] = True
    return out


def covered_matrix(instance: Instance, open_pairs: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which communities are covered in which category, recomputed from scratch.

    Parameters
    ----------
    instance
        A validated instance.
    open_pairs
        ``(p, 2)`` array of opened ``(site index, category index)``.

    Returns
    -------
    ndarray
        ``(n_communities, n_categories)`` bool.
    """
    n_cat, m = instance.n_categories, instance.n_sites
    covered = np.zeros((instance.n_communities, n_cat), dtype=bool)
    for k, cat in enumerate(instance.categories):
        sites = open_pairs[open_pairs[:, 1] == k, 0]
        existing = np.flatnonzero(instance.existing_hosts[:, k])
        if len(sites) + len(existing) == 0:
            continue
        limit = cat.threshold_min + TIME_TOLERANCE_MIN
        mode = instance.travel.mode
        if mode != "matrix" and cat.speed_m_per_min is not None:
            # Minutes at the travel speed that this category's own speed walks in its threshold.
            limit *= cat.speed_m_per_min / instance.travel.speed_m_per_min
        if mode == "straight":
            xy = np.vstack([instance.site_xy[sites].reshape(-1, 2),
                            instance.existing_xy[existing].reshape(-1, 2)])
            covered[:, k] = _covered_straight(instance, xy, limit)
        elif mode == "matrix":
            is_fac = np.zeros(m + instance.n_existing, dtype=bool)
            is_fac[sites] = True
            is_fac[m + existing] = True
            covered[:, k] = _covered_matrix(instance, is_fac, limit)
        else:

            covered[:, k] = network_covered(instance, sites, existing, limit)
    return covered


def served_state(
    instance: Instance, pairs: NDArray[np.int64], assignments: list[dict[str, Any]] | None,
) -> tuple[NDArray[np.bool_], NDArray[np.float64], AssignmentCheck | None]:
    """Coverage, served demand per category and the assignment check of opened pairs.

    Without capacities a community is covered when a facility is in reach and serves all its
    demand; a capacitated category counts what is served (FORMAT.md "Capacities"), checked from
    the stated ``assignments`` (None: the verifier's own best assignment).
    """
    covered = covered_matrix(instance, pairs)
    demand = instance.demand
    got = (demand * covered).sum(axis=0)
    if not instance.capacitated.any():
        return covered, got, None
    assigned = check_assignments(instance, pairs, assignments, covered)
    cap = instance.capacitated
    full = assigned.served >= demand - TOLERANCE * np.maximum(1, demand)
    covered[:, cap] = np.where(demand[:, cap] > 0, full[:, cap], covered[:, cap])
    got = np.where(cap, assigned.served.sum(axis=0), got)
    return covered, got, assigned


def verify(
    instance: Instance, open_pairs: NDArray[np.int64] | list[tuple[int, int]],
    assignments: list[dict[str, Any]] | None = None, phase: NDArray[np.int64] | None = None,
) -> Verification:
    """Recompute coverage, cost, limits and objective of opened facilities.

    Parameters
    ----------
    instance
        A validated instance.
    open_pairs
        Opened ``(site index, category index)`` pairs.
    assignments
        Capacitated categories: the stated assignments (``{"community", "facility",
        "category", "served"}`` records), checked by
        :func:`~sitecircle.verifier.assignment.check_assignments`; None: the verifier serves as
        much demand as the facilities can (its own LP). Ignored without capacities.
    phase
        With ``objective.phases``: the phase (0-based) each pair opens in
        (:func:`~sitecircle.verifier.phases.check_phases`); ignored without phases.

    Returns
    -------
    Verification
        Everything recomputed, with the list of broken rules.
    """
    pairs = np.asarray(open_pairs, dtype=np.int64).reshape(-1, 2)
    problems: list[str] = []
    obj = instance.objective
    n_cat = instance.n_categories
    ids, cats = instance.site_ids, instance.category_ids
    if len(np.unique(pairs, axis=0)) != len(pairs):
        problems.append("a (site, category) pair is opened twice")
    bad_host = ~instance.site_hosts[pairs[:, 0], pairs[:, 1]]
    for j, k in pairs[bad_host]:
        problems.append(f"site {ids[j]!r} cannot host {cats[k]!r}")
    for j in np.unique(pairs[instance.excluded[pairs[:, 0]], 0]):
        problems.append(f"site {ids[j]!r} is excluded but opens a facility")
    opened = np.zeros((instance.n_sites, n_cat), dtype=bool)
    opened[pairs[:, 0], pairs[:, 1]] = True
    for j, k in np.argwhere(instance.fixed & ~opened):
        problems.append(f"approved facility {cats[k]!r} at site {ids[j]!r} (sites[].fixed) is "
                        "not open")
    cost = float(instance.site_cost[pairs[:, 0], pairs[:, 1]].sum())
    sites_used = np.unique(pairs[:, 0])
    cost += float(instance.site_open_cost[sites_used].sum())
    scale = 1 + abs(cost)
    if obj.budget is not None and cost > obj.budget + VALUE_TOLERANCE * scale:
        problems.append(f"cost {cost:g} exceeds the budget {obj.budget:g}")
    per_site = np.bincount(pairs[:, 0], minlength=instance.n_sites)
    for j in np.flatnonzero(per_site > instance.site_max_categories):
        problems.append(f"site {ids[j]!r} hosts {per_site[j]} new categories, more than its "
                        f"max_categories {instance.site_max_categories[j]}")
    if obj.max_new_total is not None and len(pairs) > obj.max_new_total:
        problems.append(f"{len(pairs)} new facilities exceed max_new {obj.max_new_total}")
    per_cat = np.bincount(pairs[:, 1], minlength=n_cat)
    if obj.max_new_per_category is not None:
        lim = obj.max_new_per_category
        for k in np.flatnonzero((lim >= 0) & (per_cat > lim)):
            problems.append(f"{per_cat[k]} new {cats[k]!r} exceed max_new {lim[k]}")

    demand = instance.demand
    stated = assignments
    if obj.phases is not None and assignments is not None:  # the end of the last phase
        stated = [r for r in assignments if r.get("phase", obj.phases[-1].id) == obj.phases[-1].id]
    covered, got, assigned = served_state(instance, pairs, stated)
    if assigned is not None:
        problems.extend(assigned.violations)
    total = demand.sum(axis=0)
    share = np.divide(got, total, out=np.ones(n_cat), where=total > 0)
    coverage = {c: {"covered": float(got[k]), "total": float(total[k]), "share": float(share[k])}
                for k, c in enumerate(cats)}
    complete_mask = covered[:, instance.required].all(axis=1)
    population = instance.population
    pop_total = float(population.sum())
    complete_pop = float(population[complete_mask].sum())
    complete = {"communities": int(complete_mask.sum()), "population": complete_pop,
                "share": complete_pop / pop_total if pop_total > 0 else 1.0}
    first = obj.first_stage
    objective = stage_value(instance, first, covered, cost, got)
    by_phase = None
    if obj.phases is not None:  # the value phase by phase; targets at the end of each phase
        by_phase = check_phases(instance, pairs, phase, assignments,
                                lambda opened, records: served_state(instance, opened, records))
        problems += by_phase.violations
        objective = phased_value(instance, first, by_phase)
    else:
        problems += target_violations(instance, first, covered, got)
    problems += equity_violations(instance, covered)
    return Verification(objective=objective, cost=cost, covered=covered, coverage=coverage,
                        complete=complete, violations=problems,
                        assignments=assigned.assignments if assigned else [],
                        loads=assigned.loads if assigned else [], phases=by_phase)
