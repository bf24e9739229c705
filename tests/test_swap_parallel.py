"""The swap search on two cores: forked helpers (engines/forked.py, engines/swap_parallel.py).

Every heuristic run here stops by its round cap (``max_rounds``) long before its time limit, so
what the runs do does not depend on the clock; the time limit only switches the helpers on.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
import pytest

from sitecircle import Instance, build_model, coverage_from_instance
from sitecircle.engines import forked, swap_parallel
from sitecircle.engines.forked import fork_call, fork_refusal
from sitecircle.engines.heuristic import check_values, heuristic_solve
from sitecircle.engines.swap_parallel import search_workers
from sitecircle.model.linear import LinearModel
from sitecircle.synthetic import random_instance, unit_cost_single_category

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
#: Heuristic options: 300 swap rounds, no bound phases (fast, and no optimality stop).
QUICK: dict[str, Any] = {"time_limit_s": 30.0, "max_rounds": 30, "bound": "none"}


def _model(seed: int = 3) -> LinearModel:
    doc = random_instance(seed, n_communities=400, n_sites=80, n_categories=1,
                          layout="uniform", extent_m=4000.0)
    unit_cost_single_category(doc)
    doc["objective"] = {"type": "max_coverage", "max_new": 8}
    inst = Instance.from_dict(doc)
    return build_model(inst, coverage_from_instance(inst))


def _phase(result: Any, name: str) -> list[dict[str, Any]]:
    return [ph for ph in result.extra["phase_log"] if ph["phase"] == name]


def _untimed(result: Any, name: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in ph.items() if k != "seconds"} for ph in _phase(result, name)]


#: Set in the fresh interpreter :func:`_forks_here` re-runs a test in.
FRESH = "SITECIRCLE_TEST_FRESH_INTERPRETER"


def _forks_here(request: pytest.FixtureRequest) -> bool:
    """Whether the test can fork in this process; where other threads refuse the fork (Dask
    leaves two behind in a full test session), the test is run again in a fresh interpreter,
    which must pass, and False is returned (the caller stops: the test ran there)."""
    why = fork_refusal()
    if why is None:
        return True
    if not hasattr(os, "fork"):
        pytest.skip(f"fork refused here: {why}")
    assert not os.environ.get(FRESH), f"fork refused in a fresh interpreter: {why}"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", request.node.nodeid],
        cwd=request.config.rootpath, env={**os.environ, FRESH: "1"}, capture_output=True,
        text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout, done.stdout[-3000:]
    return False


# ---------------------------------------------------------------------------- fork_call
def _raise() -> None:
    msg = "boom"
    raise ValueError(msg)


def test_fork_call_returns_the_value_an_exception_or_nothing_after_its_timeout(
        request: pytest.FixtureRequest) -> None:
    if not _forks_here(request):
        return
    job = fork_call(np.arange, 5)
    assert job is not None
    ok, value = job.result(10.0)
    assert ok and value.tolist() == [0, 1, 2, 3, 4]
    job = fork_call(_raise)
    assert job is not None
    assert job.result(10.0) == (False, "ValueError: boom")
    job = fork_call(time.sleep, 30)
    assert job is not None
    t = time.perf_counter()
    ok, why = job.result(0.2)
    assert not ok and "no answer" in why and time.perf_counter() - t < 5
    with pytest.raises(ChildProcessError):  # killed and reaped
        os.waitpid(job.pid, os.WNOHANG)


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert fork_refusal() == "other threads are running in this process"
        assert fork_call(np.arange, 3) is None
    finally:
        stop.set()
        other.join()


def test_workers_follow_threads_the_cpus_and_by_default_the_idle_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swap_parallel, "usable_cpus", lambda: 2)
    assert search_workers(1) == 1
    assert search_workers(64) == 2
    for idle, workers in [(2.0, 2), (1.75, 2), (1.6, 1), (1.0, 1), (0.0, 1), (None, 2)]:
        monkeypatch.setattr(swap_parallel, "idle_cpus", lambda idle=idle: idle)
        assert search_workers(None) == workers
        assert search_workers(2) == 2  # asked for: no idle test
    monkeypatch.setattr(swap_parallel, "usable_cpus", lambda: 1)
    assert search_workers(None) == 1


def test_idle_cpus_is_a_share_of_the_usable_ones() -> None:
    idle = swap_parallel.idle_cpus(0.05)
    if idle is None:
        pytest.skip("no /proc/stat")
    assert 0.0 <= idle <= swap_parallel.usable_cpus() + 1e-9


# ---------------------------------------------------------------------------- the heuristic
def test_two_workers_run_the_one_worker_search_and_never_end_lower(
        request: pytest.FixtureRequest) -> None:
    if not _forks_here(request):
        return
    model = _model()
    one = heuristic_solve(model, threads=1, **QUICK)
    two = heuristic_solve(model, threads=2, **QUICK)
    assert not _phase(one, "helpers")
    assert check_values(model, two.values) == []
    (told,) = _phase(two, "helpers")
    (helper,) = told["helpers"]
    assert "error" not in helper and helper["rounds"] == 300
    # The heuristic's own search is the one-worker search, bit for bit; the helper can only add.
    assert _untimed(one, "perturb") == _untimed(two, "perturb")
    assert two.objective >= one.objective
    assert two.objective == max(one.objective, helper["objective"])
    # No clock in the stopping rules: two-worker runs repeat exactly.
    again = heuristic_solve(model, threads=2, **QUICK)
    assert np.array_equal(again.values, two.values)


def test_one_thread_is_the_old_single_process_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """threads=1 forks nothing and equals a run where the fork is refused."""
    model = _model(5)
    calls: list[Any] = []
    monkeypatch.setattr(swap_parallel, "fork_call", lambda *a: calls.append(a))
    one = heuristic_solve(model, threads=1, **QUICK)
    assert calls == []
    monkeypatch.setattr(swap_parallel, "fork_refusal", lambda: "refused for the test")
    refused = heuristic_solve(model, threads=2, **QUICK)
    assert calls == []
    assert [ph["phase"] for ph in one.extra["phase_log"]] == [
        "decode", "greedy", "local_search", "perturb"]
    assert _phase(refused, "helpers") == [
        {"phase": "helpers", "seconds": 0.0, "refused": "refused for the test"}]
    assert np.array_equal(one.values, refused.values)
    assert one.extra["iterations"] == refused.extra["iterations"]


def test_without_a_time_limit_no_helper() -> None:
    model = _model()
    out = heuristic_solve(model, threads=2, max_rounds=5, bound="none")
    assert not _phase(out, "helpers")


def _in_child(conn: Any, model: LinearModel, own_group: bool) -> None:
    if own_group:
        os.setpgrp()
    out = heuristic_solve(model, threads=2, **QUICK)
    conn.send((check_values(model, out.values), out.extra["phase_log"]))
    conn.close()


@pytest.mark.parametrize("own_group", [False, True])
def test_daemonic_process_forks_only_as_a_process_group_leader(own_group: bool) -> None:
    """A daemonic process (a pool worker) runs alone; the solver child of solving.runner is
    daemonic too but leads its own process group, so it gets a helper."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork start method")
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_in_child, args=(send, _model(), own_group), daemon=True)
    proc.start()
    send.close()
    assert receive.poll(60)
    problems, log = receive.recv()
    proc.join(10)
    assert problems == []
    (told,) = [ph for ph in log if ph["phase"] == "helpers"]
    if own_group:
        assert "error" not in told["helpers"][0]
    else:
        assert told["refused"] == "a daemonic process outside a process group of its own"


