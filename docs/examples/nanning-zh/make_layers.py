"""Write the demo district as three CSV layers with Chinese column names (the docs' GIS example).

Run from the repository root: ``python docs/examples/nanning-zh/make_layers.py``. The files are
what a planning office's spreadsheet export looks like: Chinese headers, category labels instead
of ids, per-category costs as ``造价_<类别>``, and a street (街道) label column. ``build-geo``
reads them without a single ``--map`` (docs/gis.md).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[2] / "instances" / "demo" / "nanning-district.json"


def main() -> None:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    label = {c["id"]: c["label"] for c in doc["categories"]}
    with (HERE / "小区.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "小区名称", "经度", "纬度", "常住人口", "老年人口", "儿童", "街道"])
        for c in doc["communities"]:
            w.writerow([c["id"], c.get("name", ""), c["x"], c["y"], c["population"],
                        c["elderly"], c["children"], c.get("street", "")])
    cats = [c["id"] for c in doc["categories"]]
    with (HERE / "候选点.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "经度", "纬度", "可建类别", "开办费", "最多类别",
                    *[f"造价_{label[k]}" for k in cats]])
        for s in doc["sites"]:
            cost = s.get("cost", {})
            w.writerow([s["id"], s["x"], s["y"], "、".join(label[k] for k in s["categories"]),
                        s.get("open_cost", 0), s.get("max_categories", ""),
                        *[cost.get(k, "") if isinstance(cost, dict) else cost for k in cats]])
    with (HERE / "现状设施.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "经度", "纬度", "类别"])
        for e in doc["existing"]:
            w.writerow([e["id"], e["x"], e["y"], "、".join(label[k] for k in e["categories"])])


if __name__ == "__main__":
    main()
