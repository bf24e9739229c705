"""``sitecircle backends`` and ``sitecircle doctor``: what is installed, and does each engine work.

``doctor`` solves a tiny instance with known optimum through the whole :func:`sitecircle.solve`
path on every engine of every backend (sitecircle's own heuristic and Benders included), once
without and once with a time limit (a time limit switches on the warm start, which once crashed
OR-Tools' HiGHS), each solve in a child process of its own, and checks the verified answer.
"""

from __future__ import annotations

import time
from typing import Any

from sitecircle.backends.base import Backend, Feature
from sitecircle.backends.registry import REGISTRY
from sitecircle.errors import SitecircleError
from sitecircle.solving.pipeline import solve

#: The time limit of doctor's limited run, seconds.
DOCTOR_TIME_LIMIT_S = 20.0

#: One site (S1) alone covers all 1000 people; the budget buys one site.
_DOCTOR_INSTANCE: dict[str, Any] = {
    "format": "sitecircle.instance/1", "name": "doctor", "crs": "EPSG:3857",
    "categories": [{"id": "shop", "threshold_min": 10}],
    "communities": [{"id": "C1", "x": 0, "y": 0, "population": 100},
                    {"id": "C2", "x": 1600, "y": 0, "population": 200},
                    {"id": "C3", "x": 800, "y": 600, "population": 300},
                    {"id": "C4", "x": 800, "y": -600, "population": 400}],
    "sites": [{"id": "S1", "x": 800, "y": 0}, {"id": "S2", "x": -500, "y": 0},
              {"id": "S3", "x": 2100, "y": 0}],
    "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
    "objective": {"type": "max_coverage", "budget": 1},
}
_DOCTOR_OPTIMUM = 1000.0


def _features(backend: type[Backend], engine: str) -> str:
    have = backend.engines[engine]
    words = ["default"] if engine == backend.default_engine else []
    words.append("proves optimality" if Feature.PROVES_OPTIMALITY in have else "no proof")
    if Feature.WARM_START in have:
        words.append("warm start")
    return f"{engine} ({', '.join(words)})"


def print_backends() -> None:
    """List every backend (sitecircle's own engines included), its engines and versions."""
    for name, cls in REGISTRY.items():
        backend = cls()
        state = "available" if cls.is_available() else "not installed"
        versions = ", ".join(f"{m} {v}" for m, v in backend.versions().items())
        engines = "; ".join(_features(cls, e) for e in cls.engines)
        print(f"{name}: {state} — {versions}; engines: {engines}")


def _check_one(name: str, engine: str, time_limit: float | None) -> tuple[bool, str]:
    start = time.perf_counter()
    try:
        found = solve(_DOCTOR_INSTANCE, backend=name, engine=engine, time_limit=time_limit,
                      isolate=True)
        ok = found.objective is not None and abs(found.objective - _DOCTOR_OPTIMUM) < 1e-9
        state = (f"ok ({found.status.value})" if ok
                 else f"WRONG ANSWER ({found.status.value}, objective {found.objective})")
    except SitecircleError as exc:
        ok, state = False, f"FAILED: {exc}"
    return ok, f"{state} in {time.perf_counter() - start:.2f} s"


def run_doctor() -> int:
    """Solve a tiny instance on every engine, without and with a time limit, each isolated.

    Returns
    -------
    int
        How many checks failed (a backend not installed counts as one).
    """
    failures = 0
    for name, cls in REGISTRY.items():
        backend = cls()
        versions = ", ".join(f"{m} {v}" for m, v in backend.versions().items())
        if not cls.is_available():
            print(f"{name}: not installed ({versions})")
            failures += 1
            continue
        for engine in cls.engines:
            ok_free, free = _check_one(name, engine, None)
            ok_limited, limited = _check_one(name, engine, DOCTOR_TIME_LIMIT_S)
            failures += (not ok_free) + (not ok_limited)
            print(f"{name}/{engine}: {free}; with --time-limit {DOCTOR_TIME_LIMIT_S:g}: "
                  f"{limited} — {versions}")
    return failures
