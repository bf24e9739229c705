"""The optional ``areas`` field: boundaries of community groups (e.g. street polygons).

``"areas": {"by": "street", "features": [{"group": "江南街道", "geometry": {GeoJSON}}]}`` stores
one polygon (GeoJSON ``Polygon`` or ``MultiPolygon``, in the instance CRS) per group of the
community label ``by``. ``sitecircle build-geo --areas`` writes it; the outputs draw it (the
GeoPackage ``groups`` layer). The solver never reads it. This module checks its structure with
plain Python (no geometry library), collecting every problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sitecircle.instance.checks import Collector

__all__ = ["AREA_KEYS", "AREA_TYPES", "Areas", "check_areas"]

AREA_KEYS = {"by", "features"}
FEATURE_KEYS = {"group", "geometry"}
AREA_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Areas:
    """Group boundaries, one per group.

    Parameters
    ----------
    by
        The community label the groups belong to (e.g. ``street``).
    groups
        Group names, unique, in file order.
    geometries
        GeoJSON ``Polygon``/``MultiPolygon`` objects in the instance CRS, one per group.
    """

    by: str
    groups: tuple[str, ...]
    geometries: tuple[dict[str, Any], ...]


def _position_ok(p: Any) -> bool:
    return (isinstance(p, list) and len(p) in (2, 3)
            and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in p))


def _polygon_problem(rings: Any) -> str | None:
    """What is wrong with the coordinates of one GeoJSON polygon, or None."""
    if not isinstance(rings, list) or not rings:
        return "a polygon must be a non-empty list of rings"
    for r, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            return f"ring {r} must be a list of at least 4 positions (closed: first = last)"
        if not all(_position_ok(p) for p in ring):
            return f"ring {r} has a position that is not [x, y] with finite numbers"
        if ring[0][:2] != ring[-1][:2]:
            return f"ring {r} is not closed: its first and last positions differ"
    return None


def _geometry_problem(geom: Any) -> str | None:
    if not isinstance(geom, dict):
        return f"must be a GeoJSON Polygon or MultiPolygon object, got {type(geom).__name__}"
    kind = geom.get("type")
    if kind not in AREA_TYPES:
        return f"type must be one of {', '.join(AREA_TYPES)}, got {kind!r}"
    coords = geom.get("coordinates")
    if kind == "Polygon":
        return _polygon_problem(coords)
    if not isinstance(coords, list) or not coords:
        return "a MultiPolygon's coordinates must be a non-empty list of polygons"
    for n, polygon in enumerate(coords):
        problem = _polygon_problem(polygon)
        if problem is not None:
            return f"polygon {n}: {problem}"
    return None


def check_areas(col: Collector, spec: Any,
                labels: dict[str, tuple[str | None, ...]]) -> Areas | None:
    """Check the ``areas`` field; collect its problems.

    Parameters
    ----------
    col
        The problem collector.
    spec
        The ``areas`` value (None when absent).
    labels
        The community labels, to warn when ``by`` matches none of them.

    Returns
    -------
    Areas or None
        None when absent or invalid (the problems are in ``col``).
    """
    if spec is None:
        return None
    if not isinstance(spec, dict):
        col.add("areas", 'must be an object {"by": LABEL, "features": [{"group", "geometry"}]}, '
                f"got {type(spec).__name__}")
        return None
    col.unknown_keys(spec, AREA_KEYS, "areas", error=True)
    by = spec.get("by")
    ok = True
    if not isinstance(by, str) or not by.strip():
        col.add("areas.by", f"must name a community label such as \"street\", got {by!r}")
        ok = False
    features = spec.get("features")
    if not isinstance(features, list) or not features:
        col.add("areas.features", "must be a non-empty list of {\"group\", \"geometry\"} "
                f"objects, got {features!r:.60}")
        return None
    groups: list[str] = []
    geometries: list[dict[str, Any]] = []
    for n, feature in enumerate(features):
        where = f"areas.features[{n}]"
        if not isinstance(feature, dict):
            col.add(where, f"must be an object with group and geometry, got {feature!r:.60}")
            ok = False
            continue
        col.unknown_keys(feature, FEATURE_KEYS, where, error=True)
        group = feature.get("group")
        if not isinstance(group, str) or not group.strip():
            col.add(f"{where}.group", f"must be a non-empty string (the group name), got "
                    f"{group!r}")
            ok = False
            continue
        if group in groups:
            col.add(f"{where}.group", "duplicate group: give each group one feature (merge "
                    "its polygons into a MultiPolygon)", group)
            ok = False
        problem = _geometry_problem(feature.get("geometry"))
        if problem is not None:
            col.add(f"{where}.geometry", problem, group)
            ok = False
        groups.append(group)
        geometries.append(feature.get("geometry") or {})
    if not ok or not isinstance(by, str):
        return None
    if by not in labels:
        col.warn(f"areas.by {by!r}: no community has this label, so the boundaries match no "
                 "group; they are kept but not drawn")
    return Areas(by=by, groups=tuple(groups), geometries=tuple(geometries))
