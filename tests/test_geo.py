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

import sitecircle
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
from sitecircle.geodesy import (
    EARTH_RADIUS_M,
    METRES_PER_DEGREE,
    chord_length,
    local_metres,
    metres_per_degree_lon,
)
from sitecircle.instance.from_layers import instance_from_layers
from sitecircle.instance.layer_read import LayerOptions, lonlat_swap_reason, read_layer
from sitecircle.outputs.layers import LAYER_NAMES, solution_layers, write_solution_layers
from sitecircle.outputs.outcome import open_reach, outcome_from
from sitecircle.travel.coverage import coverage_from_instance
from tests._chinese_layers import chinese_frames, write_gpkg
from tests._planner_demo import DEMO, demo_instance, demo_solution, named_demo

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
    # names, demand fields, coords and the street label (a street column is recognised)
    assert reference["communities"] == doc["communities"][:40]
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
    comm = gdfs["communities"].rename(columns={"population": "居民数"})
    sources = {**gdfs, "communities": comm}
    with pytest.raises(InstanceError, match=r"--map communities\.population"):
        build(sources)
    ok = build(sources, {"communities": LayerOptions(columns={"population": "居民数"})})
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


# --------------------------------------------------------------------------- Chinese columns


def _gpkg_sources(tmp_path: Path, gdfs: dict[str, gpd.GeoDataFrame]
                  ) -> tuple[dict[str, Path], dict[str, LayerOptions]]:
    gpkg = write_gpkg(tmp_path, gdfs)
    return dict.fromkeys(gdfs, gpkg), {k: LayerOptions(layer=k) for k in gdfs}


def test_chinese_layers_need_no_map(tmp_path: Path) -> None:
    """Issue 16 item 1: 可建类别, 造价_便利店, 开办费, 最多类别 ... are read, not dropped."""
    want, gdfs = chinese_frames(n_comm=300, n_site=120, n_exist=150)  # the whole demo
    sources, opts = _gpkg_sources(tmp_path, gdfs)
    doc = instance_from_layers(sources["communities"], sources["sites"], sources["existing"],
                               template=DEMO, options=opts)  # warnings are errors here
    for kind in ("communities", "sites", "existing"):
        got = [{k: v for k, v in r.items() if k not in ("x", "y")} for r in doc[kind]]
        assert got == [{k: v for k, v in r.items() if k not in ("x", "y")}
                       for r in want[kind]], kind
    inst = Instance.from_dict(doc)
    assert inst.community_labels["street"][:3] == ("新阳街道", "西乡塘街道", "衡阳街道")
    assert inst.existing_names[0] == "便利店1号"
    assert inst.site_cost[0, 0] == 8.0 and inst.site_max_categories[0] == 2


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore:Could not decode error message:RuntimeWarning")
def test_chinese_shapefiles_with_cut_column_names(tmp_path: Path) -> None:
    """A Shapefile keeps 10 bytes of a name: 造价_便利店 arrives as 造价_便利 (GBK)."""
    want, gdfs = chinese_frames(n_comm=10, n_site=10, n_exist=10)
    sources = {}
    for kind, gdf in gdfs.items():
        sources[kind] = tmp_path / f"{kind}.shp"
        gdf.to_file(sources[kind], driver="ESRI Shapefile", encoding="GBK", engine="pyogrio")
    assert "造价_便利" in read_layer(sources["sites"]).columns
    doc = instance_from_layers(sources["communities"], sources["sites"], sources["existing"],
                               template=DEMO)
    assert [r["cost"] for r in doc["sites"]] == [r["cost"] for r in want["sites"]]


@pytest.mark.parametrize("column", ["造价_{label}", "cost_{label}", "cost_{id}", "{label}造价",
                                    "费用-{label}（万元）", "COST {id}"])
def test_per_category_cost_columns_by_id_or_label(column: str) -> None:
    _, gdfs = chinese_frames(n_site=5)
    sites = gdfs["sites"]
    labels = {c["label"]: c["id"] for c in json.loads(DEMO.read_text("utf-8"))["categories"]}
    sites = sites.rename(columns={f"造价_{lab}": column.format(label=lab, id=cid)
                                  for lab, cid in labels.items()})
    doc = instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO)
    assert doc["sites"][0]["cost"] == {"convenience_store": 8.0, "breakfast": 3.5,
                                       "repair_point": 2.5, "parcel_point": 1.5, "laundry": 4.5}


