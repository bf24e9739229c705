"""Capacitated ``max_coverage`` at city scale (issue 12): time, bound, gap and peak memory.

The instance: :func:`sitecircle.synthetic.random_instance` (clustered layout, seed 12) with
50,000 communities, 5,000 candidate sites and 300 existing facilities on a square of
``--extent`` km, reduced to the two categories planners size — ``elderly_canteen`` (demand
``elderly``, weight 2) and ``childcare`` (demand ``children``), 15-minute walks — with
capacities: a new canteen serves 3,000 elderly (``min_load`` 300), a new childcare facility 2,000
children, existing ones 2,000 and 1,500. The budget is the generator's (half the cost of covering
the square once per category), so it binds.

Each run is a fresh worker process (``--worker``): its peak RSS (``ru_maxrss`` of the worker and
of the solver child process it starts) is that run's alone. Rows: the capacitated instance and the
same instance without capacities, each with the automatic engine choice (for a model above
1,000,000 nonzeros, the heuristic: for capacities the LP relaxation, rounding and a
transportation LP) under a 120 s limit and a 1 % gap; ``--backends`` adds OR-Tools SCIP forced
on the capacitated instance and PuLP/HiGHS on both. Every objective is the independent
verifier's, which also checks the assignment (reach, capacities, demand, min_load) and that it is
as good as a transportation LP for the chosen sites. Results: ``results/capacity.md`` and
``results/capacity.json``.

Usage::

    python benchmarks/capacity.py                 # about 5-10 minutes on 2 cores
    python benchmarks/capacity.py --communities 5000 --sites 500 --extent 12   # quick
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import sitecircle  # noqa: E402
from sitecircle.synthetic import random_instance  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
KEEP = ("elderly_canteen", "childcare")
NEW = {"elderly_canteen": {"capacity": 3000, "min_load": 300}, "childcare": {"capacity": 2000}}
EXISTING = {"elderly_canteen": 2000, "childcare": 1500}


def make_instance(n: int, m: int, e: int, extent_km: float, capacities: bool) -> dict[str, Any]:
    """The benchmark instance (see the module docstring)."""
    doc = random_instance(12, n_communities=n, n_sites=m, n_existing=e, n_categories=6,
                          layout="clustered", extent_m=extent_km * 1000.0)
    doc["categories"] = [c for c in doc["categories"] if c["id"] in KEEP]
    sites = []
    for s in doc["sites"]:
        cats = [k for k in s.get("categories", list(KEEP)) if k in KEEP]
        if not cats:
            continue
        cost = s["cost"]
        s["categories"] = cats
        s["cost"] = {k: cost[k] for k in cats} if isinstance(cost, dict) else cost
        if "max_categories" in s:
            s["max_categories"] = min(s["max_categories"], len(cats))
        sites.append(s)
    doc["sites"] = sites
    existing = []
    for rec in doc["existing"]:
        rec["categories"] = [k for k in rec["categories"] if k in KEEP]
        if rec["categories"]:
            existing.append(rec)
    doc["existing"] = existing
    budget = doc["objective"]["budget"] * len(KEEP) / 6  # the two kept categories' share
    doc["objective"] = {"type": "max_coverage", "budget": round(budget, 1)}
    if capacities:
        for c in doc["categories"]:
            c.update(NEW[c["id"]])
        for rec in doc["existing"]:
            rec["capacity"] = {k: EXISTING[k] for k in rec["categories"]}
    doc["name"] = f"capacity-{n // 1000}k-{m // 1000}k-{'cap' if capacities else 'uncap'}"
    return doc


def worker(args: argparse.Namespace) -> dict[str, Any]:
    t = time.perf_counter()
    doc = make_instance(args.communities, args.sites, args.existing, args.extent,
                        args.capacities)
    gen = time.perf_counter() - t
    sol = sitecircle.solve(doc, backend=args.backend, engine=args.engine,
                           time_limit=args.time_limit, gap=args.gap)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    loads = sol.loads or []
    used = [ld["served"] / ld["capacity"] for ld in loads if ld["capacity"]]
    return {
        "name": doc["name"], "backend": args.backend, "engine": sol.solver.get("engine"),
        "communities": args.communities, "sites": len(doc["sites"]),
        "existing": len(doc["existing"]), "status": sol.status.value,
        "objective": sol.objective, "bound": sol.bound, "gap": sol.gap, "cost": sol.cost,
        "budget": doc["objective"]["budget"], "new": len(sol.open),
        "coverage": {k: v["share"] for k, v in sol.coverage.items()},
        "assignments": len(sol.assignments or []),
        "mean_utilisation": sum(used) / len(used) if used else None,
        "model": {k: sol.model.get(k) for k in ("variables", "constraints", "nonzeros",
                                                  "coverage_triples", "demand_groups",
                                                  "pairs_capacitated", "assignments")},
        "timings": sol.solver.get("timings"), "seconds": sol.solver.get("seconds"),
        "generate_s": gen, "peak_rss_mib": peak,
    }


NOTES = """
Notes:

