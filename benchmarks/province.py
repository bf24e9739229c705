"""Province benchmark (issue 5): many independent cities in one ``min_cost`` instance.

A province of ``--cities`` synthetic cities (each ``--communities`` × ``--sites`` × 4 categories,
uniform, 100 km apart) must be fully covered at least cost. No limit couples the cities, so
sitecircle solves the independent parts one by one (default), on an in-process Dask cluster
(``scheduler="local"``), or — for comparison — as one model (splitting switched off). Every row
is a full :func:`sitecircle.solve` (coverage, build, solve, independent verification), in one
process, side by side.

Usage::

    python benchmarks/province.py [--cities 14] [--communities 10000] [--sites 1000]

Writes ``benchmarks/results/province.md`` and ``province.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

import sitecircle
import sitecircle.solving.parts as split_mod
from sitecircle.instance.data import Instance
from sitecircle.synthetic import random_instance
from sitecircle.travel.coverage import coverage_from_instance

OUT = Path(__file__).resolve().parent / "results"


def province(cities: int, communities: int, sites: int, extent_m: float) -> dict[str, Any]:
    """One instance with ``cities`` cities 100 km apart; unreachable communities are left out."""
    doc: dict[str, Any] | None = None
    for c in range(cities):
        city = random_instance(100 + c, n_communities=communities, n_sites=sites,
                               n_categories=4, extent_m=extent_m)
        for site in city["sites"]:  # plain set covering per category: no shared site costs
            site.pop("max_categories", None)
            site.pop("open_cost", None)
        inst = Instance.from_dict(city)
        reachable = np.all(coverage_from_instance(inst).coverable[:, inst.required], axis=1)
        city["communities"] = [r for r, ok in zip(city["communities"], reachable, strict=True)
                               if ok]
        for key in ("communities", "sites", "existing"):
            for record in city[key]:
                record["x"] += 100_000.0 * c
                record["id"] = f"city{c}-{record['id']}"
        if doc is None:
            doc = city
        else:
            for key in ("communities", "sites", "existing"):
                doc[key].extend(city[key])
    assert doc is not None
    doc["name"] = f"province-{cities}x{communities}x{sites}x4"
    doc["objective"] = {"type": "min_cost"}
    return doc


def run(doc: dict[str, Any], label: str, time_limit: float, **kwargs: Any) -> dict[str, Any]:
    """One full solve; returns the row."""
    t = time.perf_counter()
    result = sitecircle.solve(doc, backend="pulp", engine="cbc", time_limit=time_limit,
                              **kwargs)
    seconds = time.perf_counter() - t
    timings = result.solver.get("timings", {})
    return {"run": label, "status": result.status.value, "objective": result.objective,
            "bound": result.bound, "gap": result.gap, "parts": result.solver.get("parts", 1),
            "seconds": round(seconds, 2), "solve_s": round(timings.get("solve", 0.0), 2),
            "rows": result.model.get("constraints"), "nonzeros": result.model.get("nonzeros"),
            "columns_dominated": result.model.get("columns_dominated")}


def main() -> None:
    """Run the three rows and write the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cities", type=int, default=14)
    p.add_argument("--communities", type=int, default=10_000)
    p.add_argument("--sites", type=int, default=1_000)
    p.add_argument("--extent", type=float, default=8_000.0, help="city side in metres")
    p.add_argument("--time-limit", type=float, default=600.0)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args()
    doc = province(args.cities, args.communities, args.sites, args.extent)
    rows = [run(doc, "parts, one by one", args.time_limit),
            run(doc, "parts, Dask local cluster", args.time_limit, scheduler="local")]
    split_mod.PART_NONZEROS = 10**15  # one part: the whole province as one model
    rows.append(run(doc, "one model (no splitting)", args.time_limit))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_comm = len(doc["communities"])
    head = (f"# Province benchmark (issue 5): independent cities, `min_cost` (full coverage)\n\n"
            f"{args.cities} uniform cities of {args.communities:,} communities (those with a "
            f"site of every category in reach: {n_comm:,} in all) × {args.sites:,} sites × 4 "
            f"categories, 100 km apart; PuLP/CBC, time limit {args.time_limit:g} s, relative "
            f"gap 0. One process, rows run one after another; machine: "
            f"{platform.machine()}, 2 CPUs; peak RSS of the process {peak_mb:,.0f} MB.\n"
            f"Command: `python benchmarks/province.py --cities {args.cities} --communities "
            f"{args.communities} --sites {args.sites}`.\n\n")
    table = ["| run | parts | status | objective | bound | gap | solve s | total s |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        gap = "–" if r["gap"] is None else f"{r['gap']:.4%}"
        obj = "–" if r["objective"] is None else f"{r['objective']:,.1f}"
        bound = "–" if r["bound"] is None else f"{r['bound']:,.1f}"
        table.append(f"| {r['run']} | {r['parts']} | {r['status']} | {obj} | {bound} | {gap} | "
                     f"{r['solve_s']:.1f} | {r['seconds']:.1f} |")
    model = (f"\nModel after reductions: {rows[0]['rows']:,} rows, {rows[0]['nonzeros']:,} "
             f"nonzeros, {rows[0]['columns_dominated']:,} dominated site columns dropped.\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "province.md").write_text(head + "\n".join(table) + "\n" + model,
                                          encoding="utf-8")
    (args.out / "province.json").write_text(json.dumps({"args": {k: str(v) for k, v in
                                                                  vars(args).items()},
                                                         "rows": rows}, indent=1),
                                            encoding="utf-8")
    print(head + "\n".join(table) + model)


if __name__ == "__main__":
    main()
