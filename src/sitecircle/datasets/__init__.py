"""Readers for public facility-location benchmark files.

Every ``read_*`` function turns one benchmark file (or folder) into a plain ``dict`` in the
``sitecircle.instance/1`` format (see ``FORMAT.md``); nothing here validates against the core
model, so the dicts are meant to be passed to the normal instance loader afterwards.  Only numpy,
scipy and the standard library are used, and all distance work is vectorised.

Supported data sets
-------------------
* OR-Library weighted set covering (Beasley): :func:`read_orlib_scp`,
  :func:`read_orlib_scp_arrays`.
* Swain's 55-node MCLP set: :func:`read_swain`.
* Lorena & Pereira's São José dos Campos sets (``SJC324`` ... ``SJC818``): :func:`read_sjc`.
* Máximo, Nascimento & Carvalho's TSPLIB-like MCLP files (Bronx, Kings, NewYork, SanFrancisco,
  SJC32): :func:`read_maximo`, with the lower-level :func:`read_maximo_arrays` and
  :func:`maximo_pairs`.
* The spopt San Francisco example (205 census tracts x 16 stores, network distances):
  :func:`read_spopt_sf`.
* Cordeau, Furini & Ljubić's BDS files: :func:`read_bds`.
* Known optimal / best-known values in ``mclp/results.csv``: :func:`mclp_known_values`.

Conventions
-----------
Planar instances use ``crs = "EPSG:3857"`` with ``travel = {"mode": "straight",
"speed_m_per_min": 1, "detour": 1}``, so minutes equal planar distance in the file's units and
the category's ``threshold_min`` is the covering radius.  Instances whose published distances
cannot be reproduced by a built-in travel mode (Máximo's spherical formula, spopt's network
distances, set covering incidences) use ``matrix`` mode and list only the pairs that cover.
"""

from __future__ import annotations

from sitecircle.datasets._common import MAXIMO_EARTH_RADIUS_M
from sitecircle.datasets.maximo import maximo_pairs, read_maximo, read_maximo_arrays
from sitecircle.datasets.mclp import mclp_known_values, read_bds, read_sjc, read_swain
from sitecircle.datasets.orlib import read_orlib_scp, read_orlib_scp_arrays
from sitecircle.datasets.spopt_sf import read_spopt_sf

__all__ = [
    "MAXIMO_EARTH_RADIUS_M",
    "maximo_pairs",
    "mclp_known_values",
    "read_bds",
    "read_maximo",
    "read_maximo_arrays",
    "read_orlib_scp",
    "read_orlib_scp_arrays",
    "read_sjc",
    "read_spopt_sf",
    "read_swain",
]
