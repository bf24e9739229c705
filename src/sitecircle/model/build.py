"""Build the one solver-neutral model of an instance (formulation in :func:`build_model`)."""

from __future__ import annotations

from sitecircle.instance.data import Instance
from sitecircle.model.assemble import assemble
from sitecircle.model.capacity import assemble_capacitated
from sitecircle.model.linear import LinearModel
from sitecircle.model.reduce import reduce_model
from sitecircle.travel.coverage import Coverage


def build_model(instance: Instance, coverage: Coverage) -> LinearModel:
    """Build the MILP of an instance from its coverage (formulation in the module docstring).

    Parameters
    ----------
    instance
        A validated instance.
    coverage
        Its coverage, from :func:`sitecircle.travel.coverage.coverage_from_instance`.

    Returns
    -------
    LinearModel
        The reduced model, ready for any backend.
    """

    if instance.capacitated.any():  # FORMAT.md "Capacities": assignment variables
        return reduce_model(assemble_capacitated(instance, coverage))
    return reduce_model(assemble(instance, coverage))

