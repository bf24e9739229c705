"""Phases: a plan over several years (issue 14, FORMAT.md "Planning extensions → Phases").

Tiny instances are hand-checked; random ones are compared with the brute-force oracle of
``tests/_phase_oracle.py`` (written apart from the model and the verifier) on both backends;
properties: one phase is the single-period plan, dropping the phase budgets never does worse,
both backends agree.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sitecircle
from sitecircle.cli.main import main
from sitecircle.errors import InstanceError, OptionsError
from tests._oracle import random_tiny
from tests._phase_oracle import phased_brute_force

BACKENDS = ["ortools", "pulp"]


def line(obj: dict[str, Any], costs: tuple[float, ...] = (1, 2, 3, 4),
         categories: tuple[str, ...] = ("a",)) -> dict[str, Any]:
    """Four communities 1 km apart (population 100, 50, 30, 20), each with a site on it that
    reaches only its own community; category ``a`` costs ``costs[i]`` at site ``S{i}``."""
    return {
        "format": "sitecircle.instance/1", "name": "line", "crs": "EPSG:3857",
        "categories": [{"id": k, "threshold_min": 10} for k in categories],
        "communities": [{"id": f"C{i}", "x": i * 1000.0, "y": 0.0, "population": p}
                        for i, p in enumerate([100, 50, 30, 20])],
        "sites": [{"id": f"S{i}", "x": i * 1000.0, "y": 0.0,
                   "cost": {k: c for k in categories}} for i, c in enumerate(costs)],
        "objective": obj,
    }


def phase_of(sol: sitecircle.Solution) -> dict[tuple[str, str], str]:
    return {(o["site"], o["category"]): o["phase"] for o in sol.open}


def phases(*specs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": f"P{t + 1}", **s} for t, s in enumerate(specs)]


# --- hand-checked -------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("weights", "plan", "value"), [
    # S1 now (50) and S2 later (80 at the end): 3×50 + 1×80 = 230 beats S0 later: 3×0 + 100.
    ((3, 1), {("S1", "a"): "P1", ("S2", "a"): "P2"}, 230.0),
    # Later counts more: S0 in P2 (1×0 + 3×100 = 300) beats 1×50 + 3×80 = 290.
    ((1, 3), {("S0", "a"): "P2"}, 300.0),
])
def test_weights_decide_what_opens_first(backend: str, weights: tuple[int, int],
                                         plan: dict[tuple[str, str], str], value: float) -> None:
    # S0 costs 4, S1 and S2 cost 2; P1 may spend 2, P2 4, the whole plan 4.
    doc = line({"type": "max_coverage", "budget": 4,
                "phases": phases({"budget": 2, "weight": weights[0]},
                                 {"budget": 4, "weight": weights[1]})}, costs=(4, 2, 2, 9))
    sol = sitecircle.solve(doc, backend=backend)
    assert sol.status.value == "optimal"
    assert phase_of(sol) == plan
    assert sol.objective == pytest.approx(value)
    assert sum(p["value"] * w for p, w in zip(sol.phases or [], weights, strict=True)) == \
        pytest.approx(value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_phase_budget_forces_the_order(backend: str) -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 3}, {"budget": 7})})
    sol = sitecircle.solve(doc, backend=backend)
    assert phase_of(sol) == {("S0", "a"): "P1", ("S1", "a"): "P1", ("S2", "a"): "P2",
                             ("S3", "a"): "P2"}
    assert [(p["id"], p["cost"], p["new"], p["value"]) for p in sol.phases or []] == [
        ("P1", 3.0, 2, 150.0), ("P2", 7.0, 2, 200.0)]
    assert sol.objective == pytest.approx(350.0)
    assert sol.cost == pytest.approx(10.0)
    p1 = (sol.phases or [])[0]
    assert p1["coverage"]["a"] == {"covered": 150.0, "total": 200.0, "share": 0.75}
    assert p1["complete"] == {"communities": 2, "population": 150.0, "share": 0.75}


@pytest.mark.parametrize("backend", BACKENDS)
def test_min_cost_holds_every_phase_target(backend: str) -> None:
    # 75 % by the end of P1 needs S0 + S1 (150 of 200); the last phase takes the top target 1.
    doc = line({"type": "min_cost", "phases": phases({"target_share": 0.75}, {})})
    sol = sitecircle.solve(doc, backend=backend)
    assert sol.status.value == "optimal"
    assert phase_of(sol) == {("S0", "a"): "P1", ("S1", "a"): "P1", ("S2", "a"): "P2",
                             ("S3", "a"): "P2"}
    assert sol.objective == pytest.approx(10.0)
    assert [p["value"] for p in sol.phases or []] == [3.0, 10.0]  # cost to date
    # The top-level target_share is the last phase's default; a phase of its own wins.
    doc["objective"]["target_share"] = 0.5
    sol = sitecircle.solve(doc, backend=backend)
    assert phase_of(sol) == {("S0", "a"): "P1", ("S1", "a"): "P1"}
    doc["objective"]["phases"][1]["target_share"] = 0.9
    sol = sitecircle.solve(doc, backend=backend)
    assert set(phase_of(sol)) == {("S0", "a"), ("S1", "a"), ("S2", "a")}  # 180 of 200


def test_phase_target_beyond_the_phase_budget_is_infeasible() -> None:
    doc = line({"type": "min_cost", "phases": phases({"target_share": 0.75, "budget": 2}, {})})
    assert sitecircle.solve(doc).status.value == "infeasible"


@pytest.mark.parametrize("backend", BACKENDS)
def test_approved_sites_open_in_the_first_phase(backend: str) -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 4}, {"budget": 3})})
    doc["sites"][3]["fixed"] = ["a"]
    sol = sitecircle.solve(doc, backend=backend)
    # S3 (4) takes all of P1; P2 buys S0 + S1 (3).
    assert phase_of(sol) == {("S3", "a"): "P1", ("S0", "a"): "P2", ("S1", "a"): "P2"}
    assert sol.objective == pytest.approx(20.0 + 170.0)
    doc["objective"]["phases"][0]["budget"] = 3
    assert sitecircle.solve(doc, backend=backend).status.value == "infeasible"


@pytest.mark.parametrize("backend", BACKENDS)
def test_open_cost_is_paid_once_in_the_phase_of_the_first_facility(backend: str) -> None:
    # S0 hosts a and b at 1 each with open cost 5: 7 at once does not fit P1 (6); a (or b) in
    # P1 for 6 and the other in P2 for 1 does, because the open cost is not paid again.
    doc = line({"type": "max_complete", "phases": phases({"budget": 6}, {"budget": 1})},
               costs=(1, 9, 9, 9), categories=("a", "b"))
    doc["sites"][0]["open_cost"] = 5
    sol = sitecircle.solve(doc, backend=backend)
    assert set(phase_of(sol)) == {("S0", "a"), ("S0", "b")}
    assert sorted(phase_of(sol).values()) == ["P1", "P2"]
    assert [p["cost"] for p in sol.phases or []] == [6.0, 1.0]
    assert sol.objective == pytest.approx(0.0 + 100.0)
    assert sol.cost == pytest.approx(7.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_budget_to_date_bounds_the_spending_so_far(backend: str) -> None:
    doc = line({"type": "max_coverage",
                "phases": phases({"budget_to_date": 3}, {"budget_to_date": 6})})
    sol = sitecircle.solve(doc, backend=backend)
    assert phase_of(sol) == {("S0", "a"): "P1", ("S1", "a"): "P1", ("S2", "a"): "P2"}
    assert sol.objective == pytest.approx(150.0 + 180.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_phase_max_new_and_top_level_limits(backend: str) -> None:
    # One new facility per phase, two in all: S0 then S1.
    doc = line({"type": "max_coverage", "max_new": 2,
                "phases": phases({"max_new": 1}, {"max_new": 1}, {"max_new": 1})},
               costs=(1, 1, 1, 1))
    sol = sitecircle.solve(doc, backend=backend)
    assert phase_of(sol) == {("S0", "a"): "P1", ("S1", "a"): "P2"}
    assert [p["value"] for p in sol.phases or []] == [100.0, 150.0, 150.0]
    assert sol.objective == pytest.approx(400.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_equity_holds_at_the_end_and_max_min_share_is_weighted(backend: str) -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 1}, {"budget": 4})})
    for i, c in enumerate(doc["communities"]):
        c["street"] = "N" if i < 2 else "S"
    doc["objective"]["equity"] = {"by": "street", "min_share": 0.5}
    sol = sitecircle.solve(doc, backend=backend)
    # P1: S0 (1); P2 must reach street S (30 of 50 via S2 at 3): S1 would break the rule.
    assert phase_of(sol) == {("S0", "a"): "P1", ("S2", "a"): "P2"}
    assert sol.objective == pytest.approx(100.0 + 130.0)
    assert [p["complete"]["share"] for p in sol.phases or []] == [0.5, 0.65]
    # max_min_share over streets N (C0 100, C1 50) and S (C2 30, C3 20), weights 2 and 1:
    # P1 (4) S0 + S2: min(100/150, 30/50) = 0.6; P2 (4) S3: min(100/150, 1) = 2/3.
    doc["objective"] = {"type": "max_min_share", "by": "street", "measure": "a",
                        "phases": phases({"budget": 4, "weight": 2}, {"budget": 4})}
    sol = sitecircle.solve(doc, backend=backend)
    assert phase_of(sol) == {("S0", "a"): "P1", ("S2", "a"): "P1", ("S3", "a"): "P2"}
    assert sol.objective == pytest.approx(2 * 0.6 + 2 / 3)


# --- random tiny instances against the oracle --------------------------------------------------

def random_phased(seed: int, kind: str | None = None) -> dict[str, Any]:
    """A random tiny instance (``random_tiny``) with 2 or 3 random phases; at most 5 openable
    pairs so the oracle's (phases + 1) ** pairs plans stay few."""
    rng = np.random.default_rng(10_000 + seed)
    doc = random_tiny(seed, kind)
    while sum(len(s["categories"]) for s in doc["sites"]) > 5:
        doc["sites"].pop()
    if doc["sites"] and rng.random() < 0.2:
        doc["sites"][0]["fixed"] = [doc["sites"][0]["categories"][0]]
    obj = doc["objective"]
    specs = []
    for _ in range(int(rng.integers(2, 4))):
        p: dict[str, Any] = {"weight": float(rng.choice([0, 1, 2, 3]))}
        roll = rng.random()
        if roll < 0.5:
            p["budget"] = int(rng.integers(0, 8))
        elif roll < 0.7:
            p["budget_to_date"] = int(rng.integers(2, 14))
        if rng.random() < 0.3:
            p["max_new"] = int(rng.integers(0, 3))
        if obj["type"] == "min_cost":
            del p["weight"]
            if rng.random() < 0.5:
                p["target_share"] = float(rng.choice([0.2, 0.4, 0.6]))
        specs.append(p)
    obj["phases"] = phases(*specs)
    return doc


