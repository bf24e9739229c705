"""One command for every sitecircle benchmark.

    python benchmarks/run.py [--quick] [--only FAMILY[,FAMILY]] [--time-limit S]
                             [--solvers NAME,...] [--match REGEX] [--out DIR] [--resume]

Families: ``scp`` (OR-Library set covering vs proven/best-known optima), ``mclp`` (Swain, SJC,
BDS, spopt San Francisco, Máximo cities vs published values), ``synthetic`` (seeded scaling
series) and ``spopt`` (the PySAL peer). Each family writes ``<out>/<family>.json`` (every run
with its phase timings, status, objective, bound, gap, peak memory, and the versions of
everything), ``<out>/<family>.md`` (tables) and ``<out>/<family>.png`` (time vs size per
solver). ``--quick`` runs a small subset of every family in under two minutes (what
``tests/test_benchmarks_smoke.py`` runs). See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import families, harness, report, summary  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
QUICK_OUT = DEFAULT_OUT / "quick"
ALL_SOLVERS = list(harness.SOLVERS)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a small subset of every family, 5 s limit (CI smoke run)")
    p.add_argument("--only", default=",".join(families.FAMILIES),
                   help="comma-separated families (default: all of "
                   f"{', '.join(families.FAMILIES)})")
    p.add_argument("--time-limit", type=float, default=None,
                   help="solver time limit per run in seconds, gap 0 (default 60; quick 5)")
    p.add_argument("--solvers", default=",".join(ALL_SOLVERS),
                   help="comma-separated solver rows; 'ortools-sat@N' runs CP-SAT with N workers")
    p.add_argument("--match", default=None, help="only cases whose name matches this regex")
    p.add_argument("--sizes", default=None,
                   help="synthetic sizes, e.g. '1000x200,10000x1000' (default: the full series)")
    p.add_argument("--out", type=Path, default=None,
                   help=f"output folder (default {DEFAULT_OUT}; quick: {QUICK_OUT})")
    p.add_argument("--data", type=Path, default=harness.DEFAULT_DATA,
                   help="public benchmark data folder (default ../shared/data)")
    p.add_argument("--resume", action="store_true",
                   help="keep the runs already in <out>/<family>.json and skip them")
    p.add_argument("--pulp-max-nnz", type=int, default=4_000_000,
                   help="above this many model nonzeros PuLP rows only translate (default 4M)")
    p.add_argument("--spopt-budget", type=float, default=None,
                   help="wall-clock budget of the whole spopt series (default 600 s; quick 60)")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the .md/.png from the existing .json, run nothing")
    args = p.parse_args(argv)
    args.families = [f.strip() for f in args.only.split(",") if f.strip()]
    bad = [f for f in args.families if f not in families.FAMILIES]
    if bad:
        p.error(f"unknown family {bad}; choose from {', '.join(families.FAMILIES)}")
    args.solver_list = [s.strip() for s in args.solvers.split(",") if s.strip()]
    for s in args.solver_list:
        if harness.solver_spec(s) is None:
            p.error(f"unknown solver {s!r}; choose from {', '.join(ALL_SOLVERS)}")
    if args.time_limit is None:
        args.time_limit = 5.0 if args.quick else 60.0
    if args.spopt_budget is None:
        args.spopt_budget = 60.0 if args.quick else 600.0
    if args.out is None:
        args.out = QUICK_OUT if args.quick else DEFAULT_OUT
    args.size_list = None
    if args.sizes:
        args.size_list = [tuple(int(v) for v in s.lower().split("x"))
                          for s in args.sizes.split(",")]
    return args


class Family:
    """Results of one family: loaded from / written to ``<out>/<family>.json`` incrementally."""

    def __init__(self, name: str, out: Path, meta: dict[str, Any], resume: bool) -> None:
        self.name = name
        self.path = out / f"{name}.json"
        self.records: list[dict[str, Any]] = []
        if resume and self.path.is_file():
            old = json.loads(self.path.read_text())
            self.records = list(old.get("records", []))
            old_meta = old.get("meta", {})
            meta = {**old_meta, **meta, "runs": old_meta.get("runs", []) + meta["runs"]}
            if not meta["runs"][-1:] or meta["runs"][-1:] == old_meta.get("runs", [])[-1:]:
                meta["versions"] = old_meta.get("versions", meta["versions"])
        self.meta = meta

    def done(self, instance: str, solver: str) -> bool:
        """True when the pair has a result; a ``killed`` run is tried again (unless kept)."""
        return any(r["instance"] == instance and r["solver"] == solver
                   and (r.get("status") != "killed" or r.get("keep")) for r in self.records)

    def add(self, rec: dict[str, Any]) -> None:
        self.records = [r for r in self.records
                        if not (r["instance"] == rec["instance"] and r["solver"] == rec["solver"])]
        self.records.append(rec)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"meta": self.meta, "records": self.records}, indent=1,
                                  default=str))
        os.replace(tmp, self.path)


def _allowance(case: dict[str, Any], time_limit: float) -> float:
    """Wall-clock seconds before a worker is killed: the limit plus generous model time."""
    n = float(case.get("args", {}).get("n", 0))
    return 1.5 * time_limit + 120.0 + 6.0 * n / 1000.0


def _progress(rec: dict[str, Any]) -> None:
    obj = rec.get("objective")
    solve = (rec.get("phases") or {}).get("solve")
    total = rec.get("total")
    print(f"  {rec['instance']:<28} {rec['solver']:<15} {rec.get('status')!s:<14} "
          f"obj={'-' if obj is None else f'{obj:.10g}':<14} known={rec.get('known')!s:<10} "
          f"solve={'-' if solve is None else f'{solve:.2f}':>7}s "
          f"total={'-' if total is None else f'{total:.2f}':>7}s"
          + (f"  ERROR {rec['error']}" if rec.get("error") else ""), flush=True)


def run_cases(fam: Family, cases: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Every case × solver of a family, instance by instance."""
    if args.match:
        cases = [c for c in cases if re.search(args.match, c["name"])]
    for case in cases:
        for solver in args.solver_list:
            if fam.done(case["name"], solver):
                continue
            task = harness.Task(fam.name, case, solver, args.time_limit,
                                _allowance(case, args.time_limit), args.pulp_max_nnz,
                                str(args.data))
            rec = harness.run_task(task)
            fam.add(rec)
            _progress(rec)


