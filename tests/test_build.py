"""Catalogue, ``sitecircle build``, its CLI, and the real instances solved on both backends."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import networkx as nx
import pytest

import sitecircle
from sitecircle import Instance
from sitecircle.cli.network import COMMANDS, register
from sitecircle.errors import InstanceError
from sitecircle.instance.catalog import (
    Catalog,
    expand_catalog_categories,
    format_catalog,
    load_catalog,
)
from sitecircle.instance.from_osm import BuildOptions, build_instance, write_graphml
from sitecircle.streets.read import read_network
from sitecircle.travel.join_report import network_report
from tests.conftest import INSTANCES, shared_data

REAL = sorted((INSTANCES / "real").glob("*.json"))


# ------------------------------------------------------------------------------------------------
# catalogue


def test_catalog_round_trips() -> None:
    catalog = load_catalog()
    assert len(catalog.categories) >= 15
    again = Catalog.from_dict(json.loads(json.dumps(catalog.to_dict(), ensure_ascii=False)))
    assert again == catalog
    for c in catalog.categories:
        assert c.cls in catalog.classes and set(c.sources) <= set(catalog.sources)
        assert c.threshold_min > 0 and c.zh and c.en
    assert {"basic", "quality", "elderly"} == set(catalog.classes)
    for cid in ("recycling_point", "car_wash"):  # 一收一洗 of the 2025 notice
        assert "mofcom-2025" in catalog[cid].sources
    assert all(catalog[c].required for c in ("elderly_canteen", "elderly_care"))


def test_catalog_rejects_broken_documents() -> None:
    data = load_catalog().to_dict()
    with pytest.raises(ValueError, match="format"):
        Catalog.from_dict(data | {"format": "x"})
    bad = json.loads(json.dumps(data))
    bad["categories"][0]["class"] = "luxury"
    with pytest.raises(ValueError, match="unknown class"):
        Catalog.from_dict(bad)
    with pytest.raises(KeyError, match="not in the catalogue"):
        load_catalog()["teleporter"]


@pytest.mark.parametrize(("tags", "expected"), [
    ({"shop": "convenience", "name": "7-Eleven"}, ["convenience_store"]),
    ({"craft": "shoemaker"}, ["repair_point"]),
    ({"shop": "computer_repair"}, ["repair_point"]),
    ({"amenity": "social_facility", "social_facility:for": "senior"}, ["elderly_care"]),
    ({"amenity": "social_facility", "social_facility:for": "child"}, []),
    ({"amenity": "kindergarten"}, ["childcare"]),
    ({"amenity": "parcel_locker"}, ["parcel_point"]),
    ({"shop": "dry_cleaning"}, ["laundry"]),
    ({"amenity": "recycling"}, ["recycling_point"]),
    ({"amenity": "car_wash"}, ["car_wash"]),
    ({"amenity": "bench"}, []),
])
def test_catalog_osm_tags(tags: dict[str, str], expected: list[str]) -> None:
    assert load_catalog().categories_of(tags) == expected


def test_expand_catalog_categories() -> None:
    doc = {
        "format": "sitecircle.instance/1",
        "categories": ["convenience_store",
                       {"id": "elderly_canteen", "threshold_min": 12, "catalog": True},
                       {"id": "my_own", "label": "自定义"}, {"id": "childcare"}],
        "communities": [{"id": "c", "x": 108.3, "y": 22.8, "population": 100, "elderly": 20}],
    }
    before = json.dumps(doc)
    out = expand_catalog_categories(doc)
    assert json.dumps(doc) == before  # the input is not modified
    store, canteen, own, plain = out["categories"]
    assert plain == {"id": "childcare"}  # no opt-in: FORMAT.md's defaults keep their meaning
    assert store == {"id": "convenience_store", "label": "便利店", "threshold_min": 10.0,
                     "demand": "population", "weight": 1.0, "required": True}
    assert canteen["threshold_min"] == 12 and canteen["demand"] == "elderly"
    assert canteen["weight"] == 2.0 and canteen["label"].startswith("长者食堂")
    assert own == {"id": "my_own", "label": "自定义"}
    doc["communities"][0]["children"] = 5
    instance = Instance.from_dict(doc)  # validation expands the catalogue itself
    assert instance.categories[0].threshold_min == 10.0
    assert instance.categories[1].demand == "elderly"
    assert instance.categories[3].threshold_min == 15.0
    with pytest.raises(InstanceError, match="not a catalogue id"):
        Instance.from_dict({**doc, "categories": ["no_such_service"]})
    assert expand_catalog_categories({"categories": "nonsense"}) == {"categories": "nonsense"}


# ------------------------------------------------------------------------------------------------
# command line


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args)


def test_cli_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["catalog"]) == 0
    text = capsys.readouterr().out
    assert "convenience_store" in text and "便利店" in text and "GB 50180-2018" in text
    assert text.strip() == format_catalog().strip()
    assert _run(["catalog", "--json"]) == 0
    assert Catalog.from_dict(json.loads(capsys.readouterr().out)) == load_catalog()


def test_cli_build_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    osm = tmp_path / "x.osm"
    osm.write_text('<osm version="0.6"><node id="1" lat="0" lon="0"/></osm>')
    assert _run(["build", str(osm), "--out", str(tmp_path / "x.json")]) == 2
    assert "no walkable ways" in capsys.readouterr().err
    assert _run(["build", str(osm), "--out", str(tmp_path / "x.json"), "--set",
                 '{"max_site": 3}']) == 2
    assert "unknown build options ['max_site']" in capsys.readouterr().err
    assert _run(["build", str(osm), "--out", str(tmp_path / "x.json"), "--categories",
                 "teleporter"]) == 2


# ------------------------------------------------------------------------------------------------
# build and solve


def test_write_graphml_reads_back_with_networkx(tmp_path: Path) -> None:
    g = nx.Graph(crs="EPSG:4326")
    g.add_node("1", x=114.2, y=22.7)
    g.add_node("a&<b>", x=114.21, y=22.71)
    g.add_edge("1", "a&<b>", length=1234.567)
    for name in ("g.graphml", "g.graphml.gz"):
        write_graphml(g, tmp_path / name)
        back = nx.read_graphml(tmp_path / name)
        assert back.graph["crs"] == "EPSG:4326"
        assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
        assert list(back.edges(data="length")) == [("1", "a&<b>", 1234.567)]
        assert read_network(tmp_path / name).edge_length.tolist() == [1234.567]


def test_build_and_solve_shenzhen_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             backend: tuple[str, str]) -> None:
    osm = shared_data("real", "shenzhen-longgang-osm", "shenzhen_longgang.osm")
    out = tmp_path / "sz.json"
    assert _run(["build", str(osm), "--out", str(out), "--set",
                 '{"max_sites": 40, "budget": 60}']) == 0
    printed = capsys.readouterr().out
    assert "communities" in printed and "join distance of community points" in printed
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (tmp_path / "sz.graphml").is_file() and doc["travel"]["file"] == "sz.graphml"
    assert "OpenStreetMap contributors" in doc["meta"]["attribution"]
    assert len(doc["sites"]) == 40 and len(doc["communities"]) >= 20
    assert {c for e in doc["existing"] for c in e["categories"]} == {"convenience_store",
                                                                     "childcare"}
    solution = sitecircle.solve(out, backend=backend[0])
    assert solution.status.value == "optimal" and solution.gap == 0
    assert 0 < solution.cost <= 60 + 1e-9


def test_build_from_population_csv(tmp_path: Path) -> None:
    data = shared_data("real", "sao-paulo-centre-osm-hexpop")
    pytest.importorskip("osmium")
    options = BuildOptions(categories=("convenience_store", "elderly_canteen", "childcare"),
                           site_sources=("node",), node_spacing_m=400, max_sites=30,
                           compress_network=True)
    doc = build_instance(data / "spo_osm.pbf", tmp_path / "sp.json",
                         population=data / "spo_hexgrid.csv", options=options)
    assert len(doc["communities"]) > 300 and 20 <= len(doc["sites"]) <= 30
    assert (tmp_path / "sp.graphml.gz").is_file()
    pop = sum(c["population"] for c in doc["communities"])
    assert 500_000 < pop <= 517_570  # the hexagons' total, minus any far from the network
    c0 = doc["communities"][0]
    assert c0["elderly"] == round(c0["population"] * 0.187)
    instance = sitecircle.read_instance(tmp_path / "sp.json")
    assert network_report(instance)["far_count"] == 0
    solution = sitecircle.solve(instance)
    assert solution.status.value == "optimal"


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_real_instances_solve_optimally(path: Path, backend: tuple[str, str]) -> None:
    solution = sitecircle.solve(path, backend=backend[0])
    assert solution.status.value == "optimal" and solution.gap == 0
    assert solution.objective is not None and solution.objective > 0
    attribution = (path.parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in attribution and "ODbL 1.0" in attribution


def test_real_instances_are_shipped_and_small() -> None:
    assert [p.stem for p in REAL] == ["helsinki-centre", "shenzhen-longgang"]
    for path in REAL:
        doc = json.loads(path.read_text(encoding="utf-8"))
        network = path.parent / doc["travel"]["file"]
        assert network.is_file()
        assert path.stat().st_size < 1_000_000 and network.stat().st_size < 1_000_000