def check_phased(doc: dict[str, Any], sol: sitecircle.Solution) -> None:
    expect = phased_brute_force(doc)
    if expect is None:
        assert sol.status.value == "infeasible", (doc, sol.open)
        return
    assert sol.status.value == "optimal", (doc, sol.explanation)
    assert sol.objective == pytest.approx(expect[0], abs=1e-6), doc
    assert sol.cost == pytest.approx(expect[1], abs=1e-6), doc
    assert all(o["phase"] in {p["id"] for p in doc["objective"]["phases"]} for o in sol.open)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["max_coverage", "max_complete", "min_cost"])
def test_random_phased_instances_match_the_oracle(backend: str, kind: str) -> None:
    for seed in range(25):
        doc = random_phased(seed, kind)
        check_phased(doc, sitecircle.solve(doc, backend=backend))


# --- properties ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["max_coverage", "max_complete", "min_cost"])
def test_one_phase_is_the_single_period_plan(kind: str) -> None:
    for seed in range(12):
        doc = random_tiny(seed, kind)
        single = sitecircle.solve(doc)
        one = copy.deepcopy(doc)
        one["objective"]["phases"] = [{"id": "only"}]
        phased = sitecircle.solve(one)
        assert phased.status == single.status
        if single.status.has_solution:
            assert phased.objective == pytest.approx(single.objective, abs=1e-6)
            assert phased.cost == pytest.approx(single.cost, abs=1e-6)
            assert {o["phase"] for o in phased.open} <= {"only"}


