"""Per-phase pytest-benchmark drivers (STYLE.md section 8): shared parameters and instances.

``pytest benchmarks/ --benchmark-disable`` runs every driver once at the first size of every
registered spec (the smoke mode); ``BENCH_SIZES=all`` or ``BENCH_SIZES=1000x200,10000x1000``
widens the sizes, and dropping ``--benchmark-disable`` gives pytest-benchmark's statistics.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.registry import specs  # noqa: E402
from sitecircle import Coverage, Instance, LinearModel, build_model, coverage_from_instance  # noqa: E402

#: Backend × engine pairs of the translate and solve drivers.
BACKENDS = [("ortools", "scip"), ("ortools", "highs"), ("ortools", "sat"), ("pulp", "cbc"),
            ("pulp", "highs")]


def _sizes(spec_sizes: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    want = os.environ.get("BENCH_SIZES", "")
    if want == "all":
        return list(spec_sizes)
    if want:
        return [(int(a), int(b)) for a, b in (s.lower().split("x") for s in want.split(","))]
    return list(spec_sizes[:1])


def cases() -> list[tuple[str, int, int, int]]:
    """``(spec, n_communities, n_sites, n_categories)`` of every driver run."""
    return [(name, n, m, k) for name, spec in specs().items() for n, m in _sizes(spec.sizes)
            for k in (1, 4)]


def case_id(case: tuple[str, int, int, int]) -> str:
    """Readable parameter id."""
    return f"{case[0]}-{case[1]}x{case[2]}x{case[3]}"


@cache
def instance(spec: str, n: int, m: int, k: int) -> Instance:
    """The seeded instance of a case (seed 1, as ``run.py``)."""
    return Instance.from_dict(specs()[spec].build(n, m, k, 1))


@cache
def coverage(spec: str, n: int, m: int, k: int) -> Coverage:
    """Its coverage."""
    return coverage_from_instance(instance(spec, n, m, k))


@cache
def model(spec: str, n: int, m: int, k: int) -> LinearModel:
    """Its model."""
    return build_model(instance(spec, n, m, k), coverage(spec, n, m, k))
