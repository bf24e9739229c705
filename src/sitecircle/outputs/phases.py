"""A plan over several years (FORMAT.md "Phases") in the outputs: summary lines and the timeline.

Everything here reads the ``sitecircle.solution/1`` document: ``open[].phase`` (the phase in
which a facility opens) and ``phases`` (per phase, in order: ``id``, ``cost``, ``new``,
``value``, ``coverage`` per category and ``complete``, all at the end of that phase; ``cost``
and ``new`` are what that phase spends and opens). A solution without phases gives no lines, no
section and ``None`` phases, so the outputs of an ordinary solve are unchanged.

Phase order is the order of ``phases``; a phase named in ``open`` but not listed there (a
hand-edited file) follows in the order it first appears.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from sitecircle.formatting import money, number
from sitecircle.instance.data import Instance
from sitecircle.outputs.outcome import Outcome

__all__ = ["covered_share", "open_phases", "phase_ids", "phase_lines", "phase_order",
           "phase_records", "phase_section", "timeline_svg"]


def phase_records(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The solution's ``phases`` entries (dicts only), or ``[]`` without phases."""
    phases = doc.get("phases")
    if not isinstance(phases, list):
        return []
    return [p for p in phases if isinstance(p, dict) and "id" in p]


def open_phases(doc: Mapping[str, Any]) -> list[str | None]:
    """The phase of every ``open`` entry, in order (None where it has none)."""
    items = doc.get("open") or []
    return [None if not isinstance(o, dict) or o.get("phase") is None else str(o["phase"])
            for o in items]


def phase_ids(doc: Mapping[str, Any]) -> list[str]:
    """Phase ids in order: those of ``phases``, then any other phase ``open`` names."""
    ids = [str(p["id"]) for p in phase_records(doc)]
    for phase in open_phases(doc):
        if phase is not None and phase not in ids:
            ids.append(phase)
    return ids


def phase_order(doc: Mapping[str, Any]) -> dict[str, int]:
    """Phase id → its 1-based position (``phase_order`` in the GIS layers)."""
    return {pid: n + 1 for n, pid in enumerate(phase_ids(doc))}


def covered_share(instance: Instance, coverage: Mapping[str, Any]) -> float | None:
    """Weighted share of all categories' demand covered: ``Σ w_k covered_k / Σ w_k total_k``.

    Parameters
    ----------
    instance
        The instance (category weights).
    coverage
        Per category id: ``{"covered", "total", ...}``.

    Returns
    -------
    float or None
        The share, 1 when there is no demand, None when a category is missing.
    """
    try:
        covered = np.array([float(coverage[c]["covered"]) for c in instance.category_ids])
        total = np.array([float(coverage[c]["total"]) for c in instance.category_ids])
    except (KeyError, TypeError, ValueError):
        return None
    denominator = float(instance.weight @ total)
    return float(instance.weight @ covered) / denominator if denominator > 0 else 1.0


def _share(x: Any) -> str:
    return "—" if x is None else f"{100 * float(x):.1f}%"


