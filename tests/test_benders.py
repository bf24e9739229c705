"""``engine="benders"``: exact optima, valid cuts and bounds, honest status, time limits."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import sitecircle
from sitecircle import build_model, coverage_from_instance, datasets
from sitecircle.engines.benders_cuts import Decomposition, decompose, solve_master_lp
from sitecircle.errors import BackendCapabilityError
from tests._oracle import brute_force, random_tiny
from tests.conftest import INSTANCES, SHARED_DATA, data_params, shared_data

TINY = sorted(p for p in (INSTANCES / "tiny").glob("*.json")
              if json.loads(p.read_text())["objective"].get("type") != "max_complete")


@pytest.mark.parametrize("path", TINY, ids=[p.stem for p in TINY])
def test_tiny_instances_reach_their_expected_optimum(path: object) -> None:
    doc = json.loads(path.read_text())  # type: ignore[attr-defined]
    expected = doc.get("expected", {})
    found = sitecircle.solve(doc, engine="benders")
    if expected.get("status") == "infeasible" or expected.get("objective") is None:
        assert found.status.value == expected["status"]
        return
    assert found.status is sitecircle.Status.OPTIMAL
    assert found.objective == pytest.approx(expected["objective"], abs=1e-9)
    assert found.bound == pytest.approx(expected["objective"], abs=1e-6)


@pytest.mark.parametrize("kind", ["max_coverage", "min_cost"])
@pytest.mark.parametrize("seed", range(300, 312))
def test_agrees_with_brute_force(seed: int, kind: str) -> None:
    inst = random_tiny(seed, kind)
    best = brute_force(inst)
    found = sitecircle.solve(inst, engine="benders")
    if best is None:
        assert not found.status.has_solution
        return
    assert found.status is sitecircle.Status.OPTIMAL
    assert found.objective == pytest.approx(best, abs=1e-9)


def test_max_complete_is_refused_with_a_clear_error() -> None:
    with pytest.raises(BackendCapabilityError, match="max_complete"):
        sitecircle.solve(INSTANCES / "tiny" / "max-complete.json", engine="benders")


def test_cuts_are_valid_and_tight_at_their_point() -> None:
    inst = sitecircle.read_instance(INSTANCES / "demo" / "nanning-district.json")
    model = build_model(inst, coverage_from_instance(inst))
    dec = decompose(model, rows_per_group=20)
    rng = np.random.default_rng(7)
    for _ in range(5):
        at, other = rng.random(dec.n_master), rng.random(dec.n_master)
        other[rng.random(dec.n_master) < 0.5] = 0.0
        const, coef = dec.cuts(at)
        assert np.allclose(const + coef @ at, dec.group_value(at))
        assert np.all(const + coef @ other >= dec.group_value(other) - 1e-6)


def test_master_lp_bound_is_the_lp_relaxation_on_the_demo() -> None:
    from sitecircle.engines.bounds import lp_relaxation

    inst = sitecircle.read_instance(INSTANCES / "demo" / "nanning-district.json")
    model = build_model(inst, coverage_from_instance(inst))
    solved = lp_relaxation(model)
    assert solved is not None
    master = solve_master_lp(decompose(model, rows_per_group=20))
    assert master.converged
    assert master.bound == pytest.approx(solved[0], rel=1e-6)
    assert master.bound >= 4_228_650


def _demo_decomposition() -> Decomposition:
    inst = sitecircle.read_instance(INSTANCES / "demo" / "nanning-district.json")
    return decompose(build_model(inst, coverage_from_instance(inst)), rows_per_group=20)


def test_restricted_mip_over_every_column_is_the_compact_optimum() -> None:
    from sitecircle.engines.benders_tree import restricted_mip

    dec = _demo_decomposition()
    free = np.ones(dec.n_master, dtype=bool)
    mip = restricted_mip(dec, free, ~free, None, time_limit_s=60, gap=0.0, threads=1)
    assert mip["status"] == "Optimal" and mip["objective"] == 4_228_650


def test_reduced_cost_fixing_keeps_every_optimum() -> None:
    from sitecircle.engines.benders import reduced_cost_fixing
    from sitecircle.engines.benders_tree import restricted_mip

    dec = _demo_decomposition()
    free = np.ones(dec.n_master, dtype=bool)
    optimum = restricted_mip(dec, free, ~free, None, time_limit_s=60, gap=0.0, threads=1)["x"]
    master = solve_master_lp(dec)
    # Against an incumbent one below the optimum, every optimum still beats it.
    fix0, fix1 = reduced_cost_fixing(dec, master, 4_228_650 - 1, step=1.0)
    assert fix0.sum() >= 40  # 53 of 378 columns when written
    assert not np.any(optimum[fix0] > 0.5) and np.all(optimum[fix1] > 0.5)
    # Against the optimum itself (nothing can beat it) reduced-cost fixing fixes more.
    tighter0, _ = reduced_cost_fixing(dec, master, 4_228_650, step=1.0)
    assert np.all(tighter0 >= fix0)


@pytest.mark.slow
def test_branch_and_cut_proves_the_demo_optimum() -> None:
    from sitecircle.engines.benders_tree import branch_and_cut

    dec = _demo_decomposition()
    tree = branch_and_cut(dec, solve_master_lp(dec), None, None,
                          deadline=time.perf_counter() + 120, step=1.0)
    assert tree["optimal"] and tree["objective"] == 4_228_650 == tree["bound"]


def test_demo_optimum() -> None:
    found = sitecircle.solve(INSTANCES / "demo" / "nanning-district.json", engine="benders",
                             time_limit=60)
    assert found.status is sitecircle.Status.OPTIMAL
    assert found.objective == 4_228_650  # proved by SCIP, CBC and HiGHS (test_agreement.py)
    assert found.solver["engine"] == "benders"


def test_time_limit_is_respected_and_status_is_honest() -> None:
    start = time.perf_counter()
    found = sitecircle.solve(INSTANCES / "demo" / "nanning-district.json", engine="benders",
                             time_limit=1.5)
    assert time.perf_counter() - start < 1.5 * 1.3 + 1.0
    assert found.objective is not None and found.bound is not None
    assert found.objective <= 4_228_650 <= found.bound + 1e-6
    if found.objective < 4_228_650:
        assert found.status is sitecircle.Status.FEASIBLE
        assert found.gap is not None and found.gap > 0


def _mclp_rows(prefix: str) -> list[dict[str, object]]:
    path = SHARED_DATA / "mclp" / "results.csv"
    if not path.is_file():
        return []
    return [r for r in datasets.mclp_known_values(path) if str(r["instance"]).startswith(prefix)]


SWAIN = _mclp_rows("swain/")[:4]
SJC = [r for r in _mclp_rows("sjc/SJC324") if int(str(r["p_or_budget"])) <= 4][:2]


@pytest.mark.parametrize("row", data_params(
    SWAIN + SJC, [f"{r['instance']}-p{r['p_or_budget']}-r{r['radius']}" for r in SWAIN + SJC],
    "mclp", "results.csv"))
def test_swain_and_sjc_optima(row: dict[str, object]) -> None:
    reader = datasets.read_swain if "swain" in str(row["instance"]) else datasets.read_sjc
    name = "swain/swain55.txt" if "swain" in str(row["instance"]) else "sjc/SJC324.txt"
    inst = reader(shared_data("mclp", *name.split("/")), float(str(row["radius"])),
                  int(str(row["p_or_budget"])))
    found = sitecircle.solve(inst, engine="benders", time_limit=60)
    assert found.status is sitecircle.Status.OPTIMAL
    assert found.objective == row["covered_demand"]


BDS = [r for r in _mclp_rows("bds/") if r["instance"] == "bds/BDS1000"
       or (r["instance"] == "bds/BDS100000" and r["p_or_budget"] in (10, 15))]


@pytest.mark.slow
@pytest.mark.parametrize("row", data_params(
    BDS, [f"{r['instance']}-{r['p_or_budget']}" for r in BDS], "mclp", "results.csv"))
def test_bds_optimum_is_proved(row: dict[str, object]) -> None:
    name = str(row["instance"]).split("/")[1]
    inst = datasets.read_bds(shared_data("mclp", "bds", f"{name}.txt"),
                             float(str(row["radius"])), float(str(row["p_or_budget"])))
    found = sitecircle.solve(inst, engine="benders", time_limit=60)
    assert found.objective == row["covered_demand"]
    assert found.status is sitecircle.Status.OPTIMAL


def test_optimal_after_pulp_highs_ran_in_this_process() -> None:
    """HiGHS keeps one thread scheduler per process: Benders used to force threads=1 on it after
    PuLP's HiGHS had started it with more, and every master solve then failed ('gap left
    open'), depending on which tests ran before."""
    doc = json.loads((INSTANCES / "tiny" / "budget-binds.json").read_text())
    for path in sorted((INSTANCES / "tiny").glob("*.json")):
        sitecircle.solve(json.loads(path.read_text()), backend="pulp", engine="highs")
    found = sitecircle.solve(doc, engine="benders")
    assert found.status is sitecircle.Status.OPTIMAL
    assert found.objective == pytest.approx(doc["expected"]["objective"])
