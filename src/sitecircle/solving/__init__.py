"""The pipeline behind :func:`sitecircle.solve`: solver process, parts, explanations."""

from sitecircle.solving.pipeline import solve

__all__ = ["solve"]
