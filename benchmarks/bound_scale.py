"""Issue 15 target 3: the bound of the heuristic on ``uniform-200k-10k-4`` at 120 s, old vs new.

The model of :mod:`benchmarks.scale`'s ``uniform-200k-10k-4`` row (seed 5; 582,693 rows ×
609,598 columns, 23.8 M nonzeros after the reductions) is built once and cached as a pickle
(``--cache``, default ``/tmp/sitecircle-uniform-200k-10k-4.pkl``). One process then runs
:func:`~sitecircle.engines.heuristic.heuristic_solve` with a 120 s limit twice, side by side:

* ``before``: the current code without the floor (:mod:`sitecircle.engines.floor`), i.e. the
  Lagrangian bound of :mod:`sitecircle.engines.lagrange` (steps scaled by the multipliers'
  upper bounds, deflection 0.8, heavy models end the perturbation at 55 % and restart the final
  bound's step size from its best multipliers while that helps);
* ``after``: the same with the floor: the running average of the subproblem solutions, an LP
  point whose objective no Lagrangian bound (and not the LP relaxation) can go below.

The bound is the heuristic's own (any multipliers give a valid one); the objective is the
model's; ``floor`` is the best floor of the bound phases and ``LP gap ≥`` is
``(floor - objective) / objective``, the part of the gap no LP-strength bound can remove.
Results: ``results/bound_scale.json`` and a table in ``results/bound_scale.md``.

Usage::

    python benchmarks/bound_scale.py            # about 5 minutes on 2 cores
    python benchmarks/bound_scale.py --limit 60
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"


def load_model(cache: Path) -> Any:
    """The ``uniform-200k-10k-4`` model, from the cache or built (and cached)."""
    if cache.is_file():
        with cache.open("rb") as f:
            return pickle.load(f)  # noqa: S301 - our own cache file
    from benchmarks.scale import synthetic_instance
    from sitecircle import build_model, coverage_from_instance

    inst = synthetic_instance(5, 200_000, 10_000)
    model = build_model(inst, coverage_from_instance(inst))
    with cache.open("wb") as f:
        pickle.dump(model, f, protocol=5)
    return model


def run(model: Any, limit: float) -> dict[str, Any]:
    """Both variants, one after the other in this process."""
    from sitecircle.engines import heuristic

    original = heuristic.LagrangianFloor
    out: dict[str, Any] = {}
    variants = [("before", lambda st: None), ("after", original)]
    try:
        for name, make_floor in variants:
            heuristic.LagrangianFloor = make_floor  # type: ignore[assignment,misc]
            load = os.getloadavg()[0]
            t, cpu = time.perf_counter(), time.process_time()
            res = heuristic.heuristic_solve(model, time_limit_s=limit, seed=0)
            assert res.objective is not None and res.bound is not None
            out[name] = {
                "seconds": round(time.perf_counter() - t, 1),
                "cpu": round(time.process_time() - cpu, 1),
                "objective": res.objective, "bound": res.bound,
                "load": [round(load, 2), round(os.getloadavg()[0], 2)],
                "gap": (res.bound - res.objective) / res.objective,
                "floor": max((e["floor"] for e in res.extra["phase_log"] if "floor" in e),
                             default=None),
                "phases": [{k: v for k, v in e.items() if k in ("phase", "seconds", "bound")}
                           for e in res.extra["phase_log"]],
            }
            print(name, json.dumps(out[name]), flush=True)
    finally:
        heuristic.LagrangianFloor = original  # type: ignore[misc]
    return out


def write_markdown(result: dict[str, Any], limit: float, path: Path, size: str) -> None:
    """The side-by-side table of ``bound_scale.md``; ``size`` describes the model."""
    lines = [
        "# Bound at scale (issue 15 target 3): uniform-200k-10k-4, heuristic at "
        f"{limit:.0f} s", "",
        "Written by `python benchmarks/bound_scale.py` (module docstring): one process, the "
        f"same cached model ({size}), the two variants one after the other on a machine shared "
        "with other jobs (2 CPUs). Target: gap ≤ 1 %.", "",
        "| variant | seconds | CPU s | objective | bound | gap | floor | LP gap ≥ | "
        "bound phases (s) | load avg (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in result.items():
        phases = " + ".join(f"{e['seconds']:.1f}" for e in r["phases"] if e["phase"] == "bound")
        floor = r.get("floor")
        low = "–" if floor is None else f"{100 * (floor - r['objective']) / r['objective']:.2f}%"
        lines.append(f"| {name} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['objective']:,.0f} | "
                     f"{r['bound']:,.0f} | {100 * r['gap']:.2f}% | "
                     f"{'–' if floor is None else f'{floor:,.0f}'} | {low} | {phases} | "
                     f"{r['load'][0]:.2f} → {r['load'][1]:.2f} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=120.0, help="heuristic time limit (s)")
    ap.add_argument("--cache", default="/tmp/sitecircle-uniform-200k-10k-4.pkl")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    model = load_model(Path(args.cache))
    result = run(model, args.limit)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bound_scale.json").write_text(json.dumps(result, indent=1) + "\n")
    size = f"{model.n_rows:,} rows × {model.n_vars:,} columns, {model.A.nnz:,} nonzeros"
    write_markdown(result, args.limit, out / "bound_scale.md", size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
