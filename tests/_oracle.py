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
