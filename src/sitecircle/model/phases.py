r"""The phased planning model: a plan over several years as one time-expanded MILP.

FORMAT.md, "Planning extensions → Phases". :func:`build_phased_model` takes the single-period
planning model (:mod:`sitecircle.model.planning`, variables :math:`v = (x, u, y, z, t)`) and
keeps one copy :math:`v^t` of it per phase :math:`t = 1..T`, where copy :math:`t` describes what
is open *by the end of* phase :math:`t` (cumulative).

Formulation
-----------
Rows, with :math:`c` the cost vector of the single-period model (:math:`c_{jk}` on ``open``,
:math:`f_j` on ``site_open``, 0 elsewhere) and :math:`v^0 = 0`:

* every copy keeps the single-period rows that define coverage (``cover``, ``cover_complete``,
  ``link`` :math:`x^t_{jk} \le u^t_j`, ``max_min``): block-diagonal, ``kron(I_T, A)``;
* ``stays_open``: :math:`x^{t-1}_{jk} - x^t_{jk} \le 0` and :math:`u^{t-1}_j - u^t_j \le 0`
  (a facility opens once and stays open; a site's open cost is paid once, in the phase its
  :math:`u` becomes 1);
* ``site_used``: :math:`u^t_j - \sum_k x^t_{jk} \le 0` in every copy, so that with ``link``
  :math:`u^t_j = \max_k x^t_{jk}`: the open cost is paid in the phase of the site's first
  facility, never earlier (without it a plan could pay it from an earlier phase's budget);
* ``phase_budget``: :math:`c^\top (v^t - v^{t-1}) \le B_t`; ``phase_max_new``:
  :math:`\sum_{jk} (x^t_{jk} - x^{t-1}_{jk}) \le N_t`; ``budget_to_date``:
  :math:`c^\top v^t \le \bar B_t`;
* on the last copy only (cumulative = total): the top-level ``budget``, ``max_new`` (total and per
  category), ``max_categories`` and ``equity`` rows;
* approved pairs have the lower bound 1 in every copy (they open in the first phase).

Stage objectives: a maximised stage with single-period objective :math:`g^\top v + o` becomes
:math:`\sum_t W_t (g^\top v^t + o)`; ``min_cost`` minimises :math:`c^\top v^T` (the total). The
first stage's ``min_cost`` target rows hold on copy :math:`t` with phase :math:`t`'s
``target_share`` (the last phase's defaults to the top-level one); a later ``min_cost`` stage's
target holds on the last copy. With several phases a last, tie-breaking stage
(:attr:`StageObjective.tie_break`) minimises :math:`\sum_t c^\top v^t`, the spending to date
summed over the phases, while every stated stage keeps its value exactly: among equally good plans
money is spent as late as possible (a ``min_cost`` plan opens a facility in the phase whose
target needs it, not earlier). The target rows are linear in the share :math:`T`: their lower
bound is :math:`T S - C` (:math:`S` the category's demand, or the population for a
complete-basket target), so they are derived from the single-period model's rows by shifting
the bound by :math:`(T - T_0) S`.

Sizes: :math:`T` times the single-period model, plus :math:`(T-1)(n_x + n_u)` ``stays_open``
rows and at most :math:`3T` limit rows. Everything is assembled with ``scipy.sparse.kron``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import COMPLETE, Phase, Stage
from sitecircle.model.linear import LinearModel
from sitecircle.model.planning import PlanningModel, StageObjective, build_planning_model
from sitecircle.travel.coverage import Coverage

_F = NDArray[np.float64]
_I = NDArray[np.int64]

#: Single-period row blocks that every phase's copy keeps (the others hold on the last copy).
PER_PHASE_ROWS = ("cover", "cover_complete", "link")


@dataclass(frozen=True, eq=False)
class PhasedModel(PlanningModel):
    """The time-expanded planning model (formulation in the module docstring).

    ``model``'s blocks ``open``, ``site_open``, ... name the *last* copy (what is open at the
    end), so code that reads the final plan reads it unchanged; ``single`` is the single-period
    model each copy repeats, of ``single.model.n_vars`` variables.
    """

    single: PlanningModel | None = None
    n_phases: int = 1

    @property
    def width(self) -> int:
        """Variables of one copy."""
        assert self.single is not None
        return self.single.model.n_vars

    def values_from_open(self, open_pairs: _I, phase: _I | None = None) -> _F:
        """A vector of every copy from opened pairs and their phase (0-based; None: first)."""
        assert self.single is not None
        pairs = np.asarray(open_pairs, dtype=np.int64).reshape(-1, 2)
        when = np.zeros(len(pairs), dtype=np.int64) if phase is None else np.asarray(phase)
        return np.concatenate([self.single.values_from_open(pairs[when <= t])
                               for t in range(self.n_phases)])

    def opening_phase(self, values: _F) -> _I:
        """Phase (0-based) in which every finally open pair opens, in :func:`open_pairs` order."""
        assert self.single is not None
        ox = self.single.model.blocks["open"]
        x = np.stack([values[t * self.width + ox.start:t * self.width + ox.stop]
                      for t in range(self.n_phases)]) > 0.5
        final = np.flatnonzero(x[-1])
        return np.asarray(np.argmax(x[:, final], axis=0), dtype=np.int64)


def _rows_of(model: LinearModel, keep: list[str]) -> NDArray[np.int64]:
    parts = [np.arange(model.row_blocks[n].start, model.row_blocks[n].stop, dtype=np.int64)
             for n in keep]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _on_copy(a: sp.csr_array, t: int, n_phases: int) -> sp.csr_array:
    """Place a block of rows over one copy's variables at copy ``t``."""
    a = sp.coo_array(a)
    width = a.shape[1]
    return sp.csr_array((a.data, (a.row, a.col + t * width)), shape=(a.shape[0], n_phases * width))


