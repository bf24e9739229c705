"""Geodata in and out: Chinese coordinate systems, every layer format, CRS, swaps, solution layers.

Reference coordinate pairs are the published test vectors of two widely used open-source
converters: googollee/eviltransform (``python/test.py``: WGS 84 → GCJ-02 in Shanghai, Shenzhen
and Beijing) and wandergis/coordtransform (``test/app.js``: all four conversions at
116.404, 39.915), plus Beijing railway station in GCJ-02 and BD-09 (R package documentation).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from sitecircle import Instance, InstanceError
from sitecircle.chinacoords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from sitecircle.instance.from_layers import instance_from_layers
from sitecircle.instance.layer_read import LayerOptions, lonlat_swap_reason, read_layer
from sitecircle.outputs.layers import LAYER_NAMES, solution_layers, write_solution_layers
from tests._planner_demo import DEMO, demo_instance, demo_solution

#: (wgs lat, wgs lon, gcj lat, gcj lon), googollee/eviltransform python/test.py.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
#: wandergis/coordtransform test/app.js, input (116.404, 39.915) to each conversion.
COORDTRANSFORM = {
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_wgs84_one_step": (116.39775550083061, 39.91359571849836),
}
CRS_WGS84 = "EPSG:4326"
UTM49 = "EPSG:32649"  # Nanning, 108.3 °E


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance, for tolerances stated in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))  # haversine: exact near zero


# --------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(wlat: float, wlon: float, glat: float,
                                              glon: float) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_gcj02_to_wgs84_is_exact_inverse(wlat: float, wlon: float, glat: float,
                                         glon: float) -> None:
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, wlon, wlat) < 0.01  # eviltransform's exact variant asks < 0.5 m


def test_coordtransform_vectors() -> None:
    assert bd09_to_gcj02(116.404, 39.915) == pytest.approx(COORDTRANSFORM["bd09_to_gcj02"],
                                                            abs=1e-9)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(COORDTRANSFORM["gcj02_to_bd09"],
                                                            abs=1e-9)
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(COORDTRANSFORM["wgs84_to_gcj02"],
                                                             abs=1e-9)
    # coordtransform's GCJ-02 → WGS 84 is the one-step approximation (metre-level); ours is the
    # exact inverse: within a metre of it, and mapping forward to the input to 1e-9°.
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    ref_lon, ref_lat = COORDTRANSFORM["gcj02_to_wgs84_one_step"]
    assert metres(lon, lat, ref_lon, ref_lat) < 1.0
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((116.404, 39.915), abs=1e-9)


def test_beijing_railway_station_gcj02_bd09() -> None:
    gcj, bd = (116.42703, 39.90245), (116.43351, 39.90851)
    assert gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=2e-5)
    assert bd09_to_gcj02(*bd) == pytest.approx(gcj, abs=2e-5)


def test_bd09_round_trip_and_arrays() -> None:
    lon = np.array([[108.3, 121.5], [113.9, 87.6]])
    lat = np.array([[22.8, 31.2], [22.5, 43.8]])
    blon, blat = wgs84_to_bd09(lon, lat)
    assert np.shape(blon) == (2, 2)
    back_lon, back_lat = bd09_to_wgs84(blon, blat)
    np.testing.assert_allclose(back_lon, lon, atol=1e-8)
    np.testing.assert_allclose(back_lat, lat, atol=1e-8)
    assert isinstance(wgs84_to_bd09(108.3, 22.8)[0], float)


def test_outside_china_is_not_shifted() -> None:
    assert out_of_china(np.array([2.35, 0.0]), np.array([48.85, 0.0])).all()
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)
    with pytest.raises(ValueError, match="gcj02"):
        to_wgs84([1.0], [2.0], "mars")


# --------------------------------------------------------------------------- layers in


def demo_frames(n_comm: int = 40, n_site: int = 20, n_exist: int = 30
                ) -> tuple[dict[str, Any], dict[str, gpd.GeoDataFrame]]:
    """The demo district (a subset) as GeoDataFrames with column names a Shapefile keeps."""
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    comm = pd.DataFrame(doc["communities"][:n_comm])
    sites = pd.DataFrame(doc["sites"][:n_site])
    sites["categories"] = sites["categories"].map(";".join)
    sites["cost"] = [min(c.values()) for c in sites.pop("cost")]
    sites = sites.rename(columns={"max_categories": "max_cat"})
    if "open_cost" not in sites:
        sites["open_cost"] = 0.0
    sites["open_cost"] = sites["open_cost"].fillna(0.0)
    exist = pd.DataFrame(doc["existing"][:n_exist])
    labels = {c["id"]: c["label"] for c in doc["categories"]}
    exist["categories"] = exist["categories"].map(lambda ids: "、".join(labels[i] for i in ids))
    frames = {}
    for kind, frame in (("communities", comm), ("sites", sites), ("existing", exist)):
        frames[kind] = gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), crs=CRS_WGS84,
                                        geometry=gpd.points_from_xy(frame.x, frame.y))
    return doc, frames


SITE_MAP = LayerOptions(columns={"max_categories": "max_cat"})


def build(sources: dict[str, Any], options: dict[str, LayerOptions] | None = None,
          **kw: Any) -> dict[str, Any]:
    opts = {"sites": SITE_MAP, **(options or {})}
    return instance_from_layers(sources["communities"], sources["sites"], sources["existing"],
                                template=DEMO, options=opts, **kw)


def assert_same_records(got: dict[str, Any], want: dict[str, Any]) -> None:
    for kind in ("communities", "sites", "existing"):
        assert len(got[kind]) == len(want[kind]), kind
        for a, b in zip(got[kind], want[kind], strict=True):
            assert a["x"] == pytest.approx(b["x"], abs=1e-7)
            assert a["y"] == pytest.approx(b["y"], abs=1e-7)
            rest_a = {k: v for k, v in a.items() if k not in ("x", "y")}
            rest_b = {k: v for k, v in b.items() if k not in ("x", "y")}
            assert rest_a == rest_b, kind


@pytest.fixture(scope="module")
def frames() -> tuple[dict[str, Any], dict[str, gpd.GeoDataFrame]]:
    return demo_frames()


@pytest.fixture(scope="module")
def reference(frames: tuple[dict[str, Any], dict[str, gpd.GeoDataFrame]]) -> dict[str, Any]:
    return build(frames[1])


def test_reference_matches_the_demo(frames: tuple[dict[str, Any], dict[str, Any]],
                                    reference: dict[str, Any]) -> None:
    doc = frames[0]
    Instance.from_dict(reference)
    assert reference["categories"] == doc["categories"]
    assert reference["travel"] == doc["travel"]
    # names, demand fields, coords; the street label is kept only when mapped (test below)
    assert reference["communities"] == [{k: v for k, v in c.items() if k != "street"}
                                        for c in doc["communities"][:40]]
    assert reference["existing"] == [{k: v for k, v in e.items()} for e in doc["existing"][:30]]
    site = reference["sites"][0]
    assert site["categories"] == doc["sites"][0]["categories"]
    assert site["max_categories"] == doc["sites"][0]["max_categories"]


def test_round_trip_geojson_and_gpkg(tmp_path: Path, frames: Any, reference: Any) -> None:
    _, gdfs = frames
    gpkg = tmp_path / "layers.gpkg"
    sources_json = {}
    for kind, gdf in gdfs.items():
        gdf.to_file(gpkg, layer=kind, driver="GPKG", engine="pyogrio")
        sources_json[kind] = tmp_path / f"{kind}.geojson"
        gdf.to_file(sources_json[kind], driver="GeoJSON", engine="pyogrio")
    assert_same_records(build(sources_json), reference)
    opts = {k: LayerOptions(layer=k) for k in gdfs}
    opts["sites"] = LayerOptions(layer="sites", columns=SITE_MAP.columns)
    assert_same_records(build(dict.fromkeys(gdfs, gpkg), opts), reference)
    with pytest.raises(InstanceError, match="has 3 layers"):
        read_layer(gpkg)


def test_round_trip_shapefile_gbk(tmp_path: Path, frames: Any, reference: Any) -> None:
    _, gdfs = frames
    sources = {}
    for kind, gdf in gdfs.items():
        sources[kind] = tmp_path / f"{kind}.shp"
        gdf.to_file(sources[kind], driver="ESRI Shapefile", encoding="GBK", engine="pyogrio")
        sources[kind].with_suffix(".cpg").unlink()  # as many Chinese GIS exports arrive
    raw = (tmp_path / "communities.dbf").read_bytes()
    assert "竹溪小区".encode("gbk") in raw
    with pytest.warns(UserWarning, match="read as GBK they say '竹溪小区'"):
        read_layer(sources["communities"])
    opts = {k: LayerOptions(encoding="GBK") for k in gdfs}
    opts["sites"] = LayerOptions(encoding="GBK", columns=SITE_MAP.columns)
    assert_same_records(build(sources, opts), reference)


def test_round_trip_csv(tmp_path: Path, frames: Any, reference: Any) -> None:
    _, gdfs = frames
    sources = {}
    for kind, gdf in gdfs.items():
        frame = pd.DataFrame(gdf.drop(columns="geometry"))
        frame.insert(1, "经度", gdf.geometry.x)
        frame.insert(2, "纬度", gdf.geometry.y)
        sources[kind] = tmp_path / f"{kind}.csv"
        frame.to_csv(sources[kind], index=False, encoding="gbk")
    with pytest.raises(InstanceError, match="encoding='GBK'"):
        read_layer(sources["communities"], LayerOptions(crs=CRS_WGS84))
    with pytest.raises(InstanceError, match="no coordinate reference system"):
        read_layer(sources["communities"], LayerOptions(encoding="gbk"))
    opts = {k: LayerOptions(encoding="gbk", crs=CRS_WGS84) for k in gdfs}
    opts["sites"] = LayerOptions(encoding="gbk", crs=CRS_WGS84, columns=SITE_MAP.columns)
    assert_same_records(build(sources, opts), reference)


def test_round_trip_geoparquet(tmp_path: Path, frames: Any, reference: Any) -> None:
    pytest.importorskip("pyarrow", reason="GeoParquet needs pyarrow")
    _, gdfs = frames
    sources = {}
    for kind, gdf in gdfs.items():
        sources[kind] = tmp_path / f"{kind}.parquet"
        gdf.to_parquet(sources[kind])
    assert_same_records(build(sources), reference)


def test_reprojection_both_ways(tmp_path: Path, frames: Any, reference: Any) -> None:
    _, gdfs = frames
    sources = {}
    for kind, gdf in gdfs.items():
        sources[kind] = tmp_path / f"{kind}-utm.gpkg"
        gdf.to_crs(UTM49).to_file(sources[kind], driver="GPKG", engine="pyogrio")
    assert_same_records(build(sources), reference)  # UTM layers → EPSG:4326 instance
    projected = build(gdfs, crs=UTM49)  # WGS 84 layers → UTM instance
    assert projected["crs"] == UTM49
    first = projected["communities"][0]
    assert 200_000 < first["x"] < 300_000 and 2_500_000 < first["y"] < 2_600_000
    Instance.from_dict(projected)


def test_layer_without_crs_is_refused_unless_told() -> None:
    gdf = gpd.GeoDataFrame({"id": ["A"], "population": [10]}, geometry=[Point(108.3, 22.8)])
    with pytest.raises(InstanceError, match="no coordinate reference system"):
        read_layer(gdf)
    assert read_layer(gdf, LayerOptions(crs=CRS_WGS84)).crs == CRS_WGS84


def test_swapped_lat_lon_detected_and_fixed() -> None:
    swapped = gpd.GeoDataFrame({"id": ["A", "B"], "population": [1, 2]}, crs=CRS_WGS84,
                               geometry=[Point(22.8, 108.3), Point(22.9, 108.4)])
    with pytest.raises(InstanceError, match="look swapped"):
        read_layer(swapped)
    fixed = read_layer(swapped, LayerOptions(swap_xy=True))
    assert list(fixed.geometry.x) == [108.3, 108.4]
    # Xinjiang swapped stays within ±90°: only the China rule sees it
    xinjiang = gpd.GeoDataFrame({"id": ["U"]}, crs=CRS_WGS84, geometry=[Point(43.8, 87.6)])
    with pytest.raises(InstanceError, match="fall in China"):
        read_layer(xinjiang)
    assert read_layer(xinjiang, LayerOptions(check_swap=False)).geometry.x[0] == 43.8
    assert lonlat_swap_reason(np.array([2.35]), np.array([48.85])) is None  # Paris is fine


def test_swapped_projected_coordinates_detected(frames: Any) -> None:
    utm = frames[1]["communities"].to_crs(UTM49)
    flipped = utm.set_geometry(gpd.points_from_xy(utm.geometry.y, utm.geometry.x), crs=UTM49)
    with pytest.raises(InstanceError, match="area of use"):
        read_layer(flipped)
    assert read_layer(flipped, LayerOptions(swap_xy=True)).geometry.x.iloc[0] == \
        pytest.approx(utm.geometry.x.iloc[0])


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_amap_and_baidu_layers_are_converted(system: str) -> None:
    wlat, wlon, glat, glon = EVILTRANSFORM[1]
    lon, lat = (glon, glat) if system == "gcj02" else gcj02_to_bd09(glon, glat)
    gdf = gpd.GeoDataFrame({"id": ["S"]}, crs=CRS_WGS84, geometry=[Point(lon, lat)])
    out = read_layer(gdf, LayerOptions(coordinates=system))
    # Baidu's published BD-09 → GCJ-02 inverse is itself good to a few centimetres
    assert metres(out.geometry.x[0], out.geometry.y[0], wlon, wlat) < 0.05
    with pytest.raises(InstanceError, match="projected"):
        read_layer(gdf.to_crs(UTM49), LayerOptions(coordinates=system))


def test_polygons_become_points_with_a_warning() -> None:
    square = Point(108.3, 22.8).buffer(0.001)
    gdf = gpd.GeoDataFrame({"id": ["A"]}, crs=CRS_WGS84, geometry=[square])
    with pytest.warns(UserWarning, match="representative point"):
        out = read_layer(gdf)
    assert out.geometry[0].within(square)


def test_column_problems_are_listed(frames: Any) -> None:
    _, gdfs = frames
    comm = gdfs["communities"].rename(columns={"population": "人口数"})
    sources = {**gdfs, "communities": comm}
    with pytest.raises(InstanceError, match=r"--map communities\.population"):
        build(sources)
    ok = build(sources, {"communities": LayerOptions(columns={"population": "人口数"})})
    assert ok["communities"][0]["population"] == 3930
    bad = gdfs["existing"].copy()
    bad.loc[0, "categories"] = "咖啡馆"
    with pytest.raises(InstanceError, match="unknown category '咖啡馆'"):
        build({**gdfs, "existing": bad})


def test_categories_inferred_without_template(frames: Any) -> None:
    _, gdfs = frames
    sites = gdfs["sites"].copy()
    sites["categories"] = "shop;canteen"
    existing = gdfs["existing"].copy()
    existing["categories"] = "canteen"
    doc = instance_from_layers(gdfs["communities"], sites, existing,
                               options={"sites": SITE_MAP}, objective={"type": "max_coverage",
                                                                       "budget": 10})
    assert [c["id"] for c in doc["categories"]] == ["canteen", "shop"]
    assert doc["objective"]["budget"] == 10


# --------------------------------------------------------------------------- layers out


def test_mapped_street_label_is_kept(frames: tuple[dict[str, Any], dict[str, Any]]) -> None:
    # Issue 13: `--map communities.street=街道` keeps a label column as a community label.
    renamed = dict(frames[1])
    renamed["communities"] = frames[1]["communities"].rename(columns={"street": "街道"})
    doc = build(renamed, {"communities": LayerOptions(columns={"street": "街道"})})
    assert [c["street"] for c in doc["communities"]] == [
        c["street"] for c in frames[0]["communities"][:40]]
    assert "street" not in build(renamed)["communities"][0]


def test_solution_layers_columns_and_values() -> None:
    sol, inst = demo_solution(), demo_instance()
    layers = solution_layers(inst, sol)
    assert set(layers) == set(LAYER_NAMES)
    new, comm = layers["new_facilities"], layers["communities"]
    assert len(new) == len(sol.open)
    assert {"site", "category", "category_label", "cost", "site_open_cost",
            "population_newly_covered", "communities_newly_covered", "demand_field",
            "demand_newly_covered"} <= set(new.columns)
    assert int(comm["complete_after"].sum()) == sol.complete["communities"]
    assert int(comm["complete_before"].sum()) == sol.complete_before["communities"]
    assert comm.loc[0, "name"] == "竹溪小区"
    missing = {c["id"]: "; ".join(c["missing"]) for c in sol.communities}
    assert dict(zip(comm["id"], comm["missing_after"], strict=True)) == missing
    # the cost column adds up to the solution's cost once open costs are counted per site
    open_cost = new.drop_duplicates("site")["site_open_cost"].sum()
    assert new["cost"].sum() + open_cost == pytest.approx(sol.cost)
    assert (new["population_newly_covered"] > 0).any()


def test_write_gpkg_and_rfc7946_geojson(tmp_path: Path) -> None:
    sol, inst = demo_solution(), demo_instance()
    gpkg = write_solution_layers(inst, sol, tmp_path / "out" / "plan.gpkg")
    import pyogrio

    assert [str(r[0]) for r in pyogrio.list_layers(gpkg)] == list(LAYER_NAMES)
    assert len(gpd.read_file(gpkg, layer="new_facilities")) == len(sol.open)
    geojson = write_solution_layers(inst, sol.to_dict(), tmp_path / "plan.geojson")
    doc = json.loads(geojson.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 108 < lon < 109 and 22 < lat < 23  # RFC 7946: longitude first
    counts = pd.Series([f["properties"]["layer"] for f in doc["features"]]).value_counts()
    assert counts["new_facilities"] == len(sol.open)
    assert counts["communities"] == inst.n_communities
    with pytest.raises(InstanceError, match="use .gpkg or .geojson"):
        write_solution_layers(inst, sol, tmp_path / "plan.shp")


def test_solution_of_another_instance_is_refused() -> None:
    doc = copy.deepcopy(demo_solution().to_dict())  # to_dict shares the cached lists
    doc["communities"][0]["missing"] = ["laundry", "childcare"]
    with pytest.raises(InstanceError, match="another instance"):
        solution_layers(demo_instance(), doc)
    doc = copy.deepcopy(demo_solution().to_dict())
    doc["open"] = [{"site": "S999", "category": "laundry"}]
    with pytest.raises(InstanceError, match="S999"):
        solution_layers(demo_instance(), doc)