@pytest.mark.parametrize("kind", ["max_coverage", "max_complete"])
def test_one_total_budget_never_does_worse_than_phase_budgets(kind: str) -> None:
    for seed in range(12):
        doc = random_phased(seed, kind)
        spec = doc["objective"]["phases"]
        tight = sitecircle.solve(doc)
        loose = copy.deepcopy(doc)
        for p in loose["objective"]["phases"]:
            p.pop("budget", None)
            p.pop("max_new", None)
            p.pop("budget_to_date", None)
        if all("budget" in p for p in spec):
            loose["objective"]["budget"] = min(loose["objective"].get("budget", np.inf),
                                               sum(p["budget"] for p in spec))
        relaxed = sitecircle.solve(loose)
        if tight.status.has_solution:
            assert relaxed.status.has_solution
            assert relaxed.objective >= tight.objective - 1e-6


def test_both_backends_agree_on_the_demo_in_three_phases() -> None:
    doc = json.loads(Path("instances/demo/nanning-district.json").read_text(encoding="utf-8"))
    doc["communities"] = doc["communities"][:40]
    doc["objective"] = {"type": "max_coverage", "budget": 300,
                        "phases": phases({"budget": 120, "weight": 3},
                                         {"budget": 100, "weight": 2},
                                         {"budget": 80, "weight": 1})}
    sols = [sitecircle.solve(doc, backend=b) for b in BACKENDS]
    assert all(s.status.value == "optimal" for s in sols)
    assert sols[0].objective == pytest.approx(sols[1].objective, rel=1e-9)
    assert sols[0].cost == pytest.approx(sols[1].cost, rel=1e-9)
    for sol in sols:
        assert sum(p["cost"] for p in sol.phases or []) == pytest.approx(sol.cost)
        assert all(p["cost"] <= b + 1e-9 for p, b in zip(sol.phases or [], (120, 100, 80),
                                                        strict=True))


