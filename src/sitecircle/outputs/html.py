"""The planner's report: one self-contained HTML page in Chinese and English.

:func:`render_report` returns the page; :func:`write_report` writes it (and, optionally, the
static PNG map of :mod:`sitecircle.outputs.static_map`). The page holds:

* headline numbers: complete communities and population before → after, new facilities, cost
  against the budget, solver status, gap and time;
* an interactive Leaflet map (the library is inlined: no CDN): communities coloured by the number
  of required categories they miss (after, or before, by layer), existing and new facilities in
  their category's colour, a layer control, scale and legend. Tiles are optional: with no
  basemap, or when the tile server cannot be reached, the map shows the data on a plain
  background (and says so);
* per-category coverage before → after as a table and an inline SVG bar chart;
* the new facilities, and the per-community gap table "缺什么、补什么" (what is missing, what is
  added, what is still missing), with a filter;
* the static map as an embedded PNG for printing;
* with phases (a plan over several years): a timeline of the shares reached and what each phase
  opens and costs, a ``phase`` column in the new-facilities table, and a phase filter above the
  map (every new facility, those opened up to a phase, or in one; preset by the address
  ``#phase=upto:ID`` or ``#phase=in:ID``).

Nothing is fetched when the page is opened except map tiles, and those only when asked for.
"""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from sitecircle._version import __version__
from sitecircle.files import write_text_atomic
from sitecircle.formatting import money, number, numbers_alike
from sitecircle.outputs.group_map import color_by_data
from sitecircle.outputs.groups import groups_section
from sitecircle.outputs.html_assets import CSS, LEAFLET_VERSION, MAP_JS, TABLE_JS, leaflet_head
from sitecircle.outputs.html_tables import (
    bar_chart,
    before_after,
    category_table,
    explanation_section,
    gap_table,
    new_table,
    pct,
)
from sitecircle.outputs.loads import loads_section
from sitecircle.outputs.lonlat import lonlat
from sitecircle.outputs.outcome import InstanceLike, Outcome, SolutionLike, as_outcome
from sitecircle.outputs.phases import open_phases, phase_ids, phase_section
from sitecircle.outputs.static_map import (
    MISSING_COLORS,
    category_color,
    render_map_png,
    write_map_png,
)

__all__ = ["TILES", "render_report", "write_report"]

#: Basemap presets: ``osm`` (OpenStreetMap), ``amap`` (Amap, GCJ-02: the data are shifted to
#: match it), ``none``. Any other value containing ``{z}`` is used as a tile URL template.
TILES: dict[str, dict[str, str] | None] = {
    "osm": {"name": "OpenStreetMap", "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "subdomains": "abc",
            "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">'
                           "OpenStreetMap</a> contributors"},
    "amap": {"name": "高德地图 Amap",
             "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                    "&style=8&x={x}&y={y}&z={z}",
             "subdomains": "1234", "attribution": "&copy; 高德地图 AutoNavi"},
    "none": None,
}
_STATUS = {"optimal": "最优", "feasible": "可行（未证明最优）", "infeasible": "不可行",
           "no_solution": "限时内无解"}
_OBJECTIVE = {"max_coverage": "最大覆盖 max coverage", "max_complete": "最多完整社区 max complete",
              "min_cost": "最小成本 min cost"}


def _tiles(tiles: str | None) -> dict[str, str] | None:
    if tiles is None:
        return None
    if tiles in TILES:
        return TILES[tiles]
    if "{z}" in tiles:
        return {"name": "底图 Basemap", "url": tiles, "subdomains": "abc", "attribution": ""}
    msg = f"unknown tiles {tiles!r}: use one of {', '.join(TILES)} or a URL with {{z}}/{{x}}/{{y}}"
    raise ValueError(msg)


