"""Scale benchmark of issue 5: the heuristic engine and its bound, from city size to province size.

Rows:

* ``synthetic``: uniform planar cities with four categories (convenience store, breakfast,
  vegetable market, repair point: 10/10/15/15-minute walks), about 32 candidate sites per km²,
  every site hosting each category with probability 0.85, log-normal costs around the
  catalogue's, a third of the sites with an open cost, and a budget of 0.3 × the cost of covering
  the city once per category, so the budget binds (coverage 70-75 %). Sizes 200,000 × 10,000 ×
  4 and 1,000,000 × 20,000 × 4 (``--quick``: 20,000 × 1,000 × 4). The instance is built from
  arrays (as :func:`sitecircle.synthetic.random_instance` draws them) so that drawing a million
  communities is not the thing measured.
* ``maximo``: the four Máximo real-city MCLP instances, p = 50 … 100 (best-known values from
  ``mclp/results.csv``).
* ``bds``: the Cordeau–Furini–Ljubić BDS budgeted MCLP files, 1,000-100,000 customers.

Every row runs in a fresh worker process (``--worker``) so its peak RSS is that row's alone; the
peak of every phase is recorded too (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``
before each phase; elsewhere the cumulative ``ru_maxrss``). Phases: ``generate``/``read``,
``estimate`` (:func:`sitecircle.travel.memory.estimate_pairs`),
``coverage``, ``build``, ``heuristic`` (split into greedy, local search, bound and perturbation
from its phase log) and ``verify`` (the independent verifier on the opened facilities). The
objective reported is the verifier's. Results: ``results/scale.json`` and ``results/scale.md``.

Usage::

    python benchmarks/scale.py              # everything (about 45 minutes on 2 cores)
    python benchmarks/scale.py --quick      # < 60 s smoke run, written to results/quick/
    python benchmarks/scale.py --only synthetic --time-limit 120
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "benchmarks" / "results"
#: (name, communities, sites, time limit of the heuristic in seconds)
SYNTHETIC = [("uniform-200k-10k-4", 200_000, 10_000, 60.0),
             ("uniform-1M-20k-4", 1_000_000, 20_000, 120.0)]
QUICK_SYNTHETIC = [("uniform-20k-1k-4", 20_000, 1_000, 10.0)]
SITES_PER_KM2 = 32.0
BUDGET_SHARE = 0.3
MAXIMO_LIMIT = 60.0
BDS_LIMIT = 10.0


# ---------------------------------------------------------------------------- instances
def synthetic_instance(seed: int, n: int, m: int, n_categories: int = 4) -> Any:
    """A uniform synthetic city as an :class:`~sitecircle.Instance`, built from arrays.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``.
    n, m
        Communities and candidate sites.
    n_categories
        Categories, the first ones of :data:`sitecircle.synthetic.CATALOGUE`.

    Returns
    -------
    Instance
        The instance (valid by construction; ``Instance.from_dict`` is not run on a million
        records).
    """
    from sitecircle.instance.data import Instance
    from sitecircle.instance.fields import Category, Objective, Travel
    from sitecircle.synthetic import CATALOGUE

    rng = np.random.default_rng(seed)
    extent = math.sqrt(m / SITES_PER_KM2) * 1000.0
    cats = tuple(Category(id=c["id"], label=c["id"], threshold_min=float(c["threshold_min"]),
                          demand=c.get("demand", "population"), weight=float(c.get("weight", 1)))
                 for c in CATALOGUE[:n_categories])
    population = np.clip(np.rint(rng.lognormal(np.log(1200.0), 0.7, n)), 20, 30000)
    elderly = rng.binomial(population.astype(np.int64), rng.uniform(0.12, 0.22, n))
    children = rng.binomial((population - elderly).astype(np.int64), 0.1)
    hosts = np.ones((m, n_categories), dtype=bool)
    subset = rng.random(m) < 0.3
    hosts[subset] = rng.random((int(subset.sum()), n_categories)) < 0.5
    empty = ~hosts.any(axis=1)
    hosts[np.flatnonzero(empty), rng.integers(0, n_categories, int(empty.sum()))] = True
    base = np.array([float(c["cost"]) for c in CATALOGUE[:n_categories]])
    cost = np.maximum(np.round(base * rng.lognormal(0.0, 0.3, (m, n_categories)), 1), 0.1)
    cost = np.where(hosts, cost, 0.0)
    open_cost = np.where(rng.random(m) < 0.3, np.round(rng.uniform(1.0, 10.0, m), 1), 0.0)
    budget = 0.0
    for k, c in enumerate(cats):
        radius = c.threshold_min * 66.7 / 1.25
        need = math.ceil(extent**2 / (1.5 * math.sqrt(3.0) * radius**2))
        budget += min(need, int(hosts[:, k].sum())) * float(np.median(cost[hosts[:, k], k]))
    return Instance(
        name=f"uniform-{n}x{m}x{n_categories}", crs="EPSG:3857", geographic=False,
        categories=cats, community_ids=tuple(f"C{i}" for i in range(n)),
        community_xy=rng.uniform(0.0, extent, (n, 2)),
        community_fields={"population": population, "elderly": elderly.astype(np.float64),
                          "children": children.astype(np.float64)},
        site_ids=tuple(f"S{j}" for j in range(m)), site_xy=rng.uniform(0.0, extent, (m, 2)),
        site_hosts=hosts, site_cost=cost, site_open_cost=open_cost,
        site_max_categories=np.full(m, n_categories, dtype=np.int64),
        existing_ids=(), existing_xy=np.zeros((0, 2)),
        existing_hosts=np.zeros((0, n_categories), dtype=bool), travel=Travel(),
        objective=Objective(type="max_coverage", budget=round(BUDGET_SHARE * budget, 1)),
    )


def _read_case(case: dict[str, Any]) -> Any:
    from sitecircle import Instance, datasets

    data = Path(case["data"]) / "mclp"
    if case["family"] == "maximo":
        doc = datasets.read_maximo(data / "maximo" / f"{case['file']}.txt", case["radius"],
                                   case["p"])
    else:
        doc = datasets.read_bds(data / "bds" / f"{case['file']}.txt", case["radius"], case["p"])
    return Instance.from_dict(doc)


# ---------------------------------------------------------------------------- one row
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _phase_peak_mb() -> float:
    """Peak RSS since the last :func:`_reset_peak` (Linux ``VmHWM``), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return _rss_mb()


