"""Independent recomputation of group shares, equity rules and stage values.

FORMAT.md, "Groups and equity": communities are grouped by a label (``by``); a group's share is,
for ``measure == "complete"``, the population of its complete communities over its population,
else the covered demand of the category ``measure`` over the group's demand of it. Groups with
zero population (demand) are left out. Without ``by`` the whole instance is one group, named
``"all"``.

Everything here reads only the instance and a coverage matrix recomputed by
:mod:`sitecircle.verifier.check`; nothing comes from the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE, Stage
from sitecircle.instance.groups import ALL, group_index, measure_weights

#: A share counts as meeting ``min_share`` within this absolute tolerance.
SHARE_TOLERANCE = 1e-9


def measured(instance: Instance, covered: NDArray[np.bool_], measure: str) -> NDArray[np.bool_]:
    """Whether every community counts in the measure: complete, or covered for the category."""
    if measure == COMPLETE:
        return np.asarray(covered[:, instance.required].all(axis=1), dtype=bool)
    return np.asarray(covered[:, instance.category_ids.index(measure)], dtype=bool)


def group_shares(
    instance: Instance, covered: NDArray[np.bool_], by: str | None, measure: str
) -> list[dict[str, Any]]:
    """Share of every group with a positive total, in group-name order.

    Parameters
    ----------
    instance
        A validated instance.
    covered
        ``(n_communities, n_categories)`` bool coverage.
    by, measure
        The rule's grouping and measure.

    Returns
    -------
    list of dict
        ``group``, ``communities``, ``total`` (population or demand), ``reached`` and ``share``.
    """
    names, group = group_index(instance, by)
    weight = measure_weights(instance, measure)
    hit = measured(instance, covered, measure)
    total = np.bincount(group, weights=weight, minlength=len(names))
    reached = np.bincount(group, weights=weight * hit, minlength=len(names))
    count = np.bincount(group, minlength=len(names))
    return [{"group": names[g], "communities": int(count[g]), "total": float(total[g]),
             "reached": float(reached[g]), "share": float(reached[g] / total[g])}
            for g in range(len(names)) if total[g] > 0]


def min_share(instance: Instance, covered: NDArray[np.bool_], by: str | None,
              measure: str) -> float:
    """The smallest group share (1 when no group has a positive total)."""
    shares = [g["share"] for g in group_shares(instance, covered, by, measure)]
    return min(shares) if shares else 1.0


def equity_violations(instance: Instance, covered: NDArray[np.bool_]) -> list[str]:
    """Every group below its rule's ``min_share``."""
    out = []
    for rule in instance.objective.equity:
        for g in group_shares(instance, covered, rule.by, rule.measure):
            if g["share"] < rule.min_share - SHARE_TOLERANCE:
                where = f"{rule.by} {g['group']!r}" if rule.by else "the whole instance"
                out.append(f"{where}: {rule.measure} share {g['share']:.6f} is below the "
                           f"equity min_share {rule.min_share:g}")
    return out


def stage_value(
    instance: Instance, stage: Stage, covered: NDArray[np.bool_], cost: float,
    served: NDArray[np.float64] | None = None,
) -> float:
    """Value of one objective stage for a recomputed coverage and cost.

    ``served`` is the demand served per category ``(K,)`` when it is not the demand of the
    covered communities (capacitated categories count what is served, FORMAT.md "Capacities").
    """
    if stage.type == "min_cost":
        return cost
    if stage.type == "max_complete":
        return float(instance.population[covered[:, instance.required].all(axis=1)].sum())
    if stage.type == "max_min_share":
        return min_share(instance, covered, stage.by, stage.measure)
    if served is None:
        served = (instance.demand * covered).sum(axis=0)
    return float((instance.weight * served).sum())


def target_violations(
    instance: Instance, stage: Stage, covered: NDArray[np.bool_],
    served: NDArray[np.float64] | None = None,
) -> list[str]:
    """A ``min_cost`` stage's target that is not met (category shares or complete share);
    ``served`` as in :func:`stage_value`."""
    if stage.type != "min_cost" or stage.target_share is None:
        return []
    target = stage.target_share
    if stage.target_measure == COMPLETE:
        pop = instance.population
        total = float(pop.sum())
        share = float(pop[covered[:, instance.required].all(axis=1)].sum()) / total if total \
            else 1.0
        if share < target - SHARE_TOLERANCE:
            return [f"complete share {share:.6f} is below the target {target:g}"]
        return []
    demand = instance.demand
    got = (demand * covered).sum(axis=0) if served is None else served
    total = demand.sum(axis=0)
    share = np.divide(got, total, out=np.ones_like(got), where=total > 0)
    return [f"category {instance.category_ids[k]!r} covers {share[k]:.6f} of its demand, below "
            f"the target {target:g}"
            for k in np.flatnonzero(instance.required & (share < target - SHARE_TOLERANCE))]


def groups_report(
    instance: Instance, covered: NDArray[np.bool_], before: NDArray[np.bool_]
) -> list[dict[str, Any]]:
    """The solution's ``groups``: before/after share per group, for every rule's field and measure.

    One entry per group of every distinct ``(by, measure)`` among the equity rules and a
    ``max_min_share`` objective or stage; ``population`` is the group's population,
    ``total`` its population or demand in the measure.
    """
    obj = instance.objective
    keys: list[tuple[str | None, str, float | None]] = [
        (r.by, r.measure, r.min_share) for r in obj.equity]
    keys += [(s.by, s.measure, None) for s in obj.stages if s.type == "max_min_share"]
    out: list[dict[str, Any]] = []
    seen: set[tuple[str | None, str]] = set()
    for by, measure, floor in keys:
        if (by, measure) in seen:
            continue
        seen.add((by, measure))
        names, group = group_index(instance, by)
        population = np.bincount(group, weights=instance.population, minlength=len(names))
        was = {g["group"]: g["share"] for g in group_shares(instance, before, by, measure)}
        for g in group_shares(instance, covered, by, measure):
            entry = {"by": by or ALL, "group": g["group"], "measure": measure,
                     "population": float(population[names.index(g["group"])]),
                     "communities": g["communities"], "total": g["total"],
                     "share_before": was[g["group"]], "share": g["share"]}
            if floor is not None:
                entry["min_share"] = floor
            out.append(entry)
    return out