def new_by_phase(doc: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Phase id → category id → number of new facilities opened in that phase."""
    out: dict[str, dict[str, int]] = {pid: {} for pid in phase_ids(doc)}
    for item, phase in zip(doc.get("open") or [], open_phases(doc), strict=True):
        if phase is not None and isinstance(item, dict):
            per = out.setdefault(phase, {})
            cat = str(item.get("category"))
            per[cat] = per.get(cat, 0) + 1
    return out


def phase_lines(instance: Instance, doc: Mapping[str, Any]) -> list[str]:
    """Terminal lines of the plan by phase (none without phases).

    One line per phase: what opens (count and per category), what it costs (and the total to
    date), and at the end of the phase the objective value, the weighted share of demand covered
    and the share of population in complete communities.

    Parameters
    ----------
    instance
        The instance (category labels, weights, currency).
    doc
        The solution document (or a mapping with ``open`` and ``phases``).

    Returns
    -------
    list of str
        The lines, with a heading line; ``[]`` when the solution has no phases.
    """
    ids = phase_ids(doc)
    if not ids:
        return []
    records = {str(p["id"]): p for p in phase_records(doc)}
    per_phase = new_by_phase(doc)
    order = {c: k for k, c in enumerate(instance.category_ids)}
    width = max(len(p) for p in ids)
    lines = ["by phase (opened in the phase; value and shares at its end):"]
    to_date = 0.0
    for pid in ids:
        rec = records.get(pid, {})
        cats = per_phase.get(pid, {})
        n_new = sum(cats.values())
        cost = rec.get("cost")
        to_date += float(cost or 0.0)
        which = ", ".join(f"{c} {n}" for c, n in sorted(cats.items(),
                                                          key=lambda kv: order.get(kv[0], 0)))
        complete = (rec.get("complete") or {}).get("share")
        coverage = rec.get("coverage")
        covered = covered_share(instance, coverage) if isinstance(coverage, Mapping) else None
        lines.append(
            f"  {pid:<{width}}  +{n_new} new · cost {money(cost, instance.currency)} "
            f"(to date {money(to_date, instance.currency)}) · value {number(rec.get('value'))} "
            f"· covered {_share(covered)} · complete {_share(complete)}")
        if which:
            indent = " " * (width + 4)
            lines += textwrap.wrap(which, width=100, initial_indent=indent,
                                   subsequent_indent=indent)
    return lines


def timeline_svg(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]],
                 notes: Sequence[str]) -> str:
    """A small inline SVG: per phase, one bar per share series, with a note under each phase.

    Parameters
    ----------
    labels
        Phase ids, left to right.
    series
        ``(name, colour, shares)`` per bar of a phase; shares in [0, 1] (None: no bar).
    notes
        One short text under each phase (what it opens and costs).

    Returns
    -------
    str
        The ``<svg>`` element and its legend.
    """
    n = len(labels)
    group, bar, top, plot = 150, 30, 20, 160
    width = 50 + group * n
    height = top + plot + 44
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="plan by phase" id="sc-timeline" '
             f'style="max-width:{width}px;font-size:11px">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot * (1 - tick)
        parts.append(f'<line x1="40" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#d9e2ec"/>'
                     f'<text x="36" y="{y + 4:.1f}" text-anchor="end" fill="#616e7c">'
                     f"{tick:.0%}</text>")
    for i, label in enumerate(labels):
        x0 = 50 + group * i + (group - bar * len(series)) / 2
        for s, (name, color, shares) in enumerate(series):
            value = shares[i]
            if value is None:
                continue
            h = max(plot * float(value), 0.5)
            x = x0 + bar * s
            parts.append(f'<rect x="{x:.1f}" y="{top + plot - h:.1f}" width="{bar - 4}" '
                         f'height="{h:.1f}" fill="{color}"><title>{escape(label)} '
                         f'{escape(name)}: {_share(value)}</title></rect>'
                         f'<text x="{x + (bar - 4) / 2:.1f}" y="{top + plot - h - 3:.1f}" '
                         f'text-anchor="middle" font-size="10" fill="#52606d">'
                         f"{_share(value)}</text>")
        middle = 50 + group * i + group / 2
        parts.append(f'<text x="{middle:.1f}" y="{top + plot + 16}" text-anchor="middle" '
                     f'font-weight="600">{escape(label)}</text>'
                     f'<text x="{middle:.1f}" y="{top + plot + 32}" text-anchor="middle" '
                     f'fill="#52606d">{escape(notes[i])}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span style="color:{color}">■</span> {escape(name)} &nbsp; '
                     for name, color, _ in series)
    return "".join(parts) + f'<div class="s" style="font-size:12px">{legend}</div>'


def phase_section(out: Outcome) -> str:
    """The report's "plan by phase" section: timeline chart and table ("" without phases).

    Parameters
    ----------
    out
        The outcome (instance and solution document).

    Returns
    -------
    str
        HTML: an inline SVG with the weighted demand covered and the complete-basket population
        share now and at the end of each phase, what each phase opens and costs, and a table
        of the same figures with the objective value.
    """
    inst, doc = out.instance, out.solution
    ids = phase_ids(doc)
    if not ids:
        return ""
    records = {str(p["id"]): p for p in phase_records(doc)}
    per_phase = new_by_phase(doc)
    labels = {c.id: c.label for c in inst.categories}
    rank = {c: k for k, c in enumerate(inst.category_ids)}
    before = doc.get("coverage_before")
    complete_now = (doc.get("complete_before") or {}).get("share")
    covered = [covered_share(inst, before) if isinstance(before, Mapping) else None]
    complete = [None if complete_now is None else float(complete_now)]
    notes = ["现状 now"]
    rows = []
    to_date = 0.0
    for pid in ids:
        rec = records.get(pid, {})
        coverage = rec.get("coverage")
        covered.append(covered_share(inst, coverage) if isinstance(coverage, Mapping) else None)
        share = (rec.get("complete") or {}).get("share")
        complete.append(None if share is None else float(share))
        cats = per_phase.get(pid, {})
        n_new = sum(cats.values())
        cost = rec.get("cost")
        to_date += float(cost or 0.0)
        notes.append(f"+{n_new} · {money(cost, out.currency)}")
        tags = "".join(f"<span class='tag'>{escape(labels.get(c, c))} {n}</span>"
                       for c, n in sorted(cats.items(), key=lambda kv: rank.get(kv[0], 0)))
        communities = (rec.get("complete") or {}).get("communities")
        rows.append(
            f"<tr data-phase='{escape(pid)}'><td>{escape(pid)}</td><td class='n'>+{n_new}</td>"
            f"<td>{tags or '—'}</td><td class='n'>{escape(money(cost, out.currency))}</td>"
            f"<td class='n'>{escape(money(to_date, out.currency))}</td>"
            f"<td class='n'>{escape(number(rec.get('value')))}</td>"
            f"<td class='n'>{_share(covered[-1])}</td>"
            f"<td class='n'>{'—' if communities is None else int(communities)}</td>"
            f"<td class='n'>{_share(complete[-1])}</td></tr>")
    chart = timeline_svg(["现状 now", *ids], [
        ("完整覆盖人口 population with the full basket", "#2b6cb0", complete),
        ("加权需求覆盖率 weighted demand covered", "#38a169", covered),
    ], ["", *notes[1:]])
    head = "".join(f"<th{' class=n' if n else ''}>{zh} <span class='en'>{en}</span></th>"
                   for zh, en, n in (
                       ("分期", "phase", False), ("新增", "new", True),
                       ("各品类", "by category", False), ("成本", "cost", True),
                       ("累计成本", "cost to date", True), ("目标值", "value", True),
                       ("需求覆盖率", "demand covered", True),
                       ("完整社区", "complete communities", True),
                       ("完整人口", "complete population", True)))
    table = (f"<table id='sc-phases'><thead><tr>{head}</tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>")
    return ("<section id='sc-phase-plan'><h2>分期计划 <span class='en'>Plan by phase (each "
            "phase's figures at its end; facilities stay open)</span></h2>"
            f"{chart}<div class='scroll'>{table}</div></section>")
