"""Uniform layout: communities and sites uniform in a square (``synthetic.random_instance``)."""

from __future__ import annotations

from typing import Any

from benchmarks.registry import BenchSpec, extent_for, register
from sitecircle.synthetic import random_instance

SIZES = ((1_000, 200), (10_000, 1_000), (50_000, 5_000), (200_000, 10_000))


def build(n_communities: int, n_sites: int, n_categories: int, seed: int) -> dict[str, Any]:
    """A straight-mode ``max_coverage`` instance with the generator's default budget."""
    return random_instance(seed, n_communities=n_communities, n_sites=n_sites,
                           n_categories=n_categories, layout="uniform",
                           extent_m=extent_for(n_sites))


SPEC = register(BenchSpec("uniform", build, SIZES))