def test_unused_columns_are_named_and_costs_refused() -> None:
    _, gdfs = chinese_frames(n_site=5)
    sites = gdfs["sites"].assign(租金=12.0, 备注="临街")
    sites = sites.rename(columns={"可建类别": "可选业态"})
    with pytest.raises(InstanceError) as info:
        instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO)
    text = str(info.value)
    assert "column '租金'" in text and "looks like a cost" in text and "--ignore 租金" in text
    assert "column '可选业态'" in text and "--map sites.categories=可选业态" in text
    assert "备注" not in text  # a remark column is a warning, not an error
    opts = {"sites": LayerOptions(ignore=("租金",), columns={"categories": "可选业态"})}
    with pytest.warns(UserWarning, match=r"sites: column\(s\) not used: 备注 \(--map "
                      r"sites\.FIELD=备注\); FIELD is one of id, name, categories, cost"):
        doc = instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO,
                                   options=opts)
    assert doc["sites"][0]["categories"][0] == "convenience_store"
    quiet = {"sites": LayerOptions(ignore=("租金", "备注"), columns={"categories": "可选业态"})}
    instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO,
                         options=quiet)  # nothing left unused: no warning


def test_community_text_columns_become_labels_when_mapped() -> None:
    """Issue 13 item 1: 街道 by default, any other text column with --map."""
    _, gdfs = chinese_frames(n_comm=6, n_site=4, n_exist=4)
    comm = gdfs["communities"].assign(物业公司="青秀物业")
    with pytest.warns(UserWarning, match="物业公司 \\(--map communities.LABEL=物业公司 keeps it "
                      "as a label\\)"):
        instance_from_layers(comm, gdfs["sites"], gdfs["existing"], template=DEMO)
    opts = {"communities": LayerOptions(columns={"property": "物业公司"})}
    doc = instance_from_layers(comm, gdfs["sites"], gdfs["existing"], template=DEMO,
                               options=opts)
    labels = Instance.from_dict(doc).community_labels
    assert labels["property"] == ("青秀物业",) * 6
    assert labels["street"][0] == "新阳街道"


def test_cost_column_mapped_by_category_label() -> None:
    _, gdfs = chinese_frames(n_site=80)  # sites 77-80 may host childcare (托育)
    sites = gdfs["sites"].rename(columns={"造价_托育": "托育投资额"})
    with pytest.raises(InstanceError, match="column '托育投资额': looks like a cost"):
        instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO)
    opts = {"sites": LayerOptions(columns={"cost.托育": "托育投资额"})}
    doc = instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO,
                               options=opts)
    want = chinese_frames(n_site=80)[0]["sites"]
    assert [r["cost"] for r in doc["sites"]] == [r["cost"] for r in want]
    assert doc["sites"][76]["cost"]["childcare"] > 0
    with pytest.raises(InstanceError, match=r"unknown category '托儿所' \(known ids and labels: "
                       r"convenience_store \(便利店\)"):
        instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO,
                             options={"sites": LayerOptions(columns={"cost.托儿所": "托育投资额"})})


def test_sites_without_cost_or_category_column_are_warned() -> None:
    _, gdfs = chinese_frames(n_site=5)
    bare = gdfs["sites"][["编号", "geometry"]]
    with pytest.warns(UserWarning) as caught:
        instance_from_layers(gdfs["communities"], bare, gdfs["existing"], template=DEMO)
    said = " | ".join(str(w.message) for w in caught)
    assert "every site costs 1 per category" in said
    assert "every site may host every category" in said


def test_empty_category_cell_is_an_error() -> None:
    """Issue 16 item 3: a shop with an empty 类别 would serve nothing."""
    _, gdfs = chinese_frames()
    existing = gdfs["existing"].copy()
    existing.loc[3, "类别"] = None
    with pytest.raises(InstanceError, match=r"existing\.类别 \(id 'E004'\): empty: list the "
                       "categories it provides"):
        instance_from_layers(gdfs["communities"], gdfs["sites"], existing, template=DEMO)


def test_far_away_candidate_is_warned() -> None:
    """Issue 16 item 3: a candidate 975 km from the rest is named."""
    _, gdfs = chinese_frames()
    sites = gdfs["sites"].copy()
    sites.loc[4, "geometry"] = Point(108.3 + 975 / 102.6, 22.8)
    with pytest.warns(UserWarning, match=r"sites\[4\] \(id 'S005'\) lies 97\d\.\d km"):
        instance_from_layers(gdfs["communities"], sites, gdfs["existing"], template=DEMO)


