"""``engine="heuristic"``: verified answers, valid bounds, honest status, on every objective."""

from __future__ import annotations

import json

import pytest

import sitecircle
from tests._oracle import brute_force, random_tiny
from tests.conftest import INSTANCES


@pytest.mark.parametrize("kind", ["max_coverage", "max_complete", "min_cost"])
@pytest.mark.parametrize("seed", range(200, 215))
def test_heuristic_is_feasible_and_its_bound_is_valid(seed: int, kind: str) -> None:
    inst = random_tiny(seed, kind)
    best = brute_force(inst)
    found = sitecircle.solve(inst, engine="heuristic")
    if best is None:
        assert not found.status.has_solution
        return
    if not found.status.has_solution:  # a heuristic may miss a tight min_cost limit
        assert kind == "min_cost"
        return
    assert found.objective is not None
    if kind == "min_cost":
        assert found.objective >= best - 1e-9
        assert found.bound is None or found.bound <= best + 1e-6
    else:
        assert found.objective <= best + 1e-9
        assert found.bound is None or found.bound >= best - 1e-6
    if found.status is sitecircle.Status.OPTIMAL:
        assert found.objective == pytest.approx(best, abs=1e-9)


def test_heuristic_on_the_demo_is_close_and_honest() -> None:
    path = INSTANCES / "demo" / "nanning-district.json"
    found = sitecircle.solve(path, engine="heuristic", time_limit=30)
    exact = 4_228_650.0  # proved by SCIP, CBC and HiGHS (tests/test_agreement.py)
    assert found.objective is not None and found.bound is not None
    assert found.objective <= exact <= found.bound + 1e-6
    assert found.objective >= 0.99 * exact
    assert found.solver["engine"] == "heuristic"
    if found.objective < exact:
        assert found.status is sitecircle.Status.FEASIBLE
        assert found.gap is not None and found.gap > 0


def test_heuristic_cli_json_stays_pure(capsys: pytest.CaptureFixture[str]) -> None:
    from sitecircle.cli.main import main

    code = main(["solve", str(INSTANCES / "tiny" / "budget-binds.json"), "--engine", "heuristic",
                 "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["solver"]["engine"] == "heuristic"
