"""Explanations of infeasible ``min_cost`` requirements and planning rules.

Before any solver runs, :func:`explain_unreachable_target` checks whether each required
category can reach its target share at all (every candidate site opened). When it cannot, the
explanation names the categories, the communities no site or existing facility reaches, and the
nearest facility of that category with its travel time.

When every category can be reached but not within the limits, :func:`explain_limits` names the
budget and ``max_new`` limits, and :func:`explain_max_categories` the sites whose
``max_categories`` cannot host every category only they bring within reach (the communities
involved), with the shares reachable together within the limits
(:func:`share_probe_instance` builds the instance whose best plan measures them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE, Objective
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
    target = strictest_target(instance.objective)
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


#: At most this many sites (and communities per site and category) are named.
MAX_NAMED = 10


def share_probe_instance(instance: Instance) -> Instance:
    """The instance whose best plan gives the shares reachable together within the limits.

    ``max_coverage`` with weight ``1 / total demand`` on each required category (0 elsewhere),
    no budget and no ``max_new``: its optimum maximises the sum of the required categories'
    shares under ``max_categories``, and the shares of that plan are reachable together.

    Parameters
    ----------
    instance
        A ``min_cost`` instance.

    Returns
    -------
    Instance
        The probe (same records, travel and coverage).
    """
    total = instance.demand.sum(axis=0)
    cats = tuple(dataclasses.replace(c, weight=float(1.0 / total[k]) if c.required and total[k] > 0
                                     else 0.0)
                 for k, c in enumerate(instance.categories))
    objective = dataclasses.replace(instance.objective, type="max_coverage", budget=None,
                                    max_new_total=None, max_new_per_category=None,
                                    target_share=1.0)
    return dataclasses.replace(instance, categories=cats, objective=objective)


def max_categories_conflicts(instance: Instance, coverage: Coverage) -> list[dict[str, Any]]:
    """Sites that are the only reach of more categories than their ``max_categories`` allows.

    For every required ``(community, category)`` pair with demand that no existing facility
    covers, the candidate sites in reach are counted; a site that is the *only* one for pairs
    of more categories than its ``max_categories`` cannot serve them all.

    Parameters
    ----------
    instance
        The instance.
    coverage
        Its coverage.

    Returns
    -------
    list of dict
        Per conflicting site (most over-subscribed first): ``site``, ``max_categories`` and
        ``categories`` (category id → ids of the communities only this site reaches).
    """
    n_cat = instance.n_categories
    c = coverage.community.astype(np.int64)
    k = coverage.category.astype(np.int64)
    s_ = coverage.site.astype(np.int64)
    keep = instance.required[k] & (instance.demand[c, k] > 0) & ~coverage.precovered[c, k]
    c, k, s_ = c[keep], k[keep], s_[keep]
    if len(c) == 0:
        return []
    _, first, counts = np.unique(c * n_cat + k, return_index=True, return_counts=True)
    sole = first[counts == 1]
    c, k, s_ = c[sole], k[sole], s_[sole]
    forced = np.unique(s_ * n_cat + k)
    per_site = np.bincount(forced // n_cat, minlength=instance.n_sites)
    over = np.flatnonzero(per_site > instance.site_max_categories)
    over = over[np.argsort(instance.site_max_categories[over] - per_site[over], kind="stable")]
    out = []
    for j in over:
        mine = s_ == j
        cats: dict[str, list[str]] = {}
        for kk in np.unique(k[mine]):
            comms = np.sort(c[mine & (k == kk)])
            cats[instance.category_ids[kk]] = [instance.community_ids[i] for i in comms]
        out.append({"site": instance.site_ids[j],
                    "max_categories": int(instance.site_max_categories[j]),
                    "categories": cats})
    return out


def explain_max_categories(
    instance: Instance, coverage: Coverage, shares: Mapping[str, float] | None
) -> dict[str, Any]:
    """Explain a ``min_cost`` target that ``max_categories`` makes unreachable.

    Parameters
    ----------
    instance
        The instance (its budget and ``max_new`` are known not to be the cause).
    coverage
        Its coverage.
    shares
        Share of each category in the best plan of :func:`share_probe_instance`, or None when
        it could not be solved.

    Returns
    -------
    dict
        ``message``, ``limits`` (``["max_categories"]``), ``sites`` (from
        :func:`max_categories_conflicts`) and ``best_shares_within_limits``.
    """
    target = instance.objective.target_share
    sites = max_categories_conflicts(instance, coverage)
    lines = []
    for row in sites[:MAX_NAMED]:
        parts = []
        for cid, comms in row["categories"].items():
            named = ", ".join(comms[:MAX_NAMED]) + (f" and {len(comms) - MAX_NAMED} more"
                                                    if len(comms) > MAX_NAMED else "")
            parts.append(f"{cid} ({named})")
        n = row["max_categories"]
        lines.append(f"site {row['site']} may host {n} categor{'y' if n == 1 else 'ies'} but is "
                     f"the only site within reach for {len(row['categories'])} categories: "
                     + "; ".join(parts))
    if len(sites) > MAX_NAMED:
        lines.append(f"... and {len(sites) - MAX_NAMED} more sites like this")
    if not lines:
        useful = np.zeros((instance.n_sites, instance.n_categories), dtype=bool)
        useful[coverage.site, coverage.category] = True
        useful &= instance.required[None, :]
        n_useful = useful.sum(axis=1)
        capped = np.flatnonzero(n_useful > instance.site_max_categories)
        named = ", ".join(f"{instance.site_ids[j]} ({int(instance.site_max_categories[j])} of "
                          f"{int(n_useful[j])} categories)" for j in capped[:MAX_NAMED])
        lines.append("no single site is the only reach of more categories than it may host; "
                     f"the sites limited by max_categories together fall short: {named}"
                     + (f" and {len(capped) - MAX_NAMED} more" if len(capped) > MAX_NAMED
                        else ""))
    required = [c.id for c in instance.categories if c.required]
    best = None
    if shares is not None:
        best = {cid: float(shares[cid]) for cid in required if cid in shares}
        reach = ", ".join(f"{cid} {v:.1%}" for cid, v in best.items())
        lines.append(f"within the limits, the plan covering the largest total share reaches "
                     f"{reach} (target {target:.1%} each)")
    message = ("every required community can be reached, but not with the categories each "
               "site may host (max_categories):\n  " + "\n  ".join(lines))
    return {"message": message, "limits": ["max_categories"], "sites": sites,
            "best_shares_within_limits": best, "target_share": target}


def strictest_target(objective: Objective) -> float:
    """The highest target the first ``min_cost`` stage asks for: the top-level ``target_share``,
    or with phases the highest phase ``target_share`` (the last phase's own overrides the top
    level's, FORMAT.md "Phases")."""
    if objective.phases is None:
        return objective.target_share
    return max((p.target_share for p in objective.phases if p.target_share is not None),
               default=0.0)


def phase_conflicts(instance: Instance) -> list[str]:
    """Phase limits that the approved facilities (opened in the first phase) already break."""
    phases = instance.objective.phases
    fixed = instance.fixed
    if phases is None or not fixed.any():
        return []
    cost = float(instance.site_cost[fixed].sum()
                 + instance.site_open_cost[np.flatnonzero(fixed.any(axis=1))].sum())
    first, lines = phases[0], []
    for name, limit in (("budget", first.budget), ("budget_to_date", first.budget_to_date)):
        if limit is not None and cost > limit * (1 + 1e-9):
            lines.append(f"the approved facilities open in the first phase {first.id!r} and cost "
                         f"{cost:g}, more than its {name} {limit:g}")
    if first.max_new is not None and int(fixed.sum()) > first.max_new:
        lines.append(f"{int(fixed.sum())} approved facilities open in the first phase "
                     f"{first.id!r}, more than its max_new {first.max_new}")
    return lines


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
    lines += phase_conflicts(instance)
    for s, stage in enumerate(instance.objective.stages):
        if stage.type != "min_cost" or stage.target_share is None:
            continue
        target = strictest_target(instance.objective) if s == 0 else stage.target_share
        if stage.target_measure == COMPLETE:
            reach = group_shares(instance, best, None, COMPLETE)
            share = reach[0]["share"] if reach else 1.0
            if share < target - SHARE_TOLERANCE:
                lines.append(f"at most {share:.1%} of the population can live in complete "
                             f"communities even with every candidate site open, below the "
                             f"target {target:.1%}")
    if not lines:
        return None
    message = "the planning rules cannot all hold:\n  " + "\n  ".join(lines)
    return {"message": message, "groups": failing}
