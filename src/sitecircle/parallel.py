"""Run independent tasks serially or on Dask, results in input order, errors kept per task.

:func:`map_tasks` maps a callable over a list of tasks (cities of a province, scenarios of a
sweep, independent components of one instance) and returns one :class:`TaskResult` per task, in
the order given. Where the tasks run is chosen by ``scheduler``:

* ``None``: serially in this process;
* ``"local"``: a ``dask.distributed`` cluster started in this process for the call and closed
  after it. Its workers are *threads*: every sitecircle solve already runs its solver in a child
  process of its own (:mod:`sitecircle.solving.runner`), so the solvers run in parallel while
  reading,
  coverage, model building and verification share this process; the tasks are handed over
  without copying;
* ``"tcp://host:port"`` (or any Dask address): an existing scheduler, e.g. one started with
  ``dask scheduler`` and ``dask worker`` on other machines. The callable and the tasks must be
  picklable and every file they name (network files, matrices) readable on the workers. A
  worker under a nanny (the default) is a daemonic process, which may not have children: there
  :mod:`sitecircle.solving.runner` runs each solver inside the worker; ``dask worker --no-nanny``
  keeps
  one child process per solve.

A task that raises does not end the batch: its :class:`TaskResult` carries the exception and the
other tasks run to the end. Results do not depend on the scheduler, only the timings do.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sitecircle.errors import OptionsError, SitecircleError

T = TypeVar("T")
R = TypeVar("R")

#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT_S = 10.0
#: ``scheme://host:port`` or ``host:port``, the forms a Dask scheduler address takes.
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://\S+|[^\s/:]+:\d+")


class TaskError(SitecircleError, RuntimeError):
    """A task failed with an exception that could not be sent back unchanged.

    It names the original type and message; the traceback text is in :attr:`detail`.

    Parameters
    ----------
    message
        ``"TypeName: message"`` of the original exception.
    detail
        The original traceback, formatted.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with both arguments."""
        return (type(self), (str(self), self.detail))


@dataclass(frozen=True)
class TaskResult(Generic[R]):
    """The outcome of one task.

    Parameters
    ----------
    index
        Position of the task in the input list.
    value
        What the callable returned, or None when it raised.
    error
        The exception it raised, or None.
    seconds
        Wall-clock seconds the task ran, measured where it ran.
    """

    index: int
    value: R | None
    error: BaseException | None
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the task returned normally."""
        return self.error is None

    def unwrap(self) -> R:
        """Return the value, or raise the task's exception.

        Returns
        -------
        R
            The task's value.

        Raises
        ------
        BaseException
            The exception the task raised.
        """
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling unchanged, else a :class:`TaskError`."""
    import traceback  # noqa: PLC0415

    try:
        back = pickle.loads(pickle.dumps(exc))
        if type(back) is type(exc) and str(back) == str(exc):
            return exc
    except Exception:  # noqa: BLE001, S110 - any pickling failure means "not portable"
        pass
    detail = "".join(traceback.format_exception(exc))
    return TaskError(f"{type(exc).__name__}: {exc}", detail)


@dataclass(frozen=True)
class _Capture(Generic[T, R]):
    """Run ``fn`` on one task; return ``(value, error, seconds)`` instead of raising."""

    fn: Callable[[T], R]
    portable: bool

    def __call__(self, task: T) -> tuple[R | None, BaseException | None, float]:
        start = time.perf_counter()
        try:
            value = self.fn(task)
        except Exception as exc:  # noqa: BLE001 - the task's error is its result
            err = _portable(exc) if self.portable else exc
            return None, err, time.perf_counter() - start
        return value, None, time.perf_counter() - start


def check_scheduler(scheduler: str | None) -> str | None:
    """Normalise a ``--scheduler`` value; reject what is neither ``local`` nor an address.

    Parameters
    ----------
    scheduler
        None, ``"local"`` or a Dask scheduler address such as ``"tcp://10.0.0.5:8786"``.

    Returns
    -------
    str or None
        The value, stripped.

    Raises
    ------
    OptionsError
        The value is not ``local`` and does not look like an address.
    """
    if scheduler is None:
        return None
    if not isinstance(scheduler, str) or not scheduler.strip():
        msg = (f"--scheduler must be 'local' or a Dask scheduler address such as "
               f"tcp://host:8786, got {scheduler!r}")
        raise OptionsError(msg)
    value = scheduler.strip()
    if value == "local" or _ADDRESS.fullmatch(value):
        return value
    msg = (f"--scheduler {value!r} is neither 'local' nor a Dask scheduler address: give "
           "'local' for a cluster in this process, or the address printed by `dask scheduler` "
           "(e.g. tcp://10.0.0.5:8786)")
    raise OptionsError(msg)


def _import_distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - dask is a runtime dependency
        msg = ("--scheduler needs dask.distributed, which is not installed: "
               "pip install 'dask[distributed]', or run without --scheduler")
        raise OptionsError(msg) from exc
    return distributed


def _connect(scheduler: str, n_tasks: int, workers: int | None) -> tuple[Any, Any]:
    """Open a client (and a local cluster for ``"local"``); raise OptionsError on failure."""
    distributed = _import_distributed()
    if scheduler == "local":
        n = workers or max(1, min(n_tasks, os.cpu_count() or 1))
        cluster = distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=n, dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        return distributed.Client(cluster, set_as_default=False), cluster
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        msg = (f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({exc}); start one "
               "with `dask scheduler` (and workers with `dask worker ADDRESS`), check the "
               "address and port, or use --scheduler local")
        raise OptionsError(msg) from exc
    return client, None


def map_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    on_result: Callable[[TaskResult[R]], None] | None = None,
) -> list[TaskResult[R]]:
    """Apply ``fn`` to every task, serially or on Dask; results in input order.

    Parameters
    ----------
    fn
        A callable of one argument. With a scheduler it must be picklable (a module-level
        function, a :func:`functools.partial` of one, or an instance of a module-level class).
    tasks
        The tasks; each must be picklable with a scheduler.
    scheduler
        None (serial, in this process), ``"local"`` (a Dask cluster of threads started in this
        process for this call; a single task runs serially) or the address of a running Dask
        scheduler.
    workers
        ``"local"`` only: how many tasks run at once (default: the number of tasks, at most the
        number of CPUs).
    on_result
        Called in this process with each result as soon as its task ends (in completion order,
        which on Dask need not be input order), e.g. to show progress.

    Returns
    -------
    list of TaskResult
        One per task, in input order; a task that raised has ``error`` set and ``value`` None.

    Raises
    ------
    OptionsError
        The scheduler is neither ``local`` nor an address, or cannot be reached.

    Examples
    --------
    >>> [r.value for r in map_tasks(abs, [-2, 3])]
    [2, 3]
    """
    scheduler = check_scheduler(scheduler)
    if workers is not None and not (isinstance(workers, int) and workers >= 1):
        msg = f"workers must be a whole number >= 1, got {workers!r}"
        raise OptionsError(msg)
    items = list(tasks)
    report = on_result or (lambda _result: None)
    if scheduler is None or (scheduler == "local" and len(items) == 1):  # no cluster for one
        run = _Capture(fn, portable=False)
        results: list[TaskResult[R]] = []
        for i, task in enumerate(items):
            results.append(TaskResult(i, *run(task)))
            report(results[-1])
        return results
    if not items:
        return []
    distributed = _import_distributed()
    client, cluster = _connect(scheduler, len(items), workers)
    try:
        # Scattered, the tasks are not copied into the task graph: a local cluster's threads get
        # the very objects (no pickling), remote workers one copy each.
        scattered = client.scatter(items, hash=False)
        futures = client.map(_Capture(fn, portable=True), scattered, pure=False)
        position = {future.key: i for i, future in enumerate(futures)}
        done: dict[int, TaskResult[R]] = {}
        for future in distributed.as_completed(futures, loop=client.loop):
            i = position[future.key]
            try:
                value, error, seconds = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a worker died: this task's error
                value, error, seconds = None, _portable(exc), float("nan")
            done[i] = TaskResult(i, value, error, seconds)
            report(done[i])
        return [done[i] for i in range(len(items))]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
