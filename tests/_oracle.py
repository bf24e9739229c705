"""A brute-force oracle for tiny instances, independent of the model builder and the verifier.

It reads the instance dict directly (planar CRS, straight or matrix travel), builds the dense
coverage of every facility with plain loops, and enumerates every subset of openable
(site, category) pairs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
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



def _open_sets(sites: list[dict[str, Any]], cat_ids: list[str],
               obj: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], float]]:
    """Every set of (site, category, cost) openings within budget, max_new and max_categories,
    with its total cost (open costs included), smallest sets first."""
    options = []
    for s in sites:
        for k in s.get("categories", cat_ids):
            cost = s.get("cost", 1)
            options.append((s, k, cost[k] if isinstance(cost, dict) else cost))
    for r in range(len(options) + 1):
        for subset in itertools.combinations(options, r):
            total = sum(o[2] for o in subset)
            used = {o[0]["id"]: o[0] for o in subset}
            total += sum(s.get("open_cost", 0) for s in used.values())
            if obj.get("budget") is not None and total > obj["budget"] + 1e-9:
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
            yield subset, total

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
    best: float | None = None
    for subset, cost in _open_sets(sites, cat_ids, obj):
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

    fixed = {(s["id"], k) for s in sites for k in s.get("fixed", [])}
    out = []
    for subset, cost in _open_sets(sites, cat_ids, obj):
        chosen = {(o[0]["id"], o[1]) for o in subset}
        if not fixed <= chosen:
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


# ------------------------------------------------------------------------------------------------
# Capacities (FORMAT.md "Capacities"): enumerate open sets; for each, the best assignment by a
# small dense LP (scipy linprog), written from the format text, not from the model.


def _cap_of(rec: dict[str, Any], k: str, default: float) -> float:
    cap = rec.get("capacity")
    if isinstance(cap, dict):
        return float(cap.get(k, default))
    return float(cap) if cap is not None else default


def _capacitated(inst: dict[str, Any], k: str) -> bool:
    cat = next(c for c in inst["categories"] if c["id"] == k)
    if "capacity" in cat or "min_load" in cat:
        return True
    for rec in inst.get("sites", []) + inst.get("existing", []):
        cap = rec.get("capacity")
        hosted = k in rec.get("categories", [c["id"] for c in inst["categories"]])
        if cap is not None and (not isinstance(cap, dict) or k in cap) and hosted:
            return True
    return False


def _serve_lp(demand: list[float], arcs: list[tuple[int, int]], cap: list[float],
              min_load: list[float], full: list[bool]) -> float | None:
    """Most total service with per-community demand, per-facility capacity and min_load;
    ``full[i]``: community i must be served in full. None when infeasible."""
    from scipy.optimize import linprog  # noqa: PLC0415

    nv = len(arcs)
    if nv == 0:
        ok = all(not f or d <= 0 for f, d in zip(full, demand, strict=True)) and \
            all(m <= 0 for m in min_load)
        return 0.0 if ok else None
    a_ub, b_ub = [], []
    for i, d in enumerate(demand):
        row = [1.0 if a[0] == i else 0.0 for a in arcs]
        a_ub.append(row)
        b_ub.append(d)
        if full[i]:
            a_ub.append([-v for v in row])
            b_ub.append(-d)
    for f, (q, m) in enumerate(zip(cap, min_load, strict=True)):
        row = [1.0 if a[1] == f else 0.0 for a in arcs]
        if math.isfinite(q):
            a_ub.append(row)
            b_ub.append(q)
        if m > 0:
            a_ub.append([-v for v in row])
            b_ub.append(-m)
    res = linprog([-1.0] * nv, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    return None if res.status != 0 else float(-res.fun)


def brute_force_capacitated(inst: dict[str, Any]) -> float | None:
    """Optimal objective of an instance with capacities, by enumeration; None if infeasible."""
    cats = inst["categories"]
    cat_ids = [c["id"] for c in cats]
    thr = {c["id"]: c.get("threshold_min", 15) for c in cats}
    dem = {c["id"]: c.get("demand", "population") for c in cats}
    wt = {c["id"]: c.get("weight", 1) for c in cats}
    req = {c["id"]: c.get("required", True) for c in cats}
    cat_cap = {c["id"]: float(c.get("capacity", math.inf)) for c in cats}
    min_load = {c["id"]: float(c.get("min_load", 0)) for c in cats}
    capped = {k: _capacitated(inst, k) for k in cat_ids}
    comms = inst["communities"]
    sites = inst.get("sites", [])
    existing = inst.get("existing", [])
    obj = inst.get("objective", {})
    kind = obj.get("type", "max_coverage")
    minutes = _minutes(inst)

    def reach(cid: str, fid: str, k: str) -> bool:
        t = minutes.get((cid, fid))
        return t is not None and t <= thr[k] + 1e-6

    best: float | None = None
    for subset, cost in _open_sets(sites, cat_ids, obj):
        value = _evaluate(inst, kind, obj, subset, cost, cat_ids, dem, wt, req, cat_cap,
                          min_load, capped, comms, existing, reach)
        if value is not None and (best is None or value > best + 1e-9):
            best = value
    if best is not None and kind == "min_cost":
        best = -best
    return best


def _evaluate(inst: dict[str, Any], kind: str, obj: dict[str, Any], subset: Any, cost: float,
              cat_ids: list[str], dem: dict[str, str], wt: dict[str, float],
              req: dict[str, bool], cat_cap: dict[str, float], min_load: dict[str, float],
              capped: dict[str, bool], comms: list[dict[str, Any]],
              existing: list[dict[str, Any]], reach: Any) -> float | None:
    """Value of one open set (negated cost for min_cost), or None when no assignment fits."""
    n = len(comms)
    in_reach = {(i, k): any(k in e["categories"] and reach(c["id"], e["id"], k) for e in existing)
                or any(o[1] == k and reach(c["id"], o[0]["id"], k) for o in subset)
                for i, c in enumerate(comms) for k in cat_ids}
    # Per capacitated category: facilities (open sites, then existing), arcs, free pairs.
    per_cat: dict[str, Any] = {}
    for k in cat_ids:
        if not capped[k]:
            continue
        facs = [(o[0], _cap_of(o[0], k, cat_cap[k]), min_load[k]) for o in subset if o[1] == k]
        facs += [(e, _cap_of(e, k, math.inf), 0.0) for e in existing if k in e["categories"]]
        free = [any(math.isinf(q) and f in existing and reach(c["id"], f["id"], k)
                    for f, q, _ in facs) for c in comms]
        d = [0.0 if free[i] else float(c[dem[k]]) for i, c in enumerate(comms)]
        arcs = [(i, f) for i, c in enumerate(comms) for f, (rec, _, _) in enumerate(facs)
                if not free[i] and d[i] > 0 and reach(c["id"], rec["id"], k)]
        per_cat[k] = (d, arcs, [q for _, q, _ in facs], [m for _, _, m in facs], free)

    def served_total(k: str, full: list[bool]) -> float | None:
        d, arcs, caps, mins, free = per_cat[k]
        got = _serve_lp(d, arcs, caps, mins, full)
        if got is None:
            return None
        return got + sum(float(c[dem[k]]) for i, c in enumerate(comms) if free[i])

    def complete_ok(i: int, k: str) -> bool:  # uncapacitated, or zero demand: reach decides
        return in_reach[(i, k)]

    if kind == "max_coverage":
        value = 0.0
        for k in cat_ids:
            if capped[k]:
                got = served_total(k, [False] * n)
                if got is None:
                    return None
                value += wt[k] * got
            else:
                value += wt[k] * sum(c[dem[k]] for i, c in enumerate(comms) if in_reach[(i, k)])
        return value
    if kind == "max_complete":
        for k in cat_ids:  # min_load must be met even when nothing needs serving
            if capped[k] and served_total(k, [False] * n) is None:
                return None
        best = 0.0
        for mask in itertools.product([False, True], repeat=n):
            ok = True
            for k in cat_ids:
                if not req[k]:
                    continue
                if any(mask[i] and not complete_ok(i, k) for i in range(n)
                       if not capped[k] or float(comms[i][dem[k]]) == 0):
                    ok = False
                    break
                if capped[k]:
                    full = [mask[i] and float(comms[i][dem[k]]) > 0 for i in range(n)]
                    if served_total(k, full) is None:
                        ok = False
                        break
            if ok:
                best = max(best, sum(float(comms[i]["population"]) for i in range(n)
                                     if mask[i]))
        return best
    target = obj.get("target_share", 1.0)
    for k in cat_ids:
        if capped[k]:
            full = [req[k] and target >= 1 and float(c[dem[k]]) > 0 for c in comms]
            got = served_total(k, full)
            if got is None:
                return None
        else:
            got = sum(c[dem[k]] for i, c in enumerate(comms) if in_reach[(i, k)])
        if not req[k]:
            continue
        total = sum(c[dem[k]] for c in comms)
        if total > 0 and got < target * total - 1e-9:
            return None
    return -cost


def random_tiny_capacitated(seed: int, kind: str | None = None) -> dict[str, Any]:
    """:func:`random_tiny` with capacities, min_load and limited existing facilities."""
    inst = random_tiny(seed, kind)
    rng = np.random.default_rng(seed + 10_000)
    inst["communities"] = inst["communities"][:4]
    inst["sites"] = inst["sites"][:3]
    cats = inst["categories"]
    cats[1]["capacity"] = float(rng.choice([5, 10, 20, 40]))
    if rng.random() < 0.3:
        cats[1]["min_load"] = float(rng.choice([2, 5]))
    if rng.random() < 0.5:
        cats[0]["capacity"] = float(rng.choice([30, 60, 120]))
    for s in inst["sites"]:
        if rng.random() < 0.3 and "b" in s["categories"]:
            s["capacity"] = {"b": float(rng.choice([5, 15, 30]))}
    if inst["objective"]["type"] == "min_cost" and rng.random() < 0.7:
        inst["objective"]["target_share"] = float(rng.choice([0.2, 0.4, 0.6]))
    for e in inst["existing"]:
        if rng.random() < 0.6:
            e["capacity"] = float(rng.choice([0, 5, 20]))
    if rng.random() < 0.3 and inst["communities"]:
        inst["communities"][0]["elderly"] = 0
    return inst
