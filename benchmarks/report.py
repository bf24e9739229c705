"""Markdown tables and PNG plots from a family's records (``<out>/<family>.json``)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

PHASE_COLS = ("read", "coverage", "build", "translate", "solve", "verify")
SOLVER_ORDER = ("ortools-scip", "ortools-highs", "ortools-sat", "pulp-cbc", "pulp-highs",
                "greedy", "spopt")
#: Objective sense per family (for "better than known").
SENSE = {"scp": "min", "mclp": "max", "synthetic": "max"}


def _order(solver: str) -> tuple[int, str]:
    base = solver.split("@")[0]
    return (SOLVER_ORDER.index(base) if base in SOLVER_ORDER else 99, solver)


def _num(v: Any, digits: int = 10) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def _t(v: Any) -> str:
    return "–" if v is None else (f"{v:.2f}" if v >= 0.01 else f"{v:.3f}")


def _gap(v: Any) -> str:
    return "–" if v is None else ("0" if v == 0 else f"{100 * v:.2g}%")


def _model_s(ph: dict[str, float]) -> float | None:
    """Seconds from the instance to the engine's model (read + coverage + build + translate)."""
    parts = [ph[p] for p in ("read", "coverage", "build", "translate") if p in ph]
    return sum(parts) if parts else None


def _ratio(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}×"


def _header(name: str, meta: dict[str, Any]) -> list[str]:
    v = meta.get("versions", {})
    runs = meta.get("runs", [])
    lines = [f"# Benchmark results: `{name}`", "",
             "Regenerate: `python benchmarks/run.py --only " + name + "` (see "
             "`benchmarks/README.md`). Relative MIP gap 0 everywhere; time limit per run: "
             + ", ".join(sorted({f"{r.get('time_limit'):g} s" for r in runs
                                 if r.get("time_limit")}))
             + f"; CP-SAT with {meta.get('sat_workers')} workers.", ""]
    lines.append("Runs: " + "; ".join(
        f"{r.get('started')} `{' '.join(map(str, r.get('argv', [])))}`"
        + (f" (sitecircle {str(r['git_commit'])[:7]}"
           + (", uncommitted src changes present" if r.get("git_src_dirty") else "") + ")"
           if r.get("git_commit") else "") for r in runs))
    lines.append("")
    lines.append(f"Machine: {v.get('cpu_model')}, {v.get('cpu_count')} CPUs, "
                 f"{v.get('mem_total_gib')} GiB, {v.get('platform')}. Python {v.get('python')}; "
                 + ", ".join(f"{k} {v.get(k)}" for k in ("sitecircle", "numpy", "scipy", "ortools",
                                                         "pulp", "highspy", "spopt", "matplotlib")
                             if v.get(k))
                 + f"; sitecircle commit {str(v.get('git_commit'))[:10]}"
                 + (" (src modified)" if v.get("git_src_dirty") else "") + ".")
    lines += ["", f"Memory: {meta.get('memory')}.", ""]
    return lines


def _sense(rec: dict[str, Any]) -> str:
    return SENSE.get(rec.get("family", ""), "max")


def _summary_known(records: list[dict[str, Any]]) -> list[str]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("known") is not None:
            groups[(str(r.get("group")), r["solver"])].append(r)
    lines = ["## Published values reproduced", "",
             "Per group and solver: instances run; for proven optima, how many values were "
             "reproduced (`=`) and how many of those the solver also proved optimal (`proved`); "
             "for best-known values, how many were matched, beaten or missed; runs without an "
             "answer; median total time (read → verify).", "",
             "| group | solver | runs | optima: = / proved | best-known: = / better / worse "
             "| no answer | median total s |",
             "|---|---|---:|---:|---:|---:|---:|"]
    group_names = sorted({g for g, _ in groups}, key=lambda g: (len(g) > 1 and g[0] != "N", g))
    for g in group_names:
        for s in sorted({s for gg, s in groups if gg == g}, key=_order):
            rs = groups[(g, s)]
            opt = [r for r in rs if r.get("known_status") == "optimal"]
            bk = [r for r in rs if r.get("known_status") != "optimal"]
            eq_opt = sum(bool(r.get("matches_known")) for r in opt)
            proved = sum(bool(r.get("matches_known")) and r.get("status") == "optimal" for r in opt)
            better = worse = eq_bk = 0
            for r in bk:
                if r.get("objective") is None:
                    continue
                if r.get("matches_known"):
                    eq_bk += 1
                elif (r["objective"] < r["known"]) == (_sense(r) == "min"):
                    better += 1
                else:
                    worse += 1
            none = sum(r.get("objective") is None for r in rs)
            times = [r["total"] for r in rs if r.get("total") is not None]
            med = statistics.median(times) if times else None
            lines.append(f"| {g} | {s} | {len(rs)} | "
                         + (f"{eq_opt}/{len(opt)} / {proved}" if opt else "–") + " | "
                         + (f"{eq_bk}/{len(bk)} / {better} / {worse}" if bk else "–")
                         + f" | {none} | {_t(med)} |")
    return lines + [""]


