"""A brute-force oracle for tiny instances, independent of the model builder and the verifier.

It reads the instance dict directly (planar CRS, straight or matrix travel), builds the dense
coverage of every facility with plain loops, and enumerates every subset of openable
(site, category) pairs.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np


def _minutes(inst: dict[str, Any]) -> dict[tuple[str, str], float]:
    travel = inst.get("travel", {"mode": "straight"})
    facilities = inst.get("sites", []) + inst.get("existing", [])
    out: dict[tuple[str, str], float] = {}
    if travel.get("mode", "straight") == "matrix":
        for a, b, t in travel["times"]:
            out[(a, b)] = float(t)
        return out
    speed = travel.get("speed_m_per_min", 66.7)
    detour = travel.get("detour", 1.25)
    for c in inst["communities"]:
        for f in facilities:
            d = math.hypot(c["x"] - f["x"], c["y"] - f["y"])
            out[(c["id"], f["id"])] = d * detour / speed
    return out


def brute_force(inst: dict[str, Any]) -> float | None:
    """Optimal objective by enumeration, or None when no subset is feasible."""
    cats = inst["categories"]
    cat_ids = [c["id"] for c in cats]
    thr = {c["id"]: c.get("threshold_min", 15) for c in cats}
    dem = {c["id"]: c.get("demand", "population") for c in cats}
    wt = {c["id"]: c.get("weight", 1) for c in cats}
    req = {c["id"]: c.get("required", True) for c in cats}
    comms = inst["communities"]
    sites = inst.get("sites", [])
    obj = inst.get("objective", {})
    kind = obj.get("type", "max_coverage")
    minutes = _minutes(inst)

    def reach(cid: str, fid: str, k: str) -> bool:
        t = minutes.get((cid, fid))
        return t is not None and t <= thr[k] + 1e-6

    pre = {(c["id"], k): any(k in e["categories"] and reach(c["id"], e["id"], k)
                             for e in inst.get("existing", []))
           for c in comms for k in cat_ids}
    options = []
    for s in sites:
        for k in s.get("categories", cat_ids):
            cost = s.get("cost", 1)
            options.append((s, k, cost[k] if isinstance(cost, dict) else cost))
    best: float | None = None
    for r in range(len(options) + 1):
        for subset in itertools.combinations(options, r):
            cost = sum(o[2] for o in subset)
            used = {o[0]["id"]: o[0] for o in subset}
            cost += sum(s.get("open_cost", 0) for s in used.values())
            if obj.get("budget") is not None and cost > obj["budget"] + 1e-9:
                continue
            max_new = obj.get("max_new")
            if isinstance(max_new, int) and len(subset) > max_new:
                continue
            if isinstance(max_new, dict) and any(
                    sum(1 for o in subset if o[1] == k) > n for k, n in max_new.items()):
                continue
            if any(sum(1 for o in subset if o[0]["id"] == sid) > s.get("max_categories", 99)
                   for sid, s in used.items()):
                continue
            cov = {(c["id"], k): pre[(c["id"], k)] or any(
                o[1] == k and reach(c["id"], o[0]["id"], k) for o in subset)
                for c in comms for k in cat_ids}
            if kind == "max_coverage":
                value = sum(wt[k] * c[dem[k]] for c in comms for k in cat_ids if cov[(c["id"], k)])
            elif kind == "max_complete":
                value = sum(c["population"] for c in comms
                            if all(cov[(c["id"], k)] for k in cat_ids if req[k]))
            else:
                target = obj.get("target_share", 1.0)
                ok = True
                for k in cat_ids:
                    if not req[k]:
                        continue
                    total = sum(c[dem[k]] for c in comms)
                    got = sum(c[dem[k]] for c in comms if cov[(c["id"], k)])
                    if total > 0 and got < target * total - 1e-9:
                        ok = False
                if not ok:
                    continue
                value = -cost
            if best is None or value > best + 1e-12:
                best = value
    if best is not None and kind == "min_cost":
        best = -best
    return best


def random_tiny(seed: int, kind: str | None = None) -> dict[str, Any]:
    """A random tiny planar instance (≤ 6 communities, ≤ 4 sites, 2 categories)."""
    rng = np.random.default_rng(seed)
    n, m, e = int(rng.integers(1, 7)), int(rng.integers(0, 5)), int(rng.integers(0, 3))
    cats = [
        {"id": "a", "threshold_min": float(rng.choice([5, 10, 15]))},
        {"id": "b", "threshold_min": float(rng.choice([5, 10, 15])), "demand": "elderly",
         "weight": float(rng.choice([1, 2])), "required": bool(rng.random() < 0.8)},
    ]
    def xy() -> dict[str, float]:
        return {"x": float(rng.integers(0, 2000)), "y": float(rng.integers(0, 2000))}
    comms = [{"id": f"c{i}", **xy(), "population": int(rng.integers(0, 100)),
              "elderly": int(rng.integers(0, 30))} for i in range(n)]
    sites = []
    for j in range(m):
        hosts = ["a", "b"] if rng.random() < 0.6 else [str(rng.choice(["a", "b"]))]
        site: dict[str, Any] = {"id": f"s{j}", **xy(), "categories": hosts,
                                "cost": {k: int(rng.integers(1, 6)) for k in hosts}}
        if rng.random() < 0.4:
            site["open_cost"] = int(rng.integers(1, 4))
        if rng.random() < 0.3:
            site["max_categories"] = 1
        sites.append(site)
    existing = [{"id": f"e{j}", **xy(), "categories": [str(rng.choice(["a", "b"]))]}
                for j in range(e)]
    kind = kind or str(rng.choice(["max_coverage", "max_complete", "min_cost"]))
    objective: dict[str, Any] = {"type": kind}
    if kind == "min_cost":
        if rng.random() < 0.5:
            objective["target_share"] = float(rng.choice([0.3, 0.5, 0.8]))
    else:
        objective["budget"] = int(rng.integers(0, 15))
    if rng.random() < 0.3:
        objective["max_new"] = int(rng.integers(0, 4))
    elif rng.random() < 0.2:
        objective["max_new"] = {"a": int(rng.integers(0, 3))}
    return {"format": "sitecircle.instance/1", "name": f"tiny-{seed}", "crs": "EPSG:3857",
            "categories": cats, "communities": comms, "sites": sites, "existing": existing,
            "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
            "objective": objective}


def _plan_values(inst: dict[str, Any]) -> list[tuple[list[float], list[bool]]]:
    """Every feasible plan under the planning rules: its value and target check in every stage.

    Reads the planning fields straight from the dict: ``fixed`` pairs must be in the plan,
    ``excluded`` sites open nothing, per-category ``speed_m_per_min`` changes reach (straight
    mode: distance × detour / speed ≤ threshold), every ``equity`` rule holds for every group
    with a positive total; a ``min_cost`` stage's target is reported per stage (it binds from
    that stage on).
    """
    cats = inst["categories"]
    cat_ids = [c["id"] for c in cats]
    thr = {c["id"]: c.get("threshold_min", 15) for c in cats}
    dem = {c["id"]: c.get("demand", "population") for c in cats}
    wt = {c["id"]: c.get("weight", 1) for c in cats}
    req = [c["id"] for c in cats if c.get("required", True)]
    comms = inst["communities"]
    sites = [s for s in inst.get("sites", []) if not s.get("excluded", False)]
    obj = inst.get("objective", {})
    travel = inst.get("travel", {"mode": "straight"})
    speed0 = travel.get("speed_m_per_min", 66.7)
    detour = travel.get("detour", 1.25)
    speed = {c["id"]: c.get("speed_m_per_min", speed0) for c in cats}

    def reach(c: dict[str, Any], f: dict[str, Any], k: str) -> bool:
        if travel.get("mode", "straight") == "matrix":
            t = {(a, b): m for a, b, m in travel["times"]}.get((c["id"], f["id"]))
        else:
            t = math.hypot(c["x"] - f["x"], c["y"] - f["y"]) * detour / speed[k]
        return t is not None and t <= thr[k] + 1e-6

    if "then" not in obj and obj.get("type", "max_coverage") != "min_cost":
        stages = [dict(obj), {"type": "min_cost"}]
    elif "then" in obj:
        stages = [dict(obj)] + list(obj["then"])
    else:
        stages = [dict(obj)]
    rules = obj.get("equity", [])
    rules = [rules] if isinstance(rules, dict) else rules

    def shares(cov: dict[tuple[str, str], bool], by: str | None, measure: str) -> list[float]:
        groups: dict[str, list[float]] = {}
        for c in comms:
            g = c[by] if by else "all"
            if measure == "complete":
                w, hit = c["population"], all(cov[(c["id"], k)] for k in req)
            else:
                w, hit = c[dem[measure]], cov[(c["id"], measure)]
            tot = groups.setdefault(g, [0.0, 0.0])
            tot[0] += w
            tot[1] += w if hit else 0.0
        return [r / t for t, r in groups.values() if t > 0]

    options = []
    for s in sites:
        for k in s.get("categories", cat_ids):
            cost = s.get("cost", 1)
            options.append((s, k, cost[k] if isinstance(cost, dict) else cost))
    fixed = {(s["id"], k) for s in sites for k in s.get("fixed", [])}
    out = []
    for r in range(len(options) + 1):
        for subset in itertools.combinations(options, r):
            chosen = {(o[0]["id"], o[1]) for o in subset}
            if not fixed <= chosen:
                continue
            cost = sum(o[2] for o in subset)
            used = {o[0]["id"]: o[0] for o in subset}
            cost += sum(s.get("open_cost", 0) for s in used.values())
            if obj.get("budget") is not None and cost > obj["budget"] + 1e-9:
                continue
            max_new = obj.get("max_new")
            if isinstance(max_new, int) and len(subset) > max_new:
                continue
            if isinstance(max_new, dict) and any(
                    sum(1 for o in subset if o[1] == k) > n for k, n in max_new.items()):
                continue
            if any(sum(1 for o in subset if o[0]["id"] == sid) > s.get("max_categories", 99)
                   for sid, s in used.items()):
                continue
            cov = {(c["id"], k): any(k in e["categories"] and reach(c, e, k)
                                     for e in inst.get("existing", []))
                   or any(o[1] == k and reach(c, o[0], k) for o in subset)
                   for c in comms for k in cat_ids}
            if any(min(shares(cov, rule.get("by"), rule.get("measure", "complete")),
                       default=1.0) < rule["min_share"] - 1e-9 for rule in rules):
                continue
            values = []
            oks = []
            for st in stages:
                ok = True
                kind = st.get("type", "max_coverage")
                if kind == "max_coverage":
                    values.append(sum(wt[k] * c[dem[k]] for c in comms for k in cat_ids
                                      if cov[(c["id"], k)]))
                elif kind == "max_complete":
                    values.append(sum(c["population"] for c in comms
                                      if all(cov[(c["id"], k)] for k in req)))
                elif kind == "max_min_share":
                    values.append(min(shares(cov, st.get("by"), st.get("measure", "complete")),
                                      default=1.0))
                else:
                    target = st.get("target_share", 1.0 if st is stages[0] else None)
                    if target is not None:
                        if st.get("target_measure") == "complete":
                            got = shares(cov, None, "complete")
                            ok &= not got or got[0] >= target - 1e-9
                        else:
                            for k in req:
                                total = sum(c[dem[k]] for c in comms)
                                hit = sum(c[dem[k]] for c in comms if cov[(c["id"], k)])
                                ok &= total <= 0 or hit >= target * total - 1e-9
                    values.append(-cost)  # maximised like the others
                oks.append(ok)
            out.append((values, oks))
    return out


def brute_force_stages(inst: dict[str, Any]) -> list[float] | None:
    """Every stage's optimum by enumeration (lexicographic with ``objective.tolerance``).

    Stage s keeps the plans whose value is within the tolerance of the best among the plans the
    earlier stages kept. Costs are reported positive. None when no plan is feasible.
    """
    plans = _plan_values(inst)
    if not plans:
        return None
    tol = inst.get("objective", {}).get("tolerance", 0.0)
    n_stages = len(plans[0][0])
    optima = []
    for s in range(n_stages):
        plans = [p for p in plans if p[1][s]]
        if not plans:
            return None
        best = max(p[0][s] for p in plans)
        optima.append(best)
        plans = [p for p in plans if p[0][s] >= best - tol * abs(best) - 1e-9]
    kinds = [st.get("type", "max_coverage") for st in
             ([inst["objective"]] + list(inst["objective"].get("then", [])))]
    if "then" not in inst["objective"] and kinds[0] != "min_cost":
        kinds.append("min_cost")
    return [-v if kinds[s] == "min_cost" else v for s, v in enumerate(optima)]
