"""The peer: PySAL ``spopt`` LSCP and MCLP from a cost matrix, on the instances sitecircle solves.

Instances: one category (10-minute walk), unit site costs, no existing facilities, drawn by
:func:`sitecircle.synthetic.random_instance` (uniform, sites at
:data:`benchmarks.registry.SITES_PER_KM2`). MCLP opens ``p = max(1, sites // 10)``
facilities, weights = population; LSCP covers every community, after dropping the communities
no site reaches (both tools get the same reduced instance, so both are feasible).

spopt gets the dense communities × sites matrix of walking minutes (distance × detour / speed,
as sitecircle's ``straight`` mode computes them) and solves with PuLP/CBC at relative and
absolute gap 0, like sitecircle's ``pulp-cbc`` row. ``solve(..., results=False)`` is timed: the
optional results step (Python loops over facilities × clients) is left out in spopt's favour.
spopt's answer is re-checked with :func:`sitecircle.verify`.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.registry import extent_for
from sitecircle import Instance, verify
from sitecircle.synthetic import random_instance, unit_cost_single_category

SIZES = ((500, 100), (1_000, 200), (2_000, 400), (5_000, 1_000), (10_000, 2_000),
         (20_000, 4_000), (50_000, 5_000))
MODELS = ("lscp", "mclp")
SEED = 7


def _matrix_minutes(doc: dict[str, Any]) -> np.ndarray:
    from scipy.spatial.distance import cdist

    cxy = np.array([[c["x"], c["y"]] for c in doc["communities"]], dtype=np.float64)
    sxy = np.array([[s["x"], s["y"]] for s in doc["sites"]], dtype=np.float64)
    travel = doc["travel"]
    minutes: np.ndarray = cdist(cxy, sxy) * (travel["detour"] / travel["speed_m_per_min"])
    return minutes


def spopt_doc(n: int, m: int, model: str) -> dict[str, Any]:
    """The shared single-category instance of one size and model (``lscp`` or ``mclp``)."""
    doc = random_instance(SEED, n_communities=n, n_sites=m, n_categories=1, layout="uniform",
                          extent_m=extent_for(m))
    unit_cost_single_category(doc)
    if model == "mclp":
        doc["objective"] = {"type": "max_coverage", "max_new": max(1, m // 10)}
    else:
        reach = _matrix_minutes(doc).min(axis=1) <= doc["categories"][0]["threshold_min"]
        doc["communities"] = [c for c, ok in zip(doc["communities"], reach, strict=True) if ok]
        doc["objective"] = {"type": "min_cost"}
    doc["name"] = f"spopt-{model}-{n}x{m}"
    return doc


def spopt_case(n: int, m: int, model: str) -> dict[str, Any]:
    """Case description for the harness."""
    return {"name": f"{model}-{n}x{m}", "group": model, "loader": "spopt",
            "args": {"n": n, "m": m, "model": model}}


def execute_spopt(task: Any) -> dict[str, Any]:
    """Run spopt on one case in this (worker) process and return its record."""
    import resource

    import pulp
    from spopt.locate import LSCP, MCLP

    from benchmarks.harness import _compare_known, maxrss_mb

    a = task.case["args"]
    rec: dict[str, Any] = {"family": "spopt", "group": a["model"], "instance": task.case["name"],
                           "solver": "spopt", "backend": "spopt", "engine": "cbc",
                           "time_limit": task.time_limit, "mip_gap": 0.0, "phases": {},
                           "rss_start_mb": round(maxrss_mb(), 1), "note": None, "error": None,
                           "known": None, "known_status": None}
    ph = rec["phases"]
    fd, log_path = tempfile.mkstemp(prefix="bench-spopt-cbc-", suffix=".log")
    os.close(fd)
    try:
        t = time.perf_counter()
        doc = spopt_doc(a["n"], a["m"], a["model"])
        ph["generate"] = time.perf_counter() - t
        inst = Instance.from_dict(doc)
        rec["size"] = {"communities": inst.n_communities, "sites": inst.n_sites, "categories": 1}
        t = time.perf_counter()
        cost = _matrix_minutes(doc)
        ph["coverage"] = time.perf_counter() - t  # the dense cost matrix spopt needs
        radius = float(doc["categories"][0]["threshold_min"])
        t = time.perf_counter()
        if a["model"] == "mclp":
            weights = np.array([c["population"] for c in doc["communities"]], dtype=np.float64)
            problem = MCLP.from_cost_matrix(cost, weights, radius,
                                            p_facilities=doc["objective"]["max_new"])
        else:
            problem = LSCP.from_cost_matrix(cost, radius)
        ph["build"] = time.perf_counter() - t
        rec["model"] = {"variables": len(problem.problem.variables()),
                        "constraints": len(problem.problem.constraints),
                        "nonzeros": int(sum(len(c) for c in problem.problem.constraints.values()))}
        del cost
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=task.time_limit, gapRel=0, gapAbs=0,
                                   logPath=log_path)
        t = time.perf_counter()
        try:
            problem.solve(solver, results=False)
        except RuntimeError as exc:  # spopt's check_status: not solved
            rec["note"] = str(exc)
        ph["solve"] = time.perf_counter() - t
        text = Path(log_path).read_text(errors="replace")
        m = re.search(r"^Result - (.+)$", text, re.MULTILINE)
        result = m.group(1).strip() if m else "no result line"
        rec["native_status"] = f"{pulp.LpStatus[problem.problem.status]} / {result}"
        rec["status"] = ("optimal" if result.lower().startswith("optimal") else
                         "feasible" if problem.problem.sol_status in (1, 2) else "no_solution")
        if rec["status"] != "no_solution":
            x = np.array([v.value() or 0.0 for v in problem.fac_vars])
            chosen = np.flatnonzero(x > 0.5)
            t = time.perf_counter()
            check = verify(inst, np.column_stack([chosen, np.zeros_like(chosen)]))
            ph["verify"] = time.perf_counter() - t
            rec["engine_objective"] = pulp.value(problem.problem.objective)
            rec["objective"] = check.objective
            rec["n_open"] = len(chosen)
            if check.violations:
                rec["error"] = "verifier rejects spopt: " + "; ".join(check.violations[:3])
            if a["model"] == "lscp" and any(c["share"] < 1 for c in check.coverage.values()):
                rec["error"] = "spopt LSCP answer leaves a community uncovered"
        else:
            rec["objective"] = None
        rec["bound"] = None
        rec["gap"] = None
    except Exception as exc:  # noqa: BLE001 - recorded
        rec["status"] = "error"
        rec["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        Path(log_path).unlink(missing_ok=True)
    rec["peak_rss_mb"] = round(maxrss_mb(), 1)
    rec["child_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                     / 1024.0, 1)
    rec["phases"] = {k: round(v, 4) for k, v in ph.items()}
    rec["total"] = round(sum(v for k, v in ph.items() if k != "generate"), 4)
    _compare_known(rec)
    return rec
