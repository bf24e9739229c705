"""Benders engine benchmark (issue 5, exact at scale): ``engine="benders"`` on the scale rows.

Rows (instances exactly as :mod:`benchmarks.scale` builds them):

* ``synthetic``: ``uniform-200k-10k-4`` (seed 5, budget 0.3 × the cost of covering the city
  once per category, as in ``scale.py``), the engine given ``--synthetic-limit`` seconds (default
  90, so that generation, coverage, build and solve stay within about two minutes).
* ``maximo``: the four Máximo real-city MCLP instances, p = 50 … 100, 60 s each, against the
  best-known values of ``mclp/results.csv``.
* ``bds``: the Cordeau–Furini–Ljubić BDS budgeted MCLP files, 1,000-100,000 customers, 30 s.

Every row runs in a fresh worker process, so its peak RSS (``ru_maxrss``) is its own. The
objective is the independent verifier's; ``bound`` and ``gap`` are the engine's. Results:
``results/benders.json`` and ``results/benders.md``.

Usage::

    python benchmarks/benders.py                      # everything (about 40 minutes, 2 cores)
    python benchmarks/benders.py --only bds --match 100000
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "benchmarks" / "results"
LIMITS = {"synthetic": 90.0, "maximo": 60.0, "bds": 30.0}


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Run one row in this process and return its record."""
    from benchmarks.scale import _read_case, synthetic_instance
    from sitecircle import build_model, coverage_from_instance, verify
    from sitecircle.engines.benders import benders_solve
    from sitecircle.solving.pipeline import _open_pairs, relative_gap

    phases: dict[str, float] = {}
    t = time.perf_counter()
    if case["family"] == "synthetic":
        inst = synthetic_instance(case["seed"], case["n"], case["m"])
    else:
        inst = _read_case(case)
    phases["read"] = time.perf_counter() - t
    t = time.perf_counter()
    coverage = coverage_from_instance(inst)
    phases["coverage"] = time.perf_counter() - t
    t = time.perf_counter()
    model = build_model(inst, coverage)
    del coverage
    phases["build"] = time.perf_counter() - t
    t = time.perf_counter()
    res = benders_solve(model, time_limit_s=case["time_limit"], seed=0)
    phases["benders"] = time.perf_counter() - t
    assert res.values is not None
    t = time.perf_counter()
    check = verify(inst, _open_pairs(model, res.values))
    phases["verify"] = time.perf_counter() - t
    out: dict[str, Any] = {
        "case": case["name"], "family": case["family"], "time_limit": case["time_limit"],
        "phases": {k: round(v, 3) for k, v in phases.items()},
        "log": [{k: v for k, v in e.items() if k != "x"} for e in res.extra["phases"]],
        "status": res.status.value, "objective": check.objective, "bound": res.bound,
        "gap": relative_gap(check.objective, res.bound), "violations": check.violations,
        "model": {k: model.stats.get(k) for k in ("rows_merged_to", "columns", "nonzeros")},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "known": case.get("known"),
    }
    if case.get("known") is not None:
        out["delta_known"] = check.objective - case["known"]
    return out


def _cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    only = set(args.only.split(",")) if args.only else {"synthetic", "maximo", "bds"}
    cases: list[dict[str, Any]] = []
    if "synthetic" in only:
        cases.append({"family": "synthetic", "name": "uniform-200k-10k-4", "n": 200_000,
                      "m": 10_000, "seed": 5, "time_limit": args.synthetic_limit})
    from benchmarks.scale import known_mclp_cases

    cases += known_mclp_cases(Path(args.data), only, LIMITS)
    if args.match:
        cases = [c for c in cases if re.search(args.match, c["name"])]
    return cases


