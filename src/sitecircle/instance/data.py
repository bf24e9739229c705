"""The validated instance: plain, immutable data with NumPy arrays of fixed dtypes.

An :class:`Instance` is what every later stage (travel times, coverage, model, verifier) reads.
It is built from a ``sitecircle.instance/1`` mapping by :func:`Instance.from_dict`, which runs
every check of :mod:`sitecircle.instance.checks` and raises one
:class:`~sitecircle.errors.InstanceError`
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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.areas import Areas
from sitecircle.instance.fields import Category, Objective, Travel
from sitecircle.instance.validate import validated_fields


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
    community_labels
        Every string-valued community field (``name``, ``street``, ``district``, ...) by field
        name: one label per community, None where a community has none. Labels never count as
        demand (FORMAT.md, "Labels, names and money").
    site_names, existing_names
        The ``name`` of every site and existing facility (None where absent); empty when no
        record has one.
    currency
        The unit of every cost (``"万元"``, ``"CNY"``), shown beside costs; None when not given.
    site_fixed, site_excluded
        Approved categories that must open at each site ``(m, K)`` bool, and sites excluded from
        this run ``(m,)`` bool (FORMAT.md, "Approved and excluded sites"); None when no site
        states them.
    site_capacity, existing_capacity
        Capacity of every site ``(m, K)`` and existing facility ``(e, K)`` per category
        (FORMAT.md "Capacities"): ``inf`` where unlimited; None means unlimited everywhere.
    areas
        Boundaries of the groups of one community label (the optional ``areas`` field,
        :mod:`sitecircle.instance.areas`); None when absent. Drawn by the outputs only.
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
    community_labels: dict[str, tuple[str | None, ...]] = field(default_factory=dict)
    site_names: tuple[str | None, ...] = ()
    existing_names: tuple[str | None, ...] = ()
    currency: str | None = None
    site_fixed: NDArray[np.bool_] | None = None
    site_excluded: NDArray[np.bool_] | None = None
    areas: Areas | None = None

    @property
    def fixed(self) -> NDArray[np.bool_]:
        """Approved (site, category) pairs that must open, shape ``(m, K)``."""
        if self.site_fixed is None:
            return np.zeros((self.n_sites, self.n_categories), dtype=bool)
        return self.site_fixed

    @property
    def excluded(self) -> NDArray[np.bool_]:
        """Sites that open nothing in this run, shape ``(m,)``."""
        if self.site_excluded is None:
            return np.zeros(self.n_sites, dtype=bool)
        return self.site_excluded

    @property
    def candidate_hosts(self) -> NDArray[np.bool_]:
        """``site_hosts`` without the excluded sites: what may open in this run, ``(m, K)``."""
        if self.site_excluded is None:
            return self.site_hosts
        return self.site_hosts & ~self.site_excluded[:, None]

    @property
    def reach_threshold_min(self) -> NDArray[np.float64]:
        """Every category's threshold in minutes at the travel speed, shape ``(K,)``.

        A category with its own walking speed :math:`s_k` (straight and network mode) covers
        when metres / s_k <= T_k, i.e. when the minutes at the travel speed
        S are <= T_k s_k / S. Matrix mode ignores per-category speeds.
        """
        thr = self.threshold_min
        if self.travel.mode == "matrix":
            return thr
        speed = np.array([c.speed_m_per_min or self.travel.speed_m_per_min
                          for c in self.categories], dtype=np.float64)
        return thr * speed / self.travel.speed_m_per_min
    site_capacity: NDArray[np.float64] | None = None
    existing_capacity: NDArray[np.float64] | None = None

    @property
    def capacitated(self) -> NDArray[np.bool_]:
        """Capacitated categories ``(K,)``: a capacity or min_load is set for the category, or a
        site or existing facility states a capacity for it."""
        out = np.array([c.capacity is not None or c.min_load is not None
                        for c in self.categories], dtype=bool).reshape(-1)
        for caps in (self.site_capacity, self.existing_capacity):
            if caps is not None and caps.size:
                out |= np.isfinite(caps).any(axis=0)
        return out

    @property
    def site_capacities(self) -> NDArray[np.float64]:
        """Capacity of a new facility at every site ``(m, K)``; ``inf`` where unlimited."""
        if self.site_capacity is None:
            return np.full((self.n_sites, self.n_categories), np.inf)
        return self.site_capacity

    @property
    def existing_capacities(self) -> NDArray[np.float64]:
        """Capacity of every existing facility ``(e, K)``; ``inf`` where unlimited."""
        if self.existing_capacity is None:
            return np.full((self.n_existing, self.n_categories), np.inf)
        return self.existing_capacity

    @property
    def min_load(self) -> NDArray[np.float64]:
        """Minimum load of a new facility of every category ``(K,)`` (0 when not given)."""
        return np.array([c.min_load or 0.0 for c in self.categories], dtype=np.float64)

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

    @property
    def community_names(self) -> tuple[str | None, ...]:
        """The ``name`` label of every community (None where absent)."""
        return self.community_labels.get("name", (None,) * self.n_communities)

    @property
    def facility_names(self) -> tuple[str | None, ...]:
        """Names of sites then existing facilities (None where absent)."""
        sites = self.site_names or (None,) * self.n_sites
        existing = self.existing_names or (None,) * self.n_existing
        return tuple(sites) + tuple(existing)

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
        return cls(**validated_fields(data, base_dir=base_dir, default_name=name))
