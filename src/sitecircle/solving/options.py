"""Solve options as users give them: one list of names, one check, one error.

The command line (``solve``, ``sweep``), ``--profile`` presets, :func:`sitecircle.solve` and
:func:`sitecircle.sweep` all name the options :data:`OPTION_NAMES` and check them here (the
values through :func:`~sitecircle.backends.base.option_problems`, the same check
:class:`~sitecircle.backends.base.SolveOptions` makes). Every problem raises
:class:`~sitecircle.errors.OptionsError` (exit code 2 on the command line), never an
``ImportError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sitecircle.backends.base import OPTION_FIELDS, Backend, option_problems
from sitecircle.errors import OptionsError

#: The solve options, by the names users give them (``solve`` keywords, profile keys; the
#: command line writes them ``--time-limit`` etc.): the one list.
OPTION_NAMES: tuple[str, ...] = ("backend", *OPTION_FIELDS)
#: Keys a ``--profile`` file may hold: the options and a description.
PROFILE_KEYS: tuple[str, ...] = (*OPTION_NAMES, "description")


def flag(name: str) -> str:
    """The command-line spelling of an option: ``time_limit`` → ``--time-limit``."""
    return "--" + name.replace("_", "-")


def check_settings(
    settings: Mapping[str, Any], *, spell: Callable[[str], str] = str,
    allowed: tuple[str, ...] = OPTION_NAMES, where: str = "", noun: str = "keys",
) -> dict[str, Any]:
    """Check solve options by name and value; return those that are set.

    Parameters
    ----------
    settings
        Options by name; None means "not set".
    spell
        How a name is written in messages (:func:`flag` on the command line).
    allowed
        The names accepted (:data:`OPTION_NAMES` by default).
    where
        Prefix of every message (e.g. ``--profile 'fast': ``).
    noun
        What the names are called in the message about unknown ones.

    Returns
    -------
    dict
        The options that are not None.

    Raises
    ------
    OptionsError
        Unknown names or bad values, every problem in one message.
    """
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        msg = f"{where}unknown {noun} {unknown}; use {sorted(allowed)}"
        raise OptionsError(msg)
    problems = option_problems(settings, spell)
    backend = settings.get("backend")
    if backend is not None and not isinstance(backend, str):
        problems.insert(0, f"{spell('backend')} must be a backend name, got {backend!r}")
    if problems:
        raise OptionsError(where + "; ".join(problems))
    return {k: v for k, v in settings.items() if v is not None}


def _shipped() -> list[str]:
    folder = resources.files("sitecircle").joinpath("presets")
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir()
                  if p.name.endswith(".json"))


def load_profile(name: str) -> dict[str, Any]:
    """Read a solver preset: a name in ``./solvers/`` or shipped with sitecircle, or a JSON path.

    Parameters
    ----------
    name
        A preset name (``fast``, ``exact``, ``cbc``, ``highs``) or a path to a JSON object with
        keys from :data:`PROFILE_KEYS`.

    Returns
    -------
    dict
        The options it sets (without the description).

    Raises
    ------
    OptionsError
        No such preset or file, not a JSON object, unknown keys or bad values.
    """
    where = f"--profile {name!r}: "
    path: Path | Traversable = Path(name)
    if not Path(name).suffix:
        # ./solvers/NAME.json first (a user's own presets), then the presets shipped as package
        # data (``sitecircle/presets`` is the repository's ``solvers/`` folder).
        for candidate in (Path.cwd() / "solvers" / f"{name}.json",
                          resources.files("sitecircle").joinpath("presets", f"{name}.json")):
            if candidate.is_file():
                path = candidate
                break
    if not path.is_file():
        msg = (f"{where}no such file or preset (presets in ./solvers/ or shipped: "
               f"{', '.join(_shipped())})")
        raise OptionsError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = f"{where}cannot read {path} as JSON: {exc}"
        raise OptionsError(msg) from exc
    if not isinstance(data, dict):
        msg = f"{where}must be a JSON object, got {type(data).__name__}"
        raise OptionsError(msg)
    settings = check_settings(data, allowed=PROFILE_KEYS, where=where)
    settings.pop("description", None)
    return settings


def time_limit_for(
    backend: Backend, engine: str | None, time_limit: float | None
) -> tuple[float | None, str | None]:
    """The time limit a run gets, and a note when it is a default the caller did not give.

    An engine that cannot prove optimality (CP-SAT on covering models) would otherwise search
    until interrupted: without a limit it gets :meth:`Backend.default_time_limit`.

    Parameters
    ----------
    backend
        The backend that runs the engine.
    engine
        The engine (None: the backend's default).
    time_limit
        The limit the caller gave, or None.

    Returns
    -------
    tuple
        The limit (the caller's when given) and the note to show, or None.
    """
    if time_limit is not None:
        return time_limit, None
    default = backend.default_time_limit(engine)
    if default is None:
        return None, None
    note = (f"engine {backend.name}/{engine or backend.default_engine} cannot prove optimality "
            f"on these models and was given no time limit: it stops after {default:g} s with "
            "its best solution and gap; give --time-limit SECONDS to choose")
    return default, note
