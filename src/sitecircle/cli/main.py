"""Command line: ``sitecircle solve``, ``sitecircle validate``, ``sitecircle backends``.

A thin layer over the library. Exit codes (FORMAT.md): 0 a solution was found (optimal or
feasible); 1 internal error, or a backend answer that failed verification; 2 invalid command
line or invalid instance (every problem is listed); 3 infeasible; 4 no solution within the limits.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sitecircle.cli.network as _cli_network
import sitecircle.cli.planner as _cli_planner
import sitecircle.cli.sweep as _cli_sweep
from sitecircle._version import __version__
from sitecircle.backends.base import UNPROVING_TIME_LIMIT_S
from sitecircle.cli.common import limit_warning, no_fork, solve_settings
from sitecircle.cli.doctor import print_backends, run_doctor
from sitecircle.cli.network import COMMANDS
from sitecircle.cli.planner import after_solve, check_solve_options
from sitecircle.errors import (
    BackendCapabilityError,
    BackendUnavailableError,
    InstanceError,
    OptionsError,
    ResourceLimitError,
    SitecircleError,
    SolveError,
)
from sitecircle.instance.fields import OBJECTIVE_TYPES
from sitecircle.instance.read import read_instance
from sitecircle.outputs.summary import summary
from sitecircle.parallel import check_scheduler
from sitecircle.scenarios.series import override
from sitecircle.solution import write_solution
from sitecircle.solution_status import ExitCode
from sitecircle.solving.pipeline import solve
from sitecircle.travel.join_report import format_network_report, network_report

#: Short names of :class:`~sitecircle.solution_status.ExitCode` (the one definition).
EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = ExitCode.OK, ExitCode.INTERNAL, ExitCode.INVALID
EXIT_INFEASIBLE, EXIT_NO_SOLUTION = ExitCode.INFEASIBLE, ExitCode.NO_SOLUTION
#: The what-if overrides of ``solve``: flag destination → keyword of
#: :func:`~sitecircle.scenarios.series.override`.
_OVERRIDES = ("objective", "budget", "max_new", "target_share")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sitecircle",
        description="Site facilities so every community reaches its 15-minute basket.",
        epilog="exit codes: 0 solved, 1 internal error, 2 invalid input, 3 infeasible, "
               "4 no solution within the limits",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve an instance and verify the answer")
    s.add_argument("instance", help="sitecircle.instance/1 JSON file")
    s.add_argument("--backend", help="ortools (default), pulp, or sitecircle (own engines)")
    s.add_argument("--engine", help="ortools: scip (default), highs, sat; pulp: cbc (default), "
                   "highs; any backend: heuristic, benders (sitecircle's own engines)")
    s.add_argument("--time-limit", type=float, metavar="SECONDS", help="wall-clock limit of "
                   "the whole run: reading, travel times, coverage and model building count, "
                   "the solver gets what remains; stopped runs keep their best solution with a "
                   "gap. Default none, except for engines that cannot prove optimality (sat): "
                   f"{UNPROVING_TIME_LIMIT_S:g} s, with a warning")
    s.add_argument("--gap", type=float, help="relative gap accepted as optimal (default 0)")
    s.add_argument("--threads", type=int, help="solver threads (the heuristic: search "
                   "processes of a plain MCLP under a time limit)")
    s.add_argument("--seed", type=int, help="random seed (default 0)")
    s.add_argument("--memory-limit", type=float, metavar="GIB", help="refuse an instance "
                   "whose estimated peak memory exceeds this many GiB (checked before coverage)")
    s.add_argument("--scheduler", metavar="local|ADDRESS", help="solve the independent parts "
                   "of a separable model (e.g. the cities of a province) in parallel on Dask: "
                   "'local' or a scheduler address (default: one after another)")
    s.add_argument("--profile", help="solver option preset: a name in solvers/ or a JSON path")
    s.add_argument("--out", metavar="FILE", help="write the sitecircle.solution/1 JSON here "
                   "(missing folders are created)")
    what_if = s.add_argument_group("what-if overrides of the instance's objective (recorded in "
                                   "the solution's solver block)")
    what_if.add_argument("--objective", choices=OBJECTIVE_TYPES, help="objective type")
    what_if.add_argument("--budget", type=float, help="total cost limit, open costs included")
    what_if.add_argument("--max-new", type=int, metavar="N",
                         help="limit on new facilities in total")
    what_if.add_argument("--target-share", type=float, metavar="SHARE",
                         help="min_cost: share of each required category's demand to cover")
    s.add_argument("--json", action="store_true", help="print the solution JSON on stdout")
    s.add_argument("--quiet", action="store_true", help="print nothing but errors")
    s.add_argument("--verbose", action="store_true", help="show the solver log")
    v = sub.add_parser("validate", help="check an instance and list every problem")
    v.add_argument("instance")
    v.add_argument("--json", action="store_true", help="print problems as JSON")

    _cli_planner.add_solve_options(s)
    _cli_planner.register(sub)

    _cli_network.register(sub)

    _cli_sweep.register(sub)
    sub.add_parser("backends", help="list solver backends, engines and versions")
    sub.add_parser("doctor", help="check every backend and engine (heuristic and Benders "
                   "included) by solving a tiny instance without and with a time limit, each in "
                   "a process of its own")
    return p


def _cmd_solve(args: argparse.Namespace) -> int:
    settings = solve_settings(args)
    if args.out and Path(args.out).is_dir():
        msg = f"--out {args.out!r} is a folder; give a file name"
        raise OptionsError(msg)
    if args.scheduler is not None:
        settings["scheduler"] = check_scheduler(args.scheduler)
    overrides = {k: getattr(args, k) for k in _OVERRIDES if getattr(args, k) is not None}
    instance = override(read_instance(args.instance), **overrides)
    check_solve_options(args, instance)
    if not args.quiet:
        for w in instance.warnings:
            print(f"warning: {w}", file=sys.stderr)
        _print_network_report(instance)
        warning = limit_warning(settings)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    solution = solve(instance, verbose=args.verbose, isolate=None if no_fork() else True,
                     memory_limit_gb=args.memory_limit, progress=_progress(args), **settings)
    if overrides:
        solution.solver["overrides"] = overrides
    if sys.stderr.isatty() and not args.quiet:
        sys.stderr.write("\r\033[K")
    if args.out:
        write_solution(solution, args.out)
        if not args.quiet:
            print(f"wrote {args.out}", file=sys.stderr)

    after_solve(args, instance, solution)
    if args.json:
        json.dump(solution.to_dict(), sys.stdout, ensure_ascii=False, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(summary(instance, solution))
    return solution.exit_code


def _progress(args: argparse.Namespace) -> Any:
    """Phase lines on a terminal's stderr, overwritten in place; nothing when piped or --quiet."""
    if args.quiet or not sys.stderr.isatty():
        return None
    start = time.monotonic()

    def show(text: str) -> None:
        sys.stderr.write(f"\r\033[K[{time.monotonic() - start:6.1f} s] {text}…")
        sys.stderr.flush()

    return show


