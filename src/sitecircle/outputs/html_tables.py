"""The report's tables and chart: per category, new facilities, per community, and the note.

Each table is a list of columns (:class:`Column`: a bilingual header and a cell function of the
row), so adding a column is adding one entry. Names are shown beside ids, the instance's
currency beside every cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np

from sitecircle.formatting import money, number
from sitecircle.outputs.loads import utilisation_html
from sitecircle.outputs.outcome import Outcome
from sitecircle.outputs.phases import open_phases, phase_order
from sitecircle.outputs.static_map import category_color

__all__ = ["Column", "bar_chart", "category_table", "explanation_section", "gap_table",
           "html_table", "named", "new_table", "pct"]


def pct(x: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{100 * x:.1f}%"


def before_after(a: str, b: str) -> str:
    """``a → b`` (escaped)."""
    return f'{escape(a)}<span class="arrow">→</span>{escape(b)}'


def named(rid: str, name: str | None) -> str:
    """An id with its name after it, escaped (``C001 竹溪小区``)."""
    return escape(rid) + (f" {escape(name)}" if name else "")


def _name(names: tuple[str | None, ...], i: int) -> str | None:
    return names[i] if i < len(names) else None


@dataclass(frozen=True)
class Column:
    """One table column: bilingual header, HTML cell of a row, right-aligned when numeric.

    ``nowrap`` keeps a short text (a name, a street) on one line.
    """

    zh: str
    en: str
    cell: Callable[[Any], str]
    numeric: bool = False
    nowrap: bool = False

    @property
    def attrs(self) -> str:
        """The ``class``/``style`` attributes of this column's cells."""
        cls = " class='n'" if self.numeric else ""
        return cls + (" style='white-space:nowrap'" if self.nowrap else "")


def html_table(columns: Sequence[Column], rows: Sequence[Any], *, table_id: str = "",
               row_attrs: Callable[[Any], str] | None = None) -> str:
    """A ``<table>`` of ``rows`` with ``columns``.

    Parameters
    ----------
    columns
        The columns.
    rows
        One item per row, passed to each column's ``cell``.
    table_id
        ``id`` attribute of the table.
    row_attrs
        Extra attributes of a ``<tr>``.

    Returns
    -------
    str
        HTML.
    """
    head = "".join(f"<th{c.attrs}>{escape(c.zh)} <span class='en'>{escape(c.en)}</span></th>"
                   for c in columns)
    body = []
    for row in rows:
        attrs = f" {row_attrs(row)}" if row_attrs else ""
        cells = "".join(f"<td{c.attrs}>{c.cell(row)}</td>" for c in columns)
        body.append(f"<tr{attrs}>{cells}</tr>")
    tid = f" id='{table_id}'" if table_id else ""
    return f"<table{tid}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(out: Outcome) -> str:
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
                         f'fill="{color}"><title>{escape(c.id)}: {pct(float(value))}</title>'
                         f'</rect><text x="{left + w + 4:.1f}" y="{y + 11 + 13 * n}" '
                         f'font-size="10" fill="#52606d">{pct(float(value))}</text>')
    parts.append(f'<rect x="{left}" y="{height - 4}" width="0" height="0"/></svg>')
    legend = ('<div class="s" style="font-size:12px"><span style="color:#b8c2cc">■</span> 补点前 '
              'before &nbsp; <span style="color:#2b6cb0">■</span> 补点后 after</div>')
    return "".join(parts) + legend


def category_table(out: Outcome) -> str:
    """Per category: threshold, demand field, required, coverage before → after, new count."""
    inst, sol = out.instance, out.solution
    before, after = sol.get("coverage_before") or {}, sol.get("coverage") or {}
    demand = inst.demand
    total = demand.sum(axis=0)
    new = np.bincount(out.open_pairs[:, 1], minlength=inst.n_categories)

    def shares(k: int) -> tuple[float, float]:
        c = inst.categories[k]
        b = before.get(c.id, {}).get("share")
        a = after.get(c.id, {}).get("share")
        if b is None or a is None:  # older files: recompute
            b = float((demand[:, k] * out.covered_before[:, k]).sum() / total[k]) if total[k] else 1
            a = float((demand[:, k] * out.covered_after[:, k]).sum() / total[k]) if total[k] else 1
        return float(b), float(a)

    cats = inst.categories
    columns = [
        Column("品类", "category", lambda k: f"{escape(cats[k].label)} <span class='en'>"
                                             f"{escape(cats[k].id)}</span>"),
        Column("阈值", "min", lambda k: f"{cats[k].threshold_min:g}", numeric=True),
        Column("需求", "demand", lambda k: escape(cats[k].demand)),
        Column("必需", "required", lambda k: "✓" if cats[k].required else "—", numeric=True),
        Column("覆盖率", "coverage", lambda k: before_after(*map(pct, shares(k))), numeric=True),
        Column("新增", "new", lambda k: f"+{int(new[k])}", numeric=True),
    ]
    return html_table(columns, range(inst.n_categories))