def test_numbers_as_spreadsheets_write_them(tmp_path: Path) -> None:
    """Issue 16 item 4: 5,837 and ５８３７ are numbers."""
    _, gdfs = chinese_frames(n_comm=4)
    frame = pd.DataFrame(gdfs["communities"].drop(columns="geometry"))
    frame.insert(1, "经度", gdfs["communities"].geometry.x)
    frame.insert(2, "纬度", gdfs["communities"].geometry.y)
    frame["常住人口"] = ["5,837", "５８３７", " 12,345.5 ", "1200"]
    path = tmp_path / "小区.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    doc = instance_from_layers(path, gdfs["sites"], gdfs["existing"], template=DEMO,
                               options={"communities": LayerOptions(encoding="gbk",
                                                                    crs=CRS_WGS84)})
    assert [c["population"] for c in doc["communities"]] == [5837, 5837, 12345.5, 1200]


def test_blank_cells_say_empty_and_the_count_is_exact() -> None:
    """Issue 16 item 4: 'empty', not np.float64(nan); '210 problems', grouped per rule."""
    _, gdfs = chinese_frames(n_comm=40)
    comm = pd.concat([gdfs["communities"]] * 6, ignore_index=True)
    comm["编号"] = [f"C{i:04d}" for i in range(len(comm))]
    comm["常住人口"] = comm["常住人口"].astype(float)
    comm.loc[:204, "常住人口"] = np.nan
    comm["老年人口"] = comm["老年人口"].astype(object)
    comm.loc[205:209, "老年人口"] = "很多"
    with pytest.raises(InstanceError) as info:
        instance_from_layers(comm, gdfs["sites"], gdfs["existing"], template=DEMO)
    text = str(info.value)
    assert text.startswith("invalid instance: 210 problems")
    assert "communities.常住人口 (id 'C0000'): population is empty, not a number" in text
    assert "and 195 more records like this" in text
    assert "elderly is '很多', not a number" in text
    assert "nan" not in text.lower()
    assert info.value.total == 210 and len(info.value.problems) == 16


def test_name_comes_from_the_caller_not_the_template() -> None:
    """Issue 16 item 12: the template names another instance."""
    _, gdfs = chinese_frames(n_comm=4, n_site=4, n_exist=4)
    doc = instance_from_layers(gdfs["communities"], gdfs["sites"], gdfs["existing"],
                               template=DEMO)
    assert doc["name"] == "instance"
    assert instance_from_layers(gdfs["communities"], template=DEMO, name="青秀区")["name"] == \
        "青秀区"


# --------------------------------------------------------------------------- geodesy


def test_one_copy_of_the_earth_radius() -> None:
    """Issue 11 item 3: the radius lives in geodesy.py (the verifier and datasets keep theirs)."""
    src = Path(__file__).resolve().parents[1] / "src" / "sitecircle"
    allowed = {src / "geodesy.py", src / "verifier" / "geometry.py"}
    copies = [str(p.relative_to(src)) for p in src.rglob("*.py")
              if p not in allowed and "datasets" not in p.parts
              and any(r in p.read_text(encoding="utf-8")
                      for r in ("6_371", "6371", "111_320", "111320"))]
    assert copies == []


def test_geodesy_helpers() -> None:
    # a 1 km arc is a 1 km chord to a millimetre; half the circumference is the diameter
    assert chord_length(1000.0) * EARTH_RADIUS_M == pytest.approx(1000.0, abs=1e-3)
    assert chord_length(math.pi * EARTH_RADIUS_M * 1.5) == 2.0
    xy = local_metres(np.array([[108.30, 22.80], [108.31, 22.81]]))
    assert math.dist(xy[0], xy[1]) == pytest.approx(metres(108.30, 22.80, 108.31, 22.81),
                                                    rel=1e-3)
    assert metres_per_degree_lon(60.0) == pytest.approx(METRES_PER_DEGREE / 2)


# --------------------------------------------------------------------------- layers out


def test_mapped_street_label_is_kept(frames: tuple[dict[str, Any], dict[str, Any]]) -> None:
    # Issue 13: `--map communities.street=街道` keeps a label column as a community label.
    renamed = dict(frames[1])
    renamed["communities"] = frames[1]["communities"].rename(columns={"street": "街道"})
    doc = build(renamed, {"communities": LayerOptions(columns={"street": "街道"})})
    assert [c["street"] for c in doc["communities"]] == [
        c["street"] for c in frames[0]["communities"][:40]]
    # 街道 is also recognised without the mapping (instance/columns.py)
    assert build(renamed)["communities"][0]["street"] == frames[0]["communities"][0]["street"]


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


# ---------------------------------------------------------------------------------------------
# solution layers for a planning office: names, labels, currency, coordinates of Chinese maps


