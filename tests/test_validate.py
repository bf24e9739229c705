"""Validation of ``sitecircle.instance/1`` documents: one test per rule, plus reading files.

Every invalid input is built by mutating :func:`base`, a small valid instance, and must raise one
:class:`~sitecircle.errors.InstanceError` whose problems name the field path, the record id where
there is one, and what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitecircle import Instance, InstanceError, read_instance
from sitecircle.errors import Problem

ROOT = Path(__file__).resolve().parents[1]
TINY = sorted((ROOT / "instances" / "tiny").glob("*.json"))
DEMO = ROOT / "instances" / "demo" / "nanning-district.json"

NAN, INF = float("nan"), float("inf")


def base() -> dict[str, Any]:
    """A small valid instance: 2 categories, 3 communities, 2 sites, 1 existing, EPSG:4326."""
    return {
        "format": "sitecircle.instance/1",
        "name": "base",
        "crs": "EPSG:4326",
        "categories": [
            {"id": "shop", "label": "便利店", "threshold_min": 10},
            {"id": "canteen", "label": "长者食堂", "demand": "elderly", "weight": 2.0},
        ],
        "communities": [
            {"id": "C1", "x": 108.300, "y": 22.800, "population": 1200, "elderly": 150},
            {"id": "C2", "x": 108.310, "y": 22.810, "population": 800, "elderly": 90},
            {"id": "C3", "x": 108.320, "y": 22.800, "population": 1500, "elderly": 300},
        ],
        "sites": [
            {"id": "S1", "x": 108.305, "y": 22.805, "categories": ["shop", "canteen"],
             "cost": {"shop": 30, "canteen": 80}, "open_cost": 10, "max_categories": 2},
            {"id": "S2", "x": 108.315, "y": 22.805, "cost": 40},
        ],
        "existing": [{"id": "E1", "x": 108.302, "y": 22.801, "categories": ["shop"]}],
        "travel": {"mode": "straight", "speed_m_per_min": 66.7, "detour": 1.25},
        "objective": {"type": "max_coverage", "budget": 200, "max_new": {"canteen": 1}},
    }


def problems_of(data: Any, **kwargs: Any) -> list[Problem]:
    """The problems of an instance that must be invalid."""
    with pytest.raises(InstanceError) as info:
        Instance.from_dict(data, **kwargs)
    return info.value.problems


def _listing(problems: list[Problem]) -> str:
    return "\n".join(f"  {p.field!r} (id {p.record!r}): {p.message}" for p in problems)


def find(problems: list[Problem], field: str, fragment: str, record: str | None = None) -> Problem:
    """The problem at ``field`` for ``record`` whose message contains ``fragment``."""
    hits = [p for p in problems if p.field == field and p.record == record
            and fragment in p.message]
    assert hits, (f"no problem {field!r} (id {record!r}) containing {fragment!r}; got:\n"
                  + _listing(problems))
    return hits[0]


def expect(
    data: Any, field: str, fragment: str, record: str | None = None, *, alone: bool = True,
    **kwargs: Any,
) -> list[Problem]:
    """Assert ``data`` is invalid with that problem (and, by default, only that one)."""
    problems = problems_of(data, **kwargs)
    find(problems, field, fragment, record)
    if alone:
        assert len(problems) == 1, "expected exactly one problem; got:\n" + _listing(problems)
    return problems


def with_(mutate: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """A fresh :func:`base` changed by ``mutate``."""
    data = base()
    mutate(data)
    return data


def write_instance(folder: Path, data: Any, name: str = "inst.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the valid base


def test_base_is_valid() -> None:
    inst = Instance.from_dict(base())
    assert inst.warnings == ()
    assert inst.category_ids == ("shop", "canteen")
    assert inst.facility_ids == ("S1", "S2", "E1")
    assert inst.site_cost.tolist() == [[30.0, 80.0], [40.0, 40.0]]


# --------------------------------------------------------------------------- document level


@pytest.mark.parametrize("document", [[], "instance", None, 3, [base()]],
                         ids=["list", "string", "null", "number", "wrapped"])
def test_document_must_be_an_object(document: Any) -> None:
    expect(document, "(document)", "must be a JSON object")


@pytest.mark.parametrize("value", [None, "sitecircle.instance/2", "sitecircle.instance", 1],
                         ids=["missing", "version-2", "no-version", "number"])
def test_format_must_be_instance_1(value: Any) -> None:
    data = base()
    if value is None:
        del data["format"]
    else:
        data["format"] = value
    expect(data, "format", "must be 'sitecircle.instance/1'")


@pytest.mark.parametrize("value", [3, ["a"], None])
def test_name_must_be_a_string(value: Any) -> None:
    expect(with_(lambda d: d.update(name=value)), "name", "must be a string")


@pytest.mark.parametrize(("crs", "fragment"), [
    (4326, "must be a CRS string"),
    ("", "must be a CRS string"),
    ("EPSG:999999", "unknown coordinate reference system"),
    ("not a crs at all", "unknown coordinate reference system"),
], ids=["number", "empty", "unknown-code", "garbage"])
def test_crs_must_be_known(crs: Any, fragment: str) -> None:
    expect(with_(lambda d: d.update(crs=crs)), "crs", fragment)


def test_projected_crs_must_be_in_metres() -> None:
    # EPSG:2227 (California zone 3) is in US survey feet; coordinates are not range-checked.
    problems = expect(with_(lambda d: d.update(crs="EPSG:2227")), "crs", "needs metres")
    assert "foot" in problems[0].message


# --------------------------------------------------------------------------- categories


@pytest.mark.parametrize(("value", "fragment"), [
    (None, "missing"), ([], "must not be empty"), ({}, "must be a list"),
    ("shop", "must be a list"),
], ids=["missing", "empty", "object", "string"])
def test_categories_must_be_a_nonempty_list(value: Any, fragment: str) -> None:
    data = base()
    data["sites"] = []
    data["existing"] = []
    data["objective"] = {}
    if value is None:
        del data["categories"]
    else:
        data["categories"] = value
    expect(data, "categories", fragment)


@pytest.mark.parametrize("record", [3, None, ["shop"]])
def test_category_record_must_be_an_object(record: Any) -> None:
    data = base()
    data["categories"].append(record)
    expect(data, "categories[2]", "must be an object")


def test_category_string_must_be_a_catalogue_id() -> None:
    data = base()
    data["categories"].append("shop")
    expect(data, "categories[2]", "not a catalogue id")


@pytest.mark.parametrize(("value", "fragment"), [
    (None, "missing"), ("", "non-empty string"), ("   ", "non-empty string"),
    (["shop"], "non-empty string"), (True, "non-empty string"),
], ids=["missing", "empty", "blank", "list", "bool"])
def test_category_id_required(value: Any, fragment: str) -> None:
    data = base()
    data["categories"].append({"id": value} if value is not None else {"label": "x"})
    expect(data, "categories[2].id", fragment)


def test_category_id_unique() -> None:
    data = base()
    data["categories"].append({"id": "shop", "threshold_min": 5})
    expect(data, "categories[2].id", "duplicate category id", "shop")


@pytest.mark.parametrize(("value", "fragment"), [
    (-1, "must be >= 0, got -1"),
    ("10", "must be a number, got string '10'"),
    ("NaN", "must be a number, got string 'NaN'"),
    (NAN, "must be a finite number"),
    (INF, "must be a finite number"),
    (-INF, "must be a finite number"),
    (None, "must be a number, got null"),
    (True, "must be a number, got bool"),
    (10**400, "too large"),
], ids=["negative", "string", "string-NaN", "nan", "inf", "-inf", "null", "bool", "huge-int"])
def test_threshold_min_must_be_finite_non_negative(value: Any, fragment: str) -> None:
    data = base()
    data["categories"][0]["threshold_min"] = value
    expect(data, "categories[0].threshold_min", fragment, "shop")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_threshold_min_non_finite_json_literals(tmp_path: Path, literal: str) -> None:
    # Python's json accepts these non-standard literals; validation must still refuse them.
    text = json.dumps(base()).replace('"threshold_min": 10', f'"threshold_min": {literal}')
    path = tmp_path / "inst.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceError) as info:
        read_instance(path)
    find(info.value.problems, "categories[0].threshold_min", "finite", "shop")
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(("value", "fragment"), [
    (-1, "must be >= 0"), ("2", "must be a number"), (NAN, "finite"),
])
def test_weight_must_be_non_negative(value: Any, fragment: str) -> None:
    data = base()
    data["categories"][1]["weight"] = value
    expect(data, "categories[1].weight", fragment, "canteen")


@pytest.mark.parametrize("value", ["yes", 1, 0, None, "true"])
def test_required_must_be_bool(value: Any) -> None:
    data = base()
    data["categories"][1]["required"] = value
    expect(data, "categories[1].required", "must be true or false", "canteen")


@pytest.mark.parametrize("value", [3, "", None, ["elderly"]])
def test_demand_must_name_a_field(value: Any) -> None:
    data = base()
    data["categories"][1]["demand"] = value
    expect(data, "categories[1].demand", "must name a community field", "canteen")


def test_label_must_be_a_string() -> None:
    data = base()
    data["categories"][0]["label"] = 7
    expect(data, "categories[0].label", "must be a string", "shop")


def test_demand_field_missing_in_a_community_is_an_error_not_zero() -> None:
    data = base()
    del data["communities"][1]["elderly"]
    problems = expect(data, "communities[1].elderly", "needed as demand of canteen", "C2")
    assert "not zero" in problems[0].message


def test_demand_field_missing_everywhere_names_the_category() -> None:
    data = base()
    data["categories"].append({"id": "nursery", "demand": "children"})
    data["sites"][0]["cost"]["nursery"] = 5
    data["sites"][0]["categories"].append("nursery")
    problems = problems_of(data)
    assert len(problems) == 3
    for n, cid in enumerate(["C1", "C2", "C3"]):
        find(problems, f"communities[{n}].children", "needed as demand of nursery", cid)


# --------------------------------------------------------------------------- communities


@pytest.mark.parametrize(("value", "fragment"), [
    (None, "missing"), ([], "must not be empty"), ({"C1": {}}, "must be a list"),
], ids=["missing", "empty", "object"])
def test_communities_must_be_a_nonempty_list(value: Any, fragment: str) -> None:
    data = base()
    data["travel"] = {}
    if value is None:
        del data["communities"]
    else:
        data["communities"] = value
    expect(data, "communities", fragment)


def test_community_record_must_be_an_object() -> None:
    data = base()
    data["communities"].append(["C4", 108.3, 22.8, 100])
    expect(data, "communities[3]", "must be an object")


def test_community_id_required() -> None:
    data = base()
    del data["communities"][2]["id"]
    expect(data, "communities[2].id", "missing")


def test_community_id_unique() -> None:
    data = base()
    data["communities"][2]["id"] = "C1"
    expect(data, "communities[2].id", "duplicate community id", "C1")


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("x", "108.3", "must be a number, got string '108.3'"),
    ("y", None, "must be a number, got null"),
    ("x", [108.3], "must be a number, got list"),
    ("y", NAN, "must be a finite number"),
    ("x", True, "must be a number, got bool"),
])
def test_coordinates_must_be_numbers(key: str, value: Any, fragment: str) -> None:
    data = base()
    data["communities"][1][key] = value
    expect(data, f"communities[1].{key}", fragment, "C2")


@pytest.mark.parametrize("where", ["communities", "sites", "existing"])
def test_latitude_out_of_range_hints_swapped_xy(where: str) -> None:
    data = base()
    rec = data[where][0]
    rec["x"], rec["y"] = rec["y"], rec["x"]
    problems = expect(data, f"{where}[0].y", "outside [-90, 90]", rec["id"])
    assert "swapped" in problems[0].message


def test_longitude_out_of_range() -> None:
    data = base()
    data["communities"][0]["x"] = 400.0
    expect(data, "communities[0].x", "longitude 400.0 is outside", "C1")


def test_longitude_200_is_out_of_range() -> None:
    """Issue 16 item 21: longitude was only checked against 360."""
    data = base()
    data["sites"][1]["x"] = 200.0
    expect(data, "sites[1].x", "longitude 200.0 is outside [-180, 180]", "S2")


def test_existing_without_category_is_a_warning() -> None:
    """Issue 16 item 3: a shop listing no category serves nothing; say so."""
    data = base()
    data["existing"][0]["categories"] = []
    data["sites"][1]["categories"] = []
    data["sites"][1]["cost"] = {}
    warnings = Instance.from_dict(data).warnings
    assert any(w.startswith("existing[0] (id 'E1'): lists no category, so it serves nothing")
               for w in warnings), warnings
    assert any(w.startswith("sites[1] (id 'S2'): lists no category") for w in warnings)


def test_record_far_outside_the_rest_is_a_warning() -> None:
    """Issue 16 item 3: a candidate 975 km away is named (robust to the outlier itself)."""
    data = base()
    assert Instance.from_dict(data).warnings == ()
    data["sites"][1]["x"] = 108.315 + 975 / 102.6  # about 102.6 km per degree at 22.8°
    (warning,) = Instance.from_dict(data).warnings
    assert warning.startswith("sites[1] (id 'S2') lies 97")
    assert "check its coordinates" in warning
    projected = base()
    projected["crs"] = "EPSG:32649"
    for n, rec in enumerate(projected["communities"] + projected["sites"] + projected["existing"]):
        rec["x"], rec["y"] = 500_000 + 300 * n, 2_500_000 + 200 * (n % 3)
    projected["communities"][2]["x"] = 5_000_000
    (warning,) = Instance.from_dict(projected).warnings
    assert warning.startswith("communities[2] (id 'C3') lies 4,49")


def test_projected_crs_has_no_degree_range() -> None:
    data = base()
    data["crs"] = "EPSG:3857"
    for rec in data["communities"] + data["sites"] + data["existing"]:
        rec["x"], rec["y"] = rec["x"] * 1e5, rec["y"] * 1e5
    inst = Instance.from_dict(data)
    assert not inst.geographic


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("population", -1, "must be >= 0, got -1"),
    ("population", "1200", "must be a number, got string '1200'"),
    ("population", True, "must be a number, got bool"),
    ("population", None, "must be a number, got null"),
    ("population", NAN, "finite"),
    ("population", 10**400, "too large"),
    ("elderly", -5, "must be >= 0"),
], ids=["negative", "string", "bool", "null", "nan", "huge-int", "elderly-negative"])
def test_demand_values_must_be_non_negative_numbers(field: str, value: Any, fragment: str) -> None:
    data = base()
    data["communities"][2][field] = value
    expect(data, f"communities[2].{field}", fragment, "C3")


def test_population_required_even_without_a_category_using_it() -> None:
    data = base()
    data["categories"][0]["demand"] = "elderly"
    del data["communities"][0]["population"]
    problems = expect(data, "communities[0].population", "missing", "C1")
    assert "complete basket" in problems[0].message


# --------------------------------------------------------------------------- sites


def test_site_unknown_category_with_suggestion() -> None:
    data = base()
    data["sites"][0]["categories"] = ["shop", "canten"]
    data["sites"][0]["cost"] = 5
    problems = expect(data, "sites[0].categories", "unknown category 'canten'", "S1")
    assert "did you mean 'canteen'?" in problems[0].message


def test_site_category_listed_twice() -> None:
    data = base()
    data["sites"][0]["categories"] = ["shop", "canteen", "shop"]
    expect(data, "sites[0].categories", "category 'shop' listed twice", "S1")


@pytest.mark.parametrize("value", ["shop", [1, 2], {"shop": True}, None])
def test_site_categories_must_be_a_list_of_ids(value: Any) -> None:
    data = base()
    data["sites"][1]["categories"] = value
    expect(data, "sites[1].categories", "must be a list of category ids", "S2")


def test_site_cost_object_must_cover_every_hosted_category() -> None:
    data = base()
    del data["sites"][0]["cost"]["canteen"]
    expect(data, "sites[0].cost", "no cost for category 'canteen'", "S1")


def test_site_cost_object_needed_for_all_categories_by_default() -> None:
    # A site without "categories" may host every category, so its cost object needs them all.
    data = base()
    data["sites"][1]["cost"] = {"shop": 10}
    expect(data, "sites[1].cost", "no cost for category 'canteen'", "S2")


@pytest.mark.parametrize(("site", "field", "value"), [
    (0, "sites[0].cost.shop", -1), (1, "sites[1].cost", -1), (1, "sites[1].cost", "40"),
    (0, "sites[0].cost.canteen", NAN),
], ids=["per-category", "single-number", "string", "nan"])
def test_site_cost_must_be_non_negative(site: int, field: str, value: Any) -> None:
    data = base()
    if field.endswith("cost"):
        data["sites"][site]["cost"] = value
    else:
        data["sites"][site]["cost"][field.rsplit(".", 1)[1]] = value
    fragment = "must be a number" if isinstance(value, str) else "must be"
    expect(data, field, fragment, data["sites"][site]["id"])


def test_site_cost_for_unknown_category() -> None:
    data = base()
    data["sites"][0]["cost"]["bakery"] = 3
    expect(data, "sites[0].cost.bakery", "unknown category 'bakery'", "S1")


def test_site_cost_for_category_not_hosted_is_a_warning() -> None:
    data = base()
    data["sites"][0]["categories"] = ["shop"]
    inst = Instance.from_dict(data)
    assert len(inst.warnings) == 1
    assert "sites[0].cost.canteen" in inst.warnings[0] and "'S1'" in inst.warnings[0]
    assert inst.site_cost[0].tolist() == [30.0, 0.0]


@pytest.mark.parametrize(("value", "fragment"), [
    (-1, "must be >= 0"), ("10", "must be a number"), (INF, "finite"),
])
def test_open_cost_must_be_non_negative(value: Any, fragment: str) -> None:
    data = base()
    data["sites"][1]["open_cost"] = value
    expect(data, "sites[1].open_cost", fragment, "S2")


@pytest.mark.parametrize(("value", "fragment"), [
    (1.5, "must be a whole number, got 1.5"), (-1, "must be >= 0"), ("2", "must be a number"),
    (True, "must be a number"),
], ids=["fractional", "negative", "string", "bool"])
def test_max_categories_must_be_a_whole_non_negative_number(value: Any, fragment: str) -> None:
    data = base()
    data["sites"][0]["max_categories"] = value
    expect(data, "sites[0].max_categories", fragment, "S1")


@pytest.mark.parametrize("where", ["communities", "sites", "existing"])
def test_record_id_required(where: str) -> None:
    data = base()
    del data[where][0]["id"]
    expect(data, f"{where}[0].id", "missing: every record needs a unique string id")


def test_site_id_unique() -> None:
    data = base()
    data["sites"][1]["id"] = "S1"
    expect(data, "sites[1].id", "duplicate site id", "S1")


def test_existing_id_unique() -> None:
    data = base()
    data["existing"].append({"id": "E1", "x": 108.31, "y": 22.80, "categories": ["canteen"]})
    expect(data, "existing[1].id", "duplicate id", "E1")


def test_ids_unique_across_sites_and_existing() -> None:
    data = base()
    data["existing"][0]["id"] = "S2"
    expect(data, "existing", "unique across sites and existing", "S2")


def test_existing_needs_categories() -> None:
    data = base()
    del data["existing"][0]["categories"]
    expect(data, "existing[0].categories", "missing: list the categories it provides", "E1")


def test_existing_unknown_category() -> None:
    data = base()
    data["existing"][0]["categories"] = ["shops"]
    problems = expect(data, "existing[0].categories", "unknown category 'shops'", "E1")
    assert "did you mean 'shop'?" in problems[0].message


# --------------------------------------------------------------------------- travel


@pytest.mark.parametrize("value", [[], "straight", 3, True])
def test_travel_must_be_an_object(value: Any) -> None:
    expect(with_(lambda d: d.update(travel=value)), "travel", "must be an object")


@pytest.mark.parametrize("mode", ["bike", "Straight", ["straight"], {"mode": "x"}, 3, None],
                         ids=["bike", "capitalised", "list", "object", "number", "null"])
def test_travel_mode_must_be_known(mode: Any) -> None:
    data = base()
    data["travel"] = {"mode": mode}
    expect(data, "travel.mode", "unknown mode")


@pytest.mark.parametrize(("travel", "field", "suggestion"), [
    ({"mode": "straight", "detuor": 1.2}, "travel.detuor", "did you mean 'detour'?"),
    ({"speed": 60}, "travel.speed", "known: detour, mode, speed_m_per_min"),
    ({"mode": "matrix", "times": [], "speed_m_per_min": 60}, "travel.speed_m_per_min", "known:"),
], ids=["detuor", "speed", "speed-in-matrix-mode"])
def test_travel_unknown_key_is_an_error(travel: dict[str, Any], field: str,
                                        suggestion: str) -> None:
    data = base()
    data["travel"] = travel
    problems = expect(data, field, "unknown field")
    assert suggestion in problems[0].message


@pytest.mark.parametrize(("value", "fragment"), [
    (0, "must be > 0"), (-66.7, "must be > 0"), ("fast", "must be a number"), (INF, "finite"),
])
def test_travel_speed_must_be_positive(value: Any, fragment: str) -> None:
    data = base()
    data["travel"]["speed_m_per_min"] = value
    expect(data, "travel.speed_m_per_min", fragment)


@pytest.mark.parametrize("value", [0, -1.25])
def test_travel_detour_must_be_positive(value: float) -> None:
    data = base()
    data["travel"]["detour"] = value
    expect(data, "travel.detour", "must be > 0")


def test_travel_detour_below_one_is_a_warning() -> None:
    data = base()
    data["travel"]["detour"] = 0.9
    inst = Instance.from_dict(data)
    assert any("travel.detour" in w for w in inst.warnings)


# --------------------------------------------------------------------------- matrix mode


def matrix(times: Any) -> dict[str, Any]:
    data = base()
    data["travel"] = {"mode": "matrix", "times": times}
    return data


@pytest.mark.parametrize("travel", [
    {"mode": "matrix"}, {"mode": "matrix", "times": [], "file": "od.csv"},
], ids=["neither", "both"])
def test_matrix_needs_exactly_one_of_times_or_file(travel: dict[str, Any]) -> None:
    data = base()
    data["travel"] = travel
    expect(data, "travel", "exactly one of 'times'")


@pytest.mark.parametrize("times", ["C1,S1,3", {"C1": {"S1": 3}}, None])
def test_matrix_times_must_be_a_list(times: Any) -> None:
    expect(matrix(times), "travel.times", "must be a list of [from, to, minutes]")


def test_matrix_malformed_triples_keep_their_index() -> None:
    problems = problems_of(matrix([["C1", "S1"], "C1,S1,3", ["C1", "S1", 3, 4],
                                   ["CX", "S1", 2], ["C2", "S2", 4]]))
    for n in range(3):
        find(problems, f"travel.times[{n}]", "must be [from, to, minutes]")
    # The bad 'from' is reported at its own index, not at its position among good rows.
    find(problems, "travel.times[3]", "'from' 'CX' is not a community id")
    assert len(problems) == 4


@pytest.mark.parametrize("source", ["CX", "S1", 7, None], ids=["unknown", "site", "int", "null"])
def test_matrix_from_must_be_a_community(source: Any) -> None:
    expect(matrix([["C1", "S1", 3], [source, "S2", 4]]), "travel.times[1]",
           f"'from' {source!r} is not a community id")


@pytest.mark.parametrize("target", ["SX", "C2", None], ids=["unknown", "community", "null"])
def test_matrix_to_must_be_a_site_or_existing(target: Any) -> None:
    expect(matrix([["C1", target, 3]]), "travel.times[0]",
           f"'to' {target!r} is not a site or existing facility id")


@pytest.mark.parametrize(("minutes", "fragment"), [
    (-1, "finite and >= 0, got -1"), (NAN, "finite and >= 0"), (INF, "finite and >= 0"),
    (10**400, "finite and >= 0"), ("5", "must be a number, got '5'"),
    (None, "must be a number"), (True, "must be a number"),
], ids=["negative", "nan", "inf", "huge-int", "string", "null", "bool"])
def test_matrix_minutes_must_be_finite_non_negative(minutes: Any, fragment: str) -> None:
    """The pair is named by its ids (issue 16 item 5), not only by its index."""
    problems = expect(matrix([["C1", "S1", 3], ["C2", "E1", minutes]]), "travel.times[1]",
                      fragment, "C2 → E1")
    assert "travel.times[1] (id 'C2 → E1')" in str(InstanceError(problems))


def test_matrix_duplicate_pair_with_conflicting_minutes() -> None:
    expect(matrix([["C1", "S1", 5], ["C2", "S1", 1], ["C1", "S1", 6]]), "travel.times",
           "pair ('C1', 'S1') is listed twice with different minutes (5 and 6)")


def test_matrix_identical_duplicate_is_fine() -> None:
    inst = Instance.from_dict(matrix([["C1", "S1", 5], ["C1", "S1", 5], ["C3", "E1", 0]]))
    assert inst.warnings == ()
    assert inst.travel.matrix_from.tolist() == [0, 2]
    assert inst.travel.matrix_to.tolist() == [0, 2]
    assert inst.travel.matrix_minutes.tolist() == [5.0, 0.0]


def matrix_file(tmp_path: Path, csv_text: str | bytes | None, file: str = "od.csv") -> Path:
    """Write an instance in matrix mode reading ``file`` (and the CSV, unless None)."""
    data = base()
    data["travel"] = {"mode": "matrix", "file": file}
    if isinstance(csv_text, bytes):
        (tmp_path / file).write_bytes(csv_text)
    elif csv_text is not None:
        (tmp_path / file).write_text(csv_text, encoding="utf-8")
    return write_instance(tmp_path, data)


def read_problems(path: Path) -> list[Problem]:
    with pytest.raises(InstanceError) as info:
        read_instance(path)
    return info.value.problems


def test_matrix_csv_relative_to_instance_file(tmp_path: Path) -> None:
    # BOM, CRLF, spaces around values and a trailing blank line are all fine.
    text = "\ufefffrom, to ,minutes\r\nC1, S1 ,3\r\n\"C2\",E1,4.5\r\nC3,S2,0\r\n\r\n"
    inst = read_instance(matrix_file(tmp_path, text))
    assert inst.travel.matrix_from.tolist() == [0, 1, 2]
    assert inst.travel.matrix_to.tolist() == [0, 2, 1]
    assert inst.travel.matrix_minutes.tolist() == [3.0, 4.5, 0.0]
    assert inst.travel.file == tmp_path.resolve() / "od.csv"


def test_matrix_csv_missing(tmp_path: Path) -> None:
    problems = read_problems(matrix_file(tmp_path, None, "nope.csv"))
    assert [p.field for p in problems] == ["travel.file"]
    assert "file not found" in problems[0].message and "nope.csv" in problems[0].message


@pytest.mark.parametrize(("text", "fragment"), [
    ("origin,destination,min\nC1,S1,3\n", "missing from, minutes, to"),
    ("from,to,time\nC1,S1,3\n", "missing minutes"),
    ("C1,S1,3\n", "header must be from,to,minutes"),
    ("", "header must be from,to,minutes"),
    (b"from,to,minutes\nC\xff1,S1,3\n", "cannot read"),
], ids=["renamed", "time", "no-header", "empty", "not-utf8"])
def test_matrix_csv_needs_the_header(tmp_path: Path, text: str | bytes, fragment: str) -> None:
    problems = read_problems(matrix_file(tmp_path, text))
    assert [p.field for p in problems] == ["travel.file"]
    assert fragment in problems[0].message


def test_matrix_csv_bad_rows_report_line_numbers(tmp_path: Path) -> None:
    text = ("from,to,minutes\n"   # line 1
            "C1,S1,3\n"           # 2
            "\n"                  # 3: blank lines do not shift the numbers
            "C2,SX,4\n"           # 4
            "CX,S2,4\n"           # 5
            "C3,E1,abc\n"         # 6
            "C3,S1,-2\n"          # 7
            "C1,S2,1,9\n")        # 8
    problems = read_problems(matrix_file(tmp_path, text))
    row = "travel.file (od.csv) line"
    find(problems, f"{row} 4", "'to' 'SX' is not a site or existing facility id")
    find(problems, f"{row} 5", "'from' 'CX' is not a community id")
    find(problems, f"{row} 6", "minutes must be a number, got 'abc'", "C3 → E1")
    find(problems, f"{row} 7", "minutes must be finite and >= 0", "C3 → S1")
    find(problems, f"{row} 8", "has 4 fields but the header has 3")
    assert len(problems) == 5


def test_matrix_csv_conflicting_duplicate(tmp_path: Path) -> None:
    problems = read_problems(matrix_file(tmp_path, "from,to,minutes\nC1,S1,3\nC1,S1,4\n"))
    find(problems, "travel.file", "pair ('C1', 'S1') is listed twice with different minutes")
    assert len(problems) == 1


@pytest.mark.parametrize(("travel", "fragment"), [
    ({"mode": "network", "file": "walk.graphml"}, "file not found"),
    ({"mode": "network"}, "network mode needs 'file'"),
    ({"mode": "network", "file": 3}, "network mode needs 'file'"),
], ids=["missing-file", "no-file", "not-a-path"])
def test_network_mode_needs_an_existing_file(tmp_path: Path, travel: dict[str, Any],
                                             fragment: str) -> None:
    data = base()
    data["travel"] = travel
    problems = read_problems(write_instance(tmp_path, data))
    assert [p.field for p in problems] == ["travel.file"]
    assert fragment in problems[0].message


# --------------------------------------------------------------------------- objective


@pytest.mark.parametrize("value", [[], "max_coverage", 1])
def test_objective_must_be_an_object(value: Any) -> None:
    expect(with_(lambda d: d.update(objective=value)), "objective", "must be an object")


@pytest.mark.parametrize("kind", ["max", "maxcoverage", ["max_coverage"], None, 1])
def test_objective_type_must_be_known(kind: Any) -> None:
    data = base()
    data["objective"] = {"type": kind}
    problems = expect(data, "objective.type", "unknown objective")
    assert "max_coverage, max_complete, min_cost" in problems[0].message


@pytest.mark.parametrize(("key", "suggestion"), [
    ("budjet", "did you mean 'budget'?"), ("maxnew", "did you mean 'max_new'?"),
    ("target", "did you mean 'target_share'?"),
])
def test_objective_unknown_key_is_an_error(key: str, suggestion: str) -> None:
    data = base()
    data["objective"] = {"type": "max_coverage", key: 100}
    problems = expect(data, f"objective.{key}", "unknown field")
    assert suggestion in problems[0].message


@pytest.mark.parametrize(("value", "fragment"), [
    (-1, "must be >= 0"), ("500", "must be a number"), (NAN, "finite"), (True, "must be a number"),
])
def test_budget_must_be_non_negative(value: Any, fragment: str) -> None:
    data = base()
    data["objective"]["budget"] = value
    expect(data, "objective.budget", fragment)


@pytest.mark.parametrize(("value", "field", "fragment"), [
    (-1, "objective.max_new", "must be >= 0"),
    (2.5, "objective.max_new", "must be a whole number"),
    ("3", "objective.max_new", "must be a number"),
    ({"canteen": -1}, "objective.max_new.canteen", "must be >= 0"),
    ({"canteen": 0.5}, "objective.max_new.canteen", "must be a whole number"),
], ids=["negative", "fractional", "string", "per-category-negative", "per-category-fractional"])
def test_max_new_must_be_a_whole_non_negative_number(value: Any, field: str,
                                                     fragment: str) -> None:
    data = base()
    data["objective"]["max_new"] = value
    expect(data, field, fragment)


def test_max_new_object_with_unknown_category() -> None:
    data = base()
    data["objective"]["max_new"] = {"canteen": 1, "bakery": 2}
    expect(data, "objective.max_new.bakery", "unknown category 'bakery'")


@pytest.mark.parametrize(("value", "fragment"), [
    (1.5, "must be <= 1"), (-0.1, "must be >= 0"), ("all", "must be a number"), (NAN, "finite"),
])
def test_target_share_must_be_a_share(value: Any, fragment: str) -> None:
    data = base()
    data["objective"] = {"type": "min_cost", "target_share": value}
    expect(data, "objective.target_share", fragment)


@pytest.mark.parametrize("kind", ["max_coverage", "max_complete", None])
def test_target_share_only_with_min_cost(kind: str | None) -> None:
    data = base()
    data["objective"] = {"target_share": 0.8} if kind is None else {"type": kind,
                                                                     "target_share": 0.8}
    expect(data, "objective.target_share", "only applies to 'min_cost'")


# --------------------------------------------------------------------------- reporting


def test_every_problem_is_reported_at_once() -> None:
    data = base()
    data["format"] = "sitecircle.instance/2"
    data["categories"][0]["threshold_min"] = -5
    data["communities"][1]["population"] = "lots"
    data["sites"][0]["cost"]["canteen"] = -80
    data["objective"]["budjet"] = data["objective"].pop("budget")
    with pytest.raises(InstanceError) as info:
        Instance.from_dict(data)
    problems = info.value.problems
    assert len(problems) == 5, _listing(problems)
    find(problems, "format", "must be 'sitecircle.instance/1'")
    find(problems, "categories[0].threshold_min", "must be >= 0", "shop")
    find(problems, "communities[1].population", "must be a number", "C2")
    find(problems, "sites[0].cost.canteen", "must be >= 0", "S1")
    find(problems, "objective.budjet", "did you mean 'budget'?")
    text = str(info.value)
    assert text.startswith("invalid instance: 5 problems")
    assert "communities[1].population (id 'C2')" in text


def _hundred_communities(population: Callable[[int], Any]) -> dict[str, Any]:
    data = base()
    data["communities"] = [
        {"id": f"C{i:03d}", "x": 108.3 + i * 1e-4, "y": 22.8, "population": population(i),
         "elderly": 10}
        for i in range(100)
    ]
    return data


@pytest.mark.parametrize("population", [lambda i: -1, lambda i: -1 - i, lambda i: f"{i} ppl"],
                         ids=["same-value", "different-values", "strings"])
def test_a_broken_column_is_summarised(population: Callable[[int], Any]) -> None:
    data = _hundred_communities(population)
    data["format"] = "wrong"  # an unrelated problem is still listed on its own
    problems = problems_of(data)
    column = [p for p in problems if p.field.endswith(".population")]
    assert len(column) <= 11, _listing(problems)
    assert [p.record for p in column[:10]] == [f"C{i:03d}" for i in range(10)]
    assert column[-1].field == "communities[*].population"
    assert "and 90 more" in column[-1].message
    find(problems, "format", "must be 'sitecircle.instance/1'")
    assert len(problems) == len(column) + 1
    with pytest.raises(InstanceError) as info:  # the count is exact (issue 16 item 4)
        Instance.from_dict(data)
    assert str(info.value).startswith("invalid instance: 101 problems\n")


def test_many_bad_matrix_rows_are_summarised() -> None:
    problems = problems_of(matrix([[f"X{i}", "S1", 1] for i in range(40)]))
    assert len(problems) == 11
    assert problems[-1].field == "travel.times[*]"
    assert "and 30 more" in problems[-1].message


def test_problem_to_dict_and_str() -> None:
    data = base()
    data["communities"][0]["population"] = -1
    (problem,) = problems_of(data)
    assert problem.to_dict() == {"field": "communities[0].population", "record": "C1",
                                 "message": "must be >= 0, got -1"}
    assert str(problem) == "communities[0].population (id 'C1'): must be >= 0, got -1"


def test_unknown_fields_outside_travel_and_objective_are_warnings() -> None:
    data = base()
    data["sites"][0]["colour"] = "red"
    data["sites"][1]["catgories"] = ["shop"]
    data["categories"][0]["colour"] = "blue"
    data["existing"][0]["opened"] = 2019
    data["author"] = "me"
    inst = Instance.from_dict(data)
    assert len(inst.warnings) == 5
    joined = "\n".join(inst.warnings)
    assert "sites[0].colour (id 'S1')" in joined
    assert "sites[1].catgories (id 'S2')" in joined and "did you mean 'categories'?" in joined
    assert "categories[0].colour (id 'shop')" in joined
    assert "existing[0].opened (id 'E1')" in joined
    assert "(document).author" in joined
    # The misspelt "catgories" is ignored: the site hosts every category.
    assert inst.site_hosts[1].all()


@pytest.mark.parametrize("path", [*TINY, DEMO], ids=lambda p: p.stem)
def test_shipped_instances_are_valid_without_warnings(path: Path) -> None:
    inst = read_instance(path)
    assert inst.warnings == ()
    assert inst.source == path
    assert inst.n_communities >= 1 and inst.n_categories >= 1


def test_shipped_instances_exist() -> None:
    assert len(TINY) >= 10 and DEMO.is_file()


# --------------------------------------------------------------------------- defaults


def test_defaults(tmp_path: Path) -> None:
    data = {
        "format": "sitecircle.instance/1",
        "categories": [{"id": "shop"}, {"id": "canteen", "demand": "elderly"}],
        "communities": [{"id": "C1", "x": 108.3, "y": 22.8, "population": 10, "elderly": 2}],
        "sites": [{"id": "S1", "x": 108.301, "y": 22.8}],
    }
    inst = read_instance(write_instance(tmp_path, data, "my-district.json"))
    assert inst.name == "my-district"
    assert inst.crs == "EPSG:4326" and inst.geographic
    shop, canteen = inst.categories
    assert (shop.threshold_min, shop.weight, shop.demand, shop.required, shop.label) == (
        15.0, 1.0, "population", True, "shop")
    assert (canteen.threshold_min, canteen.weight, canteen.demand, canteen.required) == (
        15.0, 1.0, "elderly", True)
    assert inst.site_hosts.tolist() == [[True, True]]
    assert inst.site_cost.tolist() == [[1.0, 1.0]]
    assert inst.site_open_cost.tolist() == [0.0]
    assert inst.site_max_categories.tolist() == [2]
    assert inst.n_existing == 0
    assert inst.travel.mode == "straight"
    assert math.isclose(inst.travel.speed_m_per_min, 66.7)
    assert math.isclose(inst.travel.detour, 1.25)
    obj = inst.objective
    assert (obj.type, obj.budget, obj.max_new_total, obj.max_new_per_category,
            obj.target_share) == ("max_coverage", None, None, None, 1.0)
    assert inst.warnings == ()


def test_name_in_file_wins_over_file_stem(tmp_path: Path) -> None:
    assert read_instance(write_instance(tmp_path, base(), "other.json")).name == "base"


def test_from_dict_without_name_or_file() -> None:
    data = base()
    del data["name"]
    assert Instance.from_dict(data).name == "instance"
    assert Instance.from_dict(data, name="given").name == "given"


def test_empty_sites_and_null_optional_blocks_are_fine() -> None:
    data = base()
    data["sites"] = []
    data["existing"] = None
    data["travel"] = None
    data["objective"] = {"type": "max_complete", "budget": None, "max_new": None}
    inst = Instance.from_dict(data)
    assert inst.n_sites == 0 and inst.n_existing == 0
    assert inst.objective.budget is None and inst.objective.max_new_total is None


def test_values_are_converted() -> None:
    data = base()
    data["objective"] = {"type": "min_cost", "target_share": 0.75, "budget": 100,
                         "max_new": {"canteen": 2}}
    inst = Instance.from_dict(data)
    assert inst.objective.target_share == 0.75
    assert inst.objective.budget == 100.0
    assert inst.objective.max_new_per_category.tolist() == [-1, 2]
    np.testing.assert_array_equal(inst.population, [1200.0, 800.0, 1500.0])
    np.testing.assert_array_equal(inst.demand[:, 1], [150.0, 90.0, 300.0])


# --------------------------------------------------------------------------- reading files


def _deep(text: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "inst.json"
        path.write_text(text, encoding="utf-8")
        return path
    return make


def _bytes(raw: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "inst.json"
        path.write_bytes(raw)
        return path
    return make


def _missing(folder: Path) -> Path:
    return folder / "nope.json"


def _folder(folder: Path) -> Path:
    (folder / "inst.json").mkdir()
    return folder / "inst.json"


_DUPLICATE = json.dumps(base()).replace('"population": 800', '"population": 800, "population": 8')

READ_FAILURES = [
    ("missing", _missing, "file not found"),
    ("directory", _folder, "is a folder"),
    ("zero-bytes", _bytes(b""), "file is empty"),
    ("whitespace", _bytes(b" \n\t\r\n  "), "file is empty"),
    ("not-utf8", _bytes(json.dumps(base()).replace("base", "caf\u00e9").encode("latin-1")),
     "not UTF-8"),
    ("utf16", _bytes(json.dumps(base()).encode("utf-16")), "not UTF-8"),
    ("invalid-json", _bytes(b'{\n  "format": "sitecircle.instance/1",\n  "name": ,\n}'),
     "invalid JSON at line 3, column 11"),
    ("truncated", _bytes(json.dumps(base())[:200].encode()), "invalid JSON at line 1"),
    ("trailing-garbage", _bytes(json.dumps(base()).encode() + b" }"), "invalid JSON"),
    ("duplicate-key", _bytes(_DUPLICATE.encode()),
     "key 'population' appears twice in the record with id 'C2'"),
    ("deep-lists", _deep("[" * 100000), "JSON nested too deeply"),
    ("deep-objects", _deep('{"a": ' * 100000), "JSON nested too deeply"),
    ("deep-closed", _deep("[" * 50000 + "]" * 50000), "JSON nested too deeply"),
    ("huge-integer", _deep('{"format": ' + "9" * 5000 + "}"), "invalid JSON"),
]


@pytest.mark.parametrize(("make", "fragment"), [(m, f) for _, m, f in READ_FAILURES],
                         ids=[name for name, _, _ in READ_FAILURES])
def test_read_failures_are_instance_errors(tmp_path: Path, make: Callable[[Path], Path],
                                           fragment: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InstanceError) as info:
        read_instance(path)
    problems = info.value.problems
    assert len(problems) == 1, _listing(problems)
    assert problems[0].field == str(path)
    assert fragment in problems[0].message


def test_read_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(base(), ensure_ascii=False).encode("utf-8"))
    assert read_instance(path).categories[0].label == "便利店"


def test_read_reports_validation_problems_too(tmp_path: Path) -> None:
    data = base()
    data["communities"][0]["population"] = -3
    problems = read_problems(write_instance(tmp_path, data))
    assert [(p.field, p.record) for p in problems] == [("communities[0].population", "C1")]
