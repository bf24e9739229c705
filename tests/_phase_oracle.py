"""A brute-force oracle for phased plans on tiny instances (FORMAT.md "Phases").

Written apart from the model and the verifier: it reads the instance dict directly (planar CRS,
straight travel), and tries every way of giving each openable (site, category) a phase or
"never". It returns the best first-stage value and, among plans within 1e-9 of it, the least
total cost (the default ``min_cost`` follow-up of a maximised objective).

Rules, as FORMAT.md states them: a phase's ``budget`` and ``max_new`` bound what opens in it,
``budget_to_date`` bounds what is spent by its end, the top-level ``budget``, ``max_new`` and
``max_categories`` bound the totals; a site's ``open_cost`` is paid in the phase of its first
facility; approved pairs open in the first phase; the value of a maximised objective is
Σ_t weight_t × value with what is open at the end of phase t; ``min_cost`` minimises the total
cost and each phase's ``target_share`` (the last phase's defaults to the top-level one, itself
1 by default) holds at the end of that phase.
"""

from __future__ import annotations

import itertools
import math
from typing import Any


def _reach(inst: dict[str, Any]) -> tuple[dict[tuple[str, str, str], bool], set[tuple[str, str]]]:
    """Which (community, site, category) is within the threshold; pre-covered (community, cat)."""
    travel = inst.get("travel", {})
    speed = travel.get("speed_m_per_min", 66.7)
    detour = travel.get("detour", 1.25)
    thr = {c["id"]: c.get("threshold_min", 15) for c in inst["categories"]}

    def near(c: dict[str, Any], f: dict[str, Any], k: str) -> bool:
        minutes = math.hypot(c["x"] - f["x"], c["y"] - f["y"]) * detour / speed
        return minutes <= thr[k] + 1e-6

    reach = {(c["id"], s["id"], k): near(c, s, k) for c in inst["communities"]
             for s in inst.get("sites", []) for k in thr}
    pre = {(c["id"], k) for c in inst["communities"] for e in inst.get("existing", [])
           for k in e["categories"] if near(c, e, k)}
    return reach, pre


def phased_brute_force(inst: dict[str, Any]) -> tuple[float, float] | None:
    """``(best value, least total cost among the best plans)``, or None when nothing fits."""
    cats = inst["categories"]
    cat_ids = [c["id"] for c in cats]
    dem = {c["id"]: c.get("demand", "population") for c in cats}
    wt = {c["id"]: c.get("weight", 1) for c in cats}
    req = [c["id"] for c in cats if c.get("required", True)]
    comms = inst["communities"]
    obj = inst["objective"]
    kind = obj.get("type", "max_coverage")
    phases = obj["phases"]
    n_t = len(phases)
    reach, pre = _reach(inst)
    options = []
    for s in inst.get("sites", []):
        if s.get("excluded"):
            continue
        for k in s.get("categories", cat_ids):
            cost = s.get("cost", 1)
            options.append((s, k, cost[k] if isinstance(cost, dict) else cost,
                            k in s.get("fixed", [])))
    targets = [p.get("target_share") for p in phases]
    if kind == "min_cost" and targets[-1] is None:
        targets[-1] = obj.get("target_share", 1.0)
    best: tuple[float, float] | None = None
    for when in itertools.product([None, *range(n_t)], repeat=len(options)):
        if any(o[3] and w != 0 for o, w in zip(options, when, strict=True)):
            continue
        chosen = [(o, w) for o, w in zip(options, when, strict=True) if w is not None]
        spent = [0.0] * n_t
        new = [0] * n_t
        first: dict[str, int] = {}
        for (s, _k, cost, _f), w in chosen:
            spent[w] += cost
            new[w] += 1
            first[s["id"]] = min(first.get(s["id"], n_t), w)
        for s in inst.get("sites", []):
            if s["id"] in first:
                spent[first[s["id"]]] += s.get("open_cost", 0)
        total = sum(spent)
        if not _within(inst, obj, phases, chosen, spent, new, total):
            continue
        value = 0.0
        ok = True
        for t, p in enumerate(phases):
            cov = set(pre) | {(c["id"], k) for (s, k, _c, _f), w in chosen if w <= t
                              for c in comms if reach[(c["id"], s["id"], k)]}
            if kind == "max_coverage":
                v = sum(wt[k] * c[dem[k]] for c in comms for k in cat_ids if (c["id"], k) in cov)
            elif kind == "max_complete":
                v = sum(c["population"] for c in comms if all((c["id"], k) in cov for k in req))
            else:
                v = 0.0
                if targets[t] is not None and not _meets(comms, req, dem, cov, targets[t]):
                    ok = False
            value += p.get("weight", 1) * v
        if not ok:
            continue
        if kind == "min_cost":
            value = -total
        if best is None or value > best[0] + 1e-9 or (abs(value - best[0]) <= 1e-9
                                                       and total < best[1]):
            best = (value, total)
    if best is None:
        return None
    return (-best[0] if kind == "min_cost" else best[0]), best[1]


def _meets(comms: list[dict[str, Any]], req: list[str], dem: dict[str, str],
           cov: set[tuple[str, str]], target: float) -> bool:
    for k in req:
        total = sum(c[dem[k]] for c in comms)
        got = sum(c[dem[k]] for c in comms if (c["id"], k) in cov)
        if total > 0 and got < target * total - 1e-9:
            return False
    return True


def _within(inst: dict[str, Any], obj: dict[str, Any], phases: list[dict[str, Any]],
            chosen: list[Any], spent: list[float], new: list[int], total: float) -> bool:
    if obj.get("budget") is not None and total > obj["budget"] + 1e-9:
        return False
    max_new = obj.get("max_new")
    if isinstance(max_new, int) and len(chosen) > max_new:
        return False
    if isinstance(max_new, dict) and any(sum(1 for (_s, k, _c, _f), _w in chosen if k == cat) > n
                                         for cat, n in max_new.items()):
        return False
    for s in inst.get("sites", []):
        if sum(1 for (o, _k, _c, _f), _w in chosen if o["id"] == s["id"]) > s.get(
                "max_categories", 99):
            return False
    to_date = 0.0
    for t, p in enumerate(phases):
        to_date += spent[t]
        if p.get("budget") is not None and spent[t] > p["budget"] + 1e-9:
            return False
        if p.get("max_new") is not None and new[t] > p["max_new"]:
            return False
        if p.get("budget_to_date") is not None and to_date > p["budget_to_date"] + 1e-9:
            return False
    return True
