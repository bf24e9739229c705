"""Loads and assignments of capacitated categories, for the summary, the report and the layers.

Reads the solution's ``loads`` and ``assignments`` (FORMAT.md "Solution additions"); a solution
without them (no capacitated category) gives empty tables, and every caller then shows nothing
new. Utilisation is served / capacity (None for a facility of unlimited capacity). An existing
facility is flagged *at capacity* when its utilisation is at least :data:`FULL_SHARE` and demand
in the category is still unserved: people in its reach would come, but it has no room.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from sitecircle.outputs.outcome import Outcome

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["FULL_SHARE", "assignment_layer", "capacity_model_line", "facility_loads",
           "load_lines", "loads_section", "loads_text", "utilisation_html"]

#: Utilisation from which a facility counts as full.
FULL_SHARE = 0.999


def facility_loads(solution: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``(facility, category)`` → ``{"served", "capacity", "utilisation"}`` from a solution."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in solution.get("loads") or []:
        cap = rec.get("capacity")
        served = float(rec.get("served", 0.0))
        share = None if cap is None else (served / cap if cap > 0 else (1.0 if served <= 0
                                                                         else float("inf")))
        out[(rec["facility"], rec["category"])] = {"served": served, "capacity": cap,
                                                   "utilisation": share}
    return out


def _fmt(x: float | None) -> str:
    if x is None:
        return "∞"
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-6 else f"{x:,.1f}"


def _unserved(solution: Mapping[str, Any], category: str) -> bool:
    cov = (solution.get("coverage") or {}).get(category) or {}
    return float(cov.get("covered", 0.0)) < float(cov.get("total", 0.0)) - 1e-6


def load_lines(solution: Mapping[str, Any], new_sites: set[tuple[str, str]], limit: int = 12
               ) -> list[str]:
    """Terminal lines: load and utilisation of every new facility, then full existing ones.

    Parameters
    ----------
    solution
        The ``sitecircle.solution/1`` document.
    new_sites
        ``(site, category)`` of the new facilities.
    limit
        At most this many facility lines; the rest are counted.

    Returns
    -------
    list of str
        Empty when the solution has no loads.
    """
    loads = facility_loads(solution)
    if not loads:
        return []
    rows = []
    for (fid, cat), rec in loads.items():
        new = (fid, cat) in new_sites
        share = rec["utilisation"]
        full = share is not None and share >= FULL_SHARE and _unserved(solution, cat)
        if not new and not full:
            continue
        pct = "" if share is None else f" ({share:.0%})"
        flag = "" if new else "  existing, at capacity: demand in reach is left unserved"
        rows.append((0 if new else 1, -(share or 0.0),
                     f"  {fid:<10} {cat:<18} {_fmt(rec['served'])} / {_fmt(rec['capacity'])}"
                     f"{pct}{flag}"))
    if not rows:
        return []
    rows.sort(key=lambda r: (r[0], r[1]))
    lines = ["loads (served / capacity, utilisation):"] + [r[2] for r in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more (see the solution's loads)")
    return lines


def capacity_model_line(stats: Mapping[str, int | float]) -> str | None:
    """The capacitated model's size and reductions in one line, or None for another model."""
    if "demand_groups" not in stats:
        return None
    return (f"model: {int(stats.get('pairs_capacitated', 0)):,} capacitated pairs → "
            f"{int(stats['demand_groups']):,} demand groups (identical reach merged), "
            f"{int(stats.get('assignments', 0)):,} assignment variables, "
            f"{int(stats.get('pairs_free', 0)):,} pairs served free by unlimited existing "
            f"facilities, {int(stats.get('columns', 0)):,} site columns "
            f"({int(stats.get('columns_dominated', 0)):,} dominated), "
            f"{int(stats.get('nonzeros', 0)):,} nonzeros")


def utilisation_html(out: Outcome, site: str, category: str) -> str:
    """Served / capacity and a bar (the inside of a table cell); '' without a load."""
    rec = facility_loads(out.solution).get((site, category))
    if rec is None:
        return ""
    share = rec["utilisation"]
    if share is None:
        return f"{_fmt(rec['served'])} / ∞"
    width = int(round(100 * min(share, 1.0)))
    return (f"{_fmt(rec['served'])} / {_fmt(rec['capacity'])} ({share:.0%})"
            f"<div style='background:#eee;height:6px'><div style='background:"
            f"{'#c0392b' if share >= FULL_SHARE else '#2e86c1'};width:{width}%;height:6px'>"
            "</div></div>")


def loads_section(out: Outcome) -> str:
    """HTML section: existing facilities at capacity with demand left unserved, or ''."""
    loads = facility_loads(out.solution)
    existing = set(out.instance.existing_ids)
    rows = []
    for (fid, cat), rec in sorted(loads.items()):
        share = rec["utilisation"]
        if fid not in existing or share is None or share < FULL_SHARE:
            continue
        if not _unserved(out.solution, cat):
            continue
        rows.append(f"<tr><td>{escape(fid)}</td><td>{escape(cat)}</td><td class='n'>"
                    f"{_fmt(rec['served'])} / {_fmt(rec['capacity'])}</td><td>满负荷 at capacity"
                    "</td></tr>")
    if not rows:
        return ""
    return ("<section><h2>满负荷的现有设施 <span class='en'>Existing facilities at capacity "
            "(demand in reach left unserved)</span></h2><div class='scroll'><table><thead><tr>"
            "<th>设施 facility</th><th>品类 category</th><th class='n'>负荷 served / capacity"
            "</th><th></th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></div></section>")


def loads_text(solution: Mapping[str, Any], facility: str) -> str:
    """``"category served/capacity; …"`` of one facility (the layers' ``loads`` attribute)."""
    parts = [f"{cat} {_fmt(rec['served'])}/{_fmt(rec['capacity'])}"
             for (fid, cat), rec in facility_loads(solution).items() if fid == facility]
    return "; ".join(parts)


def assignment_layer(out: Outcome) -> gpd.GeoDataFrame | None:
    """Line layer from each community to the facility that serves it (None without any).

    Columns: ``community``, ``facility``, ``category``, ``served`` (and ``phase`` when the
    assignments are per phase); geometry: a straight line from the community to the facility,
    in the instance CRS.
    """
    records = out.solution.get("assignments") or []
    if not records:
        return None
    import geopandas as gpd  # noqa: PLC0415
    from shapely import linestrings  # noqa: PLC0415

    inst = out.instance
    c_index = {c: i for i, c in enumerate(inst.community_ids)}
    f_index = {f: j for j, f in enumerate(inst.facility_ids)}
    ci = np.array([c_index[r["community"]] for r in records], dtype=np.int64)
    fi = np.array([f_index[r["facility"]] for r in records], dtype=np.int64)
    a, b = inst.community_xy[ci], inst.facility_xy[fi]
    coords = np.stack([a, b], axis=1)
    columns: dict[str, Any] = {
        "community": [r["community"] for r in records],
        "facility": [r["facility"] for r in records],
        "category": [r["category"] for r in records],
        "served": np.array([float(r["served"]) for r in records]),
    }
    if any("phase" in r for r in records):  # phases: the assignment at the end of each phase
        columns["phase"] = [str(r.get("phase", "")) for r in records]
    return gpd.GeoDataFrame(columns, geometry=linestrings(coords), crs=inst.crs)
