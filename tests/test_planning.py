"""Planning extensions (issue 13, FORMAT.md "Planning extensions"): approved and excluded sites,
per-category speed, equity, max_min_share, least cost for a complete basket, priorities.

Tiny instances are hand-checked; random ones are compared with the brute-force oracle of
``tests/_oracle.py`` (written apart from the model) on both backends; hypothesis checks the
properties the issue lists.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sitecircle
from sitecircle.cli.main import main
from sitecircle.errors import InstanceError, OptionsError
from tests._oracle import brute_force_stages

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def line(obj: dict[str, Any], sites: list[dict[str, Any]] | None = None,
         categories: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Four communities 1 km apart on a line, each with a site on it; a site reaches only its
    own community (10 min × 66.7 m/min / 1.25 = 534 m). Streets: N = C0 (100), C1 (50);
    S = C2 (30), C3 (20). Category ``a`` costs 1 + index, ``b`` costs 2 everywhere."""
    return {
        "format": "sitecircle.instance/1", "name": "line", "crs": "EPSG:3857",
        "categories": categories or [{"id": "a", "threshold_min": 10},
                                     {"id": "b", "threshold_min": 10}],
        "communities": [{"id": f"C{i}", "x": i * 1000.0, "y": 0.0, "population": p, "street": s}
                        for i, (p, s) in enumerate([(100, "N"), (50, "N"), (30, "S"),
                                                    (20, "S")])],
        "sites": sites if sites is not None else [
            {"id": f"S{i}", "x": i * 1000.0, "y": 0.0, "cost": {"a": 1 + i, "b": 2}}
            for i in range(4)],
        "objective": obj,
    }


def opened(sol: sitecircle.Solution) -> set[tuple[str, str]]:
    return {(o["site"], o["category"]) for o in sol.open}


BACKENDS = ["ortools", "pulp"]


