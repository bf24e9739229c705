"""Travel times and coverage: straight lines, OD matrices, walking on streets; the coverage sets.

Stage 2 of the pipeline: :mod:`~sitecircle.travel.pairs` gives the reachable community–facility
pairs for any mode, :mod:`~sitecircle.travel.coverage` turns them into who-covers-whom.
"""

from sitecircle.travel.coverage import Coverage, coverage_from_instance
from sitecircle.travel.pairs import nearest_minutes, travel_pair_chunks, travel_pairs
from sitecircle.travel.straight import TravelPairs

__all__ = ["Coverage", "TravelPairs", "coverage_from_instance", "nearest_minutes",
           "travel_pair_chunks", "travel_pairs"]
