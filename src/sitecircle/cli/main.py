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
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import sitecircle.cli.network as _cli_network
import sitecircle.cli.planner as _cli_planner
import sitecircle.cli.sweep as _cli_sweep
from sitecircle._version import __version__
from sitecircle.backends.base import SolveOptions
from sitecircle.backends.registry import REGISTRY
from sitecircle.cli.common import no_fork
from sitecircle.cli.network import COMMANDS
from sitecircle.cli.planner import after_solve
from sitecircle.errors import (
    BackendUnavailableError,
    InstanceError,
    OptionsError,
    ResourceLimitError,
    SitecircleError,
    SolveError,
)
from sitecircle.instance.read import read_instance
from sitecircle.model.linear import LinearModel
from sitecircle.outputs.summary import summary
from sitecircle.parallel import check_scheduler
from sitecircle.solution import write_solution
from sitecircle.solution_status import ExitCode
from sitecircle.solving.pipeline import solve
from sitecircle.solving.runner import run_backend
from sitecircle.travel.join_report import format_network_report, network_report

#: Short names of :class:`~sitecircle.solution_status.ExitCode` (the one definition).
EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = ExitCode.OK, ExitCode.INTERNAL, ExitCode.INVALID
EXIT_INFEASIBLE, EXIT_NO_SOLUTION = ExitCode.INFEASIBLE, ExitCode.NO_SOLUTION
_PROFILE_KEYS = {"backend", "engine", "time_limit", "gap", "threads", "seed", "backend_options",
                 "description"}


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
    s.add_argument("--backend", help="ortools (default) or pulp")
    s.add_argument("--engine", help="ortools: scip (default), highs, sat; pulp: cbc (default), "
                   "highs; any backend: heuristic, benders")
    s.add_argument("--time-limit", type=float, metavar="SECONDS", help="solver time limit")
    s.add_argument("--gap", type=float, help="relative gap accepted as optimal (default 0)")
    s.add_argument("--threads", type=int, help="solver threads")
    s.add_argument("--seed", type=int, help="random seed (default 0)")
    s.add_argument("--memory-limit", type=float, metavar="GIB", help="refuse an instance "
                   "whose estimated peak memory exceeds this many GiB (checked before coverage)")
    s.add_argument("--scheduler", metavar="local|ADDRESS", help="solve the independent parts "
                   "of a separable model (e.g. the cities of a province) in parallel on Dask: "
                   "'local' or a scheduler address (default: one after another)")
    s.add_argument("--profile", help="solver option preset: a name in solvers/ or a JSON path")
    s.add_argument("--out", metavar="FILE", help="write the sitecircle.solution/1 JSON here "
                   "(missing folders are created)")
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
    sub.add_parser("doctor", help="check every backend and engine by solving a tiny model")
    return p


def _load_profile(name: str) -> dict[str, Any]:
    path: Path | Traversable = Path(name)
    if not Path(name).suffix:
        # ./solvers/NAME.json first (a user's own presets), then the presets shipped as package
        # data (``sitecircle/presets`` is the repository's ``solvers/`` folder).
        for candidate in (Path.cwd() / "solvers" / f"{name}.json",
                          resources.files("sitecircle").joinpath("presets", f"{name}.json")):
            if candidate.is_file():
                path = candidate
                break
    if not path.is_file():
        shipped = sorted(p.name.removesuffix(".json") for p in
                         resources.files("sitecircle").joinpath("presets").iterdir()
                         if p.name.endswith(".json"))
        msg = (f"--profile {name!r}: no such file or preset (presets in ./solvers/ or shipped: "
               f"{', '.join(shipped)})")
        raise BackendUnavailableError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = f"--profile {name!r}: cannot read {path} as JSON: {exc}"
        raise BackendUnavailableError(msg) from exc
    if not isinstance(data, dict):
        msg = f"--profile {name!r}: must be a JSON object, got {type(data).__name__}"
        raise BackendUnavailableError(msg)
    unknown = set(data) - _PROFILE_KEYS
    if unknown:
        msg = f"--profile {name!r}: unknown keys {sorted(unknown)}"
        raise BackendUnavailableError(msg)
    for key, kinds in (("backend", str), ("engine", str), ("time_limit", (int, float)),
                       ("gap", (int, float)), ("threads", int), ("seed", int),
                       ("backend_options", dict)):
        value = data.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            msg = f"--profile {name!r}: {key} has the wrong type ({value!r})"
            raise BackendUnavailableError(msg)
    return {k: v for k, v in data.items() if k != "description" and v is not None}


