"""Record-level checks of an instance: communities, sites, existing facilities, travel, objective.

Split from :mod:`sitecircle.instance.checks` to keep modules short; every function takes the shared
problem collector and returns arrays ready for :class:`~sitecircle.instance.data.Instance`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sitecircle.instance.checks import EXISTING_KEYS as EXISTING_KEYS
from sitecircle.instance.checks import OBJECTIVE_KEYS as OBJECTIVE_KEYS
from sitecircle.instance.checks import SITE_KEYS as SITE_KEYS
from sitecircle.instance.checks import TRAVEL_KEYS as TRAVEL_KEYS
from sitecircle.instance.checks import category_list as category_list
from sitecircle.instance.checks import check_xy as check_xy
from sitecircle.instance.checks import integer as integer
from sitecircle.instance.checks import is_number as is_number
from sitecircle.instance.checks import parse_number as parse_number
from sitecircle.instance.checks import record_id as record_id
from sitecircle.instance.checks import record_list as record_list
from sitecircle.instance.fields import (
    DEFAULT_DETOUR,
    DEFAULT_MAX_JOIN_M,
    DEFAULT_SPEED_M_PER_MIN,
    OBJECTIVE_TYPES,
    Category,
    Objective,
    Travel,
)
from sitecircle.instance.phases import check_phases
from sitecircle.instance.planning import check_planning_objective, check_site_plan
from sitecircle.streets.read import check_network_file

if TYPE_CHECKING:
    from sitecircle.instance.checks import Collector as Collector


def _located_records(
    col: Collector, records: list[Any], key: str, geographic: bool, out: dict[str, Any], *,
    allowed: set[str] | None = None, what: str,
) -> Iterator[tuple[int, dict[str, Any], str, str | None]]:
    """Check what every located record shares (object, unique id, x, y); yield the rest.

    Ids (a placeholder ``#n`` for a record without a usable id) go to ``out["ids"]`` and
    coordinates to ``out["xy"]``; records that are not objects are reported and skipped.
    """
    seen: set[str] = set()
    for n, rec in enumerate(records):
        field = f"{key}[{n}]"
        if not isinstance(rec, dict):
            col.add(field, f"must be an object, got {type(rec).__name__}")
            out["ids"].append(f"#{n}")
            continue
        rid = record_id(col, rec, field)
        if allowed is not None:
            col.unknown_keys(rec, allowed, field, error=False, record=rid)
        if rid is not None:
            if rid in seen:
                col.add(f"{field}.id", f"duplicate {what}; ids must be unique", rid)
            seen.add(rid)
        out["ids"].append(rid if rid is not None else f"#{n}")
        out["xy"][n] = check_xy(col, rec, field, rid, geographic)
        yield n, rec, field, rid


def check_communities(
    col: Collector, data: dict[str, Any], cats: list[Category], geographic: bool
) -> dict[str, Any]:
    """Check communities; return ids, coordinates and the numeric demand fields."""
    records = record_list(col, data, "communities", required=True)
    fields = ["population", *sorted({c.demand for c in cats} - {"population"})]
    out: dict[str, Any] = {"ids": [], "xy": np.full((len(records), 2), np.nan),
                           "fields": {f: np.zeros(len(records)) for f in fields}}
    values = out["fields"]
    labels: dict[str, list[str | None]] = {}
    for n, rec, field, rid in _located_records(col, records, "communities", geographic, out,
                                               what="community id"):
        for key, value in rec.items():
            if isinstance(value, str) and key not in ("id", "x", "y") and key not in fields:
                if key not in labels:  # not setdefault: its default would be built every time
                    labels[key] = [None] * len(records)
                labels[key][n] = value
        for f in fields:
            if f not in rec:
                users = [c.id for c in cats if c.demand == f] or ["the complete basket"]
                col.add(f"{field}.{f}", f"missing; needed as demand of {', '.join(users)} "
                        "(a missing field is an error, not zero)", rid)
                continue
            v = parse_number(col, rec[f], f"{field}.{f}", rid, minimum=0)
            if v is not None:
                values[f][n] = v
    out["labels"] = {key: tuple(v) for key, v in labels.items()}
    return out


def record_names(data: dict[str, Any], key: str) -> tuple[str | None, ...]:
    """The string ``name`` of every record of ``data[key]`` (None where absent); () if none has one.

    Called after the records were checked: anything that is not a list of objects gives ().
    """
    records = data.get(key)
    if not isinstance(records, list):
        return ()
    names = tuple(rec.get("name") if isinstance(rec, dict) and isinstance(rec.get("name"), str)
                  else None for rec in records)
    return names if any(n is not None for n in names) else ()


def _site_cost(
    col: Collector, rec: dict[str, Any], field: str, rid: str | None, hosted: list[int],
    cat_ids: list[str], out: np.ndarray,
) -> None:
    cost = rec.get("cost", 1)
    if isinstance(cost, dict):
        for key in cost:
            if key not in cat_ids:
                col.add(f"{field}.cost.{key}", f"unknown category {key!r}", rid)
            elif cat_ids.index(key) not in hosted:
                col.warn(f"{field}.cost.{key} (id {rid!r}): the site does not host {key!r}; "
                         "ignored")
        for k in hosted:
            if cat_ids[k] not in cost:
                col.add(f"{field}.cost", f"no cost for category {cat_ids[k]!r} that the site "
                        "may host; give one or remove it from the site's categories", rid)
                continue
            v = parse_number(col, cost[cat_ids[k]], f"{field}.cost.{cat_ids[k]}", rid, minimum=0)
            if v is not None:
                out[k] = v
    else:
        v = parse_number(col, cost, f"{field}.cost", rid, minimum=0)
        if v is not None:
            out[hosted] = v


def check_sites(
    col: Collector, data: dict[str, Any], cat_index: dict[str, int], geographic: bool
) -> dict[str, Any]:
    """Check candidate sites; return ids, coordinates, hosted categories and costs."""
    records = record_list(col, data, "sites", required=False)
    n_cat = len(cat_index)
    cat_ids = list(cat_index)
    m = len(records)
    out: dict[str, Any] = {
        "ids": [], "xy": np.full((m, 2), np.nan), "hosts": np.zeros((m, n_cat), dtype=bool),
        "cost": np.zeros((m, n_cat)), "open_cost": np.zeros(m),
        "max_categories": np.full(m, n_cat, dtype=np.int64),
        "fixed": np.zeros((m, n_cat), dtype=bool), "excluded": np.zeros(m, dtype=bool),
    }
    for n, rec, field, rid in _located_records(col, records, "sites", geographic, out,
                                               allowed=SITE_KEYS, what="site id"):
        if "categories" in rec:
            hosted = category_list(col, rec["categories"], f"{field}.categories", rid, cat_index)
            if rec["categories"] == []:
                col.warn(f"{field} (id {rid!r}): lists no category, so nothing can open there; "
                         "list the categories it may host, or leave 'categories' out for all")
        else:
            hosted = list(range(n_cat))
        out["hosts"][n, hosted] = True
        out["excluded"][n] = check_site_plan(col, rec, field, rid, hosted, cat_index,
                                             out["fixed"][n])
        _site_cost(col, rec, field, rid, hosted, cat_ids, out["cost"][n])
        oc = parse_number(col, rec.get("open_cost", 0), f"{field}.open_cost", rid, minimum=0)
        out["open_cost"][n] = 0.0 if oc is None else oc
        if "max_categories" in rec and rec["max_categories"] is not None:
            mc = integer(col, rec["max_categories"], f"{field}.max_categories", rid)
            if mc is not None:
                out["max_categories"][n] = min(mc, n_cat)
    return out


def check_existing(
    col: Collector, data: dict[str, Any], cat_index: dict[str, int], geographic: bool
) -> dict[str, Any]:
    """Check existing facilities; return ids, coordinates and categories."""
    records = record_list(col, data, "existing", required=False)
    e = len(records)
    out: dict[str, Any] = {"ids": [], "xy": np.full((e, 2), np.nan),
                           "hosts": np.zeros((e, len(cat_index)), dtype=bool)}
    for n, rec, field, rid in _located_records(col, records, "existing", geographic, out,
                                               allowed=EXISTING_KEYS, what="id"):
        if "categories" not in rec:
            col.add(f"{field}.categories", "missing: list the categories it provides", rid)
        else:
            hosted = category_list(col, rec["categories"], f"{field}.categories", rid,
                                    cat_index)
            out["hosts"][n, hosted] = True
            if rec["categories"] == []:
                col.warn(f"{field} (id {rid!r}): lists no category, so it serves nothing; list "
                         "the categories it provides, or remove it")
    return out


def _read_od_csv(
    col: Collector, full: Path
) -> tuple[list[Any], list[Any], list[Any], list[str]] | None:
    """Read a from,to,minutes CSV; every row is labelled with its line number in the file."""
    import csv  # noqa: PLC0415

    where = f"travel.file ({full.name})"
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        with full.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, skipinitialspace=True)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if header is None:
                    header = [cell.strip() for cell in row]
                else:
                    rows.append((reader.line_num, row))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        col.add("travel.file", f"cannot read {full} as CSV: {exc}")
        return None
    missing = {"from", "to", "minutes"} - set(header or [])
    if header is None or missing:
        col.add("travel.file", f"{full.name}: header must be from,to,minutes; missing "
                f"{', '.join(sorted(missing))}")
        return None
    fi, ti, mi = header.index("from"), header.index("to"), header.index("minutes")
    frm: list[Any] = []
    to: list[Any] = []
    minutes: list[Any] = []
    labels: list[str] = []
    for line, row in rows:
        label = f"{where} line {line}"
        if len(row) != len(header):
            col.add(label, f"has {len(row)} fields but the header has {len(header)}")
            continue
        text = row[mi].strip()
        try:
            value: Any = float(text)
        except ValueError:
            value = text
        frm.append(row[fi].strip())
        to.append(row[ti].strip())
        minutes.append(value)
        labels.append(label)
    return frm, to, minutes, labels


def _matrix_triples(
    col: Collector, spec: dict[str, Any], base: Path
) -> tuple[list[Any], list[Any], list[Any], list[str]] | None:
    """Read the raw (from, to, minutes) columns of matrix mode and a field label per row."""
    has_times, has_file = "times" in spec, "file" in spec
    if has_times == has_file:
        col.add("travel", "matrix mode needs exactly one of 'times' (a list of [from, to, "
                "minutes]) or 'file' (a CSV with header from,to,minutes)")
        return None
    if has_times:
        times = spec["times"]
        if not isinstance(times, list):
            col.add("travel.times", f"must be a list of [from, to, minutes], got "
                    f"{type(times).__name__}")
            return None
        good = []
        for n, t in enumerate(times):
            if isinstance(t, list) and len(t) == 3:
                good.append(n)
            else:
                col.add(f"travel.times[{n}]", f"must be [from, to, minutes], got {t!r}")
        return ([times[n][0] for n in good], [times[n][1] for n in good],
                [times[n][2] for n in good], [f"travel.times[{n}]" for n in good])
    path = spec["file"]
    if not isinstance(path, str):
        col.add("travel.file", f"must be a path string, got {path!r}")
        return None
    full = (base / path) if not Path(path).is_absolute() else Path(path)
    if not full.is_file():
        col.add("travel.file", f"file not found: {full}")
        return None
    return _read_od_csv(col, full)


def _finite_or_inf(m: Any) -> float:
    try:
        return float(m)
    except OverflowError:  # an integer too large for a float
        return float("inf")


def _check_matrix(
    col: Collector, spec: dict[str, Any], community_ids: list[str], facility_ids: list[str],
    base: Path,
) -> Travel:
    raw = _matrix_triples(col, spec, base)
    if raw is None:
        return Travel(mode="matrix")
    frm, to, minutes, labels = raw
    where = "travel.times" if "times" in spec else "travel.file"
    c_index = {c: i for i, c in enumerate(community_ids)}
    f_index = {f: j for j, f in enumerate(facility_ids)}
    n = len(frm)
    ci = np.full(n, -1, dtype=np.int64)
    fj = np.full(n, -1, dtype=np.int64)
    mins = np.full(n, np.nan)
    for r in range(n):
        label = labels[r]
        i = c_index.get(str(frm[r]), -1) if isinstance(frm[r], str | int) else -1
        j = f_index.get(str(to[r]), -1) if isinstance(to[r], str | int) else -1
        if i < 0:
            col.add(label, f"'from' {frm[r]!r} is not a community id")
        if j < 0:
            col.add(label, f"'to' {to[r]!r} is not a site or existing facility id")
        m = minutes[r]
        pair = f"{frm[r]} → {to[r]}"
        if not is_number(m):
            col.add(label, f"minutes must be a number, got {m!r}", pair)
        elif not np.isfinite(_finite_or_inf(m)) or m < 0:
            col.add(label, f"minutes must be finite and >= 0, got {m!r} (leave an unreachable "
                    "pair out instead)", pair)
        else:
            mins[r] = float(m)
        ci[r], fj[r] = i, j
    ok = (ci >= 0) & (fj >= 0) & np.isfinite(mins)
    ci, fj, mins = ci[ok], fj[ok], mins[ok]
    if len(ci):
        key = ci * max(len(facility_ids), 1) + fj
        order = np.lexsort((mins, key))
        key, ci, fj, mins = key[order], ci[order], fj[order], mins[order]
        dup = np.flatnonzero(key[1:] == key[:-1]) + 1
        conflict = dup[mins[dup] != mins[dup - 1]]
        for d in conflict[:20]:
            col.add(where, f"pair ({community_ids[ci[d]]!r}, {facility_ids[fj[d]]!r}) is listed "
                    f"twice with different minutes ({mins[d - 1]:g} and {mins[d]:g})")
        keep = np.ones(len(key), dtype=bool)
        keep[dup] = False
        ci, fj, mins = ci[keep], fj[keep], mins[keep]
    file = spec.get("file")
    return Travel(mode="matrix", matrix_from=ci, matrix_to=fj, matrix_minutes=mins,
                  file=(base / file) if isinstance(file, str) else None)


def check_travel(
    col: Collector, spec: Any, community_ids: list[str], facility_ids: list[str], base: Path
) -> Travel:
    """Check the travel specification; matrix pairs become index arrays."""
    if spec is None:
        return Travel()
    if not isinstance(spec, dict):
        col.add("travel", f"must be an object, got {type(spec).__name__}")
        return Travel()
    mode = spec.get("mode", "straight")
    if not isinstance(mode, str) or mode not in TRAVEL_KEYS:
        col.add("travel.mode", f"unknown mode {mode!r}; use one of {', '.join(TRAVEL_KEYS)}")
        return Travel()
    col.unknown_keys(spec, TRAVEL_KEYS[mode], "travel", error=True)
    if mode == "matrix":
        return _check_matrix(col, spec, community_ids, facility_ids, base)
    speed = parse_number(col, spec.get("speed_m_per_min", DEFAULT_SPEED_M_PER_MIN),
                    "travel.speed_m_per_min", strictly_positive=True)
    speed = DEFAULT_SPEED_M_PER_MIN if speed is None else speed
    if mode == "straight":
        detour = parse_number(col, spec.get("detour", DEFAULT_DETOUR), "travel.detour",
                         strictly_positive=True)
        if detour is not None and detour < 1:
            col.warn(f"travel.detour {detour} < 1 makes walking shorter than the straight line")
        return Travel(mode="straight", speed_m_per_min=speed,
                      detour=DEFAULT_DETOUR if detour is None else detour)
    join = parse_number(col, spec.get("max_join_m", DEFAULT_MAX_JOIN_M), "travel.max_join_m",
                   strictly_positive=True)
    join = DEFAULT_MAX_JOIN_M if join is None else join
    file = spec.get("file")
    if not isinstance(file, str):
        col.add("travel.file", "network mode needs 'file', a GraphML, .osm or .osm.pbf path; "
                f"got {file!r}")
        return Travel(mode="network", speed_m_per_min=speed, max_join_m=join)
    full = (base / file) if not Path(file).is_absolute() else Path(file)
    if not full.is_file():
        col.add("travel.file", f"file not found: {full}")
    else:

        for message in check_network_file(full):
            col.add("travel.file", message)
    return Travel(mode="network", speed_m_per_min=speed, file=full, max_join_m=join)


def check_objective(col: Collector, spec: Any, cat_index: dict[str, int]) -> Objective:
    """Check the objective and its limits."""
    if spec is None:
        return Objective()
    if not isinstance(spec, dict):
        col.add("objective", f"must be an object, got {type(spec).__name__}")
        return Objective()
    col.unknown_keys(spec, OBJECTIVE_KEYS, "objective", error=True)
    kind = spec.get("type", "max_coverage")
    if kind not in OBJECTIVE_TYPES:
        col.add("objective.type", f"unknown objective {kind!r}; use one of "
                f"{', '.join(OBJECTIVE_TYPES)}")
        kind = "max_coverage"
    budget = None
    if spec.get("budget") is not None:
        budget = parse_number(col, spec["budget"], "objective.budget", minimum=0)
    total: int | None = None
    per_cat: np.ndarray | None = None
    max_new = spec.get("max_new")
    if isinstance(max_new, dict):
        per_cat = np.full(len(cat_index), -1, dtype=np.int64)
        for key, v in max_new.items():
            if key not in cat_index:
                col.add(f"objective.max_new.{key}", f"unknown category {key!r} (known: "
                        f"{', '.join(cat_index)})")
                continue
            n = integer(col, v, f"objective.max_new.{key}")
            if n is not None:
                per_cat[cat_index[key]] = n
    elif max_new is not None:
        total = integer(col, max_new, "objective.max_new")
    plan = check_planning_objective(col, spec, kind, cat_index)
    phases = check_phases(col, spec.get("phases"), kind, plan["target_share"])
    return Objective(type=kind, budget=budget, max_new_total=total,
                     max_new_per_category=per_cat, phases=phases, **plan)
