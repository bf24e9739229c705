"""Validation of ``objective.phases`` (FORMAT.md, "Planning extensions → Phases").

A plan over several years: an ordered, non-empty list of phases, each with its own limits
(``budget``, ``max_new``, and sitecircle's ``budget_to_date``), a ``weight`` for maximised
objectives and, for ``min_cost``, a ``target_share`` that must hold at the end of the phase.
Problems are collected (field path, what is wrong, the fix) like every other check.
"""

from __future__ import annotations

from typing import Any

from sitecircle.instance.checks import Collector, integer, parse_number
from sitecircle.instance.fields import Phase

#: Fields of one phase.
PHASE_KEYS = {"id", "budget", "max_new", "weight", "target_share", "budget_to_date"}


def _phase_id(col: Collector, value: Any, where: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        col.add(f"{where}.id", f"must be a non-empty string such as \"2026\", got {value!r}")
        return None
    return str(value)


def check_phases(
    col: Collector, spec: Any, kind: str, top_target: float,
) -> tuple[Phase, ...] | None:
    """Check ``objective.phases``; None when absent.

    Parameters
    ----------
    col
        Collects the problems.
    spec
        The ``phases`` value as read.
    kind
        The objective's type (``target_share`` only applies to ``min_cost``).
    top_target
        The top-level ``target_share``: the last phase's target unless it states its own.

    Returns
    -------
    tuple of Phase or None
        The phases in order.
    """
    if spec is None:
        return None
    if not isinstance(spec, list) or not spec:
        col.add("objective.phases", "must be a non-empty list of phases "
                f"[{{\"id\": \"2026\", \"budget\": B, ...}}, ...], got {spec!r}; drop the field "
                "for a single-period plan")
        return None
    out: list[Phase] = []
    seen: set[str] = set()
    for n, rec in enumerate(spec):
        where = f"objective.phases[{n}]"
        if not isinstance(rec, dict):
            col.add(where, f"must be an object {{\"id\": ..., \"budget\": ...}}, got {rec!r}")
            continue
        col.unknown_keys(rec, PHASE_KEYS, where, error=True)
        if "id" not in rec:
            col.add(f"{where}.id", "missing: every phase needs an id such as \"2026\"")
            pid = None
        else:
            pid = _phase_id(col, rec["id"], where)
        if pid is not None and pid in seen:
            col.add(f"{where}.id", f"duplicate phase id {pid!r}; give every phase its own id")
        if pid is not None:
            seen.add(pid)
        limits: dict[str, float | None] = {}
        for key in ("budget", "budget_to_date"):
            limits[key] = None
            if rec.get(key) is not None:
                limits[key] = parse_number(col, rec[key], f"{where}.{key}", minimum=0)
        max_new = None
        if isinstance(rec.get("max_new"), dict):
            col.add(f"{where}.max_new", "must be a number (new facilities in this phase); "
                    "per-category limits are given once, at the top (objective.max_new)")
        elif rec.get("max_new") is not None:
            max_new = integer(col, rec["max_new"], f"{where}.max_new")
        weight = 1.0
        if "weight" in rec:
            w = parse_number(col, rec["weight"], f"{where}.weight", minimum=0)
            weight = 1.0 if w is None else w
        target = None
        if "target_share" in rec:
            if kind != "min_cost":
                col.add(f"{where}.target_share", f"only applies to 'min_cost', not {kind!r}; "
                        "use weight to value earlier coverage")
            else:
                target = parse_number(col, rec["target_share"], f"{where}.target_share",
                                      minimum=0, maximum=1)
        if kind == "min_cost" and n == len(spec) - 1 and target is None:
            target = top_target
        out.append(Phase(pid or f"#{n + 1}", limits["budget"], max_new, weight, target,
                         limits["budget_to_date"]))
    return tuple(out)
