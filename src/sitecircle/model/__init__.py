"""The one solver-neutral model: :class:`LinearModel` (plain sparse arrays) and :func:`build_model`.

Stage 3 of the pipeline. :mod:`~sitecircle.model.linear` holds the model and its sparse helpers,
:mod:`~sitecircle.model.assemble` writes the rows, :mod:`~sitecircle.model.reduce` the exact
reductions.
"""

from sitecircle.model.build import build_model
from sitecircle.model.linear import LinearModel

__all__ = ["LinearModel", "build_model"]
