"""Why a capacitated ``min_cost`` target cannot be met (FORMAT.md "Capacities")."""

from __future__ import annotations

from typing import Any

import numpy as np

from sitecircle.instance.data import Instance

__all__ = ["explain_capacities"]


def explain_capacities(instance: Instance) -> dict[str, Any]:
    """Explain an infeasibility that remains without ``budget`` and ``max_new``: capacities.

    Parameters
    ----------
    instance
        A capacitated instance whose target is reachable but not servable.

    Returns
    -------
    dict
        ``message`` and, per capacitated required category, its demand and the capacity of
        every site and existing facility together (``inf`` when one is unlimited).
    """
    demand = instance.demand.sum(axis=0)
    site_cap = np.where(instance.site_hosts, instance.site_capacities, 0.0).sum(axis=0)
    ex_cap = np.where(instance.existing_hosts, instance.existing_capacities, 0.0).sum(axis=0)
    rows: list[dict[str, Any]] = []
    short: list[str] = []
    for k in np.flatnonzero(instance.capacitated & instance.required):
        total = float(site_cap[k] + ex_cap[k])
        rows.append({"category": instance.category_ids[k], "demand": float(demand[k]),
                     "capacity_all_sites_and_existing": total})
        if total < demand[k] * instance.objective.target_share:
            short.append(instance.category_ids[k])
    what = f" ({', '.join(short)}: less capacity than demand in total)" if short else ""
    message = ("every required community can be reached, but even with every site open the "
               f"capacities cannot serve the target{what}, or a min_load cannot be met; raise "
               "categories[].capacity / sites[].capacity / existing[].capacity, add sites, lower "
               "min_load or lower target_share")
    return {"message": message, "capacities": rows}
