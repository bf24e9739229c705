"""Street networks: GraphML and OpenStreetMap extracts read into a walkable graph (no routing)."""

from sitecircle.streets.read import StreetNetwork, check_network_file, read_network

__all__ = ["StreetNetwork", "check_network_file", "read_network"]
