"""The parts of an instance: categories, travel, objective, and the format's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FORMAT_ID = "sitecircle.instance/1"


DEFAULT_THRESHOLD_MIN = 15.0


DEFAULT_SPEED_M_PER_MIN = 66.7


DEFAULT_DETOUR = 1.25


#: Network mode: points farther than this from the network are reported (metres).
DEFAULT_MAX_JOIN_M = 300.0


#: A community is covered when ``minutes <= threshold_min + TIME_TOLERANCE_MIN``: the tolerance
#: absorbs float round-off only (times read with two decimals never flip at the boundary).
TIME_TOLERANCE_MIN = 1e-6


ObjectiveType = Literal["max_coverage", "max_complete", "min_cost", "max_min_share"]


OBJECTIVE_TYPES: tuple[str, ...] = ("max_coverage", "max_complete", "min_cost", "max_min_share")

#: Objectives maximised; without ``then`` they are followed by a ``min_cost`` stage (FORMAT.md,
#: "Priorities").
MAX_OBJECTIVES: tuple[str, ...] = ("max_coverage", "max_complete", "max_min_share")

#: ``measure`` of an equity rule or ``max_min_share``: the complete basket (else a category id).
COMPLETE = "complete"


@dataclass(frozen=True)
class Category:
    """One service category.

    Parameters
    ----------
    id
        Unique id, e.g. ``convenience_store``.
    label
        Human label (defaults to the id).
    threshold_min
        Covered when reachable in ``<=`` this many minutes.
    demand
        Community field that weighs this category.
    weight
        Objective weight in ``max_coverage``.
    required
        Part of the complete basket.
    speed_m_per_min
        Walking speed for this category's reach in ``straight`` and ``network`` mode (None: the
        travel speed); matrix mode ignores it.
    capacity
        Demand one new facility of this category can serve (FORMAT.md "Capacities"); None:
        uncapacitated unless a site or existing facility states one.
    min_load
        Demand a new facility of this category must serve at least; None when not given.
    """

    id: str
    label: str
    threshold_min: float = DEFAULT_THRESHOLD_MIN
    demand: str = "population"
    weight: float = 1.0
    required: bool = True
    speed_m_per_min: float | None = None
    capacity: float | None = None
    min_load: float | None = None


@dataclass(frozen=True)
class Travel:
    """How travel times are obtained.

    Parameters
    ----------
    mode
        ``straight``, ``matrix`` or ``network``.
    speed_m_per_min
        Walking speed (straight and network modes).
    detour
        Detour factor applied to straight-line distance (straight mode).
    matrix_from, matrix_to, matrix_minutes
        Matrix mode: community index, facility index and minutes of every listed pair.
    file
        Resolved path of the matrix CSV or network file, when one was given.
    max_join_m
        Network mode: a point farther than this from its nearest network node is reported by
        :func:`sitecircle.travel.join_report.network_report` (swapped lat/lon, shifted coordinates).
    """

    mode: Literal["straight", "matrix", "network"] = "straight"
    speed_m_per_min: float = DEFAULT_SPEED_M_PER_MIN
    detour: float = DEFAULT_DETOUR
    matrix_from: NDArray[np.int64] | None = None
    matrix_to: NDArray[np.int64] | None = None
    matrix_minutes: NDArray[np.float64] | None = None
    file: Path | None = None
    max_join_m: float = DEFAULT_MAX_JOIN_M


@dataclass(frozen=True)
class EquityRule:
    """One equity rule (FORMAT.md, "Groups and equity"): every group's share >= ``min_share``.

    Parameters
    ----------
    by
        The community label that groups communities (``street``), or None: one city-wide group.
    measure
        ``"complete"`` (population share of complete communities) or a category id (covered
        share of that category's demand).
    min_share
        Smallest allowed share, in [0, 1] (0 for a ``max_min_share`` objective's grouping).
    """

    by: str | None
    measure: str = COMPLETE
    min_share: float = 0.0


@dataclass(frozen=True)
class Stage:
    """One objective of a lexicographic list (FORMAT.md, "Priorities").

    Parameters
    ----------
    type
        ``max_coverage``, ``max_complete``, ``min_cost`` or ``max_min_share``.
    target_share, target_measure
        ``min_cost``: the target (None: no target in a later stage) and what it measures
        (``"category"``: every required category's covered share; ``"complete"``).
    by, measure
        ``max_min_share``: the grouping label (None: one group) and the measure.
    """

    type: str
    target_share: float | None = None
    target_measure: str = "category"
    by: str | None = None
    measure: str = COMPLETE


@dataclass(frozen=True)
class Phase:
    """One phase of a plan over several years (FORMAT.md, "Phases").

    Parameters
    ----------
    id
        The phase's name (``"2026"``).
    budget, max_new
        Limits on what opens in this phase (None: no limit).
    weight
        Weight of this phase's value in a maximised objective (default 1).
    target_share
        ``min_cost`` only: the target that must hold at the end of this phase (None: none).
    budget_to_date
        Limit on the total spent by the end of this phase (sitecircle's extension: nested plans
        over growing budgets); None: no limit.
    """

    id: str
    budget: float | None = None
    max_new: int | None = None
    weight: float = 1.0
    target_share: float | None = None
    budget_to_date: float | None = None


@dataclass(frozen=True)
class Objective:
    """What to optimise, and the limits on what may be opened.

    Parameters
    ----------
    type
        ``max_coverage``, ``max_complete``, ``min_cost`` or ``max_min_share``.
    budget
        Total cost limit (open costs included), or None.
    max_new_total
        Limit on the number of new facilities in total, or None.
    max_new_per_category
        Per-category limit (``-1`` = no limit), or None when no per-category limit was given.
    target_share
        ``min_cost`` only: share of each required category's demand to cover.
    target_measure
        ``min_cost`` only: ``"category"`` (the default: every required category's share) or
        ``"complete"`` (the population share of complete communities).
    by, measure
        ``max_min_share`` only: the grouping label and the measure.
    equity
        Equity rules that hold in every stage.
    then
        Further objectives, optimised in order (FORMAT.md, "Priorities"); None when absent.
    tolerance
        Relative loss each earlier stage may give up to the later ones (default 0).
    phases
        The phases of a plan over several years, in order (FORMAT.md, "Phases"); None when
        absent. For ``min_cost`` the last phase's ``target_share`` is already resolved (its own,
        else the top-level one).
    """

    type: str = "max_coverage"
    budget: float | None = None
    max_new_total: int | None = None
    max_new_per_category: NDArray[np.int64] | None = None
    target_share: float = 1.0
    target_measure: str = "category"
    by: str | None = None
    measure: str = COMPLETE
    equity: tuple[EquityRule, ...] = ()
    then: tuple[Stage, ...] | None = None
    tolerance: float = 0.0
    phases: tuple[Phase, ...] | None = None

    @property
    def first_stage(self) -> Stage:
        """The top-level objective as a :class:`Stage`."""
        return Stage(self.type, self.target_share if self.type == "min_cost" else None,
                     self.target_measure, self.by, self.measure)

    @property
    def stages(self) -> tuple[Stage, ...]:
        """Every stage in order: the top-level objective, then ``then`` or the default ``min_cost``
        after a maximised objective (FORMAT.md, "Priorities")."""
        if self.then is not None:
            return (self.first_stage, *self.then)
        if self.type in MAX_OBJECTIVES:
            return (self.first_stage, Stage("min_cost"))
        return (self.first_stage,)

    @property
    def sense(self) -> Literal["max", "min"]:
        """``"min"`` for ``min_cost``, ``"max"`` otherwise."""
        return "min" if self.type == "min_cost" else "max"

