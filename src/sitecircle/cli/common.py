"""Helpers every subcommand shares."""

from __future__ import annotations


def no_fork() -> bool:
    import multiprocessing  # noqa: PLC0415

    return "fork" not in multiprocessing.get_all_start_methods()

