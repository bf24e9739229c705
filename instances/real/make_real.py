"""Rebuild the real instances in this folder with ``sitecircle build`` from ``../shared/data/real``.

    python instances/real/make_real.py                 # Shenzhen Longgang and Helsinki centre
    python instances/real/make_real.py --sao-paulo DIR # also São Paulo centre (not shipped)

Each instance is written with its walking network beside it (``<name>.graphml.gz``), then read,
and solved on both backends as a check. The São Paulo population hexagons carry no stated
licence for redistribution (see their SOURCE.md), so that instance is built on demand only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sitecircle
from sitecircle.instance.from_osm import BuildOptions, build_instance
from sitecircle.travel.join_report import format_network_report, network_report

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data" / "real"

#: name -> (OSM extract, population layer or None, build options)
RECIPES: dict[str, tuple[str, str | None, BuildOptions]] = {
    "shenzhen-longgang": (
        "shenzhen-longgang-osm/shenzhen_longgang.osm", None,
        BuildOptions(name="shenzhen-longgang", compress_network=True),
    ),
    "helsinki-centre": (
        "helsinki-centre-osm-pop/helsinki_centre.osm.pbf",
        "helsinki-centre-osm-pop/helsinki_population_grid_2020.gpkg",
        BuildOptions(name="helsinki-centre", max_sites=80, compress_network=True),
    ),
}
SAO_PAULO = (
    "sao-paulo-centre-osm-hexpop/spo_osm.pbf", "sao-paulo-centre-osm-hexpop/spo_hexgrid.csv",
    BuildOptions(name="sao-paulo-centre", site_sources=("poi", "building", "node"),
                 node_spacing_m=500, max_sites=150, compress_network=True),
)


def make(name: str, recipe: tuple[str, str | None, BuildOptions], folder: Path) -> None:
    """Build one instance into ``folder`` and solve it on both backends."""
    osm, pop, options = recipe
    out = folder / f"{name}.json"
    doc = build_instance(DATA / osm, out, population=DATA / pop if pop else None, options=options)
    instance = sitecircle.read_instance(out)
    print(f"{out}: {len(doc['communities'])} communities, {len(doc['sites'])} sites, "
          f"{len(doc['existing'])} existing")
    print(format_network_report(network_report(instance)))
    for backend in ("ortools", "pulp"):
        t = time.perf_counter()
        solution = sitecircle.solve(instance, backend=backend)
        print(f"  {backend}: {solution.status.value} objective {solution.objective:g} gap "
              f"{solution.gap} in {time.perf_counter() - t:.1f} s")


def main() -> int:
    """Build the shipped instances (and São Paulo on request)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sao-paulo", type=Path, metavar="DIR", help="also build São Paulo into DIR")
    args = p.parse_args()
    if not DATA.is_dir():
        print(f"data not found: {DATA}", file=sys.stderr)
        return 2
    for name, recipe in RECIPES.items():
        make(name, recipe, HERE)
    if args.sao_paulo:
        make("sao-paulo-centre", SAO_PAULO, args.sao_paulo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
