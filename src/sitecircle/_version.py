"""The package's version (a leaf: every stage may read it).

The one place the version is written: ``pyproject.toml`` reads it from here
(``[tool.setuptools.dynamic]``), so no start-up pays for ``importlib.metadata`` (~25 ms).
"""

__version__ = "0.1.0"
