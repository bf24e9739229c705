"""Run a backend under a wall-clock deadline, safe against Ctrl-C, SIGTERM and solver crashes.

By default (where ``fork`` exists) the backend runs in a child process in its own process group:

* the solver gets the remaining time as its own limit;
* past the deadline (``1.02 × limit + 0.2 s``) the group receives SIGINT, on which SCIP and CBC stop
  and return their best solution;
* past the hard deadline (``1.08 × limit + 0.5 s``) the group is killed and the run has no
  solution: the wall-clock limit holds whatever the engine does;
* Ctrl-C or SIGTERM in the parent is forwarded the same way, so an interrupted run still returns
  the best solution found so far;
* a solver that crashes (segfault, abort) ends only the child: the parent reports which backend
  failed instead of dying.

With ``verbose`` the child's standard output goes to standard error (the solver log never mixes
with ``--json`` output); otherwise both its streams are discarded (no HiGHS banners, no absl log
lines on an interrupt: ``--quiet`` is quiet). Without ``fork``, or in a daemonic process (a
multiprocessing pool worker, a ``dask worker`` process under its nanny), which may not have
children, the backend runs in the calling process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sitecircle.backends.base import Backend, BackendResult, SolveOptions
from sitecircle.errors import BackendCapabilityError, OptionsError, SolveError
from sitecircle.model.linear import LinearModel
from sitecircle.solution_status import Status
from sitecircle.stopping import clear_stop, request_stop

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

#: SIGINT is sent at ``SOFT_FACTOR × limit + SOFT_EXTRA_S`` and SIGKILL at
#: ``HARD_FACTOR × limit + HARD_EXTRA_S`` seconds after the solver starts.
SOFT_FACTOR, SOFT_EXTRA_S = 1.02, 0.2
HARD_FACTOR, HARD_EXTRA_S = 1.08, 0.5
#: After a forwarded Ctrl-C or SIGTERM the solver gets this long to return its best solution.
INTERRUPT_GRACE_S = 5.0


@dataclass
class RunInfo:
    """How a backend run ended: ``interrupted`` is None, ``"time_limit"`` or ``"signal"``."""

    interrupted: str | None = None
    killed: bool = False
    isolated: bool = False


def _note_interrupt(signum: int, frame: Any) -> None:
    """SIGINT handler of the solver process: the exact engines react to the signal themselves,
    sitecircle's own engines to the stop request (:mod:`sitecircle.stopping`)."""
    request_stop()


