"""Walking times on a street network: the ``network`` travel mode of FORMAT.md.

Minutes between a community and a facility are

    (straight distance community → its nearest node
     + shortest path between the two nodes
     + straight distance facility's node → facility) / speed_m_per_min,

with no detour factor. Straight distances are those of ``straight`` mode
(:func:`sitecircle.travel.distance_m`); every edge is walkable both ways and parallel edges count
with their shortest length; nodes in different components are unreachable. Lengths are metres,
times minutes.

Network files: GraphML as osmnx writes it (node ``x``, ``y`` in the instance CRS, edge ``length``
in metres; read with networkx), OSM XML (``.osm``) and OSM PBF (``.osm.pbf``, needs pyosmium)
read by :mod:`sitecircle._osm` with walkable ways only. Parsed files are cached by path,
modification time and size.

Reachability (:func:`reach_within`) runs a bounded Dijkstra from every distinct source node in
chunks of nearby sources (Morton order). Each chunk first finds the union of its sources' balls
(one multi-source Dijkstra with the cutoff), then runs scipy's C Dijkstra on the subgraph induced
by that ball only, so the dense work per source is the size of its neighbourhood, not of the
whole graph, and memory stays bounded by ``max_cells`` plus the pairs found.

The independent verifier's :func:`network_covered` shares no shortest-path or joining code with
the above: it uses networkx with a virtual source node.
"""


from __future__ import annotations

from sitecircle.network._io import StreetNetwork, check_network_file, read_network
from sitecircle.network._reach import (
    DEFAULT_MAX_CELLS,
    MAX_CHUNK,
    _prepared,  # noqa: F401 - used by the tests
    network_nearest,
    network_pairs,
    reach_within,
)
from sitecircle.network._report import format_network_report, network_report
from sitecircle.network._verify import network_covered

__all__ = [
    "DEFAULT_MAX_CELLS", "MAX_CHUNK",
    "StreetNetwork", "check_network_file", "format_network_report", "network_covered",
    "network_nearest", "network_pairs", "network_report", "reach_within", "read_network",
]
