"""Seeded synthetic instances in the ``sitecircle.instance/1`` format.

The generators return plain ``dict`` objects, ready for ``json.dump`` or for the instance reader,
and depend on nothing but NumPy. Every random draw comes from one
``numpy.random.default_rng(seed)``, so the same seed gives the same instance with the same NumPy
version (NumPy does not promise identical streams across its own versions).

- :func:`random_instance` builds planar instances of any size (uniform or clustered demand) for
  tests and benchmarks; the arrays are drawn in one vectorised pass.
- :func:`demo_district` builds a realistic small residential district of Nanning, Guangxi, with the
  eight categories of :data:`CATALOGUE` and a binding budget.

Examples
--------
>>> instance = random_instance(7, n_communities=5, n_sites=3, n_categories=2)
>>> instance["format"], len(instance["communities"]), len(instance["sites"])
('sitecircle.instance/1', 5, 3)
>>> [category["id"] for category in instance["categories"]]
['convenience_store', 'breakfast']
"""

from __future__ import annotations

from sitecircle.synthetic._common import CATALOGUE
from sitecircle.synthetic._demo import demo_district
from sitecircle.synthetic._random import random_instance, unit_cost_single_category

__all__ = ["CATALOGUE", "demo_district", "random_instance", "unit_cost_single_category"]
