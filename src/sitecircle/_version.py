"""The installed package's version (a leaf: every stage may read it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sitecircle")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
