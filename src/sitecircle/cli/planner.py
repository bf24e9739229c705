"""Planner commands: ``sitecircle report``, ``sitecircle build-geo``, and ``solve --geo/--report``.

Wiring (done in :mod:`sitecircle.cli.main`):

* ``register(subparsers)`` adds ``report`` and ``build-geo``; each sets ``args.planner_handler``,
  a function of ``args`` returning the exit code;
* ``add_solve_options(solve_parser)`` adds ``--geo``, ``--geo-coords``, ``--report``,
  ``--tiles`` and ``--color-by`` to ``solve``;
* ``check_solve_options(args, instance)`` refuses a bad ``--color-by`` before the solve;
* ``after_solve(args, instance, solution)`` writes those files once the solution exists.

Handlers print errors themselves and return 2 for invalid input (FORMAT.md exit codes); nothing
but the requested files and short ``wrote ...`` lines on standard error is produced, so
``solve --json`` keeps standard output pure JSON.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from sitecircle.errors import InstanceError, OptionsError
from sitecircle.files import load_json, write_json_atomic
from sitecircle.instance.from_layers import LayerOptions, instance_from_layers
from sitecircle.outputs.group_map import color_by_data
from sitecircle.outputs.html import write_report
from sitecircle.outputs.layers import write_solution_layers
from sitecircle.outputs.lonlat import COORD_SYSTEMS
from sitecircle.outputs.outcome import outcome_from
from sitecircle.solution_status import ExitCode

__all__ = ["add_solve_options", "after_solve", "check_solve_options", "register"]

_GEO_SUFFIXES = (".gpkg", ".geojson", ".json")
_KINDS = ("communities", "sites", "existing", "areas")
_COLOR_BY_HELP = ("colour the report's map communities by this community label (e.g. street), "
                  "with a legend of its groups (default: by missing categories)")
_TILES_HELP = ("basemap of the HTML map: osm (default), amap (GCJ-02, the data are shifted to "
               "match), none, or a tile URL with {z}/{x}/{y}; without network the map falls back "
               "to no basemap")
_GEO_COORDS_HELP = ("coordinates of the --geo layers: wgs84 (default: the instance CRS; GeoJSON "
                    "in WGS 84), gcj02 (to overlay Amap 高德 or Tencent maps) or bd09 (Baidu "
                    "百度); the instance itself stays WGS 84")


def _geo_path(value: str) -> str:
    if Path(value).suffix.lower() not in _GEO_SUFFIXES:
        msg = f"{value!r}: use a .gpkg or .geojson file name"
        raise argparse.ArgumentTypeError(msg)
    return value


def _file_path(value: str) -> str:
    if Path(value).is_dir():
        msg = f"{value!r} is a folder; give a file name"
        raise argparse.ArgumentTypeError(msg)
    return value


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def add_solve_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--geo``, ``--geo-coords``, ``--report`` and ``--tiles`` to the ``solve`` parser.

    Parameters
    ----------
    parser
        The ``solve`` sub-parser.
    """
    parser.add_argument("--geo", type=_geo_path, metavar="FILE",
                        help="also write the solution as GIS layers: .gpkg (four layers) or "
                             ".geojson (RFC 7946, one collection with a 'layer' property)")
    parser.add_argument("--geo-coords", choices=tuple(COORD_SYSTEMS), default="wgs84",
                        help=_GEO_COORDS_HELP)
    parser.add_argument("--report", type=_file_path, metavar="HTML",
                        help="also write the HTML report (Chinese and English, map, tables)")
    parser.add_argument("--tiles", default="osm", metavar="TILES", help=_TILES_HELP)
    parser.add_argument("--color-by", metavar="LABEL", help=_COLOR_BY_HELP)


