"""Validation of the planning extensions (FORMAT.md, "Planning extensions").

Approved and excluded sites (``sites[].fixed``, ``sites[].excluded``), equity rules
(``objective.equity``), ``max_min_share``, ``min_cost`` with ``target_measure``, and priorities
(``objective.then``, ``objective.tolerance``). Like every check, these collect their problems
(field path, record id, what is wrong, the fix) instead of stopping at the first.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.checks import Collector, category_list, parse_number
from sitecircle.instance.fields import COMPLETE, OBJECTIVE_TYPES, EquityRule, Stage

#: Fields a ``then`` stage may carry (limits are given once, at the top).
STAGE_KEYS = {"type", "target_share", "target_measure", "by", "measure"}
#: Fields of one equity rule.
EQUITY_KEYS = {"by", "measure", "min_share"}
#: Values of ``target_measure``.
TARGET_MEASURES = ("category", COMPLETE)


def check_site_plan(
    col: Collector, rec: dict[str, Any], field: str, rid: str | None, hosted: list[int],
    cat_index: dict[str, int], fixed_row: NDArray[np.bool_],
) -> bool:
    """Check a site's ``fixed`` and ``excluded``; fill its row of approved categories.

    Returns
    -------
    bool
        Whether the site is excluded.
    """
    excluded = rec.get("excluded", False)
    if not isinstance(excluded, bool):
        col.add(f"{field}.excluded", f"must be true or false, got {excluded!r}", rid)
        excluded = False
    if "fixed" not in rec or rec["fixed"] is None:
        return bool(excluded)
    fixed = category_list(col, rec["fixed"], f"{field}.fixed", rid, cat_index)
    names = list(cat_index)
    for k in fixed:
        if k not in hosted:
            col.add(f"{field}.fixed", f"category {names[k]!r} is approved here but the site "
                    f"cannot host it (its categories: {', '.join(names[h] for h in hosted)}); "
                    "add it to the site's categories or remove it from fixed", rid)
        else:
            fixed_row[k] = True
    if excluded and fixed_row.any():
        col.add(f"{field}.excluded", "a site with approved (fixed) categories cannot be "
                "excluded; drop one of the two", rid)
    return bool(excluded)


def _measure(col: Collector, value: Any, field: str, cat_index: dict[str, int]) -> str:
    if value is None:
        return COMPLETE
    if not isinstance(value, str) or (value != COMPLETE and value not in cat_index):
        close = difflib.get_close_matches(str(value), [COMPLETE, *cat_index], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        col.add(field, f"must be 'complete' or a category id, got {value!r}{hint}")
        return COMPLETE
    return value


def _by(col: Collector, value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        col.add(field, f"must name a community label such as 'street', got {value!r}")
        return None
    return value


def check_equity(col: Collector, spec: Any, cat_index: dict[str, int]) -> tuple[EquityRule, ...]:
    """Check ``objective.equity``: one rule or a list of rules."""
    if spec is None:
        return ()
    rules = spec if isinstance(spec, list) else [spec]
    out = []
    for n, rule in enumerate(rules):
        field = f"objective.equity[{n}]" if isinstance(spec, list) else "objective.equity"
        if not isinstance(rule, dict):
            col.add(field, "must be an object {\"by\": FIELD, \"measure\": M, \"min_share\": S} "
                    f"or a list of them, got {rule!r}")
            continue
        col.unknown_keys(rule, EQUITY_KEYS, field, error=True)
        if "min_share" not in rule:
            col.add(f"{field}.min_share", "missing: the smallest share every group must reach, "
                    "in [0, 1]")
            continue
        share = parse_number(col, rule["min_share"], f"{field}.min_share", minimum=0, maximum=1)
        out.append(EquityRule(_by(col, rule.get("by"), f"{field}.by"),
                              _measure(col, rule.get("measure"), f"{field}.measure", cat_index),
                              0.0 if share is None else share))
    return tuple(out)


def _stage_fields(
    col: Collector, spec: dict[str, Any], kind: str, where: str, cat_index: dict[str, int],
    *, top: bool,
) -> Stage:
    """The type-specific fields of an objective or a ``then`` stage."""
    share: float | None = 1.0 if top else None
    if "target_share" in spec:
        if kind != "min_cost":
            col.add(f"{where}.target_share", f"only applies to 'min_cost', not {kind!r}")
        else:
            v = parse_number(col, spec["target_share"], f"{where}.target_share", minimum=0,
                             maximum=1)
            share = 1.0 if v is None else v
    measure_of_target = spec.get("target_measure", "category")
    if "target_measure" in spec and kind != "min_cost":
        col.add(f"{where}.target_measure", f"only applies to 'min_cost', not {kind!r}")
    elif measure_of_target not in TARGET_MEASURES:
        col.add(f"{where}.target_measure", f"must be 'category' or 'complete', got "
                f"{measure_of_target!r}")
        measure_of_target = "category"
    for key in ("by", "measure"):
        if key in spec and kind != "max_min_share":
            col.add(f"{where}.{key}", f"only applies to 'max_min_share', not {kind!r}")
    return Stage(kind, share if kind == "min_cost" else None, str(measure_of_target),
                 _by(col, spec.get("by"), f"{where}.by"),
                 _measure(col, spec.get("measure"), f"{where}.measure", cat_index))


def check_planning_objective(
    col: Collector, spec: dict[str, Any], kind: str, cat_index: dict[str, int]
) -> dict[str, Any]:
    """Check the planning fields of ``objective``; return extra :class:`Objective` fields."""
    first = _stage_fields(col, spec, kind, "objective", cat_index, top=True)
    then: tuple[Stage, ...] | None = None
    if "then" in spec:
        stages = spec["then"]
        if not isinstance(stages, list):
            col.add("objective.then", f"must be a list of objectives, got {stages!r}")
            stages = []
        out = []
        for n, stage in enumerate(stages):
            where = f"objective.then[{n}]"
            if not isinstance(stage, dict):
                col.add(where, f"must be an object {{\"type\": ...}}, got {stage!r}")
                continue
            col.unknown_keys(stage, STAGE_KEYS, where, error=True)
            t = stage.get("type")
            if t not in OBJECTIVE_TYPES:
                close = difflib.get_close_matches(str(t), OBJECTIVE_TYPES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                col.add(f"{where}.type", f"unknown objective {t!r}{hint}; use one of "
                        f"{', '.join(OBJECTIVE_TYPES)}")
                continue
            out.append(_stage_fields(col, stage, str(t), where, cat_index, top=False))
        then = tuple(out)
    tolerance = 0.0
    if "tolerance" in spec:
        v = parse_number(col, spec["tolerance"], "objective.tolerance", minimum=0, maximum=1)
        tolerance = 0.0 if v is None else v
    return {"target_share": 1.0 if first.target_share is None else first.target_share,
            "target_measure": first.target_measure, "by": first.by, "measure": first.measure,
            "equity": check_equity(col, spec.get("equity"), cat_index), "then": then,
            "tolerance": tolerance}


def check_group_labels(
    col: Collector, groupings: list[tuple[str, str | None]],
    labels: dict[str, tuple[str | None, ...]], community_ids: list[str],
) -> None:
    """Every community must carry each label a rule groups by (a missing one is an error)."""
    for where, by in groupings:
        if by is None:
            continue
        values = labels.get(by)
        if values is None:
            known = ", ".join(sorted(labels)) or "none"
            col.add(where, f"no community has the label {by!r} (string labels found: {known}); "
                    "give every community this field")
            continue
        for i in [i for i, v in enumerate(values) if v is None]:
            col.add(f"communities[{i}].{by}", f"missing; {where} groups communities by {by!r}, "
                    "so every community needs it", community_ids[i])