# --- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("edit", "field", "words"), [
    (lambda d: d["communities"][2].pop("street"), "communities[2].street", "'C2'"),
    (lambda d: d["objective"]["equity"].update(min_share=1.2), "objective.equity.min_share",
     "<= 1"),
    (lambda d: d["objective"].update(then=[{"type": "max_covrage"}]), "objective.then[0].type",
     "max_coverage"),
    (lambda d: d["sites"][0].update(categories=["a"], fixed=["b"]), "sites[0].fixed", "'S0'"),
])
def test_bad_input_is_exit_2_naming_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, field: str, words: str,
) -> None:
    doc = line({"type": "max_complete", "equity": {"by": "street", "min_share": 0.5}})
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code = main(["solve", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert field in err and words in err
    assert "Traceback" not in err


def test_group_label_nobody_has_is_named() -> None:
    doc = line({"type": "max_min_share", "by": "district"})
    with pytest.raises(InstanceError, match="district"):
        sitecircle.Instance.from_dict(doc)


# --- approved and excluded sites, per-category speed --------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_fixed_site_opens_and_counts_in_cost(backend: str) -> None:
    # Budget 6; S3's 'a' (cost 4, reaching C3's 20 people) is approved: it must open, leaving 2.
    doc = line({"type": "max_coverage", "budget": 6})
    doc["sites"][3]["fixed"] = ["a"]
    sol = sitecircle.solve(doc, backend=backend)
    assert ("S3", "a") in opened(sol)
    assert sol.cost <= 6
    # The 2 left buy a@S0 or b@S0 (100 people either way): 20 + 100.
    assert sol.objective == pytest.approx(120.0)
    assert sol.status.value == "optimal"


def test_fixed_over_budget_is_infeasible_and_explained() -> None:
    doc = line({"type": "max_coverage", "budget": 3})
    doc["sites"][3]["fixed"] = ["a"]
    sol = sitecircle.solve(doc)
    assert sol.status.value == "infeasible"
    msg = sol.explanation["message"]  # type: ignore[index]
    assert "a at S3" in msg and "cost 4" in msg and "budget 3" in msg


def test_fixed_over_max_new_is_infeasible_and_explained() -> None:
    doc = line({"type": "max_coverage", "max_new": {"a": 1}})
    doc["sites"][2]["fixed"] = ["a"]
    doc["sites"][3]["fixed"] = ["a"]
    sol = sitecircle.solve(doc)
    assert sol.status.value == "infeasible"
    assert "max_new a = 1" in sol.explanation["message"]  # type: ignore[index]


@pytest.mark.parametrize("backend", BACKENDS)
def test_excluded_site_opens_nothing(backend: str) -> None:
    doc = line({"type": "max_complete", "budget": 4})
    base = sitecircle.solve(doc, backend=backend)
    assert opened(base) == {("S0", "a"), ("S0", "b")}
    doc["sites"][0]["excluded"] = True
    sol = sitecircle.solve(doc, backend=backend)
    assert all(site != "S0" for site, _ in opened(sol))
    assert sol.objective == pytest.approx(50.0)  # C1: a@S1 2 + b@S1 2


def test_excluded_site_stays_in_the_instance() -> None:
    doc = line({"type": "max_coverage"})
    doc["sites"][0]["excluded"] = True
    inst = sitecircle.Instance.from_dict(doc)
    assert inst.n_sites == 4 and inst.excluded.tolist() == [True, False, False, False]


@pytest.mark.parametrize("mode", ["straight", "network"])
def test_category_speed_shrinks_its_reach(mode: str, tmp_path: Path) -> None:
    # C at 0, one site 700 m away; travel 70 m/min, no detour: 10 min reach 700 m. Category 'e'
    # walks at 50 m/min: 14 min needed > 10: not covered.
    doc: dict[str, Any] = {
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "categories": [{"id": "a", "threshold_min": 10},
                       {"id": "e", "threshold_min": 10, "speed_m_per_min": 50}],
        "communities": [{"id": "C", "x": 0.0, "y": 0.0, "population": 10}],
        "sites": [{"id": "S", "x": 700.0, "y": 0.0}],
        "objective": {"type": "max_coverage"},
        "travel": {"mode": "straight", "speed_m_per_min": 70, "detour": 1},
    }
    if mode == "network":
        import networkx as nx  # noqa: PLC0415

        g = nx.MultiGraph()
        g.add_node(0, x=0.0, y=0.0)
        g.add_node(1, x=700.0, y=0.0)
        g.add_edge(0, 1, length=700.0)
        nx.write_graphml(g, tmp_path / "walk.graphml")
        doc["travel"] = {"mode": "network", "file": "walk.graphml", "speed_m_per_min": 70}
        path = tmp_path / "i.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        sol = sitecircle.solve(path)
    else:
        sol = sitecircle.solve(doc)
    assert sol.coverage["a"]["share"] == 1.0
    assert sol.coverage["e"]["share"] == 0.0
    doc["categories"][1]["speed_m_per_min"] = 70
    if mode == "network":
        path.write_text(json.dumps(doc), encoding="utf-8")
        sol = sitecircle.solve(path)
    else:
        sol = sitecircle.solve(doc)
    assert sol.coverage["e"]["share"] == 1.0


# --- equity, max-min, complete target, priorities ------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_equity_per_street(backend: str) -> None:
    # Budget 9. Without equity: C0 (3) + C1 (4) complete = 150, street S at 0. With min 0.5 per
    # street: S needs C2 (30 of 50; cost 5), then N's best with 4 left is C0 (3): 130.
    doc = line({"type": "max_complete", "budget": 9})
    assert sitecircle.solve(doc, backend=backend).objective == pytest.approx(150.0)
    doc["objective"]["equity"] = {"by": "street", "min_share": 0.5}
    sol = sitecircle.solve(doc, backend=backend)
    assert sol.objective == pytest.approx(130.0)
    shares = {g["group"]: g["share"] for g in sol.groups or []}
    assert shares == pytest.approx({"N": 100 / 150, "S": 30 / 50})
    assert all(g["share_before"] == 0 for g in sol.groups or [])


def test_city_wide_category_rule() -> None:
    # Without 'by': at least 60 % of the population reaches an 'a'. max_coverage with budget 4
    # would take b@S0 + a@S0 (200 in 3), then a@S0.. the rule forces a on C0+C1 or more.
    doc = line({"type": "max_coverage", "budget": 4,
                "equity": {"measure": "a", "min_share": 0.75}})
    sol = sitecircle.solve(doc)
    assert sol.coverage["a"]["share"] >= 0.75
    assert opened(sol) >= {("S0", "a"), ("S1", "a")}


def test_infeasible_equity_names_groups_and_best_share() -> None:
    doc = line({"type": "max_complete", "equity": {"by": "street", "min_share": 0.9}},
               sites=[{"id": f"S{i}", "x": i * 1000.0, "y": 0.0, "cost": 1} for i in range(3)])
    sol = sitecircle.solve(doc)
    assert sol.status.value == "infeasible"
    why = sol.explanation or {}
    assert [(g["group"], g["best_share"]) for g in why["groups"]] == [("S", pytest.approx(0.6))]
    assert "street 'S'" in why["message"] and "60.0%" in why["message"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_min_share(backend: str) -> None:
    # Budget 8: C0 (3) + C2 (5) gives N 2/3, S 3/5 -> min 0.6; C1 (4) + C3 (6) too dear.
    doc = line({"type": "max_min_share", "by": "street", "budget": 8})
    sol = sitecircle.solve(doc, backend=backend)
    assert sol.objective == pytest.approx(0.6)
    assert opened(sol) == {("S0", "a"), ("S0", "b"), ("S2", "a"), ("S2", "b")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_least_cost_for_a_complete_basket(backend: str) -> None:
    # 70 % of 200 people complete: C0 (100, cost 3) + C2 (30, 5) = 130 < 140; C0 + C1 (50, 4)
    # = 150 for 7 is the cheapest.
    doc = line({"type": "min_cost", "target_share": 0.7, "target_measure": "complete"})
    sol = sitecircle.solve(doc, backend=backend)
    assert sol.objective == pytest.approx(7.0) and sol.complete["share"] >= 0.7


@pytest.mark.parametrize("backend", BACKENDS)
def test_default_min_cost_stage_spends_no_slack(backend: str) -> None:
    doc = line({"type": "max_complete", "budget": 100},
               sites=[{"id": f"S{i}", "x": i * 1000.0, "y": 0.0, "cost": {"a": 1, "b": 2}}
                      for i in range(4)]
               + [{"id": "X", "x": 0.0, "y": 10.0, "cost": 50}])
    sol = sitecircle.solve(doc, backend=backend)
    assert sol.objective == pytest.approx(200.0)
    assert sol.cost == pytest.approx(12.0)  # never the dear site X
    assert [o["type"] for o in sol.objectives or []] == ["max_complete", "min_cost"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_then_with_tolerance(backend: str) -> None:
    # Stage optima (oracle): max_complete 150 (C0 + C1 for 7), then max_coverage 330, then
    # min_cost; with a 20 % tolerance every earlier stage may lose a fifth.
    obj = {"type": "max_complete", "budget": 9, "tolerance": 0.2,
           "then": [{"type": "max_coverage"}, {"type": "min_cost"}]}
    doc = line(obj)
    sol = sitecircle.solve(doc, backend=backend)
    expect = brute_force_stages(doc)
    assert expect is not None
    assert expect == pytest.approx([150.0, 330.0, 7.0])
    values = [o["value"] for o in sol.objectives or []]
    # Every earlier stage may give up 20 %: the cheapest plan keeping 120 and 264 costs 7.
    assert values[0] >= 120 - 1e-9 and values[1] >= 264 - 1e-9
    assert values[2] == pytest.approx(7.0)
    assert sol.status.value == "optimal"


# --- engines ------------------------------------------------------------------------------------

def test_heuristic_refuses_equity_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    doc = line({"type": "max_complete", "equity": {"by": "street", "min_share": 0.5}})
    with pytest.raises(OptionsError, match=r"objective\.equity"):
        sitecircle.solve(doc, engine="heuristic")
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["solve", str(path), "--engine", "heuristic"]) == 2
    assert "objective.equity" in capsys.readouterr().err


def test_heuristic_keeps_the_first_stage_and_trims_cost() -> None:
    doc = line({"type": "max_complete", "budget": 100},
               sites=[{"id": f"S{i}", "x": i * 1000.0, "y": 0.0, "cost": {"a": 1, "b": 2}}
                      for i in range(4)] + [{"id": "X", "x": 0.0, "y": 10.0, "cost": 50}])
    sol = sitecircle.solve(doc, engine="heuristic")
    assert sol.objective == pytest.approx(200.0)
    assert ("X", "a") not in opened(sol) and ("X", "b") not in opened(sol)


# --- the oracle on random tiny instances, both backends ------------------------------------------

def random_planning(seed: int) -> dict[str, Any]:
    """A random tiny instance with planning fields (≤ 5 communities, ≤ 3 sites, 2 categories)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 6)), int(rng.integers(1, 4))
    cats: list[dict[str, Any]] = [
        {"id": "a", "threshold_min": float(rng.choice([5, 10, 15]))},
        {"id": "b", "threshold_min": float(rng.choice([5, 10, 15])), "demand": "elderly",
         "weight": float(rng.choice([1, 2]))}]
    if rng.random() < 0.4:
        cats[1]["speed_m_per_min"] = 60.0
    comms = [{"id": f"c{i}", "x": float(rng.integers(0, 2000)), "y": float(rng.integers(0, 2000)),
              "population": int(rng.integers(0, 100)), "elderly": int(rng.integers(0, 30)),
              "street": str(rng.choice(["N", "S"]))} for i in range(n)]
    sites = []
    for j in range(m):
        hosts = ["a", "b"] if rng.random() < 0.6 else [str(rng.choice(["a", "b"]))]
        site: dict[str, Any] = {"id": f"s{j}", "x": float(rng.integers(0, 2000)),
                                "y": float(rng.integers(0, 2000)), "categories": hosts,
                                "cost": {k: int(rng.integers(1, 6)) for k in hosts}}
        if rng.random() < 0.3:
            site["open_cost"] = int(rng.integers(1, 4))
        roll = rng.random()
        if roll < 0.2:
            site["fixed"] = [hosts[0]]
        elif roll < 0.3:
            site["excluded"] = True
        sites.append(site)
    kind = str(rng.choice(["max_coverage", "max_complete", "max_min_share", "min_cost"]))
    obj: dict[str, Any] = {"type": kind}
    if kind == "min_cost":
        obj["target_share"] = float(rng.choice([0.3, 0.6]))
        if rng.random() < 0.5:
            obj["target_measure"] = "complete"
    else:
        obj["budget"] = int(rng.integers(3, 15))
    if kind == "max_min_share":
        obj["by"] = "street"
        obj["measure"] = str(rng.choice(["complete", "a"]))
    if rng.random() < 0.4:
        obj["equity"] = {"by": str(rng.choice(["street", ""])) or None,
                         "measure": str(rng.choice(["complete", "b"])),
                         "min_share": float(rng.choice([0.2, 0.5]))}
        if obj["equity"]["by"] is None:
            del obj["equity"]["by"]
    if kind != "min_cost" and rng.random() < 0.5:
        obj["then"] = [{"type": "max_coverage"}, {"type": "min_cost"}]
        if rng.random() < 0.5:
            obj["tolerance"] = 0.1
    return {"format": "sitecircle.instance/1", "name": f"plan-{seed}", "crs": "EPSG:3857",
            "categories": cats, "communities": comms, "sites": sites,
            "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
            "objective": obj}


def check_against_oracle(doc: dict[str, Any], sol: sitecircle.Solution) -> None:
    expect = brute_force_stages(doc)
    if expect is None:
        assert sol.status.value == "infeasible"
        return
    assert sol.status.value == "optimal", sol.explanation
    tol = doc["objective"].get("tolerance", 0.0)
    values = ([o["value"] for o in sol.objectives] if sol.objectives is not None
              else [sol.objective])
    assert len(values) == len(expect)
    # The last stage is optimal among the kept plans; earlier ones stay within tolerance.
    assert values[-1] == pytest.approx(expect[-1], abs=1e-6)
    kinds = [doc["objective"]["type"], *[s["type"] for s in doc["objective"].get("then", [])]]
    for value, best, kind in zip(values[:-1], expect[:-1], kinds, strict=False):
        if kind == "min_cost":
            assert value <= best + tol * abs(best) + 1e-6
        else:
            assert value >= best - tol * abs(best) - 1e-6
    if tol == 0:
        assert values == pytest.approx(expect, abs=1e-6)
    fixed = {(s["id"], k) for s in doc["sites"] for k in s.get("fixed", [])}
    assert fixed <= opened(sol)
    excluded = {s["id"] for s in doc["sites"] if s.get("excluded")}
    assert not {site for site, _ in opened(sol)} & excluded


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("block", range(4))
def test_random_planning_instances_match_the_oracle(backend: str, block: int) -> None:
    for seed in range(block * 15, block * 15 + 15):
        doc = random_planning(seed)
        check_against_oracle(doc, sitecircle.solve(doc, backend=backend))


# --- properties ----------------------------------------------------------------------------------

@SETTINGS
@given(seed=st.integers(0, 10_000), low=st.sampled_from([0.0, 0.2, 0.4]),
       step=st.sampled_from([0.1, 0.3]))
def test_higher_min_share_never_raises_the_objective(seed: int, low: float, step: float) -> None:
    doc = random_planning(seed)
    doc["objective"] = {"type": "max_coverage", "budget": 8}
    values = []
    for share in (low, low + step):
        d = copy.deepcopy(doc)
        d["objective"]["equity"] = {"by": "street", "min_share": share}
        sol = sitecircle.solve(d)
        values.append(sol.objective if sol.status.has_solution else -np.inf)
    assert values[1] <= values[0] + 1e-6


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_fixed_sites_always_open(seed: int) -> None:
    doc = random_planning(seed)
    doc["objective"].pop("equity", None)
    doc["objective"].pop("budget", None)
    for s in doc["sites"]:
        s.pop("excluded", None)
    doc["sites"][0]["fixed"] = list(doc["sites"][0]["categories"])
    sol = sitecircle.solve(doc)
    if doc["objective"]["type"] == "min_cost" and not sol.status.has_solution:
        return  # an unreachable target
    want = {(doc["sites"][0]["id"], k) for k in doc["sites"][0]["categories"]}
    assert want <= opened(sol)


@SETTINGS
@given(seed=st.integers(0, 10_000), tol=st.sampled_from([0.0, 0.05, 0.25]))
def test_then_keeps_the_first_stage_within_tolerance(seed: int, tol: float) -> None:
    doc = random_planning(seed)
    doc["objective"] = {"type": "max_complete", "budget": 10, "tolerance": tol,
                        "then": [{"type": "max_coverage"}, {"type": "min_cost"}]}
    alone = sitecircle.solve({**doc, "objective": {"type": "max_complete", "budget": 10,
                                                   "then": []}})
    sol = sitecircle.solve(doc)
    assert sol.status == alone.status
    if not sol.status.has_solution:  # approved sites over the budget
        return
    first = (sol.objectives or [])[0]["value"]
    assert first >= (alone.objective or 0) * (1 - tol) - 1e-6


@SETTINGS
@given(seed=st.integers(0, 10_000), perm=st.randoms(use_true_random=False))
def test_permuting_records_keeps_every_stage_value(seed: int, perm: Any) -> None:
    doc = random_planning(seed)
    doc["objective"].setdefault("then", [{"type": "max_coverage"}, {"type": "min_cost"}]) \
        if doc["objective"]["type"] != "min_cost" else None
    shuffled = copy.deepcopy(doc)
    perm.shuffle(shuffled["communities"])
    perm.shuffle(shuffled["sites"])
    a, b = sitecircle.solve(doc), sitecircle.solve(shuffled)
    assert a.status == b.status
    if a.objectives is not None:
        assert [o["value"] for o in a.objectives] == pytest.approx(
            [o["value"] for o in b.objectives or []], abs=1e-6)
    else:
        assert a.objective == pytest.approx(b.objective)


# --- sweep and outputs ---------------------------------------------------------------------------

def test_min_share_sweep_prices_equity() -> None:
    doc = line({"type": "max_complete", "budget": 9,
                "equity": {"by": "street", "min_share": 0.0}})
    curve = sitecircle.sweep(doc, min_shares=[0.0, 0.5, 0.8])
    got = [(p.value, p.status, p.objective) for p in curve.points]
    assert got[0][2] == pytest.approx(150.0) and got[1][2] == pytest.approx(130.0)
    assert got[2][1] == "infeasible"


def test_min_share_sweep_needs_an_equity_rule() -> None:
    with pytest.raises(OptionsError, match="objective.equity"):
        sitecircle.sweep(line({"type": "max_complete"}), min_shares=[0.5])
    with pytest.raises(OptionsError, match=r"--min-shares.*\[0, 1\]"):
        sitecircle.sweep(line({"type": "max_complete", "equity": {"min_share": 0}}),
                         min_shares=[1.5])


def test_outputs_show_the_streets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = line({"type": "max_complete", "budget": 9,
                "equity": {"by": "street", "min_share": 0.5}})
    path = tmp_path / "eq.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    html, gpkg = tmp_path / "r.html", tmp_path / "r.gpkg"
    assert main(["solve", str(path), "--report", str(html), "--geo", str(gpkg)]) == 0
    out = capsys.readouterr().out
    assert "weakest street groups" in out and "S     0.0% →   60.0%" in out
    assert "stage 2: min_cost" in out
    page = html.read_text(encoding="utf-8")
    assert "sc-sortable" in page and "sc-weakest" in page
    weakest = page.split("sc-weakest")[1].split("</tr>")[0]
    assert ">S<" in weakest and "60.0%" in weakest
    import geopandas as gpd  # noqa: PLC0415

    groups = gpd.read_file(gpkg, layer="groups")
    assert sorted(groups["group"]) == ["N", "S"]
    assert list(gpd.read_file(gpkg, layer="communities")["street"]) == ["N", "N", "S", "S"]


def test_html_report_has_streets_without_equity(tmp_path: Path) -> None:
    from sitecircle.outputs.html import render_report  # noqa: PLC0415

    doc = line({"type": "max_complete", "budget": 9})
    sol = sitecircle.solve(doc)
    page = render_report(sitecircle.Instance.from_dict(doc), sol, tiles=None, static_map=False)
    assert "sc-sortable" in page and "Per street" in page


@pytest.mark.parametrize("engine", ["heuristic", "benders"])
def test_own_engines_keep_approved_sites(engine: str) -> None:
    for seed in range(12):
        doc = random_planning(seed)
        obj = doc["objective"]
        doc["objective"] = {"type": "max_coverage", "budget": obj.get("budget", 10)}
        expect = brute_force_stages(doc)
        sol = sitecircle.solve(doc, engine=engine)
        if expect is None:
            assert sol.status.value == "infeasible"
            continue
        assert sol.objective is not None and sol.objective <= expect[0] + 1e-6
        if engine == "benders":
            assert sol.objective == pytest.approx(expect[0])
        fixed = {(s["id"], k) for s in doc["sites"] for k in s.get("fixed", [])}
        assert fixed <= opened(sol)
        excluded = {s["id"] for s in doc["sites"] if s.get("excluded")}
        assert not {site for site, _ in opened(sol)} & excluded


def test_heuristic_with_approved_site_over_budget_is_explained() -> None:
    doc = line({"type": "max_coverage", "budget": 3})
    doc["sites"][3]["fixed"] = ["a"]
    sol = sitecircle.solve(doc, engine="heuristic")
    assert sol.status.value == "infeasible"
    assert "a at S3" in (sol.explanation or {})["message"]


def test_approved_sites_in_matrix_mode_with_the_heuristic() -> None:
    doc = line({"type": "max_coverage", "budget": 6})
    doc["travel"] = {"mode": "matrix", "times": [[f"C{i}", f"S{i}", 1.0] for i in range(4)]}
    doc["sites"][3]["fixed"] = ["a"]
    for engine in ("heuristic", None):
        sol = sitecircle.solve(doc, engine=engine)
        assert ("S3", "a") in opened(sol) and sol.objective == pytest.approx(120.0)


def test_later_target_that_cannot_hold_is_infeasible_and_explained() -> None:
    # max_complete with budget 3 opens C0's basket (cost 3); a later min_cost stage asking 80 %
    # of the population complete cannot hold within the budget and the first stage.
    doc = line({"type": "max_complete", "budget": 3,
                "then": [{"type": "min_cost", "target_share": 0.8,
                          "target_measure": "complete"}]})
    sol = sitecircle.solve(doc)
    assert sol.status.value == "infeasible"
    assert "stage 2 (min_cost) cannot hold its target" in (sol.explanation or {})["message"]


def test_verifier_checks_the_planning_rules() -> None:
    doc = line({"type": "max_complete", "equity": {"by": "street", "min_share": 0.5}})
    doc["sites"][3]["fixed"] = ["a"]
    doc["sites"][1]["excluded"] = True
    inst = sitecircle.Instance.from_dict(doc)
    # S1 is excluded, S3's 'a' is approved but closed, street S reaches nothing.
    bad = sitecircle.verify(inst, [(0, 0), (0, 1), (1, 0)])
    text = "; ".join(bad.violations)
    assert "site 'S1' is excluded" in text
    assert "approved facility 'a' at site 'S3'" in text
    assert "street 'S': complete share 0.000000 is below the equity min_share 0.5" in text
    good = sitecircle.verify(inst, [(0, 0), (0, 1), (2, 0), (2, 1), (3, 0)])
    assert good.feasible and good.objective == pytest.approx(130.0)
