"""Seeded synthetic generators; each module registers its :class:`BenchSpec` on import."""

from benchmarks.instances import clustered, uniform

__all__ = ["clustered", "uniform"]
