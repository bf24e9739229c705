"""Instance: the data, its validation, the category catalogue, and readers from files and layers.

Stage 1 of the pipeline. :mod:`~sitecircle.instance.validate` is a low leaf that never calls back
up; :mod:`~sitecircle.instance.from_layers` and :mod:`~sitecircle.instance.from_osm` build
instances from GIS layers and OpenStreetMap extracts.
"""

from sitecircle.instance.data import Instance
from sitecircle.instance.fields import Category, Objective, Travel
from sitecircle.instance.read import as_instance, read_instance

__all__ = ["Category", "Instance", "Objective", "Travel", "as_instance", "read_instance"]