def check_solve_options(args: argparse.Namespace, instance: Any) -> None:
    """Refuse output options that cannot work, before the solve spends any time.

    Parameters
    ----------
    args
        Parsed ``solve`` arguments.
    instance
        The :class:`~sitecircle.instance.data.Instance` to solve.

    Raises
    ------
    OptionsError
        ``--color-by`` without ``--report``, or naming a label the communities do not have.
    """
    color_by = getattr(args, "color_by", None)
    if color_by is None:
        return
    if not getattr(args, "report", None):
        msg = "--color-by colours the HTML report's map: add --report FILE.html"
        raise OptionsError(msg)
    try:
        color_by_data(instance, color_by)
    except ValueError as exc:
        raise OptionsError(str(exc)) from exc


def after_solve(args: argparse.Namespace, instance: Any, solution: Any) -> None:
    """Write the files that ``--geo`` and ``--report`` ask for.

    Parameters
    ----------
    args
        Parsed ``solve`` arguments (``geo``, ``report``, ``tiles``, ``quiet``).
    instance
        The :class:`~sitecircle.instance.data.Instance` solved.
    solution
        Its :class:`~sitecircle.solution.Solution`.

    Raises
    ------
    InstanceError
        The solution cannot be drawn (it does not match the instance).
    OptionsError
        Unknown ``--tiles``.
    """
    geo, report = getattr(args, "geo", None), getattr(args, "report", None)
    if not geo and not report:
        return

    color_by = getattr(args, "color_by", None)
    check_solve_options(args, instance)  # before any file is written
    out = outcome_from(instance, solution)  # the solve's instance and verification, reused
    if geo:
        coords = getattr(args, "geo_coords", "wgs84")
        write_solution_layers(out, None, geo, coords=coords)
        _say(args, f"wrote {geo}{_coords_note(coords)}")
    if report:

        try:
            write_report(out, None, report, tiles=_tiles(getattr(args, "tiles", "osm")),
                         color_by=color_by)
        except ValueError as exc:
            if isinstance(exc, InstanceError):
                raise
            raise OptionsError(str(exc)) from exc
        _say(args, f"wrote {report}")


def _coords_note(coords: str) -> str:
    if coords == "wgs84":
        return ""
    return f" (coordinates {COORD_SYSTEMS[coords]}; the instance stays WGS 84)"


def _tiles(value: str | None) -> str | None:
    return None if value in (None, "", "none") else value


