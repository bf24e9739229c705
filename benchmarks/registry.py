"""Registry of seeded synthetic benchmark instances (STYLE.md section 8).

A :class:`BenchSpec` names a generator, the sizes it is run at and the phases that are timed.
Generators live in ``benchmarks/instances/`` and register themselves on import.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Every pipeline phase the harness can time, in pipeline order.
PHASES = ("read", "coverage", "build", "translate", "solve", "verify")

#: Candidate sites per km² in the synthetic series. The square grows with the number of sites so
#: that a community sees about the same number of sites at every size (about 15 within a
#: 10-minute walk, 34 within 15 minutes), as in a real city; a fixed 3 km square would give
#: 200k × 10k instances with a coverage density of ~10 % (160M pairs per category).
SITES_PER_KM2 = 16.7


def extent_for(n_sites: int) -> float:
    """Side of the square (metres) holding ``n_sites`` sites at :data:`SITES_PER_KM2`."""
    return 1000.0 * math.sqrt(max(n_sites, 1) / SITES_PER_KM2)


@dataclass(frozen=True)
class BenchSpec:
    """A synthetic benchmark: generator, sizes and timed phases.

    Parameters
    ----------
    name
        Unique name (``uniform``, ``clustered``).
    build
        ``build(n_communities, n_sites, n_categories, seed) -> instance dict``.
    sizes
        ``(n_communities, n_sites)`` pairs of the full series.
    phases
        Phases timed (a subset of :data:`PHASES`).
    """

    name: str
    build: Callable[[int, int, int, int], dict[str, Any]]
    sizes: tuple[tuple[int, int], ...]
    phases: tuple[str, ...] = PHASES


SPECS: dict[str, BenchSpec] = {}


def register(spec: BenchSpec) -> BenchSpec:
    """Add a spec to :data:`SPECS` (names are unique)."""
    if spec.name in SPECS and SPECS[spec.name] is not spec:
        msg = f"benchmark spec {spec.name!r} registered twice"
        raise ValueError(msg)
    SPECS[spec.name] = spec
    return spec


def specs() -> dict[str, BenchSpec]:
    """All registered specs (importing the generators first)."""
    import benchmarks.instances  # noqa: F401  (registers the generators)

    return SPECS
