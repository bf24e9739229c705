"""What a solution changes, per community and per new facility: the tables planners read.

:func:`outcome_from` pairs an instance with a ``sitecircle.solution/1`` result (a
:class:`~sitecircle.solution.Solution`, its decoded JSON, or a path to it), recomputes coverage
before and after the new facilities with the independent verifier, checks that the recomputation
agrees with the solution's own ``communities[].missing`` lists (so a solution is never drawn on
the wrong instance), and works out what each new facility adds. Both the geodata writer
(:mod:`sitecircle.instance.from_layers`) and the HTML report (:mod:`sitecircle.outputs.html`) read
from it.
"""

from __future__ import annotations

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
from sitecircle.travel.coverage import coverage_from_instance
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
    community_names
        ``name`` of every community in the instance file, or None where it has none.
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
    community_names: tuple[str | None, ...]
    open_pairs: NDArray[np.int64]
    covered_before: NDArray[np.bool_]
    covered_after: NDArray[np.bool_]
    new_communities: NDArray[np.int64]
    new_population: NDArray[np.float64]
    new_demand: NDArray[np.float64]
    served_site: NDArray[np.int64]
    served_minutes: NDArray[np.float64]

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


def _load_instance(instance: InstanceLike) -> tuple[Instance, dict[str, Any] | None]:
    if isinstance(instance, Instance):
        raw = None
        if instance.source is not None and Path(instance.source).is_file():
            raw = load_json(instance.source)
        return instance, raw if isinstance(raw, dict) else None
    if isinstance(instance, str | Path):
        inst = read_instance(instance)
        raw = load_json(instance)
        return inst, raw if isinstance(raw, dict) else None
    data = dict(instance)
    return Instance.from_dict(data), data


def _names(inst: Instance, raw: dict[str, Any] | None) -> tuple[str | None, ...]:
    records = raw.get("communities") if raw else None
    if not isinstance(records, list) or len(records) != inst.n_communities:
        return (None,) * inst.n_communities
    out: list[str | None] = []
    for rec in records:
        name = rec.get("name") if isinstance(rec, dict) else None
        out.append(str(name) if name not in (None, "") else None)
    return tuple(out)


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


def outcome_from(instance: InstanceLike, solution: SolutionLike) -> Outcome:
    """Pair an instance with its solution and derive the per-community and per-facility tables.

    Parameters
    ----------
    instance
        An :class:`Instance`, a decoded instance document or a path to one. Community ``name``
        fields are read from the document (or from :attr:`Instance.source`).
    solution
        A :class:`Solution`, a decoded ``sitecircle.solution/1`` document or a path to one.

    Returns
    -------
    Outcome
        Coverage before and after, and what each new facility adds.

    Raises
    ------
    InstanceError
        The instance or solution is invalid, or the solution does not belong to the instance.
    """
    inst, raw = _load_instance(instance)
    doc = load_solution(solution)
    pairs = _open_pairs(inst, doc)
    before = verify(inst, np.empty((0, 2), dtype=np.int64)).covered
    stated = doc.get("assignments") if inst.capacitated.any() else None  # who is served where
    after = verify(inst, pairs, stated).covered if len(pairs) or stated is not None \
        else before.copy()
    _check_missing(inst, doc, after)
    n, n_cat, p = inst.n_communities, inst.n_categories, len(pairs)
    new_comm = np.zeros(p, dtype=np.int64)
    new_pop = np.zeros(p)
    new_dem = np.zeros(p)
    served_site = np.full((n, n_cat), -1, dtype=np.int64)
    served_min = np.full((n, n_cat), np.nan)
    if p:
        cov = coverage_from_instance(inst)
        key = cov.site.astype(np.int64) * n_cat + cov.category
        open_key = pairs[:, 0] * n_cat + pairs[:, 1]
        sel = np.isin(key, open_key)
        comm, site = cov.community[sel].astype(np.int64), cov.site[sel].astype(np.int64)
        cat, minutes, key = cov.category[sel].astype(np.int64), cov.minutes[sel], key[sel]
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
    return Outcome(instance=inst, solution=doc, community_names=_names(inst, raw),
                   open_pairs=pairs, covered_before=before, covered_after=after,
                   new_communities=new_comm, new_population=new_pop, new_demand=new_dem,
                   served_site=served_site, served_minutes=served_min)