def _map_data(out: Outcome, tiles: dict[str, str] | None, system: str) -> dict[str, Any]:
    inst = out.instance
    labels = [c.label for c in inst.categories]

    def names(mask: np.ndarray) -> str:
        return "、".join(labels[k] for k in np.flatnonzero(mask))

    def xy(points: np.ndarray) -> np.ndarray:
        return np.round(lonlat(inst, points, system), 7)

    site_names = inst.site_names or (None,) * inst.n_sites
    existing_names = inst.existing_names or (None,) * inst.n_existing
    unreachable = out.unreachable()
    comm = xy(inst.community_xy)
    pop = inst.population
    radius = 3 + 7 * np.sqrt(pop / max(float(pop.max(initial=0.0)), 1.0))
    n_before, n_after = out.missing_required(after=False), out.missing_required(after=True)
    communities = [{
        "id": cid, "name": out.community_names[i] or "", "lon": comm[i, 0], "lat": comm[i, 1],
        "pop": number(float(pop[i])), "r": round(float(radius[i]), 1),
        "nBefore": int(n_before[i]), "nAfter": int(n_after[i]),
        "missBefore": names(~out.covered_before[i]), "missAfter": names(~out.covered_after[i]),
        "gained": names(out.gained[i]), "unreachable": names(unreachable[i]),
    } for i, cid in enumerate(inst.community_ids)]
    ex = xy(inst.existing_xy)
    existing = [{"id": eid, "name": existing_names[e] or "", "lon": ex[e, 0], "lat": ex[e, 1],
                 "cats": [int(k) for k in np.flatnonzero(inst.existing_hosts[e])]}
                for e, eid in enumerate(inst.existing_ids)]
    pairs = out.open_pairs
    new_xy = xy(inst.site_xy[pairs[:, 0]])
    phases = phase_ids(out.solution)
    index = {pid: n for n, pid in enumerate(phases)}
    opened_in = [index.get(p, -1) if p is not None else -1 for p in open_phases(out.solution)]
    added = [{"site": inst.site_ids[j], "name": site_names[j] or "", "k": int(k),
              "lon": new_xy[f, 0], "lat": new_xy[f, 1],
              "cost": money(float(inst.site_cost[j, k]), out.currency),
              "pop": number(float(out.new_population[f])), "phase": opened_in[f]}
             for f, (j, k) in enumerate(pairs)]
    every = np.vstack([comm, ex, xy(inst.site_xy)])
    lo, hi = every.min(axis=0), every.max(axis=0)
    return {"communities": communities, "existing": existing, "added": added,
            "categories": [{"label": f"{c.label}" + (f" {c.id}" if c.label != c.id else ""),
                            "color": category_color(k)} for k, c in enumerate(inst.categories)],
            "missColors": list(MISSING_COLORS), "tiles": tiles, "phases": phases,
            "bounds": [[float(lo[1]), float(lo[0])], [float(hi[1]), float(hi[0])]]}


def _phase_filter(phases: list[str]) -> str:
    """The map's phase filter: every new facility, those opened up to a phase, or in one."""
    if not phases:
        return ""
    options = ["<option value='all'>全部新增设施 every new facility</option>"]
    for pid in phases:
        options.append(f"<option value='upto:{escape(pid)}'>截至 {escape(pid)} 期 opened up "
                       f"to {escape(pid)}</option>")
    for pid in phases:
        options.append(f"<option value='in:{escape(pid)}'>仅 {escape(pid)} 期 opened in "
                       f"{escape(pid)}</option>")
    return ("<div class='tools'><label>分期 <span class='en'>phase</span> <select "
            f"id='sc-phase'>{''.join(options)}</select></label> <span id='sc-phase-count' "
            "class='en'></span></div>")


def _card(zh: str, en: str, value: str, sub: str = "") -> str:
    return (f'<div class="card"><div class="k">{escape(zh)} <span class="en">{escape(en)}</span>'
            f'</div><div class="v">{value}</div><div class="s">{sub}</div></div>')


def _headline(out: Outcome) -> str:
    inst, sol = out.instance, out.solution
    req = inst.required
    pop = inst.population
    total = float(pop.sum())
    done_b = out.covered_before[:, req].all(axis=1)
    done_a = out.covered_after[:, req].all(axis=1)
    pop_b, pop_a = float(pop[done_b].sum()), float(pop[done_a].sum())

    def share(p: float) -> float:
        return p / total if total > 0 else 1.0

    cost = float(sol.get("cost") or 0.0)
    budget = inst.objective.budget
    budget_text = (f"预算 budget {escape(money(budget, out.currency))} · 用去 used "
                   f"{pct(cost / budget)}" if budget else "无预算上限 no budget limit")
    status = str(sol.get("status", "?"))
    solver = sol.get("solver") or {}
    gap = sol.get("gap")
    seconds = solver.get("seconds")
    objective, bound = numbers_alike(sol.get("objective"), sol.get("bound"))
    status_sub = (f"目标值 objective {objective} · 界 bound {bound} · "
                  f"间隙 gap {'—' if gap is None else f'{float(gap):.4%}'} · 用时 time "
                  f"{'—' if seconds is None else f'{float(seconds):.1f} s'} · "
                  f"{escape(str(solver.get('backend', '?')))}/"
                  f"{escape(str(solver.get('engine', '?')))}")
    cls = "good" if status in ("optimal", "feasible") else "bad"
    sites = len(set(out.open_pairs[:, 0].tolist()))
    return '<div class="cards">' + "".join([
        _card("完整社区", "complete communities",
              before_after(str(int(done_b.sum())), str(int(done_a.sum()))),
              f"共 of {inst.n_communities} 个社区 communities (全部必需品类 every required "
              "category)"),
        _card("完整覆盖人口", "population with the full basket",
              before_after(pct(share(pop_b)), pct(share(pop_a))),
              f"{number(pop_b)} → {number(pop_a)} / {number(total)}"),
        _card("新增设施", "new facilities", str(len(out.open_pairs)),
              f"分布在 at {sites} 个候选点 sites"),
        _card("成本", "cost", escape(money(cost, out.currency)), budget_text),
        _card("求解状态", "solver status",
              f'<span class="{cls}">{escape(_STATUS.get(status, status))}</span> '
              f'<span class="en" style="font-size:14px">{escape(status)}</span>', status_sub),
    ]) + "</div>"


