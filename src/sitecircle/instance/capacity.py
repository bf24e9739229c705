"""Capacities of an instance (FORMAT.md, "Planning extensions → Capacities"): checks and arrays.

Fields read here, all optional:

* ``categories[].capacity``: demand (in the category's own ``demand`` field) one new facility
  of the category can serve; ``categories[].min_load``: demand a new facility must serve at
  least;
* ``sites[].capacity``: a number (every category the site hosts) or an object per category,
  overriding the category's capacity for a new facility at this site;
* ``existing[].capacity``: a number or an object per category the facility offers (default:
  unlimited).

A category is *capacitated* when its ``capacity`` or ``min_load`` is set or a site or existing
facility states a capacity for it; there, a facility that states none is unlimited (``inf`` in
the arrays).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.checks import Collector, parse_number
from sitecircle.instance.fields import Category

__all__ = ["category_capacities", "facility_capacities"]


def category_capacities(col: Collector, data: dict[str, Any], cats: list[Category]
                        ) -> list[Category]:
    """Read ``categories[].capacity`` and ``min_load`` into the checked categories.

    Parameters
    ----------
    col
        The problem collector.
    data
        The decoded document (categories already checked by
        :func:`~sitecircle.instance.checks.categories`).
    cats
        The checked categories.

    Returns
    -------
    list of Category
        The categories with ``capacity`` and ``min_load`` filled where given.
    """
    records = data.get("categories")
    if not isinstance(records, list):
        return cats
    by_id: dict[str, tuple[int, dict[str, Any]]] = {}
    for n, rec in enumerate(records):
        if isinstance(rec, dict) and isinstance(rec.get("id"), str):
            by_id.setdefault(rec["id"], (n, rec))
    out = []
    for cat in cats:
        n, rec = by_id.get(cat.id, (-1, {}))
        field = f"categories[{n}]"
        cap = load = None
        if rec.get("capacity") is not None:
            cap = parse_number(col, rec["capacity"], f"{field}.capacity", cat.id, minimum=0)
        if rec.get("min_load") is not None:
            load = parse_number(col, rec["min_load"], f"{field}.min_load", cat.id, minimum=0)
        if cap is not None and load is not None and load > cap:
            col.add(f"{field}.min_load", f"{load:g} exceeds the category's capacity {cap:g}: no "
                    "new facility could open; lower min_load or raise capacity", cat.id)
        out.append(dataclasses.replace(cat, capacity=cap, min_load=load))
    return out


def facility_capacities(
    col: Collector, data: dict[str, Any], key: str, ids: list[str], hosts: NDArray[np.bool_],
    cats: list[Category],
) -> NDArray[np.float64]:
    """Capacity of every facility of ``data[key]`` (``sites`` or ``existing``) per category.

    Parameters
    ----------
    col
        The problem collector.
    data
        The decoded document.
    key
        ``"sites"`` or ``"existing"``.
    ids
        Checked record ids, in file order.
    hosts
        ``(records, K)``: the categories each record hosts.
    cats
        The categories, with their own ``capacity`` read.

    Returns
    -------
    ndarray
        ``(records, K)`` float: the stated capacity, for sites else the category's capacity,
        ``inf`` where unlimited (and where the category is not hosted).
    """
    n_cat = len(cats)
    out = np.full((len(ids), n_cat), np.inf)
    if key == "sites":
        default = np.array([np.inf if c.capacity is None else c.capacity for c in cats])
        out[:] = np.where(hosts, default[None, :], np.inf)
    records = data.get(key)
    if not isinstance(records, list):
        return out
    index = {c.id: k for k, c in enumerate(cats)}
    for n, rec in enumerate(records[:len(ids)]):
        if not isinstance(rec, dict) or rec.get("capacity") is None:
            continue
        field, rid, value = f"{key}[{n}].capacity", ids[n], rec["capacity"]
        if isinstance(value, dict):
            for cid, v in value.items():
                k = index.get(cid)
                if k is None:
                    col.add(f"{field}.{cid}", f"unknown category {cid!r} (known: "
                            f"{', '.join(index)})", rid)
                    continue
                if not hosts[n, k]:
                    col.add(f"{field}.{cid}", f"the facility does not offer {cid!r}; add it to "
                            "its categories or remove this capacity", rid)
                    continue
                got = parse_number(col, v, f"{field}.{cid}", rid, minimum=0)
                if got is not None:
                    out[n, k] = got
        else:
            got = parse_number(col, value, field, rid, minimum=0)
            if got is not None:
                out[n, hosts[n]] = got
    return out


def check_min_loads(
    col: Collector, cats: list[Category], site_capacity: NDArray[np.float64],
    site_ids: list[str],
) -> None:
    """Warn about sites whose capacity is below their category's ``min_load`` (never open)."""
    for k, cat in enumerate(cats):
        if not cat.min_load:
            continue
        low = np.flatnonzero(site_capacity[:, k] < cat.min_load)
        if len(low):
            names = ", ".join(repr(site_ids[j]) for j in low[:5])
            more = f" and {len(low) - 5} more" if len(low) > 5 else ""
            col.warn(f"sites[].capacity: {names}{more} have a capacity for {cat.id!r} below its "
                     f"min_load {cat.min_load:g}; they can never open it")