def _reset_peak() -> None:
    """Restart the peak RSS count (Linux ``clear_refs``; a no-op elsewhere)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Run one row in this process and return its record (see the module docstring)."""
    from sitecircle import build_model, coverage_from_instance, verify
    from sitecircle.engines.heuristic import heuristic_solve
    from sitecircle.solving.pipeline import _open_pairs
    from sitecircle.travel.memory import estimate_memory_bytes, estimate_pairs

    out: dict[str, Any] = {"case": case["name"], "family": case["family"], "phases": {},
                           "rss_after_mb": {}, "phase_peak_mb": {}, "phase_cpu": {}}
    phases, rss, phase_peak = out["phases"], out["rss_after_mb"], out["phase_peak_mb"]
    peak, cpu = 0.0, time.process_time()
    _reset_peak()

    def mark(name: str, t0: float) -> None:
        nonlocal peak, cpu
        phases[name] = round(time.perf_counter() - t0, 3)
        out["phase_cpu"][name] = round(time.process_time() - cpu, 3)  # this process, all threads
        cpu = time.process_time()
        phase_peak[name] = round(_phase_peak_mb(), 1)
        peak = max(peak, phase_peak[name])
        rss[name] = round(peak, 1)  # peak so far (ru_maxrss would be reset with the phase peak)
        _reset_peak()

    t = time.perf_counter()
    if case["family"] == "synthetic":
        inst = synthetic_instance(case["seed"], case["n"], case["m"])
        mark("generate", t)
    else:
        inst = _read_case(case)
        mark("read", t)
    t = time.perf_counter()
    pairs = estimate_pairs(inst)
    out["estimate_triples"] = pairs
    out["estimate_peak_mb"] = round(estimate_memory_bytes(
        inst.n_communities, inst.n_sites, inst.n_categories, pairs) / 2**20, 1)
    mark("estimate", t)
    t = time.perf_counter()
    coverage = coverage_from_instance(inst)
    out["triples"] = len(coverage.site)
    mark("coverage", t)
    t = time.perf_counter()
    model = build_model(inst, coverage)
    del coverage
    mark("build", t)
    out["model"] = {k: model.stats.get(k) for k in ("rows_merged_to", "columns", "nonzeros")}
    t = time.perf_counter()
    res = heuristic_solve(model, time_limit_s=case["time_limit"], seed=0)
    mark("heuristic", t)
    for entry in res.extra["phase_log"]:
        key = f"h_{entry['phase']}"
        phases[key] = round(phases.get(key, 0.0) + entry["seconds"], 3)
    t = time.perf_counter()
    assert res.values is not None
    check = verify(inst, _open_pairs(model, res.values))
    mark("verify", t)
    objective = check.objective
    out.update(
        status=res.status.value, objective=objective, model_objective=res.objective,
        bound=res.bound, iterations=res.extra["iterations"],
        gap=None if res.bound is None else abs(res.bound - objective) / max(abs(objective), 1e-9),
        violations=check.violations, peak_rss_mb=round(max(peak, _phase_peak_mb()), 1),
        total_weight=float(model.c.sum() + model.offset), known=case.get("known"),
        seconds=round(sum(v for k, v in phases.items() if not k.startswith("h_")), 3),
    )
    out["coverage_share"] = objective / out["total_weight"] if out["total_weight"] else None
    if case.get("known") is not None:
        out["delta_known"] = objective - case["known"]
    return out