def test_helpers_are_ended_when_the_heuristic_fails(
        request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _forks_here(request):
        return
    started: list[forked.Forked] = []
    real = swap_parallel.fork_call

    def spy(*args: Any) -> forked.Forked | None:
        job = real(*args)
        if job is not None:
            started.append(job)
        return job

    def fail(*args: Any, **kwargs: Any) -> None:
        msg = "search failed"
        raise RuntimeError(msg)

    monkeypatch.setattr(swap_parallel, "fork_call", spy)
    monkeypatch.setattr("sitecircle.engines.heuristic.swap_ils", fail)
    with pytest.raises(RuntimeError, match="search failed"):
        heuristic_solve(_model(), threads=2, **QUICK)
    assert len(started) == 1 and started[0].done
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0].pid, os.WNOHANG)


def test_describe_names_each_helper_its_rounds_and_whether_its_plan_was_kept() -> None:
    records = [{"helper": 1, "objective": 5.0, "rounds": 5153, "improvements": 3, "kept": True},
               {"helper": 2, "objective": 4.0, "rounds": 12, "improvements": 0, "kept": False},
               {"helper": 3, "error": "no answer within 0.5 s"}]
    assert swap_parallel.describe(records) == (
        ", helper 1: 5153 rounds (kept), helper 2: 12 rounds, helper 3: no answer within 0.5 s")
    assert swap_parallel.describe([]) == ""