def _print_network_report(instance: Any) -> None:
    """Network mode: how points join the streets, and what reaches nothing (to stderr)."""
    if instance.travel.mode != "network":
        return

    print(format_network_report(network_report(instance)), file=sys.stderr)




def _cmd_validate(args: argparse.Namespace) -> int:

    try:
        instance = read_instance(args.instance)
    except InstanceError as exc:
        if args.json:
            print(json.dumps({"valid": False, "problems": [p.to_dict() for p in exc.problems]},
                             ensure_ascii=False, indent=1))
        else:
            print(exc, file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps({"valid": True, "warnings": list(instance.warnings)}, ensure_ascii=False))
    else:
        for w in instance.warnings:
            print(f"warning: {w}", file=sys.stderr)
        _print_network_report(instance)
        print(f"{args.instance}: valid — {instance.n_communities} communities, "
              f"{instance.n_sites} sites, {instance.n_existing} existing, "
              f"{instance.n_categories} categories, travel {instance.travel.mode}, objective "
              f"{instance.objective.type}")
    return EXIT_OK


def _cmd_doctor() -> int:
    """Solve a tiny instance on every engine, with and without a time limit, each isolated."""
    return EXIT_OK if run_doctor() == 0 else EXIT_INTERNAL


def _cmd_backends() -> int:
    print_backends()
    return EXIT_OK


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while solving, so the best solution found is still written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    args = _parser().parse_args(argv)
    try:
        handler = getattr(args, "planner_handler", None)
        if handler is not None:
            if args.command != "sweep":
                return int(handler(args))
            with _sigterm_as_interrupt():  # a sweep keeps the points it has solved
                return int(handler(args))

        if args.command in COMMANDS:
            return COMMANDS[args.command](args)
        if args.command == "solve":
            with _sigterm_as_interrupt():
                return _cmd_solve(args)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "doctor":
            return _cmd_doctor()
        return _cmd_backends()
    except InstanceError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    except (BackendUnavailableError, BackendCapabilityError, OptionsError,
            ResourceLimitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (SolveError, SitecircleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:  # e.g. `sitecircle catalog | head`: the reader left, that is fine
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a path that cannot be read or written: say which and why
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {exc.strerror or exc} (check the path: a folder in it "
              "may be a file, or not writable)", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted before a solution was found; nothing written", file=sys.stderr)
        return EXIT_NO_SOLUTION
    except Exception as exc:  # noqa: BLE001 - last line of defence: no bare traceback
        print(f"internal error: {type(exc).__name__}: {exc} (set SITECIRCLE_DEBUG=1 for the "
              "traceback; please report it)", file=sys.stderr)
        if os.environ.get("SITECIRCLE_DEBUG"):
            traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