def target_scale(instance: Instance, measure: str) -> _F:
    """:math:`S` of the target rows: demand of every required category, or the population."""
    if measure == COMPLETE:
        return np.array([float(instance.population.sum())])
    return np.asarray(instance.demand.sum(axis=0)[instance.required], dtype=np.float64)


def _phase_targets(
    instance: Instance, first: StageObjective, phases: tuple[Phase, ...],
) -> list[tuple[int, sp.csr_array, _F]]:
    """The first stage's target rows per phase: ``(copy, rows, lower)``."""
    if first.rows is None or first.lower is None or first.stage.target_share is None:
        return []
    scale = target_scale(instance, first.stage.target_measure)
    return [(t, first.rows, first.lower + (p.target_share - first.stage.target_share) * scale)
            for t, p in enumerate(phases) if p.target_share is not None]


def build_phased_model(instance: Instance, coverage: Coverage) -> PhasedModel:
    """Assemble the phased model (formulation in the module docstring).

    Parameters
    ----------
    instance
        A validated instance with ``objective.phases``.
    coverage
        Its coverage.

    Returns
    -------
    PhasedModel
        The time-expanded rows and every stage's objective over all copies.
    """
    phases = instance.objective.phases
    assert phases is not None
    pm = build_planning_model(instance, coverage)
    base = pm.model
    n_t, width = len(phases), base.n_vars
    names = list(base.row_blocks)
    per_copy = [n for n in names if n in PER_PHASE_ROWS or n.startswith("max_min:")]
    last_only = [n for n in names if n not in per_copy and n != "target"]

    rows: list[sp.csr_array] = []
    lo: list[_F] = []
    hi: list[_F] = []
    row_blocks: dict[str, slice] = {}

    def add(name: str, a: sp.csr_array, lower: _F | float, upper: _F | float) -> None:
        r = a.shape[0]
        if r == 0:
            return
        start = sum(x.shape[0] for x in rows)
        rows.append(sp.csr_array(a))
        lo.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (r,)).copy())
        hi.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (r,)).copy())
        row_blocks[name] = slice(start, start + r)

    keep = _rows_of(base, per_copy)
    add("per_phase", sp.kron(sp.eye_array(n_t), base.A[keep], format="csr"),
        np.tile(base.row_lower[keep], n_t), np.tile(base.row_upper[keep], n_t))
    keep = _rows_of(base, last_only)
    add("totals", _on_copy(base.A[keep], n_t - 1, n_t), base.row_lower[keep],
        base.row_upper[keep])

    add("site_used", sp.kron(sp.eye_array(n_t), _site_used(base), format="csr"), -np.inf, 0.0)
    n_xu = base.blocks["site_open"].stop  # open and site_open are the first columns
    pick = sp.eye_array(n_xu, width, format="csr")
    if n_t > 1:
        step = sp.eye_array(n_t - 1, n_t) - sp.eye_array(n_t - 1, n_t, k=1)
        add("stays_open", sp.kron(step, pick, format="csr"), -np.inf, 0.0)
    cost = _cost_vector(instance, base)
    new = np.zeros(width)
    new[base.blocks["open"]] = 1.0
    spend = sp.eye_array(n_t) - sp.eye_array(n_t, k=-1)  # row t: copy t minus copy t-1
    for name, per_row, limit in (
            ("phase_budget", spend, [p.budget for p in phases]),
            ("phase_max_new", spend, [p.max_new for p in phases]),
            ("budget_to_date", sp.eye_array(n_t), [p.budget_to_date for p in phases])):
        which = [t for t, v in enumerate(limit) if v is not None]
        if not which:
            continue
        vec = new if name == "phase_max_new" else cost
        a = sp.kron(sp.csr_array(per_row)[which], sp.csr_array(vec[None, :]), format="csr")
        add(name, a, -np.inf, np.array([float(limit[t]) for t in which]))  # type: ignore[arg-type]

    stages: list[StageObjective] = []
    for s, stage in enumerate(pm.stages):
        if stage.sense == "max":
            w = np.array([p.weight for p in phases])
            stages.append(StageObjective(stage.stage, "max", np.kron(w, stage.c),
                                         float(w.sum() * stage.offset)))
            continue
        c = np.zeros(n_t * width)
        c[(n_t - 1) * width:] = stage.c
        targets = (_phase_targets(instance, stage, phases) if s == 0 else
                   [] if stage.rows is None or stage.lower is None
                   else [(n_t - 1, stage.rows, stage.lower)])
        if targets:
            a = sp.csr_array(sp.vstack([_on_copy(r, t, n_t) for t, r, _ in targets],
                                       format="csr"))
            stages.append(StageObjective(stage.stage, "min", c, stage.offset, a,
                                         np.concatenate([lw for _, _, lw in targets])))
        else:
            stages.append(StageObjective(stage.stage, "min", c, stage.offset))

    if n_t > 1:  # among equally good plans, spend as late as possible
        stages.append(StageObjective(Stage("min_cost"), "min", np.tile(cost, n_t), 0.0,
                                     tie_break=True))
    first = stages[0]
    if first.rows is not None and first.lower is not None:
        add("target", first.rows, first.lower, np.inf)
    a_all = sp.csr_array(sp.vstack(rows, format="csr")) if rows else sp.csr_array(
        (0, n_t * width))
    last = (n_t - 1) * width
    blocks = {name: slice(b.start + last, b.stop + last) for name, b in base.blocks.items()}
    stats = dict(base.stats)
    stats.update(phases=n_t, variables=n_t * width, constraints=int(a_all.shape[0]),
                 nonzeros=int(a_all.nnz))
    model = dataclasses.replace(
        base, sense=first.sense, c=first.c, offset=first.offset, A=a_all,
        row_lower=np.concatenate(lo) if lo else np.zeros(0),
        row_upper=np.concatenate(hi) if hi else np.zeros(0),
        col_lower=np.tile(base.col_lower, n_t), col_upper=np.tile(base.col_upper, n_t),
        integrality=np.tile(base.integrality, n_t), blocks=blocks, row_blocks=row_blocks,
        stats=stats)
    return PhasedModel(model, tuple(stages), pm.cover, pm.cover_complete, pm.complete_of_row,
                       pm.max_min_rows, single=pm, n_phases=n_t)


def _site_used(model: LinearModel) -> sp.csr_array:
    r"""Rows :math:`u_j - \sum_k x_{jk} \le 0` over one copy: a site's open cost is paid only
    once a facility opens there (so not in an earlier phase than its first facility)."""
    ox, su = model.blocks["open"], model.blocks["site_open"]
    sites = model.site_open_site
    sel = np.flatnonzero(np.isin(model.open_site, sites))
    n_u = len(sites)
    rows = np.concatenate([np.arange(n_u), np.searchsorted(sites, model.open_site[sel])])
    cols = np.concatenate([su.start + np.arange(n_u), ox.start + sel])
    data = np.concatenate([np.ones(n_u), -np.ones(len(sel))])
    return sp.csr_array((data, (rows, cols)), shape=(n_u, model.n_vars))


def _cost_vector(instance: Instance, model: LinearModel) -> _F:
    """Cost of every single-period variable: :math:`c_{jk}` on ``open``, :math:`f_j` on
    ``site_open``, 0 elsewhere."""
    cost = np.zeros(model.n_vars)
    cost[model.blocks["open"]] = instance.site_cost[model.open_site, model.open_category]
    cost[model.blocks["site_open"]] = instance.site_open_cost[model.site_open_site]
    return cost