def test_layers_carry_names_labels_street_and_currency(tmp_path: Path) -> None:
    inst, sol = named_demo()
    path = write_solution_layers(inst, sol, tmp_path / "plan.gpkg")
    comm = gpd.read_file(path, layer="communities")
    assert comm.loc[0, "name"] == "竹溪小区"
    assert set(comm["街道"]) == {"新竹街道", "南湖街道"}  # the user's label column, as named
    gaps = comm[comm["missing_before"] != ""].iloc[0]
    labels = {c.id: c.label for c in inst.categories}
    assert gaps["missing_before_labels"] == "; ".join(
        labels[c] for c in gaps["missing_before"].split("; "))
    new = gpd.read_file(path, layer="new_facilities")
    site_index = {s: j for j, s in enumerate(inst.site_ids)}
    assert list(new["site_name"]) == [inst.site_names[site_index[s]] for s in new["site"]]
    assert set(new["currency"]) == {"万元"}
    shops = gpd.read_file(path, layer="existing")
    assert shops.loc[0, "name"] == "现有店0" and shops.loc[0, "category_labels"]
    sites = gpd.read_file(path, layer="candidate_sites")
    assert sites.loc[0, "name"] == "候选点0号"
    assert {"category_labels", "opened_labels", "currency"} <= set(sites.columns)


def _one_point_instance(lon: float, lat: float) -> Instance:
    return Instance.from_dict({
        "format": "sitecircle.instance/1", "name": "one", "crs": "EPSG:4326",
        "categories": [{"id": "shop", "label": "便利店", "threshold_min": 10}],
        "communities": [{"id": "C1", "name": "甲小区", "x": lon, "y": lat, "population": 100}],
        "sites": [{"id": "S1", "x": lon + 0.001, "y": lat, "categories": ["shop"],
                   "cost": {"shop": 1}}],
        "existing": [], "travel": {"mode": "straight"},
        "objective": {"type": "max_coverage", "budget": 1}})


@pytest.mark.parametrize(("system", "wgs", "want", "tol"), [
    # eviltransform's Shenzhen vector: WGS 84 → GCJ-02
    ("gcj02", (113.912316, 22.543847), (113.9171764808363, 22.540796131694766), 1e-6),
    # Beijing railway station: GCJ-02 (116.42703, 39.90245) is BD-09 (116.43351, 39.90851)
    ("bd09", gcj02_to_wgs84(116.42703, 39.90245), (116.43351, 39.90851), 2e-5),
])
def test_geo_coords_shift_layers_for_amap_and_baidu(
    tmp_path: Path, system: str, wgs: tuple[float, float], want: tuple[float, float], tol: float
) -> None:
    import pyogrio

    inst = _one_point_instance(*wgs)
    sol = sitecircle.solve(inst)
    path = write_solution_layers(inst, sol, tmp_path / "plan.gpkg", coords=system)
    comm = gpd.read_file(path, layer="communities")
    assert (comm.geometry.x[0], comm.geometry.y[0]) == pytest.approx(want, abs=tol)
    assert comm.loc[0, "coord_system"] == system
    assert pyogrio.read_info(path, layer="communities")["layer_metadata"]["coord_system"] == system
    doc = json.loads(write_solution_layers(inst, sol, tmp_path / "plan.geojson",
                                           coords=system).read_text(encoding="utf-8"))
    assert doc["coord_system"] == system
    point = next(f for f in doc["features"] if f["properties"]["layer"] == "communities")
    assert point["geometry"]["coordinates"] == pytest.approx(list(want), abs=tol)
    assert inst.community_xy[0] == pytest.approx(wgs)  # the instance stays WGS 84


def test_open_reach_equals_full_coverage_of_the_opened_sites() -> None:
    """What each new facility reaches, from the opened sites alone, equals the full coverage."""
    cases = [(demo_instance(), demo_solution())]
    for name in ("shenzhen-longgang", "helsinki-centre"):  # network mode
        inst = sitecircle.read_instance(DEMO.parents[1] / "real" / f"{name}.json")
        cases.append((inst, sitecircle.solve(inst)))
    for inst, sol in cases:
        out = outcome_from(inst, sol)
        assert len(out.open_pairs)
        full = coverage_from_instance(inst)
        n_cat = inst.n_categories
        opened = np.isin(full.site * n_cat + full.category,
                         out.open_pairs[:, 0] * n_cat + out.open_pairs[:, 1])
        want = sorted(zip(full.community[opened].tolist(), full.site[opened].tolist(),
                          full.category[opened].tolist(),
                          np.round(full.minutes[opened], 9).tolist(), strict=True))
        reach = open_reach(inst, out.open_pairs)
        got = sorted(zip(reach.community.tolist(), reach.site.tolist(), reach.category.tolist(),
                         np.round(reach.minutes, 9).tolist(), strict=True))
        assert got == want
