"""Reading instances and writing solutions (JSON).

Every failure to read becomes an :class:`~sitecircle.errors.InstanceError` naming the file and
what is wrong with it; solutions are written atomically (temporary file, then rename), so a
failed run never leaves a half-written or truncated output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sitecircle.files import load_json
from sitecircle.instance.data import Instance


def read_instance(path: str | Path) -> Instance:
    """Read and validate a ``sitecircle.instance/1`` file.

    Parameters
    ----------
    path
        The JSON file. Relative paths inside it are relative to its folder.

    Returns
    -------
    Instance
        The validated instance.

    Raises
    ------
    InstanceError
        Listing every problem found.
    """
    p = Path(path)
    data = load_json(p)
    instance = Instance.from_dict(data, base_dir=p.resolve().parent, name=p.stem)
    object.__setattr__(instance, "source", p)
    return instance


def as_instance(instance: Instance | dict[str, Any] | str | Path) -> Instance:
    if isinstance(instance, Instance):
        return instance
    if isinstance(instance, dict):
        return Instance.from_dict(instance)
    return read_instance(instance)

