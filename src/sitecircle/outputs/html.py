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
* the static map as an embedded PNG for printing.

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
from sitecircle.chinacoords import wgs84_to_gcj02
from sitecircle.outputs.html_assets import CSS, LEAFLET_VERSION, MAP_JS, TABLE_JS, leaflet_head
from sitecircle.outputs.loads import loads_section, utilisation_cell
from sitecircle.outputs.outcome import InstanceLike, Outcome, SolutionLike, as_outcome
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


def _num(x: float | None, digits: int = 4) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.{digits}g}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _tiles(tiles: str | None) -> dict[str, str] | None:
    if tiles is None:
        return None
    if tiles in TILES:
        return TILES[tiles]
    if "{z}" in tiles:
        return {"name": "底图 Basemap", "url": tiles, "subdomains": "abc", "attribution": ""}
    msg = f"unknown tiles {tiles!r}: use one of {', '.join(TILES)} or a URL with {{z}}/{{x}}/{{y}}"
    raise ValueError(msg)


def _lonlat(out: Outcome, xy: np.ndarray, gcj: bool) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if not out.instance.geographic and len(xy):
        from pyproj import Transformer  # noqa: PLC0415

        t = Transformer.from_crs(out.instance.crs, "EPSG:4326", always_xy=True)
        xy = np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
    if gcj and len(xy):
        xy = np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    return np.round(xy, 7)


def _map_data(out: Outcome, tiles: dict[str, str] | None, gcj: bool) -> dict[str, Any]:
    inst = out.instance
    labels = [c.label for c in inst.categories]

    def names(mask: np.ndarray) -> str:
        return "、".join(labels[k] for k in np.flatnonzero(mask))

    comm = _lonlat(out, inst.community_xy, gcj)
    pop = inst.population
    radius = 3 + 7 * np.sqrt(pop / max(float(pop.max(initial=0.0)), 1.0))
    n_before, n_after = out.missing_required(after=False), out.missing_required(after=True)
    communities = [{
        "id": cid, "name": out.community_names[i] or "", "lon": comm[i, 0], "lat": comm[i, 1],
        "pop": _num(float(pop[i])), "r": round(float(radius[i]), 1),
        "nBefore": int(n_before[i]), "nAfter": int(n_after[i]),
        "missBefore": names(~out.covered_before[i]), "missAfter": names(~out.covered_after[i]),
        "gained": names(out.gained[i]),
    } for i, cid in enumerate(inst.community_ids)]
    ex = _lonlat(out, inst.existing_xy, gcj)
    existing = [{"id": eid, "lon": ex[e, 0], "lat": ex[e, 1],
                 "cats": [int(k) for k in np.flatnonzero(inst.existing_hosts[e])]}
                for e, eid in enumerate(inst.existing_ids)]
    pairs = out.open_pairs
    new_xy = _lonlat(out, inst.site_xy[pairs[:, 0]], gcj)
    added = [{"site": inst.site_ids[j], "k": int(k), "lon": new_xy[f, 0], "lat": new_xy[f, 1],
              "cost": _num(float(inst.site_cost[j, k])), "pop": _num(float(out.new_population[f]))}
             for f, (j, k) in enumerate(pairs)]
    every = np.vstack([comm, ex, _lonlat(out, inst.site_xy, gcj)])
    lo, hi = every.min(axis=0), every.max(axis=0)
    return {"communities": communities, "existing": existing, "added": added,
            "categories": [{"label": f"{c.label}" + (f" {c.id}" if c.label != c.id else ""),
                            "color": category_color(k)} for k, c in enumerate(inst.categories)],
            "missColors": list(MISSING_COLORS), "tiles": tiles,
            "bounds": [[float(lo[1]), float(lo[0])], [float(hi[1]), float(hi[0])]]}


def _card(zh: str, en: str, value: str, sub: str = "") -> str:
    return (f'<div class="card"><div class="k">{escape(zh)} <span class="en">{escape(en)}</span>'
            f'</div><div class="v">{value}</div><div class="s">{sub}</div></div>')


def _before_after(a: str, b: str) -> str:
    return f'{escape(a)}<span class="arrow">→</span>{escape(b)}'


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
    budget_text = (f"预算 budget {_num(budget)} · 用去 used {_pct(cost / budget)}"
                   if budget else "无预算上限 no budget limit")
    status = str(sol.get("status", "?"))
    solver = sol.get("solver") or {}
    gap = sol.get("gap")
    seconds = solver.get("seconds")
    status_sub = (f"间隙 gap {'—' if gap is None else _pct(float(gap))} · 用时 time "
                  f"{'—' if seconds is None else f'{float(seconds):.1f} s'} · "
                  f"{escape(str(solver.get('backend', '?')))}/"
                  f"{escape(str(solver.get('engine', '?')))}")
    cls = "good" if status in ("optimal", "feasible") else "bad"
    sites = len(set(out.open_pairs[:, 0].tolist()))
    return '<div class="cards">' + "".join([
        _card("完整社区", "complete communities",
              _before_after(str(int(done_b.sum())), str(int(done_a.sum()))),
              f"共 of {inst.n_communities} 个社区 communities (全部必需品类 every required "
              "category)"),
        _card("完整覆盖人口", "population with the full basket",
              _before_after(_pct(share(pop_b)), _pct(share(pop_a))),
              f"{_num(pop_b)} → {_num(pop_a)} / {_num(total)}"),
        _card("新增设施", "new facilities", str(len(out.open_pairs)),
              f"分布在 at {sites} 个候选点 sites"),
        _card("成本", "cost", escape(_num(cost)), budget_text),
        _card("求解状态", "solver status",
              f'<span class="{cls}">{escape(_STATUS.get(status, status))}</span> '
              f'<span class="en" style="font-size:14px">{escape(status)}</span>', status_sub),
    ]) + "</div>"


