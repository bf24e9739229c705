"""Write ``nanning-district-three-years.json``: the demo district planned over 2027–2029.

The same district as ``nanning-district.json`` (communities, sites, existing facilities, total
budget 840, ``max_coverage``), with ``objective.phases`` (FORMAT.md "Phases"): the budget split
over three years, 400 in 2027, 280 in 2028 and 160 in 2029, and weights 3, 2, 1, so coverage
reached early counts more (a facility opened in 2027 serves for three years of the plan). Every
facility opened stays open. The split and the weights are illustrative, not policy.

Run from anywhere: ``python instances/demo/make_three_year_demo.py`` (``--check`` compares
instead of writing).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from _write import write_or_check  # the generators' shared ending (this folder)

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "nanning-district.json"
TARGET = HERE / "nanning-district-three-years.json"

#: (year, budget of that year, weight)
PHASES = (("2027", 400.0, 3.0), ("2028", 280.0, 2.0), ("2029", 160.0, 1.0))


def three_years(doc: dict) -> dict:  # type: ignore[type-arg]
    """The demo document with the three-year phases added (a copy)."""
    out = json.loads(json.dumps(doc))
    out["name"] = doc["name"] + "-three-years"
    out["objective"]["phases"] = [{"id": year, "budget": budget, "weight": weight}
                                  for year, budget, weight in PHASES]
    assert sum(b for _, b, _ in PHASES) == out["objective"]["budget"]
    return out


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the three-year demo; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    doc = json.loads(SOURCE.read_text(encoding="utf-8"))
    return write_or_check(three_years(doc), TARGET, args)


if __name__ == "__main__":
    raise SystemExit(main())