def new_table(out: Outcome) -> str:
    """The new facilities, most population newly covered first (by phase first, with phases)."""
    inst = out.instance
    if not len(out.open_pairs):
        return "<p>没有新增设施 No new facilities.</p>"

    def site(f: int) -> str:
        j = int(out.open_pairs[f, 0])
        return named(inst.site_ids[j], _name(inst.site_names, j))

    def category(f: int) -> str:
        k = int(out.open_pairs[f, 1])
        return (f"<span class='tag' style='border-left:6px solid {category_color(k)}'>"
                f"{escape(inst.categories[k].label)}</span>")

    def cost(f: int) -> str:
        j, k = out.open_pairs[f]
        return escape(money(float(inst.site_cost[j, k]), out.currency))

    def population(f: int) -> str:
        c = inst.categories[int(out.open_pairs[f, 1])]
        dem = "" if c.demand == "population" else \
            f" <span class='en'>({escape(c.demand)} {number(float(out.new_demand[f]))})</span>"
        return f"{number(float(out.new_population[f]))}{dem}"

    columns = [
        Column("候选点", "site", site, nowrap=True),
        Column("品类", "category", category),
        Column("成本", "cost", cost, numeric=True),
        Column("新覆盖社区", "communities", lambda f: str(int(out.new_communities[f])),
               numeric=True),
        Column("新覆盖人口", "population", population, numeric=True),
    ]
    phases = open_phases(out.solution)
    order_of = phase_order(out.solution)
    if order_of:  # a plan over several years: when each facility opens
        columns.insert(2, Column("分期", "phase", lambda f: escape(phases[f] or "—"),
                                 nowrap=True))
    if out.solution.get("loads"):  # capacities: served / capacity with a bar

        def load(f: int) -> str:
            j, k = out.open_pairs[f]
            return utilisation_html(out, inst.site_ids[j], inst.category_ids[k])

        columns.append(Column("负荷", "load / capacity", load, numeric=True))
    order = np.argsort(-out.new_population, kind="stable")
    if order_of:  # by phase, then most population newly covered first
        rank = np.array([order_of.get(p or "", len(order_of) + 1) for p in phases])
        order = order[np.argsort(rank[order], kind="stable")]
    return f"<div class='scroll'>{html_table(columns, [int(f) for f in order])}</div>"


def _label_columns(out: Outcome) -> list[Column]:
    """One column per community label other than ``name`` (街道 street, district, ...)."""
    def cell(values: tuple[str | None, ...]) -> Callable[[int], str]:
        return lambda i: escape(values[i] or "") if i < len(values) else ""

    return [Column(field, "", cell(values), nowrap=True)
            for field, values in out.instance.community_labels.items() if field != "name"]


def gap_table(out: Outcome) -> str:
    """Per community missing something before: what is missing, added, still missing."""
    inst = out.instance
    labels = [c.label for c in inst.categories]
    missing_before = ~out.covered_before
    rows_of = np.flatnonzero(missing_before.any(axis=1))
    if not len(rows_of):
        return "<p>补点前所有社区已覆盖全部品类 Every community already had every category.</p>"
    n_req = out.missing_required(after=False)
    order = sorted(rows_of, key=lambda i: (-int(n_req[i]), -float(inst.population[i])))
    names = inst.community_names

    def tags(ks: Any, cls: str) -> str:
        return "".join(f"<span class='tag {cls}'>{escape(labels[k])}</span>" for k in ks)

    def added(i: int) -> str:
        add = []
        for k in np.flatnonzero(out.gained[i]):
            j = int(out.served_site[i, k])
            how = (f" ← {named(inst.site_ids[j], _name(inst.site_names, j))}, "
                   f"{out.served_minutes[i, k]:.0f} 分钟 min" if j >= 0 else "")
            add.append(f"<span class='tag add'>{escape(labels[k])}{how}</span>")
        return "".join(add) or "—"

    def complete(i: int) -> bool:
        return bool(out.covered_after[i, inst.required].all())

    columns = [
        Column("社区", "community", lambda i: named(inst.community_ids[i], _name(names, i)),
               nowrap=True),
        *_label_columns(out),
        Column("人口", "population", lambda i: number(float(inst.population[i])), numeric=True),
        Column("缺什么", "missing before", lambda i: tags(np.flatnonzero(missing_before[i]),
                                                         "miss")),
        Column("补什么", "added (← 新增点, 步行时间 new site, walk)", added),
        Column("仍缺", "still missing",
               lambda i: tags(np.flatnonzero(~out.covered_after[i]), "miss") or "—"),
        Column("完整", "complete", lambda i: "<span class=good>✓</span>" if complete(i)
               else "<span class=bad>✗</span>", numeric=True),
    ]
    tools = ("<div class='tools'><input type='search' id='sc-filter' placeholder='筛选 filter: "
             "社区、品类 community, category'> <label><input type='checkbox' id='sc-only'> 只看"
             "仍不完整 only still incomplete</label></div>")
    table = html_table(columns, [int(i) for i in order], table_id="sc-gaps",
                       row_attrs=lambda i: f"data-left='{int(not complete(i))}'")
    return f"{tools}<div class='scroll'>{table}</div>"