# --- validation and refusals ---------------------------------------------------------------------

@pytest.mark.parametrize(("edit", "field", "words"), [
    (lambda o: o.update(phases=[]), "objective.phases", "non-empty list"),
    (lambda o: o.update(phases={"id": "P1"}), "objective.phases", "non-empty list"),
    (lambda o: o["phases"][0].update(budgt=3), "objective.phases[0].budgt", "'budget'"),
    (lambda o: o["phases"][1].update(id="P1"), "objective.phases[1].id", "duplicate"),
    (lambda o: o["phases"][0].pop("id"), "objective.phases[0].id", "missing"),
    (lambda o: o["phases"][0].update(budget=-1), "objective.phases[0].budget", ">= 0"),
    (lambda o: o["phases"][1].update(budget_to_date="10"), "objective.phases[1].budget_to_date",
     "must be a number"),
    (lambda o: o["phases"][0].update(max_new=1.5), "objective.phases[0].max_new", "whole number"),
    (lambda o: o["phases"][0].update(max_new={"a": 1}), "objective.phases[0].max_new",
     "at the top"),
    (lambda o: o["phases"][0].update(weight=-2), "objective.phases[0].weight", ">= 0"),
    (lambda o: o["phases"][0].update(target_share=0.5), "objective.phases[0].target_share",
     "only applies to 'min_cost'"),
    (lambda o: o["phases"].append("P3"), "objective.phases[2]", "must be an object"),
])
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_bad_phases_are_exit_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, field: str, words: str,
    command: str,
) -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 3}, {"budget": 4})})
    edit(doc["objective"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code = main([command, str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert field in err and words in err, err
    assert "Traceback" not in err
    with pytest.raises(InstanceError, match=field.replace("[", r"\[").replace("]", r"\]")):
        sitecircle.Instance.from_dict(doc)


def test_min_cost_phase_target_out_of_range_is_named() -> None:
    doc = line({"type": "min_cost", "phases": phases({"target_share": 1.5}, {})})
    with pytest.raises(InstanceError, match=r"objective\.phases\[0\]\.target_share.*<= 1"):
        sitecircle.Instance.from_dict(doc)


def test_capacities_with_phases_are_refused_naming_the_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 3}, {"budget": 4})})
    doc["categories"][0]["capacity"] = 60
    with pytest.raises(OptionsError, match=r"capacity.*objective\.phases"):
        sitecircle.solve(doc)
    path = tmp_path / "cap.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["solve", str(path)]) == 2
    assert "objective.phases" in capsys.readouterr().err


@pytest.mark.parametrize("engine", ["heuristic", "benders"])
def test_own_engines_refuse_phases_naming_the_field(engine: str) -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 3}, {"budget": 4})})
    with pytest.raises(OptionsError, match=r"objective\.phases"):
        sitecircle.solve(doc, engine=engine)


# --- verifier, CLI and library ------------------------------------------------------------------

