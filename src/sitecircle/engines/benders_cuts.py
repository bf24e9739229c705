r"""Benders projection of the coverage variables: the decomposition and its LP cut loop.

Used by :mod:`sitecircle.engines.benders`. For ``max_coverage`` (and ``min_cost`` with a target
share)
every cover row :math:`r` reads :math:`y_r \le \sum_{j\in N(r)} x_j`, :math:`0\le y_r\le 1`, and
:math:`y` appears nowhere else except in the objective (weight :math:`w_r`) or in one target row
(coefficient :math:`d_r`). For fixed :math:`\hat x` the best :math:`y` is
:math:`\min(1, a_r\hat x)`, so :math:`y` can be projected out. Rows are split into *groups*
:math:`g` (a category, or a cluster of neighbouring rows inside one), each with a variable
:math:`\theta_g` for the value its rows deliver, bounded by the optimality cuts

.. math:: \theta_g \le \sum_{r\in g,\ a_r\hat x\ge 1} v_r
          + \sum_{r\in g,\ a_r\hat x<1} v_r\,a_r x ,

valid for every :math:`x\in[0,1]^n` (each term bounds :math:`v_r\min(1,a_r x)`) and tight at
:math:`\hat x`, integer or fractional (Cordeau, Furini & Ljubić 2019). The master holds the
sites, their limits (budget, ``max_new``, ``link``, ``max_categories``), the target rows written
on :math:`\theta` and the cuts; its LP optimum is a valid bound at every iteration, and when no cut
is violated it equals the LP relaxation of the compact model, which is never built.

The cut loop (:func:`solve_master_lp`) is Kelley's method with in-out stabilisation (Ben-Ameur &
Neto; Fischetti, Ljubić & Sinnl 2017): separate at :math:`\alpha x_\text{core} + (1-\alpha)\hat
x`, fall back to :math:`\hat x` when that finds nothing, and move the core point halfway to
:math:`\hat x` each round. HiGHS re-solves the master by dual simplex from the previous basis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.engines.highs import new_highs
from sitecircle.engines.search import tolerance
from sitecircle.model.linear import LinearModel
from sitecircle.stopping import stop_requested

_F = NDArray[np.float64]
_I = NDArray[np.int64]
#: Relative violation below which a cut is not added.
CUT_TOLERANCE = 1e-7
#: Slack cuts are deleted once the master holds more than this many cuts per column and group.
CUT_POOL_FACTOR = 12
#: Breadth-first levels of the row clustering (rows not reached stay in their category's group).
BFS_LEVELS = 12
#: Rows per group aimed at when rows are clustered (more groups: sparser, stronger cuts).
ROWS_PER_GROUP = 200


class UnsupportedModel(ValueError):
    """The model has a structure the Benders decomposition does not handle."""


@dataclass(frozen=True)
class Decomposition:
    """A coverage model split into master (sites) and projected rows (see the module docstring).

    Parameters
    ----------
    model
        The model decomposed.
    master_cols
        Model columns kept in the master (``open`` and ``site_open``), in model order.
    cover
        Cover rows × master columns, 0/1 CSR (the ``a_r``).
    y_col
        Model column of every cover row's ``y``.
    value
        ``v_r``: objective weight (``max_coverage``) or target coefficient (``min_cost``).
    group
        Group of every cover row.
    group_target
        Target row (0-based within the ``target`` block) of every group, -1 without targets.
    target_lower
        Right-hand side of every target row.
    master_A, master_lower, master_upper
        The model rows that involve master columns only.
    """

    model: LinearModel
    master_cols: _I
    cover: sp.csr_array
    y_col: _I
    value: _F
    group: _I
    group_target: _I
    target_lower: _F
    master_A: sp.csr_array
    master_lower: _F
    master_upper: _F

    @property
    def n_master(self) -> int:
        """Number of master columns (``x`` and ``u``)."""
        return len(self.master_cols)

    @property
    def n_groups(self) -> int:
        """Number of groups (``theta`` variables)."""
        return len(self.group_target)

    @property
    def maximise(self) -> bool:
        """True for ``max_coverage``."""
        return self.model.sense == "max"

    def group_value(self, x: _F) -> _F:
        r"""``f_g(x) = sum_{r in g} v_r min(1, a_r x)`` for every group."""
        reach = np.minimum(self.cover @ x, 1.0)
        return np.bincount(self.group, weights=self.value * reach,
                           minlength=self.n_groups).astype(np.float64)

    def cuts(self, x: _F) -> tuple[_F, sp.csr_array]:
        """Cuts tight at ``x``: constants and coefficient matrix (groups × master columns)."""
        reach = self.cover @ x
        short = reach < 1.0 - 1e-9
        const = np.bincount(self.group[~short], weights=self.value[~short],
                            minlength=self.n_groups).astype(np.float64)
        rows = np.flatnonzero(short)
        pick = sp.csr_array((self.value[rows], (self.group[rows], np.arange(len(rows)))),
                            shape=(self.n_groups, len(rows)))
        coef = sp.csr_array(pick @ self.cover[rows])
        coef.sum_duplicates()
        return const, coef

    def full_values(self, x: _F) -> _F:
        """The model's variable vector for master values ``x`` (best ``y``)."""
        values = np.zeros(self.model.n_vars)
        values[self.master_cols] = x
        values[self.y_col] = np.minimum(self.cover @ x, 1.0)
        return values


