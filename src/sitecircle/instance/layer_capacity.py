"""``build-geo``: capacity columns of the sites and existing layers (FORMAT.md "Capacities").

A ``capacity`` column (or one mapped with ``--map sites.capacity=COLUMN``) gives one number for
every category of the facility; ``capacity_<category>`` columns (or ``--map
sites.capacity.<category>=COLUMN``) give one per category and win over ``capacity``. Blank cells
mean "no capacity stated" (the category's own, or unlimited for an existing facility); any other
non-number is reported with the layer, record id and column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sitecircle.errors import Problem
from sitecircle.instance.cells import cell_number, describe, is_blank, json_number
from sitecircle.instance.columns import find_column

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["capacity_columns", "layer_capacities"]


def _value(raw: Any) -> tuple[bool, float | None]:
    """``(blank, number)`` of a cell, read as every other number cell (``5,837``, ``５８３７``)."""
    return is_blank(raw), cell_number(raw)


def _capacity_columns_of(
    categories: Sequence[Mapping[str, Any]], gdf: gpd.GeoDataFrame, columns: Mapping[str, str],
) -> tuple[str | None, dict[str, str]]:
    """The ``capacity`` column (as mapped or found; it may be missing from the layer) and the
    per-category capacity columns, mapped or named ``capacity_<category>``."""
    cols = [str(c) for c in gdf.columns]
    per_cat: dict[str, str] = {}
    for c in categories:
        cid = str(c["id"])
        col = columns.get(f"capacity.{cid}") or find_column(cols, f"capacity_{cid}", {})
        if col is not None:
            per_cat[cid] = col
    return find_column(cols, "capacity", columns), per_cat


def capacity_columns(
    categories: Sequence[Mapping[str, Any]], gdf: gpd.GeoDataFrame, columns: Mapping[str, str],
) -> set[str]:
    """The capacity columns of a sites or existing layer that :func:`layer_capacities` reads."""
    whole, per_cat = _capacity_columns_of(categories, gdf, columns)
    return {c for c in (whole, *per_cat.values()) if c is not None and c in gdf.columns}


def layer_capacities(
    problems: list[Problem], categories: Sequence[Mapping[str, Any]], kind: str,
    gdf: gpd.GeoDataFrame, columns: Mapping[str, str], records: list[dict[str, Any]],
) -> None:
    """Set ``capacity`` (a number or a per-category object) on the records of one layer.

    Parameters
    ----------
    problems
        Where problems are reported.
    categories
        The instance's category objects.
    kind
        ``sites`` or ``existing``.
    gdf
        The layer.
    columns
        The layer's column mapping (``capacity``, ``capacity.<category>``).
    records
        The layer's records, in row order; changed in place.
    """
    whole, per_cat = _capacity_columns_of(categories, gdf, columns)
    for key, col in ((("capacity", whole),) + tuple((f"capacity.{cid}", col)
                                                    for cid, col in per_cat.items())):
        if col is not None and col not in gdf.columns:  # mapped to a column the layer lacks
            problems.append(Problem(f"{kind}: columns.{key}", f"no column {col!r}"))
    per_cat = {cid: col for cid, col in per_cat.items() if col in gdf.columns}
    if whole is not None and whole not in gdf.columns:
        whole = None
    if whole is None and not per_cat:
        return
    all_ids = [str(c["id"]) for c in categories]
    for n, rec in enumerate(records):
        cells: dict[str, float] = {}
        for cid, col in per_cat.items():
            if cid not in (rec.get("categories") or all_ids):
                continue
            blank, v = _value(gdf[col].iloc[n])
            if v is not None:
                cells[cid] = v
            elif not blank:
                problems.append(Problem(f"{kind}.{col}", f"capacity is "
                                        f"{describe(gdf[col].iloc[n])}, not a number", rec["id"]))
        number = None
        if whole is not None:
            blank, number = _value(gdf[whole].iloc[n])
            if number is None and not blank:
                problems.append(Problem(f"{kind}.{whole}", f"capacity is "
                                        f"{describe(gdf[whole].iloc[n])}, not a number", rec["id"]))
        if cells:
            hosted = rec.get("categories") or all_ids
            if number is not None:
                cells = {cid: cells.get(cid, number) for cid in hosted}
            rec["capacity"] = {k: json_number(v) for k, v in cells.items()}
        elif number is not None:
            rec["capacity"] = json_number(number)
