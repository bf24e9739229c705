"""Scenario sweeps and solve_many: values, monotonicity, serial = Dask, outputs, CLI errors."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

import sitecircle
from sitecircle.cli.main import main
from sitecircle.errors import InstanceError, OptionsError
from sitecircle.scenarios.result import COLUMNS, SweepResult
from sitecircle.scenarios.series import scenario
from tests.conftest import INSTANCES

distributed = pytest.importorskip("distributed")

TINY = INSTANCES / "tiny"
BUDGET_BINDS = str(TINY / "budget-binds.json")
DEMO = str(INSTANCES / "demo" / "nanning-district.json")




def _comparable(result: SweepResult) -> list[dict[str, Any]]:
    """Everything but timings: table rows and each solution without its solver timings."""
    out = []
    for point in result.points:
        row = {k: v for k, v in point.row().items() if k != "seconds"}
        if point.solution is not None:
            doc = point.solution.to_dict()
            doc["solver"] = {k: v for k, v in doc["solver"].items()
                             if k not in ("seconds", "timings", "isolated")}
            row["solution"] = doc
        out.append(row)
    return out


def test_budget_sweep_tiny_values_and_gains() -> None:
    result = sitecircle.sweep(BUDGET_BINDS, budgets=[0, 3, 5, 6, 11])
    assert [p.status for p in result.points] == ["optimal"] * 5
    # Hand-checked: S2 (cost 3) covers 400, S1 (5) 600, S2+S3 (6) 750, all three (11) 1350.
    assert [p.objective for p in result.points] == [0, 400, 600, 750, 1350]
    assert [p.new_facilities for p in result.points] == [0, 1, 1, 2, 3]
    assert [p.cost for p in result.points] == [0, 3, 5, 6, 11]
    gains = [p.marginal_gain for p in result.points]
    assert gains[0] is None
    assert gains[1:] == pytest.approx([400 / 3, 200 / 2, 150 / 1, 600 / 5])
    assert result.points[-1].covered_share == pytest.approx(1.0)
    assert result.points[1].covered_share == pytest.approx(400 / 1350)
    assert result.exit_code == 0


@pytest.mark.parametrize("engine", ["heuristic", "benders"])
def test_budget_sweep_with_engines_that_need_no_backend_engine(engine: str) -> None:
    result = sitecircle.sweep(BUDGET_BINDS, budgets=[3, 6], engine=engine)
    assert [p.objective for p in result.points] == [400, 750]
    assert all(p.solution is not None and p.solution.solver["engine"] == engine
               for p in result.points)


def test_gain_uses_value_order_not_input_order() -> None:
    lines: list[str] = []
    result = sitecircle.sweep(BUDGET_BINDS, budgets=[6, 3], progress=lines.append)
    assert [p.value for p in result.points] == [6, 3]
    assert [line.split(" (")[0] for line in lines] == [
        "[1/2] tiny-budget-binds budget 6: optimal 750",
        "[2/2] tiny-budget-binds budget 3: optimal 400"]
    assert result.points[1].marginal_gain is None
    assert result.points[0].marginal_gain == pytest.approx((750 - 400) / 3)


def test_threshold_sweep_monotone_and_reuse_matches_fresh() -> None:
    path = TINY / "weights-elderly.json"
    values = [2, 5, 10, 20, 40]
    result = sitecircle.sweep(path, thresholds=values)
    objectives = [p.objective for p in result.points]
    assert all(o is not None for o in objectives)
    assert objectives == sorted(objectives)  # type: ignore[type-var]
    base = sitecircle.read_instance(path)
    for point, value in zip(result.points, values, strict=True):  # serial reuses travel times
        fresh = sitecircle.solve(scenario(base, "threshold_min", value))
        assert point.objective == pytest.approx(fresh.objective)


def test_speed_sweep_on_matrix_instance_is_refused() -> None:
    with pytest.raises(OptionsError, match="--speeds: .*matrix"):
        sitecircle.sweep(TINY / "matrix-unlisted-pair.json", speeds=[50, 80])


def test_serial_local_and_address_identical(cluster_address: str) -> None:
    kwargs: dict[str, Any] = {"budgets": [0, 6, 11], "seed": 3}
    paths = [BUDGET_BINDS, str(TINY / "open-cost-shared.json")]
    serial = sitecircle.sweep(paths, **kwargs)
    local = sitecircle.sweep(paths, scheduler="local", workers=2, **kwargs)
    remote = sitecircle.sweep(paths, scheduler=cluster_address, **kwargs)
    assert len(serial.points) == 6
    assert _comparable(serial) == _comparable(local) == _comparable(remote)
    assert all(p.solution is not None and p.solution.solver["isolated"]
               for p in local.points + remote.points)


def test_infeasible_points_are_data_and_exit_3() -> None:
    path = TINY / "min-cost-full-coverage.json"
    optimum = sitecircle.solve(path).objective
    assert optimum is not None
    result = sitecircle.sweep(path, budgets=[0, optimum, 2 * optimum])
    assert [p.status for p in result.points] == ["infeasible", "optimal", "optimal"]
    assert result.points[0].objective is None and result.points[0].cost is None
    assert result.points[2].marginal_gain == pytest.approx(0.0)
    assert result.exit_code == 3


def test_solve_many_keeps_errors_per_instance(tmp_path: Path, cluster_address: str) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "sitecircle.instance/1", "communities": "no"}))
    paths = [BUDGET_BINDS, broken, TINY / "max-complete.json"]
    for scheduler in (None, cluster_address):
        results = sitecircle.solve_many(paths, scheduler=scheduler)
        assert [r.ok for r in results] == [True, False, True]
        assert isinstance(results[1].error, InstanceError)
        assert results[0].unwrap().objective == 750
    cities = [BUDGET_BINDS, TINY / "max-complete.json"]
    serial = [r.unwrap().open for r in sitecircle.solve_many(cities)]
    local = [r.unwrap().open for r in sitecircle.solve_many(cities, scheduler="local")]
    assert serial == local


def test_library_argument_errors() -> None:
    with pytest.raises(OptionsError, match="one parameter at a time"):
        sitecircle.sweep(BUDGET_BINDS, budgets=[1], thresholds=[5])
    with pytest.raises(OptionsError, match="--budgets: every value must be a finite number >= 0"):
        sitecircle.sweep(BUDGET_BINDS, budgets=[-1])
    with pytest.raises(OptionsError, match="--thresholds: every value must be a finite number > 0"):
        sitecircle.sweep(BUDGET_BINDS, thresholds=[0])
    with pytest.raises(OptionsError, match="--speeds: every value must be a finite number"):
        sitecircle.sweep(BUDGET_BINDS, speeds=[float("inf")])
    with pytest.raises(OptionsError, match="--budgets: '5' is not a number"):
        sitecircle.sweep(BUDGET_BINDS, budgets=["5"])  # type: ignore[list-item]
    with pytest.raises(OptionsError, match="unknown solve options"):
        sitecircle.sweep(BUDGET_BINDS, budgets=[1], time_limt=5)
    with pytest.raises(sitecircle.BackendUnavailableError):
        sitecircle.sweep(BUDGET_BINDS, budgets=[1], engine="nope")


def test_cli_writes_table_plot_and_solutions(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out, plot, folder = tmp_path / "curve.csv", tmp_path / "curve.png", tmp_path / "solutions"
    code = main(["sweep", BUDGET_BINDS, "--budgets", "0:12:6", "--out", str(out), "--plot",
                 str(plot), "--out-dir", str(folder)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "gain/unit" in printed and "1,350" in printed
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(COLUMNS)
    assert [float(r["value"]) for r in rows] == [0, 6, 12]
    assert [float(r["objective"]) for r in rows] == [0, 750, 1350]
    assert rows[0]["marginal_gain"] == "" and float(rows[2]["marginal_gain"]) == pytest.approx(
        600 / 6)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted(f"tiny-budget-binds-budget-{v}.json" for v in (0, 6, 12))
    doc = json.loads((folder / "tiny-budget-binds-budget-6.json").read_text(encoding="utf-8"))
    assert doc["objective"] == 750 and doc["format"] == "sitecircle.solution/1"


@pytest.mark.parametrize(("statuses", "code"), [
    ([], 0), (["optimal", "feasible"], 0), (["optimal", "infeasible"], 3),
    (["infeasible", "no_solution", "optimal"], 4), (["no_solution", "error", "infeasible"], 1)])
def test_exit_code_of_the_worst_point(statuses: list[str], code: int) -> None:
    point = sitecircle.sweep(BUDGET_BINDS, budgets=[3]).points[0]
    points = [dataclasses.replace(point, status=s) for s in statuses]
    assert SweepResult(parameter="budget", objective_type="max_coverage",
                       points=points).exit_code == code


def test_write_json_table_and_refuse_other_suffixes(tmp_path: Path) -> None:
    result = sitecircle.sweep(BUDGET_BINDS, budgets=[3, 6])
    target = result.write(tmp_path / "new" / "curve.JSON")
    assert target == tmp_path / "new" / "curve.JSON"
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc == json.loads(json.dumps(result.to_json()))
    assert [r["objective"] for r in doc["rows"]] == [400, 750]
    assert doc["rows"][1]["marginal_gain"] == pytest.approx((750 - 400) / 3)
    with pytest.raises(OptionsError, match="give a .csv or .json file name"):
        result.write(tmp_path / "curve.txt")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["curve.JSON", "new"]


def test_cli_json_and_infeasible_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", str(TINY / "min-cost-full-coverage.json"), "--budgets", "0", "--json"])
    assert code == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "sitecircle.sweep/1" and doc["columns"] == list(COLUMNS)
    assert doc["rows"][0]["status"] == "infeasible"


@pytest.mark.parametrize(("argv", "message"), [
    (["--budgets", "abc"], "not a list of numbers"),
    (["--budgets", "10:1:1"], "START <= STOP"),
    (["--budgets", "0:1e9:1"], "at most 1000"),
    (["--budgets", "1", "--thresholds", "5"], "not allowed with argument"),
    (["--budgets", "-5"], "--budgets: every value must be a finite number >= 0"),
    (["--budgets", "5", "--scheduler", "bogus"], "--scheduler 'bogus'"),
    (["--budgets", "5", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"], "--workers"),
    (["--budgets", "5", "--out", "curve.txt"], ".csv or .json"),
    (["--budgets", "5", "--plot", "curve.svg"], ".png"),
    (["--budgets", "5", "--engine", "nope"], "nope"),
    (["--budgets", "5", "--gap", "2"], "gap must be"),
])
def test_cli_bad_arguments_exit_2(argv: list[str], message: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["sweep", BUDGET_BINDS, *argv])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_missing_and_invalid_instance(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(tmp_path / "nowhere.json"), "--budgets", "5"]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "sitecircle.instance/1"}))
    assert main(["sweep", str(bad), "--budgets", "5"]) == 2
    assert "invalid instance" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_budget_curve_monotone_and_identical_on_dask() -> None:
    budgets = [200, 400, 840]
    serial = sitecircle.sweep(DEMO, budgets=budgets)
    local = sitecircle.sweep(DEMO, budgets=budgets, scheduler="local")
    assert [p.status for p in serial.points] == ["optimal"] * 3
    objectives = [p.objective for p in serial.points]
    assert objectives == sorted(objectives)  # type: ignore[type-var]
    assert serial.points[-1].objective == pytest.approx(4_228_650)
    assert _comparable(serial) == _comparable(local)


def test_solve_refuses_coverage_of_another_instance() -> None:
    other = sitecircle.coverage_from_instance(sitecircle.read_instance(TINY / "max-complete.json"))
    with pytest.raises(OptionsError, match="coverage is for"):
        sitecircle.solve(BUDGET_BINDS, coverage=other)


def _line_network(tmp_path: Path) -> dict[str, Any]:
    """Two sites on a 400 m-edge line street; communities on it (minutes = metres / speed)."""
    import networkx as nx

    g = nx.MultiDiGraph(crs="EPSG:3857")
    for i in range(4):
        g.add_node(f"n{i}", x=400.0 * i, y=0.0)
    for i in range(3):
        g.add_edge(f"n{i}", f"n{i + 1}", length=400.0)
        g.add_edge(f"n{i + 1}", f"n{i}", length=400.0)
    path = tmp_path / "line.graphml"
    nx.write_graphml(g, path)
    return {
        "format": "sitecircle.instance/1", "name": "line-network", "crs": "EPSG:3857",
        "categories": [{"id": "shop", "threshold_min": 10}],
        "communities": [{"id": f"c{i}", "x": 400 * i, "y": 0, "population": 10 * (i + 1)}
                        for i in range(4)],
        "sites": [{"id": "s0", "x": 0, "y": 0}],
        "travel": {"mode": "network", "file": str(path), "speed_m_per_min": 40},
        "objective": {"type": "max_coverage", "max_new": 1},
    }


def test_speed_sweep_on_a_street_network_and_a_failed_point(tmp_path: Path) -> None:
    doc = _line_network(tmp_path)
    # From s0 at n0 a community 400·i m away is reached within 10 min at 40·i m/min or faster.
    result = sitecircle.sweep(doc, speeds=[40, 80, 120])
    assert [p.objective for p in result.points] == [30, 60, 100]
    assert [p.marginal_gain for p in result.points] == [None, 30 / 40, 40 / 40]
    instance = sitecircle.Instance.from_dict(doc)
    Path(doc["travel"]["file"]).unlink()  # the network is gone when the points run
    mixed = sitecircle.sweep([instance, sitecircle.read_instance(BUDGET_BINDS)], speeds=[80])
    assert [p.status for p in mixed.points] == ["error", "optimal"]
    assert mixed.points[0].error and mixed.points[0].solution is None
    assert mixed.exit_code == 1


def test_interrupted_sweep_keeps_the_points_solved(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from sitecircle.synthetic import random_instance

    doc = random_instance(5, n_communities=20000, n_sites=2000, n_categories=2,
                          extent_m=15000, objective={"type": "max_coverage", "max_new": 60})
    path = tmp_path / "city.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "curve.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitecircle.cli", "sweep", str(path), "--budgets", "100,200",
         "--time-limit", "20", "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(6)  # inside the first point's solve
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 4), err[-2000:]
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [float(r["value"]) for r in rows] == [100.0, 200.0]
    assert rows[0]["status"] in ("feasible", "optimal", "no_solution")
    assert rows[1]["status"] == "no_solution"
    assert rows[1]["error"] == "not run: the sweep was interrupted"


@pytest.mark.parametrize(("objective", "measure"), [("max_complete", "complete basket"),
                                                    ("max_coverage", "demand covered")])
def test_plot_names_the_measure_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      objective: str, measure: str) -> None:
    from matplotlib.figure import Figure

    doc = json.loads(Path(BUDGET_BINDS).read_text(encoding="utf-8"))
    doc["objective"]["type"] = objective
    result = sitecircle.sweep(doc, budgets=[0, 5, 11])
    saved: list[Figure] = []
    original = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        saved.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    result.plot(tmp_path / "curve.png")
    axes = saved[0].axes[0]
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert any(measure in text for text in legend), legend
    other = "demand covered" if measure == "complete basket" else "complete basket"
    assert not any(other in text or text.split(": ")[-1] == "covered %" for text in legend)
    assert ("complete basket" in axes.get_ylabel()) == (objective == "max_complete")