def _unreachable_items(out: Outcome, explanation: dict[str, Any]) -> list[str]:
    inst = out.instance
    labels = {c.id: c.label for c in inst.categories}
    index = {c: i for i, c in enumerate(inst.community_ids)}
    facility_names = dict(zip(inst.facility_ids, inst.facility_names, strict=True))
    items = []
    for entry in explanation.get("categories") or []:
        cid = str(entry.get("category"))
        thr, n = float(entry.get("threshold_min", 0)), int(entry.get("unreachable_communities", 0))
        best, target = float(entry.get("best_share", 0)), float(entry.get("target_share", 0))
        rows = []
        for r in entry.get("communities") or []:
            i = index.get(str(r.get("community")))
            who = named(str(r.get("community")),
                        _name(inst.community_names, i) if i is not None else None)
            if r.get("nearest") is None:
                rows.append(f"<li>{who}: 没有任何可到达的设施 no facility reachable</li>")
                continue
            kind = "候选点 site" if r.get("nearest_kind") == "site" else "现有设施 existing"
            near = named(str(r["nearest"]), facility_names.get(str(r["nearest"])))
            rows.append(f"<li>{who}: 最近的{kind} {near}, {number(r.get('nearest_minutes'))} "
                        f"分钟 min</li>")
        more = n - len(rows)
        plural = "community has" if n == 1 else "communities have"
        if more > 0:
            rows.append(f"<li>… 另有 {more} 个 and {more} more</li>")
        items.append(
            f"<li><b>{escape(labels.get(cid, cid))}</b> <span class='en'>{escape(cid)}</span>: "
            f"{n} 个社区在 {thr:g} 分钟内没有任何候选点或现有设施，最多可覆盖 {pct(best)} 的需求"
            f"（目标 {pct(target)}）<br><span class='en'>{n} {plural} no candidate site "
            f"or existing facility within {thr:g} min, so at most {pct(best)} of the demand "
            f"can be covered (target {pct(target)})</span><ul>{''.join(rows)}</ul></li>")
    return items


def _limit_items(out: Outcome, explanation: dict[str, Any]) -> list[str]:
    items = [f"<li>所有社区都可到达，但在限制内达不到目标 <span class='en'>every community "
             f"can be reached, but not within the limits</span>: "
             f"{escape(', '.join(map(str, explanation.get('limits') or [])) or 'max_categories')}"
             "</li>"]
    cost = explanation.get("least_cost_without_limits")
    if cost is not None:
        n = explanation.get("new_facilities_without_limits")
        items.append(f"<li>不受限制时的最低成本 <span class='en'>least cost without the limits"
                     f"</span>: {escape(money(float(cost), out.currency))}, {n} 个新增设施 new "
                     "facilities</li>")
    return items


def explanation_section(out: Outcome) -> str:
    """The solution's explanation: a structured bilingual list when it has structure."""
    explanation = out.solution.get("explanation") or {}
    message = explanation.get("message")
    if not message:
        return ""
    if explanation.get("categories"):
        items = _unreachable_items(out, explanation)
        lead = ("<p>即使开设全部候选点也达不到目标 <span class='en'>The target cannot be reached "
                "even with every candidate site opened.</span> "
                "无法到达的社区在地图上以虚线圈标出（静态地图中为 ✕） "
                "<span class='en'>(the communities out of reach are ringed on the "
                "map, marked ✕ on the static map)</span>"
                "</p>")
    elif "limits" in explanation:
        items, lead = _limit_items(out, explanation), ""
    else:
        return f"<section><h2>说明 <span class='en'>Note</span></h2><p>{escape(str(message))}" \
               "</p></section>"
    return (f"<section id='sc-explanation'><h2>为什么没有方案 <span class='en'>Why there is no "
            f"plan</span></h2>{lead}<ul>{''.join(items)}</ul></section>")
