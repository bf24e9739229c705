"""A stop request for sitecircle's own engines: Ctrl-C or SIGTERM reached their process.

The exact engines stop on SIGINT by themselves (SCIP, CBC and CP-SAT return their best solution).
sitecircle's own engines (the heuristic, Benders) are Python loops that test a deadline; a
signal that only marks the process as interrupted would leave them running until the runner's
grace period ends and it kills them, best plan and all. So the solver process
(:mod:`sitecircle.solving.runner`) turns SIGINT into :func:`request_stop`, and the engines test
their deadlines with :func:`past`, which is also true once a stop was requested: every loop then
ends at its next test, each remaining phase at its first, and the engine returns the best plan
it holds (its bound stays valid: a bound is valid whenever it is computed).

The request is per process and sticky until :func:`clear_stop`; a run in the calling process
(no child) is stopped by ``KeyboardInterrupt`` instead, as any Python code.
"""

from __future__ import annotations

import threading
import time

__all__ = ["clear_stop", "past", "request_stop", "stop_requested"]

_requested = threading.Event()


def request_stop() -> None:
    """Ask every engine loop of this process to end at its next deadline test."""
    _requested.set()


def clear_stop() -> None:
    """Forget a stop request (a new run in the same process)."""
    _requested.clear()


def stop_requested() -> bool:
    """Whether a stop was requested in this process."""
    return _requested.is_set()


def past(deadline: float) -> bool:
    """Whether ``deadline`` (a :func:`time.perf_counter` time) has passed or a stop was requested.

    Parameters
    ----------
    deadline
        Seconds on the :func:`time.perf_counter` clock; ``inf`` for none.

    Returns
    -------
    bool
        True past the deadline or after :func:`request_stop`.
    """
    return _requested.is_set() or time.perf_counter() > deadline
