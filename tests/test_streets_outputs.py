"""Issue 13 outputs: the report's map coloured by street (``--color-by``), and street boundaries
(``build-geo --areas``) carried into the instance and the GeoPackage ``groups`` layer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sitecircle.cli.main import main


def line_doc(equity: bool = False) -> dict[str, Any]:
    """Four communities 1 km apart (EPSG:3857); streets N = C0, C1 and S = C2, C3."""
    objective: dict[str, Any] = {"type": "max_complete", "budget": 9}
    if equity:
        objective["equity"] = {"by": "street", "min_share": 0.5}
    return {
        "format": "sitecircle.instance/1", "name": "line", "crs": "EPSG:3857",
        "categories": [{"id": "a", "threshold_min": 10}, {"id": "b", "threshold_min": 10}],
        "communities": [{"id": f"C{i}", "x": i * 1000.0, "y": 0.0, "population": p, "street": s}
                        for i, (p, s) in enumerate([(100, "N"), (50, "N"), (30, "S"),
                                                    (20, "S")])],
        "sites": [{"id": f"S{i}", "x": i * 1000.0, "y": 0.0, "cost": {"a": 1 + i, "b": 2}}
                  for i in range(4)],
        "objective": objective,
    }


def map_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="sc-data">(.*?)</script>', html,
                      re.S)
    assert found
    return dict(json.loads(found.group(1).replace("<\\/", "</")))


@pytest.fixture
def solved(tmp_path: Path) -> tuple[Path, Path]:
    inst = tmp_path / "i.json"
    inst.write_text(json.dumps(line_doc()), encoding="utf-8")
    sol = tmp_path / "s.json"
    assert main(["solve", str(inst), "--out", str(sol), "--quiet"]) == 0
    return inst, sol


def test_report_colours_the_map_by_street_on_request(solved: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    inst, sol = solved
    plain, coloured = tmp_path / "plain.html", tmp_path / "street.html"
    assert main(["report", str(sol), str(inst), "-o", str(plain), "--tiles", "none",
                 "--no-static-map", "--quiet"]) == 0
    assert main(["report", str(sol), str(inst), "-o", str(coloured), "--tiles", "none",
                 "--no-static-map", "--color-by", "street", "--quiet"]) == 0
    assert "colorBy" not in map_data(plain.read_text(encoding="utf-8"))
    data = map_data(coloured.read_text(encoding="utf-8"))["colorBy"]
    assert data["by"] == "street"
    assert [g["name"] for g in data["groups"]] == ["N", "S"]
    assert data["of"] == [0, 0, 1, 1]  # per community, in instance order
    colours = [g["color"] for g in data["groups"]]
    assert len(set(colours)) == 2 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert "分组 Groups" in coloured.read_text(encoding="utf-8")  # the legend's heading (JS)


def test_solve_report_colours_by_street(tmp_path: Path) -> None:
    inst = tmp_path / "i.json"
    inst.write_text(json.dumps(line_doc()), encoding="utf-8")
    html = tmp_path / "r.html"
    assert main(["solve", str(inst), "--out", str(tmp_path / "s.json"), "--report", str(html),
                 "--tiles", "none", "--color-by", "street", "--quiet"]) == 0
    assert map_data(html.read_text(encoding="utf-8"))["colorBy"]["of"] == [0, 0, 1, 1]


def test_unknown_color_by_is_exit_2_naming_the_labels(
        solved: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst, sol = solved
    capsys.readouterr()
    html = tmp_path / "r.html"
    assert main(["report", str(sol), str(inst), "-o", str(html), "--tiles", "none",
                 "--color-by", "district", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "'district'" in err and "street" in err and "Traceback" not in err
    assert not html.exists()
    assert main(["solve", str(inst), "--out", str(tmp_path / "s2.json"), "--report", str(html),
                 "--color-by", "district", "--quiet"]) == 2
    assert "street" in capsys.readouterr().err
    assert not html.exists()
