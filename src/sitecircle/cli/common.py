"""Helpers every subcommand shares."""

from __future__ import annotations

import argparse
from typing import Any

from sitecircle.backends.base import SolveOptions
from sitecircle.backends.registry import backend_for, get_backend
from sitecircle.solving.options import (
    OPTION_NAMES,
    check_settings,
    flag,
    load_profile,
    time_limit_for,
)


def no_fork() -> bool:
    import multiprocessing  # noqa: PLC0415

    return "fork" not in multiprocessing.get_all_start_methods()


def solve_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The solve options of a command line: ``--profile``, overridden by the flags given.

    Checked once (:func:`sitecircle.solving.options.check_settings`), messages naming the flags.

    Raises
    ------
    OptionsError
        A bad profile or a bad value.
    """
    settings = load_profile(args.profile) if getattr(args, "profile", None) else {}
    settings.update({name: getattr(args, name) for name in OPTION_NAMES
                     if getattr(args, name, None) is not None})
    return check_settings(settings, spell=flag)


def limit_warning(settings: dict[str, Any]) -> str | None:
    """The warning to show when the engine gets a default time limit the user did not give."""
    chosen = backend_for(get_backend(settings.get("backend")), settings.get("engine"))
    engine = chosen.check(SolveOptions(engine=settings.get("engine")))
    return time_limit_for(chosen, engine, settings.get("time_limit"))[1]
