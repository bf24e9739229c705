"""Shared by the planner-output tests: the demo district solved once per test session."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import sitecircle
from sitecircle.solution import Solution

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo" / "nanning-district.json"


@cache
def demo_solution() -> Solution:
    """The demo district solved with OR-Tools (a few seconds; cached for the session)."""
    return sitecircle.solve(DEMO, backend="ortools")


@cache
def demo_instance() -> sitecircle.Instance:
    """The demo instance, read from its file (so community names are available)."""
    return sitecircle.read_instance(DEMO)


@cache
def named_demo() -> tuple[sitecircle.Instance, Solution]:
    """The demo with what a planning office adds: currency, site and shop names, a 街道 label.

    Solved once for the session (an in-memory instance: nothing is read back from a file).
    """
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    doc["currency"] = "万元"
    for n, site in enumerate(doc["sites"]):
        site["name"] = f"候选点{n}号"
    for n, shop in enumerate(doc["existing"]):
        shop["name"] = f"现有店{n}"
    for n, community in enumerate(doc["communities"]):
        community["街道"] = ("新竹街道", "南湖街道")[n % 2]
    inst = sitecircle.Instance.from_dict(doc)
    return inst, sitecircle.solve(inst, backend="ortools")
