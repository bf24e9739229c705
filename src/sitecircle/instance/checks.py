"""Validation of ``sitecircle.instance/1`` documents at the boundary.

Every check here collects its problems instead of stopping at the first;
:func:`~sitecircle.instance.validate.validated_fields`
raises a single :class:`~sitecircle.errors.InstanceError` listing all of them, each with the field
path, the record id where there is one, what is wrong and what to do about it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from sitecircle.errors import InstanceError, Problem
from sitecircle.instance.fields import DEFAULT_THRESHOLD_MIN, Category

#: At most this many problems of one kind are listed one by one; the rest are counted.
MAX_PROBLEMS_PER_RULE = 10

TOP_KEYS = {
    "format", "name", "crs", "categories", "communities", "sites", "existing", "travel",
    "objective", "description", "expected", "meta", "currency", "areas",
}
CATEGORY_KEYS = {"id", "label", "threshold_min", "demand", "weight", "required", "catalog",
                 "speed_m_per_min", "capacity", "min_load"}
SITE_KEYS = {"id", "x", "y", "categories", "cost", "open_cost", "max_categories", "name", "label",
              "kind", "address", "fixed", "excluded", "capacity"}
EXISTING_KEYS = {"id", "x", "y", "categories", "name", "label", "kind", "address", "capacity"}
TRAVEL_KEYS = {
    "straight": {"mode", "speed_m_per_min", "detour"},
    "matrix": {"mode", "times", "file"},
    "network": {"mode", "file", "speed_m_per_min", "max_join_m"},
}
OBJECTIVE_KEYS = {"type", "budget", "max_new", "target_share", "target_measure", "by", "measure",
                  "equity", "then", "tolerance", "phases"}


_INDEX = re.compile(r"\[\d+\]")
_LINE_NUMBER = re.compile(r"\bline \d+")
#: Quoted strings and numbers in a message: the values that differ between records of one rule.
_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\b(?:nan|inf)\b")


class Collector:
    """Gather problems; group repeats of one rule so a broken column gives a short report."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def add(self, field: str, message: str, record: str | None = None) -> None:
        self.problems.append(Problem(field, message, record))

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def unknown_keys(
        self, obj: dict[str, Any], allowed: Iterable[str], where: str, *, error: bool,
        record: str | None = None,
    ) -> None:
        allowed = set(allowed)
        for key in obj:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"unknown field {key!r}{hint} (known: {', '.join(sorted(allowed))})"
            if error:
                self.add(f"{where}.{key}", msg, record)
            else:
                rec = f" (id {record!r})" if record is not None else ""
                self.warn(f"{where}.{key}{rec}: {msg}; ignored")

    def error(self) -> InstanceError:
        """One error listing every problem, runs of one rule summarised, the count exact."""
        return InstanceError(self.grouped(), total=len(self.problems))

    def grouped(self) -> list[Problem]:
        """Problems with runs of one rule beyond :data:`MAX_PROBLEMS_PER_RULE` summarised."""
        groups: dict[tuple[str, str], list[Problem]] = defaultdict(list)
        for p in self.problems:
            # One rule = one field template and one message up to the offending values, so a
            # column broken with different values per record is still summarised.
            template = _LINE_NUMBER.sub("line *", _INDEX.sub("[*]", p.field))
            groups[(template, _VALUE.sub("…", p.message))].append(p)
        out: list[Problem] = []
        for (template, _rule), items in groups.items():
            out.extend(items[:MAX_PROBLEMS_PER_RULE])
            extra = len(items) - MAX_PROBLEMS_PER_RULE
            if extra > 0:
                out.append(Problem(template, f"{items[0].message} — and {extra} more records "
                                   "like this"))
        return out


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def parse_number(
    col: Collector, v: Any, field: str, record: str | None = None, *, minimum: float | None = None,
    strictly_positive: bool = False, maximum: float | None = None,
) -> float | None:
    """Check ``v`` is a finite number within bounds; return it as float or None."""
    if not is_number(v):
        if isinstance(v, str):
            got = f"string {v!r}"
        else:
            got = type(v).__name__ if v is not None else "null"
        col.add(field, f"must be a number, got {got}", record)
        return None
    try:
        x = float(v)
    except OverflowError:
        col.add(field, "must be a finite number, got an integer too large for a float", record)
        return None
    if not math.isfinite(x):
        col.add(field, f"must be a finite number, got {v!r}", record)
        return None
    if strictly_positive and x <= 0:
        col.add(field, f"must be > 0, got {v!r}", record)
        return None
    if minimum is not None and x < minimum:
        col.add(field, f"must be >= {minimum:g}, got {v!r}", record)
        return None
    if maximum is not None and x > maximum:
        col.add(field, f"must be <= {maximum:g}, got {v!r}", record)
        return None
    return x


def integer(col: Collector, v: Any, field: str, record: str | None = None) -> int | None:
    """Check ``v`` is a non-negative whole number."""
    x = parse_number(col, v, field, record, minimum=0)
    if x is None:
        return None
    if x != int(x):
        col.add(field, f"must be a whole number, got {v!r}", record)
        return None
    return int(x)


def record_id(col: Collector, rec: dict[str, Any], field: str) -> str | None:
    rid = rec.get("id")
    if isinstance(rid, str) and rid.strip():
        return rid
    if isinstance(rid, int) and not isinstance(rid, bool):
        return str(rid)
    if rid is None:
        col.add(f"{field}.id", "missing: every record needs a unique string id")
    else:
        col.add(f"{field}.id", f"must be a non-empty string, got {rid!r}")
    return None