def _limit_note(rec: dict[str, Any]) -> str:
    """How the wall-clock limit ended a run (``run_backend``), if it had to."""
    lim = rec.get("limit") or {}
    if lim.get("killed"):
        return f"killed at the hard limit ({lim.get('runner_wall_s', 0):.0f} s)"
    if lim.get("interrupted"):
        got = "kept its best solution" if rec.get("objective") is not None else "no solution"
        return f"SIGINT at the limit ({lim.get('runner_wall_s', 0):.0f} s), {got}"
    return ""


def _detail(records: list[dict[str, Any]], with_known: bool) -> list[str]:
    head = ("| instance | solver | status | objective | "
            + ("known | Δ known | " if with_known else "")
            + "bound | gap | " + " | ".join(PHASE_COLS) + " | total s | peak MB | note |")
    lines = ["## Every run", "",
             "Times in seconds per phase; `translate` = building the engine's own model, "
             "`solve` = the engine call (PuLP: also writing/reading the model file); peak MB = "
             "peak RSS of the run (worker or, for isolated engine runs, the engine child "
             "process; the children's peak in parentheses).", "", head,
             "|" + "---|" * (head.count("|") - 1)]
    order: dict[str, int] = {}
    for r in records:
        order.setdefault(r["instance"], len(order))
    for r in sorted(records, key=lambda r: (order[r["instance"]], _order(r["solver"]))):
        ph = r.get("phases", {})
        note = r.get("error") or r.get("note") or _limit_note(r)
        peak = _num(r.get("peak_rss_mb"))
        if r.get("child_peak_rss_mb"):
            peak += f" ({_num(r.get('child_peak_rss_mb'))})"
        lines.append(
            f"| {r['instance']} | {r['solver']} | {r.get('status')} | {_num(r.get('objective'))} | "
            + (f"{_num(r.get('known'))} | {_num(r.get('delta_known'))} | " if with_known else "")
            + f"{_num(r.get('bound'))} | {_gap(r.get('gap'))} | "
            + " | ".join(_t(ph.get(p)) for p in PHASE_COLS)
            + f" | {_t(r.get('total'))} | {peak} | {str(note).replace('|', '/')[:120]} |")
    return lines + [""]


def _synthetic_summary(records: list[dict[str, Any]]) -> list[str]:
    lines = ["## Scaling summary", "",
             "Objective relative to the best value any row found on that instance (1 = best); "
             "gap = the solver's own bound vs its value. `translate-only`: PuLP translation was "
             "timed but the model was not written or solved (too large).", "",
             "| instance | nonzeros | solver | status | objective / best | gap | build s | "
             "translate s | solve s | total s | peak MB |", "|---|---:|---|---|---:|---:|---:|---:|"
             "---:|---:|---:|"]
    by_inst: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_inst[r["instance"]].append(r)
    for inst, rs in by_inst.items():
        vals = [r["objective"] for r in rs if r.get("objective") is not None]
        best = max(vals) if vals else None
        nnz = next((r["model"]["nonzeros"] for r in rs if r.get("model")), None)
        for r in sorted(rs, key=lambda r: _order(r["solver"])):
            ph = r.get("phases", {})
            rel = (r["objective"] / best if best and r.get("objective") is not None else None)
            lines.append(f"| {inst} | {_num(nnz)} | {r['solver']} | {r.get('status')} | "
                         f"{'–' if rel is None else f'{rel:.4f}'} | {_gap(r.get('gap'))} | "
                         f"{_t(ph.get('build'))} | {_t(ph.get('translate'))} | "
                         f"{_t(ph.get('solve'))} | {_t(r.get('total'))} | "
                         f"{_num(r.get('peak_rss_mb'))} |")
    return lines + [""]


