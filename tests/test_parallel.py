"""map_tasks: serial, a local Dask cluster and a scheduler given by address; errors per task."""

from __future__ import annotations

import functools
import logging
import os
import pickle
from typing import Any

import pytest

import sitecircle
from sitecircle.errors import InstanceError, OptionsError, Problem
from sitecircle.parallel import TaskError, TaskResult, check_scheduler, map_tasks
from tests.conftest import INSTANCES

distributed = pytest.importorskip("distributed")


def _square_or_fail(x: int) -> int:
    if x < 0:
        msg = f"negative task {x}"
        raise ValueError(msg)
    return x * x


def _invalid_instance(x: int) -> int:
    raise InstanceError([Problem("communities[0].population", "must be >= 0", f"C{x}")])


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickling calls __init__(msg): fails
        super().__init__(f"{a}-{b}")


def _raise_unpicklable(x: int) -> int:
    raise _Unpicklable(x, x)


def _pid(_: int) -> int:
    return os.getpid()




def test_serial_keeps_order_and_errors() -> None:
    results = map_tasks(_square_or_fail, [3, -1, 2])
    assert [r.index for r in results] == [0, 1, 2]
    assert [r.value for r in results] == [9, None, 4]
    assert results[0].ok and not results[1].ok
    assert isinstance(results[1].error, ValueError)
    with pytest.raises(ValueError, match="negative task -1"):
        results[1].unwrap()
    assert results[2].unwrap() == 4


def test_address_keeps_order_and_errors(cluster_address: str) -> None:
    assert cluster_address.startswith("tcp://")
    tasks = [5, -2, 0, 7, -9, 1]
    results = map_tasks(_square_or_fail, tasks, scheduler=cluster_address)
    assert [r.value for r in results] == [25, None, 0, 49, None, 1]
    assert [type(r.error).__name__ if r.error else None for r in results] == [
        None, "ValueError", None, None, "ValueError", None]
    assert str(results[4].error) == "negative task -9"
    assert all(r.seconds >= 0 for r in results)


@pytest.mark.parametrize("where", ["serial", "address"])
def test_on_result_sees_every_task_once(where: str, cluster_address: str) -> None:
    seen: list[TaskResult[int]] = []
    scheduler = cluster_address if where == "address" else None
    results = map_tasks(_square_or_fail, [1, -1, 2, 3], scheduler=scheduler,
                        on_result=seen.append)
    assert sorted(r.index for r in seen) == [0, 1, 2, 3]
    assert sorted(seen, key=lambda r: r.index) == results


def test_errors_survive_the_trip(cluster_address: str) -> None:
    """InstanceError keeps its problems; an exception that cannot be pickled becomes TaskError."""
    bad = map_tasks(_invalid_instance, [4], scheduler=cluster_address)[0].error
    assert isinstance(bad, InstanceError)
    assert bad.problems == [Problem("communities[0].population", "must be >= 0", "C4")]
    odd = map_tasks(_raise_unpicklable, [3], scheduler=cluster_address)[0].error
    assert isinstance(odd, TaskError)
    assert str(odd).startswith("_Unpicklable: 3-3")
    assert "_raise_unpicklable" in odd.detail
    assert str(pickle.loads(pickle.dumps(odd))) == str(odd)


def test_local_cluster_runs_in_this_process() -> None:
    results = map_tasks(_pid, [0, 1, 2], scheduler="local", workers=2)
    assert {r.value for r in results} == {os.getpid()}


