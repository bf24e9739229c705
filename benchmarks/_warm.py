"""Imported by the fork server: run the pure-Python pipeline once so lazy imports are not timed.

No solver is called here: HiGHS keeps worker threads alive, and forking after that is unsafe.
"""

from __future__ import annotations

import numpy as np

from benchmarks.greedy import greedy
from sitecircle import Instance, build_model, coverage_from_instance, datasets, verify
from sitecircle.synthetic import random_instance


def _warm() -> None:
    for doc in (random_instance(0, n_communities=30, n_sites=8, n_categories=2),
                random_instance(0, n_communities=30, n_sites=8, n_categories=1,
                                objective={"type": "min_cost", "target_share": 0.5})):
        inst = Instance.from_dict(doc)
        cov = coverage_from_instance(inst)
        build_model(inst, cov)
        verify(inst, greedy(inst, cov))
    tiny = {"format": "sitecircle.instance/1", "name": "warm", "crs": "EPSG:3857",
            "categories": [{"id": "cover", "threshold_min": 0}],
            "communities": [{"id": "r1", "x": 0, "y": 0, "population": 1}],
            "sites": [{"id": "c1", "x": 0, "y": 0, "cost": {"cover": 1}}], "existing": [],
            "travel": {"mode": "matrix", "times": [["r1", "c1", 0.0]]},
            "objective": {"type": "min_cost"}}
    for crs in ("EPSG:3857", "EPSG:4326"):
        inst = Instance.from_dict({**tiny, "crs": crs})
        build_model(inst, coverage_from_instance(inst))
        verify(inst, np.array([[0, 0]]))
    assert datasets.read_swain is not None


_warm()
