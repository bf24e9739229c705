r"""Group rows: equity rules and the max-min share (FORMAT.md, "Groups and equity").

A *measure* is linear in the model's variables plus a constant. For category :math:`k` the
reached demand of community :math:`i` is :math:`d_{ik}(p_{ik} + y_{ik})` (pre-covered
:math:`p_{ik}` is a constant, :math:`y_{ik}` exists only for pairs a new site can cover); for the
complete basket it is :math:`\text{pop}_i(\text{done}_i + z_i)`. A group :math:`g` (communities with
one value of the label ``by``) with total :math:`D_g > 0` then has the share
:math:`S_g = (C_g + \sum_{i\in g} w_i v_i) / D_g`.

Equity rule ``min_share`` :math:`S`: one row per group,
:math:`\sum_{i\in g} w_i v_i \ge S D_g - C_g - \varepsilon D_g` (``equity`` rows).

Max-min: an auxiliary :math:`t\in[0,1]` below every group's share,
:math:`\sum_{i\in g} w_i v_i - D_g t \ge -C_g` (``max_min`` rows); maximising :math:`t` maximises
the smallest share. Every group sum is one sparse row built with a single ``csr_array`` call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.instance.groups import group_index, measure_weights

#: Group rows are relaxed by this share of the group's total so round-off cannot cut an exactly
#: reachable share.
SHARE_SLACK = 1e-9


@dataclass(frozen=True)
class MeasureTerms:
    """A measure as variables: ``weight[i] * v[column[i]]`` for the communities that have one.

    Parameters
    ----------
    community
        Communities with a variable in the measure.
    column
        Variable index of each.
    weight
        Its coefficient (population or demand).
    constant
        ``(n,)``: what each community already reaches without a new site.
    """

    community: NDArray[np.int64]
    column: NDArray[np.int64]
    weight: NDArray[np.float64]
    constant: NDArray[np.float64]


@dataclass(frozen=True)
class GroupRows:
    """Per-group sums of a measure as sparse rows.

    Parameters
    ----------
    names
        Group names with a positive total, in order.
    matrix
        ``(groups, n_vars)``: the variable part of every group's reached total.
    constant, total
        The constant part and the total of every group.
    """

    names: tuple[str, ...]
    matrix: sp.csr_array
    constant: NDArray[np.float64]
    total: NDArray[np.float64]


def group_rows(
    instance: Instance, by: str | None, measure: str, terms: MeasureTerms, n_vars: int
) -> GroupRows:
    """Build the group sums of one measure (groups with zero total are left out)."""
    names, group = group_index(instance, by)
    weight = measure_weights(instance, measure)
    total = np.bincount(group, weights=weight, minlength=len(names))
    constant = np.bincount(group, weights=terms.constant, minlength=len(names))
    keep = np.flatnonzero(total > 0)
    row_of_group = np.full(len(names), -1, dtype=np.int64)
    row_of_group[keep] = np.arange(len(keep))
    rows = row_of_group[group[terms.community]]
    ok = rows >= 0
    matrix = sp.csr_array((terms.weight[ok], (rows[ok], terms.column[ok])),
                          shape=(len(keep), n_vars))
    return GroupRows(tuple(names[g] for g in keep), matrix,
                     np.asarray(constant[keep], dtype=np.float64),
                     np.asarray(total[keep], dtype=np.float64))


def equity_block(rows: GroupRows, min_share: float) -> tuple[sp.csr_array, NDArray[np.float64]]:
    """Rows and lower bounds of one equity rule: every group's share >= ``min_share``."""
    lower = min_share * rows.total - rows.constant - SHARE_SLACK * rows.total
    return rows.matrix, lower


def max_min_block(
    rows: GroupRows, t_column: int
) -> tuple[sp.csr_array, NDArray[np.float64]]:
    """Rows and lower bounds tying ``t`` below every group's share: ``sum - D_g t >= -C_g``."""
    n = len(rows.names)
    t_part = sp.csr_array((-rows.total, (np.arange(n), np.full(n, t_column))),
                          shape=rows.matrix.shape)
    return sp.csr_array(rows.matrix + t_part), -rows.constant


