"""Validation of ``sitecircle.instance/1`` documents: every record checked, every problem listed.

:func:`validated_fields` turns a decoded document into the fields of an
:class:`~sitecircle.instance.data.Instance`, or raises one
:class:`~sitecircle.errors.InstanceError` listing every problem (field path, record id, what is
wrong, the fix). It is a low leaf: it imports the instance's parts, never the stages above.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sitecircle.errors import InstanceError, Problem
from sitecircle.instance.areas import check_areas
from sitecircle.instance.capacity import (
    category_capacities,
    check_min_loads,
    facility_capacities,
)
from sitecircle.instance.catalog import expand_catalog_categories
from sitecircle.instance.checks import TOP_KEYS, Collector, categories, check_crs
from sitecircle.instance.extent import far_records
from sitecircle.instance.fields import FORMAT_ID
from sitecircle.instance.planning import check_group_labels
from sitecircle.instance.records import (
    check_communities,
    check_existing,
    check_objective,
    check_sites,
    check_travel,
    record_names,
)


def validated_fields(
    data: Any, *, base_dir: str | Path | None = None, default_name: str | None = None
) -> dict[str, Any]:
    """Validate a decoded ``sitecircle.instance/1`` document; return the instance's fields.

    Parameters
    ----------
    data
        The decoded JSON document.
    base_dir
        Folder that relative file paths are resolved against (default: current folder).
    default_name
        Name used when the document has none.

    Returns
    -------
    dict
        Keyword arguments of :class:`~sitecircle.instance.data.Instance`.

    Raises
    ------
    InstanceError
        Listing every problem found.
    """

    col = Collector()
    data = expand_catalog_categories(data)
    if not isinstance(data, dict):
        raise InstanceError([Problem("(document)",
                                     f"must be a JSON object, got {type(data).__name__}")])
    fmt = data.get("format")
    if fmt != FORMAT_ID:
        col.add("format", f"must be {FORMAT_ID!r}, got {fmt!r}")
    col.unknown_keys(data, TOP_KEYS, "(document)", error=False)
    name = data.get("name", default_name or "instance")
    if not isinstance(name, str):
        col.add("name", f"must be a string, got {name!r}")
        name = default_name or "instance"
    crs, geographic = check_crs(col, data.get("crs"))
    currency = data.get("currency")
    if currency is not None and not (isinstance(currency, str) and currency.strip()):
        col.add("currency", f"must be a non-empty string such as \"万元\" or \"CNY\", got "
                f"{currency!r}")
        currency = None
    cats = category_capacities(col, data, categories(col, data))
    cat_index = {c.id: k for k, c in enumerate(cats)}
    comm = check_communities(col, data, cats, geographic)
    sites = check_sites(col, data, cat_index, geographic)
    existing = check_existing(col, data, cat_index, geographic)
    for sid in sorted(set(sites["ids"]) & set(existing["ids"])):
        col.add("existing", "id also used by a site; ids must be unique across sites and "
                "existing", sid)
    for message in far_records([("communities", comm["ids"], comm["xy"]),
                                ("sites", sites["ids"], sites["xy"]),
                                ("existing", existing["ids"], existing["xy"])], geographic):
        col.warn(message)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    travel = check_travel(col, data.get("travel"), comm["ids"],
                          list(sites["ids"]) + list(existing["ids"]), base)
    objective = check_objective(col, data.get("objective"), cat_index)
    check_group_labels(col, [("objective.equity.by", r.by) for r in objective.equity]
                       + [("objective.by", s.by) for s in objective.stages
                          if s.type == "max_min_share"],
                       comm["labels"], comm["ids"])
    site_capacity = facility_capacities(col, data, "sites", sites["ids"], sites["hosts"], cats)
    existing_capacity = facility_capacities(col, data, "existing", existing["ids"],
                                            existing["hosts"], cats)
    check_min_loads(col, cats, site_capacity, sites["ids"])
    areas = check_areas(col, data.get("areas"), comm["labels"])
    if col.problems:
        raise col.error()
    return dict(
        name=name,
        crs=crs,
        geographic=geographic,
        categories=tuple(cats),
        community_ids=tuple(comm["ids"]),
        community_xy=comm["xy"],
        community_fields=comm["fields"],
        community_labels=comm["labels"],
        site_names=record_names(data, "sites"),
        existing_names=record_names(data, "existing"),
        currency=currency,
        site_ids=tuple(sites["ids"]),
        site_xy=sites["xy"],
        site_hosts=sites["hosts"],
        site_cost=sites["cost"],
        site_open_cost=sites["open_cost"],
        site_max_categories=sites["max_categories"],
        site_fixed=sites["fixed"] if sites["fixed"].any() else None,
        site_excluded=sites["excluded"] if sites["excluded"].any() else None,
        existing_ids=tuple(existing["ids"]),
        existing_xy=existing["xy"],
        existing_hosts=existing["hosts"],
        site_capacity=site_capacity,
        existing_capacity=existing_capacity,
        travel=travel,
        objective=objective,
        areas=areas,
        source=None,
        warnings=tuple(col.warnings),
    )

