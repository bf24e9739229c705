"""Explanations of infeasible ``min_cost`` requirements and planning rules.

Before any solver runs, :func:`explain_unreachable_target` checks whether each required
category can reach its target share at all (every candidate site opened). When it cannot, the
explanation names the categories, the communities no site or existing facility reaches, and the
nearest facility of that category with its travel time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE
from sitecircle.travel.coverage import Coverage
from sitecircle.travel.pairs import nearest_minutes
from sitecircle.verifier.groups import SHARE_TOLERANCE, group_shares

#: At most this many unreachable communities are listed per category.
MAX_LISTED = 50


def explain_unreachable_target(instance: Instance, coverage: Coverage) -> dict[str, Any] | None:
    """Explain why ``min_cost`` cannot reach its target, or return None when it can.

    Parameters
    ----------
    instance
        A validated instance whose objective is ``min_cost``.
    coverage
        Its coverage.

    Returns
    -------
    dict or None
        ``message``, and per failing category its best reachable share and the unreachable
        communities with the nearest candidate site or existing facility.
    """
    target = instance.objective.target_share
    demand = instance.demand
    reach = coverage.precovered | coverage.coverable
    total = demand.sum(axis=0)
    best = (demand * reach).sum(axis=0)
    share = np.divide(best, total, out=np.ones_like(best), where=total > 0)
    failing = np.flatnonzero(instance.required & (share < target - 1e-9))
    if len(failing) == 0:
        return None
    categories = []
    lines = []
    m = instance.n_sites
    for k in failing:
        cat = instance.categories[k]
        stuck = np.flatnonzero(~reach[:, k] & (demand[:, k] > 0))
        facilities = np.concatenate([np.flatnonzero(instance.candidate_hosts[:, k]),
                                     m + np.flatnonzero(instance.existing_hosts[:, k])])
        listed = stuck[:MAX_LISTED]
        fac, minutes = nearest_minutes(instance, listed, facilities)
        rows = []
        for i, f, t in zip(listed, fac, minutes, strict=True):
            rows.append({
                "community": instance.community_ids[i],
                "demand": float(demand[i, k]),
                "nearest": None if f < 0 else instance.facility_ids[f],
                "nearest_kind": None if f < 0 else ("site" if f < m else "existing"),
                "nearest_minutes": None if not np.isfinite(t) else round(float(t), 3),
            })
        categories.append({
            "category": cat.id,
            "threshold_min": cat.threshold_min,
            "target_share": target,
            "best_share": float(share[k]),
            "unreachable_communities": len(stuck),
            "unreachable_demand": float(demand[stuck, k].sum()),
            "communities": rows,
        })
        examples = ", ".join(
            f"{r['community']} (nearest {r['nearest']} at {r['nearest_minutes']} min)"
            if r["nearest"] is not None else f"{r['community']} (no facility reachable)"
            for r in rows[:3]
        )
        plural = "community has" if len(stuck) == 1 else "communities have"
        lines.append(f"{cat.id}: {len(stuck)} {plural} no site or existing facility "
                     f"within {cat.threshold_min:g} min, so at most {share[k]:.1%} of its demand "
                     f"can be covered (target {target:.1%}); e.g. {examples}")
    message = ("the target cannot be reached even with every candidate site opened:\n  "
               + "\n  ".join(lines))
    return {"message": message, "categories": categories}


def explain_limits(instance: Instance, needed_cost: float | None,
                   needed_new: int | None) -> dict[str, Any]:
    """Explain an infeasibility caused by the budget or ``max_new`` limits.

    Parameters
    ----------
    instance
        The instance.
    needed_cost, needed_new
        Least cost and facility count of meeting the target without the limits, if known.

    Returns
    -------
    dict
        ``message`` and the limits involved.
    """
    obj = instance.objective
    limits = []
    if obj.budget is not None:
        limits.append(f"budget {obj.budget:g}")
    if obj.max_new_total is not None:
        limits.append(f"max_new {obj.max_new_total}")
    if obj.max_new_per_category is not None:
        per = {c: int(n) for c, n in zip(instance.category_ids, obj.max_new_per_category,
                                         strict=True) if n >= 0}
        limits.append(f"max_new per category {per}")
    message = (f"every required community can be reached, but not within the limits "
               f"({', '.join(limits) or 'max_categories'})")
    if needed_cost is not None:
        message += (f"; without the limits the least cost is {needed_cost:g} with "
                    f"{needed_new} new facilities")
    return {"message": message, "limits": limits, "least_cost_without_limits": needed_cost,
            "new_facilities_without_limits": needed_new}


def fixed_conflicts(instance: Instance) -> list[str]:
    """Limits that the approved (``fixed``) facilities alone already break."""
    obj = instance.objective
    fixed = instance.fixed
    if not fixed.any():
        return []
    ids, cats = instance.site_ids, instance.category_ids
    pairs = np.argwhere(fixed)
    names = ", ".join(f"{cats[k]} at {ids[j]}" for j, k in pairs[:10])
    more = f" and {len(pairs) - 10} more" if len(pairs) > 10 else ""
    lines = []
    cost = float(instance.site_cost[fixed].sum()
                 + instance.site_open_cost[np.flatnonzero(fixed.any(axis=1))].sum())
    if obj.budget is not None and cost > obj.budget * (1 + 1e-9):
        lines.append(f"the approved facilities ({names}{more}) cost {cost:g}, more than the "
                     f"budget {obj.budget:g}")
    if obj.max_new_total is not None and len(pairs) > obj.max_new_total:
        lines.append(f"{len(pairs)} approved facilities ({names}{more}) exceed max_new "
                     f"{obj.max_new_total}")
    if obj.max_new_per_category is not None:
        per = fixed.sum(axis=0)
        lim = obj.max_new_per_category
        for k in np.flatnonzero((lim >= 0) & (per > lim)):
            at = ", ".join(ids[j] for j in np.flatnonzero(fixed[:, k])[:10])
            lines.append(f"{per[k]} approved {cats[k]!r} facilities (at {at}) exceed max_new "
                         f"{cats[k]} = {lim[k]}")
    per_site = fixed.sum(axis=1)
    for j in np.flatnonzero(per_site > instance.site_max_categories):
        lines.append(f"site {ids[j]!r} has {per_site[j]} approved categories, more than its "
                     f"max_categories {instance.site_max_categories[j]}")
    return lines


def explain_planning(instance: Instance, coverage: Coverage) -> dict[str, Any] | None:
    """Explain, before solving, why the planning rules cannot hold; None when they may.

    Checks the approved facilities against the limits, every equity rule against the best share
    each group can reach with every candidate site open, and a complete-basket target.

    Parameters
    ----------
    instance
        A validated instance.
    coverage
        Its coverage.

    Returns
    -------
    dict or None
        ``message`` and, for equity, ``groups``: every group that cannot reach its share with
        ``by``, ``group``, ``measure``, ``min_share`` and ``best_share``.
    """
    lines = fixed_conflicts(instance)
    best = coverage.precovered | coverage.coverable
    failing = []
    for rule in instance.objective.equity:
        for g in group_shares(instance, best, rule.by, rule.measure):
            if g["share"] < rule.min_share - SHARE_TOLERANCE:
                failing.append({"by": rule.by, "group": g["group"], "measure": rule.measure,
                                "min_share": rule.min_share, "best_share": g["share"]})
    for f in failing[:MAX_LISTED]:
        where = f"{f['by']} {f['group']!r}" if f["by"] else "the whole instance"
        lines.append(f"{where} reaches at most {f['best_share']:.1%} ({f['measure']}) even with "
                     f"every candidate site open, below the equity min_share "
                     f"{f['min_share']:.1%}")
    for stage in instance.objective.stages:
        if stage.type != "min_cost" or stage.target_share is None:
            continue
        if stage.target_measure == COMPLETE:
            reach = group_shares(instance, best, None, COMPLETE)
            share = reach[0]["share"] if reach else 1.0
            if share < stage.target_share - SHARE_TOLERANCE:
                lines.append(f"at most {share:.1%} of the population can live in complete "
                             f"communities even with every candidate site open, below the "
                             f"target {stage.target_share:.1%}")
    if not lines:
        return None
    message = "the planning rules cannot all hold:\n  " + "\n  ".join(lines)
    return {"message": message, "groups": failing}
