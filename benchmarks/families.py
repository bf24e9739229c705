"""Benchmark families: which cases exist, and how a worker loads one.

Families (one results file each):

* ``scp`` — OR-Library weighted set covering as ``min_cost`` instances (sets 4, 5, 6, A–E,
  NRE, NRF with proven optima; NRG, NRH against best-known values), from ``optima.csv``;
* ``mclp`` — Swain, SJC (five files), BDS, spopt San Francisco and the four Máximo cities, with
  the values of ``mclp/results.csv`` (Máximo values cross-checked against
  ``maximo/optimal_solutions``);
* ``synthetic`` — the seeded scaling series of :mod:`benchmarks.registry`;
* ``spopt`` — the peer comparison of :mod:`benchmarks.spopt_peer`.

Published data are read from the shared data folder at run time and never copied.
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path
from typing import Any

from benchmarks.registry import specs
from sitecircle import datasets

FAMILIES = ("scp", "mclp", "synthetic", "spopt")

#: OR-Library instance name -> group label.
_SCP_GROUP = re.compile(r"^scp(nr[efgh]|[a-e]|[456])")


def scp_group(name: str) -> str:
    """``scp41`` -> ``4``, ``scpa3`` -> ``A``, ``scpnre1`` -> ``NRE``."""
    m = _SCP_GROUP.match(name)
    return m.group(1).upper() if m else "?"


def scp_cases(data: Path, quick: bool) -> list[dict[str, Any]]:
    """Every instance of ``orlib-scp/optima.csv`` (quick: scp41 and scp56)."""
    path = data / "orlib-scp" / "optima.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        name = r["instance"]
        if quick and name not in ("scp41", "scp56"):
            continue
        out.append({"name": name, "group": scp_group(name), "loader": "scp",
                    "args": {"name": name}, "known": float(r["optimum_or_best_known"]),
                    "known_status": r["status"]})
    return out


def _maximo_reference(data: Path, city: str, p: int, radius: int | float) -> float | None:
    path = data / "mclp" / "maximo" / "optimal_solutions" / f"{city}_{p}_{radius}.txt"
    if not path.is_file():
        return None
    m = re.search(r"^f:\s*([0-9.]+)", path.read_text(), re.MULTILINE)
    return float(m.group(1)) if m else None


def mclp_cases(data: Path, quick: bool) -> list[dict[str, Any]]:
    """Every row of ``mclp/results.csv`` (quick: one Swain, one SJC324, one SF row)."""
    rows = datasets.mclp_known_values(data / "mclp" / "results.csv")
    out = []
    for r in rows:
        group, stem = str(r["instance"]).split("/", 1)
        p, radius = r["p_or_budget"], r["radius"]
        name = f"{stem}-p{p}-r{radius}"
        case: dict[str, Any] = {"name": name, "group": group, "loader": group,
                                "args": {"stem": stem, "p": p, "radius": radius},
                                "known": float(r["covered_demand"]),
                                "known_status": "optimal" if r["optimal"] else "best-known"}
        if group == "maximo":
            case["known_reference_file"] = _maximo_reference(data, stem, p, radius)
        out.append(case)
    if quick:
        keep = {"swain55-p3-r10", "SJC324-p4-r800", "SF205x16-p4-r5000"}
        out = [c for c in out if c["name"] in keep]
    return out


def synthetic_cases(quick: bool, sizes: list[tuple[int, int]] | None = None,
                    seed: int = 1) -> list[dict[str, Any]]:
    """The scaling series: every spec × categories (1, 4) × size (quick: 1k×200 only)."""
    out = []
    for spec in specs().values():
        chosen = sizes or (list(spec.sizes[:1]) if quick else list(spec.sizes))
        for n, m in chosen:
            for k in (1, 4):
                if quick and (spec.name != "uniform"):
                    continue
                out.append({"name": f"{spec.name}-{n}x{m}x{k}", "group": f"{spec.name}-{k}cat",
                            "loader": "synthetic",
                            "args": {"spec": spec.name, "n": n, "m": m, "k": k, "seed": seed}})
    return out


def load_case(case: dict[str, Any], data: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """Produce the instance dict of a case; return it with the timing of that step.

    Returns
    -------
    tuple
        The instance dict, and ``{"read": seconds}`` (file parsing) or ``{"generate": seconds}``.
    """
    loader, a = case["loader"], case["args"]
    t = time.perf_counter()
    if loader == "spopt":
        from benchmarks.spopt_peer import spopt_doc

        doc = spopt_doc(a["n"], a["m"], a["model"])
        return doc, {"generate": time.perf_counter() - t}
    if loader == "synthetic":
        doc = specs()[a["spec"]].build(a["n"], a["m"], a["k"], a["seed"])
        return doc, {"generate": time.perf_counter() - t}
    if loader == "scp":
        folder = data / "orlib-scp"
        path = folder / f"{a['name']}.txt"
        if not path.is_file():
            path = folder / f"{a['name']}.txt.gz"
        doc = datasets.read_orlib_scp(path)
    elif loader == "swain":
        doc = datasets.read_swain(data / "mclp" / "swain" / f"{a['stem']}.txt", a["radius"], a["p"])
    elif loader == "sjc":
        doc = datasets.read_sjc(data / "mclp" / "sjc" / f"{a['stem']}.txt", a["radius"], a["p"])
    elif loader == "bds":
        doc = datasets.read_bds(data / "mclp" / "bds" / f"{a['stem']}.txt", a["radius"], a["p"])
    elif loader == "spopt-sf":
        doc = datasets.read_spopt_sf(data / "mclp" / "spopt-sf", a["radius"], a["p"])
    elif loader == "maximo":
        doc = datasets.read_maximo(data / "mclp" / "maximo" / f"{a['stem']}.txt", a["radius"],
                                   a["p"])
    else:
        msg = f"unknown loader {loader!r}"
        raise ValueError(msg)
    return doc, {"read": time.perf_counter() - t}