# ---------------------------------------------------------------------------- driver
def known_mclp_cases(data: Path, only: set[str], limits: dict[str, float]
                     ) -> list[dict[str, Any]]:
    """Máximo and BDS cases of ``mclp/results.csv`` (families in ``only``), with their limits."""
    known_csv = data / "mclp" / "results.csv"
    if not known_csv.is_file() or not only & {"maximo", "bds"}:
        return []
    from sitecircle.datasets import mclp_known_values

    cases = []
    for row in mclp_known_values(known_csv):
        family, file = str(row["instance"]).split("/")
        if family not in only or family not in ("maximo", "bds"):
            continue
        cases.append({"family": family, "name": f"{file}-p{row['p_or_budget']}",
                      "file": file, "p": row["p_or_budget"], "radius": row["radius"],
                      "known": row["covered_demand"], "data": str(data),
                      "time_limit": limits[family]})
    return cases


def _cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    only = set(args.only.split(",")) if args.only else {"synthetic", "maximo", "bds"}
    cases: list[dict[str, Any]] = []
    if "synthetic" in only:
        for name, n, m, limit in (QUICK_SYNTHETIC if args.quick else SYNTHETIC):
            cases.append({"family": "synthetic", "name": name, "n": n, "m": m, "seed": 5,
                          "time_limit": args.time_limit or limit})
    limits = {"maximo": 10.0, "bds": 5.0} if args.quick else {"maximo": MAXIMO_LIMIT,
                                                               "bds": BDS_LIMIT}
    for case in known_mclp_cases(Path(args.data), only, limits):
        if args.quick and case["name"] not in ("Bronx-p50", "BDS1000-p10"):
            continue
        case["time_limit"] = args.time_limit or case["time_limit"]
        cases.append(case)
    if args.match:
        cases = [c for c in cases if re.search(args.match, c["name"])]
    return cases


