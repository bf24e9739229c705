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


ObjectiveType = Literal["max_coverage", "max_complete", "min_cost"]


OBJECTIVE_TYPES: tuple[str, ...] = ("max_coverage", "max_complete", "min_cost")


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
class Objective:
    """What to optimise, and the limits on what may be opened.

    Parameters
    ----------
    type
        ``max_coverage``, ``max_complete`` or ``min_cost``.
    budget
        Total cost limit (open costs included), or None.
    max_new_total
        Limit on the number of new facilities in total, or None.
    max_new_per_category
        Per-category limit (``-1`` = no limit), or None when no per-category limit was given.
    target_share
        ``min_cost`` only: share of each required category's demand to cover.
    """

    type: str = "max_coverage"
    budget: float | None = None
    max_new_total: int | None = None
    max_new_per_category: NDArray[np.int64] | None = None
    target_share: float = 1.0

    @property
    def sense(self) -> Literal["max", "min"]:
        """``"min"`` for ``min_cost``, ``"max"`` otherwise."""
        return "min" if self.type == "min_cost" else "max"

