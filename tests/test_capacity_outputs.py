"""Capacities in what planners read (issue 12, item 5): the terminal summary, the HTML report, the
GeoPackage/GeoJSON layers, and ``build-geo``'s capacity columns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest

import sitecircle
from sitecircle.errors import InstanceError
from sitecircle.instance.from_layers import instance_from_layers
from sitecircle.outputs.html import render_report
from sitecircle.outputs.layers import solution_layers, write_solution_layers
from sitecircle.outputs.summary import summary


def _case() -> dict[str, Any]:
    """Projected metres; E1 (capacity 30) is full and C3 beyond the new canteen stays short."""
    x0, y0 = 500_000, 2_500_000
    return {
        "format": "sitecircle.instance/1", "name": "cap-out", "crs": "EPSG:32649",
        "categories": [{"id": "canteen", "capacity": 100, "demand": "elderly"},
                       {"id": "shop"}],
        "communities": [
            {"id": "C1", "x": x0, "y": y0, "population": 300, "elderly": 80},
            {"id": "C2", "x": x0 + 100, "y": y0, "population": 200, "elderly": 70},
            {"id": "C3", "x": x0 + 5000, "y": y0, "population": 100, "elderly": 50}],
        "sites": [{"id": "S1", "x": x0 + 50, "y": y0}],
        "existing": [{"id": "E1", "x": x0 + 5000, "y": y0 + 10, "categories": ["canteen"],
                      "capacity": 30}],
        "objective": {"type": "max_coverage", "max_new": {"canteen": 1, "shop": 0}},
    }


@pytest.fixture(scope="module")
def solved() -> tuple[sitecircle.Instance, sitecircle.Solution]:
    inst = sitecircle.Instance.from_dict(_case())
    sol = sitecircle.solve(inst)
    assert sol.status is sitecircle.Status.OPTIMAL
    return inst, sol


def test_summary_shows_loads_and_full_existing(
        solved: tuple[sitecircle.Instance, sitecircle.Solution]) -> None:
    inst, sol = solved
    text = summary(inst, sol)
    assert "loads (served / capacity, utilisation):" in text
    assert "S1         canteen            100 / 100 (100%)" in text
    assert "E1" in text and "at capacity" in text
    assert "capacitated pairs →" in text and "demand groups" in text


def test_layers_carry_loads_and_assignment_lines(
        solved: tuple[sitecircle.Instance, sitecircle.Solution], tmp_path: Path) -> None:
    inst, sol = solved
    layers = solution_layers(inst, sol)
    new = layers["new_facilities"]
    row = new[new["category"] == "canteen"].iloc[0]
    assert (row["load"], row["capacity"], row["utilisation"]) == (100, 100, 1.0)
    assert list(layers["existing"]["loads"]) == ["canteen 30/30"]
    lines = layers["assignments"]
    assert set(lines.geometry.geom_type) == {"LineString"}
    assert lines["served"].sum() == pytest.approx(130)
    gpkg = write_solution_layers(inst, sol, tmp_path / "out.gpkg")
    assert ["assignments", "LineString"] in pyogrio.list_layers(gpkg).tolist()
    assert len(gpd.read_file(gpkg, layer="assignments")) == len(lines)
    geojson = write_solution_layers(inst, sol, tmp_path / "out.geojson")
    doc = json.loads(geojson.read_text(encoding="utf-8"))
    kinds = {f["properties"]["layer"]: f["geometry"]["type"] for f in doc["features"]}
    assert kinds["assignments"] == "LineString"


def test_report_has_utilisation_column_and_flags_full_existing(
        solved: tuple[sitecircle.Instance, sitecircle.Solution]) -> None:
    inst, sol = solved
    html = render_report(inst, sol)
    assert "负荷 <span class='en'>load / capacity</span>" in html
    assert "100 / 100 (100%)" in html
    assert "Existing facilities at capacity" in html and ">E1<" in html


def test_uncapacitated_outputs_are_unchanged() -> None:
    plain = _case()
    del plain["categories"][0]["capacity"]
    del plain["existing"][0]["capacity"]
    inst = sitecircle.Instance.from_dict(plain)
    sol = sitecircle.solve(inst)
    layers = solution_layers(inst, sol)
    assert "assignments" not in layers and "load" not in layers["new_facilities"]
    assert "loads" not in summary(inst, sol)
    assert "负荷" not in render_report(inst, sol)


def _frames() -> dict[str, gpd.GeoDataFrame]:
    pts = gpd.points_from_xy
    comm = gpd.GeoDataFrame({"id": ["C1"], "population": [100], "elderly": [30]},
                            geometry=pts([500_000], [2_500_000]), crs="EPSG:32649")
    sites = gpd.GeoDataFrame({"id": ["S1", "S2"], "cost": [1, 1],
                              "categories": ["canteen, shop", "canteen"],
                              "capacity": [80, None], "capacity_canteen": [None, 40]},
                             geometry=pts([500_050, 500_060], [2_500_000] * 2),
                             crs="EPSG:32649")
    existing = gpd.GeoDataFrame({"id": ["E1"], "categories": ["canteen"], "capacity": [25]},
                                geometry=pts([500_010], [2_500_000]), crs="EPSG:32649")
    return {"communities": comm, "sites": sites, "existing": existing}


def test_build_geo_maps_capacity_columns() -> None:
    f = _frames()
    doc = instance_from_layers(f["communities"], f["sites"], f["existing"], crs="EPSG:32649",
                               categories=[{"id": "canteen", "demand": "elderly"}, "shop"])
    assert doc["sites"][0]["capacity"] == 80
    assert doc["sites"][1]["capacity"] == {"canteen": 40}
    assert doc["existing"][0]["capacity"] == 25
    inst = sitecircle.Instance.from_dict(doc)
    assert inst.capacitated.tolist() == [True, True]


def test_build_geo_reports_a_bad_capacity_cell() -> None:
    f = _frames()
    f["sites"]["capacity"] = ["lots", None]
    with pytest.raises(InstanceError, match=r"sites\.capacity.*'lots', not a number"):
        instance_from_layers(f["communities"], f["sites"], f["existing"], crs="EPSG:32649",
                             categories=[{"id": "canteen", "demand": "elderly"}, "shop"])


def test_capacitated_demo_is_up_to_date_and_valid() -> None:
    root = Path(__file__).resolve().parents[1] / "instances" / "demo"
    done = subprocess.run([sys.executable, str(root / "make_capacitated_demo.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    inst = sitecircle.read_instance(root / "nanning-district-capacitated.json")
    assert [c.id for c in inst.categories if c.capacity is not None] == ["elderly_canteen",
                                                                         "childcare"]


def test_build_geo_reads_capacity_cells_like_every_number_cell() -> None:
    """``1,200`` and full-width digits are numbers in a capacity column too (as in cost columns)."""
    f = _frames()
    f["sites"]["capacity"] = ["1,200", "８０"]
    doc = instance_from_layers(f["communities"], f["sites"], f["existing"], crs="EPSG:32649",
                               categories=[{"id": "canteen", "demand": "elderly"}, "shop"])
    assert doc["sites"][0]["capacity"] == 1200
    assert doc["sites"][1]["capacity"] == {"canteen": 40}  # the per-category column wins


def test_build_geo_reports_a_capacity_mapping_to_a_missing_column() -> None:
    """``--map sites.capacity=NOPE`` is an error naming the column, never silently ignored."""
    from sitecircle.instance.layer_read import LayerOptions

    f = _frames()
    f["sites"] = f["sites"].drop(columns=["capacity", "capacity_canteen"])  # none to read
    with pytest.raises(InstanceError, match=r"sites: columns\.capacity.*no column 'NOPE'"):
        instance_from_layers(f["communities"], f["sites"], f["existing"], crs="EPSG:32649",
                             categories=[{"id": "canteen", "demand": "elderly"}, "shop"],
                             options={"sites": LayerOptions(columns={"capacity": "NOPE"})})