def _bar_chart(out: Outcome) -> str:
    """Horizontal before/after bars per category, as inline SVG."""
    inst = out.instance
    demand = inst.demand
    total = demand.sum(axis=0)
    shares = [np.divide((demand * cov).sum(axis=0), total, out=np.ones(inst.n_categories),
                        where=total > 0) for cov in (out.covered_before, out.covered_after)]
    left, width, row = 150, 330, 34
    height = 30 + row * inst.n_categories
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 60} '
             f'{height}" width="100%" role="img" aria-label="coverage by category" '
             'style="max-width:600px;font-size:12px">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + width * tick
        parts.append(f'<line x1="{x}" y1="18" x2="{x}" y2="{height}" stroke="#d9e2ec"/>'
                     f'<text x="{x}" y="12" text-anchor="middle" fill="#616e7c">'
                     f"{tick:.0%}</text>")
    for k, c in enumerate(inst.categories):
        y = 22 + row * k
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">'
                     f"{escape(c.label)}</text>")
        for n, (color, value) in enumerate((("#b8c2cc", shares[0][k]), ("#2b6cb0",
                                                                        shares[1][k]))):
            w = max(width * float(value), 0.5)
            parts.append(f'<rect x="{left}" y="{y + 2 + 13 * n}" width="{w:.1f}" height="11" '
                         f'fill="{color}"><title>{escape(c.id)}: {_pct(float(value))}</title>'
                         f'</rect><text x="{left + w + 4:.1f}" y="{y + 11 + 13 * n}" '
                         f'font-size="10" fill="#52606d">{_pct(float(value))}</text>')
    parts.append(f'<rect x="{left}" y="{height - 4}" width="0" height="0"/></svg>')
    legend = ('<div class="s" style="font-size:12px"><span style="color:#b8c2cc">■</span> 补点前 '
              'before &nbsp; <span style="color:#2b6cb0">■</span> 补点后 after</div>')
    return "".join(parts) + legend


