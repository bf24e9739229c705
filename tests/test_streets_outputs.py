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
    solution = tmp_path / "s2.json"
    assert main(["solve", str(inst), "--out", str(solution), "--report", str(html),
                 "--color-by", "district", "--quiet"]) == 2
    assert "street" in capsys.readouterr().err
    assert not html.exists() and not solution.exists()  # refused before the solve
    assert main(["solve", str(inst), "--out", str(solution), "--color-by", "street",
                 "--quiet"]) == 2
    assert "--report" in capsys.readouterr().err


# --- B: street boundaries (build-geo --areas) ----------------------------------------------------

def write_layers(folder: Path, lons: list[float], name_column: str,
                 equity: bool = True) -> dict[str, Path]:
    """Communities and sites at ``lons`` (latitude 22.8, ~1 km apart), two street polygons
    (北 west of 108.315, 南 east of it, both up to 108.335) and a template with an equity rule."""
    import geopandas as gpd  # noqa: PLC0415
    from shapely.geometry import box  # noqa: PLC0415

    pops = [100, 50, 30, 20, 10][:len(lons)]
    comm = gpd.GeoDataFrame({"id": [f"C{i}" for i in range(len(lons))], "name":
                             [f"小区{i}" for i in range(len(lons))], "population": pops},
                            geometry=gpd.points_from_xy(lons, [22.8] * len(lons)),
                            crs="EPSG:4326")
    sites = gpd.GeoDataFrame({"id": [f"S{i}" for i in range(len(lons))],
                              "cost_a": [1 + i for i in range(len(lons))],
                              "cost_b": [2] * len(lons)},
                             geometry=gpd.points_from_xy(lons, [22.8] * len(lons)),
                             crs="EPSG:4326")
    areas = gpd.GeoDataFrame({name_column: ["北", "南"]},
                             geometry=[box(108.295, 22.79, 108.315, 22.81),
                                       box(108.315, 22.79, 108.335, 22.81)], crs="EPSG:4326")
    paths = {"communities": folder / "communities.geojson", "sites": folder / "sites.geojson",
             "areas": folder / "streets.geojson", "template": folder / "template.json"}
    for kind, frame in (("communities", comm), ("sites", sites), ("areas", areas)):
        frame.to_file(paths[kind], driver="GeoJSON", engine="pyogrio")
    paths["template"].write_text(json.dumps({
        "categories": [{"id": "a", "threshold_min": 10}, {"id": "b", "threshold_min": 10}],
        "objective": {"type": "max_complete", "budget": 9, **(
            {"equity": {"by": "street", "min_share": 0.5}} if equity else {})}}),
        encoding="utf-8")
    return paths


def build_geo(paths: dict[str, Path], out: Path, *extra: str) -> int:
    return main(["build-geo", "--communities", str(paths["communities"]), "--sites",
                 str(paths["sites"]), "--areas", str(paths["areas"]), "--template",
                 str(paths["template"]), "-o", str(out), *extra])


def test_build_geo_areas_labels_communities_and_warns_about_one_outside(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sitecircle.instance.read import read_instance  # noqa: PLC0415

    paths = write_layers(tmp_path, [108.30, 108.31, 108.32, 108.33, 108.40], "街道",
                         equity=False)
    out = tmp_path / "i.json"
    assert build_geo(paths, out) == 0
    err = capsys.readouterr().err
    assert "outside every street polygon" in err and "C4 (小区4)" in err
    assert "unknown field" not in err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [c.get("street") for c in doc["communities"]] == ["北", "北", "南", "南", None]
    assert doc["areas"]["by"] == "street"
    assert [f["group"] for f in doc["areas"]["features"]] == ["北", "南"]
    assert doc["areas"]["features"][0]["geometry"]["type"] == "Polygon"
    inst = read_instance(out)
    assert inst.areas is not None and inst.areas.groups == ("北", "南")
    assert not any("areas" in w for w in inst.warnings)


def test_areas_field_is_validated_with_clear_errors() -> None:
    from sitecircle.errors import InstanceError  # noqa: PLC0415
    from sitecircle.instance.data import Instance  # noqa: PLC0415

    doc = line_doc()
    square = [[[0, -1], [1, -1], [1, 1], [0, 1], [0, -1]]]
    doc["areas"] = {"by": "street", "features": [
        {"group": "N", "geometry": {"type": "Polygon", "coordinates": square}},
        {"group": "S", "geometry": {"type": "Point", "coordinates": [0, 0]}},
        {"group": "N", "geometry": {"type": "Polygon", "coordinates": [square[0][:4]]}}]}
    with pytest.raises(InstanceError) as err:
        Instance.from_dict(doc)
    text = str(err.value)
    assert "areas.features[1].geometry" in text and "'Point'" in text
    assert "areas.features[2].group" in text and "duplicate group" in text
    assert "areas.features[2].geometry" in text and "not closed" in text
    doc["areas"] = {"by": "street", "features": doc["areas"]["features"][:1]}
    assert Instance.from_dict(doc).areas is not None


def test_solve_geo_groups_layer_carries_street_polygons(tmp_path: Path) -> None:
    import geopandas as gpd  # noqa: PLC0415

    paths = write_layers(tmp_path, [108.30, 108.31, 108.32, 108.33], "区域")
    inst = tmp_path / "i.json"
    assert build_geo(paths, inst, "--map", "areas.name=区域", "--quiet") == 0
    gpkg = tmp_path / "out.gpkg"
    assert main(["solve", str(inst), "--out", str(tmp_path / "s.json"), "--geo", str(gpkg),
                 "--quiet"]) == 0
    groups = gpd.read_file(gpkg, layer="groups", engine="pyogrio")
    assert sorted(groups["group"]) == ["北", "南"]
    assert set(groups.geom_type) == {"Polygon"}
    north = groups.set_index("group").geometry["北"]
    assert north.bounds == pytest.approx((108.295, 22.79, 108.315, 22.81), abs=1e-9)
    assert groups.crs.to_epsg() == 4326
    # Amap coordinates: the polygons are shifted like the points (GCJ-02, a few hundred metres)
    shifted = tmp_path / "gcj.gpkg"
    assert main(["solve", str(inst), "--out", str(tmp_path / "s2.json"), "--geo", str(shifted),
                 "--geo-coords", "gcj02", "--quiet"]) == 0
    moved = gpd.read_file(shifted, layer="groups", engine="pyogrio").set_index("group")
    assert set(moved["coord_system"]) == {"gcj02"}
    dx = moved.geometry["北"].bounds[0] - 108.295
    assert 1e-3 < abs(dx) < 1e-2
