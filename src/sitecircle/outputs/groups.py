"""Groups of communities (streets) in the outputs: summary lines, HTML table, layer rows.

The solution's ``groups`` (FORMAT.md, "Solution additions") hold the before/after share per group
of every equity rule and ``max_min_share``. Without them, an instance whose communities carry a
``street`` label still gets a per-street table of the complete-basket share. Everything is
recomputed from the :class:`~sitecircle.outputs.outcome.Outcome` (the independent verifier's
coverage), never read from the model.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from sitecircle.instance.fields import COMPLETE
from sitecircle.outputs.lonlat import lonlat
from sitecircle.outputs.outcome import Outcome
from sitecircle.solution import Solution
from sitecircle.verifier.groups import group_shares

#: The label used for the per-street table when the solution has no ``groups``.
STREET = "street"
#: Weakest groups listed in the terminal summary.
WEAKEST = 5


def summary_lines(solution: Solution) -> list[str]:
    """Terminal lines: every objective stage, and the weakest groups of every grouping."""
    lines = []
    for n, o in enumerate(solution.objectives or [], start=1):
        value = "—" if o.get("value") is None else f"{o['value']:,.6g}"
        bound = "—" if o.get("bound") is None else f"{o['bound']:,.6g}"
        lines.append(f"stage {n}: {o['type']:<14} value {value}  bound {bound}  "
                     f"({o.get('status', '')})")
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for g in solution.groups or []:
        by_key.setdefault((g["by"], g["measure"]), []).append(g)
    for (by, measure), groups in by_key.items():
        weakest = sorted(groups, key=lambda g: (g["share"], g["group"]))[:WEAKEST]
        floor = groups[0].get("min_share")
        rule = f", min_share {floor:.0%}" if floor is not None else ""
        lines.append(f"weakest {by} groups ({measure} share, before → after{rule}):")
        width = max(len(g["group"]) for g in weakest)
        lines += [f"  {g['group']:<{width}}  {g['share_before']:7.1%} → {g['share']:7.1%}"
                  for g in weakest]
    return lines


def group_rows(out: Outcome) -> list[dict[str, Any]]:
    """The groups to show: the solution's, else the complete share per ``street``."""
    given = out.solution.get("groups")
    if given:
        return list(given)
    inst = out.instance
    if STREET not in inst.community_labels or any(
            v is None for v in inst.community_labels[STREET]):
        return []
    before = {g["group"]: g for g in group_shares(inst, out.covered_before, STREET, COMPLETE)}
    rows = []
    for g in group_shares(inst, out.covered_after, STREET, COMPLETE):
        rows.append({"by": STREET, "group": g["group"], "measure": COMPLETE,
                     "population": g["total"], "communities": g["communities"],
                     "share_before": before[g["group"]]["share"], "share": g["share"]})
    return rows


#: Click a column head to sort the table by it (numbers numerically); click again to reverse.
SORT_JS = """
document.querySelectorAll('table.sc-sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, col) {
    th.style.cursor = 'pointer';
    th.addEventListener('click', function () {
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.dataset.dir !== 'up'; th.dataset.dir = up ? 'up' : 'down';
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v || a.cells[col].textContent;
        var y = b.cells[col].dataset.v || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def groups_section(out: Outcome) -> str:
    """The HTML section: one sortable table per grouping, the smallest share highlighted."""
    rows = group_rows(out)
    if not rows:
        return ""
    tables = []
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for g in rows:
        by_key.setdefault((g["by"], g["measure"]), []).append(g)
    for (by, measure), groups in by_key.items():
        low = min(g["share"] for g in groups)
        body = []
        for g in sorted(groups, key=lambda g: (g["share"], g["group"])):
            mark = " class='sc-weakest' style='background:#fde2e1;font-weight:600'" \
                if g["share"] <= low + 1e-12 else ""
            body.append(
                f"<tr{mark}><td>{escape(str(g['group']))}</td>"
                f"<td class='n' data-v='{g['population']}'>{g['population']:,.0f}</td>"
                f"<td class='n' data-v='{g['share_before']}'>{g['share_before']:.1%}</td>"
                f"<td class='n' data-v='{g['share']}'>{g['share']:.1%}</td>"
                f"<td class='n' data-v='{g['share'] - g['share_before']}'>"
                f"{g['share'] - g['share_before']:+.1%}</td></tr>")
        floor = groups[0].get("min_share")
        rule = f" · 最低份额 min_share {floor:.0%}" if floor is not None else ""
        what = "完整 complete basket" if measure == COMPLETE else escape(measure)
        tables.append(
            f"<h3>{escape(by)} · {what}{rule}</h3><div class='scroll'>"
            "<table class='sc-sortable'><thead><tr><th>分组 group</th>"
            "<th class='n'>人口 population</th><th class='n'>补点前 before</th>"
            "<th class='n'>补点后 after</th><th class='n'>变化 change</th></tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")
    return ("<section><h2>各街道 <span class='en'>Per street (group): share before → after; "
            "the smallest is highlighted; click a column to sort</span></h2>"
            + "".join(tables) + f"</section><script>{SORT_JS}</script>")


def group_layer(out: Outcome, coords: str = "wgs84") -> Any:
    """The per-group layer of the solution's ``groups``: one row per group; None without groups
    (equity rules or ``max_min_share``).

    A group carries its boundary when the instance has ``areas`` for its label (the optional
    field :mod:`sitecircle.instance.areas`, written by ``build-geo --areas``): a polygon in the
    instance CRS, or, with ``coords`` ``gcj02``/``bd09``, converted vertex by vertex to that
    longitude/latitude (:func:`~sitecircle.outputs.lonlat.lonlat`, EPSG:4326 as the other
    layers). Other groups have a null geometry.
    """
    rows = list(out.solution.get("groups") or [])
    if not rows:
        return None
    import geopandas as gpd  # noqa: PLC0415

    inst = out.instance
    columns = ["by", "group", "measure", "population", "communities", "share_before", "share",
               "min_share"]
    data = {c: [r.get(c) for r in rows] for c in columns}
    data["min_share"] = [float("nan") if v is None else v for v in data["min_share"]]
    crs = inst.crs
    if coords != "wgs84":
        data["coord_system"] = [coords] * len(rows)
        crs = "EPSG:4326"
    shapes: dict[str, Any] = {}
    areas = inst.areas
    if areas is not None:
        import shapely  # noqa: PLC0415

        polygons = shapely.from_geojson([json.dumps(g) for g in areas.geometries])
        if coords != "wgs84":
            polygons = shapely.transform(polygons, lambda xy: lonlat(inst, xy, coords))
        shapes = dict(zip(areas.groups, polygons, strict=True))
    geometry = [shapes.get(r["group"]) if areas is not None and r["by"] == areas.by else None
                for r in rows]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry), crs=crs)