def spopt_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (model, size): spopt vs sitecircle figures and the time ratios."""
    by: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in records:
        by[r["instance"]][r["solver"]] = r
    rows = []
    for inst, rs in by.items():
        sp, cbc, scip = rs.get("spopt"), rs.get("pulp-cbc"), rs.get("ortools-scip")
        size = (sp or cbc or scip or {}).get("size", {})
        row = {"instance": inst, "model": inst.split("-")[0], "size": size, "spopt": sp,
               "cbc": cbc, "scip": scip}
        if sp and cbc and sp.get("total") and cbc.get("total"):
            row["ratio_cbc"] = sp["total"] / cbc["total"]
            spm = sum(sp["phases"].get(p, 0.0) for p in ("coverage", "build"))
            cbm = sum(cbc["phases"].get(p, 0.0) for p in ("read", "coverage", "build", "translate"))
            row["ratio_model"] = spm / cbm if cbm > 0 else None
        if sp and scip and sp.get("total") and scip.get("total"):
            row["ratio_scip"] = sp["total"] / scip["total"]
        rows.append(row)
    rows.sort(key=lambda r: (r["model"], r["size"].get("communities", 0)))
    return rows


def _spopt_table(records: list[dict[str, Any]]) -> list[str]:
    lines = ["## spopt vs sitecircle", "",
             "Same instance, same CBC, gap 0. spopt: dense cost matrix (`matrix`), "
             "`from_cost_matrix` (`build`), `solve(results=False)`; sitecircle: "
             "`Instance.from_dict` + coverage + build + translate + solve + verify. Totals exclude "
             "instance generation. Modelling ratio = spopt (matrix + build) / sitecircle "
             "pulp-cbc (read + coverage + build + translate); the other ratios = spopt total / "
             "sitecircle total (when a solve hits the time limit the ratio mostly compares "
             "time limits).", "",
             "| model | communities × sites | spopt matrix s | spopt build s | spopt solve s | "
             "spopt total s | spopt peak MB | spopt status | spopt objective | sitecircle "
             "pulp-cbc total s (model / solve) | status | peak MB | objective | ortools-scip "
             "total s | **modelling ratio** | **ratio vs pulp-cbc** | **ratio vs ortools-scip** "
             "| objectives agree |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"
             "---|"]
    for row in spopt_rows(records):
        sp, cbc, scip = row["spopt"] or {}, row["cbc"] or {}, row["scip"] or {}
        sph, cph = sp.get("phases", {}), cbc.get("phases", {})
        objs = {r.get("objective") for r in (sp, cbc, scip)
                if r and r.get("status") == "optimal"}
        agree = "yes" if len(objs) == 1 else ("no proof" if not objs else "NO")
        size = row["size"]
        note = sp.get("note") if sp.get("status") in ("not run", "killed", "error") else None
        lines.append(
            f"| {row['model']} | {size.get('communities')} × {size.get('sites')} | "
            f"{_t(sph.get('coverage'))} | {_t(sph.get('build'))} | {_t(sph.get('solve'))} | "
            f"{_t(sp.get('total'))} | {_num(sp.get('peak_rss_mb'))} | {sp.get('status')}"
            + (f" ({note})" if note else "") + f" | {_num(sp.get('objective'))} | "
            f"{_t(cbc.get('total'))} ({_t(_model_s(cph))} / {_t(cph.get('solve'))}) | "
            f"{cbc.get('status')} | {_num(cbc.get('peak_rss_mb'))} | "
            f"{_num(cbc.get('objective'))} | {_t(scip.get('total'))} ({scip.get('status')}) | "
            f"{_ratio(row.get('ratio_model'))} | {_ratio(row.get('ratio_cbc'))} | "
            f"{_ratio(row.get('ratio_scip'))} | {agree} |")
    return lines + [""]


def _clean(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop engine 'infinite' bounds (SCIP's 1e20) recorded before the harness did."""
    out = []
    for r in records:
        b = r.get("bound")
        if b is not None and not abs(b) < 1e19:
            r = {**r, "bound": None, "gap": None, "raw_bound": b}
        out.append(r)
    return out


