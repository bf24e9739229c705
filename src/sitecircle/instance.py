"""The validated instance: plain, immutable data with NumPy arrays of fixed dtypes.

An :class:`Instance` is what every later stage (travel times, coverage, model, verifier) reads.
It is built from a ``sitecircle.instance/1`` mapping by :func:`Instance.from_dict`, which runs
every check of :mod:`sitecircle._validate` and raises one :class:`~sitecircle.errors.InstanceError`
listing all problems.

Index conventions used across the package:

* communities ``i = 0 .. n_communities - 1`` in file order;
* categories ``k = 0 .. n_categories - 1`` in file order;
* facilities ``f = 0 .. n_sites + n_existing - 1``: candidate sites first, then existing
  facilities (so existing facility ``e`` has facility index ``n_sites + e``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    """

    id: str
    label: str
    threshold_min: float = DEFAULT_THRESHOLD_MIN
    demand: str = "population"
    weight: float = 1.0
    required: bool = True


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
        :func:`sitecircle.network.network_report` (swapped lat/lon, shifted coordinates).
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


@dataclass(frozen=True, eq=False)
class Instance:
    """A validated ``sitecircle.instance/1`` instance.

    Build one with :meth:`from_dict` or :func:`sitecircle.read_instance`; the constructor itself
    does not validate.

    Parameters
    ----------
    name
        Instance name.
    crs
        Coordinate reference system of every ``x``, ``y``.
    geographic
        True when ``x`` is longitude and ``y`` latitude in degrees (great-circle distances).
    categories
        Service categories.
    community_ids, community_xy, community_fields
        Community ids, coordinates ``(n, 2)`` and every numeric field by name (``population``
        and each field a category names as its demand).
    site_ids, site_xy, site_hosts, site_cost, site_open_cost, site_max_categories
        Candidate sites: ids, coordinates, which categories each may host ``(m, K)`` bool,
        cost per category ``(m, K)`` (0 where not hosted), fixed open cost ``(m,)``, and the
        most new categories each may host ``(m,)`` (``K`` when unlimited).
    existing_ids, existing_xy, existing_hosts
        Existing facilities: ids, coordinates and categories ``(e, K)`` bool.
    travel
        Travel-time specification.
    objective
        Objective and limits.
    source
        File the instance was read from, if any.
    warnings
        Non-fatal remarks found while reading (unknown fields, ...).
    """

    name: str
    crs: str
    geographic: bool
    categories: tuple[Category, ...]
    community_ids: tuple[str, ...]
    community_xy: NDArray[np.float64]
    community_fields: dict[str, NDArray[np.float64]]
    site_ids: tuple[str, ...]
    site_xy: NDArray[np.float64]
    site_hosts: NDArray[np.bool_]
    site_cost: NDArray[np.float64]
    site_open_cost: NDArray[np.float64]
    site_max_categories: NDArray[np.int64]
    existing_ids: tuple[str, ...]
    existing_xy: NDArray[np.float64]
    existing_hosts: NDArray[np.bool_]
    travel: Travel = field(default_factory=Travel)
    objective: Objective = field(default_factory=Objective)
    source: Path | None = None
    warnings: tuple[str, ...] = ()

    @property
    def n_communities(self) -> int:
        """Number of communities."""
        return len(self.community_ids)

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return len(self.site_ids)

    @property
    def n_existing(self) -> int:
        """Number of existing facilities."""
        return len(self.existing_ids)

    @property
    def n_categories(self) -> int:
        """Number of categories."""
        return len(self.categories)

    @property
    def category_ids(self) -> tuple[str, ...]:
        """Category ids in file order."""
        return tuple(c.id for c in self.categories)

    @property
    def threshold_min(self) -> NDArray[np.float64]:
        """Threshold of every category in minutes, shape ``(K,)``."""
        return np.array([c.threshold_min for c in self.categories], dtype=np.float64)

    @property
    def weight(self) -> NDArray[np.float64]:
        """Objective weight of every category, shape ``(K,)``."""
        return np.array([c.weight for c in self.categories], dtype=np.float64)

    @property
    def required(self) -> NDArray[np.bool_]:
        """Whether each category is part of the complete basket, shape ``(K,)``."""
        return np.array([c.required for c in self.categories], dtype=bool)

    @property
    def population(self) -> NDArray[np.float64]:
        """Population of every community, shape ``(n,)``."""
        return self.community_fields["population"]

    @property
    def demand(self) -> NDArray[np.float64]:
        """Demand of every community in every category's own field, shape ``(n, K)``."""
        n = self.n_communities
        out = np.empty((n, self.n_categories), dtype=np.float64)
        for k, c in enumerate(self.categories):
            out[:, k] = self.community_fields[c.demand]
        return out

    @property
    def facility_xy(self) -> NDArray[np.float64]:
        """Coordinates of sites then existing facilities, shape ``(m + e, 2)``."""
        return np.vstack([self.site_xy.reshape(-1, 2), self.existing_xy.reshape(-1, 2)])

    @property
    def facility_ids(self) -> tuple[str, ...]:
        """Ids of sites then existing facilities."""
        return self.site_ids + self.existing_ids

    @classmethod
    def from_dict(
        cls, data: Any, *, base_dir: str | Path | None = None, name: str | None = None
    ) -> Instance:
        """Validate a ``sitecircle.instance/1`` mapping and build the instance.

        Parameters
        ----------
        data
            The decoded JSON document.
        base_dir
            Folder that relative file paths (matrix CSV, network) are resolved against.
        name
            Name to use when the document has none.

        Returns
        -------
        Instance
            The validated instance.

        Raises
        ------
        InstanceError
            Listing every problem found.
        """
        from sitecircle._validate import instance_from_dict

        return instance_from_dict(data, base_dir=base_dir, default_name=name)
