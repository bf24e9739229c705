"""Run one call in a forked child process and read its result back (a second core for a search).

:func:`fork_call` forks this process; the child runs ``fn(*args)``, sends the pickled result
through a pipe and ends with ``os._exit`` (no ``atexit`` handlers, no ``finally`` blocks of the
parent's stack, no flushing of the parent's buffered output). The parent goes on with its own
work and collects the result with :meth:`Forked.result` (or ends the child with
:meth:`Forked.cancel`). The child sees a copy of the parent's memory at the fork, so nothing
is pickled on the way in.

Where a fork is refused (:func:`fork_refusal` says why, and the caller then runs alone):

* no ``os.fork`` (Windows);
* more than one Python thread in this process: a fork copies only the calling thread, and a
  lock another thread holds (logging, a Dask worker's event loop) would stay locked forever in
  the child;
* a daemonic ``multiprocessing`` process (a pool worker, a Dask worker under its nanny) that
  does not lead its own process group: its parent ends it with SIGTERM, which would leave our
  child running (``multiprocessing`` forbids daemonic processes children for that reason). The
  solver child of :mod:`sitecircle.solving.runner` is daemonic but leads its own process group,
  and the runner signals (SIGINT, SIGKILL) the whole group: a child forked there stays in that
  group and ends with it.

HiGHS keeps a thread pool per process that a forked child inherits without its threads (see
:mod:`sitecircle.solving.runner`): callers fork before they run ``highspy`` in this call, and the
child's work must not need ``highspy``'s pool (the swap search's sub-MIP uses SciPy's own HiGHS).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Bytes read from the pipe at a time.
_CHUNK = 1 << 16


def fork_refusal() -> str | None:
    """Why :func:`fork_call` would not fork here (None: it would); module docstring."""
    if not hasattr(os, "fork"):
        return "no fork on this platform"
    if threading.active_count() > 1:
        return "other threads are running in this process"
    mp = sys.modules.get("multiprocessing")  # a multiprocessing child has it loaded
    if mp is not None and mp.current_process().daemon and os.getpgrp() != os.getpid():
        return "a daemonic process outside a process group of its own"
    return None


@dataclass
class Forked:
    """A child started by :func:`fork_call`: its process id and the reading end of its pipe."""

    pid: int
    fd: int
    done: bool = False

    def result(self, timeout: float) -> tuple[bool, Any]:
        """Wait at most ``timeout`` seconds for the child's answer.

        Returns
        -------
        tuple
            ``(True, value)`` with what the call returned, or ``(False, why)``: the call raised
            (``why`` names the exception), the child died, or the time ran out (the child is
            then killed). The child is reaped in every case.
        """
        end = time.perf_counter() + max(timeout, 0.0)
        data = bytearray()
        try:
            while True:
                left = end - time.perf_counter()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    return False, f"no answer within {timeout:.1f} s"
                chunk = os.read(self.fd, _CHUNK)
                if not chunk:
                    break
                data += chunk
        finally:
            self.cancel()
        try:
            ok, value = pickle.loads(bytes(data))
        except Exception as exc:  # noqa: BLE001 - a truncated answer: the child died writing
            return False, f"the child process ended without an answer ({type(exc).__name__})"
        return bool(ok), value

    def cancel(self) -> None:
        """Kill the child (when still running), reap it and close the pipe; idempotent."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)


def fork_call(fn: Callable[..., Any], *args: Any) -> Forked | None:
    """Run ``fn(*args)`` in a forked child (module docstring); None when refused here.

    The result must be picklable; an exception in the child is sent back as its type and
    message. The child stays in this process's group (signals to the group reach it).
    """
    if fork_refusal() is not None:
        return None
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:  # the parent
        os.close(write)
        return Forked(pid, read)
    code = 1
    try:  # the child: never return into the caller's stack
        os.close(read)
        try:
            answer: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            answer = (False, f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write, view):]
        code = 0
    finally:
        os._exit(code)
