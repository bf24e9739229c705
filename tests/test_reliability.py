"""Reliability: interruption, time limits, atomic writes, determinism, threshold tolerance."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sitecircle
import sitecircle.backends
from sitecircle.files import write_json_atomic
from sitecircle.synthetic import random_instance
from tests.conftest import INSTANCES


def _hard_instance(path: Path) -> Path:
    """Single-category MCLP that SCIP needs several seconds to prove (incumbents come early)."""
    doc = random_instance(11, n_communities=6000, n_sites=600, n_categories=1, extent_m=9000,
                          objective={"type": "max_coverage", "max_new": 25})
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sitecircle.cli", *args]


def test_sigint_mid_solve_returns_best_solution(tmp_path: Path) -> None:
    inst = _hard_instance(tmp_path / "hard.json")
    out = tmp_path / "out" / "solution.json"
    with subprocess.Popen(_cli("solve", str(inst), "--out", str(out), "--verbose", "--quiet"),
                          stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        assert proc.stderr is not None
        # wait until SCIP reports its first progress line: the solver is running
        start = time.monotonic()
        for line in proc.stderr:
            if "presolving" in line.lower() or time.monotonic() - start > 60:
                break
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        proc.wait(timeout=60)
    stopped_after = time.monotonic() - sent
    assert "Traceback" not in rest
    assert stopped_after < 15  # forwarded SIGINT, then SIGKILL after a 5 s grace at the latest
    assert proc.returncode in (0, 4)
    if proc.returncode == 0:
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert doc["status"] in ("feasible", "optimal")
        assert doc["solver"]["interrupted"] in ("signal", None)
        if doc["status"] == "feasible":
            assert doc["bound"] is None or doc["bound"] >= doc["objective"]
    else:
        assert "no_solution" in out.read_text(encoding="utf-8") or not out.exists()


@pytest.mark.parametrize(("backend", "engine"), [("ortools", "scip"), ("pulp", "cbc")])
def test_time_limit_holds_on_the_wall_clock(backend: str, engine: str) -> None:
    doc = random_instance(5, n_communities=20000, n_sites=2000, n_categories=2, extent_m=15000,
                          objective={"type": "max_coverage", "max_new": 60})
    limit = 6.0
    start = time.monotonic()
    solution = sitecircle.solve(doc, backend=backend, engine=engine, time_limit=limit)
    wall = time.monotonic() - start
    # documented: SIGKILL at 1.08 × limit + 0.5 s; allow 2 s more for process exit and the
    # verifier on a loaded 2-core machine (without the kill, these engines overrun by minutes)
    assert wall <= limit * 1.08 + 2.5
    assert solution.status in (sitecircle.Status.FEASIBLE, sitecircle.Status.NO_SOLUTION,
                               sitecircle.Status.OPTIMAL)
    if solution.status is sitecircle.Status.FEASIBLE:
        assert solution.objective is not None and solution.bound is not None
        assert solution.bound >= solution.objective


def test_time_limit_spent_before_solving_is_reported() -> None:
    doc = random_instance(1, n_communities=3000, n_sites=300, n_categories=4)
    solution = sitecircle.solve(doc, time_limit=1e-6)
    assert solution.status is sitecircle.Status.NO_SOLUTION
    assert solution.explanation is not None
    assert "time limit" in solution.explanation["message"]


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    write_json_atomic({"ok": 1}, target)
    with pytest.raises(ValueError, match="JSON compliant"):
        write_json_atomic({"bad": float("nan"), "pad": "x" * 100_000}, target)
    assert json.loads(target.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_atomic_write_survives_sigkill(tmp_path: Path) -> None:
    target = tmp_path / "big.json"
    write_json_atomic({"round": -1}, target)
    script = (
        "import sys\n"
        "from sitecircle.files import write_json_atomic\n"
        "for r in range(1000):\n"
        "    write_json_atomic({'round': r, 'pad': list(range(200000))}, sys.argv[1])\n"
    )
    for delay in (0.3, 0.5, 0.8, 1.1):
        proc = subprocess.Popen([sys.executable, "-c", script, str(target)])
        time.sleep(delay)
        proc.kill()
        proc.wait()
        doc = json.loads(target.read_text(encoding="utf-8"))  # always complete JSON
        assert "round" in doc


def _without_timings(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    solver = dict(doc["solver"])
    for key in ("seconds", "timings"):
        solver.pop(key, None)
    doc["solver"] = solver
    return doc


@pytest.mark.parametrize("backend", ["ortools", "pulp"])
def test_same_input_same_output(backend: str) -> None:
    path = INSTANCES / "demo" / "nanning-district.json"
    runs = [sitecircle.solve(path, backend=backend, seed=7).to_dict() for _ in range(2)]
    a, b = (json.dumps(_without_timings(r), sort_keys=True) for r in runs)
    assert a == b


def test_record_order_does_not_change_objective() -> None:
    path = INSTANCES / "demo" / "nanning-district.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    rng = np.random.default_rng(3)
    for key in ("communities", "sites", "existing", "categories"):
        order = rng.permutation(len(doc[key]))
        doc[key] = [doc[key][i] for i in order]
    a = sitecircle.solve(path, backend="pulp")
    b = sitecircle.solve(doc, backend="pulp")
    assert a.objective == b.objective


def test_csv_minutes_at_the_threshold_are_covered(tmp_path: Path) -> None:
    (tmp_path / "od.csv").write_text(
        "from,to,minutes\nc1,s1,9.99\nc2,s1,10.00\nc3,s1,10.01\nc1,e1,15.00\n", encoding="utf-8")
    doc = {
        "format": "sitecircle.instance/1",
        "categories": [{"id": "a", "threshold_min": 10.0}, {"id": "b", "threshold_min": 15}],
        "communities": [{"id": f"c{i}", "x": 0, "y": 0, "population": 1} for i in (1, 2, 3)],
        "sites": [{"id": "s1", "x": 0, "y": 0, "categories": ["a"]}],
        "existing": [{"id": "e1", "x": 0, "y": 0, "categories": ["b"]}],
        "travel": {"mode": "matrix", "file": "od.csv"},
        "objective": {"type": "max_coverage", "max_new": 1},
    }
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    solution = sitecircle.solve(path)
    assert solution.coverage["a"]["covered"] == 2  # 9.99 and 10.00 <= 10, 10.01 is not
    assert solution.coverage_before["b"]["covered"] == 1  # 15.00 <= 15


def test_straight_distance_at_the_threshold_with_round_off() -> None:
    # 0.1 + 0.2 style round-off: 3 × 333.3333 m at 100 m/min is 10 min give or take 1e-13
    doc = {
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "categories": [{"id": "a", "threshold_min": 10}],
        "communities": [{"id": "c", "x": 0.1 + 0.2, "y": 0, "population": 5}],
        "sites": [{"id": "s", "x": 1000.3, "y": 0}],
        "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
    }
    solution = sitecircle.solve(doc)
    assert solution.objective == 5


def test_demand_sums_keep_exact_integers() -> None:
    big = 2**52  # integers up to 2**53 are exact in float64
    doc = {
        "format": "sitecircle.instance/1", "crs": "EPSG:3857",
        "categories": [{"id": "a"}],
        "communities": [{"id": "c1", "x": 0, "y": 0, "population": big},
                        {"id": "c2", "x": 0, "y": 0, "population": 1}],
        "sites": [{"id": "s", "x": 0, "y": 0}],
    }
    solution = sitecircle.solve(doc)
    assert solution.objective == big + 1
    assert solution.coverage["a"]["total"] == big + 1


class _CrashingBackend(sitecircle.backends.Backend):
    """A user-supplied backend whose solver dies hard (as a segfaulting library would)."""

    name = "crashy"
    required_modules = ()
    engines = {"boom": frozenset()}
    default_engine = "boom"

    def solve(self, model: Any, options: Any) -> Any:
        import os

        os.abort()


class _LyingBackend(sitecircle.backends.Backend):
    """A user-supplied backend that claims an optimum it did not find."""

    name = "liar"
    required_modules = ()
    engines = {"fib": frozenset()}
    default_engine = "fib"

    def solve(self, model: Any, options: Any) -> Any:
        from sitecircle.backends import BackendResult

        values = np.zeros(model.n_vars)
        return BackendResult(status=sitecircle.Status.OPTIMAL, values=values,
                             objective=model.offset + 1e6, bound=model.offset + 1e6,
                             native_status="made up", engine="fib", solve_seconds=0.0,
                             translate_seconds=0.0)


def test_crashing_backend_is_named_not_fatal() -> None:
    path = INSTANCES / "tiny" / "budget-binds.json"
    with pytest.raises(sitecircle.SolveError, match="crashy.*crashed.*another backend"):
        sitecircle.solve(path, backend=_CrashingBackend(), isolate=True)


def test_lying_backend_is_caught_by_the_verifier() -> None:
    path = INSTANCES / "tiny" / "budget-binds.json"
    with pytest.raises(sitecircle.SolveError, match="verifier recomputes"):
        sitecircle.solve(path, backend=_LyingBackend())


def test_unknown_backend_lists_the_known_ones() -> None:
    with pytest.raises(sitecircle.BackendUnavailableError, match="registered: ortools, pulp"):
        sitecircle.solve(INSTANCES / "tiny" / "budget-binds.json", backend="gurobi")


def test_doctor_checks_every_engine(capsys: pytest.CaptureFixture[str]) -> None:
    from sitecircle.cli.main import main

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for engine in ("ortools/scip", "ortools/sat", "pulp/cbc", "pulp/highs"):
        assert f"{engine}: ok" in out


def test_memory_limit_refuses_up_front(capsys: pytest.CaptureFixture[str]) -> None:
    from sitecircle.cli.main import main

    path = str(INSTANCES / "demo" / "nanning-district.json")
    assert main(["solve", path, "--memory-limit", "0.0001", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "GiB" in err and "coverage pairs" in err
    assert main(["solve", path, "--memory-limit", "8", "--quiet", "--backend", "pulp"]) == 0


def test_progress_reports_every_phase() -> None:
    seen: list[str] = []
    sitecircle.solve(INSTANCES / "tiny" / "budget-binds.json", progress=seen.append)
    assert [s.split(" ")[0] for s in seen] == ["travel", "building", "solving", "verifying",
                                               "stage"]  # the default min_cost stage


def test_script_without_main_guard_after_highs_is_loaded(tmp_path: Path) -> None:
    # Once highspy is loaded, isolated runs start from a fork server, whose children used to
    # re-run an unguarded script (and fail with "crashed (exit code 1)").
    script = tmp_path / "plan.py"
    script.write_text(
        "import highspy\n"
        "import sitecircle\n"
        f"r = sitecircle.solve({str(INSTANCES / 'tiny' / 'budget-binds.json')!r}, "
        "backend='pulp', time_limit=30)\n"
        "print('RESULT', r.status.value)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("RESULT optimal") == 1


class _SlowToStopBackend(sitecircle.backends.Backend):
    """Returns its incumbent a moment after the limit, as SCIP or CBC do once interrupted."""

    name = "slow-stop"
    required_modules = ()
    engines = {"late": frozenset()}
    default_engine = "late"

    def solve(self, model: Any, options: Any) -> Any:
        from sitecircle.backends import BackendResult

        end = time.monotonic() + options.time_limit_s + 0.3  # after SIGINT, before SIGKILL
        while time.monotonic() < end:
            time.sleep(0.02)
        values = np.zeros(model.n_vars)
        return BackendResult(status=sitecircle.Status.FEASIBLE, values=values,
                             objective=model.objective_value(values), bound=None,
                             native_status="stopped", engine="late", solve_seconds=0.0,
                             translate_seconds=0.0)


def test_answer_returned_after_sigint_is_kept() -> None:
    from sitecircle.solving.runner import run_backend

    doc = json.loads((INSTANCES / "tiny" / "budget-binds.json").read_text(encoding="utf-8"))
    inst = sitecircle.Instance.from_dict(doc)
    model = sitecircle.build_model(inst, sitecircle.coverage_from_instance(inst))
    options = sitecircle.backends.SolveOptions(time_limit_s=2.0)
    result, info = run_backend(_SlowToStopBackend(), model, options, isolate=True)
    assert info.interrupted == "time_limit" and not info.killed
    assert result.status is sitecircle.Status.FEASIBLE and result.values is not None


def test_cbc_infeasible_claim_under_a_time_limit_needs_a_finished_run() -> None:
    """CBC cut short by a tiny time limit in preprocessing can call a feasible model infeasible
    (seen once in CI on a 10 ms limit): that claim is trusted only from a finished run."""
    from sitecircle.backends.pulp import _cut_short

    finished = "Result - Problem proven infeasible\nTotal time (CPU seconds): 0.01 " \
               "(Wallclock seconds): 0.02\n"
    cut = "Pre-processing says infeasible\nTotal time (CPU seconds): 0.02 " \
          "(Wallclock seconds): 0.03\n"
    assert not _cut_short(finished, None) and not _cut_short(finished, 30.0)
    assert _cut_short(cut, 0.01)
    assert _cut_short("Pre-processing says infeasible\n", 5.0)  # no closing time line
    infeasible = json.loads((INSTANCES / "tiny" / "min-cost-max-new-infeasible.json").read_text())
    found = sitecircle.solve(infeasible, backend="pulp", engine="cbc", time_limit=30)
    assert found.status is sitecircle.Status.INFEASIBLE
