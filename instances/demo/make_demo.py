"""Regenerate ``nanning-district.json`` byte for byte from ``sitecircle.synthetic.demo_district``.

Run from anywhere: ``python instances/demo/make_demo.py``. The package need not be installed;
the script puts ``../../src`` first on ``sys.path``. Pass ``--check`` to compare instead of write
(exit status 1 when the file differs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

from sitecircle.synthetic import demo_district  # noqa: E402

TARGET = HERE / "nanning-district.json"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the demo instance; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    text = json.dumps(demo_district(seed=2026), indent=1, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    if "--check" in args:
        same = TARGET.is_file() and TARGET.read_bytes() == data
        print(f"{TARGET.name}: {'up to date' if same else 'differs from the generator'}")
        return 0 if same else 1
    TARGET.write_bytes(data)
    print(f"wrote {TARGET} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
