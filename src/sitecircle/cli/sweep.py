"""``sitecircle sweep``: a budget, threshold, speed or target-share series, or several instances.

``register(subparsers)`` adds the subcommand; it sets ``args.planner_handler`` (the hook
:func:`sitecircle.cli.main.main` calls), and errors are raised for ``main`` to map to exit codes.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sitecircle.cli.common import limit_warning, solve_settings
from sitecircle.cli.common import no_fork as no_fork
from sitecircle.errors import OptionsError
from sitecircle.parallel import check_scheduler
from sitecircle.scenarios.nested import nested_sweep
from sitecircle.scenarios.nested import solution_name as nested_name
from sitecircle.scenarios.result import SweepPoint
from sitecircle.scenarios.series import sweep
from sitecircle.solution import write_solution

#: A sweep longer than this is almost certainly a typo in a range.
MAX_POINTS = 1000


def parse_series(text: str) -> list[float]:
    """Parse ``200,400,800`` or ``START:STOP:STEP`` (STOP included when on the grid).

    Parameters
    ----------
    text
        The option's value.

    Returns
    -------
    list of float
        The values in the order given.

    Raises
    ------
    argparse.ArgumentTypeError
        The text is neither form, a range is empty or longer than :data:`MAX_POINTS`.
    """
    text = text.strip()
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3:
                raise ValueError
            start, stop, step = parts
            if not all(math.isfinite(v) for v in parts) or step <= 0 or stop < start:
                msg = (f"range {text!r} needs START <= STOP and STEP > 0 (e.g. 100:1000:100)")
                raise argparse.ArgumentTypeError(msg)
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_POINTS:
                msg = f"range {text!r} has {count:,} points; at most {MAX_POINTS} per sweep"
                raise argparse.ArgumentTypeError(msg)
            return [round(start + i * step, 12) for i in range(count)]
        values = [float(v) for v in re.split(r"[,\s]+", text) if v]
    except ValueError:
        msg = (f"{text!r} is not a list of numbers (200,400,800) or a range START:STOP:STEP "
               "(100:1000:100)")
        raise argparse.ArgumentTypeError(msg) from None
    if not values:
        msg = "give at least one value"
        raise argparse.ArgumentTypeError(msg)
    if len(values) > MAX_POINTS:
        msg = f"{len(values):,} values; at most {MAX_POINTS} per sweep"
        raise argparse.ArgumentTypeError(msg)
    return values


def register(subparsers: Any) -> None:
    """Add the ``sweep`` subcommand.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers``.
    """
    p = subparsers.add_parser(
        "sweep", help="solve a budget/threshold/speed/target-share series, or several "
        "instances, serially or on Dask; write the curve; --nested: one investment order",
        description="Solve every instance at every value of one series (each scenario is the "
        "instance with objective.budget, every category's threshold_min, "
        "travel.speed_m_per_min, or objective.target_share changed), verify each answer, and "
        "print the table: coverage, cost and the marginal gain per extra unit. Without a "
        "series, every instance is solved as it is (the cities of a province). Exit code: 1 if "
        "a point failed, else 4 if one found no solution, else 3 if one is infeasible, else 0.")
    p.add_argument("instances", nargs="+", metavar="INSTANCE",
                   help="sitecircle.instance/1 JSON file(s)")
    series = p.add_mutually_exclusive_group()
    series.add_argument("--budgets", type=parse_series, metavar="LIST|START:STOP:STEP",
                        help="budgets, e.g. 200,400,800 or 100:1000:100")
    series.add_argument("--thresholds", type=parse_series, metavar="LIST|START:STOP:STEP",
                        help="walking-time threshold of every category, minutes")
    series.add_argument("--speeds", type=parse_series, metavar="LIST|START:STOP:STEP",
                        help="walking speed, m/min (straight and network travel)")
    series.add_argument("--target-shares", type=parse_series, metavar="LIST|START:STOP:STEP",
                        help="min_cost: share of each required category's demand to cover, "
                        "e.g. 0.8,0.9,1 or 0.5:1:0.1")
    series.add_argument("--min-shares", type=parse_series, metavar="LIST|START:STOP:STEP",
                        help="every objective.equity rule's min_share, e.g. 0.5:0.9:0.1 (the "
                        "price of equity)")
    p.add_argument("--nested", action="store_true",
                   help="with --budgets: solve one plan over the budgets in increasing order, "
                   "each budget's plan containing the previous one (an investment order), and "
                   "compare it with each budget solved alone: the price of nesting")
    p.add_argument("--backend", help="ortools (default) or pulp")
    p.add_argument("--engine", help="as for solve (scip, highs, sat, cbc, heuristic, benders)")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="wall-clock limit of "
                   "each point's whole solve (as for solve)")
    p.add_argument("--gap", type=float, help="relative gap accepted as optimal (default 0)")
    p.add_argument("--threads", type=int, help="solver threads of each point")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--scheduler", metavar="local|ADDRESS",
                   help="run points in parallel on Dask: 'local' (a cluster in this process) or "
                   "a scheduler address such as tcp://10.0.0.5:8786 (default: one at a time)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="with --scheduler local: points solved at once (default: CPUs)")
    p.add_argument("--out", metavar="FILE", help="write the table as .csv or .json")
    p.add_argument("--plot", metavar="FILE.png", help="draw coverage vs the series, with the "
                   "marginal gain, to a PNG")
    p.add_argument("--out-dir", metavar="DIR", help="write each point's sitecircle.solution/1 "
                   "JSON into DIR")
    p.add_argument("--json", action="store_true", help="print the table as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(planner_handler=cmd_sweep)


def _check_paths(args: argparse.Namespace) -> None:

    if args.out and Path(args.out).suffix.lower() not in (".csv", ".json"):
        msg = f"--out {args.out!r}: give a .csv or .json file name"
        raise OptionsError(msg)
    if args.plot and Path(args.plot).suffix.lower() != ".png":
        msg = f"--plot {args.plot!r}: give a .png file name"
        raise OptionsError(msg)
    if args.out_dir and Path(args.out_dir).exists() and not Path(args.out_dir).is_dir():
        msg = f"--out-dir {args.out_dir!r} is a file; give a folder"
        raise OptionsError(msg)
    for name in args.instances:
        if not Path(name).is_file():
            msg = f"instance {name!r}: no such file"
            raise OptionsError(msg)


def _solution_name(instance: str, parameter: str | None, value: float | None) -> str:
    stem = re.sub(r"[^\w.-]+", "_", instance) or "instance"
    if parameter is None or value is None:
        return f"{stem}.json"
    return f"{stem}-{parameter}-{value:g}.json"


def _tell_written(args: argparse.Namespace) -> None:
    if not args.quiet:
        for label, path in (("table", args.out), ("curve", args.plot),
                            ("solutions", args.out_dir)):
            if path:
                print(f"wrote {label}: {path}", file=sys.stderr)


def _show_progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run ``sitecircle sweep``.

    Parameters
    ----------
    args
        Parsed arguments.

    Returns
    -------
    int
        The exit code (:attr:`sitecircle.scenarios.result.SweepResult.exit_code`).
    """

    _check_paths(args)
    if args.nested and args.budgets is None:
        given = [f for f, v in (("--thresholds", args.thresholds), ("--speeds", args.speeds),
                                ("--target-shares", args.target_shares),
                                ("--min-shares", args.min_shares)) if v is not None]
        msg = ("--nested needs --budgets (e.g. --budgets 200,400,840): the nested plans are "
               "budget steps" + (f"; {given[0]} cannot be nested" if given else ""))
        raise OptionsError(msg)
    check_scheduler(args.scheduler)
    if args.workers is not None and (args.workers < 1 or args.scheduler != "local"):
        msg = "--workers N needs --scheduler local and N >= 1"
        raise OptionsError(msg)
    options = solve_settings(args)
    if not args.quiet:
        warning = limit_warning(options)
        if warning:
            print(f"warning: {warning} (each point)", file=sys.stderr)
    options["isolate"] = None if no_fork() else True  # as `solve`: a solver crash ends a child
    show = None if args.quiet or not sys.stderr.isatty() else _show_progress
    if args.nested:
        return _nested(args, options, show)
    result = sweep(args.instances, budgets=args.budgets, thresholds=args.thresholds,
                   speeds=args.speeds, target_shares=args.target_shares,
                   min_shares=args.min_shares,
                   scheduler=args.scheduler, workers=args.workers, progress=show, **options)
    if args.out:
        result.write(args.out)
    if args.plot:
        result.plot(args.plot)
    if args.out_dir:
        _write_points(result.points, len(args.instances), Path(args.out_dir))
    _show(args, result.to_json, result.format_table)
    return result.exit_code


