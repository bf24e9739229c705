"""Write a generated demo instance, or with ``--check`` compare it with the file (the generators'
shared ending)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_or_check(doc: dict[str, Any], target: Path, args: list[str]) -> int:
    """Write ``doc`` as ``target`` (indented JSON, UTF-8), or with ``--check`` in ``args`` say
    whether the file is up to date; return the exit status (1: the file differs)."""
    data = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    if "--check" in args:
        same = target.is_file() and target.read_bytes() == data
        print(f"{target.name}: {'up to date' if same else 'differs from the generator'}")
        return 0 if same else 1
    target.write_bytes(data)
    print(f"wrote {target} ({len(data):,} bytes)")
    return 0
