"""The answer as written: a verified plan turned into a :class:`~sitecircle.solution.Solution`."""

from __future__ import annotations

from typing import Any

import numpy as np

from sitecircle.instance.data import Instance
from sitecircle.solution import Solution, Verified
from sitecircle.solution_status import Status
from sitecircle.verifier.check import Verification


def solution_from(
    inst: Instance, status: Status, pairs: np.ndarray | None, check: Verification,
    before: Verification, solver: dict[str, Any], stats: dict[str, int | float],
    explanation: dict[str, Any] | None,
) -> Solution:
    """The :class:`~sitecircle.solution.Solution` of a plan: its figures are the verifier's
    (``check``, and ``before`` for nothing opened), never the engine's."""
    cats = inst.category_ids
    has = pairs is not None
    missing = ~check.covered
    communities = [{"id": cid, "missing": [cats[k] for k in np.flatnonzero(missing[i])]}
                   for i, cid in enumerate(inst.community_ids)]
    open_list = []
    if pairs is not None:
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        open_list = [{"site": inst.site_ids[j], "category": cats[k]} for j, k in pairs[order]]
    return Solution(
        instance=inst.name, objective_type=inst.objective.type, status=status,
        objective=check.objective if has else None, cost=check.cost if has else 0.0,
        open=open_list, coverage=check.coverage, coverage_before=before.coverage,
        complete=check.complete, complete_before=before.complete, communities=communities,
        solver=solver, model=dict(stats), explanation=explanation,
        verified=Verified(covered_before=before.covered, covered_after=check.covered),
        assignments=check.assignments if inst.capacitated.any() else None,
        loads=check.loads if inst.capacitated.any() else None,
    )