def record_list(col: Collector, data: dict[str, Any], key: str, *, required: bool) -> list[Any]:
    value = data.get(key)
    if value is None:
        if required:
            col.add(key, "missing: at least one record is required")
        return []
    if not isinstance(value, list):
        col.add(key, f"must be a list of objects, got {type(value).__name__}")
        return []
    if required and not value:
        col.add(key, "must not be empty: at least one record is required")
    return value


def check_crs(col: Collector, crs: Any) -> tuple[str, bool]:
    """Return ``(crs, geographic)``; geographic CRSs use great-circle distances."""
    if crs is None:
        return "EPSG:4326", True
    if not isinstance(crs, str) or not crs.strip():
        col.add("crs", f"must be a CRS string such as 'EPSG:4326', got {crs!r}")
        return "EPSG:4326", True
    if crs.strip().upper() in {"EPSG:4326", "WGS84", "OGC:CRS84"}:
        return crs, True
    try:
        from pyproj import CRS  # noqa: PLC0415
        from pyproj.exceptions import CRSError  # noqa: PLC0415
    except ImportError:  # pragma: no cover - pyproj is a dependency
        col.add("crs", f"cannot check {crs!r} without pyproj; use 'EPSG:4326'")
        return crs, True
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        col.add("crs", f"unknown coordinate reference system {crs!r}; use e.g. 'EPSG:4326'")
        return crs, True
    if parsed.is_geographic:
        return crs, True
    units = {ax.unit_name for ax in parsed.axis_info}
    if not units <= {"metre", "meter"}:
        col.add("crs", f"{crs!r} is projected in {sorted(units)}; sitecircle needs metres")
    return crs, False


def check_xy(
    col: Collector, rec: dict[str, Any], field: str, rid: str | None, geographic: bool
) -> tuple[float, float]:
    x = parse_number(col, rec.get("x"), f"{field}.x", rid)
    y = parse_number(col, rec.get("y"), f"{field}.y", rid)
    if geographic:
        if y is not None and not -90 <= y <= 90:
            col.add(f"{field}.y", f"latitude {y} is outside [-90, 90]; are x and y swapped?", rid)
            y = None
        if x is not None and not -180 <= x <= 180:
            col.add(f"{field}.x", f"longitude {x} is outside [-180, 180]", rid)
            x = None
    return (np.nan if x is None else x, np.nan if y is None else y)


def category_list(
    col: Collector, value: Any, field: str, rid: str | None, index: dict[str, int]
) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        col.add(field, f"must be a list of category ids, got {value!r}", rid)
        return []
    out: list[int] = []
    for c in value:
        if c not in index:
            close = difflib.get_close_matches(c, list(index), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            col.add(field, f"unknown category {c!r}{hint} (known: {', '.join(index)})", rid)
        elif index[c] in out:
            col.add(field, f"category {c!r} listed twice", rid)
        else:
            out.append(index[c])
    return out


def categories(col: Collector, data: dict[str, Any]) -> list[Category]:
    cats: list[Category] = []
    seen: set[str] = set()
    for n, rec in enumerate(record_list(col, data, "categories", required=True)):
        field = f"categories[{n}]"
        if isinstance(rec, str):
            col.add(field, f"{rec!r} is not a catalogue id; `sitecircle catalog` lists them, or "
                    "give the category as an object")
            continue
        if not isinstance(rec, dict):
            col.add(field, f"must be an object, got {type(rec).__name__}")
            continue
        if rec.get("catalog") not in (None, True, False):
            col.add(f"{field}.catalog", f"must be true or false, got {rec['catalog']!r}")
        elif rec.get("catalog") is True:
            col.add(f"{field}.catalog", f"{rec.get('id')!r} is not a catalogue id; "
                    "`sitecircle catalog` lists them")
        rid = record_id(col, rec, field)
        col.unknown_keys(rec, CATEGORY_KEYS, field, error=False, record=rid)
        duplicate = rid is not None and rid in seen
        if duplicate:
            col.add(f"{field}.id", "duplicate category id; ids must be unique", rid)
        label = rec.get("label", rid or "")
        if not isinstance(label, str):
            col.add(f"{field}.label", f"must be a string, got {label!r}", rid)
            label = rid or ""
        thr = parse_number(col, rec.get("threshold_min", DEFAULT_THRESHOLD_MIN),
                      f"{field}.threshold_min", rid, minimum=0)
        demand = rec.get("demand", "population")
        if not isinstance(demand, str) or not demand:
            col.add(f"{field}.demand", f"must name a community field, got {demand!r}", rid)
            demand = "population"
        weight = parse_number(col, rec.get("weight", 1), f"{field}.weight", rid, minimum=0)
        required = rec.get("required", True)
        if not isinstance(required, bool):
            col.add(f"{field}.required", f"must be true or false, got {required!r}", rid)
            required = True
        speed = None
        if rec.get("speed_m_per_min") is not None:
            speed = parse_number(col, rec["speed_m_per_min"], f"{field}.speed_m_per_min", rid,
                                 strictly_positive=True)
        if rid is None or duplicate:
            continue
        seen.add(rid)
        cats.append(Category(rid, label, DEFAULT_THRESHOLD_MIN if thr is None else thr,
                             demand, 1.0 if weight is None else weight, required, speed))
    return cats