def _spawn(case: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.json"
        cmd = ["nice", "-n", "5", sys.executable, str(Path(__file__).resolve()), "--worker",
               json.dumps(case), "--worker-out", str(path)]
        timeout = 2 * case["time_limit"] + 300
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return {"case": case["name"], "family": case["family"], "status": "killed"}
        if done.returncode != 0 or not path.is_file():
            return {"case": case["name"], "family": case["family"], "status": "error",
                    "error": done.stderr[-2000:]}
        record: dict[str, Any] = json.loads(path.read_text())
        return record


def _phase(r: dict[str, Any], name: str) -> dict[str, Any]:
    return next((e for e in r["log"] if e["phase"] == name), {})


def _integer_note(r: dict[str, Any]) -> str:
    tree = _phase(r, "branch_and_cut")
    if tree:
        return f"B&C {tree['nodes']} nodes, {tree['open']} open"
    mip = _phase(r, "mip_exact")
    if mip:
        return f"MIP {mip['free_columns']} free cols, {mip['status']}"
    skipped = _phase(r, "mip")
    return "none (" + skipped["skipped"].split(" (")[0] + ")" if skipped else "—"


def write_markdown(records: list[dict[str, Any]], meta: dict[str, Any], path: Path) -> None:
    """Write ``benders.md``."""
    lines = ["# Benders engine (issue 5: exact at scale)", "",
             f"Written {meta['written']} by `python benchmarks/benders.py {' '.join(meta['argv'])}`"
             f"; {meta['cpus']} CPUs shared with other jobs (load average at start "
             f"{meta['load']}). One fresh process per row; seconds; `prep` = read or generate + "
             "coverage + build; `benders` = the engine's wall time (its limit in brackets); "
             "objective verified independently; peak = `ru_maxrss` of the row.", ""]
    for family, title in (("synthetic", "Synthetic city (budget binding)"),
                          ("maximo", "Máximo real cities (p-facility MCLP)"),
                          ("bds", "BDS budgeted MCLP")):
        rows = [r for r in records if r.get("family") == family]
        if not rows:
            continue
        lines += [f"## {title}", ""]
        if family != "synthetic":
            hits = sum(1 for r in rows if r.get("delta_known") == 0)
            proved = sum(1 for r in rows if r.get("status") == "optimal")
            lines += [f"Best-known value reached in {hits} of {len(rows)} rows; optimality "
                      f"proved in {proved}.", ""]
        lines += ["| case | prep | heuristic | LP (rounds) | benders (limit) | objective | "
                  "known (Δ) | bound | gap | integer phase | peak MB | status |",
                  "|" + "---|" * 12]
        for r in rows:
            if "phases" not in r:
                lines.append(f"| {r['case']} |" + " |" * 10 + f" {r.get('status')} |")
                continue
            p = r["phases"]
            lp = _phase(r, "lp")
            known = "—"
            if r.get("known") is not None:
                rel = r["delta_known"] / r["known"] if r["known"] else 0.0
                known = f"{r['known']:,} ({r['delta_known']:+,.0f}, {rel:+.3%})"
            gap = "—" if r["gap"] is None else f"{r['gap']:.3%}"
            bound = "—" if r["bound"] is None else f"{r['bound']:,.0f}"
            lines.append(
                f"| {r['case']} | {p['read'] + p['coverage'] + p['build']:.1f} | "
                f"{_phase(r, 'heuristic').get('seconds', 0):.1f} | "
                f"{lp.get('seconds', 0):.1f} ({lp.get('rounds', 0)}) | "
                f"{p['benders']:.1f} ({r['time_limit']:g}) | {r['objective']:,.0f} | {known} | "
                f"{bound} | {gap} | {_integer_note(r)} | {r['peak_rss_mb']:,.0f} | "
                f"{r['status']} |")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    import os

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--only", help="families: synthetic,maximo,bds")
    parser.add_argument("--match", help="only the rows whose name matches this regex")
    parser.add_argument("--synthetic-limit", type=float, default=LIMITS["synthetic"])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="public benchmark data")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        record = run_case(json.loads(args.worker))
        Path(args.worker_out).write_text(json.dumps(record, default=float), encoding="utf-8")
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "benders.json"
    old = json.loads(json_path.read_text())["runs"] if json_path.is_file() else []
    records: dict[str, dict[str, Any]] = {r["case"]: r for r in old}
    meta = {"argv": sys.argv[1:], "written": time.strftime("%Y-%m-%d %H:%M"),
            "cpus": os.cpu_count(), "load": f"{os.getloadavg()[0]:.1f}"}
    for case in _cases(args):
        record = _spawn(case)
        records[case["name"]] = record
        print(f"{case['name']:>22}: {record.get('status')} objective {record.get('objective')} "
              f"bound {record.get('bound')} gap {record.get('gap')} "
              f"benders {record.get('phases', {}).get('benders')} s "
              f"peak {record.get('peak_rss_mb')} MB", flush=True)
        merged = list(records.values())  # partial runs merge into earlier results
        json_path.write_text(json.dumps({"meta": meta, "runs": merged}, indent=1),
                             encoding="utf-8")
        write_markdown(merged, meta, out / "benders.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
