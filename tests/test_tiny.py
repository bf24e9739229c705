"""Every hand-checked tiny instance on every proving backend × engine; the brute-force oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sitecircle
from tests._oracle import brute_force, random_tiny
from tests.conftest import INSTANCES

TINY = sorted((INSTANCES / "tiny").glob("*.json"))


def test_there_are_tiny_instances() -> None:
    assert len(TINY) >= 14


@pytest.mark.parametrize("path", TINY, ids=[p.stem for p in TINY])
def test_tiny_expected_optimum(path: Path, proving: tuple[str, str]) -> None:
    backend, engine = proving
    expected = json.loads(path.read_text(encoding="utf-8"))["expected"]
    solution = sitecircle.solve(path, backend=backend, engine=engine)
    assert solution.status.value == expected["status"], solution.explanation
    if expected["objective"] is None:
        assert solution.objective is None
        assert solution.explanation and solution.explanation["message"]
        return
    assert solution.objective == pytest.approx(expected["objective"], abs=1e-9)
    assert solution.gap == 0
    if "open" in expected:
        got = sorted((o["site"], o["category"]) for o in solution.open)
        want = sorted((o["site"], o["category"]) for o in expected["open"])
        assert got == want


@pytest.mark.parametrize("path", TINY, ids=[p.stem for p in TINY])
def test_tiny_expected_matches_oracle(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert brute_force(data) == data["expected"]["objective"]


@pytest.mark.parametrize("seed", range(40))
def test_random_tiny_against_brute_force(seed: int, proving: tuple[str, str]) -> None:
    backend, engine = proving
    inst = random_tiny(seed)
    best = brute_force(inst)
    solution = sitecircle.solve(inst, backend=backend, engine=engine)
    if best is None:
        assert solution.status is sitecircle.Status.INFEASIBLE
        assert solution.explanation is not None
    else:
        assert solution.status is sitecircle.Status.OPTIMAL
        assert solution.objective == pytest.approx(best, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("kind", ["max_coverage", "max_complete", "min_cost"])
@pytest.mark.parametrize("seed", range(100, 115))
def test_random_tiny_each_objective(seed: int, kind: str, backend: tuple[str, str]) -> None:
    inst = random_tiny(seed, kind)
    best = brute_force(inst)
    solution = sitecircle.solve(inst, backend=backend[0], engine=backend[1])
    if best is None:
        assert solution.status is sitecircle.Status.INFEASIBLE
    else:
        assert solution.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
