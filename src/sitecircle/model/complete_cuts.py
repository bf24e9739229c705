r"""Basket cuts: valid rows that tighten ``max_complete`` where sites host few categories.

The ``cover`` rows of ``max_complete`` (:math:`z_g \le \sum_{j} a_{gjk} x_{jk}` for every
required category :math:`k` of community group :math:`g`) see one category at a time. With a
limit :math:`m_j` on the categories a site may host (rows ``max_categories``) the LP relaxation
spreads every category thinly over the same few sites: a community two sites reach, both
hosting two categories at a quarter each, counts as half complete, although two sites can
never host its eight categories. The rows added here count the basket as a whole.

Basket rows (block ``basket``)
    For a group :math:`g` with categories :math:`K_g` (required, not pre-covered), a subset
    :math:`K\subseteq K_g`, a set :math:`T` of sites and a set :math:`S` of columns,

    .. math::

        \sum_{k\in K}\ \sum_{j\in R_{gk}\setminus T,\ (j,k)\notin S} x_{jk}
        \;\ge\; \Bigl(|K| - \sum_{j\in T} m_j - |S|\Bigr)\, z_g .

    *Valid*: when :math:`z_g=1` a complete basket holds, for every :math:`k\in K`, one open
    column :math:`(j,k)` with :math:`j\in R_{gk}`: :math:`|K|` distinct open columns. At most
    :math:`\sum_{T} m_j` of them sit at sites of :math:`T` and at most :math:`|S|` are in
    :math:`S`; every other one is a term of the left-hand side, equal to 1. When
    :math:`z_g=0` the right-hand side is 0 and the left-hand side is a sum of non-negative
    variables. No integer plan meeting the model's rows is cut off.

    The rows are the projection of the flow formulation "every category of :math:`K_g` sends
    :math:`z_g` to the sites that reach :math:`g`, over arcs of capacity
    :math:`\min(x_{jk}, z_g)`, every site passing at most :math:`m_j z_g`" (max-flow min-cut:
    the cut keeps :math:`K` on the source side, cuts the sites :math:`T` and the arcs
    :math:`S`); without any binding :math:`m_j` they are sums of ``cover`` rows and none is
    added.

Separation
    A few rounds of: solve the LP relaxation (HiGHS' interior point method through
    :func:`scipy.optimize.linprog`; faster here than simplex, and any optimal point separates),
    and, for every group, take the most violated row: for every subset :math:`K` (all of them
    up to :data:`MAX_ENUMERATED_CATEGORIES` categories; else :math:`K_g` and the nested sets
    of categories up to each travel threshold), the best :math:`T` is the sites whose capped
    load :math:`\sum_{k\in K}\min(x_{jk},z_g)` exceeds :math:`m_j z_g`, and the best
    :math:`S` the columns with :math:`x_{jk}>z_g`. Rounds stop when no row is violated, the
    bound gains less than :data:`MIN_GAIN`, or after :data:`MAX_ROUNDS` rounds or
    ``seconds``. The last LP value is a valid upper bound, recorded as
    ``stats["basket_lp_bound"]`` (the model's offset included).

Measured (São Paulo centre, 319 communities × 146 sites × 8 categories, at most 2 per site,
budget 400): the LP bound falls from 149,019 to 124,262 in 16 rounds (860 rows, about 4 s),
the bound of the disaggregated flow formulation with 11,629 more variables.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.model.linear import LinearModel, solve_lp

_F = NDArray[np.float64]
_I = NDArray[np.int64]

#: Separation rounds at most.
MAX_ROUNDS = 30
#: Rounds stop when the LP bound improves by less than this share.
MIN_GAIN = 1e-3
#: Every subset of categories is tried up to this many categories (2**n - 1 subsets).
MAX_ENUMERATED_CATEGORIES = 8
#: Models with more nonzeros than this get no basket rows (each round solves the LP).
MAX_NONZEROS = 200_000
#: Rows are only separated when ``seconds`` allow an LP of the model's size: at least one second
#: per this many nonzeros (measured: the São Paulo LP, 16k nonzeros, takes 0.1–0.8 s).
NONZEROS_PER_SECOND = 50_000
#: Least violation of a row that is added.
MIN_VIOLATION = 1e-4


@dataclasses.dataclass(frozen=True)
class Basket:
    """The cover triples of a ``max_complete`` model: one entry per (group, column).

    ``group`` is the ``complete`` column of the triple's row (offset in its block), ``column``
    the ``open`` column, ``site`` and ``category`` its site and category; ``capacity`` holds
    :math:`m_j` for every site (the number of categories where no row binds).
    """

    group: _I
    column: _I
    site: _I
    category: _I
    capacity: _F
    n_groups: int


def basket_of(model: LinearModel) -> Basket | None:
    """The cover triples of a ``max_complete`` model, or None when basket rows cannot tighten it.

    Parameters
    ----------
    model
        An assembled model.

    Returns
    -------
    Basket or None
        None without ``complete`` columns or binding ``max_categories`` rows.
    """
    if "complete" not in model.blocks or "max_categories" not in model.row_blocks:
        return None
    ox, zc = model.blocks["open"], model.blocks["complete"]
    n_sites = int(model.open_site.max(initial=-1)) + 1
    n_cat = int(model.open_category.max(initial=-1)) + 1
    capacity = np.full(n_sites, float(n_cat))  # no site hosts more than every category
    limit = sp.csr_array(model.A[model.row_blocks["max_categories"]][:, ox])
    row_of = np.repeat(np.arange(limit.shape[0]), np.diff(limit.indptr))
    upper = model.row_upper[model.row_blocks["max_categories"]]
    capacity[model.open_site[limit.indices]] = np.minimum(upper[row_of], n_cat)
    cover = sp.csr_array(model.A[model.row_blocks["cover"]])
    x_part = sp.coo_array(cover[:, ox])
    z_part = sp.csr_array(cover[:, zc])
    if z_part.nnz != cover.shape[0]:  # one z per row: the shape assemble() builds
        return None
    z_of_row = np.asarray(z_part.indices, dtype=np.int64)
    column = np.asarray(x_part.col, dtype=np.int64)
    return Basket(group=z_of_row[x_part.row], column=column,
                   site=model.open_site[column].astype(np.int64),
                   category=model.open_category[column].astype(np.int64),
                   capacity=capacity, n_groups=zc.stop - zc.start)


def category_masks(model: LinearModel, thresholds: _F | None) -> list[int]:
    """Category subsets tried by :func:`separate`, as bit masks.

    Parameters
    ----------
    model
        An assembled model.
    thresholds
        Travel threshold of every category (used beyond
        :data:`MAX_ENUMERATED_CATEGORIES` categories).

    Returns
    -------
    list of int
        Every non-empty subset, or all categories and the nested sets up to each threshold
        (none beyond 62 categories).
    """
    n_cat = int(model.open_category.max(initial=-1)) + 1
    if n_cat > 62:  # masks are int64 in the separation
        return []
    if n_cat <= MAX_ENUMERATED_CATEGORIES:
        return list(range(1, 2 ** n_cat))
    masks = [2 ** n_cat - 1]
    if thresholds is not None:
        for t in np.unique(thresholds)[:-1]:
            masks.append(int(sum(1 << k for k in np.flatnonzero(thresholds <= t))))
    return masks


def separate(model: LinearModel, basket: Basket, values: _F, masks: list[int]) -> sp.csr_array:
    """The most violated basket row of every group at an LP point (module docstring).

    Parameters
    ----------
    model
        The model (its blocks give the columns of ``values``).
    basket
        Its cover triples.
    values
        An LP solution.
    masks
        Category subsets to try, as bit masks.

    Returns
    -------
    csr_array
        One row per violated group, ``A @ v >= 0``.
    """
    ox, zc = model.blocks["open"], model.blocks["complete"]
    g, col, cat = basket.group, basket.column, basket.category
    x, z = values[ox][col], values[zc]
    key = g * (int(basket.site.max(initial=0)) + 1) + basket.site
    pairs, first_of_pair, pair_of = np.unique(key, return_index=True, return_inverse=True)
    pair_group = g[first_of_pair]
    pair_cap = basket.capacity[basket.site[first_of_pair]]
    arc = np.minimum(x, z[g])
    n_cat = int(cat.max(initial=-1)) + 1
    present = np.zeros((basket.n_groups, n_cat), dtype=bool)
    present[g, cat] = True
    best = np.full(basket.n_groups, MIN_VIOLATION)
    best_mask = np.zeros(basket.n_groups, dtype=np.int64)
    for mask in masks:
        in_k = ((mask >> cat) & 1).astype(bool)
        load = np.bincount(pair_of, weights=np.where(in_k, arc, 0.0), minlength=len(pairs))
        lhs = np.bincount(pair_group, weights=np.minimum(load, pair_cap * z[pair_group]),
                          minlength=basket.n_groups)
        bits = ((mask >> np.arange(n_cat)) & 1).astype(bool)
        violation = present[:, bits].sum(axis=1) * z - lhs
        better = violation > best
        best[better], best_mask[better] = violation[better], mask
    in_k = best_mask[g] > 0
    in_k &= ((best_mask[g] >> cat) & 1).astype(bool)
    load = np.bincount(pair_of, weights=np.where(in_k, arc, 0.0), minlength=len(pairs))
    in_t = load > pair_cap * z[pair_group] + 1e-12  # sites cut at their capacity
    in_s = in_k & ~in_t[pair_of] & (x > z[g] + 1e-12)  # columns cut at z
    keep = in_k & ~in_t[pair_of] & ~in_s
    n_k = np.zeros(basket.n_groups)
    first = np.unique(np.column_stack([g[in_k], cat[in_k]]), axis=0)
    np.add.at(n_k, first[:, 0], 1.0)
    cap_t = np.bincount(pair_group[in_t], weights=pair_cap[in_t], minlength=basket.n_groups)
    rhs = n_k - cap_t - np.bincount(g[in_s], minlength=basket.n_groups)
    groups = np.flatnonzero((best_mask > 0) & (rhs > 0))
    row_of_group = np.full(basket.n_groups, -1, dtype=np.int64)
    row_of_group[groups] = np.arange(len(groups))
    keep &= row_of_group[g] >= 0
    rows = np.concatenate([row_of_group[g[keep]], np.arange(len(groups))])
    cols = np.concatenate([ox.start + col[keep], zc.start + groups])
    data = np.concatenate([np.ones(int(keep.sum())), -rhs[groups]])
    return sp.csr_array((data, (rows, cols)), shape=(len(groups), model.n_vars))


def lp_solution(model: LinearModel) -> tuple[float, _F] | None:
    """LP relaxation value (offset included) and solution by interior point; None if it fails."""
    x, optimal = solve_lp(model, method="highs-ipm")
    if x is None or not optimal:
        return None
    return float(model.c @ x) + model.offset, x


def add_basket_rows(model: LinearModel, seconds: float, thresholds: _F | None = None
                    ) -> LinearModel:
    """Add basket rows (block ``basket``) to a ``max_complete`` model; see the module docstring.

    Parameters
    ----------
    model
        An assembled model.
    seconds
        Time for the separation rounds (a round started is finished; none when the model is
        too large for one round in this time, see :data:`NONZEROS_PER_SECOND`).
    thresholds
        Travel threshold of every category, for the subsets tried beyond
        :data:`MAX_ENUMERATED_CATEGORIES` categories.

    Returns
    -------
    LinearModel
        The model with the rows (the same model when none is added); ``stats`` record
        ``basket_rows``, ``basket_rounds``, and the LP bound before and after the rows
        (``basket_lp_bound_before``, ``basket_lp_bound``).
    """
    affordable = model.A.nnz <= min(MAX_NONZEROS, seconds * NONZEROS_PER_SECOND)
    basket = basket_of(model) if affordable else None
    if basket is None or len(basket.group) == 0:
        return model
    start = time.perf_counter()
    masks = category_masks(model, thresholds)
    added: list[sp.csr_array] = []
    current, previous, rounds = model, None, 0
    bound = first = None
    while rounds < MAX_ROUNDS and time.perf_counter() - start < seconds:
        solved = lp_solution(current)
        if solved is None:
            break
        bound, values = solved
        first = bound if first is None else first
        rounds += 1
        if previous is not None and abs(previous - bound) <= MIN_GAIN * max(abs(bound), 1.0):
            break
        previous = bound
        rows = separate(current, basket, values, masks)
        if rows.shape[0] == 0:
            break
        added.append(rows)
        current = _with_rows(model, added)
    stats = dict(current.stats)
    n_added = sum(r.shape[0] for r in added)
    stats.update(basket_rows=n_added, basket_rounds=rounds,
                 constraints=current.n_rows, nonzeros=int(current.A.nnz))
    if bound is not None and first is not None:
        stats.update(basket_lp_bound=bound, basket_lp_bound_before=first)
    return dataclasses.replace(current, stats=stats)


def _with_rows(model: LinearModel, added: list[sp.csr_array]) -> LinearModel:
    """``model`` with the rows ``added`` (``>= 0``) appended as block ``basket``."""
    rows = sp.vstack(added, format="csr")
    n = rows.shape[0]
    row_blocks = {**model.row_blocks, "basket": slice(model.n_rows, model.n_rows + n)}
    return dataclasses.replace(
        model, A=sp.csr_array(sp.vstack([model.A, rows], format="csr")),
        row_lower=np.concatenate([model.row_lower, np.zeros(n)]),
        row_upper=np.concatenate([model.row_upper, np.full(n, np.inf)]),
        row_blocks=row_blocks)
