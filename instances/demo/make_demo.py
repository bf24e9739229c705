"""Regenerate ``nanning-district.json`` byte for byte from ``sitecircle.synthetic.demo_district``.

Run from anywhere: ``python instances/demo/make_demo.py``. The package need not be installed;
the script puts ``../../src`` first on ``sys.path``. Pass ``--check`` to compare instead of write
(exit status 1 when the file differs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from _write import write_or_check  # the generators' shared ending (this folder)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

from sitecircle.synthetic import demo_district  # noqa: E402

TARGET = HERE / "nanning-district.json"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the demo instance; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    return write_or_check(demo_district(seed=2026), TARGET, args)


if __name__ == "__main__":
    raise SystemExit(main())
