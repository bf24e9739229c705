"""Independent recomputation of a phased plan (FORMAT.md, "Planning extensions → Phases").

From the instance, the opened pairs, the phase each opens in and the coverage recomputed by
:mod:`sitecircle.verifier.check` for what is open at the end of every phase, this module
recomputes each phase's spending (a pair's cost in its phase; a site's ``open_cost`` in the
phase of its first new facility), its new facilities, its value, the phase limits and targets,
and the objective: Σ_t W_t × value_t for a maximised objective, the total cost for ``min_cost``.
Nothing comes from the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import Phase, Stage
from sitecircle.verifier.groups import stage_value, target_violations

#: Relative tolerance of the phase cost checks.
PHASE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PhaseCheck:
    """What a phased plan does phase by phase.

    Parameters
    ----------
    cost, to_date
        Spent in each phase, and by the end of each phase.
    covered
        Per phase: ``(n_communities, n_categories)`` coverage at its end.
    report
        The solution's ``phases`` records.
    violations
        Broken phase rules.
    """

    cost: NDArray[np.float64]
    to_date: NDArray[np.float64]
    covered: tuple[NDArray[np.bool_], ...]
    report: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def phase_spending(
    instance: Instance, pairs: NDArray[np.int64], phase: NDArray[np.int64], n_phases: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Cost and number of new facilities of every phase."""
    cost = np.bincount(phase, weights=instance.site_cost[pairs[:, 0], pairs[:, 1]],
                       minlength=n_phases).astype(np.float64)
    first = np.full(instance.n_sites, n_phases, dtype=np.int64)
    np.minimum.at(first, pairs[:, 0], phase)
    sites = np.flatnonzero(first < n_phases)
    cost += np.bincount(first[sites], weights=instance.site_open_cost[sites],
                        minlength=n_phases)[:n_phases]
    return cost, np.bincount(phase, minlength=n_phases).astype(np.int64)


def phased_value(
    instance: Instance, stage: Stage, covered: tuple[NDArray[np.bool_], ...],
    to_date: NDArray[np.float64],
) -> float:
    """A stage's phased value: Σ_t W_t × value at the end of phase t, or the total cost."""
    phases = instance.objective.phases
    assert phases is not None
    if stage.type == "min_cost":
        return float(to_date[-1])
    return float(sum(p.weight * stage_value(instance, stage, c, float(d))
                     for p, c, d in zip(phases, covered, to_date, strict=True)))


def _limits(p: Phase, spent: float, to_date: float, new: int) -> list[str]:
    out = []
    if p.budget is not None and spent > p.budget + PHASE_TOLERANCE * (1 + abs(spent)):
        out.append(f"phase {p.id!r} spends {spent:g}, more than its budget {p.budget:g}")
    if p.budget_to_date is not None and to_date > p.budget_to_date + PHASE_TOLERANCE * (
            1 + abs(to_date)):
        out.append(f"phase {p.id!r}: {to_date:g} spent by its end, more than its "
                   f"budget_to_date {p.budget_to_date:g}")
    if p.max_new is not None and new > p.max_new:
        out.append(f"phase {p.id!r} opens {new} new facilities, more than its max_new "
                   f"{p.max_new}")
    return out


def check_phases(
    instance: Instance, pairs: NDArray[np.int64], phase: NDArray[np.int64] | None,
    covered_of: Any,
) -> PhaseCheck:
    """Recompute a phased plan and its broken phase rules.

    Parameters
    ----------
    instance
        A validated instance with ``objective.phases``.
    pairs
        Opened ``(site, category)`` pairs.
    phase
        The phase (0-based) each pair opens in; None is a violation (every pair then counts in
        the first phase).
    covered_of
        ``covered_of(pairs) -> (n_communities, n_categories)`` coverage (the verifier's own).

    Returns
    -------
    PhaseCheck
        Spending, coverage and the ``phases`` report per phase, with the violations.
    """
    phases = instance.objective.phases
    assert phases is not None
    n_t = len(phases)
    problems: list[str] = []
    if phase is None and len(pairs):
        problems.append("objective.phases: the plan does not say in which phase each facility "
                        "opens")
    if phase is None:
        phase = np.zeros(len(pairs), dtype=np.int64)
    phase = np.asarray(phase, dtype=np.int64).reshape(-1)
    if len(phase) != len(pairs) or np.any((phase < 0) | (phase >= n_t)):
        problems.append(f"every facility's phase must be one of the {n_t} phases")
        phase = np.clip(np.resize(phase, len(pairs)), 0, n_t - 1)
    ids, cats = instance.site_ids, instance.category_ids
    late = instance.fixed[pairs[:, 0], pairs[:, 1]] & (phase > 0)
    for j, k in pairs[late]:
        problems.append(f"approved facility {cats[k]!r} at site {ids[j]!r} (sites[].fixed) must "
                        f"open in the first phase {phases[0].id!r}")
    spent, new = phase_spending(instance, pairs, phase, n_t)
    to_date = np.cumsum(spent)
    covered = tuple(covered_of(pairs[phase <= t]) for t in range(n_t))
    first = instance.objective.first_stage
    demand, pop = instance.demand, instance.population
    total = demand.sum(axis=0)
    pop_total = float(pop.sum())
    report = []
    for t, p in enumerate(phases):
        problems += _limits(p, float(spent[t]), float(to_date[t]), int(new[t]))
        if p.target_share is not None:
            target = Stage("min_cost", p.target_share, first.target_measure)
            problems += [f"phase {p.id!r}: {v}"
                         for v in target_violations(instance, target, covered[t])]
        got = (demand * covered[t]).sum(axis=0)
        share = np.divide(got, total, out=np.ones_like(got), where=total > 0)
        done = covered[t][:, instance.required].all(axis=1)
        report.append({
            "id": p.id, "cost": float(spent[t]), "new": int(new[t]),
            "value": stage_value(instance, first, covered[t], float(to_date[t])),
            "coverage": {c: {"covered": float(got[k]), "total": float(total[k]),
                             "share": float(share[k])} for k, c in enumerate(cats)},
            "complete": {"communities": int(done.sum()), "population": float(pop[done].sum()),
                         "share": float(pop[done].sum()) / pop_total if pop_total > 0 else 1.0},
        })
    return PhaseCheck(spent, to_date, covered, report, problems)
