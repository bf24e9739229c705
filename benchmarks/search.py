"""Issue 15 targets 2 and 4 (hard MCLP search quality), before (a git ref) and after, side by side.

Usage::

    python benchmarks/search.py --before main                    # hard cases, 60 s each
    python benchmarks/search.py --cases all --limit 20 --sides after --engines heuristic
    python benchmarks/search.py --cases Kings-p60 --limit 10      # one case
    python benchmarks/search.py --sides after --threads 1         # the 'after' side on one core

Cases:

* ``Kings-p60`` … (``City-pP``): Máximo, Cordeau & Nascimento's real cities
  (``mclp/maximo``, radius 800 m for Kings, 600 m for Bronx and San Francisco, 400 m for New
  York), best-known values from ``mclp/results.csv``; ``hard`` = Kings p = 60/70/80, San
  Francisco p = 60/70, Bronx p = 60 (issue 15, target 4), ``all`` = the 24 cases.
* ``BDS10k1k-p50``: the 10,000 customers × 1,000 sites BDS file
  (``bds/BDS1000fac_BDS10000A.txt``), radius 2.1, at most 50 sites: a stand-in for issue 15's
  target 2, whose exact instance is not recorded in the repository.

Every run is a fresh ``python`` process with the side's ``src`` first on the path and calls
``sitecircle.solve(instance, time_limit=LIMIT, ...)``: reading, coverage, model building, the
engine and the independent verification all count against the limit, as on the command line.
Engines: ``heuristic`` (backend ``sitecircle``) and ``auto`` (no engine named: the automatic
choice, SCIP warm-started by the heuristic on these sizes). Output: ``results/search.{md,json}``
(rows of an earlier run not re-run are kept, and so is a hand-written section headed
``## Notes (by hand``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "mclp"
OUT = ROOT / "benchmarks" / "results"
RADIUS = {"Kings": 800, "Bronx": 600, "SanFrancisco": 600, "NewYork": 400}
HARD = ("Kings-p60", "Kings-p70", "Kings-p80", "SanFrancisco-p60", "SanFrancisco-p70",
        "Bronx-p60")
ALL = tuple(f"{c}-p{p}" for c in ("NewYork", "Bronx", "SanFrancisco", "Kings")
            for p in (50, 60, 70, 80, 90, 100))
BDS = "BDS10k1k-p50"

_CODE = """
import json, time
from pathlib import Path
import sitecircle
from sitecircle import datasets
name, data, limit, engine, threads = {name!r}, Path({data!r}), {limit!r}, {engine!r}, {threads!r}
t = time.perf_counter()
if name.startswith("BDS10k1k"):
    doc = datasets.read_bds(data / "bds" / "BDS1000fac_BDS10000A.txt", 2.1, 50)
else:
    city, p = name.split("-p")
    doc = datasets.read_maximo(data / "maximo" / f"{{city}}.txt", {radius!r}[city], int(p))
kw = {{"backend": "sitecircle", "engine": "heuristic"}} if engine == "heuristic" else {{}}
if threads is not None:
    kw["threads"] = threads
s = sitecircle.solve(doc, time_limit=limit, **kw)
print(json.dumps({{"wall_s": round(time.perf_counter() - t, 2), "status": s.status.value,
                   "objective": s.objective, "bound": s.bound, "gap": s.gap,
                   "engine_used": f"{{s.solver.get('backend')}}/{{s.solver.get('engine')}}",
                   "native_status": s.solver.get("native_status")}}))