def _category_table(out: Outcome) -> str:
    inst, sol = out.instance, out.solution
    before, after = sol.get("coverage_before") or {}, sol.get("coverage") or {}
    demand = inst.demand
    total = demand.sum(axis=0)
    new = np.bincount(out.open_pairs[:, 1], minlength=inst.n_categories)
    rows = []
    for k, c in enumerate(inst.categories):
        b = before.get(c.id, {}).get("share")
        a = after.get(c.id, {}).get("share")
        if b is None or a is None:  # older files: recompute
            b = float((demand[:, k] * out.covered_before[:, k]).sum() / total[k]) if total[k] else 1
            a = float((demand[:, k] * out.covered_after[:, k]).sum() / total[k]) if total[k] else 1
        req = "✓" if c.required else "—"
        rows.append(f"<tr><td>{escape(c.label)} <span class='en'>{escape(c.id)}</span></td>"
                    f"<td class='n'>{c.threshold_min:g}</td><td>{escape(c.demand)}</td>"
                    f"<td class='n'>{req}</td><td class='n'>{_before_after(_pct(b), _pct(a))}"
                    f"</td><td class='n'>+{int(new[k])}</td></tr>")
    return ("<table><thead><tr><th>品类 category</th><th class='n'>阈值 min</th>"
            "<th>需求 demand</th><th class='n'>必需 required</th><th class='n'>覆盖率 coverage"
            "</th><th class='n'>新增 new</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def _new_table(out: Outcome) -> str:
    inst = out.instance
    if not len(out.open_pairs):
        return "<p>没有新增设施 No new facilities.</p>"
    rows = []
    capacities = bool(out.solution.get("loads"))
    order = np.argsort(-out.new_population, kind="stable")
    for f in order:
        j, k = out.open_pairs[f]
        c = inst.categories[k]
        dem = "" if c.demand == "population" else \
            f" <span class='en'>({escape(c.demand)} {_num(float(out.new_demand[f]))})</span>"
        rows.append(f"<tr><td>{escape(inst.site_ids[j])}</td><td><span class='tag' "
                    f"style='border-left:6px solid {category_color(int(k))}'>{escape(c.label)}"
                    f"</span></td><td class='n'>{_num(float(inst.site_cost[j, k]))}</td>"
                    f"<td class='n'>{int(out.new_communities[f])}</td><td class='n'>"
                    f"{_num(float(out.new_population[f]))}{dem}</td>"
                    + (utilisation_cell(out, inst.site_ids[j], c.id) if capacities else "")
                    + "</tr>")
    return ("<div class='scroll'><table><thead><tr><th>候选点 site</th><th>品类 category</th>"
            "<th class='n'>成本 cost</th><th class='n'>新覆盖社区 communities</th>"
            "<th class='n'>新覆盖人口 population</th>"
            + ("<th class='n'>负荷 load / capacity</th>" if capacities else "")
            + "</tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></div>")


def _gap_table(out: Outcome) -> str:
    inst = out.instance
    labels = [c.label for c in inst.categories]
    missing_before = ~out.covered_before
    rows_of = np.flatnonzero(missing_before.any(axis=1))
    if not len(rows_of):
        return "<p>补点前所有社区已覆盖全部品类 Every community already had every category.</p>"
    n_req = out.missing_required(after=False)
    order = sorted(rows_of, key=lambda i: (-int(n_req[i]), -float(inst.population[i])))
    rows = []
    for i in order:
        miss = "".join(f"<span class='tag miss'>{escape(labels[k])}</span>"
                       for k in np.flatnonzero(missing_before[i]))
        add = []
        for k in np.flatnonzero(out.gained[i]):
            j = int(out.served_site[i, k])
            how = (f" ← {escape(inst.site_ids[j])}, {out.served_minutes[i, k]:.0f} 分钟 min"
                   if j >= 0 else "")
            add.append(f"<span class='tag add'>{escape(labels[k])}{how}</span>")
        left = np.flatnonzero(~out.covered_after[i])
        still = "".join(f"<span class='tag miss'>{escape(labels[k])}</span>" for k in left) \
            or "—"
        complete = bool(out.covered_after[i, inst.required].all())
        name = out.community_names[i]
        label = escape(inst.community_ids[i]) + (f" {escape(name)}" if name else "")
        rows.append(f"<tr data-left='{int(not complete)}'><td>{label}</td><td class='n'>"
                    f"{_num(float(inst.population[i]))}</td><td>{miss}</td>"
                    f"<td>{''.join(add) or '—'}</td><td>{still}</td><td class='n'>"
                    f"{'<span class=good>✓</span>' if complete else '<span class=bad>✗</span>'}"
                    "</td></tr>")
    tools = ("<div class='tools'><input type='search' id='sc-filter' placeholder='筛选 filter: "
             "社区、品类 community, category'> <label><input type='checkbox' id='sc-only'> 只看"
             "仍不完整 only still incomplete</label></div>")
    return (tools + "<div class='scroll'><table id='sc-gaps'><thead><tr><th>社区 community</th>"
            "<th class='n'>人口 population</th><th>缺什么 missing before</th><th>补什么 added "
            "(← 新增点, 步行时间 new site, walk)</th><th>仍缺 still missing</th><th class='n'>"
            "完整 complete</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></div>")


def render_report(
    instance: InstanceLike | Outcome,
    solution: SolutionLike | None = None,
    *,
    tiles: str | None = "osm",
    static_map: bool = True,
    title: str | None = None,
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

    Returns
    -------
    str
        A complete HTML document.

    Raises
    ------
    ValueError
        Unknown ``tiles``.
    InstanceError
        Invalid inputs, or a solution that does not belong to the instance.
    """
    tile_spec = _tiles(tiles)
    out = as_outcome(instance, solution)
    inst, sol = out.instance, out.solution
    gcj = tiles == "amap"
    data = json.dumps(_map_data(out, tile_spec, gcj), ensure_ascii=False, allow_nan=False)
    data = data.replace("</", "<\\/")
    name = title or inst.name
    note = (sol.get("explanation") or {}).get("message")
    explanation = f"<section><h2>说明 Note</h2><p>{escape(str(note))}</p></section>" if note else ""
    png = ""
    if static_map:
        b64 = base64.b64encode(render_map_png(out)).decode("ascii")
        png = ("<section><details><summary>静态地图（打印用） Static map for print</summary>"
               f"<img alt='static map' src='data:image/png;base64,{b64}'></details></section>")
    gaps = _gap_table(out)
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
<section><h2>地图 <span class="en">Map</span></h2>
<p id="sc-map-note">底图无法加载，已切换为无底图模式 · Basemap tiles could not be loaded: showing
the data without tiles.</p>
<div id="sc-map"></div></section>
<div class="row">
<section><h2>各品类覆盖率 <span class="en">Coverage by category (share of demand)</span></h2>
{_bar_chart(out)}
{_category_table(out)}
</section>
<section><h2>新增设施 <span class="en">New facilities</span></h2>{_new_table(out)}</section>
{loads_section(out)}
</div>
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

    Returns
    -------
    pathlib.Path
        The HTML file written.
    """

    out = as_outcome(instance, solution)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_report(out, tiles=tiles, static_map=static_map), encoding="utf-8")
    if png is not None:
        write_map_png(out, None, png)
    return p