def register(subparsers: Any) -> None:
    """Add the ``report`` and ``build-geo`` subcommands.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers``.
    """
    r = subparsers.add_parser(
        "report", help="write the HTML report (and optionally a PNG map and GIS layers)",
        description="Draw a solution: one self-contained HTML page in Chinese and English.")
    r.add_argument("solution", help="sitecircle.solution/1 JSON file")
    r.add_argument("instance", help="the sitecircle.instance/1 JSON file it solves")
    r.add_argument("-o", "--out", required=True, type=_file_path, metavar="HTML",
                   help="the HTML report to write")
    r.add_argument("--png", type=_file_path, metavar="FILE", help="also write a static PNG map")
    r.add_argument("--geo", type=_geo_path, metavar="FILE",
                   help="also write GIS layers (.gpkg or .geojson)")
    r.add_argument("--geo-coords", choices=tuple(COORD_SYSTEMS), default="wgs84",
                   help=_GEO_COORDS_HELP)
    r.add_argument("--tiles", default="osm", metavar="TILES", help=_TILES_HELP)
    r.add_argument("--color-by", metavar="LABEL", help=_COLOR_BY_HELP)
    r.add_argument("--no-static-map", action="store_true",
                   help="do not embed the static map in the page (smaller file)")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors")
    r.set_defaults(planner_handler=cmd_report)

    b = subparsers.add_parser(
        "build-geo", help="build an instance from GIS layers (GeoPackage, GeoJSON, Shapefile, "
        "CSV, GeoParquet)",
        description="Assemble a sitecircle.instance/1 file from communities, candidate sites "
        "and existing facilities layers. Per-layer options take KIND=VALUE (KIND: communities, "
        "sites, existing, areas) or a bare VALUE for every layer.")
    b.add_argument("--communities", required=True, metavar="FILE", help="communities layer")
    b.add_argument("--sites", metavar="FILE", help="candidate sites layer")
    b.add_argument("--existing", metavar="FILE", help="existing facilities layer")
    b.add_argument("--areas", metavar="FILE", help="polygon layer of group boundaries (streets): "
                   "labels the communities inside each polygon when they have no such label, "
                   "and is kept in the instance for the outputs' groups layer")
    b.add_argument("--area-field", default="street", metavar="LABEL",
                   help="the community label the --areas polygons are groups of (default "
                        "street); the polygons are named from that column, else a name column")
    b.add_argument("-o", "--out", required=True, type=_file_path, metavar="JSON",
                   help="instance file to write")
    b.add_argument("--template", metavar="JSON", help="instance (or partial one) giving "
                   "name, crs, categories, travel and objective")
    b.add_argument("--categories", metavar="IDS", help="comma-separated category ids, when "
                   "there is no template (default: those named in the layers)")
    b.add_argument("--crs", help="instance CRS (default: the template's, else EPSG:4326)")
    b.add_argument("--name", help="instance name (default: the output file's name)")
    b.add_argument("--objective", choices=("max_coverage", "max_complete", "min_cost"))
    b.add_argument("--budget", type=float, help="budget of the objective")
    b.add_argument("--target-share", type=float, help="min_cost target share")
    b.add_argument("--layer", action="append", default=[], metavar="[KIND=]NAME",
                   help="layer name inside a multi-layer file")
    b.add_argument("--encoding", action="append", default=[], metavar="[KIND=]ENCODING",
                   help="attribute encoding, e.g. GBK")
    b.add_argument("--layer-crs", action="append", default=[], metavar="[KIND=]CRS",
                   help="CRS of a layer that declares none (needed for CSV), e.g. EPSG:4326")
    b.add_argument("--coords", action="append", default=[], metavar="[KIND=]SYSTEM",
                   help="wgs84 (default), gcj02 (Amap, Tencent) or bd09 (Baidu): converted "
                        "to WGS 84")
    b.add_argument("--map", action="append", default=[], metavar="KIND.FIELD=COLUMN",
                   help="column of an instance field, e.g. communities.population=常住人口, "
                        "sites.cost.childcare=托育造价, existing.x=经度")
    b.add_argument("--ignore", action="append", default=[], metavar="[KIND=]COLUMN",
                   help="leave this column out on purpose (a column that looks like a cost, a "
                        "category list or a capacity and is not used is an error otherwise)")
    b.add_argument("--swap-xy", action="append", nargs="?", const="all", default=[],
                   metavar="KIND", help="coordinates are stored (lat, lon): swap them")
    b.add_argument("--no-swap-check", action="store_true",
                   help="keep coordinates that look swapped")
    b.add_argument("--quiet", action="store_true", help="print nothing but errors")
    b.set_defaults(planner_handler=cmd_build_geo)


def _per_kind(values: list[str], option: str) -> dict[str, str]:
    """``KIND=VALUE`` sets one layer, a bare ``VALUE`` every layer not set by kind."""
    every: str | None = None
    per: dict[str, str] = {}
    for item in values:
        kind, sep, value = item.partition("=")
        if sep and kind in _KINDS:
            per[kind] = value
        elif sep and kind.isidentifier():
            msg = f"{option} {item!r}: unknown layer {kind!r}; use one of {', '.join(_KINDS)}"
            raise OptionsError(msg)
        else:
            every = item
    return {k: v for k in _KINDS if (v := per.get(k, every)) is not None}