def write(name: str, meta: dict[str, Any], records: list[dict[str, Any]], out: Path) -> None:
    """Write ``<out>/<name>.md`` and ``<out>/<name>.png``."""
    records = _clean(records)
    lines = _header(name, meta)
    png = out / f"{name}.png"
    if _plot(name, records, png):
        lines += [f"![time vs size]({png.name})", ""]
    if name == "spopt":
        lines += _spopt_table(records)
    elif name == "synthetic":
        lines += _synthetic_summary(records)
    else:
        lines += _summary_known(records)
    lines += _detail(records, with_known=name in ("scp", "mclp"))
    (out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------------
# plots
# ------------------------------------------------------------------------------------------


def _plot(name: str, records: list[dict[str, Any]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    solvers = sorted({r["solver"] for r in records}, key=_order)
    colours = {s: f"C{i}" for i, s in enumerate(solvers)}
    if name == "synthetic":
        groups = sorted({r.get("group") or "" for r in records})
        fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(4.2 * max(len(groups), 1), 4),
                                 squeeze=False, sharey=True)
        for ax, g in zip(axes[0], groups, strict=False):
            for s in solvers:
                rs = sorted((r for r in records if r.get("group") == g and r["solver"] == s
                             and r.get("total") and r.get("size")),
                            key=lambda r: r["size"]["communities"])
                if not rs:
                    continue
                x = [r["size"]["communities"] for r in rs]
                ax.plot(x, [r["total"] for r in rs], "-o", color=colours[s], label=s, ms=4)
                hollow = [(xi, r["total"]) for xi, r in zip(x, rs, strict=True)
                          if r.get("status") != "optimal"]
                if hollow:
                    ax.plot(*zip(*hollow, strict=True), "o", mfc="white", color=colours[s], ms=6)
            ax.set(xscale="log", yscale="log", title=g, xlabel="communities (sites = 1/5–1/20)")
        axes[0][0].set_ylabel("total time read → verify (s)")
        if axes[0][-1].get_legend_handles_labels()[0]:
            axes[0][-1].legend(fontsize=7)
        fig.suptitle("Synthetic scaling (hollow: not proven optimal / translate-only)")
    elif name == "spopt":
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), squeeze=False, sharey=True)
        for ax, model in zip(axes[0], ("lscp", "mclp"), strict=True):
            for s in solvers:
                rs = sorted((r for r in records if r.get("group") == model and r["solver"] == s
                             and r.get("total") and r.get("size")),
                            key=lambda r: r["size"]["communities"] * r["size"]["sites"])
                if rs:
                    ax.plot([r["size"]["communities"] * r["size"]["sites"] for r in rs],
                            [r["total"] for r in rs], "-o", color=colours[s], label=s, ms=4)
            ax.set(xscale="log", yscale="log", title=model.upper(),
                   xlabel="communities × sites")
        axes[0][0].set_ylabel("total time (s)")
        if axes[0][0].get_legend_handles_labels()[0]:
            axes[0][0].legend(fontsize=8)
        fig.suptitle("spopt vs sitecircle, same instances, CBC at gap 0")
    else:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for s in solvers:
            rs = [r for r in records if r["solver"] == s and r.get("total")
                  and (r.get("model") or r.get("size"))]
            if not rs:
                continue
            x = [(r.get("model") or {}).get("nonzeros") or r["size"].get("coverage_triples", 1)
                 for r in rs]
            ok = [r.get("status") == "optimal" for r in rs]
            ax.scatter([xi for xi, o in zip(x, ok, strict=True) if o],
                       [r["total"] for r, o in zip(rs, ok, strict=True) if o],
                       s=12, color=colours[s], label=s)
            ax.scatter([xi for xi, o in zip(x, ok, strict=True) if not o],
                       [r["total"] for r, o in zip(rs, ok, strict=True) if not o],
                       s=18, facecolors="none", edgecolors=colours[s])
        ax.set(xscale="log", yscale="log", xlabel="model nonzeros (greedy: coverage pairs)",
               ylabel="total time read → verify (s)",
               title=f"{name}: time vs size (hollow: not proven optimal)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