def test_verifier_rejects_a_tampered_phased_plan() -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 3, "weight": 2},
                                                         {"budget": 7, "max_new": 2})})
    doc["sites"][3]["fixed"] = ["a"]
    inst = sitecircle.Instance.from_dict(doc)
    pairs = np.array([[3, 0], [0, 0], [1, 0], [2, 0]])
    # S3 (approved, 4) in P1 breaks P1's budget 3 and puts the rest in P2: 3 new > max_new 2.
    bad = sitecircle.verify(inst, pairs, phase=np.array([0, 1, 1, 1]))
    text = "; ".join(bad.violations)
    assert "phase 'P1' spends 4, more than its budget 3" in text
    assert "phase 'P2' opens 3 new facilities, more than its max_new 2" in text
    # The approved facility must open in the first phase.
    late = sitecircle.verify(inst, pairs, phase=np.array([1, 0, 0, 1]))
    assert any("approved facility 'a' at site 'S3'" in v and "first phase 'P1'" in v
               for v in late.violations)
    # A phase index out of range, and a plan without phases.
    assert any("one of the 2 phases" in v
               for v in sitecircle.verify(inst, pairs, phase=np.array([0, 0, 0, 2])).violations)
    assert any("in which phase" in v for v in sitecircle.verify(inst, pairs).violations)
    # The weighted objective is recomputed: 2 × P1 + P2.
    doc["sites"][3].pop("fixed")
    ok = sitecircle.verify(sitecircle.Instance.from_dict(doc), pairs[1:3], phase=np.array([0, 1]))
    assert ok.violations == []
    assert ok.objective == pytest.approx(2 * 100.0 + 150.0)
    assert [p["cost"] for p in ok.phases.report] == [1.0, 2.0]  # type: ignore[union-attr]


def test_verifier_checks_phase_targets_and_budget_to_date() -> None:
    doc = line({"type": "min_cost", "phases": phases({"target_share": 0.75,
                                                      "budget_to_date": 2}, {})})
    inst = sitecircle.Instance.from_dict(doc)
    check = sitecircle.verify(inst, np.array([[0, 0], [1, 0], [2, 0], [3, 0]]),
                              phase=np.array([0, 1, 1, 1]))
    text = "; ".join(check.violations)
    assert "phase 'P1': category 'a' covers 0.500000 of its demand, below the target 0.75" in text
    check = sitecircle.verify(inst, np.array([[0, 0], [1, 0], [2, 0], [3, 0]]),
                              phase=np.array([0, 0, 1, 1]))
    assert "phase 'P1': 3 spent by its end, more than its budget_to_date 2" in \
        "; ".join(check.violations)
    assert check.objective == pytest.approx(10.0)


def test_cli_writes_the_phase_fields(tmp_path: Path) -> None:
    doc = line({"type": "max_coverage", "phases": phases({"budget": 3}, {"budget": 7})})
    path, out = tmp_path / "plan.json", tmp_path / "solution.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["solve", str(path), "--out", str(out)]) == 0
    sol = json.loads(out.read_text(encoding="utf-8"))
    assert {(o["site"], o["phase"]) for o in sol["open"]} == {
        ("S0", "P1"), ("S1", "P1"), ("S2", "P2"), ("S3", "P2")}
    assert [set(p) for p in sol["phases"]] == [
        {"id", "cost", "new", "value", "coverage", "complete"}] * 2
    assert sol["objective"] == pytest.approx(350.0)
    assert set(sol["phases"][1]["coverage"]["a"]) == {"covered", "total", "share"}
    assert set(sol["phases"][1]["complete"]) == {"communities", "population", "share"}


def test_without_phases_nothing_changes() -> None:
    sol = sitecircle.solve(line({"type": "max_coverage", "budget": 3}))
    assert sol.phases is None and "phases" not in sol.to_dict()
    assert all("phase" not in o for o in sol.open)


@pytest.mark.parametrize("backend", BACKENDS)
def test_then_stages_are_phased_weighted_sums(backend: str) -> None:
    # Two categories; the first stage weighs coverage, the second the complete population.
    doc = line({"type": "max_coverage", "then": [{"type": "max_complete"}, {"type": "min_cost"}],
                "phases": phases({"budget": 4, "weight": 2}, {"budget": 4})},
               costs=(2, 2, 2, 2), categories=("a", "b"))
    sol = sitecircle.solve(doc, backend=backend)
    assert sol.status.value == "optimal"
    assert sol.objectives is not None and sol.phases is not None
    weights = (2, 1)
    complete = sum(w * p["complete"]["population"]
                   for w, p in zip(weights, sol.phases, strict=True))
    assert [o["type"] for o in sol.objectives] == ["max_coverage", "max_complete", "min_cost"]
    assert sol.objectives[0]["value"] == pytest.approx(sol.objective)
    assert sol.objectives[1]["value"] == pytest.approx(complete)
    assert sol.objectives[2]["value"] == pytest.approx(sol.cost)
    # P1: a and b at S0 (4): 2 × 200; P2: a and b at S1: 300. Complete: 2 × 100 + 150.
    assert sol.objective == pytest.approx(2 * 200 + 300)
    assert complete == pytest.approx(350)
