"""What a solution changes, per community and per new facility: the tables planners read.

:func:`outcome_from` pairs an instance with a ``sitecircle.solution/1`` result (a
:class:`~sitecircle.solution.Solution`, its decoded JSON, or a path to it) and works out coverage
before and after the new facilities and what each new facility adds. The GIS layers
(:mod:`sitecircle.outputs.layers`), the HTML report (:mod:`sitecircle.outputs.html`) and the
static map read from it.

Right after a solve nothing is computed twice: the :class:`~sitecircle.instance.data.Instance`
object is used as it is (names and labels included, no file is read again) and the coverage
before and after comes from the solve's own verifier (:attr:`Solution.verified`). A solution read
from a file is checked from scratch: the verifier recomputes coverage before and after, and the
recomputation must agree with the solution's ``communities[].missing`` lists (so a solution is
never drawn on the wrong instance). Either way, what each new facility reaches is computed from
the opened sites alone (:func:`open_reach`: in ``network`` mode a shortest-path search from the
opened sites only, not from every candidate).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.errors import InstanceError, Problem
from sitecircle.files import load_json
from sitecircle.instance.data import Instance
from sitecircle.instance.read import read_instance
from sitecircle.solution import SOLUTION_FORMAT, Solution
from sitecircle.travel.coverage import Coverage, coverage_from_instance
from sitecircle.verifier.check import verify

InstanceLike = Instance | Mapping[str, Any] | str | Path
SolutionLike = Solution | Mapping[str, Any] | str | Path


@dataclass(frozen=True)
class Outcome:
    """An instance, its solution, and everything derived from both.

    Parameters
    ----------
    instance
        The validated instance.
    solution
        The solution document (``sitecircle.solution/1`` mapping).
    open_pairs
        ``(p, 2)`` opened ``(site index, category index)``, in the solution's order.
    covered_before, covered_after
        ``(n_communities, n_categories)`` bool coverage with existing facilities only, and with
        the new facilities too.
    new_communities, new_population, new_demand
        Per new facility: communities it reaches that were not covered for its category before,
        their population, and their demand in the category's own demand field. Communities that
        two new facilities both reach count for each.
    served_site, served_minutes
        ``(n_communities, n_categories)``: for a pair that the new facilities cover, the nearest
        opened site index and its travel time; ``-1`` and NaN elsewhere.
    """

    instance: Instance
    solution: dict[str, Any]
    open_pairs: NDArray[np.int64]
    covered_before: NDArray[np.bool_]
    covered_after: NDArray[np.bool_]
    new_communities: NDArray[np.int64]
    new_population: NDArray[np.float64]
    new_demand: NDArray[np.float64]
    served_site: NDArray[np.int64]
    served_minutes: NDArray[np.float64]

    @property
    def community_names(self) -> tuple[str | None, ...]:
        """``name`` of every community, None where it has none."""
        return self.instance.community_names

    @property
    def currency(self) -> str | None:
        """The unit of every cost (:attr:`Instance.currency`)."""
        return self.instance.currency

    def unreachable(self) -> NDArray[np.bool_]:
        """``(n, K)``: the communities an infeasible ``min_cost`` explanation lists as out of reach.

        These are the communities no candidate site and no existing facility of the category
        reaches within its threshold (at most the first 50 per category are listed in the
        solution's ``explanation``).
        """
        inst = self.instance
        out = np.zeros((inst.n_communities, inst.n_categories), dtype=bool)
        index = {c: i for i, c in enumerate(inst.community_ids)}
        cats = {c: k for k, c in enumerate(inst.category_ids)}
        for entry in (self.solution.get("explanation") or {}).get("categories") or []:
            k = cats.get(str(entry.get("category"))) if isinstance(entry, dict) else None
            if k is None:
                continue
            for row in entry.get("communities") or []:
                i = index.get(str(row.get("community"))) if isinstance(row, dict) else None
                if i is not None:
                    out[i, k] = True
        return out

    @property
    def has_solution(self) -> bool:
        """True when the solution status is ``optimal`` or ``feasible``."""
        return str(self.solution.get("status")) in ("optimal", "feasible")

    @property
    def gained(self) -> NDArray[np.bool_]:
        """``(n, K)``: covered after but not before."""
        out: NDArray[np.bool_] = self.covered_after & ~self.covered_before
        return out

    def missing_required(self, after: bool = True) -> NDArray[np.int64]:
        """Number of required categories each community misses, after (or before) the plan."""
        covered = self.covered_after if after else self.covered_before
        out: NDArray[np.int64] = (~covered[:, self.instance.required]).sum(axis=1)
        return out

    def category_label(self, k: int) -> str:
        """Label of category ``k`` (its id when it has no label)."""
        return self.instance.categories[k].label


def load_solution(solution: SolutionLike) -> dict[str, Any]:
    """Return a solution as its ``sitecircle.solution/1`` mapping.

    Parameters
    ----------
    solution
        A :class:`Solution`, a decoded document or a JSON file.

    Returns
    -------
    dict
        The document.

    Raises
    ------
    InstanceError
        The file cannot be read or is not a ``sitecircle.solution/1`` document.
    """
    if isinstance(solution, Solution):
        return solution.to_dict()
    where = "solution"
    if isinstance(solution, str | Path):
        where = str(solution)
        data = load_json(solution)
    else:
        data = json.loads(json.dumps(dict(solution)))
    if not isinstance(data, dict) or data.get("format") != SOLUTION_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InstanceError([Problem(f"{where}: format",
                                     f"expected {SOLUTION_FORMAT!r}, got {got!r}")])
    return data


def _load_instance(instance: InstanceLike) -> Instance:
    if isinstance(instance, Instance):
        return instance
    if isinstance(instance, str | Path):
        return read_instance(instance)
    return Instance.from_dict(dict(instance))


def _open_pairs(inst: Instance, solution: dict[str, Any]) -> NDArray[np.int64]:
    site_index = {s: j for j, s in enumerate(inst.site_ids)}
    cat_index = {c: k for k, c in enumerate(inst.category_ids)}
    problems: list[Problem] = []
    pairs: list[tuple[int, int]] = []
    items = solution.get("open") or []
    if not isinstance(items, list):
        items = []
        problems.append(Problem("solution.open", "must be a list of {site, category}"))
    for n, item in enumerate(items):
        site = item.get("site") if isinstance(item, dict) else None
        cat = item.get("category") if isinstance(item, dict) else None
        if site not in site_index:
            problems.append(Problem(f"solution.open[{n}].site",
                                    f"site {site!r} is not a candidate site of the instance"))
        elif cat not in cat_index:
            problems.append(Problem(f"solution.open[{n}].category",
                                    f"category {cat!r} is not a category of the instance"))
        else:
            pairs.append((site_index[site], cat_index[cat]))
    if problems:
        raise InstanceError(problems[:20])
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _check_missing(inst: Instance, solution: dict[str, Any], covered: NDArray[np.bool_]) -> None:
    """The solution's own ``missing`` lists must match the recomputation."""
    records = solution.get("communities")
    if not isinstance(records, list) or not records:
        return
    cats = inst.category_ids
    index = {c: i for i, c in enumerate(inst.community_ids)}
    problems: list[Problem] = []
    for rec in records:
        i = index.get(str(rec.get("id"))) if isinstance(rec, dict) else None
        if i is None:
            rid = rec.get("id") if isinstance(rec, dict) else rec
            problems.append(Problem("solution.communities", f"community {rid!r} is not in the "
                                    "instance: is this the solution of another instance?"))
        else:
            listed = sorted(rec.get("missing") or [])
            recomputed = sorted(cats[k] for k in np.flatnonzero(~covered[i]))
            if listed != recomputed:
                problems.append(Problem(
                    "solution.communities", f"missing {listed} in the solution but {recomputed} "
                    "recomputed from the instance: is this the solution of another instance?",
                    inst.community_ids[i]))
        if len(problems) >= 5:
            break
    if problems:
        raise InstanceError(problems)


def as_outcome(instance: InstanceLike | Outcome, solution: SolutionLike | None) -> Outcome:
    """Return ``instance`` when it is already an :class:`Outcome`, else :func:`outcome_from`.

    Parameters
    ----------
    instance
        An :class:`Outcome`, or the instance (object, document or path).
    solution
        Its solution; ignored (may be None) with an ``Outcome``.

    Returns
    -------
    Outcome
        The outcome.

    Raises
    ------
    TypeError
        No solution given with a plain instance.
    """
    if isinstance(instance, Outcome):
        return instance
    if solution is None:
        msg = "a solution is needed with an instance (or pass an Outcome)"
        raise TypeError(msg)
    return outcome_from(instance, solution)


def open_reach(instance: Instance, pairs: NDArray[np.int64]) -> Coverage:
    """Coverage triples of the opened ``(site, category)`` pairs, computed from those sites alone.

    The same triples as :func:`~sitecircle.travel.coverage.coverage_from_instance` restricted to
    the opened pairs (a triple depends only on its own community, site and category), but the
    travel times are computed from the opened sites only: every other site and every existing
    facility is given no category, so it is no source of the search.

    Parameters
    ----------
    instance
        The instance.
    pairs
        ``(p, 2)`` opened ``(site index, category index)``.

    Returns
    -------
    Coverage
        Triples of the opened pairs (``precovered`` is all False).
    """
    hosts = np.zeros_like(instance.site_hosts)
    hosts[pairs[:, 0], pairs[:, 1]] = True
    only_open = dataclasses.replace(instance, site_hosts=hosts,
                                    existing_hosts=np.zeros_like(instance.existing_hosts))
    return coverage_from_instance(only_open)


def _final_assignments(doc: dict[str, Any]) -> Any:
    """The stated assignment at the end of the plan: with phases, the last phase's entries."""
    stated = doc.get("assignments")
    phases = doc.get("phases")
    if (isinstance(stated, list) and isinstance(phases, list) and phases
            and isinstance(phases[-1], dict)
            and any(isinstance(a, dict) and "phase" in a for a in stated)):
        last = str(phases[-1].get("id"))
        return [a for a in stated if isinstance(a, dict) and str(a.get("phase")) == last]
    return stated


def _covered(inst: Instance, solution: SolutionLike, doc: dict[str, Any],
             pairs: NDArray[np.int64]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Coverage before and after: the solve's own verification, else the verifier from scratch."""
    verified = solution.verified if isinstance(solution, Solution) else None
    shape = (inst.n_communities, inst.n_categories)
    if (verified is not None and verified.covered_before.shape == shape
            and verified.covered_after.shape == shape):
        before, after = verified.covered_before, verified.covered_after
    else:
        before = verify(inst, np.empty((0, 2), dtype=np.int64)).covered
        stated = _final_assignments(doc) if inst.capacitated.any() else None  # who is served where
        after = (verify(inst, pairs, stated).covered if len(pairs) or stated is not None
                 else before.copy())
    _check_missing(inst, doc, after)
    return before, after


def outcome_from(instance: InstanceLike, solution: SolutionLike) -> Outcome:
    """Pair an instance with its solution and derive the per-community and per-facility tables.

    Parameters
    ----------
    instance
        An :class:`Instance` (used as it is), a decoded instance document or a path to one.
    solution
        A :class:`Solution` (its :attr:`~Solution.verified` coverage is reused), a decoded
        ``sitecircle.solution/1`` document or a path to one (checked by the verifier).

    Returns
    -------
    Outcome
        Coverage before and after, and what each new facility adds.

    Raises
    ------
    InstanceError
        The instance or solution is invalid, or the solution does not belong to the instance.
    """
    inst = _load_instance(instance)
    doc = load_solution(solution)
    pairs = _open_pairs(inst, doc)
    before, after = _covered(inst, solution, doc, pairs)
    n, n_cat, p = inst.n_communities, inst.n_categories, len(pairs)
    new_comm = np.zeros(p, dtype=np.int64)
    new_pop = np.zeros(p)
    new_dem = np.zeros(p)
    served_site = np.full((n, n_cat), -1, dtype=np.int64)
    served_min = np.full((n, n_cat), np.nan)
    if p:
        cov = open_reach(inst, pairs)
        comm, site = cov.community.astype(np.int64), cov.site.astype(np.int64)
        cat, minutes = cov.category.astype(np.int64), cov.minutes
        key = site * n_cat + cat
        open_key = pairs[:, 0] * n_cat + pairs[:, 1]
        fresh = ~before[comm, cat]
        population, demand = inst.population, inst.demand
        for f, kf in enumerate(open_key):
            hit = (key == kf) & fresh
            new_comm[f] = int(hit.sum())
            new_pop[f] = float(population[comm[hit]].sum())
            new_dem[f] = float(demand[comm[hit], pairs[f, 1]].sum())
        order = np.lexsort((minutes, cat, comm))  # nearest first within each pair
        _, first = np.unique(comm[order] * n_cat + cat[order], return_index=True)
        best = order[first]
        served_site[comm[best], cat[best]] = site[best]
        served_min[comm[best], cat[best]] = minutes[best]
    return Outcome(instance=inst, solution=doc, open_pairs=pairs, covered_before=before,
                   covered_after=after, new_communities=new_comm, new_population=new_pop,
                   new_demand=new_dem, served_site=served_site, served_minutes=served_min)