def _refuse(what: str) -> NoReturn:
    msg = f"benders engine: unsupported model structure ({what})"
    raise UnsupportedModel(msg)


def _rows(model: LinearModel, name: str) -> _I:
    block = model.row_blocks.get(name, slice(0, 0))
    return np.arange(block.start, block.stop, dtype=np.int64)


def decompose(model: LinearModel, *, rows_per_group: int | None = ROWS_PER_GROUP,
              seed: int = 0) -> Decomposition:
    """Split a ``max_coverage`` or target-share ``min_cost`` model (module docstring).

    Parameters
    ----------
    model
        A model from :func:`~sitecircle.model.build.build_model`.
    rows_per_group
        Average cover rows per group when clustering (None: one group per category or target).
    seed
        Seed of the clustering.

    Returns
    -------
    Decomposition
        The decomposition.

    Raises
    ------
    UnsupportedModel
        For ``max_complete``, full-cover ``min_cost`` or an unexpected row structure.
    """
    if "complete" in model.blocks:
        msg = ("the benders engine handles max_coverage and min_cost, not max_complete "
               "(use the default engine or --engine heuristic)")
        raise UnsupportedModel(msg)
    if model.blocks.get("covered", slice(0, 0)).stop == model.blocks.get(
            "covered", slice(0, 0)).start:
        return _without_coverage(model)
    y_block = model.blocks["covered"]
    is_y = np.zeros(model.n_vars, dtype=bool)
    is_y[y_block] = True
    master_cols = np.flatnonzero(~is_y).astype(np.int64)
    a = model.A.tocsr()
    cover_rows = _rows(model, "cover")
    block = model.row_blocks["cover"]
    # One pass over the cover rows' entries: split them into y and master parts.
    lo, hi = int(a.indptr[block.start]), int(a.indptr[block.stop])
    ptr = a.indptr[block.start:block.stop + 1].astype(np.int64) - lo
    idx, data = a.indices[lo:hi], a.data[lo:hi]
    row_of = np.repeat(np.arange(len(cover_rows)), np.diff(ptr))
    entry_y = is_y[idx]
    y_rows, y_idx, y_val = row_of[entry_y], idx[entry_y], data[entry_y]
    if len(y_rows) != len(cover_rows) or np.any(y_val != 1.0) or np.any(
            np.diff(y_rows) != 1) or np.any(model.row_upper[cover_rows] != 0):
        _refuse("cover rows must read y_r - sum_j a_rj x_j <= 0")
    y_col = y_idx.astype(np.int64)
    position = np.full(model.n_vars, -1, np.int64)
    position[master_cols] = np.arange(len(master_cols))
    keep = ~entry_y & (data != 0)
    if np.any(data[keep] > 0):
        _refuse("cover rows with positive x coefficients")
    counts = np.bincount(row_of[keep], minlength=len(cover_rows))
    indptr = np.zeros(len(cover_rows) + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    cover = sp.csr_array((np.ones(int(keep.sum())), position[idx[keep]].astype(np.int32),
                          indptr), shape=(len(cover_rows), len(master_cols)))
    del row_of, entry_y, keep
    target_rows = _rows(model, "target")
    n_targets = len(target_rows)
    row_target = np.full(len(cover_rows), -1, np.int64)
    if n_targets:
        t = sp.csr_array(a[target_rows][:, y_col]).tocoo()
        if np.any(np.bincount(t.col, minlength=len(cover_rows)) > 1):
            _refuse("a y column in two target rows")
        value = np.zeros(len(cover_rows))
        value[t.col] = t.data
        row_target[t.col] = t.row
        if np.any(np.isfinite(model.row_upper[target_rows])):
            _refuse("target rows with an upper bound")
        target_lower = model.row_lower[target_rows].astype(np.float64)
    else:
        value = model.c[y_col].astype(np.float64)
        target_lower = np.zeros(0)
    keep_row = np.ones(model.n_rows, dtype=bool)
    keep_row[cover_rows] = False
    keep_row[target_rows] = False
    other = np.flatnonzero(keep_row)
    master_all = a[other]
    if sp.csr_array(master_all[:, y_block]).nnz:
        _refuse("a limit row involving y")
    if np.any(model.c[y_block][value == 0] != 0) if n_targets else False:
        _refuse("y with an objective weight in a target-share model")
    category = _row_category(model, cover, master_cols)
    base = category if not n_targets else row_target
    group = _cluster(cover, base, rows_per_group, seed)
    first = np.zeros(int(group.max()) + 1 if len(group) else 0, np.int64)
    first[group] = np.arange(len(group))
    group_target = row_target[first] if n_targets else np.full(len(first), -1, np.int64)
    return Decomposition(
        model=model, master_cols=master_cols, cover=cover, y_col=y_col, value=value,
        group=group, group_target=group_target, target_lower=target_lower,
        master_A=sp.csr_array(_columns(master_all, master_cols)),
        master_lower=model.row_lower[other].astype(np.float64),
        master_upper=model.row_upper[other].astype(np.float64))


def _columns(matrix: Any, cols: _I) -> sp.csr_array:
    """Columns of a CSR matrix, by a slice when they are contiguous (much faster)."""
    if len(cols) and cols[-1] - cols[0] + 1 == len(cols):
        return sp.csr_array(matrix[:, int(cols[0]):int(cols[-1]) + 1])
    return sp.csr_array(matrix[:, cols])


def _without_coverage(model: LinearModel) -> Decomposition:
    """A model without coverage variables (full-cover ``min_cost``): all of it is the master."""
    n = model.n_vars
    return Decomposition(
        model=model, master_cols=np.arange(n, dtype=np.int64), cover=sp.csr_array((0, n)),
        y_col=np.zeros(0, np.int64), value=np.zeros(0), group=np.zeros(0, np.int64),
        group_target=np.zeros(0, np.int64), target_lower=np.zeros(0),
        master_A=sp.csr_array(model.A), master_lower=model.row_lower.astype(np.float64),
        master_upper=model.row_upper.astype(np.float64))


def _row_category(model: LinearModel, cover: sp.csr_array, master_cols: _I) -> _I:
    """Category of every cover row (from its first column; rows without columns: 0)."""
    n_open = model.blocks["open"].stop - model.blocks["open"].start
    cat_of_col = np.zeros(len(master_cols), np.int64)
    cat_of_col[:n_open] = model.open_category
    starts = cover.indptr[:-1]
    has = np.diff(cover.indptr) > 0
    out = np.zeros(cover.shape[0], np.int64)
    out[has] = cat_of_col[cover.indices[starts[has]]]
    return out


def _cluster(cover: sp.csr_array, base: _I, rows_per_group: int | None, seed: int) -> _I:
    """Groups of rows: ``base`` (category or target) split into clusters of neighbouring rows.

    Multi-source breadth-first search on the row-column graph from random seed rows: a row
    takes the cluster of a column it shares with an already labelled row, one level at a time,
    without a Python loop over rows. Rows no seed reaches keep ``base`` alone.
    """
    n_rows = cover.shape[0]
    _, base = np.unique(base, return_inverse=True)
    if rows_per_group is None or n_rows <= rows_per_group:
        return base.astype(np.int64)
    rng = np.random.default_rng(seed)
    n_seeds = max(1, n_rows // rows_per_group)
    label = np.full(n_rows, -1, np.int64)
    label[rng.choice(n_rows, size=n_seeds, replace=False)] = np.arange(n_seeds)
    csc = cover.tocsc()
    col_has = np.diff(csc.indptr) > 0
    row_has = np.diff(cover.indptr) > 0
    col_label = np.full(cover.shape[1], -1, np.int64)
    row_best = np.full(n_rows, -1, np.int64)
    for _ in range(BFS_LEVELS):
        col_label[col_has] = np.maximum.reduceat(label[csc.indices], csc.indptr[:-1][col_has])
        row_best[row_has] = np.maximum.reduceat(col_label[cover.indices],
                                                cover.indptr[:-1][row_has])
        newly = (label < 0) & (row_best >= 0)
        if not newly.any():
            break
        label[newly] = row_best[newly]
    label = np.where(label >= 0, label, n_seeds + base)
    key = label * (int(base.max()) + 1) + base
    _, group = np.unique(key, return_inverse=True)
    return group.astype(np.int64)


@dataclass
class MasterResult:
    """State of the master LP after the cut loop.

    Parameters
    ----------
    bound
        Master LP optimum (offset included): a valid bound on the model's optimum.
    x
        Master LP solution (master columns).
    best_value
        Best model objective of an LP-feasible point met (the LP's own lower side).
    reduced_cost
        Reduced costs of the master columns at the last LP optimum.
    iterations, cuts
        Rounds and cuts added.
    converged
        True when no violated cut was left.
    log
        One record per round.
    """

    bound: float
    x: _F
    best_value: float
    reduced_cost: _F
    iterations: int
    cuts: int
    converged: bool
    log: list[dict[str, Any]] = field(default_factory=list)
    highs: Any = None
    base_rows: int = 0


def _cut_rows(dec: Decomposition, const: _F, coef: sp.csr_array, which: _I) -> tuple[
        _F, _F, sp.csr_array]:
    """Rows ``theta_g - coef_g x <= const_g`` for the groups ``which``, over (x, theta)."""
    part = sp.csr_array(coef[which])
    theta = sp.csr_array((np.ones(len(which)), (np.arange(len(which)), dec.n_master + which)),
                         shape=(len(which), dec.n_master + dec.n_groups))
    body = sp.hstack([-part, sp.csr_array((len(which), dec.n_groups))], format="csr") + theta
    body = sp.csr_array(body)
    body.eliminate_zeros()
    return np.full(len(which), -np.inf), const[which].astype(np.float64), body


def _add_rows(h: Any, lower: _F, upper: _F, body: sp.csr_array) -> None:
    if body.shape[0] == 0:
        return
    h.addRows(body.shape[0], lower, upper, body.nnz, body.indptr[:-1].astype(np.int32),
              body.indices.astype(np.int32), body.data.astype(np.float64))


def solve_master_lp(
    dec: Decomposition, *, start: _F | None = None, deadline: float = float("inf"),
    stop_below: float | None = None, tolerance: float = 1e-6, alpha: float = 0.5,
    threads: int | None = None, max_rounds: int = 10_000,
) -> MasterResult:
    """Kelley's cut loop with in-out stabilisation on the master LP (module docstring).

    Parameters
    ----------
    dec
        The decomposition.
    start
        A feasible master point (e.g. the heuristic's sites): the first core point, and its cuts
        start the master.
    deadline
        ``time.perf_counter()`` value at which to stop.
    stop_below
        Stop once the bound is at least this good (``max``: at most it; ``min``: at least it).
    tolerance
        Relative distance between the master bound and the best LP point at which the loop
        stops (the LP relaxation is then solved to this tolerance).
    alpha
        In-out weight of the core point.
    threads
        HiGHS threads.
    max_rounds
        Cap on rounds.

    Returns
    -------
    MasterResult
        Bound, LP point, reduced costs and the log.
    """
    import highspy  # noqa: PLC0415

    model = dec.model
    sign = 1.0 if dec.maximise else -1.0
    n_m, n_g = dec.n_master, dec.n_groups
    h = new_highs(threads, presolve="off")
    cost = np.concatenate([model.c[dec.master_cols],
                           np.ones(n_g) if dec.maximise else np.zeros(n_g)])
    cap = np.bincount(dec.group, weights=dec.value, minlength=n_g)
    lower = np.concatenate([model.col_lower[dec.master_cols], np.zeros(n_g)])
    upper = np.concatenate([model.col_upper[dec.master_cols], cap])
    h.addVars(n_m + n_g, lower, upper)
    h.changeColsCost(n_m + n_g, np.arange(n_m + n_g, dtype=np.int32), cost)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize if dec.maximise
                           else highspy.ObjSense.kMinimize)
    body = sp.hstack([dec.master_A, sp.csr_array((dec.master_A.shape[0], n_g))], format="csr")
    _add_rows(h, dec.master_lower, dec.master_upper, sp.csr_array(body))
    if len(dec.target_lower):
        tg = np.flatnonzero(dec.group_target >= 0)
        rows = sp.csr_array((np.ones(len(tg)), (dec.group_target[tg], n_m + tg)),
                            shape=(len(dec.target_lower), n_m + n_g))
        _add_rows(h, dec.target_lower, np.full(len(dec.target_lower), np.inf), rows)
    all_groups = np.arange(n_g, dtype=np.int64)
    base_rows = int(h.getNumRow())
    keep = CUT_POOL_FACTOR * (n_m + n_g)
    n_cuts = 0
    for point in ([np.zeros(n_m)] + ([start] if start is not None else [])):
        const, coef = dec.cuts(point)
        _add_rows(h, *_cut_rows(dec, const, coef, all_groups))
        n_cuts += n_g
    core = None if start is None else start.astype(np.float64)
    best_value = -sign * np.inf
    if start is not None:
        best_value = float(model.c[dec.master_cols] @ start + dec.group_value(start).sum()
                           * (1.0 if dec.maximise else 0.0)) + model.offset
    log: list[dict[str, Any]] = []
    bound, x, rc, converged = sign * np.inf, np.zeros(n_m), np.zeros(n_m), False
    rounds = 0
    while rounds < max_rounds:
        left = deadline - time.perf_counter()
        if left <= 0 or stop_requested():
            break
        h.setOptionValue("time_limit", float(h.getRunTime() + left))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        rounds += 1
        sol = h.getSolution()
        col = np.asarray(sol.col_value)
        x, theta = np.clip(col[:n_m], 0.0, 1.0), col[n_m:]
        rc = np.asarray(sol.col_dual)[:n_m]
        bound = float(h.getInfo().objective_function_value) + model.offset
        value = float(model.c[dec.master_cols] @ x) + model.offset
        if dec.maximise:
            value += float(dec.group_value(x).sum())
        feasible_point = dec.maximise or bool(np.all(
            _target_totals(dec, dec.group_value(x)) >= dec.target_lower - 1e-9))
        if feasible_point and sign * (value - best_value) > 0:
            best_value = value
        log.append({"round": rounds, "bound": bound, "value": value, "cuts": n_cuts,
                    "t": time.perf_counter()})
        gap = sign * (bound - best_value)
        if gap <= tolerance * max(1.0, abs(bound)):
            converged = True
            break
        if stop_below is not None and sign * (bound - stop_below) <= 0:
            break
        added = 0
        for mix in ((alpha, 0.0) if core is not None else (0.0,)):
            point = x if core is None or mix == 0.0 else mix * core + (1.0 - mix) * x
            const, coef = dec.cuts(point)
            at_x = const + coef @ x
            viol = np.flatnonzero(theta - at_x > CUT_TOLERANCE * np.maximum(1.0, np.abs(theta)))
            if len(viol):
                purge_cuts(h, base_rows, keep)
                _add_rows(h, *_cut_rows(dec, const, coef, viol))
                added = len(viol)
                break
        core = x.copy() if core is None else 0.5 * (core + x)
        n_cuts += added
        if added == 0:
            converged = True
            break
    return MasterResult(bound=bound, x=x, best_value=best_value,
                        reduced_cost=rc, iterations=rounds, cuts=n_cuts, converged=converged,
                        log=log, highs=h, base_rows=base_rows)


def _target_totals(dec: Decomposition, per_group: _F) -> _F:
    tg = np.flatnonzero(dec.group_target >= 0)
    return np.bincount(dec.group_target[tg], weights=per_group[tg],
                       minlength=len(dec.target_lower)).astype(np.float64)


def fixable(rc: _F, x: _F, bound: float, incumbent: float, maximise: bool,
            step: float) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Reduced-cost fixing: columns that cannot be at 1 (resp. 0) in a solution beating
    ``incumbent``, from an LP optimum ``x`` of value ``bound`` with reduced costs ``rc``
    (``step``: 1 when every objective value is an integer). See :mod:`sitecircle.engines.benders`.
    """
    sign = 1.0 if maximise else -1.0
    # slack: how much better than the incumbent a solution must be to matter
    need = sign * (bound - incumbent) - (step * 0.999 if step else -tolerance(incumbent))
    penalty = -sign * rc  # >= 0 for columns at their lower bound
    fix0 = (x <= 1e-9) & (penalty > need)
    fix1 = (x >= 1.0 - 1e-9) & (-penalty > need)
    return fix0, fix1


def purge_cuts(h: Any, base_rows: int, keep: int) -> int:
    """Delete slack cut rows (rows after ``base_rows``) once there are more than ``keep``.

    Uses the last LP solution; cuts are regenerated when needed, so this only keeps the master
    small. Returns the number of rows deleted.
    """
    n_rows = int(h.getNumRow())
    if n_rows - base_rows <= keep:
        return 0
    value = np.asarray(h.getSolution().row_value)[base_rows:]
    upper = np.asarray(h.getLp().row_upper_)[base_rows:]
    if len(value) != len(upper):  # no solution for the current rows
        return 0
    slack = upper - value > 1e-7 * np.maximum(1.0, np.abs(upper))
    drop = (base_rows + np.flatnonzero(slack)).astype(np.int32)
    if len(drop):
        h.deleteRows(len(drop), drop)
    return len(drop)


def add_cut_rows(h: Any, dec: Decomposition, const: _F, coef: sp.csr_array, which: _I) -> None:
    """Add the cuts of groups ``which`` to the HiGHS master ``h``."""
    _add_rows(h, *_cut_rows(dec, const, coef, which))


def objective_of(dec: Decomposition, x: _F) -> float:
    """Model objective (offset included) of master values ``x`` with the best ``y``."""
    return dec.model.objective_value(dec.full_values(x))

