"""Write ``nanning-district-capacitated.json``: the demo district with canteen and childcare sizes.

The same district as ``nanning-district.json`` (communities, sites, existing facilities, budget),
with capacities (FORMAT.md "Capacities") on the two categories planners size:

* ``elderly_canteen``: ``capacity`` 2,000 elderly residents per new canteen (about 150–200
  diners a meal at a 10 % take-up; the issue's 50–150 diners a meal is a per-sitting figure) and
  ``min_load`` 300; existing canteens: 1,500;
* ``childcare``: ``capacity`` 1,000 children per new facility; existing ones: 800.

These numbers are illustrative, not policy: no national standard fixes the size of one canteen
or childcare centre (the catalogue gives no default capacity for that reason). Run from anywhere:
``python instances/demo/make_capacitated_demo.py`` (``--check`` compares instead of writing).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from _write import write_or_check  # the generators' shared ending (this folder)

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "nanning-district.json"
TARGET = HERE / "nanning-district-capacitated.json"

NEW = {"elderly_canteen": {"capacity": 2000, "min_load": 300}, "childcare": {"capacity": 1000}}
EXISTING = {"elderly_canteen": 1500, "childcare": 800}


def capacitated(doc: dict) -> dict:  # type: ignore[type-arg]
    """The demo document with capacities added (a copy)."""
    out = json.loads(json.dumps(doc))
    out["name"] = doc["name"] + "-capacitated"
    for cat in out["categories"]:
        cat.update(NEW.get(cat["id"], {}))
    for rec in out["existing"]:
        caps = {k: v for k, v in EXISTING.items() if k in rec["categories"]}
        if caps:
            rec["capacity"] = caps
    return out


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the capacitated demo; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    doc = json.loads(SOURCE.read_text(encoding="utf-8"))
    return write_or_check(capacitated(doc), TARGET, args)


if __name__ == "__main__":
    raise SystemExit(main())