def _write_points(points: Sequence[SweepPoint], n_instances: int, folder: Path) -> None:
    """Each point's solution to ``folder``, named by instance, parameter and value (instances
    sharing one name are numbered)."""
    per_instance = len(points) // n_instances
    names = [points[k * per_instance].instance for k in range(n_instances)]
    clash = len(set(names)) < len(names)  # two files with one name: number them
    for i, point in enumerate(points):
        if point.solution is not None:
            name = f"{i // per_instance + 1}-{point.instance}" if clash else point.instance
            write_solution(point.solution, folder / _solution_name(
                name, point.parameter, point.value))


def _show(args: argparse.Namespace, to_json: Callable[[], dict[str, Any]],
          format_table: Callable[[], str]) -> None:
    """The result as JSON (``--json``) or a table (unless ``--quiet``), then what was written."""
    if args.json:
        json.dump(to_json(), sys.stdout, ensure_ascii=False, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(format_table())
    _tell_written(args)


def _nested(args: argparse.Namespace, options: dict[str, Any],
            show: Callable[[str], None] | None) -> int:
    """``sweep --nested``: the nested plan beside the free ones; write and print the table."""
    result = nested_sweep(args.instances, args.budgets, scheduler=args.scheduler,
                          workers=args.workers, progress=show, **options)
    if args.out:
        result.write(args.out)
    if args.plot:
        result.plot(args.plot)
    if args.out_dir:
        for solution in result.nested:
            write_solution(solution, Path(args.out_dir) / nested_name(solution.instance))
        _write_points(result.free.points, len(args.instances), Path(args.out_dir))
    _show(args, result.to_json, result.format_table)
    return int(result.exit_code)
