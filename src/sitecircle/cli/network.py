"""Command-line subcommands ``sitecircle catalog`` and ``sitecircle build``.

:func:`register` adds both to the main parser's subparsers; :data:`COMMANDS` maps each command
name to its handler, which returns the exit code (0 done, 2 invalid input, 1 internal error).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from sitecircle.errors import InstanceError
from sitecircle.instance.catalog import format_catalog, load_catalog
from sitecircle.instance.from_osm import build_instance, load_options
from sitecircle.instance.read import read_instance
from sitecircle.solution_status import ExitCode
from sitecircle.travel.join_report import format_network_report, network_report


def register(subparsers: Any) -> None:
    """Add the ``catalog`` and ``build`` subcommands.

    Parameters
    ----------
    subparsers
        What ``ArgumentParser.add_subparsers`` returned.
    """
    c = subparsers.add_parser("catalog", help="list the 15-minute living circle category "
                              "catalogue (ids, names, class, threshold, OSM tags, policy source)")
    c.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    b = subparsers.add_parser(
        "build", help="build an instance (and its GraphML network) from an OSM extract",
        description="Build a sitecircle.instance/1 JSON from an OSM extract (.osm or .osm.pbf) "
                    "and an optional population layer; the walking network is written beside it "
                    "as GraphML. Rules and defaults: see sitecircle.instance.from_osm.")
    b.add_argument("osm", help="OSM extract: .osm (XML) or .osm.pbf (needs the osm extra)")
    b.add_argument("--out", required=True, metavar="FILE", help="instance JSON to write")
    b.add_argument("--population", metavar="LAYER", help="population layer: GeoPackage, "
                   "GeoJSON, Shapefile (also zipped) or CSV with lon/lat columns")
    b.add_argument("--options", metavar="JSON_FILE", help="build options as a JSON object")
    b.add_argument("--set", metavar="JSON", help="build options as inline JSON (wins over "
                   "--options), e.g. '{\"max_sites\": 60}'")
    b.add_argument("--categories", help="comma-separated catalogue ids of the basket")
    b.add_argument("--json", action="store_true", help="print the network report as JSON")


def _cmd_catalog(args: argparse.Namespace) -> int:

    if args.json:
        print(json.dumps(load_catalog().to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_catalog())
    return ExitCode.OK


def _cmd_build(args: argparse.Namespace) -> int:
    import dataclasses  # noqa: PLC0415


    try:
        options = load_options(args.options, args.set)
        if args.categories:
            options = dataclasses.replace(
                options, categories=tuple(c.strip() for c in args.categories.split(",")))
        doc = build_instance(args.osm, args.out, population=args.population, options=options)
        instance = read_instance(args.out)
    except InstanceError as exc:
        print(exc, file=sys.stderr)
        return ExitCode.INVALID
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.INVALID
    report = network_report(instance)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(f"{args.out}: {len(doc['communities'])} communities, {len(doc['sites'])} sites, "
              f"{len(doc['existing'])} existing, {len(doc['categories'])} categories")
        print(format_network_report(report))
    return ExitCode.OK


#: Command name → handler returning the exit code.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "catalog": _cmd_catalog, "build": _cmd_build,
}
