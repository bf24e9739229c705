"""``summary.md``: the headline tables of every family, from the JSON files of one folder.

* published values per family / group × solver: proven optima reproduced and proved, best-known
  values matched, and how far the misses are from the published value;
* the Máximo cities value by value (found / published);
* how time limits were kept (runs that overran, were interrupted or killed, per solver);
* the spopt / sitecircle time ratios per size;
* synthetic model and translation times at the largest size run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.report import _num, _order, _ratio, _sense, _t, spopt_rows


def _shortfall(rec: dict[str, Any]) -> float | None:
    """Relative distance of a run's value from the published one, > 0 when worse."""
    obj, known = rec.get("objective"), rec.get("known")
    if obj is None or known is None or rec.get("matches_known"):
        return None
    diff = (obj - known) if _sense(rec) == "min" else (known - obj)
    return float(diff) / max(abs(float(known)), 1e-12)


def _pct(v: float) -> str:
    return f"{100 * v:.2g} %" if abs(v) < 0.1 else f"{100 * v:.0f} %"


def cell_known(rs: list[dict[str, Any]]) -> str:
    """One table cell: ``a/b (c proved)``, ``bk a/b``, the worst miss and runs without answer."""
    if not rs:
        return ""
    opt = [r for r in rs if r.get("known_status") == "optimal"]
    bk = [r for r in rs if r.get("known_status") != "optimal"]
    parts = []
    if opt:
        eq = sum(bool(r.get("matches_known")) for r in opt)
        proved = sum(bool(r.get("matches_known")) and r.get("status") == "optimal" for r in opt)
        heuristic = all(r.get("status") == "heuristic" for r in opt)
        parts.append(f"{eq}/{len(opt)}" + ("" if heuristic else f" ({proved} proved)"))
    if bk:
        eq = sum(bool(r.get("matches_known")) for r in bk)
        better = sum((_shortfall(r) or 0.0) < 0 for r in bk)
        parts.append(f"bk {eq}/{len(bk)}" + (f", {better} better" if better else ""))
    misses = [s for s in (_shortfall(r) for r in rs) if s is not None and s > 0]
    if misses:
        parts.append(f"miss ≤ {_pct(max(misses))}")
    none = sum(r.get("objective") is None for r in rs)
    if none:
        parts.append(f"{none} no answer")
    return "; ".join(parts)


def _limits(rs: list[dict[str, Any]]) -> str:
    lims = sorted({float(r["time_limit"]) for r in rs
                   if r.get("time_limit") and r["solver"] != "greedy"})
    return ", ".join(f"{v:g}" for v in lims) or "–"