def _cmd_solve(args: argparse.Namespace) -> int:

    settings: dict[str, Any] = _load_profile(args.profile) if args.profile else {}
    for key in ("backend", "engine", "gap", "threads", "seed"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.time_limit is not None:
        settings["time_limit"] = args.time_limit
    for key, low in (("time_limit", 0.0), ("gap", 0.0), ("seed", 0)):
        if settings.get(key) is not None and not settings[key] >= low:
            msg = f"--{key.replace('_', '-')} must be >= {low:g}, got {settings[key]}"
            raise BackendUnavailableError(msg)
    if args.out and Path(args.out).is_dir():
        msg = f"--out {args.out!r} is a folder; give a file name"
        raise BackendUnavailableError(msg)
    if args.scheduler is not None:

        settings["scheduler"] = check_scheduler(args.scheduler)
    instance = read_instance(args.instance)
    if not args.quiet:
        for w in instance.warnings:
            print(f"warning: {w}", file=sys.stderr)
        _print_network_report(instance)
    solution = solve(instance, verbose=args.verbose, isolate=None if no_fork() else True,
                     memory_limit_gb=args.memory_limit, progress=_progress(args), **settings)
    if sys.stderr.isatty() and not args.quiet:
        sys.stderr.write("\r\033[K")
    if args.out:
        write_solution(solution, args.out)

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
    """Solve a two-variable model on every engine, each in its own process."""
    import time  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415
    import scipy.sparse as sp  # noqa: PLC0415


    model = LinearModel(
        sense="max", c=np.array([1.0, 2.0]), offset=0.0, A=sp.csr_array(np.array([[1.0, 1.0]])),
        row_lower=np.array([-np.inf]), row_upper=np.array([1.0]), col_lower=np.zeros(2),
        col_upper=np.ones(2), integrality=np.array([True, True]),
        blocks={"open": slice(0, 2)}, row_blocks={"max_new": slice(0, 1)},
        open_site=np.array([0, 1], dtype=np.int32), open_category=np.zeros(2, dtype=np.int32),
        site_open_site=np.zeros(0, dtype=np.int32),
    )
    failures = 0
    for name, cls in REGISTRY.items():
        backend = cls()
        versions = ", ".join(f"{m} {v}" for m, v in backend.versions().items())
        if not cls.is_available():
            print(f"{name}: not installed ({versions})")
            failures += 1
            continue
        for engine in cls.engines:
            start = time.perf_counter()
            try:
                result, _ = run_backend(backend, model, SolveOptions(engine=engine,
                                                                     time_limit_s=30))
                ok = result.objective is not None and abs(result.objective - 2.0) < 1e-9
                state = f"ok ({result.status.value})" if ok else f"WRONG ANSWER {result}"
            except SitecircleError as exc:
                ok, state = False, f"FAILED: {exc}"
            failures += not ok
            print(f"{name}/{engine}: {state} in {time.perf_counter() - start:.2f} s — {versions}")
    return EXIT_OK if failures == 0 else EXIT_INTERNAL


def _cmd_backends() -> int:

    for name, cls in REGISTRY.items():
        backend = cls()
        state = "available" if cls.is_available() else "not installed"
        versions = ", ".join(f"{m} {v}" for m, v in backend.versions().items())
        engines = ", ".join(e + (" (default)" if e == cls.default_engine else "")
                            for e in cls.engines)
        print(f"{name}: {state} — {versions}; engines: {engines}")
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
    except (BackendUnavailableError, OptionsError, ResourceLimitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (SolveError, SitecircleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:  # e.g. `sitecircle catalog | head`: the reader left, that is fine
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
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