def _spawn(case: dict[str, Any], timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(case),
               "--worker-out", str(path)]
        t0 = time.perf_counter()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return {"case": case["name"], "family": case["family"], "status": "killed",
                    "seconds": round(time.perf_counter() - t0, 1)}
        if done.returncode != 0 or not path.is_file():
            return {"case": case["name"], "family": case["family"], "status": "error",
                    "error": done.stderr[-2000:], "returncode": done.returncode}
        record: dict[str, Any] = json.loads(path.read_text())
        return record


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "machine": platform.machine(),
           "cpus": str(os.cpu_count()), "system": platform.platform()}
    for pkg in ("sitecircle", "numpy", "scipy", "highspy", "ortools"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def write_markdown(records: list[dict[str, Any]], meta: dict[str, Any], path: Path) -> None:
    """Write the tables of ``scale.md``."""
    lines = ["# Scale benchmark (issue 5): heuristic engine with Lagrangian bound", "",
             f"Machine: {meta['versions']['cpus']} CPUs, {meta['versions']['system']}; "
             f"numpy {meta['versions']['numpy']}, scipy {meta['versions']['scipy']}. "
             "One fresh process per row; times in seconds; peak = the row's largest phase peak "
             "RSS (`VmHWM`).", ""]
    synth = [r for r in records if r.get("family") == "synthetic"]
    if synth:
        lines += ["## Synthetic cities (budget binding)", "",
                  "| case | triples (est.) | rows × cols, nnz | coverage | build | greedy | "
                  "local search | bound | perturb | total | objective (share) | bound | gap | "
                  "peak MB (est.) | status |", "|" + "---|" * 15]
        for r in synth:
            if "phases" not in r:
                lines.append(f"| {r['case']} | | | | | | | | | | | | | | {r.get('status')} |")
                continue
            p, mdl = r["phases"], r["model"]
            lines.append(
                f"| {r['case']} | {_fmt(r['triples'])} ({_fmt(r['estimate_triples'])}) | "
                f"{_fmt(mdl['rows_merged_to'])} × {_fmt(mdl['columns'])}, "
                f"{_fmt(mdl['nonzeros'])} | {p['coverage']:.1f} | {p['build']:.1f} | "
                f"{p.get('h_greedy', 0):.1f} | {p.get('h_local_search', 0):.1f} | "
                f"{p.get('h_bound', 0):.1f} | {p.get('h_perturb', 0):.1f} | {r['seconds']:.1f} | "
                f"{r['objective']:,.0f} ({r['coverage_share']:.1%}) | {r['bound']:,.0f} | "
                f"{r['gap']:.2%} | {r['peak_rss_mb']:,.0f} ({r['estimate_peak_mb']:,.0f}) | "
                f"{r['status']} |")
        lines.append("")
        for r in synth:
            if r.get("note"):
                lines += [f"Note on {r['case']}: {r['note']}", ""]
        lines.append("Peak RSS by phase (MB, `VmHWM` reset before each phase; CPU seconds of the "
                     "process where recorded): " + "; ".join(
            f"{r['case']}: " + ", ".join(
                f"{k} {v:,.0f}" + (f" ({r['phase_cpu'][k]:.1f} s CPU)"
                                   if k in r.get("phase_cpu", {}) else "")
                for k, v in r["phase_peak_mb"].items()
                if k in ("coverage", "build", "heuristic", "verify"))
            for r in synth if r.get("phase_peak_mb")) + ".")
        lines.append("")
    for family, title in (("maximo", "Máximo real cities (p-facility MCLP)"),
                          ("bds", "BDS budgeted MCLP")):
        rows = [r for r in records if r.get("family") == family]
        if not rows:
            continue
        hits = sum(1 for r in rows if r.get("delta_known") == 0)
        lines += [f"## {title}", "", f"Best-known value reached in {hits} of {len(rows)} rows.",
                  "", "| case | read | coverage + build | heuristic | objective | known | "
                  "Δ known | bound | gap | peak MB | status |", "|" + "---|" * 11]
        for r in rows:
            if "phases" not in r:
                lines.append(f"| {r['case']} | | | | | | | | | | {r.get('status')} |")
                continue
            p = r["phases"]
            rel = r["delta_known"] / r["known"] if r["known"] else 0.0
            lines.append(
                f"| {r['case']} | {p['read']:.1f} | {p['coverage'] + p['build']:.1f} | "
                f"{p['heuristic']:.1f} | {r['objective']:,.0f} | {r['known']:,} | "
                f"{r['delta_known']:+,.0f} ({rel:+.3%}) | {r['bound']:,.0f} | {r['gap']:.3%} | "
                f"{r['peak_rss_mb']:,.0f} | {r['status']} |")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="< 60 s smoke run")
    parser.add_argument("--only", help="families: synthetic,maximo,bds")
    parser.add_argument("--match", help="only the rows whose name matches this regex")
    parser.add_argument("--time-limit", type=float, help="heuristic time limit per row (s)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="public benchmark data")
    parser.add_argument("--out", help="output folder (default results/, quick: results/quick/)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        record = run_case(json.loads(args.worker))
        Path(args.worker_out).write_text(json.dumps(record), encoding="utf-8")
        return 0
    out = Path(args.out) if args.out else (DEFAULT_OUT / "quick" if args.quick else DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for case in _cases(args):
        allowance = 3 * case["time_limit"] + 120 + case.get("n", 0) / 1000
        record = _spawn(case, allowance)
        records.append(record)
        print(f"{case['name']:>24}: {record.get('status')} objective {record.get('objective')} "
              f"bound {record.get('bound')} gap {_fmt(record.get('gap'), 4)} "
              f"seconds {record.get('seconds')} peak {record.get('peak_rss_mb')} MB", flush=True)
    meta = {"versions": _versions(), "argv": sys.argv[1:], "written": time.strftime("%Y-%m-%d")}
    if (args.only or args.match) and (out / "scale.json").is_file():
        # A partial run replaces its own rows and keeps the others (in their order).
        earlier = json.loads((out / "scale.json").read_text(encoding="utf-8"))["runs"]
        fresh = {r["case"]: r for r in records}
        merged = [fresh.pop(r["case"], r) for r in earlier]
        records = merged + list(fresh.values())
    (out / "scale.json").write_text(json.dumps({"meta": meta, "runs": records}, indent=1),
                                    encoding="utf-8")
    write_markdown(records, meta, out / "scale.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
