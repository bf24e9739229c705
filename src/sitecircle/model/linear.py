r"""The solver-neutral model: one MILP as plain sparse arrays.

:func:`build_model` turns an instance and its coverage into a :class:`LinearModel`; backends only
translate it. Every block is assembled with sparse algebra: there is no Python loop over
communities × sites.

Formulation
-----------
Sets: communities :math:`i`, categories :math:`k`, candidate sites :math:`j`. A *column* is a
(site, category) pair :math:`(j,k)` the site may host; :math:`a_{ijk}=1` when site :math:`j`
reaches community :math:`i` within category :math:`k`'s threshold. Existing facilities pre-cover
pairs :math:`(i,k)` (:math:`p_{ik}=1`). Data: demand :math:`d_{ik}` (the category's own field),
weight :math:`w_k`, cost :math:`c_{jk}`, open cost :math:`f_j`, category limit :math:`m_j`.

Variables (``blocks``): ``open`` :math:`x_{jk}\in\{0,1\}`; ``site_open`` :math:`u_j\in\{0,1\}`,
only for sites with :math:`f_j>0`; ``covered`` :math:`y_{ik}\in[0,1]` (``max_coverage``,
``min_cost`` with :math:`T<1`) or ``complete`` :math:`z_i\in\{0,1\}` (``max_complete``).
Continuous :math:`y` is exact: :math:`\sum_j a_{ijk}x_{jk}` is an integer, so a positive
:math:`y_{ik}` implies real coverage. :math:`z` would be exact as a continuous column too, but
is declared integer: the engines then branch on "community complete or not" and derive cuts
from it, where a continuous :math:`z` leaves them branching on the sites alone (measured:
SCIP proves the demo's ``max_complete`` in 0.28 s instead of 0.97 s; on São Paulo centre,
budget 400, 60 s, SCIP ends at gap 70 % instead of 116 %, incumbent 80,252 against 66,236,
``benchmarks/results/perf.md``).

``max_coverage``: :math:`\max \sum_{ik} w_k d_{ik} y_{ik} + \text{offset}` s.t.
:math:`y_{ik} - \sum_j a_{ijk} x_{jk} \le 0` (rows ``cover``).

``max_complete``: :math:`\max \sum_i \text{pop}_i z_i + \text{offset}` s.t.
:math:`z_i - \sum_j a_{ijk} x_{jk} \le 0` for every required :math:`k` with :math:`p_{ik}=0`.
Where sites host few categories (binding ``max_categories`` rows), valid rows that count the
whole basket of a community are added (block ``basket``, :mod:`sitecircle.model.complete_cuts`):
:math:`\sum_{k\in K}\sum_{j\in R_{ik}\setminus T,(j,k)\notin S} x_{jk} \ge
(|K| - \sum_{j\in T} m_j - |S|)\, z_i`.

``min_cost``: :math:`\min \sum_{jk} c_{jk}x_{jk} + \sum_j f_j u_j` s.t., for :math:`T=1`,
:math:`\sum_j a_{ijk}x_{jk}\ge 1` for every required :math:`k` and :math:`d_{ik}>0` with
:math:`p_{ik}=0` (rows ``cover``); for :math:`T<1`, rows ``cover`` as in ``max_coverage`` and
:math:`\sum_i d_{ik}y_{ik} \ge T\sum_i d_{ik} - \sum_i p_{ik}d_{ik}` per required :math:`k`
(rows ``target``).

Limits, any objective: ``budget`` :math:`\sum c x + \sum f u \le B`; ``max_new``
:math:`\sum x \le N` or :math:`\sum_j x_{jk} \le N_k`; ``link`` :math:`x_{jk} - u_j \le 0`;
``max_categories`` :math:`\sum_k x_{jk} \le m_j` (only where it can bind).

Exact reductions, all recorded in :attr:`LinearModel.stats`: pre-covered pairs become a constant
(``offset``); pairs no site can reach are dropped (they cannot count); pairs with zero weight or
demand are dropped; rows with identical coverage patterns are merged with their weights summed
(``max_complete``: communities with identical patterns over all required categories); columns that
cover no remaining row are dropped (costs are non-negative, so opening them never helps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: The right-hand side of ``target`` rows is relaxed by this share of the category's demand so
#: float round-off cannot make an exactly reachable target infeasible.
TARGET_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class AssignmentColumns:
    """What the ``assign`` block of a capacitated model means (:mod:`sitecircle.model.capacity`).

    Assignment column ``t`` serves demand group ``group[t]`` of category ``category[t]`` from
    facility ``facility[t]`` (a site index, or ``n_sites + e`` for existing facility ``e``). A
    demand group is one or several ``(community, category)`` pairs with the same facilities in
    reach, merged with their demands summed; ``member_*`` list the pairs of every group and the
    share of the group's demand each holds (a group's service is split in these shares, which
    keeps every pair within its demand and fully served when the group is).

    Parameters
    ----------
    group, facility, category
        One entry per ``assign`` column.
    member_community, member_category, member_group, member_share
        One entry per merged ``(community, category)`` pair.
    """

    group: NDArray[np.int64]
    facility: NDArray[np.int64]
    category: NDArray[np.int64]
    member_community: NDArray[np.int64]
    member_category: NDArray[np.int64]
    member_group: NDArray[np.int64]
    member_share: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class LinearModel:
    """A mixed-integer linear program as plain arrays.

    ``row_lower <= A @ v <= row_upper``, ``col_lower <= v <= col_upper``, ``v[integrality]``
    integer; optimise ``c @ v + offset`` in direction ``sense``.

    Parameters
    ----------
    sense
        ``"max"`` or ``"min"``.
    c
        Objective coefficients, shape ``(n_vars,)``.
    offset
        Constant added to the objective (demand already covered by existing facilities).
    A
        Constraint matrix, ``csr_array`` of shape ``(n_rows, n_vars)``.
    row_lower, row_upper
        Row bounds (``±inf`` for one-sided rows).
    col_lower, col_upper
        Variable bounds.
    integrality
        True for integer variables.
    blocks
        Variable blocks by name: ``open``, ``site_open``, ``covered`` or ``complete``.
    row_blocks
        Row blocks by name: ``cover``, ``target``, ``budget``, ``max_new``, ``link``,
        ``max_categories``, ``basket`` (valid rows of ``max_complete``).
    open_site, open_category
        Site and category index of every ``open`` column.
    site_open_site
        Site index of every ``site_open`` column.
    stats
        Sizes before and after the reductions.
    assignment
        Capacitated models only: the meaning of the ``assign`` block (None otherwise). Engines
        that do not handle capacities refuse a model where it is set.
    """

    sense: Literal["max", "min"]
    c: NDArray[np.float64]
    offset: float
    A: sp.csr_array
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    integrality: NDArray[np.bool_]
    blocks: dict[str, slice]
    row_blocks: dict[str, slice]
    open_site: NDArray[np.int32]
    open_category: NDArray[np.int32]
    site_open_site: NDArray[np.int32]
    stats: dict[str, int | float] = field(default_factory=dict)
    assignment: AssignmentColumns | None = None

    @property
    def capacitated(self) -> bool:
        """True for a model with assignment variables (some category is capacitated)."""
        return self.assignment is not None

    @property
    def n_vars(self) -> int:
        """Number of variables."""
        return len(self.c)

    @property
    def n_rows(self) -> int:
        """Number of constraint rows."""
        return int(self.A.shape[0])

    def objective_value(self, values: NDArray[np.float64]) -> float:
        """Objective of a vector of variable values, offset included."""
        return float(self.c @ values) + self.offset


#: Entries handled at a time by the chunked whole-matrix passes (bounds their temporary memory).
CHUNK_ENTRIES = 1 << 22


def row_chunks(
    indptr: NDArray[np.integer[Any]], max_entries: int = CHUNK_ENTRIES
) -> list[tuple[int, int]]:
    """Split the rows of a compressed pattern into ranges of about ``max_entries`` entries.

    A range holds at most ``max_entries`` entries besides those of its first row (so a row
    longer than ``max_entries`` is not split).

    Parameters
    ----------
    indptr
        Row pointer (``len = n_rows + 1``).
    max_entries
        Entries per range.

    Returns
    -------
    list of tuple
        ``(first_row, end_row)`` ranges covering every row, in order.
    """
    n_rows = len(indptr) - 1
    if n_rows <= 0:
        return []
    targets = np.arange(max_entries, int(indptr[-1]), max_entries)
    cuts = np.unique(np.searchsorted(indptr, targets, side="right") - 1)
    bounds = np.unique(np.concatenate([[0], cuts[(cuts > 0) & (cuts < n_rows)], [n_rows]]))
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _row_hashes(m: sp.csr_array, weights: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Sum of ``weights[column]`` over every row, modulo 2**64, one chunk of rows at a time."""
    out = np.zeros(m.shape[0], dtype=np.uint64)
    ptr = m.indptr
    for r0, r1 in row_chunks(ptr):
        e0, e1 = int(ptr[r0]), int(ptr[r1])
        csum = np.zeros(e1 - e0 + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum(weights[m.indices[e0:e1]], dtype=np.uint64, out=csum[1:])
            local = ptr[r0:r1 + 1] - e0
            out[r0:r1] = csum[local[1:]] - csum[local[:-1]]
    return out


def _rows_differing(m: sp.csr_array, rep: NDArray[np.int64]) -> NDArray[np.int64]:
    """Rows whose column pattern differs from that of their representative (same length)."""
    ptr, idx = m.indptr.astype(np.int64, copy=False), m.indices
    bad: list[NDArray[np.int64]] = []
    for r0, r1 in row_chunks(ptr):
        rows = np.arange(r0, r1, dtype=np.int64)
        rows = rows[rep[r0:r1] != rows]
        if len(rows) == 0:
            continue
        lens = ptr[rows + 1] - ptr[rows]
        seg = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
        within = np.arange(len(seg), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        differs = idx[ptr[rows][seg] + within] != idx[ptr[rep[rows]][seg] + within]
        bad.append(rows[np.unique(seg[differs])])
    return np.concatenate(bad) if bad else np.zeros(0, np.int64)


def _key_order(
    lengths: NDArray[np.uint64], hash1: NDArray[np.uint64], hash2: NDArray[np.uint64]
) -> NDArray[np.intp]:
    """``np.lexsort((hash2, hash1, lengths))``, by two stable argsorts when ``hash2`` breaks no tie.

    Rows with equal length and first hash nearly always are identical, so the second hash rarely
    orders anything; when it does, the exact lexicographic sort is used.
    """
    order = np.argsort(hash1, kind="stable")
    short = lengths.astype(np.uint16) if lengths.max(initial=0) < 2**16 else lengths
    order = order[np.argsort(short[order], kind="stable")]
    same = (lengths[order[1:]] == lengths[order[:-1]]) & (hash1[order[1:]] == hash1[order[:-1]])
    if np.any(same & (hash2[order[1:]] != hash2[order[:-1]])):
        return np.lexsort((hash2, hash1, lengths))
    return order


def unique_rows(matrix: sp.csr_array) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Group identical rows of a 0/1 CSR matrix, exactly and without a Python loop over rows.

    Rows are hashed twice (random 64-bit weights summed modulo 2**64) with their length; rows
    sharing a key are then compared entry by entry, and any collision is kept apart. Groups are
    numbered in the lexicographic order of ``(length, hash 1, hash 2)``. Hashing and comparison
    run over chunks of :data:`CHUNK_ENTRIES` entries, so the temporary memory does not grow with
    the matrix.

    Parameters
    ----------
    matrix
        A CSR matrix whose pattern is compared (values are ignored). Its column indices are
        sorted in place.

    Returns
    -------
    tuple of ndarray
        ``first``: index of one representative row per group (its first row); ``group``: group
        of every row.
    """
    m = sp.csr_array(matrix)
    m.sort_indices()
    n_rows, n_cols = m.shape
    if n_rows == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rng = np.random.default_rng(0x5C1C1E)
    weights = [rng.integers(0, np.iinfo(np.uint64).max, size=n_cols, dtype=np.uint64,
                            endpoint=True) for _ in range(2)]
    lengths = np.diff(m.indptr).astype(np.uint64)
    hashes = [_row_hashes(m, w) for w in weights]
    order = _key_order(lengths, hashes[0], hashes[1])
    sorted_keys = [k[order] for k in (lengths, *hashes)]
    new_group = np.ones(n_rows, dtype=bool)
    new_group[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in sorted_keys])
    del sorted_keys
    first = order[new_group].astype(np.int64)
    group = np.empty(n_rows, dtype=np.int64)
    group[order] = np.cumsum(new_group) - 1
    del order, new_group
    bad_rows = _rows_differing(m, first[group])
    if len(bad_rows):  # hash collision: keep the colliding rows apart
        bad_rows = np.unique(bad_rows)
        group[bad_rows] = group.max() + 1 + np.arange(len(bad_rows))
        _, first, group = np.unique(group, return_index=True, return_inverse=True)
    return first.astype(np.int64), group.astype(np.int64)




def solve_lp(
    model: LinearModel, *, c: NDArray[np.float64] | None = None,
    lower: NDArray[np.float64] | None = None, upper: NDArray[np.float64] | None = None,
    method: str = "highs", time_limit: float | None = None,
) -> tuple[NDArray[np.float64] | None, bool]:
    """The LP relaxation of ``model`` by :func:`scipy.optimize.linprog` (HiGHS inside SciPy).

    SciPy's HiGHS, not ``highspy``: a process where ``highspy`` solved something cannot run
    OR-Tools' HiGHS afterwards (:mod:`sitecircle.solving.choice`). ``linprog`` is loaded on
    first use (its import costs ~80 ms of every start-up).

    Parameters
    ----------
    model
        The model; its rows ``row_lower <= A x <= row_upper`` (equal bounds as equality rows).
    c
        Objective to minimise; default the model's own in its sense (``-c`` for ``max``).
    lower, upper
        Column bounds; default the model's.
    method
        ``linprog`` method (``"highs"``, ``"highs-ipm"``, ``"highs-ds"``).
    time_limit
        Seconds (at least 0.5), or None.

    Returns
    -------
    tuple
        The solution vector (None when there is none) and whether it is proven optimal.
    """
    from scipy.optimize import linprog  # noqa: PLC0415 - loaded on first use (start-up)

    if c is None:
        c = -model.c if model.sense == "max" else model.c
    lo, hi = model.row_lower, model.row_upper
    eq = lo == hi
    ub, lb = ~eq & np.isfinite(hi), ~eq & np.isfinite(lo)
    a = model.A
    options = {} if time_limit is None else {"time_limit": max(float(time_limit), 0.5)}
    res = linprog(c, A_ub=sp.vstack([a[ub], -a[lb]]).tocsr(),
                  b_ub=np.concatenate([hi[ub], -lo[lb]]),
                  A_eq=a[eq] if eq.any() else None, b_eq=hi[eq] if eq.any() else None,
                  bounds=np.column_stack([model.col_lower if lower is None else lower,
                                          model.col_upper if upper is None else upper]),
                  method=method, options=options)
    if res.x is None:
        return None, False
    return np.asarray(res.x, dtype=np.float64), res.status == 0
