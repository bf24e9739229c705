"""Shared by the planner-output tests: the demo district solved once per test session."""

from __future__ import annotations

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
