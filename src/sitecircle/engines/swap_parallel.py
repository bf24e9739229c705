"""The swap search of a plain MCLP on more than one core: forked searches with other seeds.

Under a time limit one search of :func:`~sitecircle.engines.swap.swap_ils` is a lottery: what it
reaches depends on its seed and on the rounds it gets (Kings p = 70, 2,000/4,000/8,000 rounds:
0.250/0.188/0.030 % short of the best-known; seeds 0 and 1 at 20 s: 0.04-0.31 %), and the remaining
shortfall is a different arrangement of the whole city, which one trajectory rarely finds. The
heuristic (:mod:`sitecircle.engines.heuristic`) therefore forks ``workers - 1`` helpers
(:mod:`sitecircle.engines.forked`) right after its local search. Helper ``k`` runs the same search
from the same plan with the random stream ``default_rng([seed, k])`` and new trajectories after
:data:`~sitecircle.engines.swap.FRESH_AFTER` rounds without improvement (a portfolio: the
heuristic's own search intensifies one trajectory, the helper also explores; the first helper's
best plan is shared through :mod:`sitecircle.engines.shared_plan` and the heuristic's search adopts
it when it is better) until :data:`HELPER_SHARE` of the limit, while the heuristic itself runs its
bound phase, its own search (seed ``seed``, as with one worker) and the final bound; the best plan
is kept (the heuristic's own on ties). The helpers thus also overlap the two bound phases, which
take the heuristic's core for about a tenth of the limit. Without ``threads`` a helper is forked
only onto an idle core (:func:`search_workers`): where other jobs keep the cores busy, a second
search process only takes CPU time from the first.

Guarantees: the answer is the best plan the processes found. The heuristic's own search follows the
one-worker trajectory (same seed, same start) until it adopts a better plan from the helper; from
then on its trajectory differs, so a run with a helper is not bound to end at or above the
one-worker run of the same seed (the measured runs did: hard six at 60 s, one higher, five equal).
With ``threads=1``, without a time limit, where the model is not a plain MCLP or where
:func:`~sitecircle.engines.forked.fork_refusal` refuses, the heuristic runs alone, exactly as
before.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.engines.forked import Forked, fork_call, fork_refusal
from sitecircle.engines.search import Search, improves
from sitecircle.engines.shared_plan import SharedPlan
from sitecircle.engines.swap import FRESH_AFTER, swap_ils

#: Search processes when ``threads`` is not given (capped by the CPUs this process may use, and
#: by the idle ones: :func:`idle_cpus`).
DEFAULT_WORKERS = 2
#: Seconds over which :func:`idle_cpus` samples ``/proc/stat``.
IDLE_SAMPLE_SECONDS = 0.1
#: Without ``threads``, a helper needs this much idle CPU beyond the heuristic's own core.
IDLE_PER_HELPER = 0.7
#: Helpers search until this share of the time limit (the heuristic's own search ends at 90 %,
#: its final bound at 97 %).
HELPER_SHARE = 0.95
#: No helper for a search shorter than this (seconds).
MIN_HELPER_SECONDS = 1.0


def usable_cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def _cpu_times() -> tuple[float, float] | None:
    """``(idle, total)`` clock ticks of all CPUs from ``/proc/stat`` (None where unreadable)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [float(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    return fields[3] + fields[4], sum(fields)  # idle + iowait; user ... steal


def idle_cpus(seconds: float = IDLE_SAMPLE_SECONDS) -> float | None:
    """CPUs idle over the next ``seconds`` (sampled from ``/proc/stat``; None off Linux)."""
    first = _cpu_times()
    if first is None:
        return None
    time.sleep(seconds)
    second = _cpu_times()
    if second is None or second[1] <= first[1]:
        return None
    return (second[0] - first[0]) / (second[1] - first[1]) * usable_cpus()


def search_workers(threads: int | None) -> int:
    """Search processes for ``threads``, at most :func:`usable_cpus` (more processes than cores
    would only share them).

    ``threads`` given: that many. None: :data:`DEFAULT_WORKERS`, and only as many helpers as
    there are idle CPUs beyond this process's own (:data:`IDLE_PER_HELPER` each, sampled by
    :func:`idle_cpus` while this process waits). On a 2-core machine where another job keeps a
    core busy, a helper would halve this process's speed: measured on the hard six at 60 s with
    two processes of another job running (load 3.6-4.6), one of six reached the best-known
    value with a helper against two without (two higher, three lower).
    """
    cpus = usable_cpus()
    if threads is not None:
        return max(min(int(threads), cpus), 1)
    wanted = min(DEFAULT_WORKERS, cpus)
    if wanted < 2:
        return 1
    idle = idle_cpus()
    if idle is None:
        return wanted
    return max(min(wanted, 1 + int((idle - 1.0) / IDLE_PER_HELPER + 1e-9)), 1)


def _helper(s: Search, p: int, seed: int, index: int, deadline: float, patience: int,
            max_rounds: int, board: SharedPlan | None
            ) -> tuple[float, NDArray[np.int64], int, int]:
    """A helper's search (in the forked child): objective, open columns, rounds, improvements."""
    rounds, kept = swap_ils(s, np.random.default_rng([seed, index]), p=p, deadline=deadline,
                            patience=patience, max_rounds=max_rounds, stop_at=None,
                            fresh_after=FRESH_AFTER, publish_to=board)
    return s.objective(), np.flatnonzero(s.is_open).astype(np.int64), rounds, kept


@dataclass
class Helpers:
    """The forked helper searches of one heuristic run (module docstring)."""

    started: list[Forked] = field(default_factory=list)
    refused: str | None = None
    #: The first helper's best plan as it goes (:mod:`sitecircle.engines.shared_plan`), for the
    #: heuristic's own search to adopt; None without helpers.
    board: SharedPlan | None = None

    @classmethod
    def start(cls, s: Search, *, p: int, seed: int, threads: int | None, deadline: float,
              patience: int, max_rounds: int) -> Helpers:
        """Fork ``search_workers(threads) - 1`` helpers searching from ``s`` until ``deadline``
        (none when the search would be shorter than :data:`MIN_HELPER_SECONDS` or a fork is
        refused)."""
        out = cls()
        if threads == 1 or deadline - time.perf_counter() < MIN_HELPER_SECONDS:
            return out
        workers = search_workers(threads)
        if workers < 2:
            return out
        out.refused = fork_refusal()
        if out.refused is not None:
            return out
        out.board = SharedPlan(p)
        for index in range(1, workers):
            board = out.board if index == 1 else None  # one writer
            forked = fork_call(_helper, s, p, seed, index, deadline, patience, max_rounds, board)
            if forked is not None:
                out.started.append(forked)
        return out

    def cancel(self) -> None:
        """End every helper still running (the plan is optimal already, or the heuristic is
        leaving, normally or not); helpers already collected are left alone."""
        for forked in self.started:
            forked.cancel()

    def collect(self, s: Search, timeout: float) -> list[dict[str, Any]]:
        """Wait for the helpers (at most ``timeout`` seconds in all), move ``s`` to the best plan
        when a helper's beats it, and say what happened: one record per helper (for the phase
        log and :func:`describe`)."""
        end = time.perf_counter() + timeout
        found: list[dict[str, Any]] = []
        for index, forked in enumerate(self.started, start=1):
            ok, value = forked.result(end - time.perf_counter())
            if not ok:
                found.append({"helper": index, "error": str(value)})
                continue
            objective, opened, rounds, kept = value
            mask = np.zeros_like(s.is_open)
            mask[opened] = True
            won = improves(s.st, objective, s.objective())
            if won:
                s.restore(mask)
            found.append({"helper": index, "objective": objective, "rounds": rounds,
                          "improvements": kept, "kept": won})
        return found


def describe(records: list[dict[str, Any]]) -> str:
    """The helpers' part of the heuristic's status text, from :meth:`Helpers.collect`'s records:
    ``", helper 1: 5153 rounds (kept)"`` per helper (or its error)."""
    parts = []
    for h in records:
        if "error" in h:
            what = h["error"]
        else:
            what = f"{h['rounds']} rounds" + (" (kept)" if h["kept"] else "")
        parts.append(f", helper {h['helper']}: {what}")
    return "".join(parts)