* The objective is the independent verifier's, after it checked the assignment (reach,
  capacities, demand, min_load) and that it serves as much as a transportation LP could for the
  chosen sites. The bound of the `heuristic` row is the LP relaxation's optimum (HiGHS, proven):
  the gap is honest.
* The automatic choice sends a model above 1,000,000 nonzeros to the heuristic; for capacities
  that is the LP relaxation, rounding in LP order within the budget, and a transportation LP
  for the chosen sites (`sitecircle.engines.capacity_rounding`). A forced exact engine under a
  time limit first runs that heuristic for half the time (fallback and hint): SCIP did not
  improve on it in the other half (its row repeats the heuristic's plan, 133 s in all with the
  verification, peak 3.5 GiB for both processes); HiGHS (PuLP) closed the 1 % gap in 42 s.
  Before that warm start, both found no solution at all within 120 s on this shared 2-core
  machine (the root LP of 0.7M variables).
* "mean utilisation" is over every facility with a finite capacity, existing ones included (in a
  `no_solution` row: the existing ones alone, as the verifier assigns them).
* Cost of capacities on this instance: 14.6× the variables and 3.1× the nonzeros of the
  uncapacitated model, about 1.3× the peak memory (1.16 vs 0.88 GiB on the default route); the
  uncapacitated model is not easier to close (SCIP and HiGHS stop at the 120 s limit with a
  0.3-1.2 % gap over runs), while the capacitated one is nearly integral (LP gap 0.004 %).
"""


def _row(r: dict[str, Any]) -> str:
    gap = "—" if r["gap"] is None else f"{100 * r['gap']:.2f} %"
    bound = "—" if r["bound"] is None else f"{r['bound']:,.0f}"
    obj = "—" if r["objective"] is None else f"{r['objective']:,.0f}"
    m = r["model"]
    util = "—" if r["mean_utilisation"] is None else f"{100 * r['mean_utilisation']:.0f} %"
    cov = ", ".join(f"{k} {100 * v:.1f} %" for k, v in r["coverage"].items())
    return (f"| {r['name']} | {r['backend']}/{r['engine']} | {r['status']} | {obj} | {bound} | "
            f"{gap} | {r['cost']:,.1f} / {r['budget']:,.1f} | {r['new']} | {cov} | {util} | "
            f"{m['variables']:,} / {m['constraints']:,} / {m['nonzeros']:,} | "
            f"{r['seconds']:.1f} s | {r['peak_rss_mib']:,.0f} MiB |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--communities", type=int, default=50_000)
    p.add_argument("--sites", type=int, default=5_000)
    p.add_argument("--existing", type=int, default=300)
    p.add_argument("--extent", type=float, default=40.0, help="side of the square, km")
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--gap", type=float, default=0.01)
    p.add_argument("--backends", action="store_true", help="also PuLP/HiGHS")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--capacities", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--backend", default="ortools", help=argparse.SUPPRESS)
    p.add_argument("--engine", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    runs = [("ortools", None, True), ("ortools", None, False)]
    if args.backends:
        runs += [("ortools", "scip", True), ("pulp", "highs", True), ("pulp", "highs", False)]
    rows = []
    for backend, engine, caps in runs:
        cmd = [sys.executable, __file__, "--worker", "--backend", backend,
               "--communities", str(args.communities), "--sites", str(args.sites),
               "--existing", str(args.existing), "--extent", str(args.extent),
               "--time-limit", str(args.time_limit), "--gap", str(args.gap)]
        cmd += ["--engine", engine] if engine else []
        cmd += ["--capacities"] if caps else []
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(_row(rows[-1]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "capacity.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    head = ("| instance | engine | status | objective | bound | gap | cost / budget | new | "
            "share served | mean utilisation | vars / rows / nonzeros | time | peak RSS |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    text = (f"# Capacitated max_coverage (issue 12)\n\n`python benchmarks/capacity.py "
            f"--communities {args.communities} --sites {args.sites} --extent {args.extent:g}` · "
            f"{platform.machine()}, {platform.python_version()}, limit {args.time_limit:g} s, "
            f"gap {args.gap:g}\n\n" + head + "\n".join(_row(r) for r in rows) + "\n" + NOTES)
    (args.out / "capacity.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