def render_report(
    instance: InstanceLike | Outcome,
    solution: SolutionLike | None = None,
    *,
    tiles: str | None = "osm",
    static_map: bool = True,
    title: str | None = None,
    color_by: str | None = None,
) -> str:
    """Render the report page.

    Parameters
    ----------
    instance
        The instance (object, document or path), or an :class:`~sitecircle.outputs.outcome.Outcome`.
    solution
        Its solution (object, document or path); not needed with an ``Outcome``.
    tiles
        Basemap: ``"osm"`` (default), ``"amap"``, ``"none"``/None, or a tile URL template.
        The map falls back to no basemap when the tile server cannot be reached.
    static_map
        Embed the static PNG map (for printing).
    title
        Page title (default: the instance name).
    color_by
        Colour the communities on the map by this community label (e.g. ``street``), with a
        legend of its groups, instead of by the number of missing categories
        (:mod:`sitecircle.outputs.group_map`).

    Returns
    -------
    str
        A complete HTML document.

    Raises
    ------
    ValueError
        Unknown ``tiles``, or ``color_by`` is not a community label.
    InstanceError
        Invalid inputs, or a solution that does not belong to the instance.
    """
    tile_spec = _tiles(tiles)
    out = as_outcome(instance, solution)
    inst = out.instance
    gcj = tiles == "amap"
    map_data = _map_data(out, tile_spec, "gcj02" if gcj else "wgs84")
    if color_by is not None:
        map_data["colorBy"] = color_by_data(inst, color_by)
    data = json.dumps(map_data, ensure_ascii=False, allow_nan=False)
    data = data.replace("</", "<\\/")
    name = title or inst.name
    explanation = explanation_section(out)
    png = ""
    if static_map:
        b64 = base64.b64encode(render_map_png(out)).decode("ascii")
        png = ("<section><details><summary>静态地图（打印用） Static map for print</summary>"
               f"<img alt='static map' src='data:image/png;base64,{b64}'></details></section>")
    gaps = gap_table(out)
    table_js = TABLE_JS if "sc-gaps" in gaps else ""
    objective = _OBJECTIVE.get(inst.objective.type, inst.objective.type)
    shift = " 地图坐标已转为 GCJ-02 以匹配高德底图 (map shifted to GCJ-02 for Amap)." if gcj else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(name)} · 15 分钟便民生活圈补点方案 siting report</title>
{leaflet_head()}
<style>{CSS}</style>
</head>
<body>
<header><h1>15 分钟便民生活圈 · 补点方案 <span class="en">15-minute living circle: siting
report</span></h1><p>{escape(name)} · {escape(objective)} · {inst.n_communities} 个社区
communities · {inst.n_sites} 个候选点 candidate sites · {inst.n_existing} 个现有设施 existing
facilities · {inst.n_categories} 个品类 categories</p></header>
<main>
{_headline(out)}
{explanation}
{phase_section(out)}
<section><h2>地图 <span class="en">Map</span></h2>
{_phase_filter(map_data["phases"])}
<p id="sc-map-note">底图无法加载，已切换为无底图模式 · Basemap tiles could not be loaded: showing
the data without tiles.</p>
<div id="sc-map"></div></section>
<div class="row">
<section><h2>各品类覆盖率 <span class="en">Coverage by category (share of demand)</span></h2>
{bar_chart(out)}
{category_table(out)}
</section>
<section><h2>新增设施 <span class="en">New facilities</span></h2>{new_table(out)}</section>
{loads_section(out)}
</div>
{groups_section(out)}
<section><h2>缺什么、补什么 <span class="en">Per community: what is missing, what is added
</span></h2>{gaps}</section>
{png}
<footer>sitecircle {escape(__version__)} · 覆盖 = 步行时间 ≤ 品类阈值
(covered = walking time ≤ the category's threshold) · 完整 = 覆盖全部必需品类
(complete = every required category covered).{shift} Map: Leaflet {LEAFLET_VERSION}.</footer>
</main>
<script type="application/json" id="sc-data">{data}</script>
<script>{MAP_JS}</script>
<script>{table_js}</script>
</body>
</html>
"""


def write_report(
    instance: InstanceLike | Outcome,
    solution: SolutionLike | None,
    path: str | Path,
    *,
    png: str | Path | None = None,
    tiles: str | None = "osm",
    static_map: bool = True,
    color_by: str | None = None,
) -> Path:
    """Write the HTML report, and optionally the static PNG map beside it.

    Parameters
    ----------
    instance
        The instance (object, document or path), or an :class:`~sitecircle.outputs.outcome.Outcome`.
    solution
        Its solution (object, document or path); None with an ``Outcome``.
    path
        The HTML file; missing folders are created.
    png
        Also write the static map here.
    tiles
        Basemap; see :func:`render_report`.
    static_map
        Embed the static map in the page.
    color_by
        Colour the map's communities by this community label; see :func:`render_report`.

    Returns
    -------
    pathlib.Path
        The HTML file written.
    """

    out = as_outcome(instance, solution)
    p = write_text_atomic(path, render_report(out, tiles=tiles, static_map=static_map,
                                                 color_by=color_by))
    if png is not None:
        write_map_png(out, None, png)
    return p
