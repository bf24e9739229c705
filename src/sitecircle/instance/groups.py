"""Groups of communities by a label, and the weight of each community in a measure.

FORMAT.md, "Groups and equity": communities are grouped by a label (``by``); without ``by`` the
whole instance is one group, named ``"all"``. A measure weighs communities by population
(``"complete"``) or by a category's demand.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE

#: Name of the one group of a rule without ``by``.
ALL = "all"


def group_index(instance: Instance, by: str | None) -> tuple[tuple[str, ...], NDArray[np.int64]]:
    """Group names (sorted) and the group of every community.

    Parameters
    ----------
    instance
        A validated instance (every community carries the label ``by``).
    by
        The label, or None for one group.

    Returns
    -------
    tuple
        ``(names, group)``: sorted names and the index of every community's group.
    """
    if by is None:
        return (ALL,), np.zeros(instance.n_communities, dtype=np.int64)
    labels = [str(v) for v in instance.community_labels[by]]
    names = sorted(set(labels))
    position = {name: g for g, name in enumerate(names)}
    return tuple(names), np.fromiter((position[v] for v in labels), dtype=np.int64,
                                     count=len(labels))


def measure_weights(instance: Instance, measure: str) -> NDArray[np.float64]:
    """Weight of every community in a measure: its population or its demand of the category."""
    if measure == COMPLETE:
        return instance.population
    k = instance.category_ids.index(measure)
    return instance.community_fields[instance.categories[k].demand]
