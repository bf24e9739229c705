"""The ``sitecircle`` command line: ``solve``, ``validate``, ``report``, ``build``, ``sweep``."""

from sitecircle.cli.main import main

__all__ = ["main"]