def test_empty_task_list() -> None:
    assert map_tasks(_pid, [], scheduler="local") == []
    assert map_tasks(_pid, []) == []


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_isolated_solves_fork_from_worker_threads(
    cluster_address: str, start_method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sitecircle's child-process solver isolation works from Dask worker threads.

    ``_runner`` forks while no HiGHS is loaded and uses a fork server afterwards; both are
    forced here in turn (the solver itself runs for real).
    """
    import multiprocessing as mp

    from sitecircle.solving import runner as _runner

    context = mp.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload(_runner._PRELOAD)
    monkeypatch.setattr(_runner, "_context", lambda: context)
    paths = [str(INSTANCES / "tiny" / n) for n in ("budget-binds.json",
                                                    "min-cost-full-coverage.json")]
    solve = functools.partial(sitecircle.solve, isolate=True, time_limit=30)
    results: list[TaskResult[sitecircle.Solution]] = map_tasks(solve, paths,
                                                               scheduler=cluster_address)
    for path, result in zip(paths, results, strict=True):
        solution = result.unwrap()
        assert solution.solver["isolated"] is True
        expected = sitecircle.files.load_json(path)["expected"]["objective"]
        assert solution.objective == pytest.approx(expected)


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (" local ", "local"), ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
    ("10.0.0.5:8786\n", "10.0.0.5:8786"), ("tls://[::1]:8786", "tls://[::1]:8786")])
def test_good_scheduler_is_stripped(value: str | None, expected: str | None) -> None:
    assert check_scheduler(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "locl", "tcp://", "http//x", "no port"])
def test_bad_scheduler_is_an_options_error(value: str) -> None:
    with pytest.raises(OptionsError, match="--scheduler"):
        check_scheduler(value)


def test_unreachable_scheduler_is_an_options_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sitecircle.parallel.CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(OptionsError, match=r"--scheduler tcp://127\.0\.0\.1:9: cannot reach"):
        map_tasks(_pid, [1], scheduler="tcp://127.0.0.1:9")


def test_bad_workers() -> None:
    with pytest.raises(OptionsError, match="workers"):
        map_tasks(_pid, [1], scheduler="local", workers=0)


def test_stdout_redirect_is_safe_across_threads() -> None:
    """Two overlapping redirects (heuristics in two worker threads) leave fd 1 as it was."""
    import threading

    from sitecircle.solving.runner import stdout_to_stderr

    def identity(fd: int) -> tuple[int, int]:
        st = os.fstat(fd)
        return st.st_dev, st.st_ino

    before = identity(1)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with stdout_to_stderr():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with stdout_to_stderr():
            second_in.set()
            first_out.wait(5)
            assert identity(1) == identity(2)  # still redirected while one is inside

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert identity(1) == before


def _solve_in_daemon(path: str, conn: Any) -> None:
    try:
        solution = sitecircle.solve(path, isolate=True, time_limit=30)
        conn.send((solution.objective, solution.solver["isolated"]))
    except BaseException as exc:  # noqa: BLE001 - report to the test
        conn.send((None, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def test_solve_inside_a_daemonic_process_runs_in_place() -> None:
    """A daemonic process (Dask worker under a nanny, pool worker) may not fork a child."""
    import multiprocessing as mp

    context = mp.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    path = str(INSTANCES / "tiny" / "budget-binds.json")
    proc = context.Process(target=_solve_in_daemon, args=(path, send), daemon=True)
    proc.start()
    send.close()
    assert receive.poll(60)
    objective, isolated = receive.recv()
    proc.join(10)
    assert (objective, isolated) == (750, False)


@pytest.mark.slow
def test_worker_processes_under_a_nanny() -> None:
    """Real worker processes (daemonic, under nannies): a sweep there equals the serial one."""
    cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        paths = [str(INSTANCES / "tiny" / n) for n in ("budget-binds.json",
                                                        "weights-elderly.json")]
        remote = sitecircle.sweep(paths, budgets=[0, 6, 12], scheduler=cluster.scheduler_address)
        serial = sitecircle.sweep(paths, budgets=[0, 6, 12])
        assert [p.status for p in remote.points] == ["optimal"] * 6
        strip = ("seconds",)
        assert [{k: v for k, v in p.row().items() if k not in strip} for p in remote.points] == [
            {k: v for k, v in p.row().items() if k not in strip} for p in serial.points]
    finally:
        cluster.close()
