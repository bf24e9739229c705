"""Build the one solver-neutral model of an instance (formulation in :func:`build_model`)."""

from __future__ import annotations

import numpy as np

from sitecircle.instance.data import Instance
from sitecircle.model.assemble import assemble
from sitecircle.model.capacity import assemble_capacitated
from sitecircle.model.complete_cuts import add_basket_rows
from sitecircle.model.linear import LinearModel
from sitecircle.model.reduce import reduce_model
from sitecircle.travel.coverage import Coverage

#: Default time for the basket rows of ``max_complete`` (:mod:`sitecircle.model.complete_cuts`).
BASKET_SECONDS = 10.0


def build_model(instance: Instance, coverage: Coverage, *,
                basket_seconds: float = BASKET_SECONDS) -> LinearModel:
    """Build the MILP of an instance from its coverage (formulation in the module docstring).

    Parameters
    ----------
    instance
        A validated instance.
    coverage
        Its coverage, from :func:`sitecircle.travel.coverage.coverage_from_instance`.
    basket_seconds
        Time for separating basket rows (``max_complete`` with a binding ``max_categories``
        only; 0 adds none).

    Returns
    -------
    LinearModel
        The reduced model, ready for any backend.
    """

    if instance.capacitated.any():  # FORMAT.md "Capacities": assignment variables
        return reduce_model(assemble_capacitated(instance, coverage))
    model = reduce_model(assemble(instance, coverage))
    if instance.objective.type == "max_complete":
        thresholds = np.asarray(instance.threshold_min, dtype=np.float64)
        model = add_basket_rows(model, basket_seconds, thresholds)
    return model
