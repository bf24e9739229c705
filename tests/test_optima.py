"""Public benchmark optima from ``../shared/data`` on every proving backend × engine.

OR-Library set covering (as ``min_cost``) against the proven optima in ``optima.csv``; Swain,
SJC and the spopt San Francisco MCLP values in ``mclp/results.csv``.
"""

from __future__ import annotations

import csv

import pytest

import sitecircle
from sitecircle import datasets
from tests.conftest import SHARED_DATA, data_params, shared_data

SCP_FAST = [f"scp4{i}" for i in range(1, 10)] + ["scp410"] + [f"scp6{i}" for i in range(1, 6)]


def _scp_optima() -> dict[str, float]:
    path = shared_data("orlib-scp", "optima.csv")
    with path.open(encoding="utf-8") as fh:
        return {r["instance"]: float(r["optimum_or_best_known"]) for r in csv.DictReader(fh)
                if r["status"] == "optimal"}


MCLP_RESULTS = ("mclp", "results.csv")


def _mclp_rows(prefix: str) -> list[dict[str, object]]:
    path = SHARED_DATA / "mclp" / "results.csv"
    if not path.is_file():
        return []
    return [r for r in datasets.mclp_known_values(path) if str(r["instance"]).startswith(prefix)]


@pytest.mark.parametrize("name", SCP_FAST)
def test_orlib_scp_optimum(name: str, proving: tuple[str, str]) -> None:
    optimum = _scp_optima()[name]
    inst = datasets.read_orlib_scp(shared_data("orlib-scp", f"{name}.txt"))
    solution = sitecircle.solve(inst, backend=proving[0], engine=proving[1])
    assert solution.status is sitecircle.Status.OPTIMAL
    assert solution.objective == optimum
    assert all(c["share"] == 1.0 for c in solution.coverage.values())


@pytest.mark.slow
@pytest.mark.parametrize("name", [f"scp5{i}" for i in range(1, 10)] + ["scp510"]
                         + [f"scp{f}{i}" for f in "abcde" for i in range(1, 6)])
def test_orlib_scp_optimum_larger(name: str, backend: tuple[str, str]) -> None:
    optimum = _scp_optima()[name]
    inst = datasets.read_orlib_scp(shared_data("orlib-scp", f"{name}.txt"))
    solution = sitecircle.solve(inst, backend=backend[0], engine=backend[1])
    assert solution.status is sitecircle.Status.OPTIMAL
    assert solution.objective == optimum


def _row_id(r: dict[str, object]) -> str:
    return f"{str(r['instance']).split('/')[-1]}-p{r['p_or_budget']}-r{r['radius']}"


SWAIN = _mclp_rows("swain/")
SJC324 = [r for r in _mclp_rows("sjc/SJC324")]
SF = _mclp_rows("spopt-sf/")


@pytest.mark.parametrize("row", data_params(SWAIN, [_row_id(r) for r in SWAIN], *MCLP_RESULTS))
def test_swain_optimum(row: dict[str, object], proving: tuple[str, str]) -> None:
    inst = datasets.read_swain(shared_data("mclp", "swain", "swain55.txt"),
                               float(row["radius"]), int(row["p_or_budget"]))
    solution = sitecircle.solve(inst, backend=proving[0], engine=proving[1])
    assert solution.status is sitecircle.Status.OPTIMAL
    assert solution.objective == row["covered_demand"]
    assert len(solution.open) <= int(row["p_or_budget"])


@pytest.mark.parametrize("row", data_params(SJC324, [_row_id(r) for r in SJC324],
                                             *MCLP_RESULTS))
def test_sjc324_optimum(row: dict[str, object], backend: tuple[str, str]) -> None:
    inst = datasets.read_sjc(shared_data("mclp", "sjc", "SJC324.txt"),
                             float(row["radius"]), int(row["p_or_budget"]))
    solution = sitecircle.solve(inst, backend=backend[0], engine=backend[1])
    assert solution.status is sitecircle.Status.OPTIMAL
    assert solution.objective == row["covered_demand"]


@pytest.mark.parametrize("row", data_params(SF, [_row_id(r) for r in SF], *MCLP_RESULTS))
def test_spopt_san_francisco_optimum(row: dict[str, object], backend: tuple[str, str]) -> None:
    inst = datasets.read_spopt_sf(shared_data("mclp", "spopt-sf"), float(row["radius"]),
                                  int(row["p_or_budget"]))
    solution = sitecircle.solve(inst, backend=backend[0], engine=backend[1])
    assert solution.status is sitecircle.Status.OPTIMAL
    assert solution.objective == row["covered_demand"]
