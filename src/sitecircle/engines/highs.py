"""One way to start a HiGHS solver for the own engines (Benders master and tree, LP bounds)."""

from __future__ import annotations

from typing import Any


def new_highs(threads: int | None = None, **options: Any) -> Any:
    """A quiet ``highspy.Highs`` with ``options`` set.

    Parameters
    ----------
    threads
        Threads to use (None: HiGHS' default). HiGHS keeps one thread scheduler per process; a
        thread count other than the one it first started with (by PuLP's HiGHS, say) makes
        ``run()`` fail, so the scheduler is reset before a count is set.
    **options
        Further HiGHS options (``presolve="off"``, ``time_limit=...``).

    Returns
    -------
    highspy.Highs
        The solver, with no model yet.
    """
    import highspy  # noqa: PLC0415 - loaded only by the engines that solve with HiGHS

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    if threads is not None:
        highspy.Highs.resetGlobalScheduler(True)
        h.setOptionValue("threads", int(threads))
    for name, value in options.items():
        h.setOptionValue(name, value)
    return h