def run_spopt(fam: Family, args: argparse.Namespace) -> None:
    """The spopt series: growing sizes until spopt gives up or the budget is spent."""
    from benchmarks import spopt_peer

    sizes = spopt_peer.SIZES[:1] if args.quick else spopt_peer.SIZES
    if args.size_list:
        sizes = tuple(args.size_list)
    ours = [s for s in ("pulp-cbc", "ortools-scip") if s in args.solver_list] or ["pulp-cbc"]
    start = time.perf_counter()
    per_run_cap = max(args.time_limit * 2 + 60.0, 120.0)
    for model in spopt_peer.MODELS:
        last: tuple[int, float] | None = None  # (n*m, spopt wall) of the previous size
        for n, m in sizes:
            case = spopt_peer.spopt_case(n, m, model)
            if args.match and not re.search(args.match, case["name"]):
                continue
            spent = time.perf_counter() - start
            remaining = args.spopt_budget - spent
            if last is not None:
                projected = last[1] * (n * m) / last[0]
                if projected > min(remaining, per_run_cap):
                    fam.add({"family": "spopt", "group": model, "instance": case["name"],
                             "solver": "spopt", "status": "not run", "phases": {},
                             "objective": None, "size": {"communities": n, "sites": m},
                             "note": (f"projected {projected:.0f} s from the previous size "
                                      f"exceeds the cap ({min(remaining, per_run_cap):.0f} s)")})
                    print(f"  {case['name']}: spopt stops (projected {projected:.0f} s)")
                    break
            for solver in ["spopt", *ours]:
                if fam.done(case["name"], solver):
                    continue
                task = harness.Task("spopt", case, solver, args.time_limit, per_run_cap,
                                    args.pulp_max_nnz, str(args.data))
                rec = harness.run_task(task, preload_spopt=True)
                fam.add(rec)
                _progress(rec)
            sp = next(r for r in fam.records if r["instance"] == case["name"]
                      and r["solver"] == "spopt")
            if sp.get("status") in ("killed", "error", "no_solution", None):
                print(f"  {case['name']}: spopt gave up ({sp.get('status')}); series stops")
                break
            last = (n * m, float(sp.get("wall") or sp.get("total") or 1.0))


def main(argv: list[str] | None = None) -> int:
    """Run the requested families and write their results."""
    args = _parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if "spopt" in args.families:
        try:
            import spopt  # noqa: F401
        except ImportError:
            print("spopt is not installed (pip install -e '.[bench]'): skipping the spopt family")
            args.families.remove("spopt")
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    run_meta = {"started": stamp, "argv": sys.argv[1:] if argv is None else argv,
                "quick": args.quick, "time_limit": args.time_limit,
                "solvers": args.solver_list}
    versions = harness.versions()
    run_meta.update(git_commit=versions.get("git_commit"),
                    git_src_dirty=versions.get("git_src_dirty"))
    for name in args.families:
        meta = {"family": name, "versions": versions,
                "runs": [] if args.report_only else [run_meta],
                "mip_gap": 0.0, "sat_workers": harness.SAT_WORKERS,
                "memory": ("peak_rss_mb = getrusage(RUSAGE_SELF).ru_maxrss of the worker "
                           "process (Python + native solver libraries; includes the fork "
                           "server baseline rss_start_mb); child_peak_rss_mb = RUSAGE_CHILDREN "
                           "(the CBC executable)")}
        fam = Family(name, args.out, meta, args.resume or args.report_only)
        if not args.report_only:
            print(f"== {name} (time limit {args.time_limit:g} s, gap 0) -> {fam.path}", flush=True)
            if name == "scp":
                run_cases(fam, families.scp_cases(args.data, args.quick), args)
            elif name == "mclp":
                run_cases(fam, families.mclp_cases(args.data, args.quick), args)
            elif name == "synthetic":
                run_cases(fam, families.synthetic_cases(args.quick, args.size_list), args)
            else:
                run_spopt(fam, args)
            fam.meta["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            fam.save()
        report.write(fam.name, fam.meta, fam.records, args.out)
        print(f"   wrote {fam.path.with_suffix('.md')}", flush=True)
    print(f"   wrote {summary.write_summary(args.out)}", flush=True)
    readme = Path(__file__).resolve().parent / "README.md"
    if args.out.resolve() == DEFAULT_OUT and summary.update_readme(readme, args.out):
        print(f"   updated the results block of {readme}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