"""


NOTES = "## Notes (by hand"
"""The heading of the hand-written section of ``search.md``, kept when the table is rewritten."""


def known_values() -> dict[str, float]:
    """Best-known covered demand of every Máximo case (``mclp/results.csv``)."""
    out = {}
    with (DATA / "results.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["instance"].startswith("maximo/"):
                out[f"{row['instance'][7:]}-p{row['p_or_budget']}"] = float(
                    row["covered_demand"])
    return out


def _before_tree(ref: str, folder: Path) -> Path:
    archive = folder / "before.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "archive", ref, "src"], cwd=ROOT, stdout=fh, check=True)
    subprocess.run(["tar", "-xf", str(archive), "-C", str(folder)], check=True)
    return folder / "src"


def run_one(src: Path, name: str, limit: float, engine: str,
            threads: int | None = None) -> dict[str, Any]:
    """One case on one side, in a fresh interpreter."""
    code = _CODE.format(name=name, data=str(DATA), limit=limit, engine=engine, radius=RADIUS,
                        threads=threads)
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=limit * 4 + 120, env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()
        return {"error": tail[-1] if tail else f"exit {done.returncode}"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _fmt(x: Any, digits: int = 0) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def report(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The markdown table: one line per case, engine and limit, the sides side by side."""
    lines = ["# Hard MCLP search quality (issue 15, targets 2 and 4)", "",
             "Regenerate: `python benchmarks/search.py` (see its docstring). Every run: a fresh "
             "process calling `sitecircle.solve(..., time_limit=LIMIT)` (reading, coverage, "
             "build, engine and verification inside the limit). `short` = (best-known − "
             "objective) / best-known; `gap` = (bound − objective) / objective as reported.", "",
             f"Machine: {meta['machine']}. Runs: {'; '.join(meta['runs'])}.", ""]
    keys = sorted({(r["case"], r["engine"], r["limit"]) for r in rows},
                  key=lambda k: (k[1], k[2], k[0]))
    lines += ["| case | engine | limit s | best-known | before | before short | after | "
              "after short | after bound | after gap | reached | after wall s |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for case, engine, limit in keys:
        side = {r["side"]: r for r in rows if (r["case"], r["engine"], r["limit"]) ==
                (case, engine, limit)}
        b, a = side.get("before", {}), side.get("after", {})
        known = a.get("known", b.get("known"))

        def short(r: dict[str, Any], k: float | None = known) -> str:
            if k is None or r.get("objective") is None:
                return "–"
            return f"{100 * (k - r['objective']) / k:.3f} %"
        reached = "–" if known is None or a.get("objective") is None else (
            "yes" if a["objective"] >= known - 1e-6 else "no")
        gap = a.get("gap")
        lines.append(
            f"| {case} | {engine} | {limit:g} | {_fmt(known)} | {_fmt(b.get('objective'))} | "
            f"{short(b)} | {_fmt(a.get('objective'))} | {short(a)} | {_fmt(a.get('bound'))} | "
            f"{'–' if gap is None else f'{100 * gap:.2f} %'} | {reached} | "
            f"{_fmt(a.get('wall_s'), 1)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", default=None, help="git ref of the 'before' side")
    ap.add_argument("--sides", default="before,after")
    ap.add_argument("--cases", default="hard", help="hard, all, BDS10k1k-p50 or names, comma")
    ap.add_argument("--engines", default="heuristic", help="heuristic,auto")
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--threads", type=int, default=None,
                    help="threads of the 'after' side (default: the solver's own choice)")
    args = ap.parse_args(argv)
    names: list[str] = []
    for part in args.cases.split(","):
        names += list(HARD) if part == "hard" else list(ALL) if part == "all" else [part]
    known = known_values()
    sides = [s for s in args.sides.split(",") if s != "before" or args.before]
    path = args.out / "search.json"
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {
        "rows": [], "runs": []}
    rows: list[dict[str, Any]] = old["rows"]
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"after": ROOT / "src"}
        if "before" in sides:
            trees["before"] = _before_tree(args.before, Path(tmp))
        for name in names:
            for engine in args.engines.split(","):
                for side in sides:
                    load = round(os.getloadavg()[0], 2)
                    got = run_one(trees[side], name, args.limit, engine,
                                  args.threads if side == "after" else None)
                    row = {"case": name, "engine": engine, "limit": args.limit, "side": side,
                           "known": known.get(name), "load_1min_before": load,
                           "threads": args.threads if side == "after" else None, **got}
                    print(json.dumps(row), flush=True)
                    rows = [r for r in rows if (r["case"], r["engine"], r["limit"], r["side"])
                            != (name, engine, args.limit, side)] + [row]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    runs = [*old["runs"], f"{stamp} `{' '.join(sys.argv[1:])}` (after = {commit} + worktree, "
            f"before = {args.before}; 1-min load average {load_start:.2f} at the start, "
            f"{os.getloadavg()[0]:.2f} at the end)"]
    meta = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
                       "shared with other jobs", "runs": runs}
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows, "runs": runs}, indent=1), encoding="utf-8")
    md = args.out / "search.md"
    notes = md.read_text(encoding="utf-8").partition(NOTES)[2] if md.exists() else ""
    md.write_text(report(rows, meta) + (f"\n{NOTES}{notes}" if notes else ""), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