def _layer_options(args: argparse.Namespace) -> dict[str, Any]:

    layer = _per_kind(args.layer, "--layer")
    encoding = _per_kind(args.encoding, "--encoding")
    crs = _per_kind(args.layer_crs, "--layer-crs")
    coords = _per_kind(args.coords, "--coords")
    columns: dict[str, dict[str, str]] = {k: {} for k in _KINDS}
    for item in args.map:
        key, sep, column = item.partition("=")
        kind, dot, field = key.partition(".")
        if not sep or not dot or kind not in _KINDS or not field or not column:
            msg = f"--map {item!r}: write KIND.FIELD=COLUMN with KIND one of {', '.join(_KINDS)}"
            raise OptionsError(msg)
        columns[kind][field] = column
    ignore: dict[str, list[str]] = {k: [] for k in _KINDS}
    for item in args.ignore:
        kind, sep, column = item.partition("=")
        for k in ([kind] if sep and kind in _KINDS else _KINDS):
            ignore[k].append(column if sep and kind in _KINDS else item)
    swap: set[str] = set()
    for item in args.swap_xy:
        if item == "all":
            swap.update(_KINDS)
        elif item in _KINDS:
            swap.add(item)
        else:
            msg = f"--swap-xy {item!r}: use one of {', '.join(_KINDS)} (or no value for all)"
            raise OptionsError(msg)
    return {k: LayerOptions(layer=layer.get(k), encoding=encoding.get(k), columns=columns[k],
                            ignore=tuple(ignore[k]), crs=crs.get(k),
                            coordinates=coords.get(k, "wgs84"), swap_xy=k in swap,
                            check_swap=not args.no_swap_check)
            for k in _KINDS}


def _print_warnings(args: argparse.Namespace, caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        _say(args, f"warning: {w.message}")


def cmd_build_geo(args: argparse.Namespace) -> int:
    """Run ``sitecircle build-geo``.

    Parameters
    ----------
    args
        Parsed arguments of the subcommand.

    Returns
    -------
    int
        0 on success, 2 for invalid input (the problems are printed on standard error).
    """

    try:
        options = _layer_options(args)
        objective: dict[str, Any] | None = None
        if args.objective or args.budget is not None or args.target_share is not None:
            base: dict[str, Any] = {}
            if args.template:

                tpl = load_json(args.template)
                base = dict(tpl.get("objective") or {}) if isinstance(tpl, dict) else {}
            objective = {**base, **({"type": args.objective} if args.objective else {})}
            objective.setdefault("type", "max_coverage")
            if args.budget is not None:
                objective["budget"] = args.budget
            if args.target_share is not None:
                objective["target_share"] = args.target_share
        categories = [c.strip() for c in args.categories.split(",") if c.strip()] \
            if args.categories else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            doc = instance_from_layers(
                args.communities, args.sites, args.existing, template=args.template,
                categories=categories, crs=args.crs, name=args.name or Path(args.out).stem,
                objective=objective,
                options=options, areas=args.areas, area_field=args.area_field)
    except (InstanceError, OptionsError) as exc:
        print(exc if isinstance(exc, InstanceError) else f"error: {exc}", file=sys.stderr)
        return ExitCode.INVALID
    _print_warnings(args, caught)
    write_json_atomic(doc, args.out)
    _say(args, f"wrote {args.out}: {len(doc['communities'])} communities, {len(doc['sites'])} "
         f"sites, {len(doc['existing'])} existing, {len(doc['categories'])} categories, "
         f"crs {doc['crs']}")
    return ExitCode.OK


def cmd_report(args: argparse.Namespace) -> int:
    """Run ``sitecircle report``.

    Parameters
    ----------
    args
        Parsed arguments of the subcommand.

    Returns
    -------
    int
        0 on success, 2 for invalid input (the problems are printed on standard error).
    """

    try:
        out = outcome_from(args.instance, args.solution)
        write_report(out, None, args.out, png=args.png, tiles=_tiles(args.tiles),
                     static_map=not args.no_static_map, color_by=args.color_by)
        if args.geo:
            write_solution_layers(out, None, args.geo, coords=args.geo_coords)
    except InstanceError as exc:
        print(exc, file=sys.stderr)
        return ExitCode.INVALID
    except ValueError as exc:  # unknown --tiles or --color-by
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.INVALID
    for path in (args.out, args.png):
        if path:
            _say(args, f"wrote {path}")
    if args.geo:
        _say(args, f"wrote {args.geo}{_coords_note(args.geo_coords)}")
    return ExitCode.OK