def _known_table(known: list[dict[str, Any]]) -> list[str]:
    solvers = sorted({r["solver"] for r in known}, key=_order)
    lines = ["## Published values reproduced (per family / group × solver)", "",
             "`a/b (c proved)`: of b instances with a proven optimum, a values reproduced, c of "
             "them also proved optimal by the solver within the limit; `bk a/b`: best-known "
             "values matched (`better`: beaten); `miss ≤ x %`: the worst relative distance from "
             "the published value among the runs that did not match it; `no answer`: runs "
             "without a solution (time limit, killed). Blank: not run. `limit s`: the time "
             "limit(s) of that group's runs. `ortools-sat` = CP-SAT with 8 workers (its full "
             "portfolio), `ortools-sat@2` = 2 workers (what `num_workers = 0` gives on 2 cores).",
             "", "| family | group | limit s | " + " | ".join(solvers) + " |",
             "|---|---|---|" + "---|" * len(solvers)]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in known:
        groups[(r["family"], str(r.get("group")))].append(r)

    def key(fg: tuple[str, str]) -> tuple[str, int, str]:
        return fg[0], len(fg[1]) if fg[0] == "scp" else 0, fg[1]

    for fam, g in sorted(groups, key=key):
        rs = groups[(fam, g)]
        cells = [cell_known([r for r in rs if r["solver"] == s]) for s in solvers]
        lines.append(f"| {fam} | {g} | {_limits(rs)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _maximo_table(known: list[dict[str, Any]]) -> list[str]:
    rows = [r for r in known if r.get("group") == "maximo"]
    if not rows:
        return []
    solvers = sorted({r["solver"] for r in rows}, key=_order)
    lines = ["## Máximo cities, value by value", "",
             "Value found as a share of the published value (100 % = matched; **bold** = proved "
             "optimal; `–` no answer; blank not run), and the time limit of the exact rows.", "",
             "| instance | published | limit s | " + " | ".join(solvers) + " |",
             "|---|---:|---:|" + "---:|" * len(solvers)]
    by: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        by[r["instance"]][r["solver"]] = r

    def key(name: str) -> tuple[str, int]:
        city, p, _ = name.split("-")
        return city, int(p[1:])

    for inst in sorted(by, key=key):
        rs = by[inst]
        cells = []
        for s in solvers:
            if s not in rs:
                cells.append("")
                continue
            r = rs[s]
            if r.get("objective") is None:
                cells.append(f"– ({r.get('status')})")
            else:
                share = f"{100 * r['objective'] / r['known']:.1f} %"
                cells.append(f"**{share}**" if r.get("status") == "optimal" else share)
        known_v = next(iter(rs.values())).get("known")
        lines.append(f"| {inst} | {_num(known_v)} | {_limits(list(rs.values()))} | "
                     + " | ".join(cells) + " |")
    return [*lines, ""]


def _limit_table(records: list[dict[str, Any]]) -> list[str]:
    runs = [r for r in records if isinstance(r.get("limit"), dict)]
    if not runs:
        return []
    lines = ["## Time limits kept", "",
             "Runs through `sitecircle.solving.runner.run_backend(isolate=True)` (SIGINT at 1.02 × "
             "limit + 0.2 s, SIGKILL at 1.08 × limit + 0.5 s). `overran`: the engine did not stop "
             "by itself; `with answer`: of those, runs that still returned a verified solution; "
             "`killed`: stopped by SIGKILL. Worst = the longest engine wall time over the limit.",
             "", "| solver | runs | overran | with answer | killed | worst wall / limit |",
             "|---|---:|---:|---:|---:|---:|"]
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        by[r["solver"]].append(r)
    for s in sorted(by, key=_order):
        rs = by[s]
        over = [r for r in rs if r["limit"].get("overran")]
        answered = sum(r.get("objective") is not None for r in over)
        killed = sum(bool(r["limit"].get("killed")) for r in rs)
        worst = max(r["limit"]["runner_wall_s"] / r["time_limit"] for r in rs)
        lines.append(f"| {s} | {len(rs)} | {len(over)} | {answered} | {killed} | "
                     f"{worst:.2f} |")
    return [*lines, ""]


def _spopt_table(out: Path) -> list[str]:
    path = out / "spopt.json"
    if not path.is_file():
        return []
    lines = ["## spopt / sitecircle time ratios", "",
             "| model | size | spopt status | modelling ratio | total ratio vs pulp-cbc | "
             "total ratio vs ortools-scip |", "|---|---|---|---:|---:|---:|"]
    for row in spopt_rows(json.loads(path.read_text())["records"]):
        size = row["size"]
        lines.append(f"| {row['model']} | {size.get('communities')} × {size.get('sites')} | "
                     f"{(row['spopt'] or {}).get('status')} | "
                     f"{_ratio(row.get('ratio_model'))} | {_ratio(row.get('ratio_cbc'))} | "
                     f"{_ratio(row.get('ratio_scip'))} |")
    return [*lines, ""]


def _synthetic_table(recs: list[dict[str, Any]]) -> list[str]:
    lines = ["## Synthetic: model and translation time at the largest size run", "",
             "| instance | nonzeros | coverage s | build s | OR-Tools translate s | "
             "PuLP translate s | best value (solver) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in recs:
        by[str(r.get("group"))].append(r)
    for _, rs in sorted(by.items()):
        biggest = max((r.get("size") or {}).get("communities", 0) for r in rs)
        top = [r for r in rs if (r.get("size") or {}).get("communities", 0) == biggest]
        one = next((r for r in top if r.get("model")), None)
        if one is None:
            continue
        tr = {b: next((r["phases"]["translate"] for r in top
                       if r.get("backend") == b and r.get("phases", {}).get("translate")), None)
              for b in ("ortools", "pulp")}
        best = max((r for r in top if r.get("objective") is not None),
                   key=lambda r: r["objective"], default=None)
        best_s = "–" if best is None else f"{_num(best['objective'])} ({best['solver']})"
        lines.append(f"| {one['instance']} | {_num(one['model']['nonzeros'])} | "
                     f"{_t(one['phases'].get('coverage'))} | {_t(one['phases'].get('build'))} "
                     f"| {_t(tr['ortools'])} | {_t(tr['pulp'])} | {best_s} |")
    return [*lines, ""]


def write_summary(out: Path) -> Path:
    """Write ``<out>/summary.md`` from the family JSON files found in ``out``.

    Parameters
    ----------
    out
        The results folder.

    Returns
    -------
    Path
        The summary file written.
    """
    lines = ["# Benchmark summary", "",
             "Generated by `python benchmarks/run.py` (or `--report-only`) from the JSON files "
             "beside this one.", ""]
    records: dict[str, list[dict[str, Any]]] = {}
    for fam in ("scp", "mclp", "synthetic"):
        path = out / f"{fam}.json"
        if path.is_file():
            records[fam] = json.loads(path.read_text())["records"]
    known = records.get("scp", []) + records.get("mclp", [])
    if known:
        lines += _known_table(known) + _maximo_table(known)
    lines += _spopt_table(out)
    if records.get("synthetic"):
        lines += _synthetic_table(records["synthetic"])
    lines += _limit_table([r for rs in records.values() for r in rs])
    target = out / "summary.md"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def update_readme(readme: Path, out: Path) -> bool:
    """Replace the block between the results markers of ``readme`` with the summary tables.

    Parameters
    ----------
    readme
        ``benchmarks/README.md``.
    out
        The results folder holding ``summary.md`` and the plots (relative links are made from
        the README's folder).

    Returns
    -------
    bool
        True when the block was found and rewritten.
    """
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    body = (out / "summary.md").read_text(encoding="utf-8").splitlines()[4:]  # no title
    body = [ln.replace("## ", "#### ", 1) if ln.startswith("## ") else ln for ln in body]
    rel = out.resolve().relative_to(readme.resolve().parent)
    plots = [f"![{fam}]({rel.as_posix()}/{fam}.png)"
             for fam in ("scp", "mclp", "synthetic", "spopt") if (out / f"{fam}.png").is_file()]
    block = [README_START, "", "<!-- generated by benchmarks/run.py: edit summary.py, not this -->",
             "", *body, "", *plots, "", README_END]
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(head + "\n".join(block) + tail, encoding="utf-8")
    return True