def _child(conn: Connection, backend: Backend, model: LinearModel, options: SolveOptions) -> None:
    with contextlib.suppress(OSError):  # already a group leader when spawned that way
        os.setpgrp()
    # SIGINT is meant for the engine (SCIP, CBC and CP-SAT stop on it and return their best
    # solution); raising KeyboardInterrupt here would throw that answer away as the engine call
    # returns. sitecircle's own engines end their loops on the stop request the handler makes
    # and return their best plan; code that keeps running regardless is stopped by the SIGKILL
    # deadline.
    clear_stop()  # a fork-server child starts clean; a forked one may inherit a request
    signal.signal(signal.SIGINT, _note_interrupt)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        if options.verbose:  # the solver log, on stderr so --json output stays pure
            os.dup2(2, 1)
        else:  # banners (HiGHS), absl log lines (OR-Tools on SIGINT): nobody asked for them
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            os.close(quiet)
    except OSError:  # pragma: no cover - no usable stderr
        pass
    try:
        conn.send(("ok", backend.solve(model, options)))
    except KeyboardInterrupt:
        conn.send(("interrupted", None))
    except SolveError as exc:
        conn.send(("solve_error", str(exc)))
    except OptionsError as exc:
        conn.send(("options_error", str(exc)))
    except BackendCapabilityError as exc:
        conn.send(("capability_error", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - report anything to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


_PRELOAD = ["sitecircle.solving.runner", "sitecircle.backends.ortools", "sitecircle.backends.pulp",
            "sitecircle.backends.own_engines",
            "ortools.linear_solver.python.model_builder_helper", "pulp"]


def _multiprocessing() -> Any:
    """The ``multiprocessing`` module, loaded on first use (~20 ms a start-up otherwise; a run
    in this process never needs it)."""
    import multiprocessing  # noqa: PLC0415 - loaded on first use (start-up)

    return multiprocessing


def _context() -> Any:
    """``fork`` while no HiGHS has been loaded here; afterwards a fork server.

    HiGHS keeps a thread pool that a forked child inherits without its threads, and hangs on.
    (OR-Tools' own HiGHS, run in this process, does not: a forked HiGHS solve after it was
    checked on the demo district.)
    The fork server is a fresh process (started once, with the solver modules preloaded but no
    solver run), so its children start quickly and clean.
    """
    mp = _multiprocessing()
    if "highspy" not in sys.modules:
        return mp.get_context("fork")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


_start_lock = threading.Lock()


@contextlib.contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Keep a fork-server child from re-running the user's script.

    A fork-server (or spawn) child imports the parent's ``__main__`` by path before it runs, so a
    script that calls :func:`sitecircle.solve` at top level (no ``if __name__ == "__main__"``
    guard) would run again in every child and fail there. The child needs nothing from the
    script (it runs :func:`_child` with sitecircle objects), so the path is hidden while it
    starts.
    """
    with _start_lock:
        main = sys.modules.get("__main__")
        path = getattr(main, "__file__", None)
        if main is None or path is None or getattr(main, "__spec__", None) is not None:
            yield
            return
        del main.__file__
        try:
            yield
        finally:
            main.__file__ = path


def no_solution(backend: Backend, options: SolveOptions, why: str) -> BackendResult:
    """A result without a solution, saying why (``native_status``)."""
    return BackendResult(status=Status.NO_SOLUTION, values=None, objective=None, bound=None,
                         native_status=why, engine=options.engine or backend.default_engine,
                         solve_seconds=0.0, translate_seconds=0.0)


def run_backend(
    backend: Backend, model: LinearModel, options: SolveOptions, *, isolate: bool | None = None
) -> tuple[BackendResult, RunInfo]:
    """Solve ``model`` with ``backend``, enforcing ``options.time_limit_s`` on the wall clock.

    Parameters
    ----------
    backend
        The backend.
    model
        The model.
    options
        Solve options; ``time_limit_s`` is the remaining time for the solver.
    isolate
        Run in a child process (default: wherever ``fork`` is available and this process is not
        daemonic; never in a daemonic one).

    Returns
    -------
    tuple
        The backend's result and how the run ended.

    Raises
    ------
    SolveError
        The backend failed or crashed.
    """
    # A daemonic process (a multiprocessing pool worker, a Dask worker under a nanny) may not
    # have children: the backend then runs here, like where fork does not exist.
    if isolate is not False:
        mp = _multiprocessing()
        can_fork = "fork" in mp.get_all_start_methods() and not mp.current_process().daemon
        isolate = can_fork if isolate is None else isolate and can_fork
    if not isolate:
        with solver_output(options.verbose):
            return backend.solve(model, options), RunInfo()
    info = RunInfo(isolated=True)
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, backend, model, options), daemon=True)
    start = time.monotonic()
    with _main_script_hidden():
        proc.start()
    send.close()
    limit = options.time_limit_s
    soft = start + SOFT_FACTOR * limit + SOFT_EXTRA_S if limit is not None else None
    hard = start + HARD_FACTOR * limit + HARD_EXTRA_S if limit is not None else None
    message: tuple[str, Any] | None = None
    try:
        message = _wait(proc, receive, soft, hard, info)
    finally:
        if proc.is_alive() and proc.pid is not None:
            _signal_group(proc.pid, signal.SIGKILL)
        proc.join(timeout=5)
        receive.close()
    if message is None:
        if not info.killed:
            code = proc.exitcode
            msg = (f"backend {backend.name!r} crashed (exit code {code}) without an answer; "
                   "try another backend or engine")
            raise SolveError(msg)
        why = (f"killed: still running {INTERRUPT_GRACE_S:g} s after the interrupt"
               if info.interrupted == "signal" else "killed at the hard time limit")
        return no_solution(backend, options, why), info
    kind, payload = message
    if kind == "ok":
        result: BackendResult = payload
        return result, info
    if kind == "interrupted":
        return no_solution(backend, options, "interrupted before a solution was found"), info
    if kind == "solve_error":
        raise SolveError(payload)
    if kind == "options_error":
        raise OptionsError(payload)
    if kind == "capability_error":
        raise BackendCapabilityError(payload)
    msg = f"backend {backend.name!r} failed: {payload}; try another backend or engine"
    raise SolveError(msg)


def solver_output(verbose: bool) -> contextlib.AbstractContextManager[None]:
    """Where a solver running in this process may write: stderr when verbose, else nowhere.

    Standard error itself is left alone here (Python's own warnings go there); a solver in a
    child process (:func:`run_backend`) has both its streams discarded unless verbose.
    """
    return stdout_to_stderr(discard=not verbose)


@contextlib.contextmanager
def stdout_to_stderr(*, discard: bool = False) -> Iterator[None]:
    """Send this process's standard output (file descriptor 1) to standard error for a while.

    Native libraries (HiGHS prints a banner) write to the descriptor directly; this keeps such
    output away from ``--json`` results on standard output, or (``discard``) drops it. Safe
    across threads (Dask workers): the first caller redirects, the last one to leave restores.
    """
    global _redirect_depth, _saved_stdout
    with _redirect_lock:
        if _redirect_depth == 0:
            sys.stdout.flush()
            try:
                _saved_stdout = os.dup(1)
                if discard:
                    quiet = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(quiet, 1)
                    os.close(quiet)
                else:
                    os.dup2(2, 1)
            except OSError:  # pragma: no cover - no standard output at all
                _saved_stdout = None
        _redirect_depth += 1
    try:
        yield
    finally:
        with _redirect_lock:
            _redirect_depth -= 1
            if _redirect_depth == 0 and _saved_stdout is not None:
                sys.stdout.flush()
                os.dup2(_saved_stdout, 1)
                os.close(_saved_stdout)
                _saved_stdout = None


_redirect_lock = threading.Lock()
_redirect_depth = 0
_saved_stdout: int | None = None


def _signal_group(pid: int, sig: int) -> None:
    """Signal the child's process group (solver subprocesses included), or the child alone."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _wait(
    proc: Any, receive: Connection, soft: float | None, hard: float | None, info: RunInfo
) -> tuple[str, Any] | None:
    """Wait for the child's message, escalating SIGINT then SIGKILL at the deadlines."""
    sent_int = False
    while True:
        try:
            if receive.poll(0.05):
                try:
                    msg: tuple[str, Any] = receive.recv()
                except EOFError:
                    return None
                return msg
            if not proc.is_alive() and not receive.poll(0.05):
                return None
            now = time.monotonic()
            if soft is not None and now >= soft and not sent_int:
                info.interrupted = info.interrupted or "time_limit"
                _signal_group(proc.pid, signal.SIGINT)
                sent_int = True
            if hard is not None and now >= hard:
                info.killed = True
                _signal_group(proc.pid, signal.SIGKILL)
                proc.join(timeout=5)
                return None
        except KeyboardInterrupt:
            info.interrupted = "signal"
            _signal_group(proc.pid, signal.SIGINT)
            sent_int = True
            grace = time.monotonic() + INTERRUPT_GRACE_S
            hard = grace if hard is None else min(hard, grace)
