"""Ctrl-C and SIGTERM stop sitecircle's own engines with their best plan (sitecircle.stopping)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sitecircle import Instance
from sitecircle.engines import bounds
from sitecircle.engines.benders import benders_solve
from sitecircle.engines.heuristic import check_values, heuristic_solve
from sitecircle.model.build import build_model
from sitecircle.stopping import clear_stop, past, request_stop, stop_requested
from sitecircle.synthetic import random_instance, unit_cost_single_category
from sitecircle.travel.coverage import coverage_from_instance


@pytest.fixture
def stop() -> Iterator[None]:
    """A stop requested for the test, forgotten after it (the flag is per process)."""
    request_stop()
    try:
        yield
    finally:
        clear_stop()


#: The square of benchmarks/spopt_peer.py's 2,000 x 500 instance (500 sites at 16.7 per km²).
EXTENT_M = 1000.0 * (500 / 16.7) ** 0.5


def _doc(seed: int, n: int, m: int, p: int, extent_m: float = 9000.0) -> dict:
    doc = unit_cost_single_category(random_instance(
        seed, n_communities=n, n_sites=m, n_categories=1, layout="uniform", extent_m=extent_m))
    doc["objective"] = {"type": "max_coverage", "max_new": p}
    return doc


def test_past_is_the_deadline_or_the_stop_request() -> None:
    clear_stop()
    assert not stop_requested()
    assert not past(float("inf"))
    assert past(time.perf_counter() - 1.0)
    request_stop()
    try:
        assert stop_requested()
        assert past(float("inf"))
    finally:
        clear_stop()
    assert not past(float("inf"))


@pytest.mark.usefixtures("stop")
@pytest.mark.parametrize("engine", ["heuristic", "benders"])
def test_engines_return_a_checked_plan_at_once_after_a_stop_request(engine: str) -> None:
    """With a stop already requested, a 60 s run ends in seconds with a feasible plan and a
    bound no lower than it."""
    inst = Instance.from_dict(_doc(3, 1500, 300, 20))
    model = build_model(inst, coverage_from_instance(inst))
    start = time.perf_counter()
    if engine == "heuristic":
        result = heuristic_solve(model, time_limit_s=60.0, seed=0)
    else:
        result = benders_solve(model, time_limit_s=60.0, seed=0)
    assert time.perf_counter() - start < 10.0
    assert result.values is not None and result.objective is not None
    assert check_values(model, result.values) == []
    assert np.isclose(model.objective_value(result.values), result.objective)
    assert result.bound is None or result.bound >= result.objective - 1e-6


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("engine", ["heuristic", "benders"])
def test_a_signal_mid_run_keeps_the_own_engines_best_plan(
        tmp_path: Path, engine: str, sig: signal.Signals) -> None:
    """The solver process turns the forwarded SIGINT into a stop request: the engine returns
    its plan well before the runner's 5 s grace ends (it used to be killed with no solution)."""
    inst = tmp_path / "mclp.json"
    # the 2,000 x 500 MCLP of benchmarks/spopt_peer.py with p = 40: the LP bound stays ~1 %
    # above the heuristic's plans, so a 120 s run is still searching after 4 s
    inst.write_text(json.dumps(_doc(7, 2000, 500, 40, EXTENT_M)), encoding="utf-8")
    out = tmp_path / "solution.json"
    cmd = [sys.executable, "-m", "sitecircle.cli", "solve", str(inst), "--engine", engine,
           "--time-limit", "120", "--out", str(out), "--quiet"]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True) as proc:
        time.sleep(4.0)  # start-up, coverage, model: the engine is running by now
        assert proc.poll() is None
        sent = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    stopped_after = time.monotonic() - sent
    assert "Traceback" not in err
    assert proc.returncode == 0, err
    assert stopped_after < 4.5  # the runner's grace is 5 s: the engine stopped by itself
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["status"] in ("feasible", "optimal")
    assert doc["solver"]["interrupted"] == "signal"
    assert doc["objective"] > 0
    assert doc["bound"] is None or doc["bound"] >= doc["objective"]


@pytest.mark.usefixtures("stop")
def test_no_lp_is_started_after_a_stop_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simplex fallback of the LP bound cannot be interrupted, so no LP starts once a stop
    was requested; the plan comes back with the Lagrangian bound alone."""
    def refuse(*args: object, **kwargs: object) -> None:
        msg = "an LP was started after the stop request"
        raise AssertionError(msg)

    monkeypatch.setattr(bounds, "interior_lp", refuse)
    monkeypatch.setattr(bounds, "lp_relaxation", refuse)
    inst = Instance.from_dict(_doc(3, 600, 120, 10))
    model = build_model(inst, coverage_from_instance(inst))
    result = heuristic_solve(model, time_limit_s=60.0, seed=0, bound="lp")
    assert result.values is not None and check_values(model, result.values) == []
